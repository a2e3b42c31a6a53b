/*
 * Host reference arithmetic for the CLI's checks: residual norms and a
 * reference determinant, accumulated in long double so that the check is
 * more accurate than any float64 result it grades.
 */
#include <complex.h>
#include <float.h>
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

/* ---- complex host arithmetic (interleaved re, im; long double inside) ------ */

typedef long double _Complex lcx;

/* Element (i, j) of op(x), x stored row-major with `ld` columns. */
static lcx zget(const double *x, char op, int64_t i, int64_t j, int64_t ldx) {
    const double *p = op == 'N' ? x + 2 * (i * ldx + j) : x + 2 * (j * ldx + i);
    lcx v = (ld)p[0] + (ld)p[1] * 1.0iL;
    return op == 'C' ? conjl(v) : v;
}

/* op(x) as a dense rows x cols lcx matrix; x's stored column count is
 * `cols` for 'N' and `rows` otherwise. */
static lcx *zdense(const double *x, char op, int64_t rows, int64_t cols) {
    lcx *d = malloc((size_t)(rows * cols > 0 ? rows * cols : 1) * sizeof *d);
    if (!d) return NULL;
    int64_t ldx = op == 'N' ? cols : rows;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) d[i * cols + j] = zget(x, op, i, j, ldx);
    return d;
}

/* c = a - op(x) op(y) (a NULL: the identity) or, with `sub` false, op(x) op(y). */
static int zmul(double *c, bool sub, const double *a, const double *x, char xop, const double *y,
                char yop, int64_t m, int64_t k, int64_t n) {
    /* Y is kept transposed (n x k) so that the dots run along rows. */
    lcx *X = zdense(x, xop, m, k), *Yt = zdense(y, yop == 'N' ? 'T' : 'N', n, k);
    int rc = -1;
    if (!X || !Yt) goto out;
    if (yop == 'C') /* (Yᴴ)ᵀ is conj(Y) as stored */
        for (int64_t i = 0; i < n * k; i++) Yt[i] = conjl(Yt[i]);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            lcx s = 0;
            for (int64_t l = 0; l < k; l++) s += X[i * k + l] * Yt[j * k + l];
            if (sub) {
                lcx aij = a ? (ld)a[2 * (i * n + j)] + (ld)a[2 * (i * n + j) + 1] * 1.0iL
                            : (lcx)(ld)(i == j);
                s = aij - s;
            }
            c[2 * (i * n + j)] = (double)creall(s);
            c[2 * (i * n + j) + 1] = (double)cimagl(s);
        }
    rc = 0;
out:
    free(X);
    free(Yt);
    return rc;
}

int zresid(double *c, const double *a, const double *x, char xop, const double *y, char yop,
           int64_t m, int64_t k, int64_t n) {
    return zmul(c, true, a, x, xop, y, yop, m, k, n);
}

int zprod(double *c, const double *x, char xop, const double *y, char yop, int64_t m, int64_t k,
          int64_t n) {
    return zmul(c, false, NULL, x, xop, y, yop, m, k, n);
}

double znorm1(const double *a, int64_t m, int64_t n) {
    double best = 0;
    for (int64_t j = 0; j < n; j++) {
        ld s = 0;
        for (int64_t i = 0; i < m; i++)
            s += hypotl((ld)a[2 * (i * n + j)], (ld)a[2 * (i * n + j) + 1]);
        if (isnan(s)) return NAN;
        if (s > best) best = (double)s;
    }
    return best;
}

int zsingular_values(long double *s, const double *a, int64_t m, int64_t n) {
    /* One-sided (Hestenes) Jacobi on the columns of A: rotate pairs until
     * every pair is orthogonal to working precision; the singular values are
     * then the column norms. A complex pair is first given a common phase so
     * that its inner product is real, which leaves the norms unchanged. */
    int64_t k = m < n ? m : n;
    bool wide = n > m; /* work on Aᴴ: fewer columns to rotate */
    lcx *x = zdense(a, wide ? 'C' : 'N', wide ? n : m, wide ? m : n);
    if (!x) return -1;
    if (wide) {
        int64_t t = m;
        m = n;
        n = t;
    }
    const ld tol = LDBL_EPSILON * (ld)(m > 0 ? m : 1);
    for (int sweep = 0; sweep < 60; sweep++) {
        bool rotated = false;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                ld al = 0, be = 0;
                lcx ga = 0;
                for (int64_t i = 0; i < m; i++) {
                    lcx u = x[i * n + p], v = x[i * n + q];
                    al += creall(u) * creall(u) + cimagl(u) * cimagl(u);
                    be += creall(v) * creall(v) + cimagl(v) * cimagl(v);
                    ga += conjl(u) * v;
                }
                ld g = cabsl(ga);
                if (g == 0 || !(g > tol * sqrtl(al * be))) continue;
                rotated = true;
                lcx ph = conjl(ga) / g; /* v * ph has a real inner product with u */
                ld zeta = (be - al) / (2 * g);
                ld t = (zeta >= 0 ? 1 : -1) / (fabsl(zeta) + sqrtl(1 + zeta * zeta));
                ld cs = 1 / sqrtl(1 + t * t), sn = cs * t;
                for (int64_t i = 0; i < m; i++) {
                    lcx u = x[i * n + p], v = x[i * n + q] * ph;
                    x[i * n + p] = cs * u - sn * v;
                    x[i * n + q] = sn * u + cs * v;
                }
            }
        if (!rotated) break;
    }
    ld *all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    if (!all) {
        free(x);
        return -1;
    }
    for (int64_t j = 0; j < n; j++) {
        ld t = 0;
        for (int64_t i = 0; i < m; i++) t += creall(x[i * n + j]) * creall(x[i * n + j]) +
                                            cimagl(x[i * n + j]) * cimagl(x[i * n + j]);
        all[j] = sqrtl(t);
    }
    /* descending; when n > m, the n - m smallest column norms are the zeros */
    for (int64_t i = 1; i < n; i++)
        for (int64_t j = i; j > 0 && all[j] > all[j - 1]; j--) {
            ld t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    for (int64_t i = 0; i < k; i++) s[i] = all[i];
    free(all);
    free(x);
    return 0;
}
