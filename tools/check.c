/*
 * Host reference arithmetic for the CLI's checks: residual norms and a
 * reference determinant, accumulated in long double so that the check is
 * more accurate than any float64 result it grades.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef long double ld;

/* op(x) as a dense row-major rows x cols long double matrix. */
static ld *dense(const double *x, bool xt, int64_t rows, int64_t cols) {
    ld *d = malloc((size_t)(rows * cols > 0 ? rows * cols : 1) * sizeof *d);
    if (!d) return NULL;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) d[i * cols + j] = xt ? x[j * rows + i] : x[i * cols + j];
    return d;
}

double resid_prod(const double *a, const double *x, bool xt, const double *y, bool yt,
                  int64_t m, int64_t k, int64_t n) {
    /* X is m x k; Y is k x n, kept transposed (n x k) so the dots run along rows. */
    ld *X = dense(x, xt, m, k), *Yt = dense(y, !yt, n, k), *col = calloc((size_t)n + 1, sizeof *col);
    double r = NAN;
    if (!X || !Yt || !col) goto out;
    for (int64_t i = 0; i < m; i++) {
        const ld *xi = X + i * k;
        for (int64_t j = 0; j < n; j++) {
            const ld *yj = Yt + j * k;
            ld s = 0;
            for (int64_t l = 0; l < k; l++) s += xi[l] * yj[l];
            ld aij = a ? (ld)a[i * n + j] : (ld)(i == j);
            col[j] += fabsl(aij - s);
        }
    }
    ld best = 0;
    for (int64_t j = 0; j < n; j++) {
        if (isnan(col[j])) { best = NAN; break; }
        if (col[j] > best) best = col[j];
    }
    r = (double)best;
out:
    free(X);
    free(Yt);
    free(col);
    return r;
}

double norm1(const double *a, int64_t m, int64_t n) {
    double best = 0;
    for (int64_t j = 0; j < n; j++) {
        ld s = 0;
        for (int64_t i = 0; i < m; i++) s += fabsl((ld)a[i * n + j]);
        if (isnan(s)) return NAN;
        if (s > best) best = (double)s;
    }
    return best;
}

void take_triangle(double *t, const double *a, int64_t n, bool upper, bool sym) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            bool in = upper ? j >= i : j <= i;
            t[i * n + j] = in ? a[i * n + j] : sym ? a[j * n + i] : 0.0;
        }
}

void ref_slogdet(const double *a, int64_t n, double *sign, long double *logabs, double *cond1) {
    ld *lu = dense(a, false, n, n);
    int64_t *piv = malloc((size_t)(n ? n : 1) * sizeof *piv);
    *sign = 1;
    *logabs = 0;
    if (cond1) *cond1 = INFINITY;
    if (!lu || !piv) {
        *sign = NAN;
        goto out;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t p = k;
        for (int64_t i = k + 1; i < n; i++)
            if (fabsl(lu[i * n + k]) > fabsl(lu[p * n + k])) p = i;
        piv[k] = p;
        if (p != k) {
            *sign = -*sign;
            for (int64_t j = 0; j < n; j++) {
                ld t = lu[k * n + j];
                lu[k * n + j] = lu[p * n + j];
                lu[p * n + j] = t;
            }
        }
        ld d = lu[k * n + k];
        if (d == 0) {
            *sign = 0;
            *logabs = -INFINITY;
            goto out;
        }
        if (d < 0) *sign = -*sign;
        *logabs += logl(fabsl(d));
        for (int64_t i = k + 1; i < n; i++) {
            ld f = lu[i * n + k] /= d;
            if (f != 0)
                for (int64_t j = k + 1; j < n; j++) lu[i * n + j] -= f * lu[k * n + j];
        }
    }
    if (cond1) {
        /* ||A^-1||_1 column by column: solve A z = e_j. */
        ld *z = malloc((size_t)(n ? n : 1) * sizeof *z), best = 0;
        if (!z) goto out;
        for (int64_t j = 0; j < n; j++) {
            for (int64_t i = 0; i < n; i++) z[i] = 0;
            z[j] = 1;
            for (int64_t k = 0; k < n; k++) {
                ld t = z[k];
                z[k] = z[piv[k]];
                z[piv[k]] = t;
            }
            for (int64_t i = 0; i < n; i++)
                for (int64_t l = 0; l < i; l++) z[i] -= lu[i * n + l] * z[l];
            for (int64_t i = n - 1; i >= 0; i--) {
                for (int64_t l = i + 1; l < n; l++) z[i] -= lu[i * n + l] * z[l];
                z[i] /= lu[i * n + i];
            }
            ld s = 0;
            for (int64_t i = 0; i < n; i++) s += fabsl(z[i]);
            if (s > best) best = s;
        }
        free(z);
        *cond1 = (double)(best * (ld)norm1(a, n, n));
    }
out:
    free(lu);
    free(piv);
}
