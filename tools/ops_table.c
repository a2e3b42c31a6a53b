/*
 * The ops of `lapis run`: one row each (see ops_table.h). Flop counts are
 * the standard LAPACK ones (LAWN 41, adds + multiplies, lower-order terms
 * kept); checks are LAPACK-style ratios computed in long double on the host.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matgen.h"
#include "ops_table.h"

/* ---- helpers -------------------------------------------------------------- */

/* Matrix i of a batched tensor (the last two axes form the matrix). */
static const double *mat_at(const tensor *t, int64_t i) {
    int64_t per = 1;
    for (int d = t->ndim >= 2 ? t->ndim - 2 : 0; d < t->ndim; d++) per *= t->shape[d];
    return t->v + i * per;
}

static double *scratch(int64_t n) { return malloc((size_t)(n > 0 ? n : 1) * sizeof(double)); }

/* A second input of shape batch + (rows, cols), N(0,1) entries rounded to
 * the dtype, placed in c->in[slot] / c->a[slot]. */
static int make_normal(op_case *c, int slot, int64_t rows, int64_t cols, char *err, size_t cap) {
    int64_t shape[LAPIS_MAX_NDIM + 2];
    memcpy(shape, c->bshape, sizeof(int64_t) * (size_t)c->bndim);
    shape[c->bndim] = rows;
    shape[c->bndim + 1] = cols;
    tensor *t = &c->in[slot];
    if (tensor_alloc(t, shape, c->bndim + 2, c->dtype)) {
        snprintf(err, cap, "out of memory for the second input");
        return -1;
    }
    int64_t n = tensor_size(t);
    for (int64_t i = 0; i < n; i++) t->v[i] = matgen_normal(c->seed * 7919u + 17u, (uint64_t)i);
    tensor_round(t, c->dtype);
    lapis_status st = tensor_to_array(&c->a[slot], t, c->dtype);
    if (st) {
        snprintf(err, cap, "cannot create the second input: %s", lapis_last_error());
        return -1;
    }
    if (slot + 1 > c->nin) c->nin = slot + 1;
    return 0;
}

static double ratio_or_nan(double num, double den) {
    if (isnan(num) || isnan(den)) return NAN;
    if (den == 0) return num == 0 ? 0 : INFINITY;
    return num / den;
}

/* ||I - A X||_1 / (n ||A||_1 ||X||_1 eps), the LAPACK inverse ratio. */
static double inverse_ratio(const op_case *c, const double *a, const double *x, int64_t n) {
    if (n == 0) return 0;
    double r = resid_prod(NULL, a, false, x, false, n, n, n);
    return ratio_or_nan(r, (double)n * norm1(a, n, n) * norm1(x, n, n) * dtype_eps(c->dtype));
}

/* ||B - A X||_1 / (||A||_1 ||X||_1 eps), A n x n, X and B n x k. */
static double solve_ratio(const op_case *c, const double *a, const double *x, const double *b,
                          int64_t n, int64_t k) {
    if (n == 0 || k == 0) return 0;
    double r = resid_prod(b, a, false, x, false, n, n, k);
    return ratio_or_nan(r, norm1(a, n, n) * norm1(x, n, k) * dtype_eps(c->dtype));
}

/* ||A - X Y||_1 / (n ||A||_1 eps) for a factorization. */
static double factor_ratio(const op_case *c, const double *a, const double *x, bool xt,
                           const double *y, bool yt, int64_t m, int64_t k, int64_t n) {
    if (m == 0 || n == 0) return 0;
    double r = resid_prod(a, x, xt, y, yt, m, k, n);
    return ratio_or_nan(r, (double)n * norm1(a, m, n) * dtype_eps(c->dtype));
}

static double getrf_flops(double m, double n) {
    if (m < n) { double t = m; m = n; n = t; }
    return m * n * n - n * n * n / 3 - n * n / 2 + 5 * n / 6;
}

/* ---- cholesky ------------------------------------------------------------- */

static double flops_potrf(const op_case *c) {
    double n = (double)c->n;
    return n * n * n / 3 + n * n / 2 + n / 6;
}

static lapis_status run_cholesky(const op_case *c, lapis_array *out) {
    return lapis_linalg_cholesky(&out[0], c->a[0], c->upper, c->stream);
}

static double check_cholesky(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double *a = scratch(n * n);
    if (!a) return NAN;
    take_triangle(a, mat_at(&c->in[0], i), n, c->upper, true);
    const double *f = mat_at(&out[0], i);
    /* A = L Lᵀ or Uᵀ U */
    double r = factor_ratio(c, a, f, c->upper, f, !c->upper, n, n, n);
    free(a);
    return r;
}

/* ---- cholesky_inv: the input is the factor of an SPD matrix ---------------- */

static double flops_potri(const op_case *c) {
    double n = (double)c->n;
    return 2 * n * n * n / 3 + n * n / 2 + 5 * n / 6;
}

static int build_cholesky_inv(op_case *c, char *err, size_t cap) {
    /* Turn the SPD input into its factor with lapis itself (untimed). */
    lapis_array f = NULL;
    lapis_status st = lapis_linalg_cholesky(&f, c->a[0], c->upper, c->stream);
    tensor t;
    if (!st) st = tensor_from_array(&t, f);
    if (st) {
        snprintf(err, cap, "cannot factor the input for cholesky_inv: %s", lapis_last_error());
        lapis_array_free(f);
        return -1;
    }
    lapis_array_free(c->a[0]);
    tensor_free(&c->in[0]);
    c->a[0] = f;
    c->in[0] = t;
    return 0;
}

static lapis_status run_cholesky_inv(const op_case *c, lapis_array *out) {
    return lapis_linalg_cholesky_inv(&out[0], c->a[0], c->upper, c->stream);
}

static double check_cholesky_inv(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double *f = scratch(n * n), *a = scratch(n * n);
    double r = NAN;
    if (f && a) {
        take_triangle(f, mat_at(&c->in[0], i), n, c->upper, false);
        /* A = F Fᵀ (lower) or Fᵀ F (upper), rounded once from long double. */
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = 0; q < n; q++) {
                long double s = 0;
                for (int64_t l = 0; l < n; l++)
                    s += c->upper ? (long double)f[l * n + p] * f[l * n + q]
                                  : (long double)f[p * n + l] * f[q * n + l];
                a[p * n + q] = (double)s;
            }
        r = inverse_ratio(c, a, mat_at(&out[0], i), n);
    }
    free(f);
    free(a);
    return r;
}

/* ---- inv ----------------------------------------------------------------- */

static double flops_inv(const op_case *c) {
    double n = (double)c->n;
    return 2 * n * n * n - 1.5 * n * n + 2.5 * n; /* getrf + getri */
}

static lapis_status run_inv(const op_case *c, lapis_array *out) {
    return lapis_linalg_inv(&out[0], c->a[0], c->stream);
}

static double check_inv(const op_case *c, const tensor *out, int64_t i) {
    return inverse_ratio(c, mat_at(&c->in[0], i), mat_at(&out[0], i), c->n);
}

/* ---- tri_inv ------------------------------------------------------------- */

static double flops_trtri(const op_case *c) {
    double n = (double)c->n;
    return n * n * n / 3 + 2 * n / 3;
}

static lapis_status run_tri_inv(const op_case *c, lapis_array *out) {
    return lapis_linalg_tri_inv(&out[0], c->a[0], c->upper, c->stream);
}

static double check_tri_inv(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double *t = scratch(n * n);
    if (!t) return NAN;
    take_triangle(t, mat_at(&c->in[0], i), n, c->upper, false);
    double r = inverse_ratio(c, t, mat_at(&out[0], i), n);
    free(t);
    return r;
}

/* ---- solve / solve_triangular -------------------------------------------- */

static int build_rhs(op_case *c, char *err, size_t cap) {
    if (c->k <= 0) c->k = 1;
    return make_normal(c, 1, c->n, c->k, err, cap);
}

static double flops_solve(const op_case *c) {
    double n = (double)c->n, k = (double)c->k;
    return getrf_flops(n, n) + 2 * n * n * k - n * k;
}

static lapis_status run_solve(const op_case *c, lapis_array *out) {
    return lapis_linalg_solve(&out[0], c->a[0], c->a[1], c->stream);
}

static double check_solve(const op_case *c, const tensor *out, int64_t i) {
    return solve_ratio(c, mat_at(&c->in[0], i), mat_at(&out[0], i), mat_at(&c->in[1], i), c->n,
                       c->k);
}

static double flops_trsm(const op_case *c) {
    double n = (double)c->n, k = (double)c->k;
    return n * n * k;
}

static lapis_status run_solve_triangular(const op_case *c, lapis_array *out) {
    return lapis_linalg_solve_triangular(&out[0], c->a[0], c->a[1], c->upper, c->stream);
}

static double check_solve_triangular(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double *t = scratch(n * n);
    if (!t) return NAN;
    take_triangle(t, mat_at(&c->in[0], i), n, c->upper, false);
    double r = solve_ratio(c, t, mat_at(&out[0], i), mat_at(&c->in[1], i), n, c->k);
    free(t);
    return r;
}

/* ---- lu / lu_factor ------------------------------------------------------ */

static double flops_getrf(const op_case *c) { return getrf_flops((double)c->m, (double)c->n); }

static lapis_status run_lu(const op_case *c, lapis_array *out) {
    return lapis_linalg_lu(&out[0], &out[1], &out[2], c->a[0], c->stream);
}

static double check_lu(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, k = m < n ? m : n;
    /* p is (..., M): row i of it belongs to matrix i. */
    const double *p = out[0].v + i * m, *l = mat_at(&out[1], i), *u = mat_at(&out[2], i);
    double *lp = scratch(m * k);
    if (!lp) return NAN;
    double r;
    for (int64_t r0 = 0; r0 < m; r0++) {
        double pr = p[r0];
        if (!(pr >= 0 && pr < (double)m)) {
            free(lp);
            return INFINITY; /* not a row index */
        }
        memcpy(lp + r0 * k, l + (int64_t)pr * k, sizeof(double) * (size_t)k);
    }
    r = factor_ratio(c, mat_at(&c->in[0], i), lp, false, u, false, m, k, n);
    free(lp);
    return r;
}

static lapis_status run_lu_factor(const op_case *c, lapis_array *out) {
    return lapis_linalg_lu_factor(&out[0], &out[1], c->a[0], c->stream);
}

static double check_lu_factor(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, k = m < n ? m : n;
    const double *lu = mat_at(&out[0], i), *piv = out[1].v + i * k;
    double *l = scratch(m * k), *u = scratch(k * n), *prod = scratch(m * n);
    double r = NAN;
    if (!l || !u || !prod) goto out;
    for (int64_t p = 0; p < m; p++)
        for (int64_t q = 0; q < k; q++) l[p * k + q] = p > q ? lu[p * n + q] : p == q ? 1 : 0;
    for (int64_t p = 0; p < k; p++)
        for (int64_t q = 0; q < n; q++) u[p * n + q] = q >= p ? lu[p * n + q] : 0;
    /* prod = L U, then undo the row swaps, last first, to get A back. */
    for (int64_t p = 0; p < m; p++)
        for (int64_t q = 0; q < n; q++) {
            long double s = 0;
            for (int64_t t = 0; t < k; t++) s += (long double)l[p * k + t] * u[t * n + q];
            prod[p * n + q] = (double)s;
        }
    for (int64_t s = k - 1; s >= 0; s--) {
        double pv = piv[s];
        if (!(pv >= (double)s && pv < (double)m)) {
            r = INFINITY;
            goto out;
        }
        int64_t t = (int64_t)pv;
        for (int64_t q = 0; q < n && t != s; q++) {
            double x = prod[s * n + q];
            prod[s * n + q] = prod[t * n + q];
            prod[t * n + q] = x;
        }
    }
    /* ||A - P L U||_1, the product being formed already. */
    {
        const double *a = mat_at(&c->in[0], i);
        for (int64_t p = 0; p < m * n; p++) prod[p] = a[p] - prod[p];
        r = ratio_or_nan(norm1(prod, m, n), (double)n * norm1(a, m, n) * dtype_eps(c->dtype));
    }
out:
    free(l);
    free(u);
    free(prod);
    return r;
}

/* ---- det / slogdet ------------------------------------------------------- */

/* |log|d| - log|d_ref|| (the relative error of d) over n κ₁ eps; the
 * reference is a long double LU. Under/overflow matching the reference's
 * magnitude counts as exact. */
static double det_ratio(const op_case *c, double sign, double logabs, int64_t i) {
    int64_t n = c->n;
    if (n == 0) return sign == 1 && logabs == 0 ? 0 : INFINITY;
    double rsign, cond;
    long double rlog;
    ref_slogdet(mat_at(&c->in[0], i), n, &rsign, &rlog, &cond);
    if (isnan(sign) || isnan(logabs)) return NAN;
    if (rsign == 0) return sign == 0 ? 0 : INFINITY;
    if (sign != rsign) return INFINITY;
    double big = c->dtype == LAPIS_FLOAT32 ? log(FLT_MAX) : log(DBL_MAX);
    double tiny = c->dtype == LAPIS_FLOAT32 ? log(FLT_TRUE_MIN) : log(DBL_TRUE_MIN);
    if (isinf(logabs) && logabs > 0) return rlog > big - 1 ? 0 : INFINITY;
    if (isinf(logabs) && logabs < 0) return rlog < tiny + 1 ? 0 : INFINITY;
    double err = fabs((double)((long double)logabs - rlog));
    return ratio_or_nan(err, (double)n * cond * dtype_eps(c->dtype));
}

static lapis_status run_det(const op_case *c, lapis_array *out) {
    return lapis_linalg_det(&out[0], c->a[0], c->stream);
}

static double check_det(const op_case *c, const tensor *out, int64_t i) {
    double d = out[0].v[i];
    double sign = d > 0 ? 1 : d < 0 ? -1 : d == 0 ? 0 : NAN;
    return det_ratio(c, sign, d == 0 ? -INFINITY : log(fabs(d)), i);
}

static lapis_status run_slogdet(const op_case *c, lapis_array *out) {
    return lapis_linalg_slogdet(&out[0], &out[1], c->a[0], c->stream);
}

static double check_slogdet(const op_case *c, const tensor *out, int64_t i) {
    return det_ratio(c, out[0].v[i], out[1].v[i], i);
}

/* ---- matmul: (m x n) @ (n x k) -------------------------------------------- */

static int build_matmul(op_case *c, char *err, size_t cap) {
    if (c->k <= 0) c->k = c->n;
    return make_normal(c, 1, c->n, c->k, err, cap);
}

static double flops_gemm(const op_case *c) { return 2.0 * (double)c->m * (double)c->n * (double)c->k; }

static lapis_status run_matmul(const op_case *c, lapis_array *out) {
    return lapis_matmul(&out[0], c->a[0], c->a[1], c->stream);
}

static double check_matmul(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, k = c->k;
    const double *a = mat_at(&c->in[0], i), *b = mat_at(&c->in[1], i);
    if (m == 0 || k == 0) return 0;
    double r = resid_prod(mat_at(&out[0], i), a, false, b, false, m, n, k);
    return ratio_or_nan(r, (double)(n ? n : 1) * norm1(a, m, n) * norm1(b, n, k) *
                               dtype_eps(c->dtype));
}

/* ---- the table ----------------------------------------------------------- */

const op_entry lapis_ops[] = {
    {"cholesky", "A = L Lᵀ of SPD matrices", {"l"}, OP_SPD, MATGEN_SPD, flops_potrf, NULL,
     run_cholesky, check_cholesky, "||A - L L^T||_1 / (n ||A||_1 eps)"},
    {"cholesky_inv", "A⁻¹ from the Cholesky factor (the factor is computed first, untimed)",
     {"ainv"}, OP_SPD, MATGEN_SPD, flops_potri, build_cholesky_inv, run_cholesky_inv,
     check_cholesky_inv, "||I - A X||_1 / (n ||A||_1 ||X||_1 eps)"},
    {"inv", "A⁻¹ by LU with partial pivoting", {"ainv"}, OP_SQUARE, MATGEN_RANDOM, flops_inv,
     NULL, run_inv, check_inv, "||I - A X||_1 / (n ||A||_1 ||X||_1 eps)"},
    {"tri_inv", "inverse of a triangular matrix (--upper for upper)", {"ainv"}, OP_TRI,
     MATGEN_LOWER, flops_trtri, NULL, run_tri_inv, check_tri_inv,
     "||I - T X||_1 / (n ||T||_1 ||X||_1 eps)"},
    {"solve", "X = A⁻¹ B by LU, B n x k (--k, default 1)", {"x"}, OP_SQUARE, MATGEN_RANDOM,
     flops_solve, build_rhs, run_solve, check_solve, "||B - A X||_1 / (||A||_1 ||X||_1 eps)"},
    {"solve_triangular", "X = T⁻¹ B, B n x k (--k, default 1; --upper)", {"x"}, OP_TRI,
     MATGEN_LOWER, flops_trsm, build_rhs, run_solve_triangular, check_solve_triangular,
     "||B - T X||_1 / (||T||_1 ||X||_1 eps)"},
    {"lu", "P, L, U of an m x n matrix (--m)", {"p", "l", "u"}, OP_GENERAL, MATGEN_RANDOM,
     flops_getrf, NULL, run_lu, check_lu, "||A - L[P] U||_1 / (n ||A||_1 eps)"},
    {"lu_factor", "packed LU and pivots of an m x n matrix (--m)", {"lu", "pivots"}, OP_GENERAL,
     MATGEN_RANDOM, flops_getrf, NULL, run_lu_factor, check_lu_factor,
     "||A - P L U||_1 / (n ||A||_1 eps)"},
    {"det", "determinant", {"det"}, OP_SQUARE, MATGEN_RANDOM, flops_getrf, NULL, run_det,
     check_det, "|det - ref| / |ref| / (n cond_1 eps)"},
    {"slogdet", "sign and log|det|", {"sign", "logabsdet"}, OP_SQUARE, MATGEN_RANDOM,
     flops_getrf, NULL, run_slogdet, check_slogdet,
     "|logabsdet - ref| / (n cond_1 eps), sign exact"},
    {"matmul", "(m x n) @ (n x k), --k default n", {"c"}, OP_GENERAL, MATGEN_RANDOM, flops_gemm,
     build_matmul, run_matmul, check_matmul, "||C - A B||_1 / (n ||A||_1 ||B||_1 eps)"},
};
const int lapis_nops = (int)(sizeof lapis_ops / sizeof lapis_ops[0]);

const op_entry *ops_find(const char *name) {
    for (int i = 0; i < lapis_nops; i++)
        if (strcmp(lapis_ops[i].name, name) == 0) return &lapis_ops[i];
    return NULL;
}
