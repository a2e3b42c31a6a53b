/*
 * pinv: the four Penrose conditions (ratios below 30), MLX's cutoff, zero
 * sizes. lstsq (+_ex): the normal equations on well-conditioned data, the
 * truncated-SVD solution on rank-deficient data, residuals, rank and
 * singular values, vector b, batch broadcasting, zero sizes, non-finite
 * input, argument errors. Four dtypes.
 */
#include "spectral_util.h"

static ld s_norm1_of(const lcx *a, int64_t m, int64_t n) { return s_norm1(a, m, n); }

/* c = a b (m x k times k x n) in long double */
static void s_prod(lcx *c, const lcx *a, const lcx *b, int64_t m, int64_t k, int64_t n, bool cplx) {
    s_sub_prod(c, NULL, a, b, m, k, n, true);
    for (int64_t i = 0; i < m * n; i++) c[i] = -c[i];
    (void)cplx;
}

/* ‖X − Y‖₁ */
static ld s_diff1(const lcx *x, const lcx *y, int64_t m, int64_t n) {
    lcx *d = malloc(sizeof(lcx) * (size_t)(m * n + 1));
    for (int64_t i = 0; i < m * n; i++) d[i] = x[i] - y[i];
    ld r = s_norm1(d, m, n);
    free(d);
    return r;
}

/* ---- pinv -------------------------------------------------------------------------- */

static void pinv_case(const h_dev *d, lapis_dtype dt, int64_t m, int64_t n, s_kind kind) {
    s_cur_kind = (int)kind;
    int64_t shape[3] = {2, m, n};
    char what[160];
    snprintf(what, sizeof what, "%s %s %lldx%lld %s", d->name, s_dtname(dt), (long long)m,
             (long long)n, S_KIND_NAMES[kind]);
    bool cplx = s_cplx(dt);
    double eps = s_eps(dt);
    int64_t mn = m * n, mx = m > n ? m : n;
    lcx *a = s_alloc(2 * mn, sizeof(lcx)), *x = s_alloc(2 * mn, sizeof(lcx)),
        *ax = s_alloc(m * m, sizeof(lcx)), *xa = s_alloc(n * n, sizeof(lcx)),
        *axa = s_alloc(mn, sizeof(lcx)), *xax = s_alloc(mn, sizeof(lcx)),
        *h = s_alloc(mx * mx, sizeof(lcx));
    for (int b = 0; b < 2; b++)
        s_fill(a + b * mn, m, n, kind, cplx, s_real(dt) == LAPIS_FLOAT32, 5000 + (uint64_t)b);
    lapis_array A = s_array(a, shape, 3, dt), X = NULL;
    lapis_status st = lapis_linalg_pinv(&X, A, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) goto done;
    if (!H_OK(st)) goto done;
    H_CHECK(lapis_array_shape(X)[1] == n && lapis_array_shape(X)[2] == m &&
                lapis_array_dtype(X) == dt,
            "pinv shape (%s)", what);
    H_OK(s_read(X, x));
    for (int b = 0; b < 2; b++) {
        const lcx *ab = a + b * mn, *xb = x + b * mn;
        ld na = s_norm1_of(ab, m, n), nx = s_norm1_of(xb, n, m);
        s_prod(ax, ab, xb, m, n, m, cplx);
        s_prod(xa, xb, ab, n, m, n, cplx);
        s_prod(axa, ax, ab, m, m, n, cplx);
        s_prod(xax, xa, xb, n, n, m, cplx);
        ld r1 = s_diff1(axa, ab, m, n), r2 = s_diff1(xax, xb, n, m);
        s_adjoint(h, ax, m, m);
        ld r3 = s_diff1(h, ax, m, m);
        s_adjoint(h, xa, n, n);
        ld r4 = s_diff1(h, xa, n, n);
        ld nn = (ld)mx * eps;
        h_ratio("pinv AXA=A", dt, s_ratio(r1, nn * na * na * nx), 30, what);
        h_ratio("pinv XAX=X", dt, s_ratio(r2, nn * nx * nx * na), 30, what);
        h_ratio("pinv (AX)h=AX", dt, s_ratio(r3, nn * na * nx), 30, what);
        h_ratio("pinv (XA)h=XA", dt, s_ratio(r4, nn * na * nx), 30, what);
    }
done:
    lapis_array_free(A);
    lapis_array_free(X);
    free(a); free(x); free(ax); free(xa); free(axa); free(xax); free(h);
}

static void pinv_cutoff(const h_dev *d) {
    s_cur_kind = -1;
    /* MLX: drop σ <= 10 max(M,N) eps σmax; keep the others exactly inverted */
    int64_t sh[2] = {2, 2};
    lcx a[4] = {2, 0, 0, 1e-20L}, b[4] = {2, 0, 0, 1e-10L}, x[4];
    lapis_array A = s_array(a, sh, 2, LAPIS_FLOAT64), B = s_array(b, sh, 2, LAPIS_FLOAT64), X = NULL,
                Y = NULL;
    if (lapis_linalg_pinv(&X, A, d->stream) == LAPIS_OK && H_OK(s_read(X, x)))
        H_CHECK(fabsl(creall(x[0]) - 0.5L) < 1e-15L && x[1] == 0 && x[2] == 0 && x[3] == 0,
                "pinv cutoff drops 1e-20");
    if (lapis_linalg_pinv(&Y, B, d->stream) == LAPIS_OK && H_OK(s_read(Y, x)))
        H_CHECK(fabsl(creall(x[3]) - 1e10L) < 1e-5L, "pinv keeps 1e-10 (got %g)", (double)creall(x[3]));
    h_count("pinv cutoff", LAPIS_FLOAT64);
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(Y);
}

static void pinv_zero(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    static const int64_t shapes[][3] = {{0, 0, 3}, {0, 3, 0}, {2, 0, 4}, {0, 2, 2}};
    for (int c = 0; c < 4; c++) {
        int nd = c < 2 ? 2 : 3;
        int64_t shape[3] = {shapes[c][0], shapes[c][1], shapes[c][2]};
        lcx dummy[1] = {0};
        lapis_array A = s_array(dummy, nd == 2 ? shape + 1 : shape, nd, dt), X = NULL;
        lapis_status st = lapis_linalg_pinv(&X, A, d->stream);
        if (!(st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) && H_OK(st)) {
            const int64_t *xs = lapis_array_shape(X);
            H_CHECK(lapis_array_ndim(X) == nd && xs[nd - 2] == shape[2] && xs[nd - 1] == shape[1],
                    "pinv zero-size shape (case %d)", c);
            h_count("pinv zero-size", dt);
        }
        lapis_array_free(A);
        lapis_array_free(X);
    }
}

/* ---- lstsq --------------------------------------------------------------------------- */

/* Truncated-SVD solution in long double from lapis's SVD (checked in
 * test_svd): x = V Σ⁺ Uᴴ b with σ > rcond σmax; also returns σ_r / σ_1 and
 * the singular values (sv_out, min(m, n)). */
static int64_t svd_solution(const h_dev *d, lapis_dtype dt, const lcx *a, const lcx *b, lcx *x,
                            int64_t m, int64_t n, int64_t k, ld *kappa, lcx *sv_out) {
    int64_t sh[2] = {m, n}, kk = m < n ? m : n;
    lcx *ac = s_alloc(m * n, sizeof(lcx)), *u = s_alloc(m * kk, sizeof(lcx)),
        *s = s_alloc(kk, sizeof(lcx)), *vt = s_alloc(kk * n, sizeof(lcx)),
        *t = s_alloc(kk * k, sizeof(lcx));
    memcpy(ac, a, sizeof(lcx) * (size_t)(m * n));
    lapis_array A = s_array(ac, sh, 2, dt), U = NULL, S = NULL, Vt = NULL;
    int64_t r = 0;
    if (H_OK(lapis_linalg_svd(&U, &S, &Vt, A, false, d->stream))) {
        H_OK(s_read(U, u));
        H_OK(s_read(S, s));
        H_OK(s_read(Vt, vt));
        ld cut = (ld)(m > n ? m : n) * s_eps(dt) * creall(s[0]);
        memcpy(sv_out, s, sizeof(lcx) * (size_t)kk);
        for (int64_t i = 0; i < kk; i++)
            if (creall(s[i]) > cut) r = i + 1;
        *kappa = r ? creall(s[0]) / creall(s[r - 1]) : 1;
        for (int64_t i = 0; i < r; i++)
            for (int64_t c = 0; c < k; c++) {
                lcx acc = 0;
                for (int64_t l = 0; l < m; l++) acc += conjl(u[l * kk + i]) * b[l * k + c];
                t[i * k + c] = acc / creall(s[i]);
            }
        for (int64_t j = 0; j < n; j++)
            for (int64_t c = 0; c < k; c++) {
                lcx acc = 0;
                for (int64_t i = 0; i < r; i++) acc += conjl(vt[i * n + j]) * t[i * k + c];
                x[j * k + c] = acc;
            }
    }
    lapis_array_free(A);
    lapis_array_free(U);
    lapis_array_free(S);
    lapis_array_free(Vt);
    free(ac); free(u); free(s); free(vt); free(t);
    return r;
}

static void lstsq_case(const h_dev *d, lapis_dtype dt, int64_t m, int64_t n, int64_t k,
                       s_kind kind) {
    s_cur_kind = (int)kind;
    int64_t sha[2] = {m, n}, shb[2] = {m, k};
    char what[160];
    snprintf(what, sizeof what, "%s %s %lldx%lld k=%lld %s", d->name, s_dtname(dt), (long long)m,
             (long long)n, (long long)k, S_KIND_NAMES[kind]);
    bool cplx = s_cplx(dt);
    double eps = s_eps(dt);
    lcx *a = s_alloc(m * n, sizeof(lcx)), *b = s_alloc(m * k, sizeof(lcx)),
        *x = s_alloc(n * k, sizeof(lcx)), *xr = s_alloc(n * k, sizeof(lcx)),
        *r = s_alloc(m * k, sizeof(lcx)), *ahr = s_alloc(n * k, sizeof(lcx)),
        *ah = s_alloc(n * m, sizeof(lcx)), *res = s_alloc(k, sizeof(lcx)),
        *sv = s_alloc(m < n ? m : n, sizeof(lcx)), rank[1], info[1];
    s_fill(a, m, n, kind, cplx, s_real(dt) == LAPIS_FLOAT32, 6000 + (uint64_t)(m * 7 + n));
    s_fill(b, m, k, S_RANDOM, cplx, false, 6100 + (uint64_t)k);
    lapis_array A = s_array(a, sha, 2, dt), B = s_array(b, shb, 2, dt), X = NULL, Res = NULL,
                Rank = NULL, Sv = NULL, Info = NULL, X2 = NULL;
    lapis_status st = lapis_linalg_lstsq_ex(&X, &Res, &Rank, &Sv, &Info, A, B, -1, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) goto done;
    if (!H_OK(st)) goto done;
    H_OK(s_read(X, x));
    H_OK(s_read(Rank, rank));
    H_OK(s_read(Info, info));
    H_OK(s_read(Sv, sv));
    H_CHECK(info[0] == 0, "lstsq info (%s)", what);
    H_CHECK(lapis_array_shape(Res)[0] == (m > n ? k : 0) && lapis_array_dtype(Res) == s_real(dt),
            "lstsq residuals shape (%s)", what);
    /* r = b - A x, then the normal equations Aᴴ r = 0 */
    s_sub_prod(r, b, a, x, m, n, k, true);
    s_adjoint(ah, a, m, n);
    s_prod(ahr, ah, r, n, m, k, cplx);
    ld na = s_norm1(a, m, n), nx = s_norm1(x, n, k), nb = s_norm1(b, m, k);
    ld kappa = 1;
    int64_t kk = m < n ? m : n, mx = m > n ? m : n, lr = (int64_t)creall(rank[0]);
    lcx *ss = s_alloc(kk, sizeof(lcx));
    int64_t rk = svd_solution(d, dt, a, b, xr, m, n, k, &kappa, ss);
    /* the rank: lstsq's own singular values above its cutoff; the SVD's
     * rank, unless the singular values between the two are rounding noise:
     * below 10x the cutoff in both (lstsq's and the SVD's), the larger within
     * 10x of it. On a rank-deficient matrix the "zero" ones are noise of up
     * to a few max(m, n) eps σ1: gelsd (OpenBLAS) put one at 1.07x the
     * cutoff, where the one-sided Jacobi SVD found 0.08x (30 x 30). Such a
     * solution is not compared with the SVD's. */
    ld cut = (ld)mx * eps * creall(sv[0]);
    int64_t own = 0;
    for (int64_t i = 0; i < kk; i++) own += creall(sv[i]) > cut;
    H_CHECK(lr == own, "lstsq rank %lld, its singular values above the cutoff %lld (%s)",
            (long long)lr, (long long)own, what);
    bool noise = lr != rk;
    for (int64_t i = lr < rk ? lr : rk; i < (lr > rk ? lr : rk); i++) {
        ld hi = creall(sv[i]) > creall(ss[i]) ? creall(sv[i]) : creall(ss[i]);
        noise &= hi < 10 * cut && hi > cut / 10;
    }
    free(ss);
    H_CHECK(lr == rk || noise, "lstsq rank %lld, SVD rank %lld (%s)", (long long)lr, (long long)rk,
            what);
    if (noise) {
        h_count("lstsq rank at the cutoff", dt);
        goto done;
    }
    if (kind == S_RANDOM) /* well conditioned: the normal equations hold */
        h_ratio("lstsq normal eq", dt,
                s_ratio(s_norm1(ahr, n, k), (ld)mx * na * (na * nx + nb) * eps), 30, what);
    /* the truncated-SVD solution, to within its conditioning */
    h_ratio("lstsq vs SVD", dt,
            s_ratio(s_diff1(x, xr, n, k), (ld)mx * kappa * kappa * s_norm1(xr, n, k) * eps +
                                              (ld)mx * kappa * eps * nb / (creall(sv[0]) + 1e-300L)),
            30, what);
    if (m > n) {
        H_OK(s_read(Res, res));
        for (int64_t c = 0; c < k; c++) {
            ld want = 0;
            for (int64_t i = 0; i < m; i++) want += s_cabs(r[i * k + c]) * s_cabs(r[i * k + c]);
            ld bn = 0;
            for (int64_t i = 0; i < m; i++) bn += s_cabs(b[i * k + c]) * s_cabs(b[i * k + c]);
            h_ratio("lstsq residuals", dt,
                    s_ratio(fabsl(creall(res[c]) - want), (ld)mx * kappa * bn * eps), 30, what);
        }
    }
    /* the plain variant gives the same x */
    if (H_OK(lapis_linalg_lstsq(&X2, A, B, d->stream))) {
        lcx *x2 = s_alloc(n * k, sizeof(lcx));
        H_OK(s_read(X2, x2));
        bool same = true;
        for (int64_t i = 0; i < n * k; i++) same &= x2[i] == x[i];
        H_CHECK(same, "lstsq plain vs _ex (%s)", what);
        free(x2);
    }
done:
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(Res);
    lapis_array_free(Rank);
    lapis_array_free(Sv);
    lapis_array_free(Info);
    lapis_array_free(X2);
    free(a); free(b); free(x); free(xr); free(r); free(ahr); free(ah); free(res); free(sv);
}

static void lstsq_shapes(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    /* vector b; broadcasting; zero sizes */
    int64_t sa[2] = {5, 3}, sb[1] = {5};
    lcx a[15], b[5], x[3];
    s_fill(a, 5, 3, S_RANDOM, s_cplx(dt), false, 1);
    s_fill(b, 5, 1, S_RANDOM, s_cplx(dt), false, 2);
    lapis_array A = s_array(a, sa, 2, dt), B = s_array(b, sb, 1, dt), X = NULL;
    lapis_status st = lapis_linalg_lstsq(&X, A, B, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) {
        lapis_array_free(A);
        lapis_array_free(B);
        return;
    }
    if (H_OK(st)) {
        H_CHECK(lapis_array_ndim(X) == 1 && lapis_array_shape(X)[0] == 3, "lstsq vector b shape");
        H_OK(s_read(X, x));
    }
    lapis_array_free(X);
    X = NULL;
    int64_t sa4[4] = {2, 1, 4, 3}, sb3[3] = {3, 4, 2};
    lcx *a4 = s_alloc(24, sizeof(lcx)), *b3 = s_alloc(24, sizeof(lcx)), *x4 = s_alloc(36, sizeof(lcx));
    for (int i = 0; i < 2; i++) s_fill(a4 + i * 12, 4, 3, S_RANDOM, s_cplx(dt), false, 10 + i);
    for (int i = 0; i < 3; i++) s_fill(b3 + i * 8, 4, 2, S_RANDOM, s_cplx(dt), false, 20 + i);
    lapis_array A4 = s_array(a4, sa4, 4, dt), B3 = s_array(b3, sb3, 3, dt);
    if (H_OK(lapis_linalg_lstsq(&X, A4, B3, d->stream))) {
        const int64_t *xs = lapis_array_shape(X);
        H_CHECK(lapis_array_ndim(X) == 4 && xs[0] == 2 && xs[1] == 3 && xs[2] == 3 && xs[3] == 2,
                "lstsq broadcast shape");
        H_OK(s_read(X, x4));
        /* each broadcast element equals the unbatched solve */
        bool ok = true;
        for (int i = 0; i < 2 && ok; i++)
            for (int j = 0; j < 3 && ok; j++) {
                int64_t s1[2] = {4, 3}, s2[2] = {4, 2};
                lcx ai[12], bj[8], xi[6];
                memcpy(ai, a4 + i * 12, sizeof ai);
                memcpy(bj, b3 + j * 8, sizeof bj);
                lapis_array Ai = s_array(ai, s1, 2, dt), Bj = s_array(bj, s2, 2, dt), Xi = NULL;
                if (H_OK(lapis_linalg_lstsq(&Xi, Ai, Bj, d->stream)) && H_OK(s_read(Xi, xi)))
                    for (int e = 0; e < 6; e++) ok &= xi[e] == x4[(i * 3 + j) * 6 + e];
                lapis_array_free(Ai);
                lapis_array_free(Bj);
                lapis_array_free(Xi);
            }
        H_CHECK(ok, "lstsq broadcast elements equal single solves");
    }
    lapis_array_free(X);
    X = NULL;
    /* zero sizes: m = 0 gives x = 0; n = 0 gives empty x and residuals |b|² */
    {
        int64_t s0[2] = {0, 3}, sb0[2] = {0, 2};
        lcx dummy[1] = {0}, xz[6];
        lapis_array A0 = s_array(dummy, s0, 2, dt), B0 = s_array(dummy, sb0, 2, dt), R0 = NULL,
                    K0 = NULL, S0 = NULL, I0 = NULL;
        if (H_OK(lapis_linalg_lstsq_ex(&X, &R0, &K0, &S0, &I0, A0, B0, -1, d->stream))) {
            H_OK(s_read(X, xz));
            bool zero = lapis_array_shape(X)[0] == 3 && lapis_array_shape(X)[1] == 2;
            for (int i = 0; i < 6; i++) zero &= xz[i] == 0;
            H_CHECK(zero && lapis_array_size(R0) == 0 && lapis_array_size(S0) == 0,
                    "lstsq m = 0: x zeros (3, 2)");
        }
        lapis_array_free(A0); lapis_array_free(B0); lapis_array_free(X); lapis_array_free(R0);
        lapis_array_free(K0); lapis_array_free(S0); lapis_array_free(I0);
        X = NULL;
        int64_t s1[2] = {3, 0}, sb1[2] = {3, 1};
        lcx bb[3] = {1, 2, 2}, res[1];
        lapis_array A1 = s_array(dummy, s1, 2, dt), B1 = s_array(bb, sb1, 2, dt), R1 = NULL;
        if (H_OK(lapis_linalg_lstsq_ex(&X, &R1, NULL, NULL, NULL, A1, B1, -1, d->stream))) {
            H_OK(s_read(R1, res));
            H_CHECK(lapis_array_size(X) == 0 && lapis_array_shape(R1)[0] == 1 &&
                        fabsl(creall(res[0]) - 9) < 1e-5L,
                    "lstsq n = 0: residual |b|^2 = 9");
        }
        lapis_array_free(A1); lapis_array_free(B1); lapis_array_free(X); lapis_array_free(R1);
        X = NULL;
    }
    /* non-finite b: NaN x, info */
    {
        lcx bn[5] = {1, NAN, 0, 0, 0}, xi[3], inf[1];
        lapis_array Bn = s_array(bn, sb, 1, dt), In = NULL, Xp = NULL;
        if (H_OK(lapis_linalg_lstsq_ex(&X, NULL, NULL, NULL, &In, A, Bn, -1, d->stream))) {
            H_OK(s_read(X, xi));
            H_OK(s_read(In, inf));
            H_CHECK(creall(inf[0]) == LAPIS_INFO_NON_FINITE && isnan(creall(xi[0])),
                    "lstsq non-finite b");
        }
        if (H_OK(lapis_linalg_lstsq(&Xp, A, Bn, d->stream)))
            H_STATUS(s_read(Xp, xi), LAPIS_ERR_NON_FINITE, "[linalg::lstsq]", "plain lstsq NaN");
        lapis_array_free(Bn); lapis_array_free(In); lapis_array_free(Xp);
    }
    h_count("lstsq shapes", dt);
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(A4);
    lapis_array_free(B3);
    lapis_array_free(X);
    free(a4); free(b3); free(x4);
}

static void arg_errors(const h_dev *d) {
    s_cur_kind = -1;
    int64_t s2[2] = {3, 2}, s1[1] = {3}, s4[1] = {4}, sb[3] = {2, 3, 1}, sa3[3] = {3, 3, 2};
    lcx v[24] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    lapis_array A = s_array(v, s2, 2, LAPIS_FLOAT64), A1 = s_array(v, s1, 1, LAPIS_FLOAT64),
                B4 = s_array(v, s4, 1, LAPIS_FLOAT64), Ai = s_array(v, s2, 2, LAPIS_INT32),
                Bi = s_array(v, s1, 1, LAPIS_INT32), B2 = s_array(v, sb, 3, LAPIS_FLOAT64),
                A3 = s_array(v, sa3, 3, LAPIS_FLOAT64), B = s_array(v, s1, 1, LAPIS_FLOAT64),
                Z = NULL;
    int64_t s0[1] = {0};
    (void)s0;
    lapis_array x = H_SENTINEL, p = H_SENTINEL;
    const char *pre = "[linalg::lstsq]";
    H_STATUS(lapis_linalg_lstsq(&x, NULL, B, d->stream), LAPIS_ERR_INVALID_ARGUMENT, pre, "a NULL");
    H_STATUS(lapis_linalg_lstsq(NULL, A, B, d->stream), LAPIS_ERR_INVALID_ARGUMENT, pre, "x NULL");
    H_STATUS(lapis_linalg_lstsq(&x, A1, B, d->stream), LAPIS_ERR_SHAPE,
             "[linalg::lstsq] First input must have >= 2 dimensions.", "a 1-D");
    (void)Z;
    H_STATUS(lapis_linalg_lstsq(&x, A, B4, d->stream), LAPIS_ERR_SHAPE, pre, "m mismatch");
    H_STATUS(lapis_linalg_lstsq(&x, Ai, Bi, d->stream), LAPIS_ERR_DTYPE, pre, "int inputs");
    H_STATUS(lapis_linalg_lstsq(&x, A3, B2, d->stream), LAPIS_ERR_SHAPE, pre, "batch mismatch");
    /* a vector b is shared by every matrix of a batched a (as solve) */
    lapis_array xb = NULL;
    if (H_OK(lapis_linalg_lstsq(&xb, A3, B, d->stream)))
        H_CHECK(lapis_array_ndim(xb) == 2 && lapis_array_shape(xb)[0] == 3 &&
                    lapis_array_shape(xb)[1] == 2,
                "lstsq vector b with batched a: x (3, 2)");
    lapis_array_free(xb);
    H_STATUS(lapis_linalg_pinv(&p, Ai, d->stream), LAPIS_ERR_DTYPE, "[linalg::pinv] Arrays must have type", "pinv int");
    H_STATUS(lapis_linalg_pinv(&p, A1, d->stream), LAPIS_ERR_SHAPE,
             "[linalg::pinv] Arrays must have >= 2 dimensions. Received array with 1 dimensions.",
             "pinv 1-D");
    H_STATUS(lapis_linalg_pinv(NULL, A, d->stream), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::pinv]", "pinv out NULL");
    H_CHECK(x == H_SENTINEL && p == H_SENTINEL, "lstsq/pinv outputs touched on error");
    h_count("lstsq/pinv arg errors", LAPIS_FLOAT64);
    lapis_array_free(A); lapis_array_free(A1); lapis_array_free(B4); lapis_array_free(Ai);
    lapis_array_free(Bi); lapis_array_free(B2); lapis_array_free(A3); lapis_array_free(B);
}

int main(void) {
    h_init("test_pinv_lstsq");
    h_watchdog(600, "test_pinv_lstsq");
    static const int64_t sizes[][2] = {{1, 1}, {4, 4}, {9, 5}, {5, 9}, {30, 30}, {40, 12}, {12, 40}};
    static const s_kind kinds[] = {S_RANDOM, S_RANKDEF, S_HILBERT, S_GRADED, S_CLUSTER};
    for (int di = 0; di < h_ndev(); di++) {
        const h_dev *d = h_dev_at(di);
        for (int t = 0; t < 4; t++) {
            lapis_dtype dt = S_DTYPES[t];
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                for (size_t kd = 0; kd < sizeof kinds / sizeof kinds[0]; kd++) {
                    pinv_case(d, dt, sizes[s][0], sizes[s][1], kinds[kd]);
                    if (kinds[kd] == S_RANDOM || kinds[kd] == S_RANKDEF)
                        lstsq_case(d, dt, sizes[s][0], sizes[s][1], 1 + (int64_t)(s % 3), kinds[kd]);
                }
            pinv_case(d, dt, 90, 90, S_KAHAN);
            pinv_case(d, dt, 21, 21, S_WILKINSON);
            pinv_zero(d, dt);
            lstsq_shapes(d, dt);
        }
        pinv_cutoff(d);
        arg_errors(d);
    }
    h_watchdog_off();
    s_print_kinds();
    return h_finish();
}
