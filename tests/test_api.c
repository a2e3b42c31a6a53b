/*
 * Arrays, devices, streams and the helpers (matmul, transpose, eye, astype,
 * random_normal, allclose); failure surfacing across streams; reads into
 * guard-region buffers.
 */
#define _POSIX_C_SOURCE 200809L
#include <complex.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void arrays(void) {
    /* every dtype round-trips bit for bit */
    static const lapis_dtype dts[] = {LAPIS_BOOL, LAPIS_INT32, LAPIS_UINT32, LAPIS_INT64,
                                      LAPIS_FLOAT32, LAPIS_FLOAT64, LAPIS_COMPLEX64, LAPIS_COMPLEX128};
    static const size_t sizes[] = {1, 4, 4, 8, 4, 8, 8, 16};
    for (size_t i = 0; i < 8; i++) {
        int64_t shape[3] = {2, 3, 5};
        unsigned char src[30 * 16], dst[30 * 16 + 64];
        for (size_t k = 0; k < sizeof src; k++) src[k] = (unsigned char)(k * 37 + i);
        if (dts[i] == LAPIS_BOOL)
            for (size_t k = 0; k < 30; k++) src[k] &= 1;
        lapis_array a = NULL;
        if (!H_OK(lapis_array_from_data(&a, src, shape, 3, dts[i]))) continue;
        H_CHECK(lapis_dtype_size(dts[i]) == sizes[i], "dtype size %s", lapis_dtype_name(dts[i]));
        H_CHECK(lapis_array_ndim(a) == 3 && lapis_array_shape(a)[2] == 5 && lapis_array_size(a) == 30 &&
                    lapis_array_nbytes(a) == 30 * sizes[i] && lapis_array_dtype(a) == dts[i],
                "array accessors (%s)", lapis_dtype_name(dts[i]));
        /* guard region: bytes past nbytes stay untouched */
        memset(dst, 0xAB, sizeof dst);
        H_OK(lapis_array_read(a, dst, sizeof dst));
        bool guard = true;
        for (size_t k = 30 * sizes[i]; k < sizeof dst; k++) guard &= dst[k] == 0xAB;
        H_CHECK(memcmp(src, dst, 30 * sizes[i]) == 0 && guard,
                "round trip / guard region (%s)", lapis_dtype_name(dts[i]));
        lapis_array_free(a);
    }
    /* 0-d array: size 1 */
    double one = 3.5, got = 0;
    lapis_array s = NULL;
    if (H_OK(lapis_array_from_data(&s, &one, NULL, 0, LAPIS_FLOAT64))) {
        H_CHECK(lapis_array_size(s) == 1 && lapis_array_ndim(s) == 0, "0-d array");
        H_OK(lapis_array_read(s, &got, sizeof got));
        H_CHECK(got == 3.5, "0-d value");
    }
    lapis_array_free(s);
    /* zeros, and 8 dimensions */
    int64_t s8[8] = {1, 2, 1, 2, 1, 2, 1, 2};
    lapis_array z = NULL;
    if (H_OK(lapis_array_zeros(&z, s8, 8, LAPIS_COMPLEX128))) {
        double buf[32];
        memset(buf, 0x7f, sizeof buf);
        H_OK(lapis_array_read(z, buf, sizeof buf));
        bool zero = true;
        for (int i = 0; i < 32; i++) zero &= buf[i] == 0;
        H_CHECK(zero && lapis_array_size(z) == 16, "zeros");
    }
    lapis_array_free(z);
}

/* An op's output read into a guard-region buffer. */
static void guarded_op_read(const h_dev *dev) {
    int64_t n = 9, shape[3] = {2, 9, 9};
    double a[2 * 81];
    memcpy(a, h_gen(MATGEN_SPD, n, 10, false, 0, 1), 81 * sizeof(double));
    memcpy(a + 81, h_gen(MATGEN_NOT_SPD, n, 0, false, 0, 2), 81 * sizeof(double));
    lapis_array A = h_array(a, shape, 3, LAPIS_FLOAT32), L = NULL;
    if (A && H_OK(lapis_linalg_cholesky(&L, A, false, dev->stream))) {
        size_t nb = lapis_array_nbytes(L);
        unsigned char *buf = malloc(nb + 256);
        memset(buf, 0xCD, nb + 256);
        lapis_status st = lapis_array_read(L, buf, nb + 256);
        H_CHECK(st == LAPIS_ERR_NOT_POSITIVE_DEFINITE, "read of a failed op: %s", lapis_status_string(st));
        bool guard = true;
        for (size_t k = nb; k < nb + 256; k++) guard &= buf[k] == 0xCD;
        const float *f = (const float *)buf;
        bool nan = true, fin = true;
        for (int i = 0; i < 81; i++) {
            fin &= isfinite(f[i]) != 0;
            nan &= isnan(f[81 + i]) != 0;
        }
        H_CHECK(guard && nan && fin, "guarded read: guard %d, failed matrix NaN %d, good finite %d",
                guard, nan, fin);
        free(buf);
    }
    H_STATUS(lapis_synchronize(dev->stream), LAPIS_OK, NULL, "the read reported the failure");
    lapis_array_free(L);
    lapis_array_free(A);
}

static void *other_thread(void *arg) {
    lapis_device *out = arg;
    *out = lapis_default_device();
    return NULL;
}

static void devices_streams(void) {
    lapis_device cpu = {LAPIS_CPU, 0}, gpu = {LAPIS_GPU, 0};
    bool has_gpu = lapis_device_is_available(gpu);
    H_CHECK(lapis_device_is_available(cpu) && lapis_device_count(LAPIS_CPU) == 1, "cpu available");
    lapis_device d = lapis_default_device();
    H_CHECK(d.type == (has_gpu ? LAPIS_GPU : LAPIS_CPU) && d.index == 0, "default device");
    /* a pushed scope is thread-local */
    if (H_OK(lapis_push_default_device(cpu))) {
        H_CHECK(lapis_default_device().type == LAPIS_CPU, "pushed scope");
        lapis_device seen = {LAPIS_CPU, -1};
        pthread_t t;
        if (pthread_create(&t, NULL, other_thread, &seen) == 0) {
            pthread_join(t, NULL);
            H_CHECK(seen.type == d.type && seen.index == d.index, "scope leaked to another thread");
        }
        H_OK(lapis_pop_default_device());
    }
    H_CHECK(lapis_default_device().type == d.type, "popped scope");
    H_OK(lapis_set_default_device(cpu));
    H_CHECK(lapis_default_device().type == LAPIS_CPU, "set default");
    if (has_gpu) H_OK(lapis_set_default_device(gpu));
    /* streams */
    lapis_stream s1 = NULL, s2 = NULL;
    if (H_OK(lapis_stream_new(&s1, cpu)) && H_OK(lapis_stream_new(&s2, cpu))) {
        H_CHECK(lapis_stream_device(s1).type == LAPIS_CPU, "stream device");
        H_CHECK(lapis_stream_device(NULL).type == lapis_default_device().type, "NULL stream device");
        /* a failure recorded on s1 is not returned by s2 */
        int64_t shape[3] = {4, 5, 5};
        double a[100];
        for (int j = 0; j < 4; j++)
            memcpy(a + 25 * j, h_gen(j == 2 ? MATGEN_NOT_SPD : MATGEN_SPD, 5, 10, false, 0, 10 + j),
                   25 * sizeof(double));
        lapis_array A = h_array(a, shape, 3, LAPIS_FLOAT64), L = NULL, L2 = NULL;
        if (A && H_OK(lapis_linalg_cholesky(&L, A, false, s1))) {
            H_STATUS(lapis_synchronize(s2), LAPIS_OK, NULL, "other stream is clean");
            /* freeing the output does not lose the failure */
            lapis_array_free(L);
            L = NULL;
            lapis_status st = lapis_synchronize(s1);
            H_CHECK(st == LAPIS_ERR_NOT_POSITIVE_DEFINITE &&
                        strstr(lapis_last_error(), "[linalg::cholesky] (batch element 2)") != NULL,
                    "synchronize after freeing the output: %s \"%s\"", lapis_status_string(st),
                    lapis_last_error());
            H_STATUS(lapis_synchronize(s1), LAPIS_OK, NULL, "reported once");
        }
        /* on the default stream of the default device (CPU scope) */
        if (H_OK(lapis_push_default_device(cpu))) {
            if (A && H_OK(lapis_linalg_cholesky(&L2, A, true, NULL))) {
                lapis_status st = lapis_synchronize(NULL);
                H_CHECK(st == LAPIS_ERR_NOT_POSITIVE_DEFINITE, "default stream failure: %s",
                        lapis_status_string(st));
            }
            H_OK(lapis_pop_default_device());
        }
        /* a stream freed with a pending failure: no leak, no crash */
        lapis_array L3 = NULL;
        if (A && H_OK(lapis_linalg_cholesky(&L3, A, false, s2))) lapis_stream_free(s2);
        else lapis_stream_free(s2);
        s2 = NULL;
        lapis_array_free(L3);
        lapis_array_free(L2);
        lapis_array_free(A);
    }
    lapis_stream_free(s1);
    lapis_stream_free(s2);
    H_CHECK(lapis_build_info() && strstr(lapis_build_info(), LAPIS_VERSION_STRING), "build info");
    H_CHECK(lapis_num_threads() >= 1, "num threads");
}

/* ---- helpers ------------------------------------------------------------------ */

static void matmul_case(const h_dev *dev, const int64_t *as, int and, const int64_t *bs, int bnd,
                        lapis_dtype dta, lapis_dtype dtb, lapis_dtype want_dt,
                        const int64_t *xs, int xnd) {
    int64_t na = 1, nb = 1, nx = 1;
    for (int i = 0; i < and; i++) na *= as[i];
    for (int i = 0; i < bnd; i++) nb *= bs[i];
    for (int i = 0; i < xnd; i++) nx *= xs[i];
    double *a = h_alloc((size_t)na * sizeof(double)), *b = h_alloc((size_t)nb * sizeof(double));
    double *x = h_alloc((size_t)(nx + 1) * sizeof(double));
    for (int64_t i = 0; i < na; i++) a[i] = dta == LAPIS_INT32 ? (double)(i % 7 - 3) : matgen_normal(1, (uint64_t)i);
    for (int64_t i = 0; i < nb; i++) b[i] = dtb == LAPIS_INT32 ? (double)(i % 5 - 2) : matgen_normal(2, (uint64_t)i);
    h_round(a, na, dta);
    h_round(b, nb, dtb);
    lapis_array A = h_array(a, as, and, dta), B = h_array(b, bs, bnd, dtb), X = NULL;
    char what[64];
    snprintf(what, sizeof what, "matmul %dD x %dD", and, bnd);
    if (A && B && H_OK(lapis_matmul(&X, A, B, dev->stream))) {
        bool shape_ok = lapis_array_ndim(X) == xnd && lapis_array_dtype(X) == want_dt;
        for (int i = 0; shape_ok && i < xnd; i++) shape_ok = lapis_array_shape(X)[i] == xs[i];
        H_CHECK(shape_ok, "%s: shape/dtype", what);
        if (shape_ok) {
            H_OK(h_read(X, x));
            /* reference: NumPy rules with 1-D promotion and batch broadcasting */
            int64_t m = and == 1 ? 1 : as[and - 2], k = as[and - 1];
            int64_t n = bnd == 1 ? 1 : bs[bnd - 1];
            int abn = and > 2 ? and - 2 : 0, bbn = bnd > 2 ? bnd - 2 : 0;
            int xbn = abn > bbn ? abn : bbn;
            int64_t xb[8], batch = 1;
            for (int i = 0; i < xbn; i++) {
                int ia = i - (xbn - abn), ib = i - (xbn - bbn);
                int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
                xb[i] = da > db ? da : db;
                batch *= xb[i];
            }
            double worst = 0, eps = h_eps(want_dt);
            for (int64_t t = 0; t < batch; t++) {
                int64_t ia = 0, ib = 0, sa = 1, sb = 1, rem = t;
                for (int i = xbn - 1; i >= 0; i--) {
                    int64_t c = rem % xb[i];
                    rem /= xb[i];
                    int ja = i - (xbn - abn), jb = i - (xbn - bbn);
                    if (ja >= 0) { if (as[ja] != 1) ia += c * sa; sa *= as[ja]; }
                    if (jb >= 0) { if (bs[jb] != 1) ib += c * sb; sb *= bs[jb]; }
                }
                for (int64_t i = 0; i < m; i++)
                    for (int64_t j = 0; j < n; j++) {
                        long double sum = 0, mag = 0;
                        for (int64_t p = 0; p < k; p++) {
                            long double u = a[ia * m * k + i * k + p], v = b[ib * k * n + p * n + j];
                            sum += u * v;
                            mag += fabsl(u * v);
                        }
                        double got = x[t * m * n + i * n + j];
                        double r = mag == 0 ? (got == 0 ? 0 : INFINITY)
                                            : (double)(fabsl((long double)got - sum) / (mag * k * eps));
                        if (!(r <= worst)) worst = r;
                    }
            }
            h_ratio("matmul", want_dt, worst, H_THRESHOLD, what);
        }
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    free(a);
    free(b);
    free(x);
}

static void helpers(const h_dev *dev) {
    /* matmul shapes, broadcasting, 1-D promotion, dtype promotion */
    {
        int64_t as[2] = {3, 4}, bs[2] = {4, 5}, xs[2] = {3, 5};
        matmul_case(dev, as, 2, bs, 2, LAPIS_FLOAT64, LAPIS_FLOAT64, LAPIS_FLOAT64, xs, 2);
        matmul_case(dev, as, 2, bs, 2, LAPIS_FLOAT32, LAPIS_FLOAT32, LAPIS_FLOAT32, xs, 2);
        matmul_case(dev, as, 2, bs, 2, LAPIS_FLOAT32, LAPIS_FLOAT64, LAPIS_FLOAT64, xs, 2);
        matmul_case(dev, as, 2, bs, 2, LAPIS_INT32, LAPIS_INT32, LAPIS_FLOAT32, xs, 2);
    }
    {
        int64_t as[4] = {2, 1, 3, 4}, bs[3] = {5, 4, 2}, xs[4] = {2, 5, 3, 2};
        matmul_case(dev, as, 4, bs, 3, LAPIS_FLOAT64, LAPIS_FLOAT64, LAPIS_FLOAT64, xs, 4);
    }
    {
        int64_t as[1] = {4}, bs[3] = {3, 4, 6}, xs[2] = {3, 6};
        matmul_case(dev, as, 1, bs, 3, LAPIS_FLOAT32, LAPIS_FLOAT32, LAPIS_FLOAT32, xs, 2);
        int64_t as2[3] = {3, 6, 4}, bs2[1] = {4}, xs2[2] = {3, 6};
        matmul_case(dev, as2, 3, bs2, 1, LAPIS_FLOAT64, LAPIS_FLOAT64, LAPIS_FLOAT64, xs2, 2);
        int64_t v[1] = {7};
        matmul_case(dev, v, 1, v, 1, LAPIS_FLOAT64, LAPIS_FLOAT64, LAPIS_FLOAT64, NULL, 0);
        int64_t big_a[2] = {70, 65}, big_b[2] = {65, 66}, big_x[2] = {70, 66};
        matmul_case(dev, big_a, 2, big_b, 2, LAPIS_FLOAT32, LAPIS_FLOAT32, LAPIS_FLOAT32, big_x, 2);
        int64_t za[2] = {3, 0}, zb[2] = {0, 2}, zx[2] = {3, 2};
        matmul_case(dev, za, 2, zb, 2, LAPIS_FLOAT64, LAPIS_FLOAT64, LAPIS_FLOAT64, zx, 2);
    }
    /* transpose */
    double v[24], t[24];
    for (int i = 0; i < 24; i++) v[i] = i;
    int64_t sh[3] = {2, 3, 4};
    lapis_array V = h_array(v, sh, 3, LAPIS_INT32), T = NULL;
    if (V && H_OK(lapis_transpose(&T, V, dev->stream))) {
        H_OK(h_read(T, t));
        bool ok = lapis_array_shape(T)[1] == 4 && lapis_array_shape(T)[2] == 3 &&
                  lapis_array_dtype(T) == LAPIS_INT32;
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) ok &= t[b * 12 + j * 3 + i] == v[b * 12 + i * 4 + j];
        H_CHECK(ok, "transpose");
    }
    lapis_array_free(V);
    lapis_array_free(T);
    /* eye */
    lapis_array E = NULL;
    if (H_OK(lapis_eye(&E, 3, 5, LAPIS_FLOAT32))) {
        double e[15];
        H_OK(h_read(E, e));
        bool ok = lapis_array_shape(E)[0] == 3 && lapis_array_shape(E)[1] == 5;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++) ok &= e[i * 5 + j] == (i == j);
        H_CHECK(ok, "eye(3, 5)");
    }
    lapis_array_free(E);
    E = NULL;
    if (H_OK(lapis_eye(&E, 4, -1, LAPIS_COMPLEX128)))
        H_CHECK(lapis_array_shape(E)[1] == 4 && lapis_array_dtype(E) == LAPIS_COMPLEX128, "eye(4)");
    lapis_array_free(E);
    /* astype: rounding, truncation, NaN to int, complex to real */
    double src[5] = {1.0 + 1e-12, -2.7, NAN, 3e10, -0.5};
    int64_t s5[1] = {5};
    lapis_array S = h_array(src, s5, 1, LAPIS_FLOAT64), C = NULL;
    if (S && H_OK(lapis_astype(&C, S, LAPIS_FLOAT32, dev->stream))) {
        float f[5];
        H_OK(lapis_array_read(C, f, sizeof f));
        H_CHECK(f[0] == 1.0f && f[1] == (float)-2.7 && isnan(f[2]), "astype f64->f32");
    }
    lapis_array_free(C);
    C = NULL;
    if (S && H_OK(lapis_astype(&C, S, LAPIS_INT32, dev->stream))) {
        int32_t iv[5];
        H_OK(lapis_array_read(C, iv, sizeof iv));
        H_CHECK(iv[0] == 1 && iv[1] == -2 && iv[2] == 0 && iv[3] == INT32_MAX && iv[4] == 0,
                "astype f64->int32: %d %d %d %d %d", iv[0], iv[1], iv[2], iv[3], iv[4]);
    }
    lapis_array_free(C);
    lapis_array_free(S);
    double cx[4] = {1.5, -2, 3, 4};
    int64_t s2[1] = {2};
    lapis_array CX = NULL, R = NULL;
    if (H_OK(lapis_array_from_data(&CX, cx, s2, 1, LAPIS_COMPLEX128)) &&
        H_OK(lapis_astype(&R, CX, LAPIS_FLOAT64, dev->stream))) {
        double r[2];
        H_OK(lapis_array_read(R, r, sizeof r));
        H_CHECK(r[0] == 1.5 && r[1] == 3, "astype complex->real keeps the real part");
    }
    lapis_array_free(CX);
    lapis_array_free(R);
    /* random_normal: reproducible, seeded, float32 = rounded float64, moments */
    int64_t rs[2] = {100, 100};
    lapis_array N1 = NULL, N2 = NULL, N3 = NULL, N4 = NULL;
    if (H_OK(lapis_random_normal(&N1, rs, 2, LAPIS_FLOAT64, 42)) &&
        H_OK(lapis_random_normal(&N2, rs, 2, LAPIS_FLOAT64, 42)) &&
        H_OK(lapis_random_normal(&N3, rs, 2, LAPIS_FLOAT64, 43)) &&
        H_OK(lapis_random_normal(&N4, rs, 2, LAPIS_FLOAT32, 42))) {
        double *r1 = h_alloc(10000 * sizeof(double)), *r2 = h_alloc(10000 * sizeof(double));
        double *r3 = h_alloc(10000 * sizeof(double)), *r4 = h_alloc(10000 * sizeof(double));
        H_OK(h_read(N1, r1));
        H_OK(h_read(N2, r2));
        H_OK(h_read(N3, r3));
        H_OK(h_read(N4, r4));
        double mean = 0, var = 0;
        bool same32 = true;
        for (int i = 0; i < 10000; i++) {
            mean += r1[i];
            same32 &= r4[i] == (double)(float)r1[i];
        }
        mean /= 10000;
        for (int i = 0; i < 10000; i++) var += (r1[i] - mean) * (r1[i] - mean);
        var /= 9999;
        H_CHECK(memcmp(r1, r2, 10000 * sizeof(double)) == 0, "random_normal not reproducible");
        H_CHECK(memcmp(r1, r3, 10000 * sizeof(double)) != 0, "random_normal ignores the seed");
        H_CHECK(fabs(mean) < 0.05 && fabs(var - 1) < 0.05 && h_all_finite(r1, 10000),
                "random_normal moments: mean %g var %g", mean, var);
        H_CHECK(same32, "random_normal float32 is not the rounded float64 stream");
        free(r1);
        free(r2);
        free(r3);
        free(r4);
    }
    lapis_array_free(N1);
    lapis_array_free(N2);
    lapis_array_free(N3);
    lapis_array_free(N4);
    /* allclose */
    double p[4] = {1, 2, 3, 4}, q[4] = {1, 2, 3, 4 + 1e-9}, w[4] = {1, 2, 3, 4.1}, nanv[4] = {1, NAN, 3, 4};
    int64_t s4[1] = {4}, s14[2] = {1, 4}, s24[2] = {2, 4}, s3[1] = {3};
    double p2[8] = {1, 2, 3, 4, 1, 2, 3, 4};
    lapis_array P = h_array(p, s4, 1, LAPIS_FLOAT64), Q = h_array(q, s4, 1, LAPIS_FLOAT32);
    lapis_array W = h_array(w, s4, 1, LAPIS_FLOAT64), NA = h_array(nanv, s4, 1, LAPIS_FLOAT64);
    lapis_array P14 = h_array(p, s14, 2, LAPIS_FLOAT64), P24 = h_array(p2, s24, 2, LAPIS_FLOAT64);
    lapis_array P3 = h_array(p, s3, 1, LAPIS_FLOAT64);
    bool r = false;
    if (P && Q && W && NA && P14 && P24 && P3) {
        H_OK(lapis_allclose(&r, P, Q, 1e-5, 1e-8));
        H_CHECK(r, "allclose equal");
        H_OK(lapis_allclose(&r, P, W, 1e-5, 1e-8));
        H_CHECK(!r, "allclose different");
        H_OK(lapis_allclose(&r, P, W, 0, 0.2));
        H_CHECK(r, "allclose atol");
        H_OK(lapis_allclose(&r, NA, NA, 1, 1));
        H_CHECK(!r, "allclose NaN");
        H_OK(lapis_allclose(&r, P14, P24, 0, 0));
        H_CHECK(r, "allclose broadcasting");
        H_OK(lapis_allclose(&r, P, P3, 1, 1));
        H_CHECK(!r, "allclose shapes that do not broadcast");
    }
    lapis_array arrs[] = {P, Q, W, NA, P14, P24, P3};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) lapis_array_free(arrs[i]);
}

/* A GPU op's workspace stays in the device's pool after the call (up to
 * LAPIS_CACHE_MB), counted by lapis_memory_cache_bytes, until
 * lapis_memory_cache_clear gives it back. solve at n = 100 factors into a
 * workspace of batch n^2 elements. */
static void gpu_workspace_pool(const h_dev *dev) {
    const char *env = getenv("LAPIS_CACHE_MB");
    if (dev->dev.type != LAPIS_GPU || (env && atol(env) < 2)) return;
    enum { N = 100, B = 4 };
    int64_t as[3] = {B, N, N}, bs[3] = {B, N, 1};
    double *a = h_alloc(sizeof(double) * B * N * N), b[B * N];
    for (int j = 0; j < B; j++)
        memcpy(a + (size_t)j * N * N, h_gen(MATGEN_SPD, N, 10, false, 0, 7 + j),
               sizeof(double) * N * N);
    for (int i = 0; i < B * N; i++) b[i] = 1.0 + i % 7;
    lapis_array A = h_array(a, as, 3, LAPIS_FLOAT64), Bv = h_array(b, bs, 3, LAPIS_FLOAT64);
    lapis_array X = NULL;
    lapis_memory_cache_clear();
    if (A && Bv && H_OK(lapis_linalg_solve(&X, A, Bv, dev->stream)) &&
        H_OK(lapis_synchronize(dev->stream))) {
        size_t held = lapis_memory_cache_bytes();
        H_CHECK(held >= sizeof(double) * B * N * N,
                "after a GPU solve the cache holds %zu bytes, want its workspace (%zu) at least",
                held, sizeof(double) * B * N * N);
    }
    lapis_array_free(X);
    lapis_array_free(Bv);
    lapis_array_free(A);
    lapis_memory_cache_clear();
    H_CHECK(lapis_memory_cache_bytes() == 0, "after lapis_memory_cache_clear: %zu bytes",
            lapis_memory_cache_bytes());
    free(a);
}

int main(void) {
    h_init("test_api");
    arrays();
    devices_streams();
    for (int d = 0; d < h_ndev(); d++) {
        guarded_op_read(h_dev_at(d));
        helpers(h_dev_at(d));
        gpu_workspace_pool(h_dev_at(d));
    }
    return h_finish();
}
