/*
 * svd (+_ex): ‖A − U S Vᴴ‖/(max(m,n)‖A‖eps), ‖I − UᴴU‖, ‖I − V Vᴴ‖ below 60,
 * S descending and >= 0, values-only S against the full one, full and
 * reduced forms, on the matrix kinds of spectral_util.h (square and
 * rectangular, four dtypes, batched); NumPy's zero-size results;
 * non-finite input (no hang); every argument error.
 */
#include "spectral_util.h"

static void slice_cols(lcx *dst, const lcx *src, int64_t m, int64_t ld, int64_t k) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < k; j++) dst[i * k + j] = src[i * ld + j];
}

static void one_case(const h_dev *d, lapis_dtype dt, int64_t m, int64_t n, s_kind kind,
                     const int64_t *bshape, int bnd, bool full) {
    s_cur_kind = (int)kind;
    int64_t shape[4], batch = 1, k = m < n ? m : n;
    for (int i = 0; i < bnd; i++) shape[i] = bshape[i], batch *= bshape[i];
    shape[bnd] = m;
    shape[bnd + 1] = n;
    int64_t uc = full ? m : k, vr = full ? n : k;
    char what[200];
    snprintf(what, sizeof what, "%s %s %lldx%lld batch=%lld %s %s", d->name, s_dtname(dt),
             (long long)m, (long long)n, (long long)batch, S_KIND_NAMES[kind],
             full ? "full" : "reduced");
    bool cplx = s_cplx(dt);
    double eps = s_eps(dt);
    lcx *a = s_alloc(batch * m * n, sizeof(lcx)), *u = s_alloc(batch * m * uc, sizeof(lcx)),
        *vt = s_alloc(batch * vr * n, sizeof(lcx)), *s = s_alloc(batch * k, sizeof(lcx)),
        *s2 = s_alloc(batch * k, sizeof(lcx)), *info = s_alloc(batch, sizeof(lcx)),
        *us = s_alloc(m * k, sizeof(lcx)), *vts = s_alloc(k * n, sizeof(lcx)),
        *vh = s_alloc(n * vr, sizeof(lcx));
    for (int64_t b = 0; b < batch; b++)
        s_fill(a + b * m * n, m, n, kind, cplx, s_real(dt) == LAPIS_FLOAT32, 2000 + (uint64_t)b);
    lapis_array A = s_array(a, shape, bnd + 2, dt), U = NULL, S = NULL, Vt = NULL, Info = NULL,
                S2 = NULL;
    lapis_status st = lapis_linalg_svd_ex(&U, &S, &Vt, &Info, A, full, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) {
        h_count("svd (unsupported)", dt);
        goto done;
    }
    if (!H_OK(st)) goto done;
    H_CHECK(lapis_array_dtype(U) == dt && lapis_array_dtype(Vt) == dt &&
                lapis_array_dtype(S) == s_real(dt) && lapis_array_shape(U)[bnd + 1] == uc &&
                lapis_array_shape(Vt)[bnd] == vr && lapis_array_shape(S)[bnd] == k,
            "svd shapes/dtypes (%s)", what);
    H_OK(s_read(U, u));
    H_OK(s_read(S, s));
    H_OK(s_read(Vt, vt));
    H_OK(s_read(Info, info));
    for (int64_t b = 0; b < batch; b++) {
        const lcx *ab = a + b * m * n, *ub = u + b * m * uc, *vb = vt + b * vr * n,
                  *sb = s + b * k;
        H_CHECK(info[b] == 0, "svd info %g (%s)", (double)creall(info[b]), what);
        bool order = true;
        for (int64_t i = 0; i < k; i++)
            order &= creall(sb[i]) >= 0 && (i == 0 || creall(sb[i]) <= creall(sb[i - 1]));
        H_CHECK(order, "S not descending and >= 0 (%s)", what);
        /* A = U[:, :k] diag(S) Vt[:k, :] */
        slice_cols(us, ub, m, uc, k);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++) us[i * k + j] *= creall(sb[j]);
        memcpy(vts, vb, sizeof(lcx) * (size_t)(k * n));
        h_ratio("svd |A-USVh|", dt, s_ratio_prod(ab, us, vts, m, k, n, eps, cplx), 60, what);
        h_ratio("svd |I-UhU|", dt, s_ratio_orth(ub, m, uc, eps, cplx), 60, what);
        s_adjoint(vh, vb, vr, n);
        h_ratio("svd |I-VVh|", dt, s_ratio_orth(vh, n, vr, eps, cplx), 60, what);
    }
    /* values only: the same singular values up to rounding */
    if (H_OK(lapis_linalg_svd(NULL, &S2, NULL, A, full, d->stream))) {
        H_OK(s_read(S2, s2));
        for (int64_t b = 0; b < batch; b++) {
            ld worst = 0, s0 = creall(s[b * k]);
            for (int64_t i = 0; i < k; i++) {
                ld e = fabsl(creall(s2[b * k + i]) - creall(s[b * k + i]));
                if (!(e <= worst)) worst = e;
            }
            double r = s_ratio(worst, (ld)(m > n ? m : n) * s0 * eps);
            h_ratio("svd values-only", dt, r, 60, what);
        }
    }
done:
    lapis_array_free(A);
    lapis_array_free(U);
    lapis_array_free(S);
    lapis_array_free(Vt);
    lapis_array_free(Info);
    lapis_array_free(S2);
    free(a); free(u); free(vt); free(s); free(s2); free(info); free(us); free(vts); free(vh);
}

/* Exact singular values: a matrix with known spectrum (U diag(σ) Vᵀ). */
static void known_values(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    int64_t m = 30, n = 20, shape[2] = {m, n};
    double *g = h_alloc(sizeof(double) * (size_t)(m * n));
    (void)matgen_fill(g, m, n, MATGEN_COND_GEOM, 1e4, s_real(dt) == LAPIS_FLOAT32, 99);
    lcx *a = s_alloc(m * n, sizeof(lcx)), s[20];
    for (int64_t i = 0; i < m * n; i++) a[i] = g[i];
    lapis_array A = s_array(a, shape, 2, dt), S = NULL;
    if (lapis_linalg_svd(NULL, &S, NULL, A, false, d->stream) == LAPIS_OK) {
        H_OK(s_read(S, s));
        ld worst = 0;
        for (int i = 0; i < 20; i++) {
            ld want = powl(1e-4L, (ld)i / 19);
            ld e = fabsl(creall(s[i]) - want);
            if (!(e <= worst)) worst = e;
        }
        /* input rounding to the dtype perturbs σ by ~ ‖A‖ eps: allow n eps */
        h_ratio("svd known values", dt, s_ratio(worst, 20 * s_eps(dt)), 60, "cond 1e4 30x20");
    }
    lapis_array_free(A);
    lapis_array_free(S);
    free(a);
    free(g);
}

static bool is_eye(const lcx *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            if (x[i * n + j] != (i == j ? 1 : 0)) return false;
    return true;
}

static void zero_size(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    static const int64_t shapes[][3] = {{0, 0, 0}, {0, 4, 0}, {0, 0, 4}, {2, 3, 0}, {0, 3, 3}};
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        bool batched = c >= 3;
        int nd = batched ? 3 : 2;
        int64_t shape[3] = {shapes[c][0], shapes[c][1], shapes[c][2]};
        int64_t m = shape[1], n = shape[2], batch = batched ? shape[0] : 1;
        lcx dummy[1] = {0};
        lapis_array A = s_array(dummy, batched ? shape : shape + 1, nd, dt);
        for (int full = 0; full < 2; full++) {
            lapis_array U = NULL, S = NULL, Vt = NULL;
            char what[100];
            snprintf(what, sizeof what, "svd zero-size %s %lldx%lld batch %lld full=%d",
                     s_dtname(dt), (long long)m, (long long)n, (long long)batch, full);
            lapis_status st = lapis_linalg_svd(&U, &S, &Vt, A, full, d->stream);
            if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) break;
            if (!H_OK(st)) continue;
            int64_t k = m < n ? m : n, uc = full ? m : k, vr = full ? n : k;
            H_CHECK(lapis_array_size(S) == 0 && lapis_array_shape(U)[nd - 2] == m &&
                        lapis_array_shape(U)[nd - 1] == uc && lapis_array_shape(Vt)[nd - 2] == vr &&
                        lapis_array_shape(Vt)[nd - 1] == n,
                    "%s: shapes", what);
            if (full) {
                lcx *u = s_alloc(batch * m * m, sizeof(lcx)), *v = s_alloc(batch * n * n, sizeof(lcx));
                H_OK(s_read(U, u));
                H_OK(s_read(Vt, v));
                bool ok = true;
                for (int64_t b = 0; b < batch; b++)
                    ok &= is_eye(u + b * m * m, m) && is_eye(v + b * n * n, n);
                H_CHECK(ok, "%s: U and Vt are not the identity (NumPy)", what);
                free(u);
                free(v);
            }
            h_count("svd zero-size", dt);
            lapis_array_free(U);
            lapis_array_free(S);
            lapis_array_free(Vt);
        }
        lapis_array_free(A);
    }
}

static void nonfinite(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    int64_t shape[3] = {4, 5, 4};
    lcx a[80];
    for (int b = 0; b < 4; b++) s_fill(a + b * 20, 5, 4, S_RANDOM, s_cplx(dt), false, 17 + b);
    a[20 + 3] = NAN;
    for (int i = 40; i < 60; i++) a[i] = INFINITY; /* all Inf: LAPACK could loop on it */
    a[60 + 19] = -INFINITY;
    lapis_array A = s_array(a, shape, 3, dt), U = NULL, S = NULL, Vt = NULL, Info = NULL, S2 = NULL;
    lapis_status st = lapis_linalg_svd_ex(&U, &S, &Vt, &Info, A, true, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) goto done;
    if (H_OK(st)) {
        lcx info[4], s[16], u[100], v[64];
        H_OK(s_read(Info, info));
        H_OK(s_read(S, s));
        H_OK(s_read(U, u));
        H_OK(s_read(Vt, v));
        bool ok = info[0] == 0;
        for (int b = 1; b < 4; b++) ok &= creall(info[b]) == LAPIS_INFO_NON_FINITE;
        H_CHECK(ok, "svd non-finite info");
        bool nan = true;
        for (int i = 4; i < 16; i++) nan &= isnan(creall(s[i]));
        for (int i = 25; i < 100; i++) nan &= isnan(creall(u[i]));
        for (int i = 16; i < 64; i++) nan &= isnan(creall(v[i]));
        H_CHECK(nan && isfinite(creall(s[0])), "svd: failed matrices NaN");
    }
    if (H_OK(lapis_linalg_svd(NULL, &S2, NULL, A, false, d->stream))) {
        lcx s[16];
        H_STATUS(s_read(S2, s), LAPIS_ERR_NON_FINITE,
                 "[linalg::svd] (batch element 1) The input matrix contains NaN or Inf.",
                 "plain svd read");
    }
    h_count("svd non-finite", dt);
done:
    lapis_array_free(A);
    lapis_array_free(U);
    lapis_array_free(S);
    lapis_array_free(Vt);
    lapis_array_free(Info);
    lapis_array_free(S2);
}

static void arg_errors(const h_dev *d) {
    s_cur_kind = -1;
    const char *p = "[linalg::svd]";
    int64_t sh2[2] = {3, 3}, sh1[1] = {3};
    lcx x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    lapis_array A = s_array(x, sh2, 2, LAPIS_FLOAT32), V = s_array(x, sh1, 1, LAPIS_FLOAT32),
                N = s_array(x, sh2, 2, LAPIS_UINT32);
    lapis_array u = H_SENTINEL, s = H_SENTINEL, vt = H_SENTINEL, info = H_SENTINEL;
    H_STATUS(lapis_linalg_svd(&u, NULL, &vt, A, true, d->stream), LAPIS_ERR_INVALID_ARGUMENT, p,
             "svd sv NULL");
    H_STATUS(lapis_linalg_svd(&u, &s, &vt, NULL, true, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             p, "svd a NULL");
    H_STATUS(lapis_linalg_svd_ex(&u, &s, &vt, NULL, A, true, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT, p, "svd_ex info NULL");
    H_STATUS(lapis_linalg_svd(&u, &s, &vt, N, true, d->stream), LAPIS_ERR_DTYPE,
             "[linalg::svd] Arrays must have type float32, float64, complex64 or complex128. "
             "Received array with type uint32.",
             "svd uint32");
    H_STATUS(lapis_linalg_svd(&u, &s, &vt, V, true, d->stream), LAPIS_ERR_SHAPE,
             "[linalg::svd] Input array must have >= 2 dimensions. Received array with 1 "
             "dimensions.",
             "svd 1-D");
    H_CHECK(u == H_SENTINEL && s == H_SENTINEL && vt == H_SENTINEL && info == H_SENTINEL,
            "svd outputs touched on error");
    h_count("svd arg errors", LAPIS_FLOAT32);
    lapis_array_free(A);
    lapis_array_free(V);
    lapis_array_free(N);
}

int main(void) {
    h_init("test_svd");
    h_watchdog(600, "test_svd");
    static const int64_t QUICK_SIZES_[][2] = {{1, 1}, {2, 2}, {5, 5}, {16, 16}, {33, 33}, {64, 64},
                                       {7, 3}, {3, 7}, {40, 17}, {17, 40}, {1, 6}, {6, 1}};
    static const int64_t full_extra[][2] = {{129, 129}, {200, 50}, {50, 200}, {257, 257}};
    static const int64_t bshapes[3][2] = {{0, 0}, {3, 0}, {2, 3}};
    for (int di = 0; di < h_ndev(); di++) {
        const h_dev *d = h_dev_at(di);
        for (int t = 0; t < 4; t++) {
            lapis_dtype dt = S_DTYPES[t];
            for (size_t s = 0; s < sizeof QUICK_SIZES_ / sizeof QUICK_SIZES_[0]; s++)
                for (int kind = 0; kind < S_NKINDS; kind++) {
                    if (kind == S_KAHAN) continue;
                    int64_t big = (QUICK_SIZES_[s][0] > QUICK_SIZES_[s][1] ? QUICK_SIZES_[s][0] : QUICK_SIZES_[s][1]);
                    if (big >= 64 && kind != S_RANDOM && kind != S_CLUSTER) continue;
                    int bi = (int)((s + kind) % 3);
                    if (big > 16 && bi == 2) bi = 1; /* keep quick runs quick */
                    one_case(d, dt, QUICK_SIZES_[s][0], QUICK_SIZES_[s][1], kind, bshapes[bi], bi,
                             (s + kind) % 2 == 0);
                }
            one_case(d, dt, 90, 90, S_KAHAN, NULL, 0, true);
            one_case(d, dt, 90, 90, S_KAHAN, NULL, 0, false);
            one_case(d, dt, 21, 21, S_WILKINSON, NULL, 0, true);
            if (h_full())
                for (size_t s = 0; s < sizeof full_extra / sizeof full_extra[0]; s++)
                    for (int kind = 0; kind < S_NKINDS; kind++)
                        for (int full = 0; full < 2; full++)
                            one_case(d, dt, full_extra[s][0], full_extra[s][1], kind, bshapes[1],
                                     1, full);
            known_values(d, dt);
            zero_size(d, dt);
            nonfinite(d, dt);
        }
        arg_errors(d);
    }
    h_watchdog_off();
    s_print_kinds();
    return h_finish();
}
