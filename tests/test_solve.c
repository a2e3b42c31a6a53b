/*
 * Solves and triangular ops: solve (+_ex), solve_triangular (+_ex), tri_inv
 * (+_ex). Ratios on the lattice, vector and matrix right-hand sides, NumPy
 * batch broadcasting, dtype promotion, exact failure indices, non-finite
 * input and unreferenced triangles.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* src/cpu/cpu.h (whose <complex.h> would take the name I used below) */
void lapis_cpu_lu_panels(int nb, int nbi);

static int64_t exact_zero_pivot(matgen_type t, int64_t n) {
    if (n == 0) return 0;
    switch (t) {
    case MATGEN_ZERO_COL_FIRST: return 1;
    case MATGEN_ZERO_COL_MID: return n / 2 + 1;
    case MATGEN_ZERO_COL_LAST: return n;
    default: return 0;
    }
}

static void fill_rhs(double *b, int64_t count, uint64_t seed, lapis_dtype dt) {
    for (int64_t i = 0; i < count; i++) b[i] = matgen_normal(seed, (uint64_t)i);
    h_round(b, count, dt);
}

/* ---- solve on the lattice -------------------------------------------------- */

static void run_solve(const h_case *c, void *ctx) {
    (void)ctx;
    int64_t n = c->n, nn = n * n, batch = c->batch;
    int64_t k = c->bnd == 0 ? 1 : 2; /* () : a vector b; else (..., n, 2) */
    bool vec = c->bnd == 0;
    int64_t shape[4], bshape[4];
    for (int i = 0; i < c->bnd; i++) shape[i] = bshape[i] = c->bshape[i];
    shape[c->bnd] = shape[c->bnd + 1] = n;
    bshape[c->bnd] = n;
    bshape[c->bnd + 1] = k;
    double eps = h_eps(c->dt);
    int64_t zp = exact_zero_pivot(c->mt->type, n);
    lapis_stream s = c->dev->stream;
    double *b = h_alloc((size_t)(batch * n * k + 1) * sizeof(double));
    double *x = h_alloc((size_t)(batch * n * k + 1) * sizeof(double));
    double *x2 = h_alloc((size_t)(batch * n * k + 1) * sizeof(double));
    double *info = h_alloc((size_t)(batch + 1) * sizeof(double));
    fill_rhs(b, batch * n * k, 77 + (uint64_t)n, c->dt);
    lapis_array A = h_array(c->a, shape, c->bnd + 2, c->dt);
    lapis_array B = h_array(b, bshape, vec ? 1 : c->bnd + 2, c->dt);
    lapis_array X = NULL, I = NULL, XP = NULL;
    bool any_fail = false;
    if (A && B && H_OK(lapis_linalg_solve_ex(&X, &I, A, B, s))) {
        H_CHECK(lapis_array_ndim(X) == (vec ? 1 : c->bnd + 2) && lapis_array_size(X) == batch * n * k,
                "solve output shape (%s)", c->desc);
        H_OK(h_read(X, x));
        H_OK(h_read(I, info));
        for (int64_t j = 0; j < batch; j++) {
            const double *xj = x + j * n * k;
            if (zp || info[j] != 0) {
                any_fail = true;
                H_CHECK((zp ? info[j] == (double)zp
                            : info[j] > 0 && c->mt->type == MATGEN_RANK_DEFICIENT) &&
                            h_all_nan(xj, n * k),
                        "solve info %g want %lld, NaN (%s)", info[j], (long long)zp, c->desc);
                continue;
            }
            h_ratio("solve", c->dt, h_ratio_solve(c->a + j * nn, xj, b + j * n * k, n, k, eps),
                    H_THRESHOLD, c->desc);
            H_CHECK(h_all_finite(xj, n * k), "solve output not finite (%s)", c->desc);
        }
    }
    if (A && B && H_OK(lapis_linalg_solve(&XP, A, B, s))) {
        lapis_status st = lapis_synchronize(s);
        H_CHECK(any_fail ? st == LAPIS_ERR_SINGULAR &&
                               strncmp(lapis_last_error(), "[linalg::solve]", 15) == 0
                         : st == LAPIS_OK,
                "plain solve synchronize %s (%s)", lapis_status_string(st), c->desc);
        H_CHECK(h_read(XP, x2) == (any_fail ? LAPIS_ERR_SINGULAR : LAPIS_OK) &&
                    memcmp(x, x2, (size_t)(batch * n * k) * sizeof(double)) == 0,
                "solve and solve_ex differ (%s)", c->desc);
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(I);
    lapis_array_free(XP);
    free(b);
    free(x);
    free(x2);
    free(info);
}

static const h_mtype k_solve_types[] = {
    {.name = "random", .type = MATGEN_RANDOM, .all_batches = true},
    {.name = "cond_geom_sqrt", .type = MATGEN_COND_GEOM, .cond = H_COND_SQRT},
    {.name = "cond_geom_big", .type = MATGEN_COND_GEOM, .cond = H_COND_BIG},
    {.name = "cond_one_small_big", .type = MATGEN_COND_ONE_SMALL, .cond = H_COND_BIG},
    {.name = "underflow", .type = MATGEN_UNDERFLOW},
    {.name = "overflow", .type = MATGEN_OVERFLOW},
    {.name = "graded", .type = MATGEN_GRADED},
    {.name = "zero_col_mid", .type = MATGEN_ZERO_COL_MID},
    {.name = "zero_col_last", .type = MATGEN_ZERO_COL_LAST},
    {.name = "kahan", .type = MATGEN_KAHAN},
    {.name = "hilbert", .type = MATGEN_HILBERT, .max_n = 16},
};

/* ---- triangular ops on the lattice ------------------------------------------- */

/* The triangle a type is meant for; "full" types exercise the unreferenced
 * triangle with data in it. */
static bool type_upper(const h_case *c, int pass) {
    switch (c->mt->type) {
    case MATGEN_LOWER: return false;
    case MATGEN_UPPER:
    case MATGEN_KAHAN: return true;
    default: return pass == 1;
    }
}

static void run_triangular(const h_case *c, void *ctx) {
    (void)ctx;
    int64_t n = c->n, nn = n * n, batch = c->batch;
    bool vec = c->bnd == 0;
    int64_t k = vec ? 1 : 3;
    int64_t shape[4], bshape[4];
    for (int i = 0; i < c->bnd; i++) shape[i] = bshape[i] = c->bshape[i];
    shape[c->bnd] = shape[c->bnd + 1] = n;
    bshape[c->bnd] = n;
    bshape[c->bnd + 1] = k;
    double eps = h_eps(c->dt);
    lapis_stream s = c->dev->stream;
    double *t = h_alloc((size_t)(batch * nn + 1) * sizeof(double));
    double *x = h_alloc((size_t)(batch * n * (n + k) + 1) * sizeof(double));
    double *x2 = h_alloc((size_t)(batch * n * (n + k) + 1) * sizeof(double));
    double *b = h_alloc((size_t)(batch * n * k + 1) * sizeof(double));
    double *info = h_alloc((size_t)(batch + 1) * sizeof(double));
    fill_rhs(b, batch * n * k, 91 + (uint64_t)n, c->dt);
    if (c->mt->type == MATGEN_RANDOM) /* both_full: lower and upper triangular in one */
        for (int64_t j = 0; j < batch; j++) {
            const double *lo = h_gen(MATGEN_LOWER, n, 0, false, 0, 1200 + (uint64_t)j);
            const double *up = h_gen(MATGEN_UPPER, n, 0, false, 0, 1300 + (uint64_t)j);
            for (int64_t i = 0; i < nn; i++)
                c->a[j * nn + i] = (i / (n ? n : 1)) >= (i % (n ? n : 1)) ? lo[i] : up[i];
            h_round(c->a + j * nn, nn, c->dt);
        }
    lapis_array A = h_array(c->a, shape, c->bnd + 2, c->dt);
    lapis_array B = h_array(b, bshape, vec ? 1 : c->bnd + 2, c->dt);
    int passes = (c->mt->type == MATGEN_RANDOM) ? 2 : 1;
    for (int pass = 0; A && B && pass < passes; pass++) {
        bool upper = type_upper(c, pass);
        char what[200];
        snprintf(what, sizeof what, "%s %s", c->desc, upper ? "upper" : "lower");
        for (int64_t j = 0; j < batch; j++) h_triangle(c->a + j * nn, t + j * nn, n, upper);
        /* tri_inv */
        lapis_array X = NULL, I = NULL, XP = NULL;
        if (H_OK(lapis_linalg_tri_inv_ex(&X, &I, A, upper, s))) {
            H_OK(h_read(X, x));
            H_OK(h_read(I, info));
            for (int64_t j = 0; j < batch; j++) {
                const double *xj = x + j * nn;
                if (!H_CHECK(info[j] == 0, "tri_inv info %g (%s)", info[j], what)) continue;
                h_ratio("tri_inv", c->dt, h_ratio_inv(t + j * nn, xj, n, eps), H_THRESHOLD, what);
                bool zero = h_all_finite(xj, nn);
                for (int64_t r = 0; r < n; r++)
                    for (int64_t q = 0; q < n; q++)
                        if (upper ? q < r : q > r) zero &= xj[r * n + q] == 0;
                H_CHECK(zero, "tri_inv: other triangle not exactly 0 or non-finite (%s)", what);
            }
            if (H_OK(lapis_linalg_tri_inv(&XP, A, upper, s))) {
                H_OK(h_read(XP, x2));
                H_CHECK(memcmp(x, x2, (size_t)(batch * nn) * sizeof(double)) == 0,
                        "tri_inv and _ex differ (%s)", what);
            }
        }
        lapis_array_free(X);
        lapis_array_free(I);
        lapis_array_free(XP);
        /* solve_triangular */
        X = I = XP = NULL;
        if (H_OK(lapis_linalg_solve_triangular_ex(&X, &I, A, B, upper, s))) {
            H_OK(h_read(X, x));
            H_OK(h_read(I, info));
            for (int64_t j = 0; j < batch; j++) {
                const double *xj = x + j * n * k;
                if (!H_CHECK(info[j] == 0, "solve_triangular info %g (%s)", info[j], what))
                    continue;
                h_ratio("solve_triangular", c->dt,
                        h_ratio_solve(t + j * nn, xj, b + j * n * k, n, k, eps), H_THRESHOLD, what);
                H_CHECK(h_all_finite(xj, n * k), "solve_triangular not finite (%s)", what);
            }
            if (H_OK(lapis_linalg_solve_triangular(&XP, A, B, upper, s))) {
                H_OK(h_read(XP, x2));
                H_CHECK(memcmp(x, x2, (size_t)(batch * n * k) * sizeof(double)) == 0,
                        "solve_triangular and _ex differ (%s)", what);
            }
        }
        lapis_array_free(X);
        lapis_array_free(I);
        lapis_array_free(XP);
    }
    lapis_array_free(A);
    lapis_array_free(B);
    free(t);
    free(x);
    free(x2);
    free(b);
    free(info);
}

static const h_mtype k_tri_types[] = {
    {.name = "lower", .type = MATGEN_LOWER, .all_batches = true},
    {.name = "upper", .type = MATGEN_UPPER, .all_batches = true},
    {.name = "kahan", .type = MATGEN_KAHAN},
    {.name = "lower_underflow", .type = MATGEN_LOWER, .scale = 1},
    {.name = "upper_overflow", .type = MATGEN_UPPER, .scale = 2},
    {.name = "lower_overflow", .type = MATGEN_LOWER, .scale = 2},
    {.name = "upper_underflow", .type = MATGEN_UPPER, .scale = 1},
    /* both triangles hold a well-conditioned triangular matrix: the one not
     * chosen must be ignored (run with upper and lower) */
    {.name = "both_full", .type = MATGEN_RANDOM},
};

/* ---- broadcasting and promotion ------------------------------------------------ */

typedef struct bcase {
    int and, bnd;
    int64_t as[3], bs[3];
    int xnd;
    int64_t xs[3];
    bool bvec;
} bcase;

/* x's matrix i maps to a's and b's matrices through NumPy broadcasting. */
static int64_t bidx(const int64_t *xs, int xnd, const int64_t *os, int ond, int64_t i) {
    int64_t idx = 0, stride = 1;
    for (int d = xnd - 1, od = ond - 1; d >= 0; d--, od--) {
        int64_t c = i % xs[d];
        i /= xs[d];
        if (od >= 0) {
            if (os[od] != 1) idx += c * stride;
            stride *= os[od];
        }
    }
    return idx;
}

static void broadcasting(const h_dev *dev) {
    static const bcase cases[] = {
        {2, 1, {2, 1}, {3}, 2, {2, 3}, false},  /* (2,1,n,n) with (3,n,k) */
        {0, 1, {0}, {4}, 1, {4}, false},        /* (n,n) with (4,n,k)     */
        {1, 0, {3}, {0}, 1, {3}, false},        /* (3,n,n) with (n,k)     */
        {1, 1, {1}, {5}, 1, {5}, false},        /* (1,n,n) with (5,n,k)   */
        {2, 2, {2, 3}, {1, 3}, 2, {2, 3}, false},
        {1, 0, {3}, {0}, 1, {3}, true},         /* (3,n,n) with (n,): x (3,n) */
    };
    for (int di = 0; di < 2; di++)
        for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
            for (int op = 0; op < 2; op++) {
                const bcase *bc = &cases[ci];
                lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                int64_t n = 7, k = bc->bvec ? 1 : 2, nn = n * n;
                int64_t as[5], bs[5], na = 1, nb = 1, nx = 1;
                for (int i = 0; i < bc->and; i++) na *= (as[i] = bc->as[i]);
                for (int i = 0; i < bc->bnd; i++) nb *= (bs[i] = bc->bs[i]);
                for (int i = 0; i < bc->xnd; i++) nx *= bc->xs[i];
                as[bc->and] = as[bc->and + 1] = n;
                bs[bc->bnd] = n;
                bs[bc->bnd + 1] = k;
                double *a = h_alloc((size_t)(na * nn) * sizeof(double));
                double *b = h_alloc((size_t)(nb * n * k) * sizeof(double));
                double *x = h_alloc((size_t)(nx * n * k) * sizeof(double));
                double *t = h_alloc((size_t)nn * sizeof(double));
                for (int64_t j = 0; j < na; j++)
                    memcpy(a + j * nn, h_gen(op ? MATGEN_LOWER : MATGEN_RANDOM, n, 0, false, 0,
                                             500 + (uint64_t)j),
                           (size_t)nn * sizeof(double));
                h_round(a, na * nn, dt);
                fill_rhs(b, nb * n * k, 600, dt);
                lapis_array A = h_array(a, as, bc->and + 2, dt);
                lapis_array B = h_array(b, bs, bc->bvec ? 1 : bc->bnd + 2, dt), X = NULL;
                const char *name = op ? "solve_triangular" : "solve";
                lapis_status st = op ? lapis_linalg_solve_triangular(&X, A, B, false, dev->stream)
                                     : lapis_linalg_solve(&X, A, B, dev->stream);
                char what[96];
                snprintf(what, sizeof what, "%s broadcast case %zu %s", name, ci, h_dtname(dt));
                if (A && B && H_STATUS(st, LAPIS_OK, NULL, what)) {
                    int xnd = lapis_array_ndim(X);
                    const int64_t *xs = lapis_array_shape(X);
                    bool shape_ok = xnd == bc->xnd + (bc->bvec ? 1 : 2);
                    for (int i = 0; shape_ok && i < bc->xnd; i++) shape_ok = xs[i] == bc->xs[i];
                    H_CHECK(shape_ok && xs[bc->xnd] == n, "broadcast output shape (%s)", what);
                    H_OK(h_read(X, x));
                    for (int64_t i = 0; i < nx; i++) {
                        int64_t ia = bidx(bc->xs, bc->xnd, bc->as, bc->and, i);
                        int64_t ib = bc->bvec ? 0 : bidx(bc->xs, bc->xnd, bc->bs, bc->bnd, i);
                        h_triangle(a + ia * nn, t, n, false);
                        h_ratio(name, dt,
                                h_ratio_solve(op ? t : a + ia * nn, x + i * n * k, b + ib * n * k,
                                              n, k, h_eps(dt)),
                                H_THRESHOLD, what);
                    }
                }
                lapis_array_free(A);
                lapis_array_free(B);
                lapis_array_free(X);
                free(a);
                free(b);
                free(x);
                free(t);
            }
    /* promotion: float32 a with float64 b gives float64 */
    int64_t s2[2] = {3, 3}, s1[1] = {3};
    double a[9] = {4, 1, 0, 1, 3, 1, 0, 1, 2}, b[3] = {1, 2, 3}, x[3];
    lapis_array A = h_array(a, s2, 2, LAPIS_FLOAT32), B = h_array(b, s1, 1, LAPIS_FLOAT64), X = NULL;
    if (A && B && H_OK(lapis_linalg_solve(&X, A, B, dev->stream))) {
        H_CHECK(lapis_array_dtype(X) == LAPIS_FLOAT64, "solve(f32, f64) dtype %s",
                lapis_dtype_name(lapis_array_dtype(X)));
        H_OK(h_read(X, x));
        double ra[9];
        for (int i = 0; i < 9; i++) ra[i] = (float)a[i];
        h_ratio("solve", LAPIS_FLOAT64, h_ratio_solve(ra, x, b, 3, 1, DBL_EPSILON), H_THRESHOLD,
                "promotion");
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    /* zero-size: k = 0 and batch 0 */
    int64_t sk0[2] = {3, 0}, sb0[3] = {0, 3, 3}, sbb0[3] = {0, 3, 2};
    A = h_array(a, s2, 2, LAPIS_FLOAT64);
    B = X = NULL;
    if (A && H_OK(lapis_array_zeros(&B, sk0, 2, LAPIS_FLOAT64)) &&
        H_OK(lapis_linalg_solve(&X, A, B, dev->stream)))
        H_CHECK(lapis_array_ndim(X) == 2 && lapis_array_shape(X)[0] == 3 &&
                    lapis_array_shape(X)[1] == 0,
                "solve with k = 0");
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    A = B = X = NULL;
    if (H_OK(lapis_array_zeros(&A, sb0, 3, LAPIS_FLOAT32)) &&
        H_OK(lapis_array_zeros(&B, sbb0, 3, LAPIS_FLOAT32)) &&
        H_OK(lapis_linalg_solve_triangular(&X, A, B, true, dev->stream)))
        H_CHECK(lapis_array_size(X) == 0 && lapis_array_ndim(X) == 3, "solve_triangular batch 0");
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
}

/* ---- failures ------------------------------------------------------------------- */

static void failure_batches(const h_dev *dev) {
    static const int64_t ns[] = {1, 4, 33};
    for (int di = 0; di < 2; di++)
        for (int ni = 0; ni < 3; ni++)
            for (int pos = 0; pos < 3; pos++) {
                lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                int64_t n = ns[ni], nn = n * n, k = 2;
                int64_t zk = pos == 0 ? 0 : pos == 1 ? n / 2 : n - 1; /* zero at (zk, zk) */
                int64_t bad = pos;                                  /* batch position of 3 */
                int64_t as[3] = {3, n, n}, bs[4] = {2, 3, n, k};
                double *a = h_alloc((size_t)(3 * nn) * sizeof(double));
                double *b = h_alloc((size_t)(6 * n * k) * sizeof(double));
                double *x = h_alloc((size_t)(6 * nn + 6 * n * k) * sizeof(double));
                double info[6];
                char what[96];
                snprintf(what, sizeof what, "%s %s n=%lld zero at %lld, batch %lld", dev->name,
                         h_dtname(dt), (long long)n, (long long)zk, (long long)bad);
                fill_rhs(b, 6 * n * k, 700, dt);
                lapis_array B = h_array(b, bs, 4, dt);
                /* triangular: zero diagonal element zk -> info zk+1 */
                for (int64_t j = 0; j < 3; j++)
                    memcpy(a + j * nn, h_gen(MATGEN_UPPER, n, 0, false, 0, 800 + (uint64_t)j),
                           (size_t)nn * sizeof(double));
                a[bad * nn + zk * n + zk] = 0;
                h_round(a, 3 * nn, dt);
                lapis_array A = h_array(a, as, 3, dt), X = NULL, I = NULL;
                if (A && H_OK(lapis_linalg_tri_inv_ex(&X, &I, A, true, dev->stream))) {
                    H_OK(h_read(X, x));
                    H_OK(h_read(I, info));
                    for (int64_t j = 0; j < 3; j++)
                        H_CHECK(j == bad ? info[j] == (double)(zk + 1) && h_all_nan(x + j * nn, nn)
                                         : info[j] == 0 && h_all_finite(x + j * nn, nn),
                                "tri_inv info[%lld] %g (%s)", (long long)j, info[j], what);
                    h_count("tri_inv(failures)", dt);
                }
                lapis_array_free(X);
                lapis_array_free(I);
                X = I = NULL;
                if (A && B && H_OK(lapis_linalg_solve_triangular_ex(&X, &I, A, B, true, dev->stream))) {
                    H_OK(h_read(X, x));
                    H_OK(h_read(I, info));
                    for (int64_t j = 0; j < 6; j++)
                        H_CHECK(j % 3 == bad ? info[j] == (double)(zk + 1) &&
                                                   h_all_nan(x + j * n * k, n * k)
                                             : info[j] == 0 && h_all_finite(x + j * n * k, n * k),
                                "solve_triangular info[%lld] %g (%s)", (long long)j, info[j], what);
                    h_count("solve_triangular(failures)", dt);
                }
                lapis_array_free(X);
                X = NULL;
                if (A && B && H_OK(lapis_linalg_solve_triangular(&X, A, B, true, dev->stream))) {
                    char elem[48];
                    snprintf(elem, sizeof elem, "(batch element (0, %lld))", (long long)bad);
                    lapis_status st = lapis_synchronize(dev->stream);
                    H_CHECK(st == LAPIS_ERR_SINGULAR &&
                                strncmp(lapis_last_error(), "[linalg::solve_triangular]", 26) == 0 &&
                                strstr(lapis_last_error(), elem),
                            "plain solve_triangular: %s \"%s\" want %s", lapis_status_string(st),
                            lapis_last_error(), elem);
                }
                lapis_array_free(X);
                lapis_array_free(I);
                lapis_array_free(A);
                X = I = NULL;
                /* solve: zero column zk -> info zk+1 (LAPACK getrf) */
                for (int64_t j = 0; j < 3; j++)
                    memcpy(a + j * nn, h_gen(MATGEN_RANDOM, n, 0, false, 0, 900 + (uint64_t)j),
                           (size_t)nn * sizeof(double));
                for (int64_t r = 0; r < n; r++) a[bad * nn + r * n + zk] = 0;
                h_round(a, 3 * nn, dt);
                A = h_array(a, as, 3, dt);
                if (A && B && H_OK(lapis_linalg_solve_ex(&X, &I, A, B, dev->stream))) {
                    H_OK(h_read(X, x));
                    H_OK(h_read(I, info));
                    for (int64_t j = 0; j < 6; j++) {
                        if (j % 3 == bad) {
                            H_CHECK(info[j] == (double)(zk + 1) && h_all_nan(x + j * n * k, n * k),
                                    "solve info[%lld] %g want %lld (%s)", (long long)j, info[j],
                                    (long long)(zk + 1), what);
                        } else {
                            H_CHECK(info[j] == 0, "solve info[%lld] %g (%s)", (long long)j, info[j],
                                    what);
                            h_ratio("solve", dt,
                                    h_ratio_solve(a + (j % 3) * nn, x + j * n * k, b + j * n * k, n,
                                                  k, h_eps(dt)),
                                    H_THRESHOLD, what);
                        }
                    }
                    h_count("solve(failures)", dt);
                }
                lapis_array_free(X);
                X = NULL;
                if (A && B && H_OK(lapis_linalg_solve(&X, A, B, dev->stream))) {
                    char elem[48];
                    snprintf(elem, sizeof elem, "(batch element (0, %lld))", (long long)bad);
                    lapis_status st = h_read(X, x);
                    H_CHECK(st == LAPIS_ERR_SINGULAR &&
                                strncmp(lapis_last_error(), "[linalg::solve]", 15) == 0 &&
                                strstr(lapis_last_error(), elem),
                            "plain solve read: %s \"%s\" want %s", lapis_status_string(st),
                            lapis_last_error(), elem);
                    H_CHECK(h_all_nan(x + bad * n * k, n * k), "plain solve: failed x not NaN");
                    H_STATUS(lapis_synchronize(dev->stream), LAPIS_OK, NULL,
                             "synchronize after the read reported it");
                }
                lapis_array_free(X);
                lapis_array_free(I);
                lapis_array_free(A);
                lapis_array_free(B);
                free(a);
                free(b);
                free(x);
            }
}

/* ---- non-finite input --------------------------------------------------------- */

static void nonfinite(const h_dev *dev) {
    static const double vals[3] = {NAN, INFINITY, -INFINITY};
    static const int64_t ns[] = {1, 5, 40};
    for (int di = 0; di < 2; di++)
        for (int ni = 0; ni < 3; ni++)
            for (int w = 0; w < 5; w++) /* 4 places in a, and b */
                for (int v = 0; v < 3; v++)
                    for (int up = 0; up < 2; up++) {
                        lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                        bool upper = up == 1;
                        int64_t n = ns[ni], nn = n * n, k = 2;
                        int64_t as[3] = {2, n, n}, bs[3] = {2, n, k};
                        double *a = h_alloc((size_t)(2 * nn) * sizeof(double));
                        double *b = h_alloc((size_t)(2 * n * k) * sizeof(double));
                        double *x = h_alloc((size_t)(2 * nn + 2 * n * k) * sizeof(double));
                        double *ref = h_alloc((size_t)(2 * nn + 2 * n * k) * sizeof(double));
                        double info[2];
                        for (int j = 0; j < 2; j++)
                            memcpy(a + j * nn, h_gen(upper ? MATGEN_UPPER : MATGEN_LOWER, n, 0, false,
                                                     0, 1000 + (uint64_t)j),
                                   (size_t)nn * sizeof(double));
                        /* data in the unreferenced triangle too */
                        for (int64_t i = 0; i < n; i++)
                            for (int64_t j = 0; j < n; j++)
                                if (upper ? j < i : j > i) a[nn + i * n + j] = 0.5;
                        h_round(a, 2 * nn, dt);
                        fill_rhs(b, 2 * n * k, 1100, dt);
                        char what[128];
                        snprintf(what, sizeof what, "%s %s n=%lld where=%d value=%g %s", dev->name,
                                 h_dtname(dt), (long long)n, w, vals[v], upper ? "upper" : "lower");
                        /* reference results without the non-finite value */
                        lapis_array A = h_array(a, as, 3, dt), B = h_array(b, bs, 3, dt);
                        lapis_array X = NULL, I = NULL, T = NULL, TI = NULL;
                        if (A && B && H_OK(lapis_linalg_solve_triangular(&X, A, B, upper, dev->stream)))
                            H_OK(h_read(X, ref));
                        if (A && H_OK(lapis_linalg_tri_inv(&T, A, upper, dev->stream)))
                            H_OK(h_read(T, ref + n * k * 2));
                        lapis_array_free(A);
                        lapis_array_free(B);
                        lapis_array_free(X);
                        lapis_array_free(T);
                        X = T = NULL;
                        if (w < 4) matgen_inject(a + nn, n, (matgen_where)w, vals[v]);
                        else b[n * k + k - 1] = vals[v];
                        bool unref = w < 4 && n > 1 &&
                                     ((w == MATGEN_AT_OFFDIAG_UPPER && !upper) ||
                                      (w == MATGEN_AT_OFFDIAG_LOWER && upper));
                        A = h_array(a, as, 3, dt);
                        B = h_array(b, bs, 3, dt);
                        h_watchdog(10, what);
                        if (A && B &&
                            H_OK(lapis_linalg_solve_triangular_ex(&X, &I, A, B, upper, dev->stream))) {
                            H_OK(h_read(X, x));
                            H_OK(h_read(I, info));
                            if (unref)
                                H_CHECK(info[1] == 0 &&
                                            memcmp(x, ref, (size_t)(2 * n * k) * sizeof(double)) == 0,
                                        "solve_triangular read the unreferenced triangle (%s)", what);
                            else
                                H_CHECK(info[0] == 0 && info[1] == LAPIS_INFO_NON_FINITE &&
                                            h_all_nan(x + n * k, n * k),
                                        "solve_triangular non-finite: info %g (%s)", info[1], what);
                            h_count("solve_triangular(non-finite)", dt);
                        }
                        if (w < 4 && A &&
                            H_OK(lapis_linalg_tri_inv_ex(&T, &TI, A, upper, dev->stream))) {
                            H_OK(h_read(T, x));
                            H_OK(h_read(TI, info));
                            if (unref)
                                H_CHECK(info[1] == 0 &&
                                            memcmp(x, ref + n * k * 2, (size_t)(2 * nn) * sizeof(double)) == 0,
                                        "tri_inv read the unreferenced triangle (%s)", what);
                            else
                                H_CHECK(info[1] == LAPIS_INFO_NON_FINITE && h_all_nan(x + nn, nn),
                                        "tri_inv non-finite: info %g (%s)", info[1], what);
                            h_count("tri_inv(non-finite)", dt);
                        }
                        lapis_array_free(X);
                        lapis_array_free(I);
                        lapis_array_free(T);
                        lapis_array_free(TI);
                        X = I = NULL;
                        /* solve reads the whole matrix: always non-finite */
                        if (up == 0 && A && B && H_OK(lapis_linalg_solve_ex(&X, &I, A, B, dev->stream))) {
                            H_OK(h_read(X, x));
                            H_OK(h_read(I, info));
                            H_CHECK(info[0] == 0 && info[1] == LAPIS_INFO_NON_FINITE &&
                                        h_all_nan(x + n * k, n * k),
                                    "solve non-finite: info %g (%s)", info[1], what);
                            h_count("solve(non-finite)", dt);
                        }
                        h_watchdog_off();
                        lapis_array_free(X);
                        lapis_array_free(I);
                        lapis_array_free(A);
                        lapis_array_free(B);
                        free(a);
                        free(b);
                        free(x);
                        free(ref);
                    }
}

/* One right-hand side, contiguous operands: n = 32 in batches of 9 and
 * 4097 (the GPU's trsm_one32), and n = 300 one matrix a call, each case
 * (its trsv_large after tri_check). The unreferenced triangle is all NaN,
 * and matrix j is case j % 9 (one_case >= 0: every matrix is that case):
 *   0, 8: a random triangle (backward-error ratio);
 *   1, 2: a zero diagonal element at row 0 / n - 1 (info 1 / n, x all NaN);
 *   3: NaN inside the triangle; 4: Inf in b (info LAPIS_INFO_NON_FINITE);
 *   5: a zero diagonal element and NaN in the triangle (NaN wins);
 *   6: diagonal elements with no normal reciprocal, one subnormal and one
 *      huge (the division path), and small integers elsewhere: every step
 *      exact, x exactly the integers b was made from;
 *   7: the random triangle of case 0 scaled by 2^-60 (far from the limits,
 *      the reciprocals' path; ratio). */
static void one_rhs_case(const h_dev *dev, lapis_dtype dt, bool upper, int64_t n, int64_t batch,
                         int one_case) {
    const int64_t nn = n * n;
    const bool f64 = dt == LAPIS_FLOAT64;
    const double sub = f64 ? 0x1p-1040 : 0x1p-135, huge = f64 ? 0x1p1022 : 0x1p126;
    double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
    double *t = h_alloc((size_t)nn * sizeof(double));
    double *b = h_alloc((size_t)(batch * n) * sizeof(double));
    double *x = h_alloc((size_t)(batch * n) * sizeof(double));
    double *xt = h_alloc((size_t)n * sizeof(double));
    double *info = h_alloc((size_t)batch * sizeof(double));
    if (!a || !t || !b || !x || !xt || !info) goto done;
    char what[128];
    snprintf(what, sizeof what, "%s %s n=%lld k=1 batch %lld %s case %d", dev->name, h_dtname(dt),
             (long long)n, (long long)batch, upper ? "upper" : "lower", one_case);
    fill_rhs(b, batch * n, 1500, dt);
    for (int64_t r = 0; r < n; r++) xt[r] = (double)((r * 7) % 5) - 2;
    for (int64_t j = 0; j < batch; j++) {
        double *aj = a + j * nn, *bj = b + j * n;
        const int c = one_case >= 0 ? one_case : (int)(j % 9);
        memcpy(aj, h_gen(upper ? MATGEN_UPPER : MATGEN_LOWER, n, 0, false, 0, 1400 + (uint64_t)(j % 16)),
               (size_t)nn * sizeof(double));
        if (c == 6)
            for (int64_t r = 0; r < n; r++) { /* b = A xt, exact */
                double sm = 0;
                for (int64_t q = 0; q < n; q++) {
                    double v = 0;
                    if (q == r) v = r == 5 ? sub : r == 20 ? huge : 1;
                    else if (r != 5 && r != 20 && (upper ? q > r : q < r))
                        v = (double)((r * 3 + q) % 3) - 1;
                    aj[r * n + q] = v;
                    sm += v * xt[q];
                }
                bj[r] = sm;
            }
        if (c == 7)
            for (int64_t e = 0; e < nn; e++) aj[e] *= 0x1p-60;
        if (c == 1 || c == 5) aj[0] = 0;
        if (c == 2) aj[nn - 1] = 0;
        if (c == 3 || c == 5) aj[upper ? 3 * n + 9 : 9 * n + 3] = NAN;
        if (c == 4) bj[11] = INFINITY;
        for (int64_t r = 0; r < n; r++)
            for (int64_t q = 0; q < n; q++)
                if (upper ? q < r : q > r) aj[r * n + q] = NAN;
    }
    h_round(a, batch * nn, dt);
    int64_t as[3] = {batch, n, n}, bs[3] = {batch, n, 1};
    lapis_array A = h_array(a, as, 3, dt), B = h_array(b, bs, 3, dt), X = NULL, I = NULL;
    if (A && B && H_OK(lapis_linalg_solve_triangular_ex(&X, &I, A, B, upper, dev->stream)) &&
        H_OK(h_read(X, x)) && H_OK(h_read(I, info))) {
        for (int64_t j = 0; j < batch; j++) {
            const int c = one_case >= 0 ? one_case : (int)(j % 9);
            const double *xj = x + j * n;
            const double want = c == 1 ? 1
                                : c == 2 ? (double)n
                                : c == 3 || c == 4 || c == 5 ? LAPIS_INFO_NON_FINITE
                                                             : 0;
            if (!H_CHECK(info[j] == want && (want == 0) == h_all_finite(xj, n) &&
                             (want == 0 || h_all_nan(xj, n)),
                         "matrix %lld (case %d): info %g want %g (%s)", (long long)j, c, info[j],
                         want, what))
                break;
            if (c == 6) {
                int64_t bad = -1;
                for (int64_t r = 0; r < n && bad < 0; r++)
                    if (xj[r] != xt[r]) bad = r;
                if (!H_CHECK(bad < 0, "matrix %lld row %lld: %.17g, exactly %g (%s)", (long long)j,
                             (long long)bad, bad < 0 ? 0 : xj[bad], bad < 0 ? 0 : xt[bad], what))
                    break;
            } else if (want == 0) {
                h_triangle(a + j * nn, t, n, upper);
                h_ratio("solve_triangular(k=1, contiguous)", dt,
                        h_ratio_solve(t, xj, b + j * n, n, 1, h_eps(dt)), H_THRESHOLD, what);
            }
        }
        h_count("solve_triangular(k=1, contiguous, batches)", dt);
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(I);
done:
    free(a);
    free(t);
    free(b);
    free(x);
    free(xt);
    free(info);
}

static void one_rhs(const h_dev *dev) {
    for (int di = 0; di < 2; di++)
        for (int up = 0; up < 2; up++) {
            lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            one_rhs_case(dev, dt, up == 1, 32, 9, -1);
            one_rhs_case(dev, dt, up == 1, 32, 4097, -1);
            for (int c = 0; c < 9; c++) one_rhs_case(dev, dt, up == 1, 300, 1, c);
        }
}

int main(void) {
    h_init("test_solve");
    h_lattice(k_solve_types, (int)(sizeof k_solve_types / sizeof k_solve_types[0]), run_solve, NULL);
    h_lattice(k_tri_types, (int)(sizeof k_tri_types / sizeof k_tri_types[0]), run_triangular, NULL);
    const int nst = (int)(sizeof k_solve_types / sizeof k_solve_types[0]);
    for (int d = 0; d < h_ndev(); d++) {
        /* one large matrix (the CPU's threaded BLAS path): every lattice
         * check at n = 300, also with the row-major LU's two-level panels
         * (96 over 32; by default from n = 3000) */
        h_single_large(h_dev_at(d), k_solve_types, nst, 300, 1500, run_solve, NULL);
        lapis_cpu_lu_panels(96, 32);
        h_single_large(h_dev_at(d), k_solve_types, nst, 300, 1600, run_solve, NULL);
        lapis_cpu_lu_panels(0, 0);
        /* n = 1100, random: one larger solve (on the GPU, lu_gather over
         * more than a thousand pivots) */
        h_single_large(h_dev_at(d), k_solve_types, 1, 1100, 1700, run_solve, NULL);
        broadcasting(h_dev_at(d));
        failure_batches(h_dev_at(d));
        nonfinite(h_dev_at(d));
        one_rhs(h_dev_at(d));
    }
    return h_finish();
}
