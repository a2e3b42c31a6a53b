/*
 * qr (+_ex): ‖A − QR‖/(max(m,n)‖A‖eps) and ‖I − QᴴQ‖/(m eps) below 30 on
 * random, graded, clustered, rank-deficient, Hilbert, Kahan (n = 90) and
 * Wilkinson matrices, square and rectangular, four dtypes, batched; R with
 * exact zeros below the diagonal; R-only calls give the same R; zero-size
 * shapes; non-finite input; every argument error.
 */
#include "spectral_util.h"

static void one_case(const h_dev *d, lapis_dtype dt, int64_t m, int64_t n, s_kind kind,
                     const int64_t *bshape, int bnd) {
    s_cur_kind = (int)kind;
    int64_t shape[4], batch = 1, k = m < n ? m : n;
    for (int i = 0; i < bnd; i++) shape[i] = bshape[i], batch *= bshape[i];
    shape[bnd] = m;
    shape[bnd + 1] = n;
    char what[200];
    snprintf(what, sizeof what, "%s %s %lldx%lld batch=%lld %s", d->name, s_dtname(dt),
             (long long)m, (long long)n, (long long)batch, S_KIND_NAMES[kind]);
    if (getenv("LAPIS_TEST_VERBOSE")) fprintf(stderr, "case %s\n", what);
    bool cplx = s_cplx(dt);
    double eps = s_eps(dt);
    lcx *a = s_alloc(batch * m * n, sizeof(lcx)), *q = s_alloc(batch * m * k, sizeof(lcx)),
        *r = s_alloc(batch * k * n, sizeof(lcx)), *r2 = s_alloc(batch * k * n, sizeof(lcx));
    for (int64_t b = 0; b < batch; b++)
        s_fill(a + b * m * n, m, n, kind, cplx, s_real(dt) == LAPIS_FLOAT32, 1000 + (uint64_t)b);
    lapis_array A = s_array(a, shape, bnd + 2, dt), Q = NULL, R = NULL, R2 = NULL, Info = NULL;
    lapis_status st = lapis_linalg_qr_ex(&Q, &R, &Info, A, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) {
        h_count("qr (unsupported)", dt);
        goto done;
    }
    if (!H_OK(st)) goto done;
    H_CHECK(lapis_array_dtype(Q) == dt && lapis_array_dtype(R) == dt &&
                lapis_array_shape(Q)[bnd + 1] == k && lapis_array_shape(R)[bnd] == k &&
                lapis_array_ndim(Info) == bnd,
            "qr shapes/dtypes (%s)", what);
    H_OK(s_read(Q, q));
    H_OK(s_read(R, r));
    lcx *info = s_alloc(batch, sizeof(lcx));
    H_OK(s_read(Info, info));
    for (int64_t b = 0; b < batch; b++) {
        const lcx *ab = a + b * m * n, *qb = q + b * m * k, *rb = r + b * k * n;
        H_CHECK(creall(info[b]) == 0, "qr info %g (%s)", (double)creall(info[b]), what);
        h_ratio("qr |A-QR|", dt, s_ratio_prod(ab, qb, rb, m, k, n, eps, cplx), 30, what);
        h_ratio("qr |I-QhQ|", dt, s_ratio_orth(qb, m, k, eps, cplx), 30, what);
        bool zero = true;
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < i && j < n; j++) zero &= rb[i * n + j] == 0;
        H_CHECK(zero, "R not exactly zero below the diagonal (%s)", what);
    }
    free(info);
    /* R only: the same R, bit for bit */
    if (H_OK(lapis_linalg_qr(NULL, &R2, A, d->stream))) {
        H_OK(s_read(R2, r2));
        bool same = true; /* (lcx has padding bytes: compare values) */
        for (int64_t i = 0; i < batch * k * n; i++) same &= r[i] == r2[i];
        H_CHECK(same, "R-only QR differs from Q,R QR (%s)", what);
    }
done:
    lapis_array_free(A);
    lapis_array_free(Q);
    lapis_array_free(R);
    lapis_array_free(R2);
    lapis_array_free(Info);
    free(a);
    free(q);
    free(r);
    free(r2);
}

static void zero_size(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    static const int64_t shapes[][3] = {{0, 0, 0}, {0, 4, 0}, {0, 0, 4}, {3, 0, 5}, {3, 5, 0},
                                        {0, 3, 3}, {0, 4, 2}};
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        bool batched = c >= 3;
        int nd = batched ? 3 : 2;
        int64_t shape[3] = {shapes[c][0], shapes[c][1], shapes[c][2]};
        const int64_t *sh = batched ? shape : shape + 1;
        int64_t m = shape[1], n = shape[2], k = m < n ? m : n;
        lcx dummy[1] = {0};
        lapis_array A = s_array(dummy, sh, nd, dt), Q = NULL, R = NULL;
        char what[100];
        snprintf(what, sizeof what, "qr zero-size %s %lldx%lld", s_dtname(dt), (long long)m, (long long)n);
        lapis_status st = lapis_linalg_qr(&Q, &R, A, d->stream);
        if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) {
            lapis_array_free(A);
            continue;
        }
        if (H_OK(st)) {
            H_CHECK(lapis_array_ndim(Q) == nd && lapis_array_shape(Q)[nd - 2] == m &&
                        lapis_array_shape(Q)[nd - 1] == k && lapis_array_shape(R)[nd - 2] == k &&
                        lapis_array_shape(R)[nd - 1] == n &&
                        (!batched || lapis_array_shape(R)[0] == shape[0]),
                    "%s: shapes", what);
            h_count("qr zero-size", dt);
        }
        lapis_array_free(A);
        lapis_array_free(Q);
        lapis_array_free(R);
    }
}

static void nonfinite(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    int64_t shape[3] = {3, 4, 3};
    lcx a[36];
    for (int b = 0; b < 3; b++) s_fill(a + b * 12, 4, 3, S_RANDOM, s_cplx(dt), false, 7 + b);
    a[12 + 4] = NAN;
    a[24 + 0] = INFINITY;
    lapis_array A = s_array(a, shape, 3, dt), Q = NULL, R = NULL, Info = NULL, Q2 = NULL, R2 = NULL;
    lapis_status st = lapis_linalg_qr_ex(&Q, &R, &Info, A, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) goto done;
    if (H_OK(st)) {
        lcx info[3], q[36], r[27];
        H_OK(s_read(Info, info));
        H_OK(s_read(Q, q));
        H_OK(s_read(R, r));
        H_CHECK(info[0] == 0 && creall(info[1]) == LAPIS_INFO_NON_FINITE &&
                    creall(info[2]) == LAPIS_INFO_NON_FINITE,
                "qr non-finite info %g %g %g", (double)creall(info[0]), (double)creall(info[1]),
                (double)creall(info[2]));
        bool nan = true, fin = true;
        for (int i = 12; i < 36; i++) nan &= isnan(creall(q[i]));
        for (int i = 9; i < 27; i++) nan &= isnan(creall(r[i]));
        for (int i = 0; i < 12; i++) fin &= isfinite(creall(q[i]));
        H_CHECK(nan && fin, "qr: failed matrices NaN, others finite");
    }
    if (H_OK(lapis_linalg_qr(&Q2, &R2, A, d->stream))) {
        lcx r[27];
        st = s_read(R2, r);
        H_STATUS(st, LAPIS_ERR_NON_FINITE, "[linalg::qr] (batch element 1)", "plain qr read");
        H_STATUS(lapis_synchronize(d->stream), LAPIS_OK, NULL, "sync after reported failure");
    }
    h_count("qr non-finite", dt);
done:
    lapis_array_free(A);
    lapis_array_free(Q);
    lapis_array_free(R);
    lapis_array_free(Info);
    lapis_array_free(Q2);
    lapis_array_free(R2);
}

/* One large matrix (300 x 280, the CPU's single-matrix path: row-major
 * blocked QR), NaN in its last row: info NON_FINITE, Q and R all NaN. */
static void nonfinite_single(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    const int64_t m = 300, n = 280, k = n;
    lcx *a = s_alloc(m * n, sizeof(lcx)), *q = s_alloc(m * k, sizeof(lcx)),
        *r = s_alloc(k * n, sizeof(lcx));
    s_fill(a, m, n, S_RANDOM, s_cplx(dt), false, 31);
    a[m * n - 3] = NAN;
    int64_t shape[2] = {m, n};
    lapis_array A = s_array(a, shape, 2, dt), Q = NULL, R = NULL, Info = NULL;
    lapis_status st = lapis_linalg_qr_ex(&Q, &R, &Info, A, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) goto done;
    if (H_OK(st)) {
        lcx info;
        H_OK(s_read(Info, &info));
        H_OK(s_read(Q, q));
        H_OK(s_read(R, r));
        bool nan = true;
        for (int64_t i = 0; i < m * k; i++) nan &= isnan(creall(q[i]));
        for (int64_t i = 0; i < k * n; i++) nan &= isnan(creall(r[i]));
        H_CHECK(creall(info) == LAPIS_INFO_NON_FINITE && nan,
                "qr of a large non-finite matrix: info %g, Q and R NaN %d (%s)",
                (double)creall(info), nan, s_dtname(dt));
        h_count("qr non-finite (single)", dt);
    }
done:
    lapis_array_free(A);
    lapis_array_free(Q);
    lapis_array_free(R);
    lapis_array_free(Info);
    free(a);
    free(q);
    free(r);
}

static void arg_errors(const h_dev *d) {
    s_cur_kind = -1;
    const char *p = "[linalg::qr]";
    int64_t sh2[2] = {3, 3}, sh1[1] = {3};
    lcx x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    lapis_array A = s_array(x, sh2, 2, LAPIS_FLOAT64), V = s_array(x, sh1, 1, LAPIS_FLOAT64),
                N = s_array(x, sh2, 2, LAPIS_INT32), B = s_array(x, sh2, 2, LAPIS_BOOL);
    lapis_array q = H_SENTINEL, r = H_SENTINEL, info = H_SENTINEL;
    H_STATUS(lapis_linalg_qr(&q, NULL, A, d->stream), LAPIS_ERR_INVALID_ARGUMENT, p, "qr r NULL");
    H_STATUS(lapis_linalg_qr(&q, &r, NULL, d->stream), LAPIS_ERR_INVALID_ARGUMENT, p, "qr a NULL");
    H_STATUS(lapis_linalg_qr_ex(&q, &r, NULL, A, d->stream), LAPIS_ERR_INVALID_ARGUMENT, p,
             "qr_ex info NULL");
    H_STATUS(lapis_linalg_qr(&q, &r, N, d->stream), LAPIS_ERR_DTYPE,
             "[linalg::qr] Arrays must have type float32, float64, complex64 or complex128. "
             "Received array with type int32.",
             "qr int32");
    H_STATUS(lapis_linalg_qr(&q, &r, B, d->stream), LAPIS_ERR_DTYPE, p, "qr bool");
    H_STATUS(lapis_linalg_qr(&q, &r, V, d->stream), LAPIS_ERR_SHAPE,
             "[linalg::qr] Arrays must have >= 2 dimensions. Received array with 1 dimensions.",
             "qr 1-D");
    /* dtype is checked before ndim, as MLX */
    lapis_array N1 = s_array(x, sh1, 1, LAPIS_INT64);
    H_STATUS(lapis_linalg_qr(&q, &r, N1, d->stream), LAPIS_ERR_DTYPE, p, "qr int64 1-D");
    H_CHECK(q == H_SENTINEL && r == H_SENTINEL && info == H_SENTINEL, "qr outputs touched on error");
    h_count("qr arg errors", LAPIS_FLOAT64);
    lapis_array_free(A);
    lapis_array_free(V);
    lapis_array_free(N);
    lapis_array_free(B);
    lapis_array_free(N1);
}

int main(void) {
    h_init("test_qr");
    h_watchdog(600, "test_qr");
    static const int64_t QUICK_SIZES_[][2] = {{1, 1}, {2, 2}, {5, 5}, {16, 16}, {33, 33}, {64, 64},
                                       {7, 3}, {3, 7}, {40, 17}, {17, 40}, {1, 6}, {6, 1},
                                       {150, 97}, {97, 150}, {200, 200}};
    static const int64_t full_extra[][2] = {{129, 129}, {200, 50}, {50, 200}, {257, 257}};
    static const int64_t bshapes[3][2] = {{0, 0}, {3, 0}, {2, 3}};
    for (int di = 0; di < h_ndev(); di++) {
        const h_dev *d = h_dev_at(di);
        for (int t = 0; t < 4; t++) {
            lapis_dtype dt = S_DTYPES[t];
            int idx = 0;
            for (size_t s = 0; s < sizeof QUICK_SIZES_ / sizeof QUICK_SIZES_[0]; s++)
                for (int kind = 0; kind < S_NKINDS; kind++) {
                    if (kind == S_KAHAN) continue;
                    int64_t big = (QUICK_SIZES_[s][0] > QUICK_SIZES_[s][1] ? QUICK_SIZES_[s][0] : QUICK_SIZES_[s][1]);
                    if (big >= 64 && kind != S_RANDOM && kind != S_CLUSTER) continue;
                    int bi = (int)((s + kind) % 3);
                    if (big > 16 && bi == 2) bi = 1; /* keep quick runs quick */
                    one_case(d, dt, QUICK_SIZES_[s][0], QUICK_SIZES_[s][1], kind, bshapes[bi], bi);
                    idx++;
                }
            one_case(d, dt, 90, 90, S_KAHAN, NULL, 0);
            one_case(d, dt, 21, 21, S_WILKINSON, NULL, 0);
            if (h_full())
                for (size_t s = 0; s < sizeof full_extra / sizeof full_extra[0]; s++)
                    for (int kind = 0; kind < S_NKINDS; kind++)
                        one_case(d, dt, full_extra[s][0], full_extra[s][1], kind, bshapes[1], 1);
            zero_size(d, dt);
            nonfinite(d, dt);
            nonfinite_single(d, dt);
        }
        arg_errors(d);
    }
    h_watchdog_off();
    s_print_kinds();
    return h_finish();
}
