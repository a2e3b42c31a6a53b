/*
 * Batched eigh for tiny real matrices (src/cpu/small_eigh*.c: Jacobi to
 * n = 6, tridiagonal QR above) against the LAPACK syevd path of the same
 * backend: every order 1..32, float32 and float64, both triangles, with
 * and without vectors, batches that are not a multiple of the lane count,
 * each batch mixing random, identity, repeated,
 * clustered, rank-deficient, graded, near-underflow, near-overflow,
 * Wilkinson, zero and non-finite matrices. Checked: info equal to the LAPACK
 * path; NaN outputs exactly for failed matrices; ascending eigenvalues;
 * ||A V - V W|| / (n ||A|| eps) and ||I - V^T V|| / (n eps) below 60; the
 * eigenvalues against LAPACK's, |w - w_lapack| / (n ||A|| eps) below 60
 * (sign-free: vectors are only checked through the residuals); values-only
 * equal to the values of the vector run; the same for the kernels built for
 * the baseline ISA (forced). Also the sweep cap: a cap of one
 * sweep (n QR steps) fails the matrices that need more with
 * LAPIS_INFO_NO_CONVERGENCE (n = 3, 4, 6, 8, 9: Jacobi's constant-order
 * copies and shared one, QR's n = 8 copy and shared one).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "../src/cpu/small_eigh.h"
#include "../src/cpu/spectral.h"

#define LIMIT 60.0

static const lapis_exec EX = {.stream = NULL, .nthreads = 2};
/* The LAPACK reference runs on one thread: in one CI run under load, syevd
 * called from two OpenMP threads (OpenBLAS 0.3.21, pthreads build) reported
 * a failure for a finite matrix (f32 n = 9, matrix 32 of the batch) that
 * every rerun, and a standalone two-thread stress of ssyevd_, factored
 * cleanly. The batched kernels keep two threads. */
static const lapis_exec EX_REF = {.stream = NULL, .nthreads = 1};
/* the instruction set the kernels may use: -1 the best the CPU runs, 0 the
 * baseline build, 1 AVX2 (where the best is AVX-512VL) */
static int g_isa = -1;
static const char *const isa_name[] = {" (baseline ISA)", " (AVX2)"};

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double urand(void) { /* xorshift64*, uniform in (-1, 1) */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) / 4503599627370496.0 - 1.0;
}

enum kind {
    K_RANDOM, K_IDENTITY, K_REPEATED, K_CLUSTER, K_RANKDEF, K_GRADED, K_UNDER, K_OVER,
    K_WILKINSON, K_ZERO, K_NAN_REF, K_INF_REF, K_NAN_OTHER, K_INF_OTHER, K_NKINDS
};
static const char *const kind_name[K_NKINDS] = {
    "random", "identity", "repeated", "cluster", "rank-deficient", "graded", "underflow",
    "overflow", "wilkinson", "zero", "NaN in triangle", "Inf in triangle", "NaN in other",
    "Inf in other"};

/* Symmetric n x n (both triangles) of the kind; non-finite kinds poison the
 * triangle that is read (upper or lower) or the other one. */
static void gen(double *a, int n, enum kind kind, bool upper, bool single) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = urand();
    switch (kind) {
    case K_IDENTITY:
    case K_REPEATED:
    case K_ZERO:
        for (int i = 0; i < n * n; i++) a[i] = 0;
        for (int i = 0; i < n; i++)
            a[i * n + i] = kind == K_IDENTITY ? 1 : kind == K_ZERO ? 0 : i < n / 2 ? -3 : 2;
        break;
    case K_CLUSTER: /* I + 1e-5 eps-scaled noise: eigenvalues within ~1e-5 of 1 */
        for (int i = 0; i < n * n; i++) a[i] *= 1e-5;
        for (int i = 0; i < n; i++) a[i * n + i] += 1;
        break;
    case K_RANKDEF: { /* B B^T with B n x n/2 */
        int k = n / 2;
        double *b = malloc(sizeof(double) * (size_t)(n * (k + 1)));
        for (int i = 0; i < n * k; i++) b[i] = urand();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += b[i * k + p] * b[j * k + p];
                a[i * n + j] = s;
            }
        free(b);
        break;
    }
    case K_GRADED: /* D A D, D spanning 1e-12..1 (float: 1e-4..1) */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                a[i * n + j] *= pow(10.0, -(single ? 4.0 : 12.0) * (i + j) / (2.0 * n));
        break;
    case K_UNDER:
        for (int i = 0; i < n * n; i++) a[i] *= single ? 1e3 * FLT_MIN : 1e3 * DBL_MIN;
        break;
    case K_OVER:
        for (int i = 0; i < n * n; i++) a[i] *= single ? FLT_MAX / (1e2 * n) : DBL_MAX / (1e2 * n);
        break;
    case K_WILKINSON: /* W_n^+: diag |i - (n-1)/2|, off-diagonal 1 */
        for (int i = 0; i < n * n; i++) a[i] = 0;
        for (int i = 0; i < n; i++) {
            a[i * n + i] = fabs(i - (n - 1) / 2.0);
            if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = 1;
        }
        break;
    case K_NAN_REF:
    case K_INF_REF:
    case K_NAN_OTHER:
    case K_INF_OTHER: {
        double x = kind == K_NAN_REF || kind == K_NAN_OTHER ? NAN : -INFINITY;
        bool in_ref = kind == K_NAN_REF || kind == K_INF_REF;
        int i = (int)((urand() + 1) * 0.5 * n) % n, j = (int)((urand() + 1) * 0.5 * n) % n;
        if (n == 1) {
            if (in_ref) a[0] = x;
            break;
        }
        if (i == j) j = (i + 1) % n;
        int r = i < j ? i : j, c = i < j ? j : i; /* r < c: (r, c) is in the upper triangle */
        if (in_ref == upper) a[r * n + c] = x;
        else a[c * n + r] = x;
        if (in_ref && urand() > 0) a[i * n + i] = x; /* sometimes a diagonal one too */
        break;
    }
    default: break;
    }
}

/* ---- checks (long double) ------------------------------------------------------------ */

static long double norm1(const double *a, int n) {
    long double m = 0;
    for (int j = 0; j < n; j++) {
        long double s = 0;
        for (int i = 0; i < n; i++) s += fabsl((long double)a[i * n + j]);
        if (s > m) m = s;
    }
    return m;
}

/* ||A V - V W||_1 / (n ||A||_1 eps), A the referenced triangle mirrored. */
static double ratio_resid(const double *a, const double *v, const double *w, int n, double eps) {
    long double an = norm1(a, n), worst = 0;
    for (int j = 0; j < n; j++) {
        long double s = 0;
        for (int i = 0; i < n; i++) {
            long double r = -(long double)v[i * n + j] * w[j];
            for (int p = 0; p < n; p++) r += (long double)a[i * n + p] * v[p * n + j];
            s += fabsl(r);
        }
        if (s > worst) worst = s;
    }
    if (an == 0) return worst == 0 ? 0 : INFINITY;
    return (double)(worst / (an * n * eps));
}

/* ||I - V^T V||_1 / (n eps) */
static double ratio_orth(const double *v, int n, double eps) {
    long double worst = 0;
    for (int j = 0; j < n; j++) {
        long double s = 0;
        for (int i = 0; i < n; i++) {
            long double d = i == j ? -1.0L : 0.0L;
            for (int p = 0; p < n; p++) d += (long double)v[p * n + i] * v[p * n + j];
            s += fabsl(d);
        }
        if (s > worst) worst = s;
    }
    return (double)(worst / (n * eps));
}

/* ---- one batch ------------------------------------------------------------------------ */

static void *to_dtype(const double *x, int64_t cnt, lapis_dtype dt) {
    if (dt == LAPIS_FLOAT64) {
        double *y = malloc(sizeof(double) * (size_t)cnt);
        memcpy(y, x, sizeof(double) * (size_t)cnt);
        return y;
    }
    float *y = malloc(sizeof(float) * (size_t)cnt);
    for (int64_t i = 0; i < cnt; i++) y[i] = (float)x[i];
    return y;
}
static double get(const void *p, int64_t i, lapis_dtype dt) {
    return dt == LAPIS_FLOAT64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

/* Runs eigh on the batch through the batched kernels (small) or LAPACK, with
 * vectors or not; outputs as doubles. */
static lapis_status run(const void *a, lapis_dtype dt, int n, int64_t batch, bool upper,
                        bool small, bool vecs, double *w, double *v, int32_t *info) {
    size_t es = dt == LAPIS_FLOAT64 ? 8 : 4;
    void *wo = malloc(es * (size_t)(n * batch) + 1), *vo = malloc(es * (size_t)(n * n * batch) + 1);
    lapis_small_eigh_override(small ? -1 : 0, -1, g_isa);
    lapis_eigh_args p = {.dtype = dt, .n = n, .batch = batch, .a = a, .w = wo,
                         .v = vecs ? vo : NULL, .upper = upper, .info = info};
    lapis_status st = lapis_cpu_eigh(&p, small ? &EX : &EX_REF);
    lapis_small_eigh_override(-1, -1, -1);
    for (int64_t i = 0; i < n * batch; i++) w[i] = get(wo, i, dt);
    if (vecs)
        for (int64_t i = 0; i < n * n * batch; i++) v[i] = get(vo, i, dt);
    free(wo);
    free(vo);
    return st;
}

static bool all_nan(const double *x, int64_t cnt) {
    for (int64_t i = 0; i < cnt; i++)
        if (!isnan(x[i])) return false;
    return true;
}
static bool all_finite(const double *x, int64_t cnt) {
    for (int64_t i = 0; i < cnt; i++)
        if (!isfinite(x[i])) return false;
    return true;
}

static void batch_case(lapis_dtype dt, int n, int64_t batch, bool upper, int start_kind) {
    const bool single = dt == LAPIS_FLOAT32;
    const double eps = h_eps(dt);
    const int64_t nn = (int64_t)n * n;
    double *a = malloc(sizeof(double) * (size_t)(nn * batch));
    enum kind *kinds = malloc(sizeof(enum kind) * (size_t)batch);
    for (int64_t b = 0; b < batch; b++) {
        kinds[b] = (enum kind)((start_kind + b) % K_NKINDS);
        gen(a + b * nn, n, kinds[b], upper, single);
    }
    if (single)
        for (int64_t i = 0; i < nn * batch; i++) a[i] = (double)(float)a[i];
    void *ad = to_dtype(a, nn * batch, dt);
    double *w[3], *v[2];
    int32_t *info[3];
    for (int r = 0; r < 3; r++) {
        w[r] = malloc(sizeof(double) * (size_t)(n * batch));
        info[r] = malloc(sizeof(int32_t) * (size_t)batch);
        if (r < 2) v[r] = malloc(sizeof(double) * (size_t)(nn * batch));
    }
    /* 0: kernels with vectors, 1: LAPACK with vectors, 2: kernels values only */
    H_OK(run(ad, dt, n, batch, upper, true, true, w[0], v[0], info[0]));
    H_OK(run(ad, dt, n, batch, upper, false, true, w[1], v[1], info[1]));
    H_OK(run(ad, dt, n, batch, upper, true, false, w[2], NULL, info[2]));
    double *sym = malloc(sizeof(double) * (size_t)nn);
    char what[128];
    for (int64_t b = 0; b < batch; b++) {
        snprintf(what, sizeof what, "%s n=%d %s %s%s, matrix %lld", h_dtname(dt), n,
                 upper ? "upper" : "lower", kind_name[kinds[b]], g_isa >= 0 ? isa_name[g_isa] : "",
                 (long long)b);
        const double *ab = a + b * nn, *w0 = w[0] + b * n, *w1 = w[1] + b * n, *w2 = w[2] + b * n;
        const double *v0 = v[0] + b * nn;
        H_CHECK(info[0][b] == info[1][b] && info[2][b] == info[1][b],
                "info %d (values only %d), LAPACK %d (%s)", info[0][b], info[2][b], info[1][b],
                what);
        if (info[0][b] != 0) {
            H_CHECK(all_nan(w0, n) && all_nan(v0, nn) && all_nan(w2, n), "NaN outputs (%s)", what);
            h_count("small eigh failed", dt);
            continue;
        }
        if (!H_CHECK(all_finite(w0, n) && all_finite(v0, nn), "finite outputs (%s)", what))
            continue;
        /* the referenced triangle, mirrored */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                bool ref = upper ? j >= i : j <= i;
                sym[i * n + j] = ref ? ab[i * n + j] : ab[j * n + i];
            }
        bool asc = true;
        for (int j = 0; j + 1 < n; j++) asc &= w0[j] <= w0[j + 1];
        H_CHECK(asc, "eigenvalues ascending (%s)", what);
        h_ratio("small eigh |AV-VW|", dt, ratio_resid(sym, v0, w0, n, eps), LIMIT, what);
        h_ratio("small eigh |I-VtV|", dt, ratio_orth(v0, n, eps), LIMIT, what);
        long double an = norm1(sym, n), dw = 0, dv = 0;
        for (int j = 0; j < n; j++) {
            long double x = fabsl((long double)w0[j] - w1[j]), y = fabsl((long double)w0[j] - w2[j]);
            if (x > dw) dw = x;
            if (y > dv) dv = y;
        }
        double q = an == 0 ? (dw == 0 ? 0 : INFINITY) : (double)(dw / (an * n * eps));
        h_ratio("small eigh w vs LAPACK", dt, q, LIMIT, what);
        H_CHECK(dv == 0, "values-only eigenvalues differ from the vector run (%s)", what);
    }
    free(sym);
    for (int r = 0; r < 3; r++) {
        free(w[r]);
        free(info[r]);
        if (r < 2) free(v[r]);
    }
    free(ad);
    free(kinds);
    free(a);
}

/* A cap of one sweep: random matrices (n >= 3) fail with NO_CONVERGENCE and
 * NaN outputs; diagonal ones in the same groups converge. */
static void sweep_cap_case(lapis_dtype dt, int n) {
    const int64_t batch = 19, nn = (int64_t)n * n;
    double *a = malloc(sizeof(double) * (size_t)(nn * batch));
    for (int64_t b = 0; b < batch; b++)
        gen(a + b * nn, n, b % 3 == 0 ? K_REPEATED : K_RANDOM, false, dt == LAPIS_FLOAT32);
    void *ad = to_dtype(a, nn * batch, dt);
    size_t es = dt == LAPIS_FLOAT64 ? 8 : 4;
    void *wo = malloc(es * (size_t)(n * batch)), *vo = malloc(es * (size_t)(nn * batch));
    int32_t *info = malloc(sizeof(int32_t) * (size_t)batch);
    lapis_small_eigh_override(-1, 1, -1);
    lapis_eigh_args p = {.dtype = dt, .n = n, .batch = batch, .a = ad, .w = wo, .v = vo,
                         .upper = false, .info = info};
    H_OK(lapis_cpu_eigh(&p, &EX));
    lapis_small_eigh_override(-1, -1, -1);
    for (int64_t b = 0; b < batch; b++) {
        bool diag = b % 3 == 0, nan = true;
        for (int64_t i = 0; i < nn; i++) nan &= isnan(get(vo, b * nn + i, dt)) != 0;
        for (int64_t i = 0; i < n; i++) nan &= isnan(get(wo, b * n + i, dt)) != 0;
        H_CHECK(diag ? info[b] == 0 : info[b] == LAPIS_INFO_NO_CONVERGENCE && nan,
                "sweep cap: %s n=%d matrix %lld info %d", h_dtname(dt), n, (long long)b, info[b]);
    }
    h_count("small eigh sweep cap", dt);
    free(info);
    free(vo);
    free(wo);
    free(ad);
    free(a);
}

int main(int argc, char **argv) {
    (void)argc;
    h_init(argv[0]);
    h_watchdog(600, "test_small_eigh");
    static const int64_t batches[] = {1, 5, 13, 37};
    const lapis_dtype dts[2] = {LAPIS_FLOAT64, LAPIS_FLOAT32};
    for (int d = 0; d < 2; d++)
        for (int n = 1; n <= LAPIS_SMALL_EIGH_NMAX; n++)
            for (int bi = 0; bi < 4; bi++)
                for (int u = 0; u < 2; u++)
                    batch_case(dts[d], n, batches[bi], u == 1, (int)(n + bi * 3 + u * 7));
    /* the portable kernels, and AVX2 where the CPU runs AVX-512VL: one batch
     * shape each */
    for (g_isa = 0; g_isa < 2; g_isa++)
        for (int d = 0; d < 2; d++)
            for (int n = 1; n <= LAPIS_SMALL_EIGH_NMAX; n++)
                batch_case(dts[d], n, 37, n % 2 == 1, n);
    g_isa = -1;
    static const int cap_orders[] = {3, 4, 6, 8, 9};
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < 5; i++) sweep_cap_case(dts[d], cap_orders[i]);
    h_watchdog_off();
    return h_finish();
}
