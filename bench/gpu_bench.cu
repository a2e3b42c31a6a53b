/*
 * GPU benchmark: lapis's CUDA kernels against cuSOLVER / cuBLAS called
 * directly, in the same run, on the same inputs.
 *
 * Method: inputs generated on the device (hash RNG, never zeros), lapis reads
 * a pristine input (its kernels are out of place), in-place peers get the
 * input copied back before every call (outside the timed region); 2 warm-up
 * calls, then the median of R calls timed with CUDA events on one stream.
 * Every timed answer is checked: backward-error ratio
 *   ||A y - F y|| / (n eps ||A||_F ||y||)  (factorizations, random y),
 *   ||A x - b|| / (n eps ||A||_F ||x||)     (solves),
 *   ||v - A X v|| / (n eps ||A||_F ||X||_F ||v||)  (inverses),
 * on up to 512 matrices spread over the batch, in double on the host.
 * floor = max(bytes / 2.94 TB/s, flops / GEMM ceiling), both measured on the
 * H100 (PEERS.md): f64 56.8, f32 51.0 TFLOP/s.
 */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "../src/cuda/cuda_api.h"
#include "../src/kernels.h"
#include "bench.h"

#define BW_BYTES_S 2.94e12
#define PEAK_F64 56.8e12
#define PEAK_F32 51.0e12

#define CK(call)                                                                                 \
    do {                                                                                         \
        cudaError_t e_ = (call);                                                                 \
        if (e_ != cudaSuccess) {                                                                 \
            fprintf(stderr, "gpu bench: %s: %s\n", #call, cudaGetErrorString(e_));             \
            return -1;                                                                           \
        }                                                                                        \
    } while (0)
#define CB(call)                                                                                 \
    do {                                                                                         \
        int s_ = (int)(call);                                                                    \
        if (s_ != 0) {                                                                           \
            fprintf(stderr, "gpu bench: %s: status %d\n", #call, s_);                           \
            return -1;                                                                           \
        }                                                                                        \
    } while (0)

namespace {

enum gen_kind { GEN_SPD, GEN_GENERAL, GEN_LOWER };

__device__ __host__ inline double hash_u(uint64_t seed, uint64_t i) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull + 0x94D049BB133111EBull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) / 9007199254740992.0) * 2.0 - 1.0; /* [-1, 1) */
}

/* Element (i, j) of matrix b; colmajor stores it at j * rows + i. */
template <typename T>
__global__ void gen_kernel(T *x, int64_t rows, int64_t cols, int64_t batch, gen_kind kind,
                           uint64_t seed, bool colmajor) {
    int64_t per = rows * cols, total = per * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = e / per, r = e - b * per, i, j;
        if (colmajor) {
            j = r / rows;
            i = r - j * rows;
        } else {
            i = r / cols;
            j = r - i * cols;
        }
        double v;
        if (kind == GEN_SPD) {
            int64_t lo = i < j ? i : j, hi = i < j ? j : i;
            v = i == j ? (double)cols + 1.0 : hash_u(seed + b, (uint64_t)(lo * cols + hi));
        } else if (kind == GEN_LOWER) {
            v = i == j ? (double)cols : hash_u(seed + b, (uint64_t)(i * cols + j));
        } else {
            v = hash_u(seed + b, (uint64_t)(i * cols + j));
        }
        x[e] = (T)v;
    }
}

template <typename T>
static int gen(T *x, int64_t rows, int64_t cols, int64_t batch, gen_kind kind, uint64_t seed,
               bool colmajor, cudaStream_t s) {
    int64_t total = rows * cols * batch;
    int64_t blocks = (total + 255) / 256;
    if (blocks > (1 << 20)) blocks = 1 << 20;
    gen_kernel<T><<<(unsigned)blocks, 256, 0, s>>>(x, rows, cols, batch, kind, seed, colmajor);
    CK(cudaGetLastError());
    return 0;
}

template <typename T> __global__ void ptr_kernel(T **p, T *base, int64_t stride, int64_t batch) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < batch;
         i += (int64_t)gridDim.x * blockDim.x)
        p[i] = base + i * stride;
}

template <typename T> static int ptrs(T **p, T *base, int64_t stride, int64_t batch) {
    ptr_kernel<T><<<(unsigned)std::min<int64_t>((batch + 255) / 256, 65535), 256>>>(p, base, stride,
                                                                                   batch);
    CK(cudaGetLastError());
    return 0;
}

/* ---- host-side checks ---------------------------------------------------------- */

struct mat {
    const double *d; /* host copy in double */
    int64_t n;
    bool col; /* column-major storage */
    double at(int64_t i, int64_t j) const { return col ? d[j * n + i] : d[i * n + j]; }
};

static double fro(const mat &a, int tri /* 0 full, 1 lower, 2 upper */) {
    double s = 0;
    for (int64_t i = 0; i < a.n; i++)
        for (int64_t j = 0; j < a.n; j++) {
            double v = a.at(i, j);
            if (tri == 1 && j > i) v = a.at(j, i);
            if (tri == 2 && j < i) v = a.at(j, i);
            s += v * v;
        }
    return sqrt(s);
}

static double nrm(const std::vector<double> &v) {
    double s = 0;
    for (double x : v) s += x * x;
    return sqrt(s);
}

/* y = A x for symmetric A read from its lower triangle (tri = 1) or full */
static void matvec(const mat &a, int tri, const std::vector<double> &x, std::vector<double> &y) {
    int64_t n = a.n;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < n; j++) {
            double v = (tri == 1 && j > i) ? a.at(j, i) : a.at(i, j);
            s += v * x[j];
        }
        y[i] = s;
    }
}

static double ratio_or_inf(double num, double den) {
    if (!(num == num)) return INFINITY;
    return den > 0 ? num / den : (num == 0 ? 0 : INFINITY);
}

/* Cholesky: A y vs L (Lᵀ y); factor lower in f (row-major lower == col-major upper) */
static double check_chol(const mat &a, const mat &f, double eps) {
    int64_t n = a.n;
    std::vector<double> y(n), ay(n), t(n), fy(n);
    for (int64_t i = 0; i < n; i++) y[i] = hash_u(7, (uint64_t)i);
    matvec(a, 1, y, ay);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = i; j < n; j++) s += f.at(j, i) * y[j]; /* (Lᵀ y)_i */
        t[i] = s;
    }
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j <= i; j++) s += f.at(i, j) * t[j];
        fy[i] = s - ay[i];
    }
    return ratio_or_inf(nrm(fy), n * eps * fro(a, 1) * nrm(y));
}

/* LU: P A = L U, ipiv 0-based; A y vs Pᵀ L U y */
static double check_lu(const mat &a, const mat &f, const int64_t *piv, double eps) {
    int64_t n = a.n;
    std::vector<double> y(n), ay(n), t(n), z(n);
    for (int64_t i = 0; i < n; i++) y[i] = hash_u(11, (uint64_t)i);
    matvec(a, 0, y, ay);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = i; j < n; j++) s += f.at(i, j) * y[j];
        t[i] = s;
    }
    for (int64_t i = 0; i < n; i++) {
        double s = t[i];
        for (int64_t j = 0; j < i; j++) s += f.at(i, j) * t[j];
        z[i] = s;
    }
    for (int64_t k = n - 1; k >= 0; k--) std::swap(z[k], z[piv[k]]);
    for (int64_t i = 0; i < n; i++) z[i] -= ay[i];
    return ratio_or_inf(nrm(z), n * eps * fro(a, 0) * nrm(y));
}

/* solve: ||A x - b|| / (n eps ||A|| ||x||); tri: A lower triangular */
static double check_solve(const mat &a, const double *x, const double *b, bool tri, double eps) {
    int64_t n = a.n;
    std::vector<double> r(n), xv(x, x + n);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < (tri ? i + 1 : n); j++) s += a.at(i, j) * x[j];
        r[i] = s - b[i];
    }
    double an = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < (tri ? i + 1 : n); j++) an += a.at(i, j) * a.at(i, j);
    return ratio_or_inf(nrm(r), n * eps * sqrt(an) * nrm(xv));
}

static double check_inv(const mat &a, const mat &x, double eps) {
    int64_t n = a.n;
    std::vector<double> v(n), xv(n), r(n);
    for (int64_t i = 0; i < n; i++) v[i] = hash_u(13, (uint64_t)i);
    matvec(x, 0, v, xv);
    matvec(a, 0, xv, r);
    for (int64_t i = 0; i < n; i++) r[i] = v[i] - r[i];
    return ratio_or_inf(nrm(r), n * eps * fro(a, 0) * fro(x, 0) * nrm(v));
}

/* ---- timing -------------------------------------------------------------------- */

struct timer {
    cudaStream_t s;
    cudaEvent_t e0, e1;
};

static __global__ void bench_empty_kernel() {}

template <typename F, typename R>
static double time_median(timer &t, int reps, F call, R reset) {
    std::vector<float> ms;
    for (int i = 0; i < reps + 2; i++) {
        reset();
        cudaEventRecord(t.e0, t.s);
        call();
        cudaEventRecord(t.e1, t.s);
        cudaEventSynchronize(t.e1);
        float m = 0;
        cudaEventElapsedTime(&m, t.e0, t.e1);
        if (i >= 2) ms.push_back(m);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

struct ctx {
    const bench_options *opt;
    timer t;
    cublasHandle_t cb;
    cusolverDnHandle_t cs;
    const lapis_backend *be;
    lapis_exec ex;
    FILE *csv;
    double worst_lapis = 0, worst_peer = 0;
    int fails = 0;
};

struct result {
    double lapis_ms, peer_ms, lerr, perr;
    int lfail, pfail;
};

static void report(ctx &c, const char *op, const char *dt, int64_t n, int64_t batch, const char *peer,
                   const result &r, double bytes, double flops, bool f64) {
    double floor_ms = std::max(bytes / BW_BYTES_S, flops / (f64 ? PEAK_F64 : PEAK_F32)) * 1e3;
    double ratio = r.peer_ms / r.lapis_ms;
    printf("%-10s %-4s %6lld %8lld  %9.4f  %-26s %9.4f  %6.2fx  %5.1f%%  %8.2f %8.2f%s\n", op, dt,
           (long long)n, (long long)batch, r.lapis_ms, peer, r.peer_ms, ratio,
           100.0 * floor_ms / r.lapis_ms, r.lerr, r.perr,
           r.lfail ? "  LAPIS-INFO!=0" : r.pfail ? "  peer-info!=0" : "");
    fflush(stdout);
    if (c.csv)
        fprintf(c.csv, "%s,%s,%lld,%lld,%.6f,%s,%.6f,%.4f,%.6f,%.4f,%.3f,%.3f,%d,%d\n", op, dt,
                (long long)n, (long long)batch, r.lapis_ms, peer, r.peer_ms, ratio, floor_ms,
                floor_ms / r.lapis_ms, r.lerr, r.perr, r.lfail, r.pfail);
    c.worst_lapis = std::max(c.worst_lapis, r.lerr);
    c.worst_peer = std::max(c.worst_peer, r.perr);
    if (r.lfail || !(r.lerr < 100)) c.fails++;
}

static int64_t reps_for(double est_ms, const bench_options *o) {
    int r = est_ms > 50 ? 3 : est_ms > 5 ? 5 : 15;
    return o->quick ? std::max(3, r / 2) : r;
}

/* copy n x n matrices (count of them, stride nn) to host double */
template <typename T>
static std::vector<double> to_host(const T *d, int64_t count) {
    std::vector<T> h((size_t)count);
    cudaMemcpy(h.data(), d, (size_t)count * sizeof(T), cudaMemcpyDeviceToHost);
    return std::vector<double>(h.begin(), h.end());
}

/* matrices checked: up to 512 spread over the batch */
static std::vector<int64_t> sample(int64_t batch) {
    std::vector<int64_t> v;
    int64_t step = batch > 512 ? batch / 512 : 1;
    for (int64_t i = 0; i < batch; i += step) v.push_back(i);
    if (v.back() != batch - 1) v.push_back(batch - 1);
    return v;
}

template <typename T> static std::vector<double> host_mats(const T *d, int64_t nn, const std::vector<int64_t> &idx) {
    std::vector<double> out;
    out.reserve(idx.size() * nn);
    std::vector<T> h((size_t)nn);
    for (int64_t i : idx) {
        cudaMemcpy(h.data(), d + i * nn, (size_t)nn * sizeof(T), cudaMemcpyDeviceToHost);
        out.insert(out.end(), h.begin(), h.end());
    }
    return out;
}

static bool any_nonzero(const int32_t *d, int64_t batch) {
    std::vector<int32_t> h((size_t)batch);
    cudaMemcpy(h.data(), d, (size_t)batch * sizeof(int32_t), cudaMemcpyDeviceToHost);
    for (int32_t v : h)
        if (v) return true;
    return false;
}

template <typename T> struct cu;
template <> struct cu<float> {
    static constexpr const char *name = "f32";
    static constexpr cudaDataType dt = CUDA_R_32F;
    static constexpr double eps = FLT_EPSILON;
    static cusolverStatus_t potrfB(cusolverDnHandle_t h, int n, float **A, int *info, int b) {
        return cusolverDnSpotrfBatched(h, CUBLAS_FILL_MODE_UPPER, n, A, n, info, b);
    }
    static cublasStatus_t getrfB(cublasHandle_t h, int n, float **A, int *P, int *info, int b) {
        return cublasSgetrfBatched(h, n, A, n, P, info, b);
    }
    static cublasStatus_t getrsB(cublasHandle_t h, int n, float **A, int *P, float **B, int *info, int b) {
        return cublasSgetrsBatched(h, CUBLAS_OP_N, n, 1, (const float *const *)A, n, P, B, n, info, b);
    }
    static cublasStatus_t getriB(cublasHandle_t h, int n, float **A, int *P, float **C, int *info, int b) {
        return cublasSgetriBatched(h, n, (const float *const *)A, n, P, C, n, info, b);
    }
    static cublasStatus_t matinvB(cublasHandle_t h, int n, float **A, float **C, int *info, int b) {
        return cublasSmatinvBatched(h, n, (const float *const *)A, n, C, n, info, b);
    }
    static cublasStatus_t trsmB(cublasHandle_t h, int n, float **A, float **B, int b) {
        const float one = 1;
        /* column-major lower A (the row-major upper copy), one rhs */
        return cublasStrsmBatched(h, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N,
                                  CUBLAS_DIAG_NON_UNIT, n, 1, &one, (const float *const *)A, n, B,
                                  n, b);
    }
};
template <> struct cu<double> {
    static constexpr const char *name = "f64";
    static constexpr cudaDataType dt = CUDA_R_64F;
    static constexpr double eps = DBL_EPSILON;
    static cusolverStatus_t potrfB(cusolverDnHandle_t h, int n, double **A, int *info, int b) {
        return cusolverDnDpotrfBatched(h, CUBLAS_FILL_MODE_UPPER, n, A, n, info, b);
    }
    static cublasStatus_t getrfB(cublasHandle_t h, int n, double **A, int *P, int *info, int b) {
        return cublasDgetrfBatched(h, n, A, n, P, info, b);
    }
    static cublasStatus_t getrsB(cublasHandle_t h, int n, double **A, int *P, double **B, int *info, int b) {
        return cublasDgetrsBatched(h, CUBLAS_OP_N, n, 1, (const double *const *)A, n, P, B, n, info, b);
    }
    static cublasStatus_t getriB(cublasHandle_t h, int n, double **A, int *P, double **C, int *info, int b) {
        return cublasDgetriBatched(h, n, (const double *const *)A, n, P, C, n, info, b);
    }
    static cublasStatus_t matinvB(cublasHandle_t h, int n, double **A, double **C, int *info, int b) {
        return cublasDmatinvBatched(h, n, (const double *const *)A, n, C, n, info, b);
    }
    static cublasStatus_t trsmB(cublasHandle_t h, int n, double **A, double **B, int b) {
        const double one = 1;
        return cublasDtrsmBatched(h, CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N,
                                  CUBLAS_DIAG_NON_UNIT, n, 1, &one, (const double *const *)A, n, B,
                                  n, b);
    }
};

/* ---- the cases ----------------------------------------------------------------- */

/* Batched (and single: batch 1, n large uses the cusolverDnX peers). */
template <typename T> static int run_chol(ctx &c, int64_t n, int64_t batch) {
    int64_t nn = n * n;
    size_t bytes = (size_t)(nn * batch) * sizeof(T);
    T *a, *l, *w, **pw;
    int32_t *info;
    int *pinfo;
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&l, bytes));
    CK(cudaMalloc(&w, bytes));
    CK(cudaMalloc(&pw, (size_t)batch * sizeof(T *)));
    CK(cudaMalloc(&info, (size_t)batch * 4));
    CK(cudaMalloc(&pinfo, (size_t)batch * 4));
    if (gen<T>(a, n, n, batch, GEN_SPD, 1234 + n, false, c.t.s) || ptrs<T>(pw, w, nn, batch)) return -1;
    CK(cudaDeviceSynchronize());
    lapis_factor_args args = {};
    args.dtype = sizeof(T) == 8 ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
    args.m = args.n = n;
    args.batch = batch;
    args.a = a;
    args.out = l;
    args.info = info;
    double est = (double)bytes / 2.9e9 + (double)n * n * n * batch / 3 / 2e10;
    int reps = (int)reps_for(est, c.opt);
    result r = {};
    lapis_status lst = LAPIS_OK;
    r.lapis_ms = time_median(c.t, reps, [&] { lst = c.be->cholesky(&args, &c.ex); }, [] {});
    if (lst) {
        fprintf(stderr, "lapis cholesky failed: %d\n", (int)lst);
        return -1;
    }
    /* peer */
    void *dwork = nullptr, *hwork = nullptr;
    size_t dws = 0, hws = 0;
    int64_t *xinfo_unused = nullptr;
    (void)xinfo_unused;
    cusolverDnParams_t params = nullptr;
    const char *peer;
    auto reset = [&] { cudaMemcpyAsync(w, a, bytes, cudaMemcpyDeviceToDevice, c.t.s); };
    if (batch == 1 && n > 256) {
        peer = "cusolverDnXpotrf";
        CB(cusolverDnCreateParams(&params));
        CB(cusolverDnXpotrf_bufferSize(c.cs, params, CUBLAS_FILL_MODE_UPPER, n, cu<T>::dt, w, n,
                                       cu<T>::dt, &dws, &hws));
        CK(cudaMalloc(&dwork, dws ? dws : 16));
        hwork = malloc(hws ? hws : 16);
        r.peer_ms = time_median(c.t, reps, [&] {
            cusolverDnXpotrf(c.cs, params, CUBLAS_FILL_MODE_UPPER, n, cu<T>::dt, w, n, cu<T>::dt,
                             dwork, dws, hwork, hws, pinfo);
        }, reset);
    } else {
        peer = "cusolverDnpotrfBatched";
        r.peer_ms = time_median(c.t, reps, [&] { cu<T>::potrfB(c.cs, (int)n, pw, pinfo, (int)batch); },
                                reset);
    }
    CK(cudaDeviceSynchronize());
    r.lfail = any_nonzero(info, batch);
    r.pfail = any_nonzero(pinfo, batch > 1 ? batch : 1);
    std::vector<int64_t> idx = sample(batch);
    if (n >= 4096) idx.resize(1);
    std::vector<double> ha = host_mats(a, nn, idx), hl = host_mats(l, nn, idx), hw = host_mats(w, nn, idx);
    for (size_t q = 0; q < idx.size(); q++) {
        mat A = {ha.data() + q * nn, n, false}, L = {hl.data() + q * nn, n, false},
            P = {hw.data() + q * nn, n, false};
        r.lerr = std::max(r.lerr, check_chol(A, L, cu<T>::eps));
        r.perr = std::max(r.perr, check_chol(A, P, cu<T>::eps));
    }
    report(c, "cholesky", cu<T>::name, n, batch, peer, r, 2.0 * bytes, (double)n * n * n / 3 * batch,
           sizeof(T) == 8);
    if (params) cusolverDnDestroyParams(params);
    cudaFree(dwork);
    free(hwork);
    cudaFree(a); cudaFree(l); cudaFree(w); cudaFree(pw); cudaFree(info); cudaFree(pinfo);
    return 0;
}

/* op: 0 lu_factor, 1 solve (1 rhs), 2 inv */
template <typename T> static int run_lu(ctx &c, int op, int64_t n, int64_t batch) {
    int64_t nn = n * n;
    size_t bytes = (size_t)(nn * batch) * sizeof(T), vb = (size_t)(n * batch) * sizeof(T);
    T *a, *ac, *out, *w, *w2, *b, *x, *pb_, **pw, **pw2, **pbb;
    uint32_t *ipiv;
    int32_t *info;
    int *pinfo, *ppiv;
    int64_t *xpiv = nullptr;
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&ac, bytes));
    CK(cudaMalloc(&out, bytes));
    CK(cudaMalloc(&w, bytes));
    CK(cudaMalloc(&w2, op == 2 ? bytes : 16));
    CK(cudaMalloc(&b, vb));
    CK(cudaMalloc(&x, vb));
    CK(cudaMalloc(&pb_, vb));
    CK(cudaMalloc(&pw, (size_t)batch * sizeof(T *)));
    CK(cudaMalloc(&pw2, (size_t)batch * sizeof(T *)));
    CK(cudaMalloc(&pbb, (size_t)batch * sizeof(T *)));
    CK(cudaMalloc(&ipiv, (size_t)(n * batch) * 4));
    CK(cudaMalloc(&ppiv, (size_t)(n * batch) * 4));
    CK(cudaMalloc(&info, (size_t)batch * 4));
    CK(cudaMalloc(&pinfo, (size_t)batch * 4));
    if (gen<T>(a, n, n, batch, GEN_GENERAL, 99 + n, false, c.t.s) ||
        gen<T>(ac, n, n, batch, GEN_GENERAL, 99 + n, true, c.t.s) ||
        gen<T>(b, n, 1, batch, GEN_GENERAL, 555, false, c.t.s) || ptrs<T>(pw, w, nn, batch) ||
        ptrs<T>(pw2, w2, nn, batch) || ptrs<T>(pbb, pb_, n, batch))
        return -1;
    CK(cudaDeviceSynchronize());
    lapis_dtype dt = sizeof(T) == 8 ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
    lapis_factor_args fa = {};
    fa.dtype = dt;
    fa.m = fa.n = n;
    fa.batch = batch;
    fa.a = a;
    fa.out = out;
    fa.ipiv = ipiv;
    fa.info = info;
    lapis_solve_args sa = {};
    sa.dtype = dt;
    sa.n = n;
    sa.k = 1;
    sa.batch = batch;
    sa.a = a;
    sa.b = b;
    sa.x = x;
    sa.info = info;
    double flops = op == 0 ? 2.0 / 3 * n * n * n : op == 1 ? 2.0 / 3 * n * n * n + 2.0 * n * n
                                                           : 2.0 * n * n * n;
    flops *= batch;
    double est = (double)bytes / 2.9e9 + flops / 2e10;
    int reps = (int)reps_for(est, c.opt);
    result r = {};
    lapis_status lst = LAPIS_OK;
    const char *opname = op == 0 ? "lu_factor" : op == 1 ? "solve" : "inv";
    r.lapis_ms = time_median(c.t, reps, [&] {
        lst = op == 0 ? c.be->lu_factor(&fa, &c.ex) : op == 1 ? c.be->solve(&sa, &c.ex)
                                                             : c.be->inv(&fa, &c.ex);
    }, [] {});
    if (lst) {
        fprintf(stderr, "lapis %s failed: %d\n", opname, (int)lst);
        return -1;
    }
    const char *peer;
    cusolverDnParams_t params = nullptr;
    void *dwork = nullptr, *hwork = nullptr;
    size_t dws = 0, hws = 0;
    int hinfo = 0;
    auto reset = [&] {
        cudaMemcpyAsync(w, ac, bytes, cudaMemcpyDeviceToDevice, c.t.s);
        if (op == 1) cudaMemcpyAsync(pb_, b, vb, cudaMemcpyDeviceToDevice, c.t.s);
    };
    if (batch == 1 && n > 256) {
        if (op == 2) return 0; /* no single-matrix inverse peer */
        peer = op == 0 ? "cusolverDnXgetrf" : "cusolverDnXgetrf+Xgetrs";
        CK(cudaMalloc(&xpiv, (size_t)n * 8));
        CB(cusolverDnCreateParams(&params));
        CB(cusolverDnXgetrf_bufferSize(c.cs, params, n, n, cu<T>::dt, w, n, cu<T>::dt, &dws, &hws));
        CK(cudaMalloc(&dwork, dws ? dws : 16));
        hwork = malloc(hws ? hws : 16);
        r.peer_ms = time_median(c.t, reps, [&] {
            cusolverDnXgetrf(c.cs, params, n, n, cu<T>::dt, w, n, xpiv, cu<T>::dt, dwork, dws, hwork,
                             hws, pinfo);
            if (op == 1)
                cusolverDnXgetrs(c.cs, params, CUBLAS_OP_N, n, 1, cu<T>::dt, w, n, xpiv, cu<T>::dt,
                                 pb_, n, pinfo);
        }, reset);
    } else if (op == 0) {
        peer = "cublasgetrfBatched";
        r.peer_ms = time_median(c.t, reps, [&] { cu<T>::getrfB(c.cb, (int)n, pw, ppiv, pinfo, (int)batch); },
                                reset);
    } else if (op == 1) {
        peer = "cublasgetrf+getrsBatched";
        r.peer_ms = time_median(c.t, reps, [&] {
            cu<T>::getrfB(c.cb, (int)n, pw, ppiv, pinfo, (int)batch);
            cu<T>::getrsB(c.cb, (int)n, pw, ppiv, pbb, &hinfo, (int)batch);
        }, reset);
    } else if (n <= 32) {
        peer = "cublasmatinvBatched";
        r.peer_ms = time_median(c.t, reps, [&] { cu<T>::matinvB(c.cb, (int)n, pw, pw2, pinfo, (int)batch); },
                                reset);
    } else {
        peer = "cublasgetrf+getriBatched";
        r.peer_ms = time_median(c.t, reps, [&] {
            cu<T>::getrfB(c.cb, (int)n, pw, ppiv, pinfo, (int)batch);
            cu<T>::getriB(c.cb, (int)n, pw, ppiv, pw2, pinfo, (int)batch);
        }, reset);
    }
    CK(cudaDeviceSynchronize());
    r.lfail = any_nonzero(info, batch);
    r.pfail = op == 0 || n <= 256 || batch > 1 ? any_nonzero(pinfo, batch) : 0;
    if (op == 0 && batch == 1 && n > 256) r.pfail = any_nonzero(pinfo, 1);
    std::vector<int64_t> idx = sample(batch);
    if (n >= 4096) idx.resize(1);
    std::vector<double> ha = host_mats(a, nn, idx);
    if (op == 0) {
        std::vector<double> hl = host_mats(out, nn, idx), hw = host_mats(w, nn, idx);
        std::vector<int64_t> lp(n), pp(n);
        for (size_t q = 0; q < idx.size(); q++) {
            std::vector<uint32_t> u(n);
            cudaMemcpy(u.data(), ipiv + idx[q] * n, (size_t)n * 4, cudaMemcpyDeviceToHost);
            for (int64_t i = 0; i < n; i++) lp[i] = u[i];
            if (xpiv) {
                cudaMemcpy(pp.data(), xpiv, (size_t)n * 8, cudaMemcpyDeviceToHost);
                for (int64_t i = 0; i < n; i++) pp[i] -= 1;
            } else {
                std::vector<int> v(n);
                cudaMemcpy(v.data(), ppiv + idx[q] * n, (size_t)n * 4, cudaMemcpyDeviceToHost);
                for (int64_t i = 0; i < n; i++) pp[i] = v[i] - 1;
            }
            mat A = {ha.data() + q * nn, n, false}, L = {hl.data() + q * nn, n, false},
                Ac = {ha.data() + q * nn, n, true}, P = {hw.data() + q * nn, n, true};
            r.lerr = std::max(r.lerr, check_lu(A, L, lp.data(), cu<T>::eps));
            /* the peer factored the column-major copy, i.e. the same A */
            (void)Ac;
            r.perr = std::max(r.perr, check_lu(A, P, pp.data(), cu<T>::eps));
        }
    } else if (op == 1) {
        std::vector<double> hb = host_mats(b, n, idx), hx = host_mats(x, n, idx), hp = host_mats(pb_, n, idx);
        for (size_t q = 0; q < idx.size(); q++) {
            mat A = {ha.data() + q * nn, n, false};
            r.lerr = std::max(r.lerr, check_solve(A, hx.data() + q * n, hb.data() + q * n, false, cu<T>::eps));
            r.perr = std::max(r.perr, check_solve(A, hp.data() + q * n, hb.data() + q * n, false, cu<T>::eps));
        }
    } else {
        std::vector<double> hx = host_mats(out, nn, idx), hp = host_mats(w2, nn, idx);
        for (size_t q = 0; q < idx.size(); q++) {
            mat A = {ha.data() + q * nn, n, false}, X = {hx.data() + q * nn, n, false},
                P = {hp.data() + q * nn, n, true};
            r.lerr = std::max(r.lerr, check_inv(A, X, cu<T>::eps));
            r.perr = std::max(r.perr, check_inv(A, P, cu<T>::eps));
        }
    }
    double mb = op == 1 ? (double)bytes + 2.0 * vb : 2.0 * bytes;
    report(c, opname, cu<T>::name, n, batch, peer, r, mb, flops, sizeof(T) == 8);
    if (params) cusolverDnDestroyParams(params);
    cudaFree(dwork);
    free(hwork);
    cudaFree(xpiv);
    cudaFree(a); cudaFree(ac); cudaFree(out); cudaFree(w); cudaFree(w2); cudaFree(b); cudaFree(x);
    cudaFree(pb_); cudaFree(pw); cudaFree(pw2); cudaFree(pbb); cudaFree(ipiv); cudaFree(ppiv);
    cudaFree(info); cudaFree(pinfo);
    return 0;
}

/* solve_triangular, lower, one rhs, vs cublas trsmBatched */
template <typename T> static int run_trsm(ctx &c, int64_t n, int64_t batch) {
    int64_t nn = n * n;
    size_t bytes = (size_t)(nn * batch) * sizeof(T), vb = (size_t)(n * batch) * sizeof(T);
    T *a, *ac, *b, *x, *pbv, **pa, **pbb;
    int32_t *info;
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&ac, bytes));
    CK(cudaMalloc(&b, vb));
    CK(cudaMalloc(&x, vb));
    CK(cudaMalloc(&pbv, vb));
    CK(cudaMalloc(&pa, (size_t)batch * sizeof(T *)));
    CK(cudaMalloc(&pbb, (size_t)batch * sizeof(T *)));
    CK(cudaMalloc(&info, (size_t)batch * 4));
    if (gen<T>(a, n, n, batch, GEN_LOWER, 77 + n, false, c.t.s) ||
        gen<T>(ac, n, n, batch, GEN_LOWER, 77 + n, true, c.t.s) ||
        gen<T>(b, n, 1, batch, GEN_GENERAL, 321, false, c.t.s) || ptrs<T>(pa, ac, nn, batch) ||
        ptrs<T>(pbb, pbv, n, batch))
        return -1;
    CK(cudaDeviceSynchronize());
    lapis_solve_args sa = {};
    sa.dtype = sizeof(T) == 8 ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
    sa.n = n;
    sa.k = 1;
    sa.batch = batch;
    sa.a = a;
    sa.b = b;
    sa.x = x;
    sa.info = info;
    sa.upper = false;
    int reps = (int)reps_for((double)bytes / 1e9, c.opt);
    result r = {};
    lapis_status lst = LAPIS_OK;
    r.lapis_ms = time_median(c.t, reps, [&] { lst = c.be->trsm(&sa, &c.ex); }, [] {});
    if (lst) return -1;
    r.peer_ms = time_median(c.t, reps, [&] { cu<T>::trsmB(c.cb, (int)n, pa, pbb, (int)batch); },
                            [&] { cudaMemcpyAsync(pbv, b, vb, cudaMemcpyDeviceToDevice, c.t.s); });
    CK(cudaDeviceSynchronize());
    r.lfail = any_nonzero(info, batch);
    std::vector<int64_t> idx = sample(batch);
    std::vector<double> ha = host_mats(a, nn, idx), hb = host_mats(b, n, idx),
                        hx = host_mats(x, n, idx), hp = host_mats(pbv, n, idx);
    for (size_t q = 0; q < idx.size(); q++) {
        mat A = {ha.data() + q * nn, n, false};
        r.lerr = std::max(r.lerr, check_solve(A, hx.data() + q * n, hb.data() + q * n, true, cu<T>::eps));
        r.perr = std::max(r.perr, check_solve(A, hp.data() + q * n, hb.data() + q * n, true, cu<T>::eps));
    }
    report(c, "trsm", cu<T>::name, n, batch, "cublastrsmBatched", r, (double)bytes + 2.0 * vb,
           (double)n * n * batch, sizeof(T) == 8);
    cudaFree(a); cudaFree(ac); cudaFree(b); cudaFree(x); cudaFree(pbv); cudaFree(pa); cudaFree(pbb);
    cudaFree(info);
    return 0;
}

static bool want(const bench_options *o, const char *op) {
    if (!o->ops || !*o->ops) return true;
    const char *p = o->ops;
    size_t l = strlen(op);
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == l && strncmp(p, op, l) == 0) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

static bool want_n(const bench_options *o, int64_t n) {
    if (!o->sizes || !*o->sizes) return true;
    const char *p = o->sizes;
    while (*p) {
        char *e;
        long v = strtol(p, &e, 10);
        if (v == n) return true;
        if (*e != ',') break;
        p = e + 1;
    }
    return false;
}

template <typename T> static int run_all(ctx &c) {
    const bench_options *o = c.opt;
    struct nb { int64_t n, batch; };
    std::vector<nb> batched = {{4, 262144}, {8, 262144}, {16, 262144}, {32, 65536},
                               {64, 16384}, {128, 4096}, {256, 1024}};
    if (o->quick) batched = {{4, 65536}, {16, 65536}, {32, 16384}, {128, 1024}};
    int rc = 0;
    for (const nb &x : batched) {
        if (!want_n(o, x.n)) continue;
        int64_t batch = o->batch > 0 ? o->batch : x.batch;
        if (want(o, "cholesky")) rc |= run_chol<T>(c, x.n, batch);
        if (want(o, "lu_factor")) rc |= run_lu<T>(c, 0, x.n, batch);
        if (want(o, "solve")) rc |= run_lu<T>(c, 1, x.n, x.n == 16 && !o->quick && o->batch <= 0 ? 1048576 : batch);
        if (want(o, "inv")) rc |= run_lu<T>(c, 2, x.n, batch);
        if (want(o, "trsm")) rc |= run_trsm<T>(c, x.n, batch);
    }
    if (!o->quick && want_n(o, 256) && want(o, "lu_factor")) rc |= run_lu<T>(c, 0, 256, 4096);
    /* other orders named in --sizes, from 33 to 1000: batched, 2^26 / n² matrices (as the
     * suite's 64 to 256) unless --batch says */
    for (const char *q = o->sizes; q && *q;) {
        char *e;
        const long v = strtol(q, &e, 10);
        bool known = v <= 32 || v > 1000;
        for (const nb &x : batched) known |= x.n == v;
        if (!known) {
            const int64_t n = v, batch = o->batch > 0 ? o->batch : ((int64_t)1 << 26) / (n * n);
            if (want(o, "cholesky")) rc |= run_chol<T>(c, n, batch);
            if (want(o, "lu_factor")) rc |= run_lu<T>(c, 0, n, batch);
            if (want(o, "solve")) rc |= run_lu<T>(c, 1, n, batch);
            if (want(o, "inv")) rc |= run_lu<T>(c, 2, n, batch);
            if (want(o, "trsm")) rc |= run_trsm<T>(c, n, batch);
        }
        if (*e != ',') break;
        q = e + 1;
    }
    /* latency */
    for (int64_t n : {16, 32}) {
        if (!want_n(o, n)) continue;
        for (int64_t b : {1, 16, 64}) {
            if (o->quick && b == 16) continue;
            if (want(o, "cholesky")) rc |= run_chol<T>(c, n, b);
            if (want(o, "lu_factor")) rc |= run_lu<T>(c, 0, n, b);
            if (want(o, "solve")) rc |= run_lu<T>(c, 1, n, b);
            if (want(o, "inv")) rc |= run_lu<T>(c, 2, n, b);
            if (want(o, "trsm")) rc |= run_trsm<T>(c, n, b);
        }
    }
    /* single large matrices */
    std::vector<int64_t> big = {1024, 4096, 8192, 16384};
    if (o->quick) big = {1024, 4096};
    for (int64_t n : big) {
        if (!want_n(o, n)) continue;
        if (sizeof(T) == 4 && n > 8192) continue;
        if (want(o, "cholesky")) rc |= run_chol<T>(c, n, 1);
        if (want(o, "lu_factor")) rc |= run_lu<T>(c, 0, n, 1);
        if (want(o, "solve") && n <= 8192) rc |= run_lu<T>(c, 1, n, 1);
    }
    return rc;
}

} // namespace

extern "C" int lapis_bench_gpu(const bench_options *opt) {
    if (lapis_cuda_device_count() < 1) {
        fprintf(stderr, "gpu bench: no CUDA device\n");
        return 1;
    }
    ctx c;
    c.opt = opt;
    c.csv = opt->csv;
    c.be = lapis_cuda_backend(0);
    CK(cudaStreamCreateWithFlags(&c.t.s, cudaStreamNonBlocking));
    CK(cudaEventCreate(&c.t.e0));
    CK(cudaEventCreate(&c.t.e1));
    CB(cublasCreate(&c.cb));
    CB(cublasSetStream(c.cb, c.t.s));
    CB(cusolverDnCreate(&c.cs));
    CB(cusolverDnSetStream(c.cs, c.t.s));
    c.ex.stream = c.t.s;
    c.ex.nthreads = 1;
    cudaDeviceProp p;
    CK(cudaGetDeviceProperties(&p, 0));
    int rt = 0;
    cudaRuntimeGetVersion(&rt);
    printf("# lapis GPU bench on %s (%d SMs), CUDA runtime %d.%d; times in ms (CUDA-event medians)\n",
           p.name, p.multiProcessorCount, rt / 1000, (rt % 1000) / 10);
    printf("# ratio = peer/lapis (>1: lapis faster); floor%% = max(bytes/2.94TB/s, flops/GEMM peak) / lapis time;\n"
           "# err = worst backward-error ratio ||A y - F y||/(n eps ||A|| ||y||) over checked matrices\n");
    /* the latency floor of the small-batch rows: one empty kernel, timed
     * the same way (host launch included) */
    double empty_ms = time_median(c.t, 50, [&] { bench_empty_kernel<<<1, 32, 0, c.t.s>>>(); }, [] {});
    printf("# one empty kernel launch, timed the same way: %.4f ms\n", empty_ms);
    printf("%-10s %-4s %6s %8s  %9s  %-26s %9s  %7s %6s  %8s %8s\n", "op", "dt", "n", "batch",
           "lapis_ms", "peer", "peer_ms", "ratio", "floor%", "err", "peer_err");
    if (c.csv)
        fprintf(c.csv, "op,dtype,n,batch,lapis_ms,peer,peer_ms,ratio,floor_ms,floor_frac,lapis_err,"
                       "peer_err,lapis_fail,peer_fail\n");
    int rc = run_all<float>(c);
    rc |= run_all<double>(c);
    printf("# worst backward-error ratio: lapis %.2f, peers %.2f; failed cases: %d\n", c.worst_lapis,
           c.worst_peer, c.fails);
    cusolverDnDestroy(c.cs);
    cublasDestroy(c.cb);
    cudaStreamDestroy(c.t.s);
    return rc || c.fails ? 1 : 0;
}
