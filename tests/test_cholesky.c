/*
 * Cholesky family: cholesky (+_ex, lower/upper), cholesky_inv (+_ex),
 * cholesky_jitter. Ratios on the lattice, exact failure indices in
 * batches, failure surfacing, non-finite input, unreferenced triangles.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t shape_of(int64_t *shape, const int64_t *bshape, int bnd, int64_t n) {
    int64_t batch = 1;
    for (int i = 0; i < bnd; i++) {
        shape[i] = bshape[i];
        batch *= bshape[i];
    }
    shape[bnd] = n;
    shape[bnd + 1] = n;
    return batch;
}

/* Types that may legitimately fail to factor (cond beyond 1/(n eps)). */
static bool may_fail(const h_mtype *mt) {
    return mt->cond == H_COND_BIG || mt->type == MATGEN_HILBERT || mt->type == MATGEN_PASCAL;
}

/* The other triangle of a factor must be exactly zero. */
static bool other_triangle_zero(const double *l, int64_t n, bool upper) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            if ((upper ? j < i : j > i) && l[i * n + j] != 0) return false;
    return true;
}

static void run_cholesky(const h_case *c, void *ctx) {
    (void)ctx;
    int64_t shape[4], n = c->n, nn = n * n;
    int64_t batch = shape_of(shape, c->bshape, c->bnd, n);
    double eps = h_eps(c->dt);
    lapis_array a = h_array(c->a, shape, c->bnd + 2, c->dt);
    if (!a) return;
    double *l = h_alloc((size_t)(batch * nn + 1) * sizeof(double));
    double *x = h_alloc((size_t)(batch * nn + 1) * sizeof(double));
    double *info = h_alloc((size_t)(batch + 1) * sizeof(double));
    double *info2 = h_alloc((size_t)(batch + 1) * sizeof(double));
    for (int up = 0; up < 2; up++) {
        bool upper = up == 1;
        char what[200];
        snprintf(what, sizeof what, "%s %s", c->desc, upper ? "upper" : "lower");
        lapis_array L = NULL, I = NULL, X = NULL, I2 = NULL, Lp = NULL;
        if (!H_OK(lapis_linalg_cholesky_ex(&L, &I, a, upper, c->dev->stream))) continue;
        H_CHECK(lapis_array_ndim(L) == c->bnd + 2 && lapis_array_ndim(I) == c->bnd &&
                    lapis_array_dtype(L) == c->dt && lapis_array_dtype(I) == LAPIS_INT32,
                "cholesky_ex output shapes/dtypes (%s)", what);
        H_OK(h_read(L, l));
        H_OK(h_read(I, info));
        bool any_fail = false;
        for (int64_t j = 0; j < batch; j++) {
            const double *aj = c->a + j * nn, *lj = l + j * nn;
            if (info[j] != 0) {
                any_fail = true;
                H_CHECK(may_fail(c->mt) && info[j] > 0 && info[j] <= n,
                        "cholesky info %g for matrix %lld (%s)", info[j], (long long)j, what);
                H_CHECK(h_all_nan(lj, nn), "failed cholesky output not all NaN (%s)", what);
                continue;
            }
            h_ratio("cholesky", c->dt, h_ratio_chol(aj, lj, n, upper, eps), H_THRESHOLD, what);
            H_CHECK(other_triangle_zero(lj, n, upper) && h_all_finite(lj, nn),
                    "cholesky factor: other triangle not 0 or non-finite (%s)", what);
        }
        /* The plain variant gives the same bits and, with no failure, a clean stream. */
        if (H_OK(lapis_linalg_cholesky(&Lp, a, upper, c->dev->stream))) {
            double *lp = h_alloc((size_t)(batch * nn + 1) * sizeof(double));
            lapis_status st = h_read(Lp, lp);
            H_CHECK(any_fail ? st == LAPIS_ERR_NOT_POSITIVE_DEFINITE : st == LAPIS_OK,
                    "plain cholesky read status %s (%s)", lapis_status_string(st), what);
            H_CHECK(memcmp(lp, l, (size_t)(batch * nn) * sizeof(double)) == 0,
                    "cholesky and cholesky_ex differ (%s)", what);
            free(lp);
            lapis_array_free(Lp);
            /* already returned by the read: the stream is clean */
            H_STATUS(lapis_synchronize(c->dev->stream), LAPIS_OK, NULL, "synchronize after read");
        }
        /* cholesky_inv from the factor */
        if (!any_fail && H_OK(lapis_linalg_cholesky_inv_ex(&X, &I2, L, upper, c->dev->stream))) {
            H_OK(h_read(X, x));
            H_OK(h_read(I2, info2));
            for (int64_t j = 0; j < batch; j++) {
                const double *xj = x + j * nn;
                if (!H_CHECK(info2[j] == 0, "cholesky_inv info %g (%s)", info2[j], what)) continue;
                h_ratio("cholesky_inv", c->dt, h_ratio_inv(c->a + j * nn, xj, n, eps),
                        H_THRESHOLD, what);
                bool sym = h_all_finite(xj, nn);
                for (int64_t r = 0; r < n && sym; r++)
                    for (int64_t s = 0; s < r; s++) sym &= xj[r * n + s] == xj[s * n + r];
                H_CHECK(sym, "cholesky_inv output not finite and exactly symmetric (%s)", what);
            }
            lapis_array P = NULL;
            if (H_OK(lapis_linalg_cholesky_inv(&P, L, upper, c->dev->stream))) {
                double *xp = h_alloc((size_t)(batch * nn + 1) * sizeof(double));
                H_OK(h_read(P, xp));
                H_CHECK(memcmp(xp, x, (size_t)(batch * nn) * sizeof(double)) == 0,
                        "cholesky_inv and _ex differ (%s)", what);
                free(xp);
                lapis_array_free(P);
            }
        }
        lapis_array_free(L);
        lapis_array_free(I);
        lapis_array_free(X);
        lapis_array_free(I2);
    }
    free(l);
    free(x);
    free(info);
    free(info2);
    lapis_array_free(a);
}

static const h_mtype k_types[] = {
    {.name = "spd", .type = MATGEN_SPD, .cond = 0, .all_batches = true},
    {.name = "spd_cond_sqrt", .type = MATGEN_SPD, .cond = H_COND_SQRT},
    {.name = "spd_cond_big", .type = MATGEN_SPD, .cond = H_COND_BIG},
    {.name = "spd_underflow", .type = MATGEN_SPD, .cond = 10, .scale = 1},
    {.name = "spd_overflow", .type = MATGEN_SPD, .cond = 10, .scale = 2},
    {.name = "graded", .type = MATGEN_GRADED},
    {.name = "hilbert", .type = MATGEN_HILBERT, .max_n = 16},
    {.name = "pascal", .type = MATGEN_PASCAL, .max_n = 16},
};

/* ---- exact failure indices ----------------------------------------------- */

static void failure_batches(const h_dev *dev) {
    static const int64_t ns[] = {1, 2, 5, 33};
    static const lapis_dtype dts[] = {LAPIS_FLOAT32, LAPIS_FLOAT64};
    for (size_t di = 0; di < 2; di++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (int pos = 0; pos < 3; pos++)
                for (int shp = 0; shp < 2; shp++) {
                    lapis_dtype dt = dts[di];
                    int64_t n = ns[ni], nn = n * n;
                    int64_t bshape[2] = {shp ? 2 : 5, 3};
                    int bnd = shp ? 2 : 1;
                    int64_t shape[4];
                    int64_t batch = shape_of(shape, bshape, bnd, n);
                    int64_t bad = pos == 0 ? 0 : pos == 1 ? batch / 2 : batch - 1;
                    bool upper = (pos + shp) % 2 == 1;
                    double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
                    double *l = h_alloc((size_t)(batch * nn) * sizeof(double));
                    double info[8];
                    for (int64_t j = 0; j < batch; j++)
                        memcpy(a + j * nn,
                               h_gen(j == bad ? MATGEN_NOT_SPD : MATGEN_SPD, n, 100, false, 0,
                                     (uint64_t)j),
                               (size_t)nn * sizeof(double));
                    h_round(a, batch * nn, dt);
                    char what[160];
                    snprintf(what, sizeof what, "%s %s n=%lld batch %lld bad at %lld %s",
                             dev->name, h_dtname(dt), (long long)n, (long long)batch,
                             (long long)bad, upper ? "upper" : "lower");
                    lapis_array A = h_array(a, shape, bnd + 2, dt), L = NULL, I = NULL;
                    int64_t want = n / 2 + 1;
                    if (A && H_OK(lapis_linalg_cholesky_ex(&L, &I, A, upper, dev->stream))) {
                        H_OK(h_read(L, l));
                        H_OK(h_read(I, info));
                        for (int64_t j = 0; j < batch; j++) {
                            if (j == bad) {
                                H_CHECK(info[j] == (double)want, "info %g want %lld (%s)", info[j],
                                        (long long)want, what);
                                H_CHECK(h_all_nan(l + j * nn, nn), "failed output not NaN (%s)",
                                        what);
                            } else {
                                H_CHECK(info[j] == 0, "good matrix info %g (%s)", info[j], what);
                                h_ratio("cholesky", dt,
                                        h_ratio_chol(a + j * nn, l + j * nn, n, upper, h_eps(dt)),
                                        H_THRESHOLD, what);
                            }
                        }
                        h_count("cholesky(failures)", dt);
                    }
                    lapis_array_free(L);
                    lapis_array_free(I);
                    /* plain: error at synchronize, then at read (each once) */
                    char elem[64], order[64];
                    if (bnd == 1)
                        snprintf(elem, sizeof elem, "(batch element %lld)", (long long)bad);
                    else
                        snprintf(elem, sizeof elem, "(batch element (%lld, %lld))",
                                 (long long)(bad / 3), (long long)(bad % 3));
                    snprintf(order, sizeof order, "order %lld", (long long)want);
                    for (int mode = 0; A && mode < 2; mode++) {
                        lapis_array P = H_SENTINEL;
                        if (!H_OK(lapis_linalg_cholesky(&P, A, upper, dev->stream))) continue;
                        H_CHECK(P != H_SENTINEL, "plain cholesky did not set its output");
                        lapis_status st;
                        if (mode == 0) {
                            st = lapis_synchronize(dev->stream);
                        } else {
                            st = h_read(P, l);
                            H_CHECK(h_all_nan(l + bad * nn, nn), "read: failed matrix not NaN");
                        }
                        const char *msg = lapis_last_error();
                        H_CHECK(st == LAPIS_ERR_NOT_POSITIVE_DEFINITE &&
                                    strncmp(msg, "[linalg::cholesky]", 18) == 0 &&
                                    strstr(msg, elem) && strstr(msg, order),
                                "plain cholesky %s: %s \"%s\" (want %s, %s; %s)",
                                mode ? "read" : "synchronize", lapis_status_string(st), msg, elem,
                                order, what);
                        /* reported once: the stream is clean afterwards */
                        H_STATUS(lapis_synchronize(dev->stream), LAPIS_OK, NULL,
                                 "second synchronize");
                        if (mode == 0) {
                            /* the array still carries the failure for its reader */
                            st = h_read(P, l);
                            H_CHECK(st == LAPIS_ERR_NOT_POSITIVE_DEFINITE,
                                    "read after synchronize: %s", lapis_status_string(st));
                        }
                        lapis_array_free(P);
                    }
                    lapis_array_free(A);
                    free(a);
                    free(l);
                }
}

/* cholesky_inv of a factor with a zero diagonal element k: info k+1, NaN. */
static void cholesky_inv_failures(const h_dev *dev) {
    for (int di = 0; di < 2; di++) {
        lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
        int64_t n = 6, nn = 36, batch = 3;
        for (int64_t k = 0; k < n; k += 5) {
            double *f = h_alloc((size_t)(batch * nn) * sizeof(double));
            double x[3 * 36], info[3];
            for (int64_t j = 0; j < batch; j++) {
                memcpy(f + j * nn, h_gen(MATGEN_LOWER, n, 0, false, 0, 40 + (uint64_t)j),
                       (size_t)nn * sizeof(double));
            }
            f[1 * nn + k * n + k] = 0; /* matrix 1 */
            h_round(f, batch * nn, dt);
            int64_t shape[3] = {batch, n, n};
            lapis_array F = h_array(f, shape, 3, dt), X = NULL, I = NULL;
            if (F && H_OK(lapis_linalg_cholesky_inv_ex(&X, &I, F, false, dev->stream))) {
                H_OK(h_read(X, x));
                H_OK(h_read(I, info));
                H_CHECK(info[0] == 0 && info[2] == 0 && info[1] == (double)(k + 1),
                        "cholesky_inv info %g %g %g, want 0 %lld 0", info[0], info[1], info[2],
                        (long long)(k + 1));
                H_CHECK(h_all_nan(x + nn, nn) && h_all_finite(x, nn) && h_all_finite(x + 2 * nn, nn),
                        "cholesky_inv NaN poisoning of the failed matrix only");
                h_count("cholesky_inv(failures)", dt);
            }
            lapis_array_free(X);
            lapis_array_free(I);
            lapis_array P = NULL;
            if (F && H_OK(lapis_linalg_cholesky_inv(&P, F, false, dev->stream))) {
                lapis_status st = lapis_synchronize(dev->stream);
                H_CHECK(st == LAPIS_ERR_SINGULAR &&
                            strncmp(lapis_last_error(), "[linalg::cholesky_inv]", 22) == 0 &&
                            strstr(lapis_last_error(), "(batch element 1)"),
                        "plain cholesky_inv: %s \"%s\"", lapis_status_string(st),
                        lapis_last_error());
            }
            lapis_array_free(P);
            lapis_array_free(F);
            free(f);
        }
    }
}

/* ---- non-finite input ----------------------------------------------------- */

static void nonfinite(const h_dev *dev) {
    static const double vals[3] = {NAN, INFINITY, -INFINITY};
    static const matgen_where wheres[4] = {MATGEN_AT_00, MATGEN_AT_LAST_DIAG,
                                           MATGEN_AT_OFFDIAG_LOWER, MATGEN_AT_OFFDIAG_UPPER};
    static const int64_t ns[] = {1, 4, 40};
    for (int di = 0; di < 2; di++)
        for (size_t ni = 0; ni < 3; ni++)
            for (int w = 0; w < 4; w++)
                for (int v = 0; v < 3; v++)
                    for (int up = 0; up < 2; up++) {
                        lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                        int64_t n = ns[ni], nn = n * n;
                        bool upper = up == 1;
                        /* batch of 2: matrix 1 is poisoned */
                        double *a = h_alloc((size_t)(2 * nn) * sizeof(double));
                        double *l = h_alloc((size_t)(2 * nn) * sizeof(double));
                        double *ref = h_alloc((size_t)(2 * nn) * sizeof(double));
                        double info[2];
                        memcpy(a, h_gen(MATGEN_SPD, n, 10, false, 0, 1), (size_t)nn * sizeof(double));
                        memcpy(a + nn, h_gen(MATGEN_SPD, n, 10, false, 0, 2), (size_t)nn * sizeof(double));
                        h_round(a, 2 * nn, dt);
                        int64_t shape[3] = {2, n, n};
                        lapis_array A0 = h_array(a, shape, 3, dt), R = NULL, RI = NULL;
                        if (A0 && H_OK(lapis_linalg_cholesky_ex(&R, &RI, A0, upper, dev->stream)))
                            H_OK(h_read(R, ref));
                        lapis_array_free(R);
                        lapis_array_free(RI);
                        lapis_array_free(A0);
                        matgen_inject(a + nn, n, wheres[w], vals[v]);
                        /* in the unreferenced triangle only when strictly off the diagonal */
                        bool unref = n > 1 && ((wheres[w] == MATGEN_AT_OFFDIAG_UPPER && !upper) ||
                                               (wheres[w] == MATGEN_AT_OFFDIAG_LOWER && upper));
                        char what[160];
                        snprintf(what, sizeof what, "%s %s n=%lld where=%d value=%g %s",
                                 dev->name, h_dtname(dt), (long long)n, w, vals[v],
                                 upper ? "upper" : "lower");
                        lapis_array A = h_array(a, shape, 3, dt), L = NULL, I = NULL;
                        h_watchdog(10, what);
                        if (A && H_OK(lapis_linalg_cholesky_ex(&L, &I, A, upper, dev->stream))) {
                            h_watchdog_off();
                            H_OK(h_read(L, l));
                            H_OK(h_read(I, info));
                            H_CHECK(info[0] == 0, "clean matrix info %g (%s)", info[0], what);
                            if (unref) {
                                H_CHECK(info[1] == 0 &&
                                            memcmp(l, ref, (size_t)(2 * nn) * sizeof(double)) == 0,
                                        "unreferenced non-finite changed the result (info %g, %s)",
                                        info[1], what);
                            } else {
                                H_CHECK(info[1] == LAPIS_INFO_NON_FINITE && h_all_nan(l + nn, nn),
                                        "non-finite input: info %g (%s)", info[1], what);
                            }
                            h_count("cholesky(non-finite)", dt);
                        }
                        h_watchdog_off();
                        lapis_array_free(L);
                        lapis_array_free(I);
                        /* the plain variant records LAPIS_ERR_NON_FINITE */
                        lapis_array P = NULL;
                        if (A && H_OK(lapis_linalg_cholesky(&P, A, upper, dev->stream))) {
                            lapis_status st = lapis_synchronize(dev->stream);
                            H_CHECK(unref ? st == LAPIS_OK
                                          : st == LAPIS_ERR_NON_FINITE &&
                                                strstr(lapis_last_error(), "(batch element 1)"),
                                    "plain cholesky non-finite: %s \"%s\" (%s)",
                                    lapis_status_string(st), lapis_last_error(), what);
                        }
                        lapis_array_free(P);
                        /* cholesky_inv reads one triangle of the factor the same way */
                        lapis_array X = NULL, XI = NULL;
                        h_watchdog(10, what);
                        if (A && H_OK(lapis_linalg_cholesky_inv_ex(&X, &XI, A, upper, dev->stream))) {
                            h_watchdog_off();
                            H_OK(h_read(XI, info));
                            H_CHECK(unref ? info[1] == 0 || info[1] > 0
                                          : info[1] == LAPIS_INFO_NON_FINITE,
                                    "cholesky_inv non-finite: info %g (%s)", info[1], what);
                            h_count("cholesky_inv(non-finite)", dt);
                        }
                        h_watchdog_off();
                        lapis_array_free(X);
                        lapis_array_free(XI);
                        lapis_array_free(A);
                        free(a);
                        free(l);
                        free(ref);
                    }
}

/* Garbage (not NaN) in the unreferenced triangle is never read. */
static void unreferenced_triangle(const h_dev *dev) {
    for (int di = 0; di < 2; di++)
        for (int up = 0; up < 2; up++) {
            lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            bool upper = up == 1;
            int64_t n = 17, nn = n * n, shape[2] = {n, n};
            double a[17 * 17], g[17 * 17], l1[17 * 17], l2[17 * 17];
            memcpy(a, h_gen(MATGEN_SPD, n, 10, false, 0, 3), sizeof a);
            h_round(a, nn, dt);
            memcpy(g, a, sizeof g);
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++)
                    if (upper ? j < i : j > i) g[i * n + j] = -1e30 * (double)(i + 2 * j + 1);
            lapis_array A = h_array(a, shape, 2, dt), G = h_array(g, shape, 2, dt);
            lapis_array L1 = NULL, L2 = NULL, X1 = NULL, X2 = NULL;
            if (A && G && H_OK(lapis_linalg_cholesky(&L1, A, upper, dev->stream)) &&
                H_OK(lapis_linalg_cholesky(&L2, G, upper, dev->stream))) {
                H_OK(h_read(L1, l1));
                H_OK(h_read(L2, l2));
                H_CHECK(memcmp(l1, l2, sizeof l1) == 0, "cholesky read the other triangle");
                /* cholesky_inv with garbage in the factor's other triangle */
                for (int64_t i = 0; i < n; i++)
                    for (int64_t j = 0; j < n; j++)
                        if (upper ? j < i : j > i) l2[i * n + j] = 3.0 + (double)(i * j);
                lapis_array F = h_array(l2, shape, 2, dt);
                if (F && H_OK(lapis_linalg_cholesky_inv(&X1, L1, upper, dev->stream)) &&
                    H_OK(lapis_linalg_cholesky_inv(&X2, F, upper, dev->stream))) {
                    H_OK(h_read(X1, l1));
                    H_OK(h_read(X2, l2));
                    H_CHECK(memcmp(l1, l2, sizeof l1) == 0, "cholesky_inv read the other triangle");
                }
                lapis_array_free(F);
            }
            lapis_array_free(A);
            lapis_array_free(G);
            lapis_array_free(L1);
            lapis_array_free(L2);
            lapis_array_free(X1);
            lapis_array_free(X2);
        }
}

/* ---- jitter ------------------------------------------------------------------- */

static void jitter(const h_dev *dev) {
    for (int di = 0; di < 2; di++) {
        lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
        double eps = h_eps(dt);
        int64_t n = 8, nn = 64, batch = 4, shape[3] = {4, 8, 8};
        double a[4 * 64], l[4 * 64], jit[4], info[4];
        /* 0: SPD; 1: PSD of rank 4 (B B^T); 2: negative definite (eigenvalues
         * -1..-0.1, beyond 8 tries even in float32); 3: SPD */
        memcpy(a, h_gen(MATGEN_SPD, n, 10, false, 0, 5), nn * sizeof(double));
        const double *b = h_gen(MATGEN_RANDOM, n, 0, false, 0, 6);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int64_t p = 0; p < 4; p++) s += b[i * n + p] * b[j * n + p];
                a[nn + i * n + j] = s;
            }
        for (int64_t i = 0; i < nn; i++) a[2 * nn + i] = -h_gen(MATGEN_SPD, n, 10, false, 0, 7)[i];
        memcpy(a + 3 * nn, h_gen(MATGEN_SPD, n, 10, false, 0, 8), nn * sizeof(double));
        h_round(a, batch * nn, dt);
        lapis_array A = h_array(a, shape, 3, dt), L = NULL, J_ = NULL, I = NULL;
        if (A && H_OK(lapis_linalg_cholesky_jitter(&L, &J_, &I, A, false, 0, dev->stream))) {
            H_OK(h_read(L, l));
            H_OK(h_read(J_, jit));
            H_OK(h_read(I, info));
            H_CHECK(jit[0] == 0 && jit[3] == 0 && info[0] == 0 && info[3] == 0,
                    "jitter of SPD matrices: %g %g info %g %g", jit[0], jit[3], info[0], info[3]);
            H_CHECK(jit[1] > 0 && isfinite(jit[1]) && info[1] == 0, "PSD matrix: jitter %g info %g",
                    jit[1], info[1]);
            H_CHECK(isnan(jit[2]) && info[2] > 0 && h_all_nan(l + 2 * nn, nn),
                    "not-SPD matrix: jitter %g info %g", jit[2], info[2]);
            double shifted[64];
            memcpy(shifted, a + nn, sizeof shifted);
            for (int64_t i = 0; i < n; i++) shifted[i * n + i] += jit[1];
            h_round(shifted, nn, dt);
            h_ratio("cholesky_jitter", dt, h_ratio_chol(shifted, l + nn, n, false, eps), H_THRESHOLD,
                    "A + jitter I");
            h_ratio("cholesky_jitter", dt, h_ratio_chol(a, l, n, false, eps), H_THRESHOLD, "SPD");
        }
        lapis_array_free(L);
        lapis_array_free(J_);
        lapis_array_free(I);
        lapis_array_free(A);

        /* max_tries: 0 means 16 in double and 8 in float (the header).
         * Smallest eigenvalue d0 = -0.3 * 10^J * eps * mean|diag|: the tries
         * j = 0..J-1 fail, j = J succeeds, so J+1 tries are needed.
         * double: J = 9; float: J = 4 (the default succeeds in both). */
        int J = dt == LAPIS_FLOAT64 ? 9 : 4, dflt = dt == LAPIS_FLOAT64 ? 16 : 8;
        double d0 = -0.3 * pow(10.0, J) * eps * (7.0 / 8.0);
        int64_t sh2[2] = {n, n};
        double q[64];
        memset(q, 0, sizeof q);
        for (int i = 0; i < 8; i++) q[i * 8 + i] = i == 0 ? d0 : 1.0;
        lapis_array Q = h_array(q, sh2, 2, dt);
        for (int tries = 0; Q && tries < 3; tries++) {
            int mt = tries == 0 ? 0 : tries == 1 ? J : J + 1;
            bool expect_ok = mt == 0 ? dflt >= J + 1 : mt >= J + 1;
            L = J_ = I = NULL;
            if (H_OK(lapis_linalg_cholesky_jitter(&L, &J_, &I, Q, false, mt, dev->stream))) {
                double jj, ii;
                H_OK(h_read(J_, &jj));
                H_OK(h_read(I, &ii));
                H_CHECK(expect_ok ? (ii == 0 && jj > -d0 && jj < -100 * d0) : (ii > 0 && isnan(jj)),
                        "jitter max_tries=%d (%s): info %g jitter %g, expected %s", mt,
                        h_dtname(dt), ii, jj, expect_ok ? "success" : "failure");
            }
            lapis_array_free(L);
            lapis_array_free(J_);
            lapis_array_free(I);
        }
        lapis_array_free(Q);
    }
}

/* ---- one large matrix ------------------------------------------------------- */

/* Past the one-block kernel (n > 161 in float64, 232 in float32 on an H100) a single
 * matrix takes the GPU's recursive blocked path (leaves of 128 or 160 in
 * the block kernel, cuBLAS trsm and syrk between them); the quick lattice
 * stops at 33. Every lattice check at n = 300, lower and upper, one matrix
 * of each type. */
static void large_single(const h_dev *dev) {
    h_single_large(dev, k_types, (int)(sizeof k_types / sizeof k_types[0]), 300, 900,
                   run_cholesky, NULL);
}

/* Batches on the GPU's panel path (chol_batched; float64 n = 200 in
 * panels of 128 and 72, 256 in two of 128, 300 and 330 in three; float32
 * 256 and 300 in two, 330 in three, 200 in the block kernel): four
 * matrices, the second not
 * SPD (info n / 2 + 1: the first column of the second panel at n = 256),
 * the third with a non-finite element in the last row of the referenced
 * triangle, the fourth with NaN all over the other triangle (never to be
 * read), lower and upper. The good ones by ratio, with the other triangle
 * exactly zero; the failed ones all NaN. */
static void large_batched(const h_dev *dev) {
    static const int64_t ns[] = {200, 256, 300, 330};
    for (int di = 0; di < 2; di++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (int up = 0; up < 2; up++) {
                const lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                const int64_t n = ns[ni], nn = n * n, batch = 4, shape[3] = {batch, n, n};
                const bool upper = up == 1;
                double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
                double *l = h_alloc((size_t)(batch * nn) * sizeof(double));
                double *clean = h_alloc((size_t)nn * sizeof(double));
                double info[4];
                for (int64_t j = 0; j < batch; j++)
                    memcpy(a + j * nn,
                           h_gen(j == 1 ? MATGEN_NOT_SPD : MATGEN_SPD, n, 100, false, 0,
                                 (uint64_t)(7 + j)),
                           (size_t)nn * sizeof(double));
                h_round(a, batch * nn, dt);
                /* the last row of the referenced triangle: (n-1, 1) lower, (1, n-1) upper */
                a[2 * nn + (upper ? n + n - 1 : (n - 1) * n + 1)] = di ? NAN : INFINITY;
                memcpy(clean, a + 3 * nn, (size_t)nn * sizeof(double));
                for (int64_t i = 0; i < n; i++)
                    for (int64_t j = 0; j < n; j++)
                        if (upper ? j < i : j > i) a[3 * nn + i * n + j] = NAN;
                char what[160];
                snprintf(what, sizeof what, "%s %s n=%lld batch 4 %s", dev->name, h_dtname(dt),
                         (long long)n, upper ? "upper" : "lower");
                lapis_array A = h_array(a, shape, 3, dt), L = NULL, I = NULL;
                if (A && H_OK(lapis_linalg_cholesky_ex(&L, &I, A, upper, dev->stream)) &&
                    H_OK(h_read(L, l)) && H_OK(h_read(I, info))) {
                    for (int64_t j = 0; j < batch; j++) {
                        const double want = j == 1 ? (double)(n / 2 + 1)
                                            : j == 2 ? LAPIS_INFO_NON_FINITE
                                                     : 0;
                        H_CHECK(info[j] == want, "matrix %lld: info %g, want %g (%s)",
                                (long long)j, info[j], want, what);
                        if (j == 1 || j == 2) {
                            H_CHECK(h_all_nan(l + j * nn, nn), "matrix %lld not all NaN (%s)",
                                    (long long)j, what);
                            continue;
                        }
                        H_CHECK(other_triangle_zero(l + j * nn, n, upper),
                                "matrix %lld: other triangle not zero (%s)", (long long)j, what);
                        h_ratio("cholesky", dt,
                                h_ratio_chol(j == 3 ? clean : a + j * nn, l + j * nn, n, upper,
                                             h_eps(dt)),
                                H_THRESHOLD, what);
                    }
                    h_count("cholesky(large batches)", dt);
                }
                lapis_array_free(A);
                lapis_array_free(L);
                lapis_array_free(I);
                free(a);
                free(l);
                free(clean);
            }
}

/* One large matrix (n = 300, the CPU's single-matrix path) with NaN or Inf
 * in the first or the last row of the referenced triangle: cholesky,
 * cholesky_inv and tri_inv report it, all NaN; in the last row of the other
 * triangle it changes nothing. */
static void nonfinite_single(const h_dev *dev) {
    const int64_t n = 300, nn = n * n;
    for (int di = 0; di < 2; di++)
        for (int up = 0; up < 2; up++)
            for (int where = 0; where < 3; where++) {
                lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                double *a = h_alloc((size_t)nn * sizeof(double));
                double *x = h_alloc((size_t)nn * sizeof(double));
                double *ref = h_alloc((size_t)nn * sizeof(double));
                double info = -1;
                memcpy(a, h_gen(MATGEN_SPD, n, 10, false, 0, 5), (size_t)nn * sizeof(double));
                h_round(a, nn, dt);
                int64_t shape[2] = {n, n};
                lapis_array A0 = h_array(a, shape, 2, dt), R0 = NULL;
                if (A0) H_OK(lapis_linalg_cholesky(&R0, A0, up == 1, dev->stream));
                if (R0) H_OK(h_read(R0, ref));
                lapis_array_free(A0);
                lapis_array_free(R0);
                /* where 0: row 0's referenced corner; 1: the last row's; 2: the
                 * last row, other triangle */
                int64_t e = where == 0 ? (up ? n - 1 : 0)
                            : where == 1 ? (up ? nn - 1 : (n - 1) * n)
                                         : (up ? (n - 1) * n : (n - 2) * n + n - 1);
                a[e] = where == 1 ? INFINITY : NAN;
                char what[128];
                snprintf(what, sizeof what, "%s %s n=%lld single, %s, bad element %lld",
                         dev->name, h_dtname(dt), (long long)n, up ? "upper" : "lower",
                         (long long)e);
                lapis_array A = h_array(a, shape, 2, dt), X = NULL, I = NULL;
                for (int op = 0; op < 3 && A; op++) {
                    lapis_status st =
                        op == 0   ? lapis_linalg_cholesky_ex(&X, &I, A, up == 1, dev->stream)
                        : op == 1 ? lapis_linalg_cholesky_inv_ex(&X, &I, A, up == 1, dev->stream)
                                  : lapis_linalg_tri_inv_ex(&X, &I, A, up == 1, dev->stream);
                    const char *name = op == 0 ? "cholesky" : op == 1 ? "cholesky_inv" : "tri_inv";
                    if (H_OK(st) && H_OK(h_read(X, x)) && H_OK(h_read(I, &info))) {
                        if (where < 2)
                            H_CHECK(info == LAPIS_INFO_NON_FINITE && h_all_nan(x, nn),
                                    "%s of non-finite input: info %g (%s)", name, info, what);
                        else if (op == 0)
                            H_CHECK(info == 0 && memcmp(x, ref, (size_t)nn * sizeof(double)) == 0,
                                    "cholesky: the other triangle's non-finite changed the "
                                    "result (info %g, %s)", info, what);
                        h_count("cholesky family(non-finite, single)", dt);
                    }
                    lapis_array_free(X);
                    lapis_array_free(I);
                    X = I = NULL;
                }
                lapis_array_free(A);
                free(a);
                free(x);
                free(ref);
            }
}

int main(void) {
    h_init("test_cholesky");
    h_lattice(k_types, (int)(sizeof k_types / sizeof k_types[0]), run_cholesky, NULL);
    for (int d = 0; d < h_ndev(); d++) {
        large_single(h_dev_at(d));
        large_batched(h_dev_at(d));
        failure_batches(h_dev_at(d));
        cholesky_inv_failures(h_dev_at(d));
        nonfinite(h_dev_at(d));
        nonfinite_single(h_dev_at(d));
        unreferenced_triangle(h_dev_at(d));
        jitter(h_dev_at(d));
    }
    return h_finish();
}
