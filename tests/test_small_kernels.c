/*
 * Tiny-matrix CPU kernels (src/cpu/small*.c) against the LAPACK path of the
 * same backend: every order 1..32, float32 and float64, batches whose size is
 * not a multiple of the lane count, with random, ill-conditioned, singular
 * (known index), not-SPD (known minor), zero-diagonal and NaN/Inf matrices
 * mixed in. Checked: info equal to the LAPACK path, the same pivots, NaN
 * outputs exactly where the LAPACK path has them, the other triangle exactly
 * 0, and LAPACK-style residual ratios below 30.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cpu/small.h"

static int passed, failed;

static void check(bool ok, const char *what, const char *op, lapis_dtype dt, int n, int idx) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    if (failed <= 40)
        fprintf(stderr, "FAIL %s %s n=%d matrix %d: %s\n", op,
                dt == LAPIS_FLOAT32 ? "f32" : "f64", n, idx, what);
}

/* ---- data ------------------------------------------------------------------------ */

static uint64_t rng = 88172645463325252ull;
static double urand(void) { /* xorshift64*, uniform in (-1, 1) */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) / 4503599627370496.0 - 1.0;
}

enum kind { K_RANDOM, K_ILL, K_SPD, K_NOT_SPD, K_SINGULAR, K_TRI_ZERO, K_NAN, K_INF, K_NKINDS };

/* One n x n matrix of the kind; *where gets the planted index (0-based). */
static void gen(double *a, int n, enum kind kind, int *where) {
    *where = n > 1 ? (int)((urand() + 1) * 0.5 * n) % n : 0;
    for (int i = 0; i < n * n; i++) a[i] = urand();
    switch (kind) {
    case K_RANDOM: break;
    case K_ILL: /* graded rows and columns: condition ~1e6 (float) .. 1e12 */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] *= pow(10.0, (double)(i + j) / (2.0 * n) * 6);
        break;
    case K_SPD:
    case K_NOT_SPD: {
        double *b = malloc(sizeof(double) * n * n);
        memcpy(b, a, sizeof(double) * n * n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = i == j ? n : 0;
                for (int p = 0; p < n; p++) s += b[i * n + p] * b[j * n + p];
                a[i * n + j] = s;
            }
        free(b);
        if (kind == K_NOT_SPD) a[*where * n + *where] = -1e3 * n * n;
        break;
    }
    case K_SINGULAR: /* column `where` zero: the first zero pivot is where + 1 */
        for (int i = 0; i < n; i++) a[i * n + *where] = 0;
        break;
    case K_TRI_ZERO: /* a triangle with a zero diagonal entry at where */
        for (int i = 0; i < n; i++) a[i * n + i] = 2 + a[i * n + i];
        a[*where * n + *where] = 0;
        break;
    case K_NAN: a[*where * n + (n - 1 - *where)] = NAN; break;
    case K_INF: a[*where * n + *where] = -INFINITY; break;
    default: break;
    }
    if (kind != K_TRI_ZERO && kind != K_SINGULAR && kind != K_NAN && kind != K_INF &&
        kind != K_NOT_SPD && kind != K_SPD)
        for (int i = 0; i < n; i++) a[i * n + i] += 0.1; /* keep random LU away from 0 */
}

/* ---- conversions ----------------------------------------------------------------- */

static void *to_dt(const double *x, int64_t cnt, lapis_dtype dt) {
    void *y = malloc((size_t)cnt * (dt == LAPIS_FLOAT32 ? 4 : 8) + 8);
    for (int64_t i = 0; i < cnt; i++) {
        if (dt == LAPIS_FLOAT32) ((float *)y)[i] = (float)x[i];
        else ((double *)y)[i] = x[i];
    }
    return y;
}
static double get(const void *y, int64_t i, lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 ? (double)((const float *)y)[i] : ((const double *)y)[i];
}
static double eps_of(lapis_dtype dt) { return dt == LAPIS_FLOAT32 ? FLT_EPSILON : DBL_EPSILON; }

/* ---- residual ratios (in double, on the values actually given to the kernel) ------- */

static double norm1(const double *a, int n, int k) { /* max column sum of n x k */
    double m = 0;
    for (int j = 0; j < k; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) s += fabs(a[i * k + j]);
        if (s > m) m = s;
    }
    return m;
}

/* ‖A - F Fᵀ‖ / (n ‖A‖ eps), F = L or Uᵀ */
static double ratio_chol(const double *a, const double *f, int n, bool upper, double eps) {
    double *r = malloc(sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < n; p++) {
                double x = upper ? f[p * n + i] : f[i * n + p], y = upper ? f[p * n + j] : f[j * n + p];
                s += x * y;
            }
            double aij = upper ? (i <= j ? a[i * n + j] : a[j * n + i]) : (i >= j ? a[i * n + j] : a[j * n + i]);
            r[i * n + j] = aij - s;
        }
    double sym[32 * 32];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            sym[i * n + j] = upper ? (i <= j ? a[i * n + j] : a[j * n + i]) : (i >= j ? a[i * n + j] : a[j * n + i]);
    double q = norm1(r, n, n) / (n * norm1(sym, n, n) * eps);
    free(r);
    return q;
}

/* ‖P A - L U‖ / (n ‖A‖ eps) from the packed LU and the 0-based swaps */
static double ratio_lu(const double *a, const double *lu, const uint32_t *piv, int n, double eps) {
    double pa[32 * 32], r[32 * 32];
    memcpy(pa, a, sizeof(double) * n * n);
    for (int j = 0; j < n; j++)
        for (int c = 0; c < n; c++) {
            double t = pa[j * n + c];
            pa[j * n + c] = pa[piv[j] * n + c];
            pa[piv[j] * n + c] = t;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p <= (i < j ? i : j); p++)
                s += (p == i ? 1.0 : lu[i * n + p]) * lu[p * n + j];
            r[i * n + j] = pa[i * n + j] - s;
        }
    double na = norm1(a, n, n), nr = norm1(r, n, n);
    return na == 0 ? (nr == 0 ? 0 : INFINITY) : nr / (n * na * eps);
}

/* ‖B - A X‖ / (n ‖A‖ ‖X‖ eps + ‖B‖ eps): solves and inverses (B = I) */
static double ratio_solve(const double *a, const double *x, const double *b, int n, int k,
                          double eps) {
    double *r = malloc(sizeof(double) * n * k);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            double s = 0;
            for (int p = 0; p < n; p++) s += a[i * n + p] * x[p * k + j];
            r[i * k + j] = b[i * k + j] - s;
        }
    double q = norm1(r, n, k) / ((n * norm1(a, n, n) * norm1(x, n, k) + norm1(b, n, k)) * eps);
    free(r);
    return q;
}

/* ---- one batch of one op --------------------------------------------------------- */

#define LIMIT 30.0
#define BATCH 23 /* not a multiple of 4 or 8: the tail lanes are exercised */

static const lapis_exec EX = {.stream = NULL, .nthreads = 2};

typedef enum op { OP_CHOL, OP_LU, OP_INV, OP_TRI_INV, OP_TRSM, OP_LU_SOLVE, OP_SOLVE, OP_NOPS } op;
static const char *op_name[] = {"cholesky", "lu_factor", "inv", "tri_inv", "trsm", "lu_solve", "solve"};

static enum kind pick_kind(op o, int i) {
    static const enum kind chol[] = {K_SPD, K_SPD, K_NOT_SPD, K_NAN, K_INF, K_SPD};
    static const enum kind lu[] = {K_RANDOM, K_ILL, K_SINGULAR, K_NAN, K_INF, K_RANDOM, K_RANDOM};
    static const enum kind tri[] = {K_TRI_ZERO, K_TRI_ZERO, K_NAN, K_TRI_ZERO, K_INF};
    if (o == OP_CHOL) return chol[i % 6];
    if (o == OP_TRI_INV || o == OP_TRSM) {
        enum kind k = tri[i % 5];
        /* zero diagonal only sometimes */
        return (k == K_TRI_ZERO && i % 3) ? K_RANDOM : k;
    }
    return lu[i % 7];
}

static void run_case(op o, lapis_dtype dt, int n, bool upper, int k) {
    int64_t nn = (int64_t)n * n, nk = (int64_t)n * k;
    double *a = malloc(sizeof(double) * nn * BATCH), *b = malloc(sizeof(double) * nk * BATCH);
    for (int i = 0; i < BATCH; i++) {
        int where;
        enum kind kd = pick_kind(o, i);
        gen(a + i * nn, n, kd, &where);
        if (kd == K_TRI_ZERO || o == OP_TRI_INV || o == OP_TRSM) { /* keep triangles well-conditioned */
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                    if (r != c) a[i * nn + r * n + c] *= 0.5 / n;
                    else if (kd != K_TRI_ZERO || r != where)
                        a[i * nn + r * n + c] = 1.5 + 0.5 * fabs(a[i * nn + r * n + c]);
        }
        if (kd == K_TRI_ZERO) a[i * nn + where * n + where] = 0;
        for (int e = 0; e < nk; e++) b[i * nk + e] = urand();
        if (i == 13 && (o == OP_TRSM || o == OP_SOLVE || o == OP_LU_SOLVE)) b[i * nk + nk - 1] = NAN;
    }
    /* round the data to the dtype so that the ratios use what the kernel saw */
    void *ad = to_dt(a, nn * BATCH, dt), *bd = to_dt(b, nk * BATCH, dt);
    for (int64_t e = 0; e < nn * BATCH; e++) a[e] = get(ad, e, dt);
    for (int64_t e = 0; e < nk * BATCH; e++) b[e] = get(bd, e, dt);
    size_t es = dt == LAPIS_FLOAT32 ? 4 : 8;
    int64_t osz = (o == OP_TRSM || o == OP_LU_SOLVE || o == OP_SOLVE) ? nk : nn;
    void *out[3];
    uint32_t *piv[3];
    int32_t info[3][BATCH];
    /* run 0: small kernels; run 1: LAPACK; run 2: small kernels storing
     * square outputs by non-temporal stores (64-byte aligned output) */
    const bool sq = o == OP_CHOL || o == OP_LU || o == OP_INV || o == OP_TRI_INV;
    for (int run = 0; run < (sq ? 3 : 2); run++) {
        lapis_small_override(run == 1 ? 0 : -1);
        lapis_small_stream_override(run == 2 ? 0 : -1);
        out[run] = run == 2 ? aligned_alloc(64, (es * osz * BATCH + 64) / 64 * 64)
                            : malloc(es * osz * BATCH + 8);
        piv[run] = malloc(sizeof(uint32_t) * n * BATCH + 4);
        memset(out[run], 0x7f, es * osz * BATCH);
        lapis_factor_args f = {.dtype = dt, .m = n, .n = n, .batch = BATCH, .a = ad, .out = out[run],
                               .ipiv = piv[run], .info = info[run], .upper = upper};
        lapis_status st = LAPIS_OK;
        if (o == OP_CHOL) st = lapis_cpu_cholesky(&f, &EX);
        else if (o == OP_LU) st = lapis_cpu_lu_factor(&f, &EX);
        else if (o == OP_INV) st = lapis_cpu_inv(&f, &EX);
        else if (o == OP_TRI_INV) st = lapis_cpu_tri_inv(&f, &EX);
        else {
            lapis_solve_args s = {.dtype = dt, .n = n, .k = k, .batch = BATCH, .a = ad, .b = bd,
                                  .x = out[run], .info = info[run], .upper = upper};
            void *lu = NULL;
            uint32_t *ip = NULL;
            int32_t ainfo[BATCH];
            if (o == OP_LU_SOLVE) { /* factor with the LAPACK path in both runs */
                lapis_small_override(0);
                lu = malloc(es * nn * BATCH);
                ip = malloc(sizeof(uint32_t) * n * BATCH);
                lapis_factor_args g = f;
                g.out = lu;
                g.ipiv = ip;
                g.info = ainfo;
                st = lapis_cpu_lu_factor(&g, &EX);
                lapis_small_override(run == 1 ? 0 : -1);
                s.a = lu;
                s.ipiv = ip;
                s.ainfo = ainfo;
            }
            if (!st) st = o == OP_TRSM ? lapis_cpu_trsm(&s, &EX)
                          : o == OP_LU_SOLVE ? lapis_cpu_lu_solve(&s, &EX)
                                             : lapis_cpu_solve(&s, &EX);
            free(lu);
            free(ip);
        }
        check(st == LAPIS_OK, "status", op_name[o], dt, n, -1);
    }
    lapis_small_override(-1);
    lapis_small_stream_override(-1);
    if (sq) { /* the same bits, pivots and info whichever way the output left */
        bool same = memcmp(out[2], out[0], es * osz * BATCH) == 0 &&
                    memcmp(info[2], info[0], sizeof info[0]) == 0 &&
                    (o != OP_LU || memcmp(piv[2], piv[0], sizeof(uint32_t) * n * BATCH) == 0);
        check(same, "streamed output differs", op_name[o], dt, n, -1);
    }

    double eps = eps_of(dt);
    double *x = malloc(sizeof(double) * (osz > nn ? osz : nn));
    for (int i = 0; i < BATCH; i++) {
        const double *ai = a + i * nn, *bi = b + i * nk;
        char msg[160];
        snprintf(msg, sizeof msg, "info %d (small) vs %d (LAPACK)", info[0][i], info[1][i]);
        check(info[0][i] == info[1][i], msg, op_name[o], dt, n, i);
        bool nan0 = true, nan1 = true, any_nan0 = false;
        for (int64_t e = 0; e < osz; e++) {
            x[e] = get(out[0], i * osz + e, dt);
            nan0 &= isnan(x[e]) != 0;
            any_nan0 |= isnan(x[e]) != 0;
            nan1 &= isnan(get(out[1], i * osz + e, dt)) != 0;
        }
        bool failed_lu = o == OP_LU ? info[1][i] < 0 : info[1][i] != 0;
        check(nan0 == failed_lu && nan1 == failed_lu, "NaN outputs exactly when failed",
              op_name[o], dt, n, i);
        if (o == OP_LU) {
            bool same = true;
            for (int r = 0; r < n; r++) same &= piv[0][i * n + r] == piv[1][i * n + r];
            if (info[1][i] == 0) check(same, "pivots differ from LAPACK", op_name[o], dt, n, i);
        }
        if (failed_lu || info[0][i] != 0) {
            if (o == OP_LU && info[0][i] > 0) { /* singular LU is still a factorization */
                double q = ratio_lu(ai, x, piv[0] + i * n, n, eps);
                check(q < LIMIT, "singular LU ratio", op_name[o], dt, n, i);
            }
            continue;
        }
        check(!any_nan0, "NaN in a successful output", op_name[o], dt, n, i);
        double q = 0;
        bool tri_ok = true;
        if (o == OP_CHOL || o == OP_TRI_INV)
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                    if ((upper ? c < r : c > r) && x[r * n + c] != 0) tri_ok = false;
        check(tri_ok, "other triangle not exactly 0", op_name[o], dt, n, i);
        if (o == OP_CHOL) q = ratio_chol(ai, x, n, upper, eps);
        else if (o == OP_LU) q = ratio_lu(ai, x, piv[0] + i * n, n, eps);
        else if (o == OP_INV || o == OP_TRI_INV) {
            double id[32 * 32], t[32 * 32];
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++) {
                    id[r * n + c] = r == c;
                    t[r * n + c] = (o == OP_INV || (upper ? c >= r : c <= r)) ? ai[r * n + c] : 0;
                }
            q = ratio_solve(t, x, id, n, n, eps);
        } else {
            double t[32 * 32];
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                    t[r * n + c] = (o != OP_TRSM || (upper ? c >= r : c <= r)) ? ai[r * n + c] : 0;
            q = ratio_solve(t, x, bi, n, k, eps);
        }
        snprintf(msg, sizeof msg, "residual ratio %.3g", q);
        check(q < LIMIT, msg, op_name[o], dt, n, i);
    }
    free(x);
    for (int run = 0; run < (sq ? 3 : 2); run++) {
        free(out[run]);
        free(piv[run]);
    }
    free(ad);
    free(bd);
    free(a);
    free(b);
}

/* The public entry points reach the small kernels (solve uses the fused slot). */
static void public_api(void) {
    double a[9] = {4, 1, 0, 1, 3, 1, 0, 1, 2}, b[3] = {1, 2, 3}, x[3];
    int64_t sa[2] = {3, 3}, sb[1] = {3};
    lapis_array A = NULL, B = NULL, X = NULL;
    lapis_device cpu = {LAPIS_CPU, 0};
    bool ok = lapis_set_default_device(cpu) == LAPIS_OK &&
              lapis_array_from_data(&A, a, sa, 2, LAPIS_FLOAT64) == LAPIS_OK &&
              lapis_array_from_data(&B, b, sb, 1, LAPIS_FLOAT64) == LAPIS_OK &&
              lapis_linalg_solve(&X, A, B, NULL) == LAPIS_OK &&
              lapis_array_read(X, x, sizeof x) == LAPIS_OK;
    check(ok, "public solve", "solve", LAPIS_FLOAT64, 3, -1);
    if (ok) check(ratio_solve(a, x, b, 3, 1, DBL_EPSILON) < LIMIT, "public solve ratio", "solve",
                  LAPIS_FLOAT64, 3, -1);
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
}

int main(void) {
    static const lapis_dtype dts[2] = {LAPIS_FLOAT32, LAPIS_FLOAT64};
    for (int d = 0; d < 2; d++)
        for (int n = 1; n <= LAPIS_SMALL_NMAX; n++) {
            for (int up = 0; up < 2; up++) {
                run_case(OP_CHOL, dts[d], n, up, 0);
                run_case(OP_TRI_INV, dts[d], n, up, 0);
                run_case(OP_TRSM, dts[d], n, up, 1);
                run_case(OP_TRSM, dts[d], n, up, n % 7 + 2);
            }
            run_case(OP_TRSM, dts[d], n, n % 2, 41); /* more columns than one block */
            run_case(OP_LU, dts[d], n, false, 0);
            run_case(OP_INV, dts[d], n, false, 0);
            run_case(OP_LU_SOLVE, dts[d], n, false, 1);
            run_case(OP_LU_SOLVE, dts[d], n, false, 5);
            run_case(OP_SOLVE, dts[d], n, false, 1);
            run_case(OP_SOLVE, dts[d], n, false, n % 5 + 2);
            run_case(OP_SOLVE, dts[d], n, false, 37);
        }
    public_api();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
