/*
 * Batch-interleaved symmetric eigensolvers for matrices of order
 * n <= LAPIS_SMALL_EIGH_NMAX: cyclic Jacobi for n <= 6, Householder
 * tridiagonalisation and implicit QR above. Type- and target-generic:
 * small_eigh.c includes this once per (type, target) with
 *   T, IT        float/int32_t or double/int64_t;  W lanes; V, VI lane vectors
 *   R(name)      the suffixed name;  EIGH_TARGET  a function target attribute
 *   EIGH_SQRT(d, s), EIGH_SQRT_STEP  square roots of STEP lanes, s -> d
 *   EIGH_EPS, EIGH_SFMIN, EIGH_SIGNBIT  epsilon, smallest normal, sign bit
 *   EIGH_MANT, EIGH_BIAS  mantissa bits and exponent bias
 *   EIGH_DE_TINY, EIGH_DE_UP  below which d^2 + e^2 may underflow; a lift
 *
 * A group holds W matrices interleaved: element (i, j) of lane l lives at
 * a[(i * n + j) * W + l] (AE below), so every lane-vector operation is one
 * SIMD operation over W matrices. Only the upper triangle of `a` is used.
 * Lanes past the end of the batch, and lanes whose input is not finite, hold
 * the identity (converged from the start) and are never written back as
 * results.
 *
 * Jacobi (Rutishauser's rotation; Demmel and Veselic's stopping rule): each
 * lane is scaled by a power of two to max |a_ij| in [1/2, 1), exactly; then
 * sweeps over all pairs (p, q), in round-robin order, rotate where
 *   a_pq^2 > eps^2 |a_pp a_qq| and |a_pq| > sfmin,
 * with t = tan(phi) the smaller root of t^2 + 2 theta t - 1 = 0, theta =
 * (a_qq - a_pp) / (2 a_pq), c = cos(phi), s = t c, a_pp -= t a_pq,
 * a_qq += t a_pq, a_pq = 0 (see params). Lanes that need no rotation get
 * t = 0 (an exact identity); a pair that no lane needs is skipped, and a
 * sweep that rotates nowhere ends the group; a group still rotating after
 * the sweep cap fails its unconverged lanes. The eigenvalues are the
 * diagonal, sorted per lane with V's columns, and scaled back.
 *
 * Tridiagonal QR (LAPACK's sytd2 + org2l + steqr, in lanes): the same
 * scaling, Householder reduction to T = Q^T A Q, Q formed, then implicit QR
 * steps with Wilkinson's shift, each lane on its own last unreduced block;
 * an off-diagonal |e_j| <= eps / 2 (<= eps ||A|| after the scaling) is set
 * to 0. Cap: max_sweeps * n steps per group.
 */

#define EIGH_BODY static inline __attribute__((always_inline)) EIGH_TARGET

/* Groups whose QR chases run side by side at n = 8: two fit the 16 AVX2
 * registers; small_eigh.c sets three for its AVX-512VL build (32). */
#ifndef EIGH_NG8
#define EIGH_NG8 2
#define EIGH_NG8_DEFAULT
#endif

/* ---- lane vectors ------------------------------------------------------------------ */

EIGH_BODY V R(ld)(const T *p) { return *(const V *)p; }
EIGH_BODY void R(st)(T *p, V v) { *(V *)p = v; }
EIGH_BODY V R(sel)(VI m, V a, V b) { return (V)(((VI)a & m) | ((VI)b & ~m)); }
EIGH_BODY VI R(seli)(VI m, VI a, VI b) { return (a & m) | (b & ~m); }
EIGH_BODY V R(splat)(T x) { return (V){0} + x; }
EIGH_BODY VI R(splati)(IT x) { return (VI){0} + x; }
EIGH_BODY V R(vabs)(V x) { return (V)((VI)x & ~R(splati)(EIGH_SIGNBIT)); }
/* x with its sign flipped where y is negative (or -0) */
EIGH_BODY V R(mulsign)(V x, V y) { return (V)((VI)x ^ ((VI)y & R(splati)(EIGH_SIGNBIT))); }
EIGH_BODY bool R(any)(VI m) {
    IT acc = 0;
    for (int l = 0; l < W; l++) acc |= m[l];
    return acc != 0;
}
/* Square roots through the target's SIMD instruction (no errno path). */
EIGH_BODY V R(vsqrt)(V x) {
    V r;
    const T *xs = (const T *)&x;
    T *rs = (T *)&r;
    for (int k = 0; k < W; k += EIGH_SQRT_STEP) EIGH_SQRT(rs + k, xs + k);
    return r;
}

/* ---- load, scale, store ------------------------------------------------------------ */

/* Upper triangle of the lanes <- the referenced triangle of src[l] (the
 * lower one transposed), or the identity where src[l] is NULL. Returns the
 * lanes whose triangle holds NaN or Inf. */
EIGH_BODY VI R(load)(T *a, const T *const *src, int n, bool upper) {
    bool scalar = true;
#ifdef EIGH_TR
    bool full = true;
    for (int l = 0; l < W; l++) full &= src[l] != NULL;
    if (full && n % W == 0) {
        /* W x W blocks of the lanes' rows, transposed in registers: block
         * (r, cb) of the rows holds (r, cb + q) of the upper triangle, or
         * (cb + q, r) where the lower one is referenced (lane vectors of
         * the other triangle are written too, and never read) */
        for (int r = 0; r < n; r++)
            for (int cb = 0; cb < n; cb += W) {
                if (upper ? cb + W <= r : cb > r) continue;
                EIGH_TR_REG x[W];
                for (int l = 0; l < W; l++) x[l] = EIGH_TR_LDU(src[l] + r * n + cb);
                EIGH_TR(x);
                for (int q = 0; q < W; q++)
                    R(st)(upper ? AE(a, n, r, cb + q) : AE(a, n, cb + q, r), (V)x[q]);
            }
        scalar = false;
    }
#endif
    for (int l = 0; l < W && scalar; l++) {
        const T *s = src[l];
        T *al = a + l;
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
                al[(i * n + j) * W] = !s ? (T)(i == j) : upper ? s[i * n + j] : s[j * n + i];
    }
    const V zero = {0};
    VI bad = {0};
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            V x = R(ld)(AE(a, n, i, j));
            bad |= ~((x - x) == zero); /* x - x is NaN exactly for NaN and Inf */
        }
    return bad;
}

/* Lanes in bad become the identity; every lane is multiplied by 2^-e, with
 * max |a_ij| = f 2^e, f in [1/2, 1) (two factors, so that subnormal maxima
 * scale too); *u1 * *u2 = 2^e undoes it. Powers of two: exact. */
EIGH_BODY void R(scale)(T *a, int n, VI bad, V *u1, V *u2) {
    const V zero = {0}, one = R(splat)(1);
    V amax = zero;
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            T *pij = AE(a, n, i, j);
            V x = R(sel)(bad, i == j ? one : zero, R(ld)(pij));
            R(st)(pij, x);
            V ax = R(vabs)(x);
            amax = R(sel)(ax > amax, ax, amax);
        }
    /* the exponent field, after lifting subnormal maxima by 2^64 */
    VI sub = amax < R(splat)(EIGH_SFMIN);
    V lifted = R(sel)(sub, amax * R(splat)((T)18446744073709551616.0), amax);
    VI e = (((VI)lifted >> EIGH_MANT) & R(splati)(2 * EIGH_BIAS + 1)) - R(splati)(EIGH_BIAS - 1);
    e -= sub & R(splati)(64);
    e = R(seli)(amax == zero, R(splati)(0), e);
    VI k1 = -e / 2, k2 = -e - k1, bias = R(splati)(EIGH_BIAS);
    V s1 = (V)((k1 + bias) << EIGH_MANT), s2 = (V)((k2 + bias) << EIGH_MANT);
    *u1 = (V)((bias - k1) << EIGH_MANT);
    *u2 = (V)((bias - k2) << EIGH_MANT);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            T *pij = AE(a, n, i, j);
            R(st)(pij, R(ld)(pij) * s1 * s2);
        }
}

/* Lanes that still need the rotation (p, q): a_pq^2 > eps^2 |a_pp a_qq|, and
 * |a_pq| > sfmin. Squares, not square roots, to spare the divide/sqrt unit:
 * below 2^-(EMAX/2) (lanes are scaled to max |a_ij| ~ 1) the squares
 * underflow and such a_pq are left, a normwise-negligible change. */
EIGH_BODY VI R(needs)(V app, V aqq, V apq) {
    V lhs = apq * apq, rhs = R(splat)(EIGH_EPS * EIGH_EPS) * R(vabs)(app * aqq);
    return (lhs > rhs) & (R(vabs)(apq) > R(splat)(EIGH_SFMIN));
}

/* g <- c g - s h, h <- s g + c h over `len` element pairs at strides gs, hs. */
EIGH_BODY void R(rot)(T *g, ptrdiff_t gs, T *h, ptrdiff_t hs, int len, V c, V s) {
    for (int r = 0; r < len; r++) {
        T *gr = g + r * gs, *hr = h + r * hs;
        V x = R(ld)(gr), y = R(ld)(hr);
        R(st)(gr, c * x - s * y);
        R(st)(hr, s * x + c * y);
    }
}

/* ---- Jacobi ------------------------------------------------------------------------ */

/* The rotation (p, q) for the lanes in rot of group a: *c, *s, and the new
 * a_pp, a_qq, a_pq = 0 stored; the other lanes get c = 1, s = 0, an exact
 * identity. With d = a_qq - a_pp and e = 2 a_pq (scaled up together where
 * d^2 + e^2 would underflow: only their ratio matters), r = sqrt(d^2 + e^2),
 * u = |d| + r, q = sqrt(u^2 + e^2): t = sign(d) e / u, c = u / q,
 * s = sign(d) e / q, all from one reciprocal z = 1 / (u q). The mask comes
 * last, off the divide/sqrt chain. */
EIGH_BODY void R(params)(T *a, int n, int p, int q, VI rot, V *c, V *s) {
    const V zero = {0}, one = R(splat)(1);
    T *pp = AE(a, n, p, p), *qq = AE(a, n, q, q), *pq = AE(a, n, p, q);
    V app = R(ld)(pp), aqq = R(ld)(qq), apq = R(ld)(pq);
    V d = aqq - app, e = apq + apq;
    V ad = R(vabs)(d), ae = R(vabs)(e);
    VI lift = R(sel)(ad > ae, ad, ae) < R(splat)(EIGH_DE_TINY);
    V up = R(sel)(lift, R(splat)(EIGH_DE_UP), one);
    ad *= up, e = R(mulsign)(e * up, d);
    V u = ad + R(vsqrt)(ad * ad + e * e);
    V qv = R(vsqrt)(u * u + e * e);
    V z = one / (u * qv), eu = e * z;
    V t = R(sel)(rot, eu * qv, zero);
    /* u (u z), not u u z: u * u then feeds the sum above alone, and its
     * contraction into an FMA cannot change where c is unused (values only:
     * the eigenvalues must match the vector run's) */
    *c = R(sel)(rot, u * (u * z), one);
    *s = R(sel)(rot, eu * u, zero);
    V tapq = t * apq;
    R(st)(pp, app - tapq);
    R(st)(qq, aqq + tapq);
    R(st)(pq, R(sel)(rot, zero, apq));
}

/* Applies the rotation (p, q) to the rest of rows/columns p and q of the
 * upper triangle of a, and to columns p and q of v when vecs. off, when not
 * NULL, lists the offsets in a of those n - 2 element pairs (g, h): one loop
 * of a fixed length, which unrolls where n is a constant. */
EIGH_BODY void R(apply)(T *a, T *v, int n, int p, int q, const int16_t *off, V c, V s,
                        bool vecs) {
    const ptrdiff_t row = (ptrdiff_t)n * W; /* stride between rows */
    if (off) {
        for (int r = 0; r < n - 2; r++) {
            T *gr = a + off[2 * r], *hr = a + off[2 * r + 1];
            V x = R(ld)(gr), y = R(ld)(hr);
            R(st)(gr, c * x - s * y);
            R(st)(hr, s * x + c * y);
        }
    } else {
        R(rot)(AE(a, n, 0, p), row, AE(a, n, 0, q), row, p, c, s);
        R(rot)(AE(a, n, p, p + 1), W, AE(a, n, p + 1, q), row, q - p - 1, c, s);
        R(rot)(AE(a, n, p, q + 1), W, AE(a, n, q, q + 1), W, n - q - 1, c, s);
    }
    if (vecs) R(rot)(AE(v, n, 0, p), row, AE(v, n, 0, q), row, n, c, s);
}

EIGH_BODY VI R(needs_pq)(const T *a, int n, int p, int q) {
    return R(needs)(R(ld)(AE(a, n, p, p)), R(ld)(AE(a, n, q, q)), R(ld)(AE(a, n, p, q)));
}

#define EIGH_HALF (LAPIS_SMALL_EIGH_NMAX / 2)
#define EIGH_NGMAX 4
/* orders up to this one (all of Jacobi's) get a table of apply's offsets per pair */
#define EIGH_OFF_NMAX 6
#define EIGH_OFF_NP (EIGH_OFF_NMAX * (EIGH_OFF_NMAX - 1) / 2)
#define EIGH_OFF_LEN (EIGH_OFF_NP * 2 * (EIGH_OFF_NMAX - 2))


/* Jacobi sweeps over ng groups at once (a + k gs, v + k gs, k < ng), the
 * pairs in rounds of n/2 disjoint ones (pairs[0..n(n-1)/2-1]; offs, when not
 * NULL, their apply offsets, 2 (n - 2) per pair). A round's rotations
 * commute, so all their parameters are computed first, from independent
 * divide/sqrt chains, then applied. Accumulates the rotations into v when
 * vecs. fail[k] <- the lanes of group k that had not converged after
 * max_sweeps. */
EIGH_BODY void R(jacobi)(T *a, T *v, ptrdiff_t gs, int ng, int n, const uint8_t *pairs,
                         const int16_t *offs, bool vecs, int max_sweeps, VI *fail) {
    const V zero = {0}, one = R(splat)(1);
    const int h = n / 2, np = n * (n - 1) / 2; /* pairs per round, per sweep */
    if (vecs)
        for (int k = 0; k < ng; k++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) R(st)(AE(v + k * gs, n, i, j), i == j ? one : zero);
    for (int k = 0; k < ng; k++) fail[k] = (VI){0};
    for (int sweep = 0; sweep < max_sweeps; sweep++) {
        bool rotated = false;
        for (int x0 = 0; x0 < np; x0 += h) {
            const uint8_t *pr = pairs + 2 * x0;
            VI rot[EIGH_NGMAX][EIGH_HALF];
            V c[EIGH_NGMAX][EIGH_HALF], s[EIGH_NGMAX][EIGH_HALF];
            bool act[EIGH_HALF];
            for (int x = 0; x < h; x++) {
                VI any = {0};
                for (int k = 0; k < ng; k++)
                    any |= rot[k][x] = R(needs_pq)(a + k * gs, n, pr[2 * x], pr[2 * x + 1]);
                act[x] = R(any)(any);
                rotated |= act[x];
            }
            for (int x = 0; x < h; x++)
                for (int k = 0; k < ng; k++)
                    if (act[x])
                        R(params)(a + k * gs, n, pr[2 * x], pr[2 * x + 1], rot[k][x], &c[k][x],
                                  &s[k][x]);
                    else /* never applied; set for the compiler's flow analysis */
                        c[k][x] = one, s[k][x] = zero;
            for (int x = 0; x < h; x++) {
                const int16_t *off = offs ? offs + 2 * (n - 2) * (x0 + x) : NULL;
                if (act[x])
                    for (int k = 0; k < ng; k++)
                        R(apply)(a + k * gs, v + k * gs, n, pr[2 * x], pr[2 * x + 1], off,
                                 c[k][x], s[k][x], vecs);
            }
        }
        if (!rotated) return;
    }
    for (int x = 0; x < np; x++)
        for (int k = 0; k < ng; k++)
            fail[k] |= R(needs_pq)(a + k * gs, n, pairs[2 * x], pairs[2 * x + 1]);
}
#undef EIGH_HALF

/* ---- Householder tridiagonalisation and implicit QR ------------------------------- */

/* Upper triangle of group a (order n >= 2) <- its tridiagonal form Q^T A Q
 * by Householder reflections H_k = I - tau_k v v^T (LAPACK's sytd2 on rows:
 * H_k zeroes row k right of k + 1). d, e: the diagonal and superdiagonal;
 * v (v_{k+1} = 1) is left in row k right of k + 1 and tau_k in tau[k].
 * Lanes whose row tail sums to a square below EIGH_DE_TINY^2 (normwise
 * negligible: lanes are scaled to max |a_ij| ~ 1) take no reflection and
 * have that tail zeroed. */
EIGH_BODY void R(tridiag)(T *a, int n, V *d, V *e, int ds, V *tau) {
    const V zero = {0}, one = R(splat)(1), half = R(splat)((T)0.5);
    const V tiny2 = R(splat)((T)EIGH_DE_TINY * (T)EIGH_DE_TINY);
    for (int k = 0; k + 2 < n; k++) {
        V alpha = R(ld)(AE(a, n, k, k + 1)), sig = zero;
        for (int j = k + 2; j < n; j++) {
            V x = R(ld)(AE(a, n, k, j));
            sig += x * x;
        }
        VI refl = sig > tiny2;
        V nrm = R(vsqrt)(alpha * alpha + sig);
        V beta = -R(mulsign)(nrm, alpha); /* -sign(alpha) ||x|| */
        V g = alpha - beta;               /* |g| = |alpha| + ||x|| */
        V z = one / (beta * g);
        V t = R(sel)(refl, -(g * g) * z, zero); /* (beta - alpha) / beta */
        V sc = R(sel)(refl, beta * z, zero);    /* 1 / g */
        tau[k] = t;
        d[k * ds] = R(ld)(AE(a, n, k, k));
        e[k * ds] = R(sel)(refl, beta, alpha);
        V v[LAPIS_SMALL_EIGH_NMAX], pv[LAPIS_SMALL_EIGH_NMAX];
        v[k + 1] = one;
        for (int j = k + 2; j < n; j++) {
            v[j] = R(ld)(AE(a, n, k, j)) * sc;
            R(st)(AE(a, n, k, j), v[j]);
        }
        /* p = tau B v over the trailing block B (upper triangle stored) */
        for (int i = k + 1; i < n; i++) pv[i] = R(ld)(AE(a, n, i, i)) * v[i];
        for (int i = k + 1; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                V b = R(ld)(AE(a, n, i, j));
                pv[i] += b * v[j];
                pv[j] += b * v[i];
            }
        V kk = zero;
        for (int i = k + 1; i < n; i++) {
            pv[i] *= t;
            kk += pv[i] * v[i];
        }
        kk *= half * t;
        for (int i = k + 1; i < n; i++) pv[i] -= kk * v[i]; /* w = p - (tau/2)(p.v) v */
        for (int i = k + 1; i < n; i++)
            for (int j = i; j < n; j++) {
                T *b = AE(a, n, i, j);
                R(st)(b, R(ld)(b) - v[i] * pv[j] - pv[i] * v[j]);
            }
    }
    d[(n - 2) * ds] = R(ld)(AE(a, n, n - 2, n - 2));
    d[(n - 1) * ds] = R(ld)(AE(a, n, n - 1, n - 1));
    e[(n - 2) * ds] = R(ld)(AE(a, n, n - 2, n - 1));
}

/* q (full, interleaved) <- H_0 H_1 ... H_{n-3}, accumulated backwards (as
 * LAPACK's org2l) from the reflections tridiag left in a and tau. */
EIGH_BODY void R(form_q)(const T *a, T *q, int n, const V *tau) {
    const V zero = {0}, one = R(splat)(1);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) R(st)(AE(q, n, i, j), i == j ? one : zero);
    for (int k = n - 3; k >= 0; k--) {
        V v[LAPIS_SMALL_EIGH_NMAX];
        for (int i = k + 2; i < n; i++) v[i] = R(ld)(AE(a, n, k, i));
        for (int j = k + 1; j < n; j++) {
            V qk = R(ld)(AE(q, n, k + 1, j)), u = qk;
            for (int i = k + 2; i < n; i++) u += v[i] * R(ld)(AE(q, n, i, j));
            u *= tau[k];
            R(st)(AE(q, n, k + 1, j), qk - u);
            for (int i = k + 2; i < n; i++) R(st)(AE(q, n, i, j), R(ld)(AE(q, n, i, j)) - v[i] * u);
        }
    }
}

EIGH_BODY bool R(all)(VI m) {
    IT acc = -1;
    for (int l = 0; l < W; l++) acc &= m[l];
    return acc != 0;
}

/* Rotations of one group's QR steps kept for its q: per step its k0 and l,
 * then c and s for k = k0 .. l-1. A full buffer is applied and emptied. */
#define EIGH_ROT_CAP 128
typedef struct {
    int nsteps, used;
    int8_t k0[EIGH_ROT_CAP], l[EIGH_ROT_CAP];
    V cs[EIGH_ROT_CAP * 2];
} R(rotbuf);

/* q <- q G_k^T for the buffer's steps in order, G_k the rotation of rows
 * k, k+1: columns k, k+1 of q become c q_k + s q_{k+1}, c q_{k+1} - s q_k.
 * Each row carries its column k+1 from one rotation to the next. */
EIGH_BODY void R(apply_rots)(R(rotbuf) *b, T *q, int n) {
    const V *cs = b->cs;
    for (int st = 0; st < b->nsteps; st++) {
        int k0 = b->k0[st], l = b->l[st];
        V x[LAPIS_SMALL_EIGH_NMAX];
        for (int i = 0; i < n; i++) x[i] = R(ld)(AE(q, n, i, k0));
        for (int k = k0; k < l; k++, cs += 2) {
            V c = cs[0], s = cs[1];
            for (int i = 0; i < n; i++) {
                V y = R(ld)(AE(q, n, i, k + 1));
                R(st)(AE(q, n, i, k), c * x[i] + s * y);
                x[i] = c * y - s * x[i];
            }
        }
        for (int i = 0; i < n; i++) R(st)(AE(q, n, i, l), x[i]);
    }
    b->nsteps = b->used = 0;
}

/* Implicit symmetric QR with Wilkinson's shift on the tridiagonals (d, e)
 * of order n of ng groups (group g: d[i * ng + g], e[i * ng + g]; its q at
 * q + g gs when vecs). Each step of a group works, in every lane, on the
 * lane's last unreduced block [m, l] (an e_j negligible normwise, |e_j| <=
 * eps / 2 <= eps ||A|| for lanes scaled to max |a_ij| >= 1/2, is set to
 * 0; LAPACK's steqr asks e_j^2 <= eps^2 |d_j d_{j+1}|, which costs steps
 * near zero eigenvalues and buys no backward accuracy); lanes chase their own
 * bulge from m to l in lockstep, and rotate by the identity (c = 1, s = 0:
 * exact) outside their block. A lane is done when no e_j is left. Each
 * rotation G (rows k, k+1) makes T <- G T G^T and q <- q G^T, so
 * A = q T q^T holds throughout. The groups keep their own schedules, but
 * their chases run side by side (each is one chain of divide/sqrt
 * latencies); q's rotations are buffered and applied apart. After
 * max_steps steps of a group its lanes not yet done fail (fail[g]). */
EIGH_BODY void R(tridiag_qr)(V *d, V *e, T *q, ptrdiff_t gs, int ng, int n, bool vecs,
                             int max_steps, VI *fail, R(rotbuf) *rb) {
    const V zero = {0}, one = R(splat)(1), two = R(splat)(2), half = R(splat)((T)0.5);
    const V tiny2 = R(splat)((T)EIGH_DE_TINY * (T)EIGH_DE_TINY);
    const V negl2 = R(splat)((T)(EIGH_EPS * EIGH_EPS * 0.25));
    VI m[EIGH_NGMAX], lv[EIGH_NGMAX];
    V mu[EIGH_NGMAX], dk[EIGH_NGMAX], xk[EIGH_NGMAX], bk[EIGH_NGMAX], bz[EIGH_NGMAX];
    int k0[EIGH_NGMAX], len[EIGH_NGMAX], steps[EIGH_NGMAX];
    bool fin[EIGH_NGMAX];
    V *cs[EIGH_NGMAX];
    for (int g = 0; g < ng; g++) {
        fail[g] = (VI){0};
        steps[g] = 0;
        fin[g] = false;
        rb[g].nsteps = rb[g].used = 0;
    }
    for (;;) {
        int maxlen = 0;
        for (int g = 0; g < ng; g++) {
            len[g] = 0;
            if (fin[g]) continue;
            /* each lane's last unreduced block [m, l] (l = 0: done) */
            VI neg[LAPIS_SMALL_EIGH_NMAX], l = R(splati)(0), mm = R(splati)(0);
            for (int j = 0; j + 1 < n; j++) {
                V ej = e[j * ng + g];
                neg[j] = ej * ej <= negl2;
                e[j * ng + g] = R(sel)(neg[j], zero, ej);
                l = R(seli)(neg[j], l, R(splati)(j + 1));
            }
            for (int j = 0; j + 1 < n; j++)
                mm = R(seli)(neg[j] & (R(splati)(j + 1) < l), R(splati)(j + 1), mm);
            VI done = l == R(splati)(0);
            if (R(all)(done)) {
                fin[g] = true;
                continue;
            }
            if (steps[g]++ == max_steps) {
                fail[g] = ~done;
                fin[g] = true;
                continue;
            }
            IT kmin = n, kmax = 0;
            for (int ln = 0; ln < W; ln++) {
                if (done[ln]) continue;
                kmin = mm[ln] < kmin ? mm[ln] : kmin;
                kmax = l[ln] > kmax ? l[ln] : kmax;
            }
            m[g] = R(seli)(done, R(splati)(n), mm);
            lv[g] = l;
            k0[g] = (int)kmin;
            len[g] = (int)(kmax - kmin);
            maxlen = len[g] > maxlen ? len[g] : maxlen;
            if (vecs) {
                if (rb[g].used + len[g] > EIGH_ROT_CAP) R(apply_rots)(&rb[g], q + g * gs, n);
                cs[g] = rb[g].cs + 2 * rb[g].used;
                rb[g].k0[rb[g].nsteps] = (int8_t)kmin;
                rb[g].l[rb[g].nsteps++] = (int8_t)kmax;
                rb[g].used += len[g];
            }
            /* Wilkinson's shift: the eigenvalue of the trailing 2 x 2 of
             * the block nearer d_l */
            V dl = zero, dl1 = zero, el = zero;
            for (int j = 1; j < n; j++) {
                VI at = l == R(splati)(j);
                dl = R(sel)(at, d[j * ng + g], dl);
                dl1 = R(sel)(at, d[(j - 1) * ng + g], dl1);
                el = R(sel)(at, e[(j - 1) * ng + g], el);
            }
            V del = (dl1 - dl) * half;
            V r = R(vsqrt)(del * del + el * el);
            V den = del + R(mulsign)(r, del);
            mu[g] = dl - el * (el / den);
            dk[g] = d[k0[g] * ng + g];
            xk[g] = k0[g] > 0 ? e[(k0[g] - 1) * ng + g] : zero;
            bk[g] = e[k0[g] * ng + g];
            bz[g] = zero;
        }
        if (maxlen == 0) {
            bool all = true;
            for (int g = 0; g < ng; g++) all &= fin[g];
            if (all) break;
            continue;
        }
        /* the chases, side by side: d_k, e_{k-1} (x), e_k (b) and the bulge
         * (z) carried in registers from one rotation to the next. With
         * r^2 = x^2 + z^2, c = x / r and s = z / r, the updates are written
         * with 1 / r^2 (a division beside the square root, not after it):
         *   h = s (s (d_{k+1} - d_k) + 2 c b) = z (z (d_{k+1} - d_k) + 2 x b) / r^2
         *   e_k' = c s (d_{k+1} - d_k) + (c^2 - s^2) b = P / r^2.
         * (Carrying r^2 of the next rotation as e_k'^2 + (z^2 / r^2) e_{k+1}^2,
         * which keeps the square root off the chain, measured no faster.) */
        for (int jj = 0; jj < maxlen; jj++)
            for (int g = 0; g < ng; g++) {
                if (jj >= len[g]) continue;
                int k = k0[g] + jj;
                VI kv = R(splati)(k);
                VI start = m[g] == kv, cont = (m[g] < kv) & (kv < lv[g]), act = start | cont;
                V x = R(sel)(start, dk[g] - mu[g], xk[g]), z = R(sel)(start, bk[g], bz[g]);
                V b0 = bk[g], c0 = d[(k + 1) * ng + g], diff = c0 - dk[g];
                V x2z2 = x * x + z * z;
                V inv = one / x2z2, rr = R(vsqrt)(x2z2), ri = rr * inv;
                VI big = x2z2 > tiny2;
                act &= big;
                V c = R(sel)(act, x * ri, one), s = R(sel)(act, z * ri, zero);
                if (k > 0) e[(k - 1) * ng + g] = R(sel)(cont & big, rr, xk[g]);
                V pp = x * z * diff + (x * x - z * z) * b0;
                V h = R(sel)(act, z * (z * diff + two * x * b0) * inv, zero);
                d[k * ng + g] = dk[g] + h;
                dk[g] = c0 - h;
                xk[g] = R(sel)(act, pp * inv, b0);
                if (jj + 1 == len[g]) { /* the last rotation of every lane by now */
                    d[(k + 1) * ng + g] = dk[g];
                    e[k * ng + g] = xk[g];
                }
                if (k + 2 < n) {
                    V e1 = e[(k + 1) * ng + g];
                    bz[g] = s * e1;
                    bk[g] = c * e1;
                }
                if (vecs) cs[g][2 * jj] = c, cs[g][2 * jj + 1] = s;
            }
    }
    if (vecs)
        for (int g = 0; g < ng; g++) R(apply_rots)(&rb[g], q + g * gs, n);
}

/* Lane l's results: eigenvalues ascending (unscaled by u), V's columns in
 * the same order; NaN when info. */
EIGH_BODY void R(store)(const lapis_eigh_args *p, int64_t m, int l, const T *a, const T *v,
                        int n, int32_t info, T u1, T u2) {
    T *w = (T *)p->w + m * n, *vo = p->v ? (T *)p->v + m * n * n : NULL;
    p->info[m] = info;
    if (info) {
        for (int j = 0; j < n; j++) w[j] = (T)NAN;
        if (vo)
            for (int e = 0; e < n * n; e++) vo[e] = (T)NAN;
        return;
    }
    T d[LAPIS_SMALL_EIGH_NMAX];
    int idx[LAPIS_SMALL_EIGH_NMAX];
    for (int i = 0; i < n; i++) {
        T x = a[(i * n + i) * W + l];
        int j = i;
        for (; j > 0 && d[j - 1] > x; j--) { /* insertion sort, stable */
            d[j] = d[j - 1];
            idx[j] = idx[j - 1];
        }
        d[j] = x;
        idx[j] = i;
    }
    for (int j = 0; j < n; j++) w[j] = d[j] * u1 * u2;
    if (vo)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) vo[i * n + j] = v[(i * n + idx[j]) * W + l];
}

/* Group gi of the batch (its matrices gi W .. gi W + W-1) into a: loaded,
 * checked and scaled (*u1 *u2 undoes the scaling). Lanes past the batch,
 * and every lane when !real (padding), hold the identity. Returns the lanes
 * whose input is not finite. */
EIGH_BODY VI R(load_group)(const lapis_eigh_args *p, int64_t gi, bool real, T *a, int n, V *u1,
                           V *u2) {
    const T *src[W];
    for (int l = 0; l < W; l++) {
        int64_t i = gi * W + l;
        src[l] = real && i < p->batch ? (const T *)p->a + i * n * n : NULL;
    }
    VI bad = R(load)(a, src, n, p->upper);
    R(scale)(a, n, bad, u1, u2);
    return bad;
}

/* Group gi's results, for its lanes within the batch. */
EIGH_BODY void R(store_group)(const lapis_eigh_args *p, int64_t gi, const T *a, const T *v, int n,
                              VI bad, VI fail, V u1, V u2) {
    VI info = R(seli)(bad, R(splati)(LAPIS_INFO_NON_FINITE),
                      fail & R(splati)(LAPIS_INFO_NO_CONVERGENCE));
    for (int l = 0; l < W && gi * W + l < p->batch; l++)
        R(store)(p, gi * W + l, l, a, v, n, (int32_t)info[l], u1[l], u2[l]);
}

/* Groups g0 .. g1-1 of W matrices of order n (= p->n), NG at a time; a and
 * v hold NG groups. */
EIGH_BODY void R(range_body)(const lapis_eigh_args *p, int64_t g0, int64_t g1, int max_sweeps,
                             T *a, T *v, int n, int NG) {
    int np = 0;
    int64_t nn = (int64_t)n * n;
    ptrdiff_t gs = (ptrdiff_t)nn * W;
    uint8_t pairs[LAPIS_SMALL_EIGH_NMAX * (LAPIS_SMALL_EIGH_NMAX - 1)];
    /* round-robin order: each round's n/2 pairs are disjoint, so their
     * rotations' divide/sqrt chains are independent */
    int m = n + (n & 1);
    for (int r = 0; r + 1 < m; r++)
        for (int k = 0; k < m / 2; k++) {
            int i = k == 0 ? m - 1 : (r + k) % (m - 1), j = (r - k + m - 1) % (m - 1);
            if (i >= n || j >= n) continue;
            pairs[2 * np] = (uint8_t)(i < j ? i : j);
            pairs[2 * np + 1] = (uint8_t)(i < j ? j : i);
            np++;
        }
    int16_t offs[EIGH_OFF_LEN], *o = offs;
    for (int x = 0; x < np && n <= EIGH_OFF_NMAX; x++) { /* R(apply)'s order */
        int pp = pairs[2 * x], q = pairs[2 * x + 1];
        for (int k = 0; k < n; k++) {
            if (k == pp || k == q) continue;
            *o++ = (int16_t)((k < pp ? k * n + pp : pp * n + k) * W);
            *o++ = (int16_t)((k < q ? k * n + q : q * n + k) * W);
        }
    }
    const int16_t *off = n <= EIGH_OFF_NMAX ? offs : NULL;
    for (int64_t g = g0; g < g1; g += NG) {
        int ng = g1 - g < NG ? (int)(g1 - g) : NG;
        VI bad[EIGH_NGMAX], fail[EIGH_NGMAX];
        V u1[EIGH_NGMAX], u2[EIGH_NGMAX];
        for (int k = 0; k < ng; k++)
            bad[k] = R(load_group)(p, g + k, true, a + k * gs, n, &u1[k], &u2[k]);
        if (ng == NG && p->v)
            R(jacobi)(a, v, gs, NG, n, pairs, off, true, max_sweeps, fail);
        else if (ng == NG)
            R(jacobi)(a, v, gs, NG, n, pairs, off, false, max_sweeps, fail);
        else
            for (int k = 0; k < ng; k++)
                R(jacobi)(a + k * gs, v + k * gs, gs, 1, n, pairs, off, p->v != NULL, max_sweeps,
                          fail + k);
        for (int k = 0; k < ng; k++)
            R(store_group)(p, g + k, a + k * gs, v + k * gs, n, bad[k], fail[k], u1[k], u2[k]);
    }
}

/* The ng groups from g on (none when ng <= 0): their input is prefetched for
 * reading, and their outputs for writing, a whole compute phase ahead (the
 * lanes' outputs leave by scalar stores). float64 n = 8, batch 100000, two
 * threads: 0.94x the time. */
EIGH_BODY void R(prefetch_groups)(const lapis_eigh_args *p, int64_t g, int64_t ng, int n) {
    if (ng <= 0) return;
    const int64_t nn = (int64_t)n * n, m0 = g * W;
    const int64_t m1 = (g + ng) * W < p->batch ? (g + ng) * W : p->batch;
    const char *a0 = (const char *)((const T *)p->a + m0 * nn);
    const char *a1 = (const char *)((const T *)p->a + m1 * nn);
    for (const char *c = a0; c < a1; c += 64) __builtin_prefetch(c, 0, 3);
    if (p->v) {
        char *v0 = (char *)((T *)p->v + m0 * nn), *v1 = (char *)((T *)p->v + m1 * nn);
        for (char *c = v0; c < v1; c += 64) __builtin_prefetch(c, 1, 3);
    }
    char *w0 = (char *)((T *)p->w + m0 * n), *w1 = (char *)((T *)p->w + m1 * n);
    for (char *c = w0; c < w1; c += 64) __builtin_prefetch(c, 1, 3);
}

/* Groups g0 .. g1-1 of W matrices of order n >= 3 by tridiagonal QR, NG
 * groups at a time (a and v hold NG); a last partial step pads with
 * identity groups, so that NG and vecs stay constants of the copy. */
EIGH_BODY void R(range_qr)(const lapis_eigh_args *p, int64_t g0, int64_t g1, int max_sweeps,
                           T *a, T *v, int n, int NG, bool vecs) {
    int64_t nn = (int64_t)n * n;
    ptrdiff_t gs = (ptrdiff_t)nn * W;
    for (int64_t g = g0; g < g1; g += NG) {
        R(prefetch_groups)(p, g + NG, g1 - g - NG < NG ? g1 - g - NG : NG, n);
        VI bad[EIGH_NGMAX], fail[EIGH_NGMAX];
        V u1[EIGH_NGMAX], u2[EIGH_NGMAX];
        V d[EIGH_NGMAX * LAPIS_SMALL_EIGH_NMAX], e[EIGH_NGMAX * LAPIS_SMALL_EIGH_NMAX];
        for (int k = 0; k < NG; k++) {
            bad[k] = R(load_group)(p, g + k, g + k < g1, a + k * gs, n, &u1[k], &u2[k]);
            V tau[LAPIS_SMALL_EIGH_NMAX];
            R(tridiag)(a + k * gs, n, d + k, e + k, NG, tau);
            if (vecs) R(form_q)(a + k * gs, v + k * gs, n, tau);
        }
        R(rotbuf) rb[EIGH_NGMAX];
        R(tridiag_qr)(d, e, v, gs, NG, n, vecs, max_sweeps * n, fail, rb);
        for (int k = 0; k < NG && g + k < g1; k++) {
            for (int i = 0; i < n; i++) R(st)(AE(a + k * gs, n, i, i), d[i * NG + k]);
            R(store_group)(p, g + k, a + k * gs, v + k * gs, n, bad[k], fail[k], u1[k], u2[k]);
        }
    }
}

/* Orders up to EIGH_JACOBI_NMAX go to Jacobi, larger ones to tridiagonal QR
 * (measured: equal at n = 5..7, QR 1.3x at 8, 2-3x at 16-32). Tiny orders
 * run several groups at a time: a Jacobi round has n/2 independent
 * rotation chains, and a QR chase one, too few to hide the divide/sqrt
 * latency alone; n > 16 runs one group, to stay in the L1 cache. */
#define EIGH_JACOBI_NMAX 6
#define EIGH_NG2_NMAX 16
EIGH_TARGET static void R(eigh_range)(const lapis_eigh_args *p, int64_t g0, int64_t g1,
                                      int max_sweeps) {
    /* orders 1..4 and 8 get their own copies with n a constant: the loops
     * over the order unroll (8 is issue 6's target); the rest share one */
    int n = (int)p->n;
    if (n <= 4) { /* measured: 4 groups ~12% faster than 2 at n = 3, 4 */
        T a[4 * 4 * 4 * W] __attribute__((aligned(64)));
        T v[4 * 4 * 4 * W] __attribute__((aligned(64)));
        if (n == 3) R(range_body)(p, g0, g1, max_sweeps, a, v, 3, 4);
        else if (n == 4) R(range_body)(p, g0, g1, max_sweeps, a, v, 4, 4);
        else if (n == 2) R(range_body)(p, g0, g1, max_sweeps, a, v, 2, 4);
        else R(range_body)(p, g0, g1, max_sweeps, a, v, 1, 4);
    } else if (n <= EIGH_JACOBI_NMAX) {
        T a[2 * EIGH_JACOBI_NMAX * EIGH_JACOBI_NMAX * W] __attribute__((aligned(64)));
        T v[2 * EIGH_JACOBI_NMAX * EIGH_JACOBI_NMAX * W] __attribute__((aligned(64)));
        R(range_body)(p, g0, g1, max_sweeps, a, v, n, 2);
    } else if (n <= EIGH_NG2_NMAX) {
        T a[2 * EIGH_NG2_NMAX * EIGH_NG2_NMAX * W] __attribute__((aligned(64)));
        T v[2 * EIGH_NG2_NMAX * EIGH_NG2_NMAX * W] __attribute__((aligned(64)));
        if (n == 8 && p->v) R(range_qr)(p, g0, g1, max_sweeps, a, v, 8, EIGH_NG8, true);
        else if (n == 8) R(range_qr)(p, g0, g1, max_sweeps, a, v, 8, EIGH_NG8, false);
        else if (p->v) R(range_qr)(p, g0, g1, max_sweeps, a, v, n, 2, true);
        else R(range_qr)(p, g0, g1, max_sweeps, a, v, n, 2, false);
    } else {
        T a[LAPIS_SMALL_EIGH_NMAX * LAPIS_SMALL_EIGH_NMAX * W] __attribute__((aligned(64)));
        T v[LAPIS_SMALL_EIGH_NMAX * LAPIS_SMALL_EIGH_NMAX * W] __attribute__((aligned(64)));
        if (p->v) R(range_qr)(p, g0, g1, max_sweeps, a, v, n, 1, true);
        else R(range_qr)(p, g0, g1, max_sweeps, a, v, n, 1, false);
    }
}
#undef EIGH_JACOBI_NMAX
#undef EIGH_NG2_NMAX
#undef EIGH_NGMAX
#undef EIGH_OFF_NMAX
#undef EIGH_OFF_NP
#undef EIGH_OFF_LEN

#undef EIGH_BODY
#ifdef EIGH_NG8_DEFAULT
#undef EIGH_NG8
#undef EIGH_NG8_DEFAULT
#endif
