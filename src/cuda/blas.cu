/*
 * Level-3 BLAS on the GPU through cuBLAS: the gemm slot (matmul) and the
 * strided-batched gemm the blocked factorizations use. Default math mode and
 * 32F/64F compute types: never TF32.
 */
#include "common.cuh"
#include "ops.cuh"

lapis_status lapis_cublas_fail(cublasStatus_t st, const char *what) {
    lapis_status s = st == CUBLAS_STATUS_ALLOC_FAILED ? LAPIS_ERR_OUT_OF_MEMORY : LAPIS_ERR_INTERNAL;
    return lapis_fail(s, "cuBLAS error in %s: %s (%s)", what, cublasGetStatusString(st),
                      cublasGetStatusName(st));
}

namespace {
/* One handle per host thread: a handle must not be used by two threads at
 * once, and streams are bound per call. Released when the thread exits. */
struct handle_holder {
    cublasHandle_t h = nullptr;
    ~handle_holder() {
        if (h) cublasDestroy(h);
    }
};
thread_local handle_holder tl_handle;

/* This thread's side stream (greatest priority), its own cuBLAS handle and
 * three events; released when the thread exits. */
struct side_holder {
    lapis_cuda_side v = {};
    bool ready = false;
    ~side_holder() {
        if (v.h) cublasDestroy(v.h);
        for (cudaEvent_t e : v.ev)
            if (e) cudaEventDestroy(e);
        if (v.s) cudaStreamDestroy(v.s);
    }
};
thread_local side_holder tl_side;
} // namespace

lapis_status lapis_cuda_side_get(lapis_cuda_side *out) {
    side_holder &t = tl_side;
    if (!t.ready) {
        int least = 0, greatest = 0;
        LAPIS_CUDA_TRY(cudaDeviceGetStreamPriorityRange(&least, &greatest));
        if (!t.v.s)
            LAPIS_CUDA_TRY(cudaStreamCreateWithPriority(&t.v.s, cudaStreamNonBlocking, greatest));
        for (cudaEvent_t &e : t.v.ev)
            if (!e) LAPIS_CUDA_TRY(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
        if (!t.v.h) {
            LAPIS_CUBLAS_TRY(cublasCreate(&t.v.h));
            cublasSetMathMode(t.v.h, CUBLAS_DEFAULT_MATH);
        }
        LAPIS_CUBLAS_TRY(cublasSetStream(t.v.h, t.v.s));
        t.ready = true;
    }
    *out = t.v;
    return LAPIS_OK;
}

cublasHandle_t lapis_cublas(cudaStream_t stream) {
    if (!tl_handle.h) {
        cublasHandle_t h;
        cublasStatus_t st = cublasCreate(&h);
        if (st != CUBLAS_STATUS_SUCCESS) {
            lapis_cublas_fail(st, "cublasCreate");
            return nullptr;
        }
        cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
        tl_handle.h = h;
    }
    cublasStatus_t st = cublasSetStream(tl_handle.h, stream);
    if (st != CUBLAS_STATUS_SUCCESS) {
        lapis_cublas_fail(st, "cublasSetStream");
        return nullptr;
    }
    return tl_handle.h;
}

template <typename T> struct gemm_blas;
template <> struct gemm_blas<float> {
    static cublasStatus_t one(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                              int n, int k, const float *al, const float *a, int lda,
                              const float *b, int ldb, const float *be, float *c, int ldc) {
        return cublasSgemm(h, ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc);
    }
    static cublasStatus_t many(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                               int n, int k, const float *al, const float *a, int lda, long long sa,
                               const float *b, int ldb, long long sb, const float *be, float *c,
                               int ldc, long long sc, int cnt) {
        return cublasSgemmStridedBatched(h, ta, tb, m, n, k, al, a, lda, sa, b, ldb, sb, be, c, ldc,
                                         sc, cnt);
    }
};
template <> struct gemm_blas<double> {
    static cublasStatus_t one(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                              int n, int k, const double *al, const double *a, int lda,
                              const double *b, int ldb, const double *be, double *c, int ldc) {
        return cublasDgemm(h, ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc);
    }
    static cublasStatus_t many(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                               int n, int k, const double *al, const double *a, int lda,
                               long long sa, const double *b, int ldb, long long sb,
                               const double *be, double *c, int ldc, long long sc, int cnt) {
        return cublasDgemmStridedBatched(h, ta, tb, m, n, k, al, a, lda, sa, b, ldb, sb, be, c, ldc,
                                         sc, cnt);
    }
};

template <typename T>
lapis_status lapis_gemm_strided(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t lda,
                                int64_t sa, const T *b, int64_t ldb, int64_t sb, T beta, T *c,
                                int64_t ldc, int64_t sc, int64_t batch) {
    if (m <= 0 || n <= 0 || batch <= 0) return LAPIS_OK;
    if (batch == 1) {
        LAPIS_CUBLAS_TRY(gemm_blas<T>::one(h, ta, tb, (int)m, (int)n, (int)k, &alpha, a, (int)lda, b,
                                           (int)ldb, &beta, c, (int)ldc));
        return LAPIS_OK;
    }
    for (int64_t b0 = 0; b0 < batch; b0 += 1 << 30) {
        int cnt = (int)(batch - b0 < (1 << 30) ? batch - b0 : 1 << 30);
        LAPIS_CUBLAS_TRY(gemm_blas<T>::many(h, ta, tb, (int)m, (int)n, (int)k, &alpha, a + b0 * sa,
                                            (int)lda, sa, b + b0 * sb, (int)ldb, sb, &beta,
                                            c + b0 * sc, (int)ldc, sc, cnt));
    }
    return LAPIS_OK;
}

template lapis_status lapis_gemm_strided<float>(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                                                int64_t, int64_t, int64_t, float, const float *,
                                                int64_t, int64_t, const float *, int64_t, int64_t,
                                                float, float *, int64_t, int64_t, int64_t);
template lapis_status lapis_gemm_strided<double>(cublasHandle_t, cublasOperation_t,
                                                 cublasOperation_t, int64_t, int64_t, int64_t,
                                                 double, const double *, int64_t, int64_t,
                                                 const double *, int64_t, int64_t, double, double *,
                                                 int64_t, int64_t, int64_t);

/* ---- the gemm slot --------------------------------------------------------------- */

/* map(i) == i * s for s in {0, 1}? */
static bool map_linear(const lapis_bmap *m, int64_t *s) {
    if (m->ndim == 0) {
        *s = 1;
        return true;
    }
    bool zero = true, ident = true;
    int64_t prod = 1;
    for (int d = m->ndim - 1; d >= 0; d--) {
        if (m->dim[d] > 1) {
            if (m->stride[d] != 0) zero = false;
            if (m->stride[d] != prod) ident = false;
        }
        prod *= m->dim[d];
    }
    if (zero) *s = 0;
    else if (ident) *s = 1;
    return zero || ident;
}

lapis_status lapis_cuda_gemm(const lapis_gemm_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    int64_t m = p->m, n = p->n, kk = p->kk, batch = p->batch;
    if (m == 0 || n == 0 || batch == 0) return LAPIS_OK;
    size_t es = lapis_dtype_size(p->dtype);
    if (kk == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->c, 0, (size_t)(batch * m * n) * es, s));
        return LAPIS_OK;
    }
    cudaDataType dt;
    cublasComputeType_t ct;
    switch (p->dtype) {
    case LAPIS_FLOAT32: dt = CUDA_R_32F; ct = CUBLAS_COMPUTE_32F; break;
    case LAPIS_FLOAT64: dt = CUDA_R_64F; ct = CUBLAS_COMPUTE_64F; break;
    case LAPIS_COMPLEX64: dt = CUDA_C_32F; ct = CUBLAS_COMPUTE_32F; break;
    case LAPIS_COMPLEX128: dt = CUDA_C_64F; ct = CUBLAS_COMPUTE_64F; break;
    default: return lapis_fail(LAPIS_ERR_DTYPE, "gpu gemm: dtype %s", lapis_dtype_name(p->dtype));
    }
    cublasHandle_t h = lapis_cublas(s);
    if (!h) return LAPIS_ERR_INTERNAL;
    /* row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ */
    cublasOperation_t ta = p->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = p->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    int lda = (int)(p->trans_a ? m : kk), ldb = (int)(p->trans_b ? kk : n);
    double one_d[2] = {1, 0}, zero_d[2] = {0, 0};
    float one_f[2] = {1, 0}, zero_f[2] = {0, 0};
    bool dbl = p->dtype == LAPIS_FLOAT64 || p->dtype == LAPIS_COMPLEX128;
    const void *al = dbl ? (const void *)one_d : (const void *)one_f;
    const void *be = dbl ? (const void *)zero_d : (const void *)zero_f;
    int64_t sa_, sb_;
    if (map_linear(&p->amap, &sa_) && map_linear(&p->bmap, &sb_)) {
        long long sa = sa_ * m * kk, sb = sb_ * kk * n, sc = m * n;
        for (int64_t b0 = 0; b0 < batch; b0 += 1 << 30) {
            int cnt = (int)(batch - b0 < (1 << 30) ? batch - b0 : 1 << 30);
            LAPIS_CUBLAS_TRY(cublasGemmStridedBatchedEx(
                h, tb, ta, (int)n, (int)m, (int)kk, al, (const char *)p->b + b0 * sb * es, dt, ldb,
                sb, (const char *)p->a + b0 * sa * es, dt, lda, sa, be,
                (char *)p->c + b0 * sc * es, dt, (int)n, sc, cnt, ct, CUBLAS_GEMM_DEFAULT));
        }
        return LAPIS_OK;
    }
    /* general broadcasting: pointer arrays */
    lapis_status st;
    lapis_scratch ptrs;
    if ((st = ptrs.alloc((size_t)batch * 3 * sizeof(void *), s))) return st;
    char **pa = (char **)ptrs.p, **pb = pa + batch, **pc = pb + batch;
    if ((st = lapis_ptrs<char>(pa, (const char *)p->a, m * kk * (int64_t)es, 0, &p->amap, batch, s)) ||
        (st = lapis_ptrs<char>(pb, (const char *)p->b, kk * n * (int64_t)es, 0, &p->bmap, batch, s)) ||
        (st = lapis_ptrs<char>(pc, (const char *)p->c, m * n * (int64_t)es, 0, nullptr, batch, s)))
        return st;
    for (int64_t b0 = 0; b0 < batch; b0 += 1 << 30) {
        int cnt = (int)(batch - b0 < (1 << 30) ? batch - b0 : 1 << 30);
        LAPIS_CUBLAS_TRY(cublasGemmBatchedEx(h, tb, ta, (int)n, (int)m, (int)kk, al,
                                             (const void *const *)(pb + b0), dt, ldb,
                                             (const void *const *)(pa + b0), dt, lda, be,
                                             (void *const *)(pc + b0), dt, (int)n, cnt, ct,
                                             CUBLAS_GEMM_DEFAULT));
    }
    return LAPIS_OK;
}
