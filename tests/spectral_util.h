/*
 * Helpers shared by the tests of the orthogonal and spectral family
 * (test_qr.c, test_svd.c, test_eig.c, test_pinv_lstsq.c, test_norm.c):
 * complex-capable host data (long double complex), residual ratios in long
 * double, test matrices (square and rectangular, real and complex), and the
 * dtype list. Header-only so that tests/CMakeLists.txt needs no change.
 */
#ifndef LAPIS_TEST_SPECTRAL_UTIL_H
#define LAPIS_TEST_SPECTRAL_UTIL_H

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef long double ld;
typedef long double _Complex lcx;

static const lapis_dtype S_DTYPES[4] = {LAPIS_FLOAT32, LAPIS_FLOAT64, LAPIS_COMPLEX64,
                                        LAPIS_COMPLEX128};

static inline bool s_cplx(lapis_dtype dt) {
    return dt == LAPIS_COMPLEX64 || dt == LAPIS_COMPLEX128;
}
static inline double s_eps(lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 || dt == LAPIS_COMPLEX64 ? FLT_EPSILON : DBL_EPSILON;
}
static inline lapis_dtype s_real(lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 || dt == LAPIS_COMPLEX64 ? LAPIS_FLOAT32 : LAPIS_FLOAT64;
}
static inline const char *s_dtname(lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 ? "f32" : dt == LAPIS_FLOAT64 ? "f64"
         : dt == LAPIS_COMPLEX64 ? "c64" : dt == LAPIS_COMPLEX128 ? "c128"
                                 : lapis_dtype_name(dt);
}

/* Any float/complex/int array -> lcx (n = size). Returns the read status. */
static lapis_status s_read(lapis_array a, lcx *out) {
    size_t nb = lapis_array_nbytes(a);
    int64_t n = lapis_array_size(a);
    void *buf = malloc(nb ? nb : 1);
    if (!buf) return LAPIS_ERR_OUT_OF_MEMORY;
    lapis_status st = lapis_array_read(a, buf, nb);
    lapis_dtype dt = lapis_array_dtype(a);
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case LAPIS_FLOAT32: out[i] = ((float *)buf)[i]; break;
        case LAPIS_FLOAT64: out[i] = ((double *)buf)[i]; break;
        case LAPIS_COMPLEX64: {
            float *z = (float *)buf + 2 * i;
            out[i] = (ld)z[0] + (ld)z[1] * I;
            break;
        }
        case LAPIS_COMPLEX128: {
            double *z = (double *)buf + 2 * i;
            out[i] = (ld)z[0] + (ld)z[1] * I;
            break;
        }
        case LAPIS_INT32: out[i] = ((int32_t *)buf)[i]; break;
        case LAPIS_UINT32: out[i] = ((uint32_t *)buf)[i]; break;
        case LAPIS_INT64: out[i] = (ld)((int64_t *)buf)[i]; break;
        case LAPIS_BOOL: out[i] = ((uint8_t *)buf)[i]; break;
        }
    }
    free(buf);
    return st;
}

/* Rounds x to the dtype's precision in place, then makes the array. */
static lapis_array s_array(lcx *x, const int64_t *shape, int nd, lapis_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    size_t es = lapis_dtype_size(dt);
    char *buf = malloc((size_t)n * es + 1);
    if (!buf) return NULL;
    for (int64_t i = 0; i < n; i++) {
        double re = (double)creall(x[i]), im = s_cplx(dt) ? (double)cimagl(x[i]) : 0;
        if (dt == LAPIS_FLOAT32 || dt == LAPIS_COMPLEX64) {
            float f[2] = {(float)re, (float)im};
            memcpy(buf + i * es, f, es);
            x[i] = (ld)f[0] + (ld)f[1] * I;
        } else if (dt == LAPIS_FLOAT64 || dt == LAPIS_COMPLEX128) {
            double d[2] = {re, im};
            memcpy(buf + i * es, d, es);
            x[i] = (ld)d[0] + (ld)d[1] * I;
        } else {
            double v = re;
            if (dt == LAPIS_INT32) { int32_t t = (int32_t)v; memcpy(buf + i * es, &t, es); x[i] = t; }
            else if (dt == LAPIS_INT64) { int64_t t = (int64_t)v; memcpy(buf + i * es, &t, es); x[i] = t; }
            else if (dt == LAPIS_UINT32) { uint32_t t = (uint32_t)v; memcpy(buf + i * es, &t, es); x[i] = t; }
            else { uint8_t t = v != 0; memcpy(buf + i * es, &t, es); x[i] = t; }
        }
    }
    lapis_array a = NULL;
    lapis_status st = lapis_array_from_data(&a, buf, shape, nd, dt);
    free(buf);
    if (st) H_CHECK(false, "lapis_array_from_data: %s", lapis_last_error());
    return a;
}

static void *s_alloc(int64_t count, size_t es) { return h_alloc((size_t)(count + 1) * es); }

/* ---- norms and ratios -------------------------------------------------------- */

static ld s_cabs(lcx z) { return hypotl(creall(z), cimagl(z)); }

/* one-norm (max column sum) of m x n */
static ld s_norm1(const lcx *a, int64_t m, int64_t n) {
    ld best = 0;
    for (int64_t j = 0; j < n; j++) {
        ld s = 0;
        for (int64_t i = 0; i < m; i++) s += s_cabs(a[i * n + j]);
        if (!(s <= best)) best = s;
    }
    return best;
}

/* r = a - b c (b m x k, c k x n); cplx false: real arithmetic (faster). */
static void s_sub_prod(lcx *r, const lcx *a, const lcx *b, const lcx *c, int64_t m, int64_t k,
                       int64_t n, bool cplx) {
    if (!cplx) {
        ld *acc = malloc(sizeof(ld) * (size_t)(n + 1));
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j < n; j++) acc[j] = creall(a[i * n + j]);
            for (int64_t l = 0; l < k; l++) {
                ld bv = creall(b[i * k + l]);
                const lcx *cr = c + l * n;
                for (int64_t j = 0; j < n; j++) acc[j] -= bv * creall(cr[j]);
            }
            for (int64_t j = 0; j < n; j++) r[i * n + j] = acc[j];
        }
        free(acc);
        return;
    }
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) r[i * n + j] = a ? a[i * n + j] : 0;
        for (int64_t l = 0; l < k; l++) {
            lcx bv = b[i * k + l];
            for (int64_t j = 0; j < n; j++) r[i * n + j] -= bv * c[l * n + j];
        }
    }
}

/* conjugate transpose: out (n x m) = aᴴ (a m x n) */
static void s_adjoint(lcx *out, const lcx *a, int64_t m, int64_t n) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) out[j * m + i] = conjl(a[i * n + j]);
}

static double s_ratio(ld resid, ld denom) {
    if (resid != resid || denom != denom) return NAN;
    if (resid == 0) return 0;
    if (denom == 0) return INFINITY;
    return (double)(resid / denom);
}

/* ||A - B C||_1 / (max(m, n) ||A||_1 eps) */
static double s_ratio_prod(const lcx *a, const lcx *b, const lcx *c, int64_t m, int64_t k,
                           int64_t n, double eps, bool cplx) {
    lcx *r = malloc(sizeof(lcx) * (size_t)(m * n + 1));
    s_sub_prod(r, a, b, c, m, k, n, cplx);
    ld res = s_norm1(r, m, n);
    free(r);
    int64_t d = m > n ? m : n;
    return s_ratio(res, (ld)(d ? d : 1) * s_norm1(a, m, n) * eps);
}

/* ||I - Qᴴ Q||_1 / (max(m,1) eps) for Q m x k (orthonormal columns). */
static double s_ratio_orth(const lcx *q, int64_t m, int64_t k, double eps, bool cplx) {
    lcx *qh = malloc(sizeof(lcx) * (size_t)(m * k + 1)), *r = malloc(sizeof(lcx) * (size_t)(k * k + 1));
    lcx *eye = calloc((size_t)(k * k + 1), sizeof(lcx));
    for (int64_t i = 0; i < k; i++) eye[i * k + i] = 1;
    s_adjoint(qh, q, m, k);
    s_sub_prod(r, eye, qh, q, k, m, k, cplx);
    ld res = s_norm1(r, k, k);
    free(qh);
    free(r);
    free(eye);
    return s_ratio(res, (ld)(m > 1 ? m : 1) * eps);
}

/* ---- test matrices -------------------------------------------------------------- */

typedef enum s_kind {
    S_RANDOM, S_GRADED, S_CLUSTER, S_RANKDEF, S_HILBERT, S_KAHAN, S_WILKINSON, S_NKINDS
} s_kind;
static const char *const S_KIND_NAMES[S_NKINDS] = {"random", "graded", "clustered",
                                                   "rank-deficient", "hilbert", "kahan",
                                                   "wilkinson"};

static uint64_t s_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* One m x n matrix of a kind into out (lcx). Square kinds use the leading
 * min(m,n) block of a larger square one... for rectangular shapes, random
 * and graded fill every entry, the others embed a k x k matrix and add a
 * random border so that the matrix is genuinely rectangular. Complex dtypes
 * get an imaginary part from a second generated matrix (same kind). */
static void s_fill(lcx *out, int64_t m, int64_t n, s_kind kind, bool cplx, bool single,
                   uint64_t seed) {
    static const matgen_type map[S_NKINDS] = {MATGEN_RANDOM, MATGEN_GRADED, MATGEN_COND_CLUSTER,
                                              MATGEN_RANK_DEFICIENT, MATGEN_HILBERT, MATGEN_KAHAN,
                                              MATGEN_WILKINSON};
    int64_t big = m > n ? m : n;
    double *re = malloc(sizeof(double) * (size_t)(big * big + 1));
    double *im = malloc(sizeof(double) * (size_t)(big * big + 1));
    bool whole = kind == S_RANDOM || kind == S_GRADED || kind == S_CLUSTER || kind == S_RANKDEF;
    if (whole) {
        (void)matgen_fill(re, m, n, map[kind], 0, single, seed);
        if (cplx) (void)matgen_fill(im, m, n, map[kind], 0, single, s_mix(seed));
        for (int64_t i = 0; i < m * n; i++) out[i] = re[i] + (cplx ? (ld)im[i] * I : 0);
    } else {
        int64_t k = m < n ? m : n;
        (void)matgen_fill(re, k, k, map[kind], 0, single, seed);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                lcx v = i < k && j < k ? (lcx)re[i * k + j]
                                       : (lcx)(0.5 * matgen_normal(seed, (uint64_t)(i * n + j)));
                if (cplx && i < k && j < k) v += 1e-3L * matgen_normal(s_mix(seed), (uint64_t)(i * k + j)) * I;
                out[i * n + j] = v;
            }
    }
    free(re);
    free(im);
}

/* A Hermitian n x n matrix of a kind: (B + Bᴴ)/2 for most kinds, B Bᴴ for
 * the clustered and rank-deficient ones (so the spectrum inherits it). */
static void s_fill_herm(lcx *out, int64_t n, s_kind kind, bool cplx, bool single, uint64_t seed) {
    lcx *b = malloc(sizeof(lcx) * (size_t)(n * n + 1));
    s_fill(b, n, n, kind, cplx, single, seed);
    if (kind == S_CLUSTER || kind == S_RANKDEF) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                lcx s = 0;
                for (int64_t l = 0; l < n; l++) s += b[i * n + l] * conjl(b[j * n + l]);
                out[i * n + j] = s;
            }
    } else {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) out[i * n + j] = (b[i * n + j] + conjl(b[j * n + i])) / 2;
    }
    for (int64_t i = 0; i < n; i++) out[i * n + i] = creall(out[i * n + i]);
    free(b);
}

/* ---- worst ratio per (op, matrix kind) ------------------------------------------------ */

/* The kind of the case being run (-1: none); set by the case functions. */
static int s_cur_kind = -1;
typedef struct s_kstat {
    char op[48];
    int kind;
    double worst;
} s_kstat;
static s_kstat s_kstats[256];
static int s_nkstats;

static bool s_hratio(const char *op, lapis_dtype dt, double ratio, double limit, const char *what) {
    if (s_cur_kind >= 0) {
        int i = 0;
        while (i < s_nkstats && (s_kstats[i].kind != s_cur_kind || strcmp(s_kstats[i].op, op)))
            i++;
        if (i == s_nkstats && s_nkstats < 256) {
            snprintf(s_kstats[i].op, sizeof s_kstats[i].op, "%s", op);
            s_kstats[i].kind = s_cur_kind;
            s_kstats[i].worst = 0;
            s_nkstats++;
        }
        if (i < s_nkstats && !(ratio <= s_kstats[i].worst)) s_kstats[i].worst = ratio;
    }
    return (h_ratio)(op, dt, ratio, limit, what);
}
#define h_ratio(op, dt, ratio, limit, what) s_hratio(op, dt, ratio, limit, what)

/* One line per (op, kind), over every dtype and shape. */
static void s_print_kinds(void) {
    for (int i = 0; i < s_nkstats; i++)
        printf("worst %-22s %-15s %9.3g\n", s_kstats[i].op, S_KIND_NAMES[s_kstats[i].kind],
               s_kstats[i].worst);
}

/* Message prefix and untouched-output check for argument errors. */
#define S_ARGERR(call, want, prefix, outp, what)                                              \
    do {                                                                                      \
        lapis_array _o = H_SENTINEL;                                                          \
        (void)_o;                                                                             \
        H_STATUS((call), (want), (prefix), (what));                                           \
        H_CHECK((outp) == H_SENTINEL, "%s: output touched on error", (what));                 \
    } while (0)

#endif
