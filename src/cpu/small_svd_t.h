/*
 * Batch-interleaved SVD for m, n <= LAPIS_SMALL_QR_NMAX: one-sided (Hestenes)
 * Jacobi. Included by small_qr.c after small_qr_t.h, whose lane helpers,
 * layout (QA) and Householder QR it uses; same parameters.
 *
 * X (p x q, p >= q = k) is A, or Aᵀ when m < n. Column rotations X <- X J
 * (accumulated in V) run until every pair of columns is orthogonal to
 * SVD_TOL relative to their norms: S = the column norms, sorted descending.
 * U is not the normalised columns (those lose orthogonality for tiny or zero
 * singular values) but the Q of a Householder QR of the sorted X V with R's
 * diagonal signs folded in: orthonormal to rounding, and an orthonormal
 * completion for full_matrices and for rank-deficient input.
 */

/* Sweep cap: convergence is quadratic, 6 to 12 sweeps in practice. */
#define SVD_MAXSWEEP 40

/* Lane l's scale: max |x| = 2^e f, f in [0.5, 1); multiplies by 2^-e in two
 * steps (2^-e alone may overflow for subnormal data). */
SQ_BODY void R(svd_scale)(T *x, int cnt, int *ex) {
    V mx = {0};
    for (int e = 0; e < cnt; e++) mx = R(vmax)(mx, R(vabs)(R(ld)(x + e * W)));
    V s1, s2;
    for (int l = 0; l < W; l++) {
        int e = 0;
        if (mx[l] != 0) TFREXP(mx[l], &e);
        ex[l] = e;
        s1[l] = TLDEXP((T)1, -e / 2);
        s2[l] = TLDEXP((T)1, -e - (-e / 2));
    }
    for (int e = 0; e < cnt; e++) R(st)(x + e * W, R(ld)(x + e * W) * s1 * s2);
}

/* One-sided Jacobi on x (p x q); v (q x q) accumulates the rotations when not
 * NULL. Returns the lanes still rotating after SVD_MAXSWEEP sweeps. Lanes
 * that converged meet only identity rotations (c = 1, s = 0: exact), so a
 * lane's bits do not depend on its neighbours. */
SQ_BODY VI R(jacobi)(T *x, T *v, int p, int q) {
    const V zero = {0}, one = R(splat)(1), half = R(splat)((T)0.5);
    const V tol = R(splat)((T)p * SQ_EPS), small = R(splat)(SQ_TSML * SQ_TSML);
    VI rotated = {0};
    for (int sweep = 0; sweep < SVD_MAXSWEEP; sweep++) {
        rotated = (VI){0};
        for (int i = 0; i + 1 < q; i++) {
            for (int j = i + 1; j < q; j++) {
                T *xi = QA(x, p, 0, i), *xj = QA(x, p, 0, j);
                V a = zero, b = zero, g = zero;
                for (int r = 0; r < p; r++) {
                    V u = R(ld)(xi + r * W), w = R(ld)(xj + r * W);
                    a += u * u;
                    b += w * w;
                    g += u * w;
                }
                /* columns with a squared norm below SQ_TSML² (after the scaling:
                 * under eps² ‖A‖) are negligible, and their sums of squares
                 * would lose bits to underflow: they are not rotated */
                VI rot = (R(vabs)(g) > tol * R(vsqrt)(a) * R(vsqrt)(b)) & (a > small) & (b > small);
                if (!R(any)(rot)) continue;
                rotated |= rot;
                /* t: the smaller root of t² + 2 zeta t - 1 = 0, 1/(2 zeta) once zeta² overflows */
                V zeta = (b - a) / (g + g), az = R(vabs)(zeta);
                V tn = R(vsign)(one, zeta) / (az + R(vsqrt)(one + zeta * zeta));
                V t = R(sel)(az > R(splat)(SQ_ZBIG), half / zeta, tn);
                V c = one / R(vsqrt)(one + t * t), s = c * t;
                c = R(sel)(rot, c, one);
                s = R(sel)(rot, s, zero);
                for (int r = 0; r < p; r++) {
                    V u = R(ld)(xi + r * W), w = R(ld)(xj + r * W);
                    R(st)(xi + r * W, c * u - s * w);
                    R(st)(xj + r * W, s * u + c * w);
                }
                if (v) {
                    T *vi = QA(v, q, 0, i), *vj = QA(v, q, 0, j);
                    for (int r = 0; r < q; r++) {
                        V u = R(ld)(vi + r * W), w = R(ld)(vj + r * W);
                        R(st)(vi + r * W, c * u - s * w);
                        R(st)(vj + r * W, s * u + c * w);
                    }
                }
            }
        }
        if (!R(any)(rotated)) break;
    }
    return rotated;
}

/* Workspace of one thread: X (p x p, room for full U), V and sorted V. */
#define SVD_WS_ELEMS (3 * LAPIS_SMALL_QR_NMAX * LAPIS_SMALL_QR_NMAX * W)

SQ_TARGET static void R(svd_range)(const lapis_svd_args *p, int64_t g0, int64_t g1, void *ws) {
    int m = (int)p->m, n = (int)p->n, k = m < n ? m : n;
    bool tr = m < n, vec = p->u || p->vt;
    int pp = tr ? n : m, q = k; /* X is pp x q */
    int ucols = p->full ? m : k, vrows = p->full ? n : k;
    int ncol = p->full ? pp : q; /* columns of U_X that the outputs need */
    T *x = ws, *u = x + LAPIS_SMALL_QR_NMAX * LAPIS_SMALL_QR_NMAX * W,
      *v = u + LAPIS_SMALL_QR_NMAX * LAPIS_SMALL_QR_NMAX * W;
    V tau[LAPIS_SMALL_QR_NMAX], sv[LAPIS_SMALL_QR_NMAX];
    int ex[W], perm[W][LAPIS_SMALL_QR_NMAX];
    const V zero = {0}, one = R(splat)(1);
    for (int64_t g = g0; g < g1; g++) {
        const T *src[W];
        int cnt = R(lanes)(src, p->a, g, p->batch, (int64_t)m * n);
        /* X column-major: A row-major read as (m x n) column-major is Aᵀ */
        VI bad = tr ? R(load)(x, src, 1, m * n) : R(load)(x, src, m, n);
        R(svd_scale)(x, pp * q, ex);
        if (vec)
            for (int j = 0; j < q; j++)
                for (int i = 0; i < q; i++) R(st)(QA(v, q, i, j), i == j ? one : zero);
        VI fail = R(jacobi)(x, vec ? v : NULL, pp, q);
        for (int j = 0; j < q; j++) {
            const T *xj = QA(x, pp, 0, j);
            V s = zero;
            for (int r = 0; r < pp; r++) s += R(ld)(xj + r * W) * R(ld)(xj + r * W);
            sv[j] = R(vsqrt)(s);
        }
        /* descending order per lane (insertion sort; stable) */
        for (int l = 0; l < W; l++) {
            int *pl = perm[l];
            for (int j = 0; j < q; j++) {
                int t = j;
                while (t > 0 && sv[pl[t - 1]][l] < sv[j][l]) {
                    pl[t] = pl[t - 1];
                    t--;
                }
                pl[t] = j;
            }
        }
        for (int l = 0; l < cnt; l++) {
            int64_t b = g * W + l;
            bool nan = bad[l] || fail[l];
            p->info[b] = bad[l] ? LAPIS_INFO_NON_FINITE : fail[l] ? LAPIS_INFO_NO_CONVERGENCE : 0;
            T *s = (T *)p->s + b * k;
            for (int j = 0; j < k; j++) {
                T y = sv[perm[l][j]][l];
                s[j] = nan ? (T)NAN : TLDEXP(TLDEXP(y, ex[l] / 2), ex[l] - ex[l] / 2);
            }
        }
        if (!vec) continue;
        /* sorted X V -> u, sorted V -> x (q x q) */
        for (int l = 0; l < W; l++)
            for (int j = 0; j < q; j++) {
                int c = perm[l][j];
                for (int r = 0; r < pp; r++) u[(j * pp + r) * W + l] = x[(c * pp + r) * W + l];
            }
        for (int l = 0; l < W; l++)
            for (int j = 0; j < q; j++) {
                int c = perm[l][j];
                for (int r = 0; r < q; r++) x[(j * q + r) * W + l] = v[(c * q + r) * W + l];
            }
        R(geqr2)(u, pp, q, tau);
        V sign[LAPIS_SMALL_QR_NMAX];
        for (int j = 0; j < q; j++) sign[j] = R(sel)(R(ld)(QA(u, pp, j, j)) < zero, -one, one);
        R(org2r)(u, pp, ncol, q, tau);
        for (int j = 0; j < q; j++) {
            T *uj = QA(u, pp, 0, j);
            for (int r = 0; r < pp; r++) R(st)(uj + r * W, R(ld)(uj + r * W) * sign[j]);
        }
        /* A = U_X S Vᵀ (m >= n) or A = V S U_Xᵀ (m < n) */
        for (int l = 0; l < cnt; l++) {
            int64_t b = g * W + l;
            bool nan = bad[l] || fail[l];
            T *uo = p->u ? (T *)p->u + b * m * ucols : NULL,
              *vo = p->vt ? (T *)p->vt + b * vrows * n : NULL;
            if (uo)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < ucols; j++)
                        uo[i * ucols + j] = nan ? (T)NAN
                                            : tr ? x[(j * q + i) * W + l] : u[(j * pp + i) * W + l];
            if (vo)
                for (int i = 0; i < vrows; i++)
                    for (int j = 0; j < n; j++)
                        vo[i * n + j] = nan ? (T)NAN
                                        : tr ? u[(i * pp + j) * W + l] : x[(i * q + j) * W + l];
        }
    }
}
