/*
 * libFuzzer harness over the public C API (issue 4): op, dtype, shape
 * (<= 64), batch (<= 8) and the values all come from the input bytes.
 * Oracle: no crash (ASan/UBSan), no hang, a documented status, and when an
 * op says it succeeded (status OK, info 0 for every matrix) its backward
 * error ratio holds. Build: make fuzz.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapis.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} bytes;

static unsigned take(bytes *b) {
    if (!b->n) return 0;
    b->n--;
    return *b->p++;
}

/* Mostly tame values with a wide exponent range; sometimes raw bit
 * patterns (NaN, Inf, subnormals, huge). */
static double value(bytes *b, bool raw, bool single) {
    if (raw) {
        uint64_t bits = 0;
        for (int i = 0; i < (single ? 4 : 8); i++) bits = bits << 8 | take(b);
        if (single) {
            float f;
            uint32_t w = (uint32_t)bits;
            memcpy(&f, &w, 4);
            return f;
        }
        double d;
        memcpy(&d, &bits, 8);
        return d;
    }
    int mant = (int8_t)take(b);
    int ex = (int8_t)take(b) / 8; /* 2^-16 .. 2^15 */
    return ldexp(mant / 128.0, ex);
}

static void fail(const char *what, double ratio) {
    fprintf(stderr, "fuzz oracle: %s (ratio %g)\n", what, ratio);
    abort();
}

/* Every status the API documents. */
static void check_status(lapis_status st) {
    if (st > LAPIS_ERR_INTERNAL) fail("undocumented status", st);
    if (st == LAPIS_ERR_INTERNAL) fail(lapis_last_error(), 0);
}

static long double mat_norm1(const double *a, int64_t m, int64_t n) {
    long double best = 0;
    for (int64_t j = 0; j < n; j++) {
        long double s = 0;
        for (int64_t i = 0; i < m; i++) s += fabsl((long double)a[i * n + j]);
        if (s > best) best = s;
    }
    return best;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bytes b = {data, size};
    unsigned op = take(&b) % 7;
    bool single = take(&b) & 1;
    unsigned flags = take(&b);
    bool upper = flags & 1, raw = (flags & 0x1e) == 0x1e, spd = flags & 0x20;
    int64_t n = take(&b) % 65, k = 1 + take(&b) % 4, batch = take(&b) % 9;
    lapis_dtype dt = single ? LAPIS_FLOAT32 : LAPIS_FLOAT64;
    int64_t cnt = batch * n * n;
    double *a = malloc((size_t)(cnt + batch * n * k + 1) * sizeof *a);
    double *rhs = a + cnt;
    for (int64_t i = 0; i < cnt; i++) a[i] = value(&b, raw, single);
    for (int64_t i = 0; i < batch * n * k; i++) rhs[i] = value(&b, false, single);
    if (spd) /* make each matrix diagonally dominant so factorizations succeed */
        for (int64_t m = 0; m < batch; m++)
            for (int64_t i = 0; i < n; i++) {
                double *r = a + m * n * n;
                r[i * n + i] = fabs(r[i * n + i]) + 2 * n * 2.0;
                for (int64_t j = 0; j < i; j++) r[j * n + i] = r[i * n + j];
            }
    float *af = malloc((size_t)(cnt + batch * n * k + 1) * sizeof *af);
    for (int64_t i = 0; i < cnt + batch * n * k; i++) af[i] = (float)a[i];
    for (int64_t i = 0; single && i < cnt + batch * n * k; i++) a[i] = af[i];

    int64_t shape[3] = {batch, n, n}, bshape[3] = {batch, n, k};
    lapis_array A = NULL, B = NULL, X = NULL, info = NULL;
    lapis_status st = lapis_array_from_data(&A, single ? (void *)af : (void *)a, shape, 3, dt);
    check_status(st);
    st = lapis_array_from_data(&B, single ? (void *)(af + cnt) : (void *)rhs, bshape, 3, dt);
    check_status(st);
    double eps = single ? FLT_EPSILON : DBL_EPSILON;
    switch (op) {
    case 0: st = lapis_linalg_cholesky_ex(&X, &info, A, upper, NULL); break;
    case 1: st = lapis_linalg_inv_ex(&X, &info, A, NULL); break;
    case 2: st = lapis_linalg_solve_ex(&X, &info, A, B, NULL); break;
    case 3: st = lapis_linalg_solve_triangular_ex(&X, &info, A, B, upper, NULL); break;
    case 4: st = lapis_linalg_tri_inv_ex(&X, &info, A, upper, NULL); break;
    case 5: {
        lapis_array piv = NULL;
        st = lapis_linalg_lu_factor_ex(&X, &piv, &info, A, NULL);
        lapis_array_free(piv);
        break;
    }
    default: {
        lapis_array sign = NULL, logabs = NULL;
        st = lapis_linalg_slogdet(&sign, &logabs, A, NULL);
        lapis_array_free(sign);
        lapis_array_free(logabs);
        break;
    }
    }
    check_status(st);
    if (st == LAPIS_OK && X && info && (op == 2 || op == 3) && n > 0) {
        /* The solves: ||b - A x|| / (n ||A|| ||x|| eps) for successful matrices. */
        double *x = malloc((size_t)(batch * n * k) * sizeof *x);
        float *xf = malloc((size_t)(batch * n * k) * sizeof *xf);
        int32_t *inf = malloc((size_t)batch * sizeof *inf + 1);
        lapis_status rs = lapis_array_read(info, inf, (size_t)batch * sizeof *inf);
        if (rs) fail("reading info failed", rs);
        rs = single ? lapis_array_read(X, xf, (size_t)(batch * n * k) * sizeof *xf)
                    : lapis_array_read(X, x, (size_t)(batch * n * k) * sizeof *x);
        if (rs) fail("reading x failed", rs);
        for (int64_t i = 0; single && i < batch * n * k; i++) x[i] = xf[i];
        for (int64_t m = 0; m < batch; m++) {
            const double *am = a + m * n * n, *bm = rhs + m * n * k, *xm = x + m * n * k;
            if (inf[m] != 0) {
                for (int64_t i = 0; i < n * k; i++)
                    if (xm[i] == xm[i]) fail("failed matrix has a non-NaN output", 0);
                continue;
            }
            bool finite = true;
            for (int64_t i = 0; i < n * n; i++) finite &= isfinite(am[i]) != 0;
            if (!finite) fail("non-finite input reported as success", 0);
            long double an = mat_norm1(am, n, n), xn = mat_norm1(xm, n, k), rn = 0;
            for (int64_t c = 0; c < k; c++) {
                long double s = 0;
                for (int64_t i = 0; i < n; i++) {
                    long double r = bm[i * k + c];
                    for (int64_t j = 0; j < n; j++) {
                        bool in = op == 2 || (upper ? j >= i : j <= i);
                        if (in) r -= (long double)am[i * n + j] * xm[j * k + c];
                    }
                    s += fabsl(r);
                }
                if (s > rn) rn = s;
            }
            /* Overflowing solutions are legitimately inaccurate; skip them. */
            if (!isfinite((double)xn) || !isfinite((double)an) || xn > 1e30 / (an + 1)) continue;
            long double ratio = rn / (n * (an * xn + 1e-300L) * eps);
            /* Triangular solves are only backward stable componentwise: a
             * wild ratio means ill conditioning, which needs cond > 1/eps. */
            if (op == 2 && ratio > 1000) fail("solve backward error too large", (double)ratio);
        }
        free(x);
        free(xf);
        free(inf);
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(info);
    free(a);
    free(af);
    return 0;
}
