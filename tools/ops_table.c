/*
 * The ops of `lapis run`: one row each (see ops_table.h). Flop counts are
 * the standard LAPACK ones (LAWN 41, adds + multiplies, lower-order terms
 * kept); checks are LAPACK-style ratios computed in long double on the host.
 */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matgen.h"
#include "ops_table.h"

/* ---- helpers -------------------------------------------------------------- */

/* Matrix i of a batched tensor (the last two axes form the matrix). */
static const double *mat_at(const tensor *t, int64_t i) {
    int64_t per = dtype_is_complex(t->dtype) ? 2 : 1;
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
    int64_t n = tensor_nvals(t); /* complex: re and im both N(0,1) */
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

/* ==== the orthogonal and spectral family ====================================
 * Checks run in complex long double whatever the dtype (real data gets zero
 * imaginary parts), so one checker serves f32, f64, c64 and c128. Complex
 * flop counts are 4x the real ones (a complex multiply-add is 4 real
 * multiplies and 4 adds, LAWN 41's convention).
 */

static double cplx_factor(const op_case *c) { return dtype_is_complex(c->dtype) ? 4 : 1; }

/* Block i of `count` elements of t (batch item i of a tensor whose trailing
 * axes hold `count` elements). */
static const double *blk_at(const tensor *t, int64_t i, int64_t count) {
    return t->v + i * count * (dtype_is_complex(t->dtype) ? 2 : 1);
}

/* Block i of t as interleaved complex doubles (free() it); NULL if out of memory. */
static double *zblk(const tensor *t, int64_t i, int64_t count) {
    double *z = scratch(2 * count);
    if (!z) return NULL;
    const double *p = blk_at(t, i, count);
    if (dtype_is_complex(t->dtype)) {
        memcpy(z, p, sizeof(double) * (size_t)(2 * count));
    } else {
        for (int64_t j = 0; j < count; j++) {
            z[2 * j] = p[j];
            z[2 * j + 1] = 0;
        }
    }
    return z;
}

static bool has_nan(const double *v, int64_t nv) {
    for (int64_t i = 0; i < nv; i++)
        if (isnan(v[i])) return true;
    return false;
}

/* The larger ratio; NaN (a failed matrix) wins. */
static double worse(double a, double b) {
    if (isnan(a) || isnan(b)) return NAN;
    return a > b ? a : b;
}

/* ||a - op(x) op(y)||_1 for complex data (a NULL: the identity). */
static double zres1(const double *a, const double *x, char xop, const double *y, char yop,
                    int64_t m, int64_t k, int64_t n) {
    double *c = scratch(2 * m * n), r = NAN;
    if (c && !zresid(c, a, x, xop, y, yop, m, k, n)) r = znorm1(c, m, n);
    free(c);
    return r;
}

/* ||M - Mᴴ||_1 of a complex n x n matrix. */
static double zherm_defect1(const double *mm, int64_t n) {
    double best = 0;
    for (int64_t j = 0; j < n; j++) {
        long double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += hypotl((long double)mm[2 * (i * n + j)] - mm[2 * (j * n + i)],
                        (long double)mm[2 * (i * n + j) + 1] + mm[2 * (j * n + i) + 1]);
        if (isnan(s)) return NAN;
        if (s > best) best = (double)s;
    }
    return best;
}

/* x (rows x cols, complex) with column j scaled by d[j] (real, or complex
 * when dcplx); the first `cols` columns of a matrix with `ldx` columns. */
static double *zscale_cols(const double *x, int64_t rows, int64_t cols, int64_t ldx,
                           const double *d, bool dcplx) {
    double *y = scratch(2 * rows * cols);
    if (!y) return NULL;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double xr = x[2 * (i * ldx + j)], xi = x[2 * (i * ldx + j) + 1];
            double dr = dcplx ? d[2 * j] : d[j], di = dcplx ? d[2 * j + 1] : 0;
            y[2 * (i * cols + j)] = xr * dr - xi * di;
            y[2 * (i * cols + j) + 1] = xr * di + xi * dr;
        }
    return y;
}

/* The binary exponent of the largest |z| of a complex block (0 if all zero
 * or not finite), and an exact scaling by 2^e: checks whose products of
 * norms would overflow or underflow (pinv, lstsq, eigvals on the
 * overflow/underflow matrix types) work on data brought near 1. */
static int zexp(const double *z, int64_t count) {
    double big = 0;
    for (int64_t j = 0; j < 2 * count; j++)
        if (fabs(z[j]) > big) big = fabs(z[j]);
    int e = 0;
    if (big > 0 && isfinite(big)) frexp(big, &e);
    return e;
}

static void zscale2(double *z, int64_t count, int e) {
    for (int64_t j = 0; j < 2 * count; j++) z[j] = ldexp(z[j], e);
}

static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/* ---- qr ------------------------------------------------------------------- */

/* geqrf (2mn² - 2n³/3 for m >= n, roles swapped otherwise) plus, unless R
 * only, orgqr forming the m x k Q from k reflectors (2mk² - 2k³/3). */
static double flops_qr(const op_case *c) {
    double m = (double)c->m, n = (double)c->n, k = m < n ? m : n;
    double f = m >= n ? 2 * m * n * n - 2 * n * n * n / 3 : 2 * n * m * m - 2 * m * m * m / 3;
    if (!c->values_only) f += 2 * m * k * k - 2 * k * k * k / 3;
    return f * cplx_factor(c);
}

static lapis_status run_qr(const op_case *c, lapis_array *out) {
    return lapis_linalg_qr(c->values_only ? NULL : &out[0], &out[1], c->a[0], c->stream);
}

static double check_qr(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, k = imin(m, n), mx = imax(m, n);
    double eps = dtype_eps(c->dtype), r = NAN;
    if (k == 0) return 0;
    double *a = zblk(&c->in[0], i, m * n), *rr = zblk(&out[1], i, k * n), *q = NULL, *g = NULL;
    if (!a || !rr) goto out;
    if (has_nan(rr, 2 * k * n)) goto out;
    /* R's strictly lower part must be exactly zero */
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < p && j < n; j++)
            if (rr[2 * (p * n + j)] != 0 || rr[2 * (p * n + j) + 1] != 0) {
                r = INFINITY;
                goto out;
            }
    double an = znorm1(a, m, n);
    if (out[0].v) {
        if (!(q = zblk(&out[0], i, m * k))) goto out;
        r = worse(ratio_or_nan(zres1(a, q, 'N', rr, 'N', m, k, n), (double)mx * an * eps),
                  ratio_or_nan(zres1(NULL, q, 'C', q, 'N', k, m, k), (double)m * eps));
    } else {
        /* R only: Aᴴ A = Rᴴ R */
        if (!(g = scratch(2 * n * n)) || zprod(g, a, 'C', a, 'N', n, m, n)) goto out;
        r = ratio_or_nan(zres1(g, rr, 'C', rr, 'N', n, k, n), (double)mx * an * an * eps);
    }
out:
    free(a), free(rr), free(q), free(g);
    return r;
}

/* ---- svd ------------------------------------------------------------------ */

/* Golub and Van Loan's counts for the Golub-Reinsch SVD (Matrix Computations,
 * 4th ed., §8.6.3), with m >= n the larger and smaller dimension: values
 * only 4mn² - 4n³/3 (the bidiagonalization; the iteration is O(n²)); thin U,
 * V 14mn² + 8n³; full U, V 4m²n + 8mn² + 9n³. */
static double flops_svd_of(double m, double n, bool vectors, bool full) {
    if (m < n) { double t = m; m = n; n = t; }
    if (!vectors) return 4 * m * n * n - 4 * n * n * n / 3;
    if (!full) return 14 * m * n * n + 8 * n * n * n;
    return 4 * m * m * n + 8 * m * n * n + 9 * n * n * n;
}

static double flops_svd(const op_case *c) {
    return flops_svd_of((double)c->m, (double)c->n, !c->values_only, c->full) * cplx_factor(c);
}

static lapis_status run_svd(const op_case *c, lapis_array *out) {
    if (c->values_only) return lapis_linalg_svd(NULL, &out[1], NULL, c->a[0], c->full, c->stream);
    return lapis_linalg_svd(&out[0], &out[1], &out[2], c->a[0], c->full, c->stream);
}

/* max |s - s_ref| / (max(m, n) s_ref[0] eps), s_ref from one-sided Jacobi. */
static double sv_ratio(const op_case *c, const double *a, int64_t m, int64_t n, const double *s) {
    int64_t k = imin(m, n);
    long double *ref = malloc(sizeof *ref * (size_t)(k ? k : 1));
    double r = NAN;
    if (ref && !zsingular_values(ref, a, m, n)) {
        long double d = 0;
        for (int64_t j = 0; j < k; j++) {
            long double e = fabsl((long double)s[j] - ref[j]);
            if (!(e <= d)) d = e;
        }
        r = ratio_or_nan((double)d, (double)imax(m, n) * (double)ref[0] * dtype_eps(c->dtype));
    }
    free(ref);
    return r;
}

static double check_svd(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, k = imin(m, n), mx = imax(m, n);
    double eps = dtype_eps(c->dtype), r = NAN;
    if (k == 0) return 0;
    const double *s = blk_at(&out[1], i, k);
    if (has_nan(s, k)) return NAN;
    for (int64_t j = 0; j < k; j++)
        if (s[j] < 0 || (j && s[j] > s[j - 1])) return INFINITY; /* not descending */
    double *a = zblk(&c->in[0], i, m * n), *u = NULL, *vt = NULL, *us = NULL;
    if (!a) goto out;
    if (!out[0].v) {
        r = sv_ratio(c, a, m, n, s);
        goto out;
    }
    int64_t um = c->full ? m : k, vn = c->full ? n : k;
    if (!(u = zblk(&out[0], i, m * um)) || !(vt = zblk(&out[2], i, vn * n)) ||
        !(us = zscale_cols(u, m, k, um, s, false)))
        goto out;
    /* A = U[:, :k] diag(S) Vᴴ[:k, :]; U and Vᴴ (all of them) orthonormal */
    r = ratio_or_nan(zres1(a, us, 'N', vt, 'N', m, k, n), (double)mx * znorm1(a, m, n) * eps);
    r = worse(r, ratio_or_nan(zres1(NULL, u, 'C', u, 'N', um, m, um), (double)m * eps));
    r = worse(r, ratio_or_nan(zres1(NULL, vt, 'N', vt, 'C', vn, n, vn), (double)n * eps));
out:
    free(a), free(u), free(vt), free(us);
    return r;
}

/* ---- eigh / eigvalsh -------------------------------------------------------- */

/* Tridiagonal reduction 4n³/3 for the values; with vectors, applying its
 * reflectors adds 2n³ (the tridiagonal divide and conquer is not counted). */
static double flops_eigvalsh(const op_case *c) {
    double n = (double)c->n;
    return 4 * n * n * n / 3 * cplx_factor(c);
}

static double flops_eigh(const op_case *c) {
    double n = (double)c->n;
    return (4 * n * n * n / 3 + 2 * n * n * n) * cplx_factor(c);
}

static lapis_status run_eigh(const op_case *c, lapis_array *out) {
    return lapis_linalg_eigh(&out[0], &out[1], c->a[0], c->upper, c->stream);
}

static lapis_status run_eigvalsh(const op_case *c, lapis_array *out) {
    return lapis_linalg_eigvalsh(&out[0], c->a[0], c->upper, c->stream);
}

/* The Hermitian matrix the op sees: the chosen triangle, mirrored with
 * conjugation; the diagonal's imaginary parts ignored. Complex, free() it. */
static double *herm_input(const op_case *c, int64_t i) {
    int64_t n = c->n;
    double *a = zblk(&c->in[0], i, n * n);
    if (!a) return NULL;
    for (int64_t p = 0; p < n; p++) {
        a[2 * (p * n + p) + 1] = 0;
        for (int64_t q = 0; q < n; q++) {
            bool in = c->upper ? q >= p : q <= p;
            if (in) continue;
            a[2 * (p * n + q)] = a[2 * (q * n + p)];
            a[2 * (p * n + q) + 1] = -a[2 * (q * n + p) + 1];
        }
    }
    return a;
}

static bool ascending(const double *w, int64_t n) {
    for (int64_t j = 1; j < n; j++)
        if (w[j] < w[j - 1]) return false;
    return true;
}

static double check_eigh(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double eps = dtype_eps(c->dtype), r = NAN;
    if (n == 0) return 0;
    const double *w = blk_at(&out[0], i, n);
    if (has_nan(w, n)) return NAN;
    if (!ascending(w, n)) return INFINITY;
    double *a = herm_input(c, i), *v = zblk(&out[1], i, n * n), *vw = NULL;
    if (!a || !v || !(vw = zscale_cols(v, n, n, n, w, false))) goto out;
    /* A V = V diag(W), Vᴴ V = I */
    r = ratio_or_nan(zres1(vw, a, 'N', v, 'N', n, n, n), (double)n * znorm1(a, n, n) * eps);
    r = worse(r, ratio_or_nan(zres1(NULL, v, 'C', v, 'N', n, n, n), (double)n * eps));
out:
    free(a), free(v), free(vw);
    return r;
}

static double check_eigvalsh(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double r = NAN;
    if (n == 0) return 0;
    const double *w = blk_at(&out[0], i, n);
    if (has_nan(w, n)) return NAN;
    if (!ascending(w, n)) return INFINITY;
    /* The reference: the singular values of A + σI (positive semidefinite
     * with σ = ||A||_F) less σ; the shift costs nothing next to ||A|| eps. */
    double *a = herm_input(c, i);
    long double *ref = malloc(sizeof *ref * (size_t)n), sig = 0, d = 0;
    if (!a || !ref) goto out;
    for (int64_t j = 0; j < n * n; j++) sig += (long double)a[2 * j] * a[2 * j] +
                                                (long double)a[2 * j + 1] * a[2 * j + 1];
    sig = sqrtl(sig);
    double an = znorm1(a, n, n);
    for (int64_t j = 0; j < n; j++) a[2 * (j * n + j)] += (double)sig;
    if (zsingular_values(ref, a, n, n)) goto out;
    for (int64_t j = 0; j < n; j++) { /* ref is descending, w ascending */
        long double e = fabsl((long double)w[j] - (ref[n - 1 - j] - sig));
        if (!(e <= d)) d = e;
    }
    r = ratio_or_nan((double)d, (double)n * an * dtype_eps(c->dtype));
out:
    free(a), free(ref);
    return r;
}

/* ---- eig / eigvals ---------------------------------------------------------- */

/* Golub and Van Loan (§7.5.6): the Schur form's eigenvalues ~10n³, with the
 * eigenvectors ~25n³. */
static double flops_eigvals(const op_case *c) {
    double n = (double)c->n;
    return 10 * n * n * n * cplx_factor(c);
}

static double flops_eig(const op_case *c) {
    double n = (double)c->n;
    return 25 * n * n * n * cplx_factor(c);
}

static lapis_status run_eig(const op_case *c, lapis_array *out) {
    return lapis_linalg_eig(&out[0], &out[1], c->a[0], c->stream);
}

static lapis_status run_eigvals(const op_case *c, lapis_array *out) {
    return lapis_linalg_eigvals(&out[0], c->a[0], c->stream);
}

static double check_eig(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double eps = dtype_eps(c->dtype), r = NAN;
    if (n == 0) return 0;
    double *a = zblk(&c->in[0], i, n * n), *w = zblk(&out[0], i, n), *v = zblk(&out[1], i, n * n);
    double *vw = NULL;
    if (!a || !w || !v || has_nan(w, 2 * n) || !(vw = zscale_cols(v, n, n, n, w, true))) goto out;
    /* A V = V diag(W), and every column of V has unit 2-norm */
    r = ratio_or_nan(zres1(vw, a, 'N', v, 'N', n, n, n), (double)n * znorm1(a, n, n) * eps);
    for (int64_t j = 0; j < n; j++) {
        long double s = 0;
        for (int64_t p = 0; p < n; p++)
            s += (long double)v[2 * (p * n + j)] * v[2 * (p * n + j)] +
                 (long double)v[2 * (p * n + j) + 1] * v[2 * (p * n + j) + 1];
        r = worse(r, ratio_or_nan((double)fabsl(sqrtl(s) - 1), (double)n * eps));
    }
out:
    free(a), free(w), free(v), free(vw);
    return r;
}

/* No reference eigenvalues of a nonnormal matrix are cheap, but power sums
 * are well conditioned: the w are exact for some A + E, and
 * |sum w - tr A| <= n ||E||, |sum w² - tr A²| <= 2 ||A||_F ||E||_F + ... */
static double check_eigvals(const op_case *c, const tensor *out, int64_t i) {
    int64_t n = c->n;
    double r = NAN, eps = dtype_eps(c->dtype);
    if (n == 0) return 0;
    double *a = zblk(&c->in[0], i, n * n), *w = zblk(&out[0], i, n);
    if (!a || !w || has_nan(w, 2 * n)) goto out;
    int ea = zexp(a, n * n);
    zscale2(a, n * n, -ea);
    zscale2(w, n, -ea);
    long double _Complex tr = 0, tr2 = 0, s1 = 0, s2 = 0;
    long double fro = 0;
    for (int64_t p = 0; p < n; p++) {
        tr += a[2 * (p * n + p)] + a[2 * (p * n + p) + 1] * 1.0iL;
        for (int64_t q = 0; q < n; q++) {
            long double _Complex apq = a[2 * (p * n + q)] + a[2 * (p * n + q) + 1] * 1.0iL,
                                 aqp = a[2 * (q * n + p)] + a[2 * (q * n + p) + 1] * 1.0iL;
            tr2 += apq * aqp;
            fro += creall(apq) * creall(apq) + cimagl(apq) * cimagl(apq);
        }
        long double _Complex wp = w[2 * p] + w[2 * p + 1] * 1.0iL;
        s1 += wp;
        s2 += wp * wp;
    }
    fro = sqrtl(fro);
    r = worse(ratio_or_nan((double)cabsl(s1 - tr), (double)(n * fro) * eps),
              ratio_or_nan((double)cabsl(s2 - tr2), (double)(n * fro * fro) * eps));
out:
    free(a), free(w);
    return r;
}

/* ---- pinv --------------------------------------------------------------------- */

/* A thin SVD, then V diag(1/S) Uᴴ (2mnk). */
static double flops_pinv(const op_case *c) {
    double m = (double)c->m, n = (double)c->n, k = m < n ? m : n;
    return (flops_svd_of(m, n, true, false) + 2 * m * n * k) * cplx_factor(c);
}

static lapis_status run_pinv(const op_case *c, lapis_array *out) {
    return lapis_linalg_pinv(&out[0], c->a[0], c->stream);
}

/* The four Penrose conditions, each scaled by what rounding allows:
 * ||AXA - A|| / (||A||² ||X||), ||XAX - X|| / (||X||² ||A||),
 * ||AX - (AX)ᴴ|| and ||XA - (XA)ᴴ|| / (||A|| ||X||), all over max(m, n) eps. */
static double check_pinv(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, mx = imax(m, n);
    double eps = dtype_eps(c->dtype), r = NAN;
    if (m == 0 || n == 0) return 0;
    double *a = zblk(&c->in[0], i, m * n), *x = zblk(&out[0], i, n * m);
    double *ax = scratch(2 * m * m), *xa = scratch(2 * n * n);
    if (!a || !x || !ax || !xa || has_nan(x, 2 * n * m)) goto out;
    int ea = zexp(a, m * n);
    zscale2(a, m * n, -ea);
    zscale2(x, n * m, ea);
    if (zprod(ax, a, 'N', x, 'N', m, n, m) ||
        zprod(xa, x, 'N', a, 'N', n, m, n))
        goto out;
    double an = znorm1(a, m, n), xn = znorm1(x, n, m), unit = (double)mx * eps;
    r = ratio_or_nan(zres1(a, ax, 'N', a, 'N', m, m, n), unit * an * an * xn);
    r = worse(r, ratio_or_nan(zres1(x, xa, 'N', x, 'N', n, n, m), unit * xn * xn * an));
    r = worse(r, ratio_or_nan(zherm_defect1(ax, m), unit * an * xn));
    r = worse(r, ratio_or_nan(zherm_defect1(xa, n), unit * an * xn));
out:
    free(a), free(x), free(ax), free(xa);
    return r;
}

/* ---- lstsq: a (m x n), b (m x k) -------------------------------------------- */

static int build_lstsq(op_case *c, char *err, size_t cap) {
    if (c->k <= 0) c->k = 1;
    return make_normal(c, 1, c->m, c->k, err, cap);
}

/* gelsd: the bidiagonalization (as the SVD's values, 4mn² - 4n³/3 with m >=
 * n) and its reflectors applied to B and X (4mnk); the divide and conquer
 * of the bidiagonal least-squares problem is not counted. */
static double flops_lstsq(const op_case *c) {
    double m = (double)c->m, n = (double)c->n, k = (double)c->k;
    return (flops_svd_of(m, n, false, false) + 4 * m * n * k) * cplx_factor(c);
}

static lapis_status run_lstsq(const op_case *c, lapis_array *out) {
    return lapis_linalg_lstsq(&out[0], c->a[0], c->a[1], c->stream);
}

/* The normal equations: ||Aᴴ (B - A X)||_1 / (max(m, n) ||A||_1 (||A||_1
 * ||X||_1 + ||B||_1) eps), as LAPACK's xQRT17 grades a least-squares
 * residual; it holds for the minimum-norm solution of any shape and rank. */
static double check_lstsq(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, k = c->k;
    double r = NAN;
    if (m == 0 || n == 0 || k == 0) return 0;
    double *a = zblk(&c->in[0], i, m * n), *b = zblk(&c->in[1], i, m * k),
           *x = zblk(&out[0], i, n * k), *res = scratch(2 * m * k), *g = scratch(2 * n * k);
    if (!a || !b || !x || !res || !g || has_nan(x, 2 * n * k)) goto out;
    int ea = zexp(a, m * n), eb = zexp(b, m * k);
    zscale2(a, m * n, -ea);
    zscale2(b, m * k, -eb);
    zscale2(x, n * k, ea - eb);
    if (zresid(res, b, a, 'N', x, 'N', m, n, k) || zprod(g, a, 'C', res, 'N', n, m, k)) goto out;
    double an = znorm1(a, m, n);
    r = ratio_or_nan(znorm1(g, n, k), (double)imax(m, n) * an *
                                          (an * znorm1(x, n, k) + znorm1(b, m, k)) *
                                          dtype_eps(c->dtype));
out:
    free(a), free(b), free(x), free(res), free(g);
    return r;
}

/* ---- norm: of each m x n matrix (--ord), or of each row (--vector) ---------- */

static bool ord_is(const op_case *c, double p) {
    return (c->ord == LAPIS_NORM_P && c->p == p) || (p == INFINITY && c->ord == LAPIS_NORM_INF) ||
           (p == -INFINITY && c->ord == LAPIS_NORM_NEG_INF);
}

static bool norm_needs_svd(const op_case *c) {
    return !c->vector && (c->ord == LAPIS_NORM_NUC || ord_is(c, 2) || ord_is(c, -2));
}

/* A pass over the data (2 flops an element: |x|² and the sum; 1 for sums of
 * |x|), or the SVD's values for ±2 and nuc. */
static double flops_norm(const op_case *c) {
    double m = (double)c->m, n = (double)c->n;
    if (norm_needs_svd(c)) return flops_svd_of(m, n, false, false) * cplx_factor(c);
    bool sums = !c->vector && (ord_is(c, 1) || ord_is(c, -1) || ord_is(c, INFINITY) ||
                               ord_is(c, -INFINITY));
    return (sums ? 1 : 2) * m * n * cplx_factor(c);
}

static lapis_status run_norm(const op_case *c, lapis_array *out) {
    static const int rows[1] = {-1}, mats[2] = {-2, -1};
    return lapis_linalg_norm(&out[0], c->a[0], c->ord, c->p, c->vector ? rows : mats,
                             c->vector ? 1 : 2, false, c->stream);
}

/* The reference of one vector (len elements, stride apart, complex). */
static long double ref_vector_norm(const op_case *c, const double *z, int64_t len, int64_t stride) {
    long double acc = 0, best = ord_is(c, -INFINITY) ? INFINITY : 0;
    double p = c->ord == LAPIS_NORM_P ? c->p : 2;
    for (int64_t j = 0; j < len; j++) {
        long double v = hypotl(z[2 * j * stride], z[2 * j * stride + 1]);
        if (ord_is(c, INFINITY)) best = v > best ? v : best;
        else if (ord_is(c, -INFINITY)) best = v < best ? v : best;
        else if (p == 0) acc += v != 0;
        else acc += powl(v, p);
    }
    if (ord_is(c, INFINITY) || ord_is(c, -INFINITY)) return best;
    return p == 0 ? acc : powl(acc, 1.0L / p);
}

static double check_norm(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n, mx = imax(m, n);
    double eps = dtype_eps(c->dtype), r = NAN;
    double *a = zblk(&c->in[0], i, m * n);
    long double *s = NULL;
    if (!a) return NAN;
    if (c->vector) {
        const double *o = blk_at(&out[0], i, m);
        r = 0;
        for (int64_t p = 0; p < m; p++) {
            long double ref = ref_vector_norm(c, a + 2 * p * n, n, 1);
            r = worse(r, ratio_or_nan((double)fabsl(o[p] - ref), (double)n * eps * (double)ref));
        }
        goto out;
    }
    double o = blk_at(&out[0], i, 1)[0];
    long double ref = 0, scale;
    if (norm_needs_svd(c)) {
        int64_t k = imin(m, n);
        if (!(s = malloc(sizeof *s * (size_t)(k ? k : 1))) || zsingular_values(s, a, m, n)) goto out;
        if (c->ord == LAPIS_NORM_NUC)
            for (int64_t j = 0; j < k; j++) ref += s[j];
        else ref = ord_is(c, 2) ? s[0] : s[k - 1];
        scale = (c->ord == LAPIS_NORM_NUC ? (long double)k : 1) * s[0]; /* absolute errors */
    } else if (c->ord == LAPIS_NORM_DEFAULT || c->ord == LAPIS_NORM_FRO) {
        ref = scale = ref_vector_norm(&(op_case){.ord = LAPIS_NORM_DEFAULT}, a, m * n, 1);
    } else {
        /* ±1: column sums, ±inf: row sums; the max or the min */
        bool cols = ord_is(c, 1) || ord_is(c, -1), mx_ = ord_is(c, 1) || ord_is(c, INFINITY);
        int64_t outer = cols ? n : m, inner = cols ? m : n;
        ref = mx_ ? 0 : INFINITY;
        for (int64_t j = 0; j < outer; j++) {
            long double t = ref_vector_norm(&(op_case){.ord = LAPIS_NORM_P, .p = 1},
                                            cols ? a + 2 * j : a + 2 * j * n, inner, cols ? n : 1);
            ref = mx_ ? (t > ref ? t : ref) : (t < ref ? t : ref);
        }
        scale = ref;
    }
    r = ratio_or_nan((double)fabsl(o - ref), (double)mx * eps * (double)scale);
out:
    free(a), free(s);
    return r;
}

/* ---- cross: rows of a (m x 3) and b (m x 3) ------------------------------------ */

static int build_cross(op_case *c, char *err, size_t cap) {
    return make_normal(c, 1, c->m, c->n, err, cap);
}

/* 6 multiplies and 3 subtractions a vector. */
static double flops_cross(const op_case *c) { return 9 * (double)c->m * cplx_factor(c); }

static lapis_status run_cross(const op_case *c, lapis_array *out) {
    return lapis_linalg_cross(&out[0], c->a[0], c->a[1], -1, c->stream);
}

/* max |c - a x b| / (|a|_2 |b|_2 eps) over the vectors (a 2-vector has a
 * zero third component; the result always has 3). */
static double check_cross(const op_case *c, const tensor *out, int64_t i) {
    int64_t m = c->m, n = c->n;
    double r = 0, eps = dtype_eps(c->dtype);
    double *a = zblk(&c->in[0], i, m * n), *b = zblk(&c->in[1], i, m * n), *o = zblk(&out[0], i, m * 3);
    if (!a || !b || !o) {
        r = NAN;
        goto out;
    }
    for (int64_t v = 0; v < m; v++) {
        long double _Complex x[3] = {0}, y[3] = {0}, z[3];
        long double nx = 0, ny = 0, d = 0;
        for (int64_t j = 0; j < n && j < 3; j++) {
            x[j] = a[2 * (v * n + j)] + a[2 * (v * n + j) + 1] * 1.0iL;
            y[j] = b[2 * (v * n + j)] + b[2 * (v * n + j) + 1] * 1.0iL;
            nx += cabsl(x[j]) * cabsl(x[j]);
            ny += cabsl(y[j]) * cabsl(y[j]);
        }
        z[0] = x[1] * y[2] - x[2] * y[1];
        z[1] = x[2] * y[0] - x[0] * y[2];
        z[2] = x[0] * y[1] - x[1] * y[0];
        for (int j = 0; j < 3; j++) {
            long double e = cabsl(o[2 * (v * 3 + j)] + o[2 * (v * 3 + j) + 1] * 1.0iL - z[j]);
            if (!(e <= d)) d = e;
        }
        r = worse(r, ratio_or_nan((double)d, (double)(sqrtl(nx * ny)) * eps));
    }
out:
    free(a), free(b), free(o);
    return r;
}

/* ---- the table ----------------------------------------------------------- */

const op_entry lapis_ops[] = {
    {"cholesky", "A = L Lᵀ of SPD matrices", {"l"}, OP_SPD, MATGEN_SPD, flops_potrf, NULL,
     run_cholesky, check_cholesky, "||A - L L^T||_1 / (n ||A||_1 eps)", false, NULL, false},
    {"cholesky_inv", "A⁻¹ from the Cholesky factor (the factor is computed first, untimed)",
     {"ainv"}, OP_SPD, MATGEN_SPD, flops_potri, build_cholesky_inv, run_cholesky_inv,
     check_cholesky_inv, "||I - A X||_1 / (n ||A||_1 ||X||_1 eps)", false, NULL, false},
    {"inv", "A⁻¹ by LU with partial pivoting", {"ainv"}, OP_SQUARE, MATGEN_RANDOM, flops_inv,
     NULL, run_inv, check_inv, "||I - A X||_1 / (n ||A||_1 ||X||_1 eps)", false, NULL, false},
    {"tri_inv", "inverse of a triangular matrix (--upper for upper)", {"ainv"}, OP_TRI,
     MATGEN_LOWER, flops_trtri, NULL, run_tri_inv, check_tri_inv,
     "||I - T X||_1 / (n ||T||_1 ||X||_1 eps)", false, NULL, false},
    {"solve", "X = A⁻¹ B by LU, B n x k (--k, default 1)", {"x"}, OP_SQUARE, MATGEN_RANDOM,
     flops_solve, build_rhs, run_solve, check_solve, "||B - A X||_1 / (||A||_1 ||X||_1 eps)", false, NULL, false},
    {"solve_triangular", "X = T⁻¹ B, B n x k (--k, default 1; --upper)", {"x"}, OP_TRI,
     MATGEN_LOWER, flops_trsm, build_rhs, run_solve_triangular, check_solve_triangular,
     "||B - T X||_1 / (||T||_1 ||X||_1 eps)", false, NULL, false},
    {"lu", "P, L, U of an m x n matrix (--m)", {"p", "l", "u"}, OP_GENERAL, MATGEN_RANDOM,
     flops_getrf, NULL, run_lu, check_lu, "||A - L[P] U||_1 / (n ||A||_1 eps)", false, NULL, false},
    {"lu_factor", "packed LU and pivots of an m x n matrix (--m)", {"lu", "pivots"}, OP_GENERAL,
     MATGEN_RANDOM, flops_getrf, NULL, run_lu_factor, check_lu_factor,
     "||A - P L U||_1 / (n ||A||_1 eps)", false, NULL, false},
    {"det", "determinant", {"det"}, OP_SQUARE, MATGEN_RANDOM, flops_getrf, NULL, run_det,
     check_det, "|det - ref| / |ref| / (n cond_1 eps)", false, NULL, false},
    {"slogdet", "sign and log|det|", {"sign", "logabsdet"}, OP_SQUARE, MATGEN_RANDOM,
     flops_getrf, NULL, run_slogdet, check_slogdet,
     "|logabsdet - ref| / (n cond_1 eps), sign exact", false, NULL, false},
    {"matmul", "(m x n) @ (n x k), --k default n", {"c"}, OP_GENERAL, MATGEN_RANDOM, flops_gemm,
     build_matmul, run_matmul, check_matmul, "||C - A B||_1 / (n ||A||_1 ||B||_1 eps)", false, NULL, false},
    {"qr", "reduced Q, R of an m x n matrix (--m; --values-only: R only)", {"q", "r"},
     OP_GENERAL, MATGEN_RANDOM, flops_qr, NULL, run_qr, check_qr,
     "max(||A - Q R||_1/(max(m,n) ||A||_1 eps), ||I - Q^H Q||_1/(m eps)); "
     "tril(R, -1) exactly 0", true,
     "||A^H A - R^H R||_1/(max(m,n) ||A||_1^2 eps); tril(R, -1) exactly 0", true},
    {"svd", "U, S, Vh of an m x n matrix (--m; --full; --values-only: S only)",
     {"u", "s", "vt"}, OP_GENERAL, MATGEN_RANDOM, flops_svd, NULL, run_svd, check_svd,
     "max(||A - U S V^H||_1/(max(m,n) ||A||_1 eps), ||I - U^H U||_1/(m eps), "
     "||I - V^H V||_1/(n eps)); S >= 0 descending", true,
     "max|S - S_ref|/(max(m,n) S_ref[0] eps), S_ref by long double Jacobi", true},
    {"eigh", "W ascending, V of a symmetric / Hermitian matrix (--upper)", {"w", "v"}, OP_HERM,
     MATGEN_RANDOM, flops_eigh, NULL, run_eigh, check_eigh,
     "max(||A V - V W||_1/(n ||A||_1 eps), ||I - V^H V||_1/(n eps)); W ascending", true, NULL, true},
    {"eigvalsh", "eigenvalues of a symmetric / Hermitian matrix (--upper)", {"w"}, OP_HERM,
     MATGEN_RANDOM, flops_eigvalsh, NULL, run_eigvalsh, check_eigvalsh,
     "max|W - W_ref|/(n ||A||_1 eps), W_ref by long double Jacobi", true, NULL, true},
    {"eig", "complex W, V of a general square matrix", {"w", "v"}, OP_SQUARE, MATGEN_RANDOM,
     flops_eig, NULL, run_eig, check_eig,
     "max(||A V - V W||_1/(n ||A||_1 eps), | ||v_j||_2 - 1 |/(n eps))", true, NULL, true},
    {"eigvals", "complex eigenvalues of a general square matrix", {"w"}, OP_SQUARE,
     MATGEN_RANDOM, flops_eigvals, NULL, run_eigvals, check_eigvals,
     "max(|sum W - tr A|/(n ||A||_F eps), |sum W^2 - tr A^2|/(n ||A||_F^2 eps))", true, NULL, true},
    {"pinv", "Moore-Penrose pseudo-inverse of an m x n matrix (--m)", {"ainv"}, OP_GENERAL,
     MATGEN_RANDOM, flops_pinv, NULL, run_pinv, check_pinv,
     "Penrose: max(||AXA - A||/(|A|^2 |X|), ||XAX - X||/(|X|^2 |A|), ||AX - (AX)^H||, "
     "||XA - (XA)^H||/(|A| |X|)) / (max(m,n) eps), 1-norms", true, NULL, true},
    {"lstsq", "least squares min ||A X - B||, A m x n (--m), B m x k (--k, default 1)", {"x"},
     OP_GENERAL, MATGEN_RANDOM, flops_lstsq, build_lstsq, run_lstsq, check_lstsq,
     "||A^H (B - A X)||_1/(max(m,n) ||A||_1 (||A||_1 ||X||_1 + ||B||_1) eps)", true, NULL, true},
    {"norm", "matrix norm (--ord fro|nuc|1|-1|2|-2|inf|-inf) or row norms (--vector --ord P)",
     {"norm"}, OP_GENERAL, MATGEN_RANDOM, flops_norm, NULL, run_norm, check_norm,
     "|norm - ref|/(max(m,n) eps ref), ref in long double (+-2, nuc: Jacobi SVD, error "
     "relative to S[0])", true, NULL, true},
    {"cross", "cross products of n pairs of 3-vectors (a file's rows may have size 2)", {"c"},
     OP_VEC3, MATGEN_RANDOM, flops_cross, build_cross, run_cross, check_cross,
     "max |c - a x b| / (|a|_2 |b|_2 eps) over the vectors", true, NULL, true},
};
const int lapis_nops = (int)(sizeof lapis_ops / sizeof lapis_ops[0]);

const op_entry *ops_find(const char *name) {
    for (int i = 0; i < lapis_nops; i++)
        if (strcmp(lapis_ops[i].name, name) == 0) return &lapis_ops[i];
    return NULL;
}
