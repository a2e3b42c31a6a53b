/*
 * eigh / eigvalsh (+_ex) and eig / eigvals (+eig_ex):
 * ‖A V − V W‖/(n‖A‖eps) and ‖I − VᴴV‖/(n eps) below 60 for eigh, the
 * residual below 30 and unit eigenvectors for eig, on random, graded,
 * clustered, rank-deficient, Hilbert, Kahan (n = 90) and Wilkinson (W21)
 * matrices (Hermitian versions for eigh), four dtypes, batched; ascending
 * eigh values; eigvalsh/eigvals against the vector variants; only the chosen
 * triangle read; zero-size shapes; non-finite input; argument errors.
 */
#include "spectral_util.h"

static int64_t make_shape(int64_t *shape, const int64_t *bshape, int bnd, int64_t n) {
    int64_t batch = 1;
    for (int i = 0; i < bnd; i++) shape[i] = bshape[i], batch *= bshape[i];
    shape[bnd] = n;
    shape[bnd + 1] = n;
    return batch;
}

/* ‖A V − V diag(w)‖₁ / (n ‖A‖₁ eps) */
static double eig_ratio(const lcx *a, const lcx *v, const lcx *w, int64_t n, double eps,
                        bool cplx) {
    lcx *vw = malloc(sizeof(lcx) * (size_t)(n * n + 1)), *r = malloc(sizeof(lcx) * (size_t)(n * n + 1));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) vw[i * n + j] = v[i * n + j] * w[j];
    s_sub_prod(r, vw, a, v, n, n, n, cplx);
    ld res = s_norm1(r, n, n);
    free(vw);
    free(r);
    return s_ratio(res, (ld)(n ? n : 1) * s_norm1(a, n, n) * eps);
}

/* ---- eigh ------------------------------------------------------------------------ */

static void eigh_case(const h_dev *d, lapis_dtype dt, int64_t n, s_kind kind,
                      const int64_t *bshape, int bnd, bool upper) {
    s_cur_kind = (int)kind;
    int64_t shape[4], batch = make_shape(shape, bshape, bnd, n), nn = n * n;
    char what[200];
    snprintf(what, sizeof what, "%s %s n=%lld batch=%lld %s %s", d->name, s_dtname(dt),
             (long long)n, (long long)batch, S_KIND_NAMES[kind], upper ? "upper" : "lower");
    bool cplx = s_cplx(dt);
    double eps = s_eps(dt);
    lcx *a = s_alloc(batch * nn, sizeof(lcx)), *poisoned = s_alloc(batch * nn, sizeof(lcx)),
        *v = s_alloc(batch * nn, sizeof(lcx)), *w = s_alloc(batch * n, sizeof(lcx)),
        *w2 = s_alloc(batch * n, sizeof(lcx)), *info = s_alloc(batch, sizeof(lcx));
    for (int64_t b = 0; b < batch; b++)
        s_fill_herm(a + b * nn, n, kind, cplx, s_real(dt) == LAPIS_FLOAT32, 3000 + (uint64_t)b);
    /* the unread triangle holds garbage: the result must not see it */
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                bool unread = upper ? j < i : j > i;
                poisoned[b * nn + i * n + j] = unread ? (lcx)(1e30 + 7 * I) : a[b * nn + i * n + j];
            }
    lapis_array A = s_array(poisoned, shape, bnd + 2, dt), W = NULL, V = NULL, Info = NULL,
                W2 = NULL;
    /* s_array rounded `poisoned`; round `a` the same way for the reference */
    for (int64_t i = 0; i < batch * nn; i++) {
        bool unread = upper ? (i % nn) % n < (i % nn) / n : (i % nn) % n > (i % nn) / n;
        if (!unread) a[i] = poisoned[i];
        else a[i] = conjl(poisoned[(i / nn) * nn + ((i % nn) % n) * n + (i % nn) / n]);
        if ((i % nn) % n == (i % nn) / n) a[i] = creall(a[i]);
    }
    lapis_status st = lapis_linalg_eigh_ex(&W, &V, &Info, A, upper, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) {
        h_count("eigh (unsupported)", dt);
        goto done;
    }
    if (!H_OK(st)) goto done;
    H_CHECK(lapis_array_dtype(W) == s_real(dt) && lapis_array_dtype(V) == dt &&
                lapis_array_ndim(W) == bnd + 1 && lapis_array_ndim(Info) == bnd,
            "eigh shapes/dtypes (%s)", what);
    H_OK(s_read(W, w));
    H_OK(s_read(V, v));
    H_OK(s_read(Info, info));
    for (int64_t b = 0; b < batch; b++) {
        const lcx *ab = a + b * nn, *vb = v + b * nn, *wb = w + b * n;
        H_CHECK(info[b] == 0, "eigh info %g (%s)", (double)creall(info[b]), what);
        bool asc = true;
        for (int64_t i = 1; i < n; i++) asc &= creall(wb[i - 1]) <= creall(wb[i]);
        H_CHECK(asc, "eigh values not ascending (%s)", what);
        h_ratio("eigh |AV-VW|", dt, eig_ratio(ab, vb, wb, n, eps, cplx), 60, what);
        h_ratio("eigh |I-VhV|", dt, s_ratio_orth(vb, n, n, eps, cplx), 60, what);
    }
    if (H_OK(lapis_linalg_eigvalsh(&W2, A, upper, d->stream))) {
        H_OK(s_read(W2, w2));
        for (int64_t b = 0; b < batch; b++) {
            ld worst = 0;
            for (int64_t i = 0; i < n; i++) {
                ld e = fabsl(creall(w2[b * n + i]) - creall(w[b * n + i]));
                if (!(e <= worst)) worst = e;
            }
            h_ratio("eigvalsh vs eigh", dt,
                    s_ratio(worst, (ld)(n ? n : 1) * s_norm1(a + b * nn, n, n) * eps), 60, what);
        }
    }
done:
    lapis_array_free(A);
    lapis_array_free(W);
    lapis_array_free(V);
    lapis_array_free(Info);
    lapis_array_free(W2);
    free(a); free(poisoned); free(v); free(w); free(w2); free(info);
}

/* ---- eig --------------------------------------------------------------------------- */

static void eig_case(const h_dev *d, lapis_dtype dt, int64_t n, s_kind kind,
                     const int64_t *bshape, int bnd) {
    s_cur_kind = (int)kind;
    int64_t shape[4], batch = make_shape(shape, bshape, bnd, n), nn = n * n;
    char what[200];
    snprintf(what, sizeof what, "%s %s n=%lld batch=%lld %s", d->name, s_dtname(dt),
             (long long)n, (long long)batch, S_KIND_NAMES[kind]);
    bool cplx = s_cplx(dt);
    double eps = s_eps(dt);
    lapis_dtype cdt = s_real(dt) == LAPIS_FLOAT32 ? LAPIS_COMPLEX64 : LAPIS_COMPLEX128;
    lcx *a = s_alloc(batch * nn, sizeof(lcx)), *v = s_alloc(batch * nn, sizeof(lcx)),
        *w = s_alloc(batch * n, sizeof(lcx)), *w2 = s_alloc(batch * n, sizeof(lcx)),
        *info = s_alloc(batch, sizeof(lcx));
    for (int64_t b = 0; b < batch; b++)
        s_fill(a + b * nn, n, n, kind, cplx, s_real(dt) == LAPIS_FLOAT32, 4000 + (uint64_t)b);
    lapis_array A = s_array(a, shape, bnd + 2, dt), W = NULL, V = NULL, Info = NULL, W2 = NULL;
    lapis_status st = lapis_linalg_eig_ex(&W, &V, &Info, A, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) {
        h_count("eig (unsupported)", dt);
        goto done;
    }
    if (!H_OK(st)) goto done;
    H_CHECK(lapis_array_dtype(W) == cdt && lapis_array_dtype(V) == cdt &&
                lapis_array_ndim(W) == bnd + 1 && lapis_array_ndim(V) == bnd + 2,
            "eig shapes/dtypes (%s)", what);
    H_OK(s_read(W, w));
    H_OK(s_read(V, v));
    H_OK(s_read(Info, info));
    for (int64_t b = 0; b < batch; b++) {
        const lcx *ab = a + b * nn, *vb = v + b * nn, *wb = w + b * n;
        H_CHECK(info[b] == 0, "eig info %g (%s)", (double)creall(info[b]), what);
        h_ratio("eig |AV-VW|", dt, eig_ratio(ab, vb, wb, n, eps, true), 30, what);
        ld worst = 0;
        for (int64_t j = 0; j < n; j++) {
            ld s = 0;
            for (int64_t i = 0; i < n; i++) s += s_cabs(vb[i * n + j]) * s_cabs(vb[i * n + j]);
            ld e = fabsl(sqrtl(s) - 1);
            if (!(e <= worst)) worst = e;
        }
        h_ratio("eig |v|=1", dt, s_ratio(worst, (ld)(n ? n : 1) * eps), 30, what);
        if (!cplx) { /* real input: the spectrum is closed under conjugation */
            bool closed = true;
            for (int64_t j = 0; j < n; j++) {
                if (cimagl(wb[j]) == 0) continue;
                bool found = false;
                for (int64_t l = 0; l < n; l++) found |= wb[l] == conjl(wb[j]);
                closed &= found;
            }
            H_CHECK(closed, "eig of a real matrix: conjugate pairs (%s)", what);
        }
    }
    if (kind == S_RANDOM && H_OK(lapis_linalg_eigvals(&W2, A, d->stream))) {
        H_OK(s_read(W2, w2));
        for (int64_t b = 0; b < batch; b++) {
            ld worst = 0;
            for (int64_t i = 0; i < n; i++) {
                ld best = INFINITY;
                for (int64_t l = 0; l < n; l++) best = fminl(best, s_cabs(w2[b * n + i] - w[b * n + l]));
                if (!(best <= worst)) worst = best;
            }
            h_ratio("eigvals vs eig", dt,
                    s_ratio(worst, (ld)(n ? n : 1) * s_norm1(a + b * nn, n, n) * eps), 30, what);
        }
    }
done:
    lapis_array_free(A);
    lapis_array_free(W);
    lapis_array_free(V);
    lapis_array_free(Info);
    lapis_array_free(W2);
    free(a); free(v); free(w); free(w2); free(info);
}

/* ---- zero size, non-finite, errors --------------------------------------------------- */

static void zero_size(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    static const int64_t shapes[][3] = {{0, 0, 0}, {2, 0, 0}, {0, 3, 3}};
    for (int c = 0; c < 3; c++) {
        int nd = c == 0 ? 2 : 3;
        int64_t shape[3] = {shapes[c][0], shapes[c][1], shapes[c][2]};
        lcx dummy[1] = {0};
        lapis_array A = s_array(dummy, c == 0 ? shape + 1 : shape, nd, dt);
        lapis_array W = NULL, V = NULL, W2 = NULL, V2 = NULL;
        lapis_status st = lapis_linalg_eigh(&W, &V, A, false, d->stream);
        if (!(st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) && H_OK(st))
            H_CHECK(lapis_array_ndim(W) == nd - 1 && lapis_array_ndim(V) == nd &&
                        lapis_array_shape(W)[nd - 2] == shape[3 - nd + nd - 2] &&
                        lapis_array_size(W) == (c == 2 ? 0 : 0),
                    "eigh zero-size shapes (case %d)", c);
        st = lapis_linalg_eig(&W2, &V2, A, d->stream);
        if (!(st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) && H_OK(st))
            H_CHECK(lapis_array_ndim(W2) == nd - 1 && lapis_array_ndim(V2) == nd &&
                        lapis_array_size(V2) == 0,
                    "eig zero-size shapes (case %d)", c);
        h_count("eig/eigh zero-size", dt);
        lapis_array_free(A);
        lapis_array_free(W);
        lapis_array_free(V);
        lapis_array_free(W2);
        lapis_array_free(V2);
    }
}

static void nonfinite(const h_dev *d, lapis_dtype dt) {
    s_cur_kind = -1;
    int64_t shape[3] = {4, 3, 3};
    lcx a[36];
    for (int b = 0; b < 4; b++) s_fill_herm(a + b * 9, 3, S_RANDOM, s_cplx(dt), false, 50 + b);
    a[9 + 3] = NAN;           /* (1,0): in the lower triangle, read          */
    a[18 + 1] = INFINITY;     /* (0,1): upper, not read by the lower variant */
    for (int i = 27; i < 36; i++) a[i] = INFINITY;
    lapis_array A = s_array(a, shape, 3, dt), W = NULL, V = NULL, Info = NULL, W2 = NULL,
                V2 = NULL, Info2 = NULL, Wp = NULL, Vp = NULL;
    lapis_status st = lapis_linalg_eigh_ex(&W, &V, &Info, A, false, d->stream);
    if (st == LAPIS_ERR_UNSUPPORTED && d->dev.type == LAPIS_GPU) goto done;
    if (H_OK(st)) {
        lcx info[4], w[12];
        H_OK(s_read(Info, info));
        H_OK(s_read(W, w));
        H_CHECK(info[0] == 0 && creall(info[1]) == LAPIS_INFO_NON_FINITE && info[2] == 0 &&
                    creall(info[3]) == LAPIS_INFO_NON_FINITE,
                "eigh non-finite info %g %g %g %g", (double)creall(info[0]),
                (double)creall(info[1]), (double)creall(info[2]), (double)creall(info[3]));
        H_CHECK(isnan(creall(w[3])) && isnan(creall(w[11])) && isfinite(creall(w[6])),
                "eigh: failed matrices NaN, the unread Inf ignored");
    }
    if (H_OK(lapis_linalg_eig_ex(&W2, &V2, &Info2, A, d->stream))) {
        lcx info[4], v[36];
        H_OK(s_read(Info2, info));
        H_OK(s_read(V2, v));
        H_CHECK(info[0] == 0 && creall(info[1]) == LAPIS_INFO_NON_FINITE &&
                    creall(info[2]) == LAPIS_INFO_NON_FINITE &&
                    creall(info[3]) == LAPIS_INFO_NON_FINITE,
                "eig non-finite info");
        H_CHECK(isnan(creall(v[9])) && isnan(cimagl(v[35])), "eig: failed matrices NaN");
    }
    if (H_OK(lapis_linalg_eigh(&Wp, &Vp, A, false, d->stream))) {
        lcx w[12];
        H_STATUS(s_read(Wp, w), LAPIS_ERR_NON_FINITE,
                 "[linalg::eigh] (batch element 1) The input matrix contains NaN or Inf.",
                 "plain eigh read");
    }
    h_count("eig/eigh non-finite", dt);
done:
    lapis_array_free(A);
    lapis_array_free(W);
    lapis_array_free(V);
    lapis_array_free(Info);
    lapis_array_free(W2);
    lapis_array_free(V2);
    lapis_array_free(Info2);
    lapis_array_free(Wp);
    lapis_array_free(Vp);
}

static void arg_errors(const h_dev *d) {
    s_cur_kind = -1;
    int64_t sq[2] = {3, 3}, rect[2] = {3, 2}, sh1[1] = {3};
    lcx x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    lapis_array A = s_array(x, sq, 2, LAPIS_FLOAT64), Rm = s_array(x, rect, 2, LAPIS_FLOAT64),
                V1 = s_array(x, sh1, 1, LAPIS_FLOAT64), N = s_array(x, sq, 2, LAPIS_INT32);
    lapis_array w = H_SENTINEL, v = H_SENTINEL, info = H_SENTINEL;
    const char *ops[4] = {"eigh", "eigvalsh", "eig", "eigvals"};
    for (int o = 0; o < 4; o++) {
        char pre[64], msg[200];
        snprintf(pre, sizeof pre, "[linalg::%s]", ops[o]);
#define CALL(arr)                                                                             \
    (o == 0 ? lapis_linalg_eigh(&w, &v, arr, false, d->stream)                                \
     : o == 1 ? lapis_linalg_eigvalsh(&w, arr, true, d->stream)                               \
     : o == 2 ? lapis_linalg_eig(&w, &v, arr, d->stream)                                      \
              : lapis_linalg_eigvals(&w, arr, d->stream))
        H_STATUS(CALL(NULL), LAPIS_ERR_INVALID_ARGUMENT, pre, "a NULL");
        snprintf(msg, sizeof msg, "%s Only defined for square matrices.", pre);
        H_STATUS(CALL(Rm), LAPIS_ERR_SHAPE, msg, "non-square");
        snprintf(msg, sizeof msg,
                 "%s Arrays must have >= 2 dimensions. Received array with 1 dimensions.", pre);
        H_STATUS(CALL(V1), LAPIS_ERR_SHAPE, msg, "1-D");
        snprintf(msg, sizeof msg,
                 "%s Arrays must have type float32, float64, complex64 or complex128. Received "
                 "array with type int32.",
                 pre);
        H_STATUS(CALL(N), LAPIS_ERR_DTYPE, msg, "int32");
#undef CALL
    }
    H_STATUS(lapis_linalg_eigh(NULL, &v, A, false, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::eigh]", "eigh w NULL");
    H_STATUS(lapis_linalg_eigh(&w, NULL, A, false, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::eigh]", "eigh v NULL");
    H_STATUS(lapis_linalg_eigh_ex(&w, &v, NULL, A, false, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::eigh]", "eigh_ex info NULL");
    H_STATUS(lapis_linalg_eigvalsh_ex(&w, NULL, A, false, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::eigvalsh]", "eigvalsh_ex info NULL");
    H_STATUS(lapis_linalg_eig(&w, NULL, A, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::eig]", "eig v NULL");
    H_STATUS(lapis_linalg_eig_ex(&w, &v, NULL, A, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::eig]", "eig_ex info NULL");
    H_CHECK(w == H_SENTINEL && v == H_SENTINEL && info == H_SENTINEL,
            "eig/eigh outputs touched on error");
    h_count("eig/eigh arg errors", LAPIS_FLOAT64);
    lapis_array_free(A);
    lapis_array_free(Rm);
    lapis_array_free(V1);
    lapis_array_free(N);
}

int main(void) {
    h_init("test_eig");
    h_watchdog(h_full() ? 880 : 600, "test_eig"); /* the full lattice adds n = 129, 257 */
    static const int64_t sizes[] = {1, 2, 3, 5, 16, 33, 64};
    static const int64_t bshapes[3][2] = {{0, 0}, {3, 0}, {2, 3}};
    for (int di = 0; di < h_ndev(); di++) {
        const h_dev *d = h_dev_at(di);
        for (int t = 0; t < 4; t++) {
            lapis_dtype dt = S_DTYPES[t];
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                for (int kind = 0; kind < S_NKINDS; kind++) {
                    if (kind == S_KAHAN) continue;
                    if (sizes[s] >= 64 && kind != S_RANDOM && kind != S_CLUSTER) continue;
                    int bi = sizes[s] >= 33 ? (int)(kind % 2) : (int)((s + kind) % 3);
                    eigh_case(d, dt, sizes[s], kind, bshapes[bi], bi, (s + kind) % 2 == 1);
                    eig_case(d, dt, sizes[s], kind, bshapes[bi], bi);
                }
            eigh_case(d, dt, 90, S_KAHAN, NULL, 0, false);
            eig_case(d, dt, 90, S_KAHAN, NULL, 0);
            eigh_case(d, dt, 21, S_WILKINSON, NULL, 0, true);
            eig_case(d, dt, 21, S_WILKINSON, NULL, 0);
            if (h_full()) {
                static const int64_t big[] = {129, 257};
                for (int s = 0; s < 2; s++)
                    for (int kind = 0; kind < S_NKINDS; kind++) {
                        eigh_case(d, dt, big[s], kind, bshapes[1], 1, false);
                        eig_case(d, dt, big[s], kind, bshapes[1], 1);
                    }
            }
            zero_size(d, dt);
            nonfinite(d, dt);
        }
        arg_errors(d);
    }
    h_watchdog_off();
    s_print_kinds();
    return h_finish();
}
