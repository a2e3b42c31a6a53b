/*
 * Triangular family on the GPU: solve_triangular (trsm) and tri_inv, plus the
 * triangular helpers the other families use (checks, batched cuBLAS trsm).
 *   n <= 32: a group of NP lanes per matrix, lane r holds row r, substitution
 *            by shuffles (trsm_small; n = 32 with one right-hand side and
 *            contiguous operands: trsm_one32, a warp a matrix, by blocks);
 *   n <= 256 with k <= 4: a block per matrix, panels of 32 (trsm_mid; the
 *            same substitution serves lu_solve: lusolve_mid);
 *   larger:  one matrix with one right-hand side: trsv_large (row blocks over
 *            the whole GPU, published by flags); else cuBLAS trsm (batched
 *            through pointer arrays). Both after our own checks for NaN/Inf
 *            and zero diagonals (info, tri_check) and with NaN for failures.
 */
#include "common.cuh"
#include "ops.cuh"

/* ---- helpers used by every family ----------------------------------------------- */

#define TRI_CHECK_THREADS 256

/* Rows a block of tri_check_kernel checks, a warp a row at a time. */
#define TRI_CHECK_ROWS 16
/* A matrix's key while tri_check runs: what cudaMemsetAsync's byte 0x7F
 * gives, above every r + 1. */
#define TRI_CHECK_NONE 0x7F7F7F7F

/* key[i] = min(key[i], 0 where A's referenced triangle or b hold NaN or
 * Inf, r + 1 for a zero diagonal element r). Block (x, y): rows from
 * x * TRI_CHECK_ROWS of matrices y, y + gridDim.y, ..; a warp takes a row,
 * its lanes along it (coalesced, no division). One block per matrix with
 * an element loop and its divisions took 1.3 ms at f64 n = 1024, batch 1. */
template <typename T>
__global__ void tri_check_kernel(const T *a, lapis_bmap amap, int64_t n, bool upper, const T *b,
                                 lapis_bmap bmap, int64_t k, int32_t *key, int64_t batch) {
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    const int64_t r0 = (int64_t)blockIdx.x * TRI_CHECK_ROWS, r1 = min(n, r0 + TRI_CHECK_ROWS);
    for (int64_t i = blockIdx.y; i < batch; i += gridDim.y) {
        const T *A = a + lapis_bmap_index(&amap, i) * n * n;
        const T *B = b ? b + lapis_bmap_index(&bmap, i) * n * k : nullptr;
        int kv = TRI_CHECK_NONE;
        for (int64_t r = r0 + warp; r < r1; r += nw) {
            const T *row = A + r * n;
            const int64_t c1 = upper ? n : r + 1;
            bool bad = false;
            for (int64_t c = (upper ? r : 0) + lane; c < c1; c += 32) bad |= !lapis_finite(row[c]);
            if (B)
                for (int64_t c = lane; c < k; c += 32) bad |= !lapis_finite(B[r * k + c]);
            if (bad) kv = 0;
            else if (lane == 0 && row[r] == T(0)) kv = min(kv, (int)r + 1);
        }
        kv = __reduce_min_sync(LAPIS_FULL_MASK, kv);
        if (lane == 0 && kv != TRI_CHECK_NONE) atomicMin(key + i, kv);
    }
}

/* info[i] from tri_check_kernel's key. */
__global__ void tri_check_finish(int32_t *info, int64_t batch) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < batch;
         i += (int64_t)gridDim.x * blockDim.x) {
        const int32_t v = info[i];
        info[i] = v == 0 ? LAPIS_INFO_NON_FINITE : v == TRI_CHECK_NONE ? 0 : v;
    }
}

template <typename T>
lapis_status lapis_tri_check(const T *a, const lapis_bmap *amap, int64_t n, bool upper,
                             const T *b, const lapis_bmap *bmap, int64_t k, int32_t *info,
                             int64_t batch, cudaStream_t s) {
    lapis_bmap id = {};
    if (batch == 0) return LAPIS_OK;
    if (n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(info, 0, (size_t)batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    LAPIS_CUDA_TRY(cudaMemsetAsync(info, 0x7F, (size_t)batch * sizeof(int32_t), s));
    const dim3 grid((unsigned)((n + TRI_CHECK_ROWS - 1) / TRI_CHECK_ROWS),
                    (unsigned)min(batch, (int64_t)65535));
    tri_check_kernel<T><<<grid, TRI_CHECK_THREADS, 0, s>>>(a, amap ? *amap : id, n, upper, b,
                                                           bmap ? *bmap : id, k, info, batch);
    lapis_status st = lapis_cuda_launched("tri_check");
    if (st) return st;
    tri_check_finish<<<lapis_grid(batch, 256 * 8), 256, 0, s>>>(info, batch);
    return lapis_cuda_launched("tri_check_finish");
}

template <typename T> __global__ void identity_kernel(T *x, int64_t n, int64_t batch) {
    int64_t nn = n * n, total = nn * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = e % nn;
        x[e] = (r / n == r % n) ? T(1) : T(0);
    }
}

template <typename T> lapis_status lapis_set_identity(T *x, int64_t n, int64_t batch, cudaStream_t s) {
    identity_kernel<T><<<lapis_grid(n * n * batch, 256 * 8), 256, 0, s>>>(x, n, batch);
    return lapis_cuda_launched("identity");
}

template <typename T> struct tri_blas;
template <> struct tri_blas<float> {
    static cublasStatus_t one(cublasHandle_t h, cublasFillMode_t f, cublasDiagType_t d, int m,
                              int n, const float *A, int lda, float *B, int ldb) {
        const float o = 1;
        return cublasStrsm(h, CUBLAS_SIDE_RIGHT, f, CUBLAS_OP_N, d, m, n, &o, A, lda, B, ldb);
    }
    static cublasStatus_t many(cublasHandle_t h, cublasFillMode_t f, cublasDiagType_t d, int m,
                               int n, float **A, int lda, float **B, int ldb, int cnt) {
        const float o = 1;
        return cublasStrsmBatched(h, CUBLAS_SIDE_RIGHT, f, CUBLAS_OP_N, d, m, n, &o, A, lda, B,
                                  ldb, cnt);
    }
};
template <> struct tri_blas<double> {
    static cublasStatus_t one(cublasHandle_t h, cublasFillMode_t f, cublasDiagType_t d, int m,
                              int n, const double *A, int lda, double *B, int ldb) {
        const double o = 1;
        return cublasDtrsm(h, CUBLAS_SIDE_RIGHT, f, CUBLAS_OP_N, d, m, n, &o, A, lda, B, ldb);
    }
    static cublasStatus_t many(cublasHandle_t h, cublasFillMode_t f, cublasDiagType_t d, int m,
                               int n, double **A, int lda, double **B, int ldb, int cnt) {
        const double o = 1;
        return cublasDtrsmBatched(h, CUBLAS_SIDE_RIGHT, f, CUBLAS_OP_N, d, m, n, &o, A, lda, B,
                                  ldb, cnt);
    }
};

/* ---- one large triangle, one right-hand side ------------------------------------------- */

template <typename T, int NP, int KC, bool DIV>
__device__ __forceinline__ void tri_subst(const T (&v)[NP], T (&bb)[KC], T rd, T dg, int r, int n,
                                          bool upper);

#define TRSV_B 32     /* rows a block of the solve */
#define TRSV_WARPS 8  /* warps a CTA */

__device__ __forceinline__ int trsv_flag_get(const int *p) {
    int v;
    asm volatile("ld.acquire.gpu.global.s32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}
__device__ __forceinline__ void trsv_flag_set(int *p) {
    asm volatile("st.release.gpu.global.s32 [%0], %1;" : : "l"(p), "r"(1) : "memory");
}

/* x = op(A)⁻¹ x for one n x n matrix (n > 32) and one right-hand side, in
 * place of cuBLAS's trsm, whose one-column solve launched 16 kernels for
 * 0.3 ms a triangle at f64 n = 1024. Blocks of TRSV_B rows, in the solve's
 * order, are dealt to the CTAs by a counter, so a CTA only waits for blocks
 * that running CTAs hold (no deadlock, whatever the residency). A CTA's
 * warps take its rows' dot products with each solved block as it is
 * published (a flag set, with release, after the block's x is written and
 * fenced), loading A's next block before waiting for x's; warp 0, which
 * holds the diagonal block in registers from the start, then solves it by
 * shuffles (tri_subst: reciprocals, a division where a diagonal element has
 * no normal reciprocal) and publishes it. sync: a counter, then a flag per
 * block, all zero. H100, against cuBLAS: solve (LU + two triangles) f64
 * n = 1024 3.83 -> 3.29 ms, 4096 18.3 -> 15.7; solve_triangular f64 n =
 * 1024 1.80 -> 0.32 ms, 4096 25 -> 0.65 (with tri_check's rows split). */
template <typename T, bool UP, bool UNIT>
__global__ void __launch_bounds__(TRSV_WARPS * 32)
    trsv_large(const T *__restrict__ a, T *x, int n, int *sync) {
    constexpr int RPW = TRSV_B / TRSV_WARPS; /* rows a warp */
    __shared__ int blk;
    __shared__ T sums[TRSV_B];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nb = (n + TRSV_B - 1) / TRSV_B;
    int *flag = sync + 1;
    for (;;) {
        __syncthreads(); /* the last block's blk and sums are read */
        if (threadIdx.x == 0) blk = atomicAdd(sync, 1);
        __syncthreads();
        const int q = blk;
        if (q >= nb) return;
        const int ib = UP ? nb - 1 - q : q, r0 = ib * TRSV_B, rows = min(TRSV_B, n - r0);
        /* warp 0: the diagonal block, lane r holding its row r (the identity
         * past n; the other triangle zero) */
        T v[32], dg = T(1);
        if (warp == 0) {
            const T *ar = a + (int64_t)(r0 + lane) * n + r0;
#pragma unroll
            for (int j = 0; j < 32; j++) {
                const bool in = UP ? j >= lane : j <= lane;
                v[j] = lane < rows && j < rows ? (in ? ar[j] : T(0)) : T(lane == j ? 1 : 0);
            }
            if (!UNIT && lane < rows) dg = ar[lane];
        }
        const int rw = r0 + warp * RPW;
        T acc[RPW], av[RPW], an[RPW];
#pragma unroll
        for (int u = 0; u < RPW; u++) acc[u] = av[u] = an[u] = T(0);
        auto load = [&](int t, T(&dst)[RPW]) {
            const int c = (UP ? nb - 1 - t : t) * TRSV_B + lane;
#pragma unroll
            for (int u = 0; u < RPW; u++)
                dst[u] = rw + u < n && c < n ? a[(int64_t)(rw + u) * n + c] : T(0);
        };
        if (q > 0) load(0, av);
        for (int t = 0; t < q; t++) {
            if (t + 1 < q) load(t + 1, an);
            const int jb = UP ? nb - 1 - t : t, c = jb * TRSV_B + lane;
            if (lane == 0)
                while (trsv_flag_get(flag + jb) == 0) {
                }
            __syncwarp();
            const T xv = c < n ? __ldcg(x + c) : T(0);
#pragma unroll
            for (int u = 0; u < RPW; u++) {
                acc[u] = fma(av[u], xv, acc[u]);
                av[u] = an[u];
            }
        }
#pragma unroll
        for (int u = 0; u < RPW; u++) {
            T sm = acc[u];
#pragma unroll
            for (int off = 16; off >= 1; off >>= 1) sm += __shfl_xor_sync(LAPIS_FULL_MASK, sm, off);
            if (lane == 0) sums[warp * RPW + u] = sm;
        }
        __syncthreads();
        if (warp == 0) {
            T bb[1] = {lane < rows ? x[r0 + lane] - sums[lane] : T(0)};
            const T rd = UNIT ? T(1) : lapis_pivot_rcp(dg);
            if (!UNIT && __any_sync(LAPIS_FULL_MASK, rd == T(0)))
                tri_subst<T, 32, 1, true>(v, bb, rd, dg, lane, rows, UP);
            else
                tri_subst<T, 32, 1, false>(v, bb, rd, dg, lane, rows, UP);
            if (lane < rows) x[r0 + lane] = bb[0];
            __threadfence();
            __syncwarp();
            if (lane == 0) trsv_flag_set(flag + ib);
        }
    }
}

template <typename T>
static lapis_status trsv_large_launch(const T *a, T *x, int64_t n, bool upper, bool unit,
                                      cudaStream_t s) {
    const int nb = (int)((n + TRSV_B - 1) / TRSV_B);
    lapis_scratch sync;
    lapis_status st;
    if ((st = sync.alloc((size_t)(nb + 1) * sizeof(int), s))) return st;
    LAPIS_CUDA_TRY(cudaMemsetAsync(sync.p, 0, (size_t)(nb + 1) * sizeof(int), s));
    const unsigned grid = (unsigned)min(nb, 2 * lapis_cuda_props()->multiProcessorCount);
    int *sy = (int *)sync.p;
#define TRSV(UP, UNIT) trsv_large<T, UP, UNIT><<<grid, TRSV_WARPS * 32, 0, s>>>(a, x, (int)n, sy)
    if (upper && unit) TRSV(true, true);
    else if (upper) TRSV(true, false);
    else if (unit) TRSV(false, true);
    else TRSV(false, false);
#undef TRSV
    return lapis_cuda_launched("trsv_large");
}

/* Row-major A X = B is column-major Xᵀ Aᵀ = Bᵀ: a right-side solve with the
 * other fill mode, as the CPU backend does. */
template <typename T>
lapis_status lapis_trsm_batched(const T *a, const lapis_bmap *amap, T *x, int64_t n, int64_t k,
                                bool upper, bool unit, int64_t batch, cudaStream_t s) {
    if (n == 0 || k == 0 || batch == 0) return LAPIS_OK;
    cublasHandle_t h = lapis_cublas(s);
    if (!h) return LAPIS_ERR_INTERNAL;
    cublasFillMode_t f = upper ? CUBLAS_FILL_MODE_LOWER : CUBLAS_FILL_MODE_UPPER;
    cublasDiagType_t d = unit ? CUBLAS_DIAG_UNIT : CUBLAS_DIAG_NON_UNIT;
    if (batch == 1 && k == 1 && n > 32 && n <= INT_MAX / 2)
        return trsv_large_launch<T>(a, x, n, upper, unit, s);
    if (batch == 1) {
        LAPIS_CUBLAS_TRY(tri_blas<T>::one(h, f, d, (int)k, (int)n, a, (int)n, x, (int)k));
        return LAPIS_OK;
    }
    lapis_status st;
    lapis_scratch ptrs;
    if ((st = ptrs.alloc((size_t)batch * 2 * sizeof(T *), s))) return st;
    T **pa = (T **)ptrs.p, **px = pa + batch;
    if ((st = lapis_ptrs<T>(pa, a, n * n, 0, amap, batch, s)) ||
        (st = lapis_ptrs<T>(px, x, n * k, 0, nullptr, batch, s)))
        return st;
    for (int64_t b0 = 0; b0 < batch; b0 += 1 << 30) {
        int cnt = (int)min(batch - b0, (int64_t)1 << 30);
        LAPIS_CUBLAS_TRY(tri_blas<T>::many(h, f, d, (int)k, (int)n, pa + b0, (int)n, px + b0,
                                           (int)k, cnt));
    }
    return LAPIS_OK;
}

template lapis_status lapis_tri_check<float>(const float *, const lapis_bmap *, int64_t, bool,
                                             const float *, const lapis_bmap *, int64_t, int32_t *,
                                             int64_t, cudaStream_t);
template lapis_status lapis_tri_check<double>(const double *, const lapis_bmap *, int64_t, bool,
                                              const double *, const lapis_bmap *, int64_t,
                                              int32_t *, int64_t, cudaStream_t);
template lapis_status lapis_set_identity<float>(float *, int64_t, int64_t, cudaStream_t);
template lapis_status lapis_set_identity<double>(double *, int64_t, int64_t, cudaStream_t);
template lapis_status lapis_trsm_batched<float>(const float *, const lapis_bmap *, float *, int64_t,
                                                int64_t, bool, bool, int64_t, cudaStream_t);
template lapis_status lapis_trsm_batched<double>(const double *, const lapis_bmap *, double *,
                                                 int64_t, int64_t, bool, bool, int64_t,
                                                 cudaStream_t);

/* ---- small kernels ------------------------------------------------------------------- */

/* The substitution of KC right-hand sides held per lane (bb: row r's), lane
 * r holding row r of the triangle (v, its diagonal dg, rd = 1/dg or 0 where
 * lapis_pivot_rcp has none). Step kk: the owner scales its elements by rd
 * (DIV: divides where rd is 0) and the rows still to come take them by a
 * shuffle from lane kk; no shared memory, no barrier. */
template <typename T, int NP, int KC, bool DIV>
__device__ __forceinline__ void tri_subst(const T (&v)[NP], T (&bb)[KC], T rd, T dg, int r, int n,
                                          bool upper) {
    const int gbase = (int)(threadIdx.x & 31) - r;
#pragma unroll
    for (int s = 0; s < NP; s++) {
        const int kk = upper ? NP - 1 - s : s;
        if (kk >= n) continue;
        const T vk = upper ? v[NP - 1 - s] : v[s]; /* constant indices: registers */
        const bool later = upper ? r < kk : r > kk;
#pragma unroll
        for (int c = 0; c < KC; c++)
            lapis_subst_step<T, DIV>(bb[c], rd, dg, gbase + kk, r == kk, later, vk);
    }
}

/* tri_subst for one right-hand side at NP = 32, by blocks of B rows: each
 * block's elements of b (the earlier blocks' updates applied by their
 * owners) and reciprocals reach every lane by 2 B shuffles issued together;
 * every lane solves the block's B x B triangle itself, its elements read
 * from S by broadcast; the owners take their x, the rows after the block
 * apply its B updates. The operations and their order are tri_subst's, so
 * the result is the same bit for bit; the dependent chain of a block is one
 * round of shuffles and the small solve, not B shuffles one after another.
 * S: the staged matrix (row stride LD), read where both indices are below
 * n (rows past n hold the identity). */
template <typename T, bool UP>
__device__ __forceinline__ void tri_subst_blk(const T (&v)[32], T &y, T rd, int r, int n,
                                              const T *S) {
    constexpr int B = 8, NB = 32 / B, LD = lapis_small<32>::LD;
#pragma unroll
    for (int q = 0; q < NB; q++) {
        const int qb = (UP ? NB - 1 - q : q) * B;
        if (qb >= n) continue;
        T xb[B], rb[B];
#pragma unroll
        for (int i = 0; i < B; i++) {
            xb[i] = __shfl_sync(LAPIS_FULL_MASK, y, qb + i);
            rb[i] = __shfl_sync(LAPIS_FULL_MASK, rd, qb + i);
        }
#pragma unroll
        for (int ii = 0; ii < B; ii++) {
            const int i = UP ? B - 1 - ii : ii;
#pragma unroll
            for (int jj = 0; jj < ii; jj++) {
                const int j = UP ? B - 1 - jj : jj;
                const T l = qb + i < n && qb + j < n ? S[(qb + i) * LD + qb + j] : T(0);
                xb[i] = fma(-l, xb[j], xb[i]);
            }
            xb[i] *= rb[i];
        }
        const bool later = UP ? r < qb : r >= qb + B;
#pragma unroll
        for (int jj = 0; jj < B; jj++) {
            const int j = UP ? B - 1 - jj : jj;
            if (r == qb + j) y = xb[j];
            else if (later) y = fma(-v[qb + j], xb[j], y);
        }
    }
}

/* X = op(A)⁻¹ B; lane r holds row r of A's triangle and KC columns of row r
 * of B (the first KC loaded with A). Measured on the H200 (lower, one
 * right-hand side, ms) against the broadcast through shared memory with a
 * division a step, scalar staging and no register cap: f64 n = 16, batch
 * 262144, 0.578 -> 0.199 (0.264 uncapped); f64 n = 32, batch 65536, 0.667
 * -> 0.199; f32 n = 16 0.293 -> 0.126; f64 n = 16, batch 1, 14.0 -> 7.6 us.
 * UP: the triangle as a template flag (one substitution a kernel, not both),
 * with the maps last and contig's bits before them, so the common path
 * reads one end of the parameters; H100, against the runtime flag: f32
 * n = 16, batch 262144, 0.133 -> 0.119 ms; f64 n = 4 / 8 / 16 0.030 / 0.081
 * / 0.215 -> 0.027 / 0.075 / 0.205; n = 32, batch 65536, 1-3% slower
 * (f32 0.115 -> 0.118); batch 1 within the rounds' noise. BLK: the
 * blocked substitution (tri_subst_blk; NP = 32 and KC = 1 only). */
template <typename T, int NP, int KC, bool UP, bool BLK>
__global__ void LAPIS_SMALL_BOUNDS(lapis_small_occ<T, NP>)
    trsm_small(const T *__restrict__ a, const T *__restrict__ b, T *__restrict__ x,
               int32_t *__restrict__ info, int64_t batch, int n, int k, int contig,
               lapis_bmap amap, lapis_bmap bmap) {
    extern __shared__ __align__(16) unsigned char smraw[];
    constexpr int MPW = lapis_small<NP>::MPW, SZ = lapis_small<NP>::SZ, LD = lapis_small<NP>::LD;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane / NP, r = lane % NP;
    T *wsm = (T *)smraw + warp * MPW * SZ;
    T *S = wsm + g * SZ;
    const int64_t wpg = (int64_t)gridDim.x * (LAPIS_SMALL_THREADS / 32);
    const int64_t nn = (int64_t)n * n, nk = (int64_t)n * k;
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        const bool gv = g < cnt;
        const int64_t i = base + g;
        const T *bi = b + (gv ? (contig & 2 ? i : lapis_bmap_index(&bmap, i)) : 0) * nk;
        T *xi = x + (gv ? i : 0) * nk;
        T bb[KC];
#pragma unroll
        for (int c = 0; c < KC; c++) bb[c] = (gv && r < n && c < k) ? bi[(int64_t)r * k + c] : T(0);
        lapis_stage_batch<T, NP>(wsm, a, amap, contig & 1, base, cnt, n, nn, lane);
        __syncwarp();
        T v[NP];
        bool bad = false;
        const T diag = r < n ? S[r * LD + r] : T(1);
#pragma unroll
        for (int j = 0; j < NP; j++) {
            bool in = UP ? j >= r : j <= r;
            v[j] = (r < n && j < n) ? (in ? S[r * LD + j] : T(0)) : T(r == j ? 1 : 0);
            bad |= !lapis_finite(v[j]);
        }
        bad = lapis_group_any<NP>(bad && gv, g);
        int z = lapis_group_first<NP>(diag == T(0), g);
        int inf = bad ? LAPIS_INFO_NON_FINITE : z >= 0 ? z + 1 : 0;
        const T rd = lapis_pivot_rcp(diag);
        const bool div = __any_sync(LAPIS_FULL_MASK, rd == T(0));
        for (int c0 = 0; c0 < k; c0 += KC) {
            bool bbad = false;
#pragma unroll
            for (int c = 0; c < KC; c++) {
                if (c0 > 0)
                    bb[c] = (gv && r < n && c0 + c < k) ? bi[(int64_t)r * k + c0 + c] : T(0);
                bbad |= !lapis_finite(bb[c]);
            }
            if (lapis_group_any<NP>(bbad && gv, g)) inf = LAPIS_INFO_NON_FINITE;
            if (__builtin_expect(div, 0)) tri_subst<T, NP, KC, true>(v, bb, rd, diag, r, n, UP);
            else if constexpr (BLK) tri_subst_blk<T, UP>(v, bb[0], rd, r, n, S);
            else tri_subst<T, NP, KC, false>(v, bb, rd, diag, r, n, UP);
            if (gv && r < n) {
#pragma unroll
                for (int c = 0; c < KC; c++)
                    if (c0 + c < k) xi[(int64_t)r * k + c0 + c] = bb[c];
            }
        }
        __syncwarp();
        if (gv && inf != 0)
            for (int e = r; e < nk; e += NP) xi[e] = lapis_nan<T>();
        if (gv && r == 0) info[i] = inf;
        __syncwarp();
    }
}

/* trsm_small's case of n = 32 exactly, any batch, one right-hand side,
 * both operands contiguous and A 16-byte aligned: one warp (a block) per
 * matrix, no batch maps, no bounds on n. The matrix moves by
 * 16-byte vectors into shared memory whose row stride (LD, 16-byte
 * multiple, 4 rows apart in the banks) lets every lane read its row and
 * every broadcast read the diagonal blocks by 16-byte vectors. A block of
 * B rows: its entries of b (the earlier blocks' updates applied) and
 * reciprocals come from shared memory, every lane solves the B x B
 * triangle itself and the rows after the block apply its updates; the
 * solution goes back through shared memory. The operations and their
 * order are tri_subst's, so the result is the same bit for bit (40 cases
 * compared on the device: both dtypes and triangles, random, kahan, graded,
 * overflow and singular matrices, batch 1 and 4096). Half the instructions
 * of trsm_small's blocked path: a lone warp's time goes mostly to fetching
 * and issuing them. H100, three rounds against trsm_small (ms): f32 batch 1
 * / 16 / 64 0.0104-0.0150 / 0.0103-0.0155 / 0.0100-0.0145 -> 0.0076-0.0079
 * / 0.0074-0.0082 / 0.0078-0.0082 (cuBLAS trsmBatched 2.3-2.4x), f64
 * 0.0105-0.0112 -> 0.0077-0.0089; batch 65536, f32 0.119-0.121 -> 0.102-
 * 0.103, f64 0.216-0.218 -> 0.197-0.198. */
template <typename T> struct trsm_one32_smem {
    static constexpr int LD = 32 + 16 / sizeof(T);
    T S[32 * LD];
    T R[32], Y[32];
};

template <typename T, bool UP>
__global__ void __launch_bounds__(32)
    trsm_one32(const T *__restrict__ a, const T *__restrict__ b, T *__restrict__ x,
               int32_t *__restrict__ info) {
    typedef typename lapis_vec<T>::type VT;
    typedef trsm_one32_smem<T> SM;
    constexpr int VW = lapis_vec<T>::n, LD = SM::LD, B = 8, NB = 32 / B;
    __shared__ __align__(16) SM sm;
    const int r = threadIdx.x;
    const int64_t i = blockIdx.x;
    const VT *ag = reinterpret_cast<const VT *>(a + i * 1024);
    T y = b[i * 32 + r];
    VT t[32 / VW];
#pragma unroll
    for (int q = 0; q < 32 / VW; q++) t[q] = ag[q * 32 + r];
#pragma unroll
    for (int q = 0; q < 32 / VW; q++) { /* element e of the matrix: row e / 32 */
        const int e = (q * 32 + r) * VW;
        *reinterpret_cast<VT *>(&sm.S[(e / 32) * LD + e % 32]) = t[q];
    }
    __syncwarp();
    T v[32];
#pragma unroll
    for (int q = 0; q < 32 / VW; q++) {
        const VT w = *reinterpret_cast<const VT *>(&sm.S[r * LD + q * VW]);
#pragma unroll
        for (int c = 0; c < VW; c++) v[q * VW + c] = lapis_vec<T>::get(w, c);
    }
    const T diag = sm.S[r * LD + r];
    bool bad = !lapis_finite(y);
#pragma unroll
    for (int j = 0; j < 32; j++) {
        if (!(UP ? j >= r : j <= r)) v[j] = T(0);
        bad |= !lapis_finite(v[j]);
    }
    bad = __any_sync(LAPIS_FULL_MASK, bad);
    const unsigned zb = __ballot_sync(LAPIS_FULL_MASK, diag == T(0));
    const int inf = bad ? LAPIS_INFO_NON_FINITE : zb ? __ffs(zb) : 0;
    const T rd = lapis_pivot_rcp(diag);
    if (__builtin_expect(__any_sync(LAPIS_FULL_MASK, rd == T(0)), 0)) {
        T bb[1] = {y};
        tri_subst<T, 32, 1, true>(v, bb, rd, diag, r, 32, UP);
        sm.Y[r] = bb[0];
    } else {
        sm.R[r] = rd;
#pragma unroll
        for (int q = 0; q < NB; q++) {
            const int qb = (UP ? NB - 1 - q : q) * B;
            const bool own = r >= qb && r < qb + B, later = UP ? r < qb : r >= qb + B;
            if (own) sm.Y[r] = y;
            __syncwarp();
            T xb[B], rb[B];
#pragma unroll
            for (int c = 0; c < B; c += VW) {
                const VT u = *reinterpret_cast<const VT *>(&sm.Y[qb + c]);
                const VT w = *reinterpret_cast<const VT *>(&sm.R[qb + c]);
#pragma unroll
                for (int d = 0; d < VW; d++) {
                    xb[c + d] = lapis_vec<T>::get(u, d);
                    rb[c + d] = lapis_vec<T>::get(w, d);
                }
            }
#pragma unroll
            for (int ii = 0; ii < B; ii++) {
                const int i2 = UP ? B - 1 - ii : ii;
                T l[B]; /* row i2 of the block, the vectors that hold its entries */
#pragma unroll
                for (int c = 0; c < B; c += VW) {
                    if (UP ? c + VW - 1 <= i2 : c >= i2) continue;
                    const VT w = *reinterpret_cast<const VT *>(&sm.S[(qb + i2) * LD + qb + c]);
#pragma unroll
                    for (int d = 0; d < VW; d++) l[c + d] = lapis_vec<T>::get(w, d);
                }
#pragma unroll
                for (int jj = 0; jj < ii; jj++) {
                    const int j = UP ? B - 1 - jj : jj;
                    xb[i2] = fma(-l[j], xb[j], xb[i2]);
                }
                xb[i2] *= rb[i2];
            }
#pragma unroll
            for (int jj = 0; jj < B; jj++) {
                const int j = UP ? B - 1 - jj : jj;
                if (later) y = fma(-v[qb + j], xb[j], y);
            }
            __syncwarp();
            if (r == 0)
#pragma unroll
                for (int c = 0; c < B; c += VW)
                    *reinterpret_cast<VT *>(&sm.Y[qb + c]) = lapis_vec<T>::make(&xb[c]);
        }
    }
    __syncwarp();
    x[i * 32 + r] = inf ? lapis_nan<T>() : sm.Y[r];
    if (r == 0) info[i] = inf;
}

/* X = op(A)⁻¹ X for 32 < n <= LAPIS_TRSM_MID_NMAX and k <= LAPIS_TRSM_MID_K,
 * X (n x k, row-major) in shared memory, by the block of NW warps that holds
 * it. Panels of 32 columns in the substitution's order: warp 0 solves the
 * panel's diagonal block in registers (tri_subst, lane r holding its row);
 * then each warp takes RU of the later rows at a time, lane j holding A's
 * element (r, p0 + j) and x_(p0+j), and subtracts their sums. A's
 * referenced triangle is read once, by coalesced rows; the first rows of a
 * panel are loaded while warp 0 solves, the next ones before the sums of
 * the current. KM: the right-hand sides held (k <= KM); UP: upper; UNIT:
 * unit diagonal, not read. bad |= an element read is NaN/Inf; a zero
 * diagonal's row goes to atomicMin(zmin). Ends with a barrier.
 * Measured on the H100 (lower, k = 1, batch filling the card, ms) against
 * cuBLAS trsmBatched behind our checks (0.40-0.57x of trsmBatched): a warp
 * a row with 5 shuffles a row, 256 threads: f64 n = 256 0.216; 128
 * threads 0.179; + prefetch and halving sums 0.137; 64 threads 0.122 (32:
 * 0.140). f64 n = 64 in the same order: 0.458, 0.281, 0.289, 0.199 (64
 * threads), 0.151 (32). */
template <typename T, int KM, bool UP, bool UNIT, int NW>
__device__ __forceinline__ void trsm_mid_subst(const T *__restrict__ A, int n, int k, T *xs,
                                               bool &bad, int *zmin) {
    constexpr bool upper = UP;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, np = (n + 31) / 32;
    for (int pi = 0; pi < np; pi++) {
        const int p0 = (upper ? np - 1 - pi : pi) * 32, pw = min(32, n - p0);
        /* the rows after the panel in the substitution's order */
        const int r0 = upper ? 0 : p0 + pw, r1 = upper ? p0 : n;
        constexpr int RU = KM > 1 ? 4 : 8;
        constexpr int L = RU == 8 ? 3 : RU == 4 ? 2 : 1;
        T an[RU];
        auto load = [&](int rb) {
#pragma unroll
            for (int u = 0; u < RU; u++) {
                const int r = rb + u * NW;
                an[u] = r < r1 && lane < pw ? A[(int64_t)r * n + p0 + lane] : T(0);
            }
        };
        if (warp != 0 || NW == 1) load(r0 + warp); /* in flight while warp 0 solves */
        if (warp == 0) { /* the diagonal block */
            const int row = p0 + lane;
            const bool valid = lane < pw;
            T v[32], bb[KM], diag = T(1);
#pragma unroll
            for (int j = 0; j < 32; j++) {
                const bool in = valid && j < pw && (upper ? j >= lane : j <= lane) &&
                                !(UNIT && j == lane);
                v[j] = in ? A[(int64_t)row * n + p0 + j] : T(lane == j ? 1 : 0);
                bad |= !lapis_finite(v[j]);
                if (j == lane) diag = v[j];
            }
            if (valid && diag == T(0)) atomicMin(zmin, row);
#pragma unroll
            for (int c = 0; c < KM; c++)
                bb[c] = valid && c < k ? xs[row * k + c] : T(0);
            const T rd = lapis_pivot_rcp(diag);
            if (__any_sync(LAPIS_FULL_MASK, rd == T(0)))
                tri_subst<T, 32, KM, true>(v, bb, rd, diag, lane, pw, upper);
            else
                tri_subst<T, 32, KM, false>(v, bb, rd, diag, lane, pw, upper);
            if (valid) {
#pragma unroll
                for (int c = 0; c < KM; c++)
                    if (c < k) xs[row * k + c] = bb[c];
            }
        }
        __syncthreads();
        /* the sums of RU rows take RU - 1 + 5 - log2(RU) shuffles (each
         * step halves the rows a lane carries), not 5 RU */
        T xj[KM];
#pragma unroll
        for (int c = 0; c < KM; c++)
            xj[c] = lane < pw && c < k ? xs[(p0 + lane) * k + c] : T(0);
        if (warp == 0 && NW > 1) load(r0);
        for (int rb = r0 + warp; rb < r1; rb += NW * RU) {
            T sum[RU][KM];
#pragma unroll
            for (int u = 0; u < RU; u++) {
                bad |= !lapis_finite(an[u]);
#pragma unroll
                for (int c = 0; c < KM; c++) sum[u][c] = an[u] * xj[c];
            }
            if (rb + NW * RU < r1) load(rb + NW * RU);
#pragma unroll
            for (int h = RU / 2, off = 16; h > 0; h >>= 1, off >>= 1) {
                const bool hi = lane & off;
#pragma unroll
                for (int u = 0; u < h; u++)
#pragma unroll
                    for (int c = 0; c < KM; c++) {
                        const T send = hi ? sum[u][c] : sum[u + h][c];
                        const T keep = hi ? sum[u + h][c] : sum[u][c];
                        sum[u][c] = keep + __shfl_xor_sync(LAPIS_FULL_MASK, send, off);
                    }
            }
#pragma unroll
            for (int off = 16 >> L; off > 0; off >>= 1)
#pragma unroll
                for (int c = 0; c < KM; c++)
                    sum[0][c] += __shfl_xor_sync(LAPIS_FULL_MASK, sum[0][c], off);
            const int r = rb + (lane >> (5 - L)) * NW;
            if ((lane & ((32 >> L) - 1)) == 0 && r < r1) {
#pragma unroll
                for (int c = 0; c < KM; c++)
                    if (c < k) xs[r * k + c] -= sum[0][c];
            }
        }
        __syncthreads();
    }
}

/* solve_triangular for 32 < n <= LAPIS_TRSM_MID_NMAX, k <= LAPIS_TRSM_MID_K:
 * a block per matrix, lapis_tri_check's checks fused in. */
template <typename T, int KM, bool UP, int NW>
__global__ void __launch_bounds__(NW * 32, 16 / NW)
    trsm_mid(const T *__restrict__ a, lapis_bmap amap, const T *__restrict__ b, lapis_bmap bmap,
             T *__restrict__ x, int32_t *__restrict__ info, int64_t batch, int n, int k) {
    extern __shared__ __align__(16) unsigned char smraw[];
    T *xs = (T *)smraw; /* n x k, row-major */
    __shared__ int zmin;
    const int tid = threadIdx.x, nk = n * k;
    for (int64_t i = blockIdx.x; i < batch; i += gridDim.x) {
        const T *A = a + lapis_bmap_index(&amap, i) * (int64_t)n * n;
        const T *B = b + lapis_bmap_index(&bmap, i) * (int64_t)nk;
        bool bad = false;
        if (tid == 0) zmin = INT_MAX;
        for (int e = tid; e < nk; e += NW * 32) {
            const T y = B[e];
            bad |= !lapis_finite(y);
            xs[e] = y;
        }
        __syncthreads();
        trsm_mid_subst<T, KM, UP, false, NW>(A, n, k, xs, bad, &zmin);
        bad = __syncthreads_or(bad);
        const int inf = bad ? LAPIS_INFO_NON_FINITE : zmin == INT_MAX ? 0 : zmin + 1;
        T *X = x + i * (int64_t)nk;
        for (int e = tid; e < nk; e += NW * 32) X[e] = inf ? lapis_nan<T>() : xs[e];
        if (tid == 0) info[i] = inf;
        __syncthreads();
    }
}

/* lu_solve for 32 < n <= LAPIS_TRSM_MID_NMAX, k <= LAPIS_TRSM_MID_K, a block
 * per matrix: b's rows permuted by the pivots, L then U (trsm_mid_subst),
 * info[i] = ainfo, else NON_FINITE when b holds NaN/Inf; x all NaN where
 * info is not 0. The pivots become a permutation by one thread (each swap
 * depends on the last). */
template <typename T, int KM, int NW>
__global__ void __launch_bounds__(NW * 32, 16 / NW)
    lusolve_mid(const T *__restrict__ lu, const uint32_t *__restrict__ ipiv,
                const int32_t *__restrict__ ainfo, lapis_bmap amap, const T *__restrict__ b,
                lapis_bmap bmap, T *__restrict__ x, int32_t *__restrict__ info, int64_t batch,
                int n, int k) {
    extern __shared__ __align__(16) unsigned char smraw[];
    T *xs = (T *)smraw; /* n x k, row-major */
    int *perm = (int *)(xs + n * k), *pv = perm + n;
    __shared__ int zmin; /* never read: U's zero pivots are in ainfo */
    const int tid = threadIdx.x, nk = n * k;
    for (int64_t i = blockIdx.x; i < batch; i += gridDim.x) {
        const int64_t ia = lapis_bmap_index(&amap, i);
        const T *A = lu + ia * (int64_t)n * n;
        const T *B = b + lapis_bmap_index(&bmap, i) * (int64_t)nk;
        for (int q = tid; q < n; q += NW * 32) {
            pv[q] = (int)ipiv[ia * n + q];
            perm[q] = q;
        }
        __syncthreads();
        if (tid == 0) lapis_swaps_to_perm(perm, n, [&](int q) { return pv[q]; });
        __syncthreads();
        bool bad = false, abad = false;
        for (int e = tid; e < nk; e += NW * 32) {
            const int q = e / k, c = e - q * k;
            const T y = B[perm[q] * k + c];
            bad |= !lapis_finite(y);
            xs[e] = y;
        }
        __syncthreads();
        trsm_mid_subst<T, KM, false, true, NW>(A, n, k, xs, abad, &zmin);
        trsm_mid_subst<T, KM, true, false, NW>(A, n, k, xs, abad, &zmin);
        bad = __syncthreads_or(bad);
        const int32_t f = ainfo ? ainfo[ia] : 0;
        const int inf = f ? f : bad ? LAPIS_INFO_NON_FINITE : 0;
        T *X = x + i * (int64_t)nk;
        for (int e = tid; e < nk; e += NW * 32) X[e] = inf ? lapis_nan<T>() : xs[e];
        if (tid == 0) info[i] = inf;
        __syncthreads();
    }
}

#define TRM_NW(LAUNCH, ...)                                                                      \
    do {                                                                                         \
        if (n <= 128) LAUNCH(__VA_ARGS__, 1);                                                    \
        else LAUNCH(__VA_ARGS__, 2);                                                             \
    } while (0)

template <typename T>
lapis_status lapis_lu_solve_mid(const T *lu, const uint32_t *ipiv, const int32_t *ainfo,
                                const lapis_bmap *amap, const T *b, const lapis_bmap *bmap, T *x,
                                int32_t *info, int64_t n64, int64_t k64, int64_t batch,
                                cudaStream_t s) {
    const int n = (int)n64, k = (int)k64;
    const unsigned grid = lapis_grid(batch, 1);
    const size_t smem = (size_t)n * k * sizeof(T) + 2 * (size_t)n * sizeof(int);
#define LSM(KM, NW)                                                                              \
    lusolve_mid<T, KM, NW><<<grid, NW * 32, smem, s>>>(lu, ipiv, ainfo, *amap, b, *bmap, x, info, \
                                                      batch, n, k)
    if (k == 1) TRM_NW(LSM, 1);
    else TRM_NW(LSM, LAPIS_TRSM_MID_K);
#undef LSM
    return lapis_cuda_launched("lusolve_mid");
}

template lapis_status lapis_lu_solve_mid<float>(const float *, const uint32_t *, const int32_t *,
                                                const lapis_bmap *, const float *,
                                                const lapis_bmap *, float *, int32_t *, int64_t,
                                                int64_t, int64_t, cudaStream_t);
template lapis_status lapis_lu_solve_mid<double>(const double *, const uint32_t *, const int32_t *,
                                                 const lapis_bmap *, const double *,
                                                 const lapis_bmap *, double *, int32_t *, int64_t,
                                                 int64_t, int64_t, cudaStream_t);

/* Inverse of a triangular matrix: forward substitution on [L | I], upper
 * handled as the transpose. */
template <typename T, int NP>
__global__ void __launch_bounds__(LAPIS_SMALL_THREADS)
    triinv_small(const T *__restrict__ a, T *__restrict__ out, int32_t *__restrict__ info,
                 int64_t batch, int n, bool upper) {
    extern __shared__ __align__(16) unsigned char smraw[];
    constexpr int MPW = lapis_small<NP>::MPW, SZ = lapis_small<NP>::SZ, LD = lapis_small<NP>::LD;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane / NP, r = lane % NP;
    T *wsm = (T *)smraw + warp * MPW * (SZ + 2 * NP);
    T *S = wsm + g * SZ, *buf = wsm + MPW * SZ + g * 2 * NP;
    const int64_t wpg = (int64_t)gridDim.x * (LAPIS_SMALL_THREADS / 32);
    const int64_t nn = (int64_t)n * n;
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        lapis_stage_in<T, NP>(wsm, a + base * nn, cnt, n, n, lane);
        __syncwarp();
        T v[NP], w[NP];
        lapis_load_row<T, NP>(v, S, r, n, upper, true);
        bool bad = false;
        T diag = T(1);
#pragma unroll
        for (int j = 0; j < NP; j++) {
            bad |= !lapis_finite(v[j]);
            w[j] = T(r == j ? 1 : 0);
            if (j == r) diag = v[j];
        }
        bad = lapis_group_any<NP>(bad && g < cnt, g);
        int z = lapis_group_first<NP>(diag == T(0), g);
        int inf = bad ? LAPIS_INFO_NON_FINITE : z >= 0 ? z + 1 : 0;
#pragma unroll
        for (int k = 0; k < NP; k++) {
            T *cb = buf + (k & 1) * NP;
            if (r == k) {
                T rd = T(1) / v[k];
#pragma unroll
                for (int j = 0; j <= k; j++) {
                    w[j] *= rd;
                    cb[j] = w[j];
                }
            }
            __syncwarp();
            T m = r > k ? v[k] : T(0);
#pragma unroll
            for (int j = 0; j <= k; j++) w[j] = fma(-m, cb[j], w[j]);
        }
        __syncwarp();
        if (r < n) {
#pragma unroll
            for (int j = 0; j < NP; j++) {
                if (j < n) {
                    T x = inf ? lapis_nan<T>() : (j <= r ? w[j] : T(0));
                    if (upper) S[j * LD + r] = x;
                    else S[r * LD + j] = x;
                }
            }
        }
        __syncwarp();
        lapis_stage_out<T, NP>(out + base * nn, wsm, cnt, n, n, lane);
        if (r == 0 && g < cnt) info[base + g] = inf;
        __syncwarp();
    }
}

/* ---- trsm slot ------------------------------------------------------------------------ */

/* x[i] = b[bmap(i)] */
template <typename T>
__global__ void gather_b(const T *b, lapis_bmap bmap, T *x, int64_t nk, int64_t batch) {
    int64_t total = nk * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t i = e / nk;
        x[e] = b[lapis_bmap_index(&bmap, i) * nk + (e - i * nk)];
    }
}

/* trsm_small's blocked substitution (tri_subst_blk) up to this many
 * matrices: it takes more registers (float32: 123 against 96), which cost
 * full batches 15% (n = 32, batch 65536: f32 0.118 -> 0.136 ms, f64 0.215
 * -> 0.230). H100, three rounds, f32 n = 32 at batch 1 / 16 / 64: 9.5-9.7 /
 * 9.5-10.2 / 9.6-10.3 -> 8.8-9.5 / 9.2-9.8 / 9.1-9.7 us (the empty kernel
 * 5.9-7.3), results bit for bit the same. (n = 32 with contiguous
 * operands now goes to trsm_one32: this serves 16 < n < 32, and batches
 * whose matrices are not contiguous.) */
#ifndef LAPIS_TRSM_BLK_MAX
#define LAPIS_TRSM_BLK_MAX 4096
#endif

template <typename T>
static lapis_status trsm_t(const lapis_solve_args *p, cudaStream_t s) {
    const T *a = (const T *)p->a, *b = (const T *)p->b;
    T *x = (T *)p->x;
    int n = (int)p->n, k = (int)p->k;
    int np = lapis_np(p->n);
    if (np) {
        constexpr int T_ = LAPIS_SMALL_THREADS;
        /* the operands' layouts as bits (1: A contiguous, 2: b), so that the
         * common path reads none of the maps */
        const int contig = (p->amap.ndim == 0) | (p->bmap.ndim == 0) << 1;
#define TRS1(NP, KC, UP, BLK)                                                                    \
    trsm_small<T, NP, KC, UP, BLK><<<lapis_grid(p->batch, MPB), T_, lapis_small_smem<T, NP>(0),   \
                                     s>>>(a, b, x, p->info, p->batch, n, k, contig, p->amap,      \
                                          p->bmap)
#define TRS(NP, KC, BLK)                                                                         \
    {                                                                                            \
        constexpr int MPB = lapis_small<NP>::MPW * (T_ / 32);                                    \
        if (p->upper) TRS1(NP, KC, true, BLK);                                                   \
        else TRS1(NP, KC, false, BLK);                                                           \
        return lapis_cuda_launched("trsm_small");                                                \
    }
        if (k == 1 && n == 32 && contig == 3 && ((uintptr_t)a & 15) == 0) {
            if (p->upper) trsm_one32<T, true><<<(unsigned)p->batch, 32, 0, s>>>(a, b, x, p->info);
            else trsm_one32<T, false><<<(unsigned)p->batch, 32, 0, s>>>(a, b, x, p->info);
            return lapis_cuda_launched("trsm_one32");
        }
        if (k == 1) {
            if (np == 4) TRS(4, 1, false)
            if (np == 8) TRS(8, 1, false)
            if (np == 16) TRS(16, 1, false)
            if (p->batch <= LAPIS_TRSM_BLK_MAX) TRS(32, 1, true)
            TRS(32, 1, false)
        }
        if (np == 4) TRS(4, 4, false)
        if (np == 8) TRS(8, 4, false)
        if (np == 16) TRS(16, 4, false)
        TRS(32, 4, false)
#undef TRS
#undef TRS1
    }
    if (p->n <= LAPIS_TRSM_MID_NMAX && p->k <= LAPIS_TRSM_MID_K) {
        const unsigned grid = lapis_grid(p->batch, 1);
        const size_t smem = (size_t)n * k * sizeof(T);
#define TRM(KM, UP, NW)                                                                          \
    trsm_mid<T, KM, UP, NW><<<grid, NW * 32, smem, s>>>(a, p->amap, b, p->bmap, x, p->info,      \
                                                        p->batch, n, k)
        if (k == 1 && p->upper) TRM_NW(TRM, 1, true);
        else if (k == 1) TRM_NW(TRM, 1, false);
        else if (p->upper) TRM_NW(TRM, LAPIS_TRSM_MID_K, true);
        else TRM_NW(TRM, LAPIS_TRSM_MID_K, false);
#undef TRM
        return lapis_cuda_launched("trsm_mid");
    }
    lapis_status st;
    if ((st = lapis_tri_check<T>(a, &p->amap, p->n, p->upper, b, &p->bmap, p->k, p->info, p->batch,
                                 s)))
        return st;
    gather_b<T><<<lapis_grid(p->n * p->k * p->batch, 256 * 8), 256, 0, s>>>(b, p->bmap, x,
                                                                          p->n * p->k, p->batch);
    if ((st = lapis_cuda_launched("gather_b"))) return st;
    if ((st = lapis_trsm_batched<T>(a, &p->amap, x, p->n, p->k, p->upper, false, p->batch, s)))
        return st;
    return lapis_nan_failed<T>(x, p->n * p->k, p->info, p->batch, s);
}
#undef TRM_NW

lapis_status lapis_cuda_trsm(const lapis_solve_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0 || p->k == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return trsm_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return trsm_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu trsm: dtype %s", lapis_dtype_name(p->dtype));
}

/* ---- tri_inv slot ---------------------------------------------------------------------- */

template <typename T>
static lapis_status triinv_t(const lapis_factor_args *p, cudaStream_t s) {
    const T *a = (const T *)p->a;
    T *out = (T *)p->out;
    int n = (int)p->n;
    int np = lapis_np(p->n);
    if (np) {
#define TRI(NP)                                                                                  \
    {                                                                                            \
        constexpr int MPB = lapis_small<NP>::MPW * (LAPIS_SMALL_THREADS / 32);                   \
        triinv_small<T, NP><<<lapis_grid(p->batch, MPB), LAPIS_SMALL_THREADS,                    \
                              lapis_small_smem<T, NP>(NP), s>>>(a, out, p->info, p->batch, n,    \
                                                                p->upper);                       \
        return lapis_cuda_launched("triinv_small");                                              \
    }
        if (np == 4) TRI(4)
        if (np == 8) TRI(8)
        if (np == 16) TRI(16)
        TRI(32)
#undef TRI
    }
    lapis_status st;
    if ((st = lapis_tri_check<T>(a, nullptr, p->n, p->upper, nullptr, nullptr, 0, p->info,
                                 p->batch, s)) ||
        (st = lapis_set_identity<T>(out, p->n, p->batch, s)) ||
        (st = lapis_trsm_batched<T>(a, nullptr, out, p->n, p->n, p->upper, false, p->batch, s)))
        return st;
    return lapis_nan_failed<T>(out, p->n * p->n, p->info, p->batch, s);
}

lapis_status lapis_cuda_tri_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return triinv_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return triinv_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu tri_inv: dtype %s", lapis_dtype_name(p->dtype));
}
