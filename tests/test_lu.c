/*
 * LU family: lu, lu_factor (+_ex), det, slogdet, inv (+_ex). Ratios on the
 * lattice, rectangular LU, exact zero-pivot indices in batches, singular
 * matrices that are not errors, failure surfacing, non-finite input.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "../src/cpu/cpu.h"
#include "../src/kernels.h"

static int64_t shape_of(int64_t *shape, const int64_t *bshape, int bnd, int64_t m, int64_t n) {
    int64_t batch = 1;
    for (int i = 0; i < bnd; i++) {
        shape[i] = bshape[i];
        batch *= bshape[i];
    }
    shape[bnd] = m;
    shape[bnd + 1] = n;
    return batch;
}

/* Exactly singular by construction: the zero pivot LAPACK reports (1-based). */
static int64_t exact_zero_pivot(matgen_type t, int64_t n) {
    if (n == 0) return 0;
    switch (t) {
    case MATGEN_WILKINSON: return n == 1 ? 1 : 0; /* W_1^+ = [0] */
    case MATGEN_ZERO_COL_FIRST: return 1;
    case MATGEN_ZERO_COL_MID: return n / 2 + 1;
    case MATGEN_ZERO_COL_LAST: return n;
    case MATGEN_ZERO_ROW_FIRST:
    case MATGEN_ZERO_ROW_MID:
    case MATGEN_ZERO_ROW_LAST: return n; /* the zero row is pivoted last */
    default: return 0;
    }
}

/* Numerically (near) singular: an exact zero pivot is possible, not certain. */
static bool maybe_singular(const h_mtype *mt) {
    return mt->type == MATGEN_RANK_DEFICIENT || mt->type == MATGEN_HILBERT ||
           mt->type == MATGEN_PASCAL;
}

static bool is_perm(const double *p, int64_t m) {
    bool ok = true;
    char *seen = calloc((size_t)m + 1, 1);
    for (int64_t i = 0; i < m && ok; i++) {
        ok = p[i] >= 0 && p[i] < (double)m && p[i] == floor(p[i]) && !seen[(int64_t)p[i]];
        if (ok) seen[(int64_t)p[i]] = 1;
    }
    free(seen);
    return ok;
}

/* det/slogdet against the long-double reference. */
static void check_det(const double *a, int64_t n, double det, double sign, double logabs,
                      lapis_dtype dt, const char *what, bool exact_singular) {
    long double rs, rl, cond, sal;
    h_ref_slogdet(a, n, &rs, &rl, &cond, &sal);
    double eps = h_eps(dt);
    if (exact_singular) {
        H_CHECK(det == 0 && sign == 0 && isinf(logabs) && logabs < 0,
                "singular det/slogdet: det %g sign %g logabsdet %g (%s)", det, sign, logabs, what);
        h_count("det(singular)", dt);
        return;
    }
    if (rs == 0) { /* the reference hit an exact zero pivot, lapis may not */
        H_CHECK(sign == 0 || isfinite(logabs), "near-singular slogdet (%s)", what);
        return;
    }
    if (sign == 0 && (long double)n * eps * cond >= 0.1L) {
        /* numerically singular: an exact zero pivot is a valid outcome */
        H_CHECK(det == 0 && isinf(logabs) && logabs < 0, "zero-pivot det/slogdet (%s)", what);
        return;
    }
    /* error model: relative error of det ~ n eps cond, plus rounding of the
     * n logs summed (eps sum |log u_ii|) */
    long double denom = (long double)eps * ((long double)n * (cond < 1 ? 1 : cond) + sal + 1);
    double r = (double)(fabsl((long double)logabs - rl) / denom);
    if (n == 0) r = logabs == 0 && sign == 1 && det == 1 ? 0 : INFINITY;
    h_ratio("slogdet", dt, r, H_THRESHOLD, what);
    if ((long double)n * eps * cond < 0.1L)
        H_CHECK(sign == (double)rs, "slogdet sign %g, reference %g (%s)", sign, (double)rs, what);
    /* det = sign * exp(logabsdet), overflowing to +-inf and underflowing to 0 */
    double big = dt == LAPIS_FLOAT32 ? log(FLT_MAX) : log(DBL_MAX);
    double tiny = dt == LAPIS_FLOAT32 ? log(FLT_TRUE_MIN) : log(DBL_TRUE_MIN);
    if (rl > big + 1) {
        H_CHECK(isinf(det) && (det > 0) == (rs > 0), "det should overflow: %g (%s)", det, what);
    } else if (rl < tiny - 1) {
        H_CHECK(det == 0, "det should underflow: %g (%s)", det, what);
    } else if ((long double)n * eps * cond < 0.1L && rl < big - 1 &&
               rl > log(dt == LAPIS_FLOAT32 ? FLT_MIN : DBL_MIN) + 1) {
        /* det itself only where its relative error is bounded (n eps cond < 1) */
        long double want = rs * expl(rl);
        double rd = (double)(fabsl((long double)det - want) / (fabsl(want) * denom));
        h_ratio("det", dt, rd, H_THRESHOLD, what);
    }
}

static void run_lu(const h_case *c, void *ctx) {
    (void)ctx;
    int64_t shape[4], n = c->n, nn = n * n;
    int64_t batch = shape_of(shape, c->bshape, c->bnd, n, n);
    double eps = h_eps(c->dt);
    int64_t zp = exact_zero_pivot(c->mt->type, n);
    lapis_stream s = c->dev->stream;
    lapis_array a = h_array(c->a, shape, c->bnd + 2, c->dt);
    if (!a) return;
    size_t mat = (size_t)(batch * nn + 1) * sizeof(double), vec = (size_t)(batch * (n + 1) + 1) * sizeof(double);
    double *lu = h_alloc(mat), *lu2 = h_alloc(mat), *piv = h_alloc(vec), *info = h_alloc(vec);
    double *p = h_alloc(vec), *l = h_alloc(mat), *u = h_alloc(mat), *x = h_alloc(mat);
    double *d = h_alloc(vec), *sg = h_alloc(vec), *la = h_alloc(vec);
    const char *what = c->desc;

    /* lu_factor_ex */
    lapis_array LU = NULL, PV = NULL, IN = NULL;
    if (H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, a, s))) {
        H_OK(h_read(LU, lu));
        H_OK(h_read(PV, piv));
        H_OK(h_read(IN, info));
        H_CHECK(lapis_array_dtype(PV) == LAPIS_UINT32 && lapis_array_ndim(PV) == c->bnd + 1,
                "pivots dtype/shape (%s)", what);
        for (int64_t j = 0; j < batch; j++) {
            h_ratio("lu_factor", c->dt,
                    h_ratio_lu_packed(c->a + j * nn, lu + j * nn, piv + j * n, n, n, eps),
                    H_THRESHOLD, what);
            if (zp)
                H_CHECK(info[j] == (double)zp, "lu_factor info %g, want %lld (%s)", info[j],
                        (long long)zp, what);
            else if (!maybe_singular(c->mt))
                H_CHECK(info[j] == 0, "lu_factor info %g (%s)", info[j], what);
            H_CHECK(h_all_finite(lu + j * nn, nn), "lu_factor output not finite (%s)", what);
        }
        lapis_array L2 = NULL, P2 = NULL;
        if (H_OK(lapis_linalg_lu_factor(&L2, &P2, a, s))) {
            /* singular matrices are not errors for the plain variant */
            H_OK(h_read(L2, lu2));
            H_CHECK(memcmp(lu, lu2, (size_t)(batch * nn) * sizeof(double)) == 0,
                    "lu_factor and _ex differ (%s)", what);
            H_STATUS(lapis_synchronize(s), LAPIS_OK, NULL, "synchronize after lu_factor");
        }
        lapis_array_free(L2);
        lapis_array_free(P2);
    }
    lapis_array_free(LU);
    lapis_array_free(PV);
    lapis_array_free(IN);

    /* lu: A = L[P] @ U */
    lapis_array P = NULL, L = NULL, U = NULL;
    if (H_OK(lapis_linalg_lu(&P, &L, &U, a, s))) {
        H_OK(h_read(P, p));
        H_OK(h_read(L, l));
        H_OK(h_read(U, u));
        for (int64_t j = 0; j < batch; j++) {
            const double *lj = l + j * nn, *uj = u + j * nn;
            h_ratio("lu", c->dt, h_ratio_lu(c->a + j * nn, p + j * n, lj, uj, n, n, eps),
                    H_THRESHOLD, what);
            bool shape_ok = is_perm(p + j * n, n);
            for (int64_t r = 0; r < n; r++)
                for (int64_t q = 0; q < n; q++) {
                    if (q > r) shape_ok &= lj[r * n + q] == 0 && uj[q * n + r] == 0;
                    if (q == r) shape_ok &= lj[r * n + q] == 1;
                }
            H_CHECK(shape_ok && h_all_finite(lj, nn) && h_all_finite(uj, nn),
                    "lu: P not a permutation, L not unit lower or U not upper (%s)", what);
        }
        H_STATUS(lapis_synchronize(s), LAPIS_OK, NULL, "synchronize after lu");
    }
    lapis_array_free(P);
    lapis_array_free(L);
    lapis_array_free(U);

    /* det, slogdet */
    lapis_array D = NULL, S = NULL, LA = NULL;
    if (H_OK(lapis_linalg_det(&D, a, s)) && H_OK(lapis_linalg_slogdet(&S, &LA, a, s))) {
        H_OK(h_read(D, d));
        H_OK(h_read(S, sg));
        H_OK(h_read(LA, la));
        H_CHECK(lapis_array_ndim(D) == c->bnd && lapis_array_dtype(D) == c->dt,
                "det shape/dtype (%s)", what);
        for (int64_t j = 0; j < batch; j++)
            check_det(c->a + j * nn, n, d[j], sg[j], la[j], c->dt, what, zp != 0);
    }
    lapis_array_free(D);
    lapis_array_free(S);
    lapis_array_free(LA);

    /* inv_ex and inv */
    lapis_array X = NULL, XI = NULL;
    bool any_fail = false;
    if (H_OK(lapis_linalg_inv_ex(&X, &XI, a, s))) {
        H_OK(h_read(X, x));
        H_OK(h_read(XI, info));
        for (int64_t j = 0; j < batch; j++) {
            const double *xj = x + j * nn;
            if (zp) {
                H_CHECK(info[j] == (double)zp && h_all_nan(xj, nn),
                        "inv of a singular matrix: info %g want %lld, NaN output (%s)", info[j],
                        (long long)zp, what);
                any_fail = true;
                continue;
            }
            if (info[j] != 0) {
                any_fail = true;
                H_CHECK(maybe_singular(c->mt) && info[j] > 0 && h_all_nan(xj, nn),
                        "inv info %g (%s)", info[j], what);
                continue;
            }
            h_ratio("inv", c->dt, h_ratio_inv(c->a + j * nn, xj, n, eps), H_THRESHOLD, what);
            H_CHECK(h_all_finite(xj, nn), "inv output not finite (%s)", what);
        }
        lapis_array X2 = NULL;
        if (H_OK(lapis_linalg_inv(&X2, a, s))) {
            lapis_status st = lapis_synchronize(s);
            H_CHECK(any_fail ? st == LAPIS_ERR_SINGULAR &&
                                   strncmp(lapis_last_error(), "[linalg::inv]", 13) == 0
                             : st == LAPIS_OK,
                    "plain inv: synchronize %s \"%s\" (%s)", lapis_status_string(st),
                    st ? lapis_last_error() : "", what);
            st = h_read(X2, lu2);
            H_CHECK(any_fail ? st == LAPIS_ERR_SINGULAR : st == LAPIS_OK,
                    "plain inv: read %s (%s)", lapis_status_string(st), what);
            H_CHECK(memcmp(x, lu2, (size_t)(batch * nn) * sizeof(double)) == 0,
                    "inv and inv_ex differ (%s)", what);
        }
        lapis_array_free(X2);
    }
    lapis_array_free(X);
    lapis_array_free(XI);

    lapis_array_free(a);
    free(lu);
    free(lu2);
    free(piv);
    free(info);
    free(p);
    free(l);
    free(u);
    free(x);
    free(d);
    free(sg);
    free(la);
}

static const h_mtype k_types[] = {
    {.name = "random", .type = MATGEN_RANDOM, .all_batches = true},
    {.name = "cond_geom_sqrt", .type = MATGEN_COND_GEOM, .cond = H_COND_SQRT},
    {.name = "cond_geom_big", .type = MATGEN_COND_GEOM, .cond = H_COND_BIG},
    {.name = "cond_arith_big", .type = MATGEN_COND_ARITH, .cond = H_COND_BIG},
    {.name = "cond_cluster_sqrt", .type = MATGEN_COND_CLUSTER, .cond = H_COND_SQRT},
    {.name = "cond_one_small_big", .type = MATGEN_COND_ONE_SMALL, .cond = H_COND_BIG},
    {.name = "underflow", .type = MATGEN_UNDERFLOW},
    {.name = "overflow", .type = MATGEN_OVERFLOW},
    {.name = "graded", .type = MATGEN_GRADED},
    {.name = "zero_col_first", .type = MATGEN_ZERO_COL_FIRST},
    {.name = "zero_col_mid", .type = MATGEN_ZERO_COL_MID},
    {.name = "zero_row_last", .type = MATGEN_ZERO_ROW_LAST},
    {.name = "rank_deficient", .type = MATGEN_RANK_DEFICIENT},
    {.name = "kahan", .type = MATGEN_KAHAN},
    {.name = "wilkinson", .type = MATGEN_WILKINSON},
    {.name = "hilbert", .type = MATGEN_HILBERT, .max_n = 16},
    {.name = "pascal", .type = MATGEN_PASCAL, .max_n = 16},
};

/* ---- rectangular LU ------------------------------------------------------------ */

/* 8200 x 64 on the GPU: its first 32-column leaf is too tall for the cluster
 * leaf (513 rows a block) and goes to the cooperative one, the second to the
 * cluster leaf, in one factorization. The single matrices go by the GPU's
 * panels with a lookahead, here of 128 columns (8192 and up by default):
 * tall, wide (the columns past the last panel updated at every step), and
 * 777 (seven panels, the last 9 columns). */
static void rectangular(const h_dev *dev) {
    static const int64_t dims[][3] = {{0, 3, 3},    {3, 0, 3},    {1, 5, 3},    {5, 1, 3},
                                      {12, 3, 3},   {3, 12, 3},   {32, 8, 3},   {8, 32, 3},
                                      {2, 7, 3},    {7, 2, 3},    {132, 33, 3}, {33, 132, 3},
                                      {8200, 64, 3}, {600, 300, 1}, {300, 600, 1}, {777, 777, 1}};
    for (int di = 0; di < 2; di++)
        for (size_t q = 0; q < sizeof dims / sizeof dims[0]; q++) {
            lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            int64_t m = dims[q][0], n = dims[q][1], k = m < n ? m : n, mn = m * n,
                    batch = dims[q][2];
            lapis_gpu_lu_lookahead(batch == 1 ? 128 : 0, 1);
            int64_t shape[3] = {batch, m, n};
            double *a = h_alloc((size_t)(batch * mn + 1) * sizeof(double));
            /* cond_geom's reflectors cost O(m² n) to make: the tall case is random */
            for (int64_t j = 0; j < batch; j++)
                matgen_fill(a + j * mn, m, n,
                            j == 1 && m < 1000 ? MATGEN_COND_GEOM : MATGEN_RANDOM, 1e4, false,
                            (uint64_t)(100 + j));
            h_round(a, batch * mn, dt);
            char what[96];
            snprintf(what, sizeof what, "%s %s %lldx%lld", dev->name, h_dtname(dt), (long long)m,
                     (long long)n);
            lapis_array A = h_array(a, shape, 3, dt);
            lapis_array LU = NULL, PV = NULL, IN = NULL, P = NULL, L = NULL, U = NULL;
            double *lu = h_alloc((size_t)(batch * mn + 1) * sizeof(double));
            double *piv = h_alloc((size_t)(batch * k + 1) * sizeof(double));
            double *p = h_alloc((size_t)(batch * m + 1) * sizeof(double));
            double *l = h_alloc((size_t)(batch * m * k + 1) * sizeof(double));
            double *u = h_alloc((size_t)(batch * k * n + 1) * sizeof(double));
            if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream))) {
                H_CHECK(lapis_array_shape(PV)[1] == k && lapis_array_shape(LU)[1] == m &&
                            lapis_array_shape(LU)[2] == n,
                        "lu_factor shapes (%s)", what);
                H_OK(h_read(LU, lu));
                H_OK(h_read(PV, piv));
                for (int64_t j = 0; j < batch; j++)
                    h_ratio("lu_factor", dt,
                            h_ratio_lu_packed(a + j * mn, lu + j * mn, piv + j * k, m, n, h_eps(dt)),
                            H_THRESHOLD, what);
            }
            if (A && H_OK(lapis_linalg_lu(&P, &L, &U, A, dev->stream))) {
                const int64_t *ls = lapis_array_shape(L), *us = lapis_array_shape(U);
                H_CHECK(lapis_array_shape(P)[1] == m && ls[1] == m && ls[2] == k && us[1] == k &&
                            us[2] == n,
                        "lu shapes (%s)", what);
                H_OK(h_read(P, p));
                H_OK(h_read(L, l));
                H_OK(h_read(U, u));
                for (int64_t j = 0; j < batch; j++) {
                    H_CHECK(is_perm(p + j * m, m), "lu P not a permutation (%s)", what);
                    h_ratio("lu", dt,
                            h_ratio_lu(a + j * mn, p + j * m, l + j * m * k, u + j * k * n, m, n,
                                       h_eps(dt)),
                            H_THRESHOLD, what);
                }
            }
            lapis_array_free(A);
            lapis_array_free(LU);
            lapis_array_free(PV);
            lapis_array_free(IN);
            lapis_array_free(P);
            lapis_array_free(L);
            lapis_array_free(U);
            free(a);
            free(lu);
            free(piv);
            free(p);
            free(l);
            free(u);
        }
    lapis_gpu_lu_lookahead(0, 0);
}

/* ---- singular matrices placed first, middle, last in a batch ------------------- */

static void failure_batches(const h_dev *dev) {
    static const int64_t ns[] = {1, 3, 6, 33};
    static const matgen_type zc[3] = {MATGEN_ZERO_COL_FIRST, MATGEN_ZERO_COL_MID,
                                      MATGEN_ZERO_COL_LAST};
    for (int di = 0; di < 2; di++)
        for (size_t ni = 0; ni < 4; ni++)
            for (int col = 0; col < 3; col++)
                for (int pos = 0; pos < 3; pos++) {
                    lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                    int64_t n = ns[ni], nn = n * n, batch = 7, shape[3] = {7, n, n};
                    int64_t bad = pos == 0 ? 0 : pos == 1 ? 3 : 6;
                    int64_t want = exact_zero_pivot(zc[col], n);
                    double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
                    double *x = h_alloc((size_t)(batch * nn) * sizeof(double));
                    double info[7], d[7], sg[7], la[7];
                    for (int64_t j = 0; j < batch; j++)
                        memcpy(a + j * nn,
                               h_gen(j == bad ? zc[col] : MATGEN_RANDOM, n, 0, false, 0,
                                     200 + (uint64_t)j),
                               (size_t)nn * sizeof(double));
                    h_round(a, batch * nn, dt);
                    char what[128];
                    snprintf(what, sizeof what, "%s %s n=%lld %s at batch %lld", dev->name,
                             h_dtname(dt), (long long)n, matgen_name(zc[col]), (long long)bad);
                    lapis_array A = h_array(a, shape, 3, dt);
                    lapis_array LU = NULL, PV = NULL, IN = NULL, X = NULL, XI = NULL, D = NULL,
                                S = NULL, LA = NULL, XP = NULL;
                    if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream))) {
                        H_OK(h_read(IN, info));
                        for (int64_t j = 0; j < batch; j++)
                            H_CHECK(info[j] == (j == bad ? (double)want : 0.0),
                                    "lu_factor info[%lld] = %g (%s)", (long long)j, info[j], what);
                    }
                    if (A && H_OK(lapis_linalg_inv_ex(&X, &XI, A, dev->stream))) {
                        H_OK(h_read(X, x));
                        H_OK(h_read(XI, info));
                        for (int64_t j = 0; j < batch; j++) {
                            if (j == bad) {
                                H_CHECK(info[j] == (double)want && h_all_nan(x + j * nn, nn),
                                        "inv info %g want %lld, NaN (%s)", info[j],
                                        (long long)want, what);
                            } else {
                                H_CHECK(info[j] == 0, "inv info[%lld] %g (%s)", (long long)j,
                                        info[j], what);
                                h_ratio("inv", dt, h_ratio_inv(a + j * nn, x + j * nn, n, h_eps(dt)),
                                        H_THRESHOLD, what);
                            }
                        }
                        h_count("inv(failures)", dt);
                    }
                    if (A && H_OK(lapis_linalg_det(&D, A, dev->stream)) &&
                        H_OK(lapis_linalg_slogdet(&S, &LA, A, dev->stream))) {
                        H_OK(h_read(D, d));
                        H_OK(h_read(S, sg));
                        H_OK(h_read(LA, la));
                        H_CHECK(d[bad] == 0 && sg[bad] == 0 && isinf(la[bad]) && la[bad] < 0,
                                "singular det %g sign %g logabs %g (%s)", d[bad], sg[bad], la[bad],
                                what);
                        for (int64_t j = 0; j < batch; j++)
                            if (j != bad)
                                H_CHECK(d[j] != 0 && sg[j] != 0 && isfinite(la[j]),
                                        "regular det (%s)", what);
                    }
                    /* plain inv: surfaced at synchronize with the batch element */
                    if (A && H_OK(lapis_linalg_inv(&XP, A, dev->stream))) {
                        char elem[48];
                        snprintf(elem, sizeof elem, "(batch element %lld)", (long long)bad);
                        lapis_status st = lapis_synchronize(dev->stream);
                        H_CHECK(st == LAPIS_ERR_SINGULAR &&
                                    strncmp(lapis_last_error(), "[linalg::inv]", 13) == 0 &&
                                    strstr(lapis_last_error(), elem),
                                "plain inv: %s \"%s\" (%s)", lapis_status_string(st),
                                lapis_last_error(), what);
                    }
                    lapis_array_free(A);
                    lapis_array_free(LU);
                    lapis_array_free(PV);
                    lapis_array_free(IN);
                    lapis_array_free(X);
                    lapis_array_free(XI);
                    lapis_array_free(D);
                    lapis_array_free(S);
                    lapis_array_free(LA);
                    lapis_array_free(XP);
                    free(a);
                    free(x);
                }
}

/* ---- non-finite input ------------------------------------------------------- */

static void nonfinite(const h_dev *dev) {
    static const double vals[3] = {NAN, INFINITY, -INFINITY};
    static const int64_t ns[] = {1, 4, 40};
    for (int di = 0; di < 2; di++)
        for (int ni = 0; ni < 3; ni++)
            for (int w = 0; w < 4; w++)
                for (int v = 0; v < 3; v++) {
                    lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                    int64_t n = ns[ni], nn = n * n, shape[3] = {3, n, n};
                    double *a = h_alloc((size_t)(3 * nn) * sizeof(double));
                    double *x = h_alloc((size_t)(3 * nn) * sizeof(double));
                    double info[3], d[3];
                    for (int j = 0; j < 3; j++)
                        memcpy(a + j * nn, h_gen(MATGEN_RANDOM, n, 0, false, 0, 300 + (uint64_t)j),
                               (size_t)nn * sizeof(double));
                    h_round(a, 3 * nn, dt);
                    matgen_inject(a + 2 * nn, n, (matgen_where)w, vals[v]);
                    char what[128];
                    snprintf(what, sizeof what, "%s %s n=%lld where=%d value=%g", dev->name,
                             h_dtname(dt), (long long)n, w, vals[v]);
                    lapis_array A = h_array(a, shape, 3, dt);
                    lapis_array LU = NULL, PV = NULL, IN = NULL, X = NULL, XI = NULL, D = NULL,
                                P = NULL, L = NULL, U = NULL;
                    h_watchdog(10, what);
                    if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream))) {
                        H_OK(h_read(LU, x));
                        H_OK(h_read(IN, info));
                        H_CHECK(info[0] == 0 && info[1] == 0 && info[2] == LAPIS_INFO_NON_FINITE &&
                                    h_all_nan(x + 2 * nn, nn),
                                "lu_factor non-finite: info %g (%s)", info[2], what);
                    }
                    if (A && H_OK(lapis_linalg_inv_ex(&X, &XI, A, dev->stream))) {
                        H_OK(h_read(X, x));
                        H_OK(h_read(XI, info));
                        H_CHECK(info[0] == 0 && info[2] == LAPIS_INFO_NON_FINITE &&
                                    h_all_nan(x + 2 * nn, nn) && h_all_finite(x, nn),
                                "inv non-finite: info %g (%s)", info[2], what);
                    }
                    /* plain lu: the failure is recorded and read back */
                    if (A && H_OK(lapis_linalg_lu(&P, &L, &U, A, dev->stream))) {
                        lapis_status st = h_read(U, x);
                        H_CHECK(st == LAPIS_ERR_NON_FINITE &&
                                    strncmp(lapis_last_error(), "[linalg::lu]", 12) == 0 &&
                                    strstr(lapis_last_error(), "(batch element 2)"),
                                "plain lu non-finite: %s \"%s\" (%s)", lapis_status_string(st),
                                lapis_last_error(), what);
                        H_CHECK(h_all_nan(x + 2 * nn, nn), "lu U of non-finite input not NaN");
                        /* the read reported it: the stream has nothing left */
                        H_STATUS(lapis_synchronize(dev->stream), LAPIS_OK, NULL,
                                 "synchronize after the read");
                    }
                    /* det of a non-finite matrix is NaN, not an error */
                    if (A && H_OK(lapis_linalg_det(&D, A, dev->stream))) {
                        H_OK(h_read(D, d));
                        H_CHECK(isnan(d[2]) && isfinite(d[0]), "det non-finite: %g (%s)", d[2],
                                what);
                    }
                    h_watchdog_off();
                    h_count("lu(non-finite)", dt);
                    lapis_array_free(A);
                    lapis_array_free(LU);
                    lapis_array_free(PV);
                    lapis_array_free(IN);
                    lapis_array_free(X);
                    lapis_array_free(XI);
                    lapis_array_free(D);
                    lapis_array_free(P);
                    lapis_array_free(L);
                    lapis_array_free(U);
                    free(a);
                    free(x);
                }
}

/* Known values: det(Pascal) = 1, det of a diagonal, integer input to det. */
static void known_values(const h_dev *dev) {
    int64_t shape[2] = {6, 6};
    lapis_array A = h_array(h_gen(MATGEN_PASCAL, 6, 0, false, 0, 0), shape, 2, LAPIS_FLOAT64), D = NULL;
    double d;
    if (A && H_OK(lapis_linalg_det(&D, A, dev->stream))) {
        H_OK(h_read(D, &d));
        H_CHECK(fabs(d - 1) < 1e-9, "det(pascal 6) = %.17g", d);
    }
    lapis_array_free(D);
    lapis_array_free(A);
    /* int32 input: computed in float32 */
    int32_t iv[4] = {2, 1, 1, 3};
    int64_t s2[2] = {2, 2};
    A = NULL;
    D = NULL;
    if (H_OK(lapis_array_from_data(&A, iv, s2, 2, LAPIS_INT32)) &&
        H_OK(lapis_linalg_det(&D, A, dev->stream))) {
        H_CHECK(lapis_array_dtype(D) == LAPIS_FLOAT32, "det(int32) dtype %s",
                lapis_dtype_name(lapis_array_dtype(D)));
        H_OK(h_read(D, &d));
        H_CHECK(d == 5, "det([[2,1],[1,3]]) = %g", d);
    }
    lapis_array_free(D);
    lapis_array_free(A);
    /* zero-size: det of (0,0) is 1; slogdet (1, 0); batch 0 gives empty */
    int64_t s0[2] = {0, 0}, sb0[3] = {0, 4, 4};
    A = NULL;
    D = NULL;
    lapis_array S = NULL, LA = NULL;
    if (H_OK(lapis_array_zeros(&A, s0, 2, LAPIS_FLOAT64)) && H_OK(lapis_linalg_det(&D, A, dev->stream)) &&
        H_OK(lapis_linalg_slogdet(&S, &LA, A, dev->stream))) {
        double sv, lv;
        H_OK(h_read(D, &d));
        H_OK(h_read(S, &sv));
        H_OK(h_read(LA, &lv));
        H_CHECK(d == 1 && sv == 1 && lv == 0, "det of 0x0: %g %g %g", d, sv, lv);
    }
    lapis_array_free(A);
    lapis_array_free(D);
    lapis_array_free(S);
    lapis_array_free(LA);
    A = D = NULL;
    if (H_OK(lapis_array_zeros(&A, sb0, 3, LAPIS_FLOAT32)) && H_OK(lapis_linalg_det(&D, A, dev->stream)))
        H_CHECK(lapis_array_ndim(D) == 1 && lapis_array_size(D) == 0, "det of batch 0");
    lapis_array_free(A);
    lapis_array_free(D);
}

/* ---- pivots that (nearly) tie ------------------------------------------------ */

/*
 * The first pivot of matrices whose first column holds candidates of equal
 * magnitude or magnitudes that differ only in their last bits (the GPU's
 * pivot search compares truncated keys and must fall back to exact
 * comparisons there): the largest magnitude wins, ties to the smallest row,
 * as i?amax. Every small-kernel width, both dtypes, signs mixed.
 */
static void near_ties(const h_dev *dev) {
    static const int64_t ns[] = {3, 8, 13, 16, 32};
    for (int di = 0; di < 2; di++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
            lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            const double d = di ? 0x1p-40 : 0x1p-21; /* below the key's bits, above ulp(1) */
            int64_t n = ns[ni], nn = n * n, batch = 64, shape[3] = {64, n, n};
            double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
            double *pv = h_alloc((size_t)(batch * n) * sizeof(double));
            int64_t want[64];
            if (!a || !pv) {
                free(a);
                free(pv);
                return;
            }
            for (int64_t j = 0; j < batch; j++) {
                double *m = a + j * nn;
                memcpy(m, h_gen(MATGEN_RANDOM, n, 0, false, 0, 900 + (uint64_t)j),
                       (size_t)nn * sizeof(double));
                const int64_t w = (j * 7 + 3) % n, w2 = (j * 5 + 1) % n;
                const int kind = (int)(j % 4);
                for (int64_t i = 0; i < n; i++) {
                    double x;
                    if (kind == 0) x = i == w ? 1 + d : 1; /* one above by d */
                    else if (kind == 1) x = 1 - (double)((i * 3 + j) % n + (i != w)) * d;
                    else if (kind == 2) x = i == w || i == w2 ? 1 : 1 - d; /* exact tie */
                    else x = i == w ? 1.5 : 0.25 + 0.5 * (double)((i * 5 + j) % n) / (double)n;
                    m[i * n] = (i + j) % 3 ? x : -x;
                }
            }
            h_round(a, batch * nn, dt);
            for (int64_t j = 0; j < batch; j++) { /* i?amax of the first column */
                double best = -1;
                for (int64_t i = 0; i < n; i++)
                    if (fabs(a[j * nn + i * n]) > best) {
                        best = fabs(a[j * nn + i * n]);
                        want[j] = i;
                    }
            }
            char what[96];
            snprintf(what, sizeof what, "%s %s n=%lld near-tie pivots", dev->name, h_dtname(dt),
                     (long long)n);
            lapis_array A = h_array(a, shape, 3, dt), LU = NULL, PV = NULL, IN = NULL;
            if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream)) &&
                H_OK(h_read(PV, pv))) {
                int bad = 0;
                for (int64_t j = 0; j < batch; j++)
                    if (pv[j * n] != (double)want[j] && bad++ == 0)
                        H_CHECK(false, "first pivot of matrix %lld: %g, want %lld (%s)",
                                (long long)j, pv[j * n], (long long)want[j], what);
                H_CHECK(bad == 0, "%d of 64 first pivots wrong (%s)", bad, what);
            }
            /* solve factors them with the same search (and its restart) */
            double *b = h_alloc((size_t)(batch * n) * sizeof(double));
            double *x = h_alloc((size_t)(batch * n) * sizeof(double));
            int64_t bshape[3] = {64, n, 1};
            for (int64_t i = 0; b && i < batch * n; i++) b[i] = matgen_normal(77, (uint64_t)i);
            if (b) h_round(b, batch * n, dt);
            lapis_array B = b ? h_array(b, bshape, 3, dt) : NULL, X = NULL;
            if (A && B && x && H_OK(lapis_linalg_solve(&X, A, B, dev->stream)) &&
                H_OK(h_read(X, x))) {
                for (int64_t j = 0; j < batch; j++)
                    h_ratio("solve(near ties)", dt,
                            h_ratio_solve(a + j * nn, x + j * n, b + j * n, n, 1, h_eps(dt)),
                            H_THRESHOLD, what);
            }
            lapis_array_free(A);
            lapis_array_free(LU);
            lapis_array_free(PV);
            lapis_array_free(IN);
            lapis_array_free(B);
            lapis_array_free(X);
            free(a);
            free(pv);
            free(b);
            free(x);
        }
}

/* ---- pivots without a normal reciprocal ----------------------------------------- */

/*
 * A = s L U with L unit lower (entries 0, +-1/4, +-1/2: no row interchange)
 * and U upper (integer entries), where every operation of the factorization
 * is exact, so the packed LU must be s U over L exactly. Subnormal pivots
 * (s = 2^-1066, 2^-140 at float32) have no finite reciprocal and pivots
 * of 1.5 * 2^1022 (2^126) only a subnormal one. Below sfmin getf2 divides
 * (OpenBLAS 0.3.21 does not: lapis factors such a matrix again); above it
 * getf2 scales by the reciprocal, subnormal here, so the huge case checks
 * the backward error. Every small-kernel width and the block kernel.
 */
/* The top m2 rows or the left n2 columns of a (n x n, LU exactly want with
 * identity pivots, rows and columns diagonally dominant) factor to the same
 * rows or columns of want: rectangular LU with subnormal pivots. */
static void extreme_rectangular(const h_dev *dev, lapis_dtype dt, const double *a,
                                const double *want, int64_t n, int64_t batch, const char *what) {
    for (int t = 0; t < 2; t++) {
        const int64_t m2 = t ? n : n - 24, n2 = t ? n - 24 : n, k2 = n - 24, e2 = m2 * n2;
        double *a2 = h_alloc((size_t)(batch * e2) * sizeof(double));
        double *w2 = h_alloc((size_t)(batch * e2) * sizeof(double));
        double *lu = h_alloc((size_t)(batch * e2) * sizeof(double));
        double *piv = h_alloc((size_t)(batch * k2) * sizeof(double));
        double *inf = h_alloc((size_t)batch * sizeof(double));
        for (int64_t j = 0; j < batch; j++)
            for (int64_t r = 0; r < m2; r++)
                for (int64_t c = 0; c < n2; c++) {
                    a2[j * e2 + r * n2 + c] = a[j * n * n + r * n + c];
                    w2[j * e2 + r * n2 + c] = want[j * n * n + r * n + c];
                }
        int64_t shape[3] = {batch, m2, n2};
        lapis_array A = h_array(a2, shape, 3, dt), LU = NULL, PV = NULL, IN = NULL;
        if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream)) &&
            H_OK(h_read(LU, lu)) && H_OK(h_read(PV, piv)) && H_OK(h_read(IN, inf))) {
            int64_t bad = -1;
            for (int64_t e = 0; e < batch * e2 && bad < 0; e++)
                if (lu[e] != w2[e]) bad = e;
            H_CHECK(bad < 0, "%lldx%lld packed LU element %lld: %.17g, exactly %.17g (%s)",
                    (long long)m2, (long long)n2, (long long)bad, bad < 0 ? 0 : lu[bad],
                    bad < 0 ? 0 : w2[bad], what);
            for (int64_t e = 0; e < batch * k2; e++)
                H_CHECK(piv[e] == (double)(e % k2), "%lldx%lld pivot %lld: %g (%s)",
                        (long long)m2, (long long)n2, (long long)e, piv[e], what);
            for (int64_t j = 0; j < batch; j++)
                H_CHECK(inf[j] == 0, "%lldx%lld info %g (%s)", (long long)m2, (long long)n2,
                        inf[j], what);
            h_count("lu_factor(subnormal pivots, rectangular)", dt);
        }
        lapis_array_free(A);
        lapis_array_free(LU);
        lapis_array_free(PV);
        lapis_array_free(IN);
        free(a2);
        free(w2);
        free(lu);
        free(piv);
        free(inf);
    }
}

static void extreme_pivots(const h_dev *dev) {
    /* 80: past one panel of the CPU's row-major blocked LU (64 columns) */
    static const int64_t ns[] = {3, 8, 16, 32, 40, 80};
    for (int di = 0; di < 2; di++)
        for (int huge = 0; huge < 2; huge++)
            for (size_t q = 0; q < sizeof ns / sizeof ns[0]; q++) {
                lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
                const int64_t n = ns[q], nn = n * n, batch = 3;
                const double s = huge ? ldexp(1, di ? 1016 : 120) : ldexp(1, di ? -1066 : -140);
                int64_t shape[3] = {batch, n, n};
                double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
                double *want = h_alloc((size_t)(batch * nn) * sizeof(double));
                double *lu = h_alloc((size_t)(batch * nn) * sizeof(double));
                double *piv = h_alloc((size_t)(batch * n) * sizeof(double));
                double *inf = h_alloc((size_t)batch * sizeof(double));
                uint64_t st = 0x9e3779b97f4a7c15ull * (uint64_t)(n + 7 * huge + 31 * di);
                for (int64_t j = 0; j < batch; j++) {
                    double *w = want + j * nn;
                    for (int64_t r = 0; r < n; r++)
                        for (int64_t c = 0; c < n; c++) {
                            st = st * 6364136223846793005ull + 1442695040888963407ull;
                            int x = (int)(st >> 59); /* 0 .. 31 */
                            if (r > c) w[r * n + c] = (x % 5 - 2) * 0.25; /* L */
                            else if (r < c) w[r * n + c] = x % 9 - 4;     /* U */
                            else w[r * n + c] = (x & 1 ? -1 : 1) * (huge ? 96 : 1 + x % 7);
                        }
                    for (int64_t r = 0; r < n; r++)
                        for (int64_t c = 0; c < n; c++) {
                            double t = 0;
                            for (int64_t k = 0; k <= (r < c ? r : c); k++)
                                t += (k == r ? 1 : w[r * n + k]) * w[k * n + c];
                            a[j * nn + r * n + c] = s * t;
                        }
                    for (int64_t r = 0; r < n; r++)
                        for (int64_t c = r; c < n; c++) w[r * n + c] *= s;
                }
                char what[96];
                snprintf(what, sizeof what, "%s %s n=%lld %s pivots", dev->name, h_dtname(dt),
                         (long long)n, huge ? "huge" : "subnormal");
                lapis_array A = h_array(a, shape, 3, dt), LU = NULL, PV = NULL, IN = NULL;
                if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream)) &&
                    H_OK(h_read(LU, lu)) && H_OK(h_read(PV, piv)) && H_OK(h_read(IN, inf))) {
                    /* exact where the pivot is divided by; getf2 scales by
                     * the subnormal reciprocal of a huge pivot: a backward
                     * error ratio there */
                    int64_t bad = -1;
                    for (int64_t e = 0; e < batch * nn && bad < 0 && !huge; e++)
                        if (lu[e] != want[e]) bad = e;
                    H_CHECK(bad < 0, "packed LU element %lld: %.17g, exactly %.17g (%s)",
                            (long long)bad, bad < 0 ? 0 : lu[bad], bad < 0 ? 0 : want[bad], what);
                    for (int64_t j = 0; j < batch && huge; j++)
                        h_ratio("lu_factor(huge pivots)", dt,
                                h_ratio_lu_packed(a + j * nn, lu + j * nn, piv + j * n, n, n,
                                                  h_eps(dt)),
                                H_THRESHOLD, what);
                    for (int64_t e = 0; e < batch * n; e++)
                        H_CHECK(piv[e] == (double)(e % n), "pivot %lld: %g (%s)", (long long)e,
                                piv[e], what);
                    for (int64_t j = 0; j < batch; j++)
                        H_CHECK(inf[j] == 0, "info %g (%s)", inf[j], what);
                    h_count("lu_factor(extreme pivots)", dt);
                }
                if (!huge && n == 80) extreme_rectangular(dev, dt, a, want, n, batch, what);
                /* solve: b = A x for small integers x (2^-8 of them with huge
                 * pivots, that b not overflow), every step exact in the
                 * subnormal case (the substitutions divide by the pivots) */
                double *xt = h_alloc((size_t)(batch * n) * sizeof(double));
                double *b = h_alloc((size_t)(batch * n) * sizeof(double));
                double *x = h_alloc((size_t)(batch * n) * sizeof(double));
                for (int64_t e = 0; e < batch * n; e++) xt[e] = ((double)((e * 7) % 5) - 2) * (huge ? 0x1p-8 : 1);
                for (int64_t j = 0; j < batch; j++)
                    for (int64_t r = 0; r < n; r++) {
                        double t = 0;
                        for (int64_t c = 0; c < n; c++) t += a[j * nn + r * n + c] / s * xt[j * n + c];
                        b[j * n + r] = s * t;
                    }
                int64_t bshape[3] = {batch, n, 1};
                lapis_array B = h_array(b, bshape, 3, dt), X = NULL;
                if (A && B && H_OK(lapis_linalg_solve(&X, A, B, dev->stream)) && H_OK(h_read(X, x))) {
                    if (!huge) {
                        int64_t bad = -1;
                        for (int64_t e = 0; e < batch * n && bad < 0; e++)
                            if (x[e] != xt[e]) bad = e;
                        H_CHECK(bad < 0, "solve element %lld: %.17g, exactly %g (%s)",
                                (long long)bad, bad < 0 ? 0 : x[bad], bad < 0 ? 0 : xt[bad], what);
                    }
                    for (int64_t j = 0; j < batch; j++)
                        h_ratio("solve(extreme pivots)", dt,
                                h_ratio_solve(a + j * nn, x + j * n, b + j * n, n, 1, h_eps(dt)),
                                H_THRESHOLD, what);
                }
                /* one A for the batch of b (lu_factor, then lu_solve), and
                 * U alone (solve_triangular): b = A0 x, b = s U0 x */
                int64_t ashape[2] = {n, n};
                lapis_array A0 = h_array(a, ashape, 2, dt), U0 = h_array(want, ashape, 2, dt);
                for (int tri = 0; tri < 2 && !huge; tri++) {
                    for (int64_t j = 0; j < batch; j++)
                        for (int64_t r = 0; r < n; r++) {
                            double t = 0;
                            for (int64_t c = tri ? r : 0; c < n; c++)
                                t += (tri ? want[r * n + c] : a[r * n + c]) / s * xt[j * n + c];
                            b[j * n + r] = s * t;
                        }
                    lapis_array_free(B);
                    lapis_array_free(X);
                    B = h_array(b, bshape, 3, dt);
                    X = NULL;
                    lapis_status st = tri ? lapis_linalg_solve_triangular(&X, U0, B, true, dev->stream)
                                          : lapis_linalg_solve(&X, A0, B, dev->stream);
                    if (A0 && U0 && B && H_OK(st) && H_OK(h_read(X, x))) {
                        int64_t bad = -1;
                        for (int64_t e = 0; e < batch * n && bad < 0; e++)
                            if (x[e] != xt[e]) bad = e;
                        H_CHECK(bad < 0, "%s element %lld: %.17g, exactly %g (%s)",
                                tri ? "solve_triangular" : "solve (one A)", (long long)bad,
                                bad < 0 ? 0 : x[bad], bad < 0 ? 0 : xt[bad], what);
                        h_count(tri ? "solve_triangular(subnormal diagonal)"
                                    : "solve(one A, subnormal pivots)",
                                dt);
                    }
                }
                lapis_array_free(A0);
                lapis_array_free(U0);
                lapis_array_free(B);
                lapis_array_free(X);
                free(xt);
                free(b);
                free(x);
                lapis_array_free(A);
                lapis_array_free(LU);
                lapis_array_free(PV);
                lapis_array_free(IN);
                free(a);
                free(want);
                free(lu);
                free(piv);
                free(inf);
            }
}

/* ---- single large matrices ------------------------------------------------------ */

/* n >= 256 alone takes the CPU's single-large-matrix path (transposes on
 * all threads around a threaded getrf; the quick lattice stops at 129):
 * every lattice check, with the exact zero-pivot indices, on one matrix of
 * each type at n = 300, and a random one at n = 256 (the threshold). */
static void large_single(const h_dev *dev) {
    const int nt = (int)(sizeof k_types / sizeof k_types[0]);
    h_single_large(dev, k_types, nt, 300, 700, run_lu, NULL);
    for (int t = 0; t < nt; t++) /* the threshold, on a random matrix */
        if (k_types[t].type == MATGEN_RANDOM)
            h_single_large(dev, &k_types[t], 1, 256, 700 + (uint64_t)t, run_lu, NULL);
    /* the CPU's two-level panels (n >= 3000 by default: 192 over 64) at
     * n = 300, 96 over 32, with the rest of the lattice's checks; the row
     * interchanges on threads (from n ~ 3000 by default) on every panel */
    lapis_cpu_lu_panels(96, 32);
    lapis_cpu_lu_swaps_par_min(1);
    h_single_large(dev, k_types, nt, 300, 900, run_lu, NULL);
    lapis_cpu_lu_swaps_par_min(0);
    lapis_cpu_lu_panels(0, 0);
    /* the GPU's panels with a lookahead (from 8192 by default) at n = 300:
     * 128, 128 and 44 columns */
    lapis_gpu_lu_lookahead(128, 1);
    h_single_large(dev, k_types, nt, 300, 1100, run_lu, NULL);
    lapis_gpu_lu_lookahead(0, 0);
}

/* One large matrix (n = 300, the CPU's single-matrix path) with NaN or Inf
 * in its first or last row: lu_factor and solve report it, all NaN. */
static void nonfinite_single(const h_dev *dev) {
    const int64_t n = 300, nn = n * n;
    for (int di = 0; di < 2; di++)
        for (int last = 0; last < 2; last++) {
            lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            double *a = h_alloc((size_t)nn * sizeof(double));
            double *x = h_alloc((size_t)nn * sizeof(double));
            double *b = h_alloc((size_t)n * sizeof(double));
            double info = -1;
            memcpy(a, h_gen(MATGEN_RANDOM, n, 0, false, 0, 77), (size_t)nn * sizeof(double));
            h_round(a, nn, dt);
            for (int64_t i = 0; i < n; i++) b[i] = 1;
            const int64_t e = last ? nn - 7 : 5;
            a[e] = last ? -INFINITY : NAN;
            char what[96];
            snprintf(what, sizeof what, "%s %s n=%lld single, bad element %lld", dev->name,
                     h_dtname(dt), (long long)n, (long long)e);
            int64_t shape[2] = {n, n}, bshape[1] = {n};
            lapis_array A = h_array(a, shape, 2, dt), B = h_array(b, bshape, 1, dt);
            lapis_array LU = NULL, PV = NULL, IN = NULL, X = NULL, XI = NULL;
            if (A && H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream)) &&
                H_OK(h_read(LU, x)) && H_OK(h_read(IN, &info))) {
                H_CHECK(info == LAPIS_INFO_NON_FINITE && h_all_nan(x, nn),
                        "lu_factor of non-finite input: info %g (%s)", info, what);
                h_count("lu_factor(non-finite, single)", dt);
            }
            if (A && B && H_OK(lapis_linalg_solve_ex(&X, &XI, A, B, dev->stream)) &&
                H_OK(h_read(X, x)) && H_OK(h_read(XI, &info))) {
                H_CHECK(info == LAPIS_INFO_NON_FINITE && h_all_nan(x, n),
                        "solve with non-finite A: info %g (%s)", info, what);
                h_count("solve(non-finite A, single)", dt);
            }
            lapis_array_free(A);
            lapis_array_free(B);
            lapis_array_free(LU);
            lapis_array_free(PV);
            lapis_array_free(IN);
            lapis_array_free(X);
            lapis_array_free(XI);
            free(a);
            free(x);
            free(b);
        }
}

int main(void) {
    h_init("test_lu");
    h_lattice(k_types, (int)(sizeof k_types / sizeof k_types[0]), run_lu, NULL);
    for (int d = 0; d < h_ndev(); d++) {
        large_single(h_dev_at(d));
        rectangular(h_dev_at(d));
        failure_batches(h_dev_at(d));
        nonfinite(h_dev_at(d));
        nonfinite_single(h_dev_at(d));
        known_values(h_dev_at(d));
        near_ties(h_dev_at(d));
        extreme_pivots(h_dev_at(d));
    }
    return h_finish();
}
