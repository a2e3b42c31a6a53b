/*
 * Batch-interleaved QR for m, n <= LAPIS_SMALL_QR_NMAX. Type- and
 * target-generic: small_qr.c includes this once per (type, target) with
 *   T  float or double,  IT a signed integer as wide as T,  W lanes,
 *   V / VI  W-lane vectors of T / IT,  R(name)  the suffixed name,
 *   SQ_TARGET  a function target attribute, SQ_* constants and T* math.
 *
 * A group holds W matrices interleaved and column-major: element (i, j) of
 * lane l lives at a[(j * m + i) * W + l] (QA below), so every lane loop is
 * one SIMD operation across W matrices and a column is contiguous. Lanes
 * never mix: a lane's bits do not depend on its neighbours (a rare path
 * taken for the group is selected per lane), so a matrix gives the same
 * result alone and anywhere in a batch.
 */

#define SQ_BODY static inline __attribute__((always_inline)) SQ_TARGET

/* ---- lane vectors -------------------------------------------------------------------- */

SQ_BODY V R(ld)(const T *p) { return *(const V *)p; }
SQ_BODY void R(st)(T *p, V v) { *(V *)p = v; }
SQ_BODY V R(sel)(VI m, V a, V b) { return (V)(((VI)a & m) | ((VI)b & ~m)); }
SQ_BODY V R(vabs)(V x) { return (V)((VI)x & ~((VI){0} + SQ_SIGNBIT)); }
SQ_BODY V R(vsign)(V mag, V s) { /* |mag| with the sign of s */
    VI sign = (VI){0} + SQ_SIGNBIT;
    return (V)(((VI)mag & ~sign) | ((VI)s & sign));
}
SQ_BODY V R(splat)(T x) { return (V){0} + x; }
SQ_BODY V R(vmax)(V a, V b) { return R(sel)(a > b, a, b); }
SQ_BODY bool R(any)(VI m) {
    IT r = 0;
    for (int l = 0; l < W; l++) r |= m[l];
    return r != 0;
}
SQ_BODY V R(vsqrt)(V x) {
#ifdef SQ_VSQRT
    return SQ_VSQRT(x);
#else
    V r = x;
    for (int l = 0; l < W; l++) r[l] = TSQRT(x[l]);
    return r;
#endif
}

/* ---- loads and stores ------------------------------------------------------------------ */

/* Lane pointers of group g (NULL past the batch); returns the live lane count. */
SQ_BODY int R(lanes)(const T **src, const void *base, int64_t g, int64_t batch, int64_t stride) {
    int cnt = 0;
    for (int l = 0; l < W; l++) {
        int64_t i = g * W + l;
        src[l] = i < batch ? (const T *)base + i * stride : NULL;
        cnt += i < batch;
    }
    return cnt;
}

/* a <- the row-major m x n matrices src[l], interleaved column-major; lanes
 * past the batch and lanes holding NaN or Inf (returned) become zero. */
SQ_BODY VI R(load)(T *a, const T *const *src, int m, int n) {
    for (int l = 0; l < W; l++) {
        const T *s = src[l];
        T *al = a + l;
        if (!s) {
            for (int e = 0; e < m * n; e++) al[e * W] = 0;
            continue;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) al[(j * m + i) * W] = s[i * n + j];
    }
    const V zero = {0};
    VI bad = {0};
    for (int e = 0; e < m * n; e++) {
        V x = R(ld)(a + e * W);
        bad |= ~((x - x) == zero); /* x - x is NaN exactly for NaN and Inf */
    }
    if (R(any)(bad))
        for (int e = 0; e < m * n; e++) R(st)(a + e * W, R(sel)(bad, zero, R(ld)(a + e * W)));
    return bad;
}

#define QA(a, m, i, j) ((a) + ((ptrdiff_t)(j) * (m) + (i)) * W)

/* ---- Householder reflectors --------------------------------------------------------- */

/*
 * LAPACK's larfg on column j, rows j..m-1 of a: H = I - tau v vᵀ with v(j) = 1
 * and H (alpha, x) = (beta, 0), beta = -sign(alpha) ‖(alpha, x)‖; tau = 0 and
 * beta = alpha when x is zero. v (below the diagonal) and beta (on it)
 * replace the column; returns tau. Lanes whose largest entry lies outside
 * [SQ_TSML, SQ_TBIG] (underflow- or overflow-scaled data, the rare path) are
 * done one by one on the column scaled by a power of two, as larfg's own
 * rescaling does: tau and v keep full precision, only beta is scaled back.
 */
SQ_BODY V R(larfg)(T *a, int m, int j) {
    T *col = QA(a, m, 0, j);
    V alpha = R(ld)(col + j * W), ss = alpha * alpha, mxx = {0};
    for (int i = j + 1; i < m; i++) {
        V x = R(ld)(col + i * W);
        ss += x * x;
        mxx = R(vmax)(mxx, R(vabs)(x));
    }
    const V zero = {0}, one = R(splat)(1);
    V mx = R(vmax)(mxx, R(vabs)(alpha));
    VI live = mxx != zero;
    VI odd = live & ((mx < R(splat)(SQ_TSML)) | (mx > R(splat)(SQ_TBIG)));
    V norm = R(vsqrt)(ss);
    V beta = R(sel)(live, -R(vsign)(norm, alpha), alpha);
    V d = R(sel)(live & ~odd, alpha - beta, one);
    V tau = R(sel)(live, (beta - alpha) / beta, zero);
    V r = one / d;
    if (!R(any)(odd)) {
        for (int i = j + 1; i < m; i++) R(st)(col + i * W, R(ld)(col + i * W) * r);
        R(st)(col + j * W, beta);
        return tau;
    }
    for (int i = j + 1; i < m; i++) R(st)(col + i * W, R(ld)(col + i * W) * r); /* odd: r = 1 */
    R(st)(col + j * W, beta);
    for (int l = 0; l < W; l++) {
        if (!odd[l]) continue;
        int e;
        TFREXP(mx[l], &e);
        T al = TLDEXP(alpha[l], -e), s = al * al;
        for (int i = j + 1; i < m; i++) {
            T z = TLDEXP(col[i * W + l], -e);
            s += z * z;
        }
        T be = -TCOPYSIGN(TSQRT(s), al), rl = 1 / (al - be);
        tau[l] = (be - al) / be;
        for (int i = j + 1; i < m; i++) col[i * W + l] = TLDEXP(col[i * W + l], -e) * rl;
        col[j * W + l] = TLDEXP(be, e);
    }
    return tau;
}

/* Columns c0..c1-1 of a (rows j..m-1) <- H a, H from the reflector v stored in
 * column j of v (v(j) = 1 implicit): a -= v (tau (vᵀ a)). Four columns at a
 * time share the loads of v. */
SQ_BODY void R(larf)(const T *v, T *a, int m, int j, V tau, int c0, int c1) {
    const T *vc = QA(v, m, 0, j);
    int c = c0;
    for (; c + 4 <= c1; c += 4) {
        T *a0 = QA(a, m, 0, c), *a1 = a0 + m * W, *a2 = a1 + m * W, *a3 = a2 + m * W;
        V s0 = R(ld)(a0 + j * W), s1 = R(ld)(a1 + j * W), s2 = R(ld)(a2 + j * W),
          s3 = R(ld)(a3 + j * W);
        for (int i = j + 1; i < m; i++) {
            V vi = R(ld)(vc + i * W);
            s0 += vi * R(ld)(a0 + i * W);
            s1 += vi * R(ld)(a1 + i * W);
            s2 += vi * R(ld)(a2 + i * W);
            s3 += vi * R(ld)(a3 + i * W);
        }
        s0 *= tau, s1 *= tau, s2 *= tau, s3 *= tau;
        R(st)(a0 + j * W, R(ld)(a0 + j * W) - s0);
        R(st)(a1 + j * W, R(ld)(a1 + j * W) - s1);
        R(st)(a2 + j * W, R(ld)(a2 + j * W) - s2);
        R(st)(a3 + j * W, R(ld)(a3 + j * W) - s3);
        for (int i = j + 1; i < m; i++) {
            V vi = R(ld)(vc + i * W);
            R(st)(a0 + i * W, R(ld)(a0 + i * W) - s0 * vi);
            R(st)(a1 + i * W, R(ld)(a1 + i * W) - s1 * vi);
            R(st)(a2 + i * W, R(ld)(a2 + i * W) - s2 * vi);
            R(st)(a3 + i * W, R(ld)(a3 + i * W) - s3 * vi);
        }
    }
    for (; c < c1; c++) {
        T *a0 = QA(a, m, 0, c);
        V s0 = R(ld)(a0 + j * W);
        for (int i = j + 1; i < m; i++) s0 += R(ld)(vc + i * W) * R(ld)(a0 + i * W);
        s0 *= tau;
        R(st)(a0 + j * W, R(ld)(a0 + j * W) - s0);
        for (int i = j + 1; i < m; i++) R(st)(a0 + i * W, R(ld)(a0 + i * W) - s0 * R(ld)(vc + i * W));
    }
}

/* geqr2: a (m x n) <- R above the diagonal, reflectors below; tau (k lanes). */
SQ_BODY void R(geqr2)(T *a, int m, int n, V *tau) {
    int k = m < n ? m : n;
    for (int j = 0; j < k; j++) {
        tau[j] = R(larfg)(a, m, j);
        if (j + 1 < n) R(larf)(a, a, m, j, tau[j], j + 1, n);
    }
}

/* org2r: columns 0..ncol-1 of a <- the first ncol columns of Q = H(0) ...
 * H(k-1) (m x ncol, k <= ncol <= m), from the reflectors geqr2 left in
 * columns 0..k-1 (backward accumulation as LAPACK's org2r). */
SQ_BODY void R(org2r)(T *a, int m, int ncol, int k, const V *tau) {
    const V zero = {0}, one = R(splat)(1);
    for (int j = k; j < ncol; j++)
        for (int i = 0; i < m; i++) R(st)(QA(a, m, i, j), i == j ? one : zero);
    for (int j = k - 1; j >= 0; j--) {
        T *col = QA(a, m, 0, j);
        if (j + 1 < ncol) {
            R(st)(col + j * W, one);
            R(larf)(a, a, m, j, tau[j], j + 1, ncol);
        }
        V mt = -tau[j];
        for (int i = j + 1; i < m; i++) R(st)(col + i * W, R(ld)(col + i * W) * mt);
        R(st)(col + j * W, one - tau[j]);
        for (int i = 0; i < j; i++) R(st)(col + i * W, zero);
    }
}

/* ---- QR driver over groups [g0, g1) ---------------------------------------------------- */

SQ_TARGET static void R(qr_range)(const lapis_qr_args *p, int64_t g0, int64_t g1) {
    int m = (int)p->m, n = (int)p->n, k = m < n ? m : n;
    T a[LAPIS_SMALL_QR_NMAX * LAPIS_SMALL_QR_NMAX * W] __attribute__((aligned(64)));
    V tau[LAPIS_SMALL_QR_NMAX];
    for (int64_t g = g0; g < g1; g++) {
        const T *src[W];
        int cnt = R(lanes)(src, p->a, g, p->batch, (int64_t)m * n);
        VI bad = R(load)(a, src, m, n);
        R(geqr2)(a, m, n, tau);
        for (int l = 0; l < cnt; l++) { /* R: k x n, zero below the diagonal */
            int64_t b = g * W + l;
            T *r = (T *)p->r + b * k * n;
            p->info[b] = bad[l] ? LAPIS_INFO_NON_FINITE : 0;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < n; j++)
                    r[i * n + j] = bad[l] ? (T)NAN : j < i ? (T)0 : a[(j * m + i) * W + l];
        }
        if (!p->q) continue;
        R(org2r)(a, m, k, k, tau);
        for (int l = 0; l < cnt; l++) {
            T *q = (T *)p->q + (g * W + l) * m * k;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < k; j++) q[i * k + j] = bad[l] ? (T)NAN : a[(j * m + i) * W + l];
        }
    }
}
