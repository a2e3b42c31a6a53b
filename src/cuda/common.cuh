/*
 * Shared device helpers of the CUDA kernels: the per-thread cuBLAS handle,
 * stream-ordered workspace, batch-wide helper kernels and the small-matrix
 * staging (one group of NP lanes per matrix, lane r holding row r).
 */
#ifndef LAPIS_CUDA_COMMON_CUH
#define LAPIS_CUDA_COMMON_CUH

#include <float.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda_internal.h"

#define LAPIS_FULL_MASK 0xffffffffu

/* ---- host side ------------------------------------------------------------- */

/* A cuBLAS status as a lapis status (never aborts). */
lapis_status lapis_cublas_fail(cublasStatus_t st, const char *what);
#define LAPIS_CUBLAS_TRY(call)                                                                 \
    do {                                                                                       \
        cublasStatus_t s_ = (call);                                                            \
        if (s_ != CUBLAS_STATUS_SUCCESS) return lapis_cublas_fail(s_, #call);                  \
    } while (0)

/* This thread's cuBLAS handle, bound to `stream` (created on first use,
 * default math: no TF32). NULL on failure, with the error set. */
cublasHandle_t lapis_cublas(cudaStream_t stream);

/* A second stream for work that overlaps the caller's stream inside one op
 * (the greatest priority, so short critical-path kernels start first), a
 * cuBLAS handle bound to it and three events; one set per host thread,
 * created on first use. Ops fork to it by an event and join back before
 * they return, so the caller's stream alone orders what follows. */
struct lapis_cuda_side {
    cudaStream_t s;
    cublasHandle_t h;
    cudaEvent_t ev[3];
};
lapis_status lapis_cuda_side_get(lapis_cuda_side *out);

/* Stream-ordered scratch memory from the device's workspace pool: freed on
 * the stream, never synchronises. */
struct lapis_scratch {
    void *p = nullptr;
    cudaStream_t s = nullptr;
    lapis_scratch() = default;
    lapis_scratch(const lapis_scratch &) = delete;
    lapis_scratch &operator=(const lapis_scratch &) = delete;
    ~lapis_scratch() {
        if (p) cudaFreeAsync(p, s);
    }
    lapis_status alloc(size_t bytes, cudaStream_t stream) {
        s = stream;
        if (bytes == 0) bytes = 16;
        int dev = 0;
        cudaError_t e = cudaGetDevice(&dev);
        cudaMemPool_t mp = e == cudaSuccess ? lapis_cuda_pool(dev) : NULL;
        e = mp ? cudaMallocFromPoolAsync(&p, bytes, mp, stream)
               : cudaMallocAsync(&p, bytes, stream);
        if (e != cudaSuccess) {
            p = nullptr;
            return lapis_cuda_fail(e, "cudaMallocAsync (workspace)");
        }
        return LAPIS_OK;
    }
};

/* Blocks for a grid-stride loop over `work` items of `per_block` each. */
static inline unsigned lapis_grid(int64_t work, int64_t per_block) {
    int64_t b = (work + per_block - 1) / per_block;
    if (b < 1) b = 1;
    if (b > (int64_t)1 << 30) b = (int64_t)1 << 30;
    return (unsigned)b;
}

/* Largest dynamic shared memory a block may opt into. */
static inline size_t lapis_smem_optin(void) {
    return (size_t)lapis_cuda_props()->sharedMemPerBlockOptin;
}

/* cudaFuncSetAttribute(fn, attr, value) once per device (the setting is
 * the current device's): bit d of *done records device d; devices past 63
 * ask every time. */
static inline cudaError_t lapis_func_attr_once(const void *fn, cudaFuncAttribute attr, int value,
                                               unsigned long long *done) {
    int dev = 0;
    cudaError_t e = cudaGetDevice(&dev);
    if (e != cudaSuccess) return e;
    const unsigned long long bit = dev >= 0 && dev < 64 ? 1ull << dev : 0ull;
    if (bit && (__atomic_load_n(done, __ATOMIC_RELAXED) & bit)) return cudaSuccess;
    e = cudaFuncSetAttribute(fn, attr, value);
    if (e == cudaSuccess) __atomic_fetch_or(done, bit, __ATOMIC_RELAXED);
    return e;
}

/* Whether a block with smem bytes of shared memory has its multiprocessor
 * to itself (a second one does not fit beside it). */
static inline bool lapis_block_alone(size_t smem) {
    return 2 * smem > lapis_cuda_props()->sharedMemPerMultiprocessor;
}

/* ---- device side ------------------------------------------------------------- */

template <typename T> __device__ __forceinline__ T lapis_nan();
template <> __device__ __forceinline__ float lapis_nan<float>() { return __int_as_float(0x7fc00000); }
template <> __device__ __forceinline__ double lapis_nan<double>() {
    return __longlong_as_double(0x7ff8000000000000ll);
}

template <typename T> __device__ __forceinline__ bool lapis_finite(T x) { return isfinite(x); }

/* The smallest normal number. */
template <typename T> __device__ __forceinline__ T lapis_tiny();
template <> __device__ __forceinline__ float lapis_tiny<float>() { return FLT_MIN; }
template <> __device__ __forceinline__ double lapis_tiny<double>() { return DBL_MIN; }

/* Vector type for 16-byte shared loads. */
template <typename T> struct lapis_vec;
template <> struct lapis_vec<float> {
    typedef float4 type;
    static constexpr int n = 4;
    static __device__ __forceinline__ float get(const float4 &v, int i) {
        return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
    }
    static __device__ __forceinline__ float4 make(const float *e) {
        return make_float4(e[0], e[1], e[2], e[3]);
    }
};
template <> struct lapis_vec<double> {
    typedef double2 type;
    static constexpr int n = 2;
    static __device__ __forceinline__ double get(const double2 &v, int i) { return i == 0 ? v.x : v.y; }
    static __device__ __forceinline__ double2 make(const double *e) { return make_double2(e[0], e[1]); }
};

/*
 * Block-wide load of a rows x cols matrix A (row stride ld) into wherever
 * put(i, j, x) stores element (i, j), for the elements with want(i, j).
 * Each thread keeps eight loads in flight before its stores (a loop of
 * single loads waits a full memory latency per element): 16-byte vectors
 * of whole rows where VEC and A and ld allow, else eight scalars (VEC =
 * false keeps the vector path's registers out of a kernel). Returns whether
 * this thread saw a wanted element that is NaN or Inf.
 */
template <typename T, bool VEC = true, typename Want, typename Put>
__device__ __forceinline__ bool lapis_load_rows(const T *A, int64_t ld, int rows, int cols,
                                                Want want, Put put) {
    constexpr int V = lapis_vec<T>::n, U = 8;
    typedef typename lapis_vec<T>::type VT;
    const int tid = threadIdx.x, nt = blockDim.x;
    bool bad = false;
    if (VEC && cols % V == 0 && ld % V == 0 && ((uintptr_t)A & 15) == 0) {
        const int nv = cols / V, total = rows * nv;
        for (int e0 = tid; e0 < total; e0 += U * nt) {
            VT x[U];
#pragma unroll
            for (int u = 0; u < U; u++) {
                int e = e0 + u * nt, i = e / nv, jv = e - i * nv;
                if (e < total) x[u] = *reinterpret_cast<const VT *>(A + (int64_t)i * ld + jv * V);
            }
#pragma unroll
            for (int u = 0; u < U; u++) {
                int e = e0 + u * nt, i = e / nv, jv = e - i * nv;
                if (e >= total) break;
#pragma unroll
                for (int t = 0; t < V; t++) {
                    const int j = jv * V + t;
                    if (!want(i, j)) continue;
                    const T v = lapis_vec<T>::get(x[u], t);
                    bad |= !lapis_finite(v);
                    put(i, j, v);
                }
            }
        }
        return bad;
    }
    const int total = rows * cols;
    for (int e0 = tid; e0 < total; e0 += U * nt) {
        T x[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            int e = e0 + u * nt, i = e / cols, j = e - i * cols;
            x[u] = e < total && want(i, j) ? A[(int64_t)i * ld + j] : T(0);
        }
#pragma unroll
        for (int u = 0; u < U; u++) {
            int e = e0 + u * nt, i = e / cols, j = e - i * cols;
            if (e >= total) break;
            if (!want(i, j)) continue;
            bad |= !lapis_finite(x[u]);
            put(i, j, x[u]);
        }
    }
    return bad;
}

/* A shared-memory address as the 32-bit shared-window address PTX takes.
 * Asynchronous 16-byte copy global -> shared (sm_80+: no registers on the
 * way, the copy in flight while the thread works on), the commit of this
 * thread's copies issued so far, and the wait for all of them. Both
 * addresses 16-byte aligned. */
__device__ __forceinline__ unsigned lapis_smem_addr(const void *p) {
    return (unsigned)__cvta_generic_to_shared(p);
}
__device__ __forceinline__ void lapis_cp16(void *sm, const void *g) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(lapis_smem_addr(sm)), "l"(g)
                 : "memory");
#else
    *(int4 *)sm = *(const int4 *)g;
#endif
}
__device__ __forceinline__ void lapis_cp_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void lapis_cp_wait_all() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_all;\n" ::: "memory");
#endif
}

/* ---- kernels over a batch, usable from every op file ----------------------- */

/* Matrices i with info[i] != 0 become all NaN (count elements each). */
template <typename T>
__global__ void lapis_k_nan_failed(T *x, int64_t count, const int32_t *info, int64_t batch) {
    int64_t total = batch * count;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t i = e / count;
        if (info[i] != 0) x[e] = lapis_nan<T>();
    }
}

template <typename T>
static lapis_status lapis_nan_failed(T *x, int64_t count, const int32_t *info, int64_t batch,
                                     cudaStream_t s) {
    if (count == 0 || batch == 0) return LAPIS_OK;
    lapis_k_nan_failed<T><<<lapis_grid(batch * count, 256 * 8), 256, 0, s>>>(x, count, info, batch);
    return lapis_cuda_launched("nan_failed");
}

/* ptrs[i] = base + map(i) * stride + off */
template <typename T>
__global__ void lapis_k_ptrs(T **ptrs, T *base, int64_t stride, int64_t off, lapis_bmap map,
                             int64_t batch) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < batch;
         i += (int64_t)gridDim.x * blockDim.x)
        ptrs[i] = base + lapis_bmap_index(&map, i) * stride + off;
}

template <typename T>
static lapis_status lapis_ptrs(T **ptrs, const T *base, int64_t stride, int64_t off,
                               const lapis_bmap *map, int64_t batch, cudaStream_t s) {
    lapis_bmap id = {};
    lapis_k_ptrs<T><<<lapis_grid(batch, 256), 256, 0, s>>>(ptrs, (T *)base, stride, off,
                                                           map ? *map : id, batch);
    return lapis_cuda_launched("ptrs");
}

/* ---- small matrices: NP lanes per matrix, lane r holds row r --------------- */

/* Staging area of one matrix in shared memory: row stride NP + 1 so that a
 * lane reading its row (or its column) hits distinct banks. */
template <int NP> struct lapis_small {
    static constexpr int MPW = 32 / NP;      /* matrices per warp           */
    static constexpr int LD = NP + 1;
    static constexpr int SZ = ((NP * LD + 3) / 4) * 4; /* 16-byte multiple */
};

/* A warp's whole tile (MPW full NP x NP matrices) moves as PER 16-byte
 * vectors per lane, all loads in flight before the first shared store: the
 * memory-level parallelism a staging phase needs (the profiler showed the
 * scalar loop leaving DRAM at ~20% of its bandwidth). */
template <typename T, int NP> struct lapis_tile {
    typedef typename lapis_vec<T>::type VT;
    static constexpr int VW = lapis_vec<T>::n;
    static constexpr int PER = lapis_small<NP>::MPW * NP * NP / (32 * VW);
    static constexpr int VPM = NP * NP / VW; /* vectors a matrix (a vector stays in one) */
    /* A partial tile (cnt < MPW: a batch of one, a batch's last warp) moves
     * the same way: the missing matrices' vectors load matrix 0's instead
     * (valid data for their idle groups) and are not stored back. The
     * scalar loop cost a batch of one n = 16 matrix up to 5 us (solve). */
    static __device__ __forceinline__ bool fits(const void *g, int cnt) {
        return cnt <= lapis_small<NP>::MPW && ((uintptr_t)g & 15) == 0;
    }
    static __device__ __forceinline__ int src(int q, int nv) {
        if constexpr (lapis_small<NP>::MPW == 1) return q;
        else return q < nv ? q : q % VPM;
    }
    static __device__ __forceinline__ bool keep(int q, int nv) {
        if constexpr (lapis_small<NP>::MPW == 1) return true;
        else return q < nv;
    }
    /* shared index of element e of the tile */
    static __device__ __forceinline__ int at(int e) {
        constexpr int LD = lapis_small<NP>::LD, SZ = lapis_small<NP>::SZ;
        int m = e / (NP * NP), rem = e % (NP * NP);
        return m * SZ + (rem / NP) * LD + rem % NP;
    }
};

/* The staging areas of a partial tile's missing matrices get the identity
 * where the scalar paths stage (rows or columns short of NP, a misaligned
 * batch): their idle groups then work on valid data, never on whatever
 * shared memory held (NaN, denormals: the slow paths of division). */
template <typename T, int NP>
__device__ __forceinline__ void lapis_stage_pad(T *S, int cnt, int lane) {
    constexpr int LD = lapis_small<NP>::LD, SZ = lapis_small<NP>::SZ, MPW = lapis_small<NP>::MPW;
    if constexpr (MPW > 1) {
        const int total = (MPW - cnt) * NP * NP;
        for (int e = lane; e < total; e += 32) {
            const int m = cnt + e / (NP * NP), rem = e % (NP * NP), r = rem / NP, c = rem % NP;
            S[m * SZ + r * LD + c] = T(r == c ? 1 : 0);
        }
    }
}

/* Copies cnt contiguous rows x cols matrices from global g into the warp's
 * staging areas (S + m * SZ), all 32 lanes cooperating, coalesced; the
 * areas of a partial tile's missing matrices get valid data too. */
template <typename T, int NP>
__device__ __forceinline__ void lapis_stage_in(T *S, const T *__restrict__ g, int cnt, int rows,
                                               int cols, int lane) {
    constexpr int LD = lapis_small<NP>::LD, SZ = lapis_small<NP>::SZ;
    typedef lapis_tile<T, NP> TL;
    if (rows == NP && cols == NP && TL::fits(g, cnt)) {
        typename TL::VT x[TL::PER];
        const typename TL::VT *gv = reinterpret_cast<const typename TL::VT *>(g);
        const int nv = cnt * TL::VPM;
#pragma unroll
        for (int q = 0; q < TL::PER; q++) x[q] = gv[TL::src(q * 32 + lane, nv)];
#pragma unroll
        for (int q = 0; q < TL::PER; q++) {
            const int at = TL::at((q * 32 + lane) * TL::VW); /* a vector stays in one row */
#pragma unroll
            for (int t = 0; t < TL::VW; t++) S[at + t] = lapis_vec<T>::get(x[q], t);
        }
    } else if (rows == NP && cols == NP) {
        const int total = cnt * NP * NP;
#pragma unroll 4
        for (int e = lane; e < total; e += 32) {
            int m = e / (NP * NP), rem = e % (NP * NP);
            S[m * SZ + (rem / NP) * LD + rem % NP] = g[e];
        }
        lapis_stage_pad<T, NP>(S, cnt, lane);
    } else {
        const int mn = rows * cols, total = cnt * mn;
#pragma unroll 4
        for (int e = lane; e < total; e += 32) {
            int m = e / mn, rem = e - m * mn, r = rem / cols, c = rem - r * cols;
            S[m * SZ + r * LD + c] = g[e];
        }
        lapis_stage_pad<T, NP>(S, cnt, lane);
    }
}

template <typename T, int NP>
__device__ __forceinline__ void lapis_stage_out(T *__restrict__ g, const T *S, int cnt, int rows,
                                                int cols, int lane) {
    constexpr int LD = lapis_small<NP>::LD, SZ = lapis_small<NP>::SZ;
    typedef lapis_tile<T, NP> TL;
    if (rows == NP && cols == NP && TL::fits(g, cnt)) {
        typename TL::VT *gv = reinterpret_cast<typename TL::VT *>(g);
        const int nv = cnt * TL::VPM;
#pragma unroll
        for (int q = 0; q < TL::PER; q++) {
            if (!TL::keep(q * 32 + lane, nv)) break;
            T e[TL::VW];
            const int at = TL::at((q * 32 + lane) * TL::VW);
#pragma unroll
            for (int t = 0; t < TL::VW; t++) e[t] = S[at + t];
            gv[q * 32 + lane] = lapis_vec<T>::make(e);
        }
    } else if (rows == NP && cols == NP) {
        const int total = cnt * NP * NP;
#pragma unroll 4
        for (int e = lane; e < total; e += 32) {
            int m = e / (NP * NP), rem = e % (NP * NP);
            g[e] = S[m * SZ + (rem / NP) * LD + rem % NP];
        }
    } else {
        const int mn = rows * cols, total = cnt * mn;
#pragma unroll 4
        for (int e = lane; e < total; e += 32) {
            int m = e / mn, rem = e - m * mn, r = rem / cols, c = rem - r * cols;
            g[e] = S[m * SZ + r * LD + c];
        }
    }
}

/* One matrix (n x n) at g into one staging area, all 32 lanes (for
 * broadcast batches whose matrices are not contiguous). */
template <typename T, int NP>
__device__ __forceinline__ void lapis_stage_one(T *S, const T *__restrict__ g, int n, int lane) {
    constexpr int LD = lapis_small<NP>::LD;
    const int nn = n * n;
    for (int e = lane; e < nn; e += 32) {
        int r = e / n, c = e - r * n;
        S[r * LD + c] = g[e];
    }
}

/* cnt matrices (n x n, nn elements) of a batch whose matrix i is a[amap(i)],
 * from base on, into the warp's staging areas: by lapis_stage_in's vectors
 * where the batch is contiguous (contig), else one matrix at a time, the
 * missing ones padded. */
template <typename T, int NP>
__device__ __forceinline__ void lapis_stage_batch(T *wsm, const T *__restrict__ a,
                                                  const lapis_bmap &amap, bool contig,
                                                  int64_t base, int cnt, int n, int64_t nn,
                                                  int lane) {
    constexpr int SZ = lapis_small<NP>::SZ;
    if (contig) {
        lapis_stage_in<T, NP>(wsm, a + base * nn, cnt, n, n, lane);
    } else {
        for (int q = 0; q < cnt; q++)
            lapis_stage_one<T, NP>(wsm + q * SZ, a + lapis_bmap_index(&amap, base + q) * nn, n,
                                   lane);
        lapis_stage_pad<T, NP>(wsm, cnt, lane);
    }
}

/* Lane's row r of the staged n x n matrix (trans: column r), identity
 * outside n x n; tri: keep only j <= r (after the transposition). */
template <typename T, int NP>
__device__ __forceinline__ void lapis_load_row(T (&v)[NP], const T *S, int r, int n, bool trans,
                                               bool tri) {
    constexpr int LD = lapis_small<NP>::LD;
#pragma unroll
    for (int j = 0; j < NP; j++) {
        T x = (r < n && j < n) ? (trans ? S[j * LD + r] : S[r * LD + j]) : T(r == j ? 1 : 0);
        if (tri && j > r) x = T(0);
        v[j] = x;
    }
}

/* Group-uniform "any lane of my group": ballot over the warp. */
template <int NP> __device__ __forceinline__ bool lapis_group_any(bool p, int g) {
    unsigned b = __ballot_sync(LAPIS_FULL_MASK, p);
    unsigned m = NP == 32 ? LAPIS_FULL_MASK : ((1u << NP) - 1u) << (g * NP);
    return (b & m) != 0;
}

/* Lowest lane index (within the group) with p, or -1. */
template <int NP> __device__ __forceinline__ int lapis_group_first(bool p, int g) {
    unsigned b = __ballot_sync(LAPIS_FULL_MASK, p);
    unsigned m = NP == 32 ? b : (b >> (g * NP)) & ((1u << NP) - 1u);
    return m ? __ffs(m) - 1 : -1;
}

/* Group argmax of (v, p): largest v, ties to the smallest p. */
template <typename T, int NP>
__device__ __forceinline__ void lapis_group_argmax(T &v, int &p) {
#pragma unroll
    for (int off = NP / 2; off >= 1; off >>= 1) {
        T v2 = __shfl_xor_sync(LAPIS_FULL_MASK, v, off);
        int p2 = __shfl_xor_sync(LAPIS_FULL_MASK, p, off);
        if (v2 > v || (v2 == v && p2 < p)) {
            v = v2;
            p = p2;
        }
    }
}

/* The pivot of a column, exactly: the position of the largest candidate
 * (ties: the smallest position, as i?amax), where a NaN is a candidate that
 * never beats a number and non-candidates (cand false) never win. For a
 * whole warp (NP = 32) the key |v| -> (its bits + 2, or 1 for NaN, 0 for no
 * candidate) orders exactly as the values, and two or three warp
 * reductions replace the five dependent shuffle rounds of the butterfly. */
template <typename T, int NP>
__device__ __forceinline__ int lapis_group_pivot_exact(T v, bool cand, int pos) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if constexpr (NP == 32) {
        T a = fabs(v);
        if constexpr (sizeof(T) == 8) {
            unsigned long long b = (unsigned long long)__double_as_longlong(a) + 2ull;
            if (a != a) b = 1ull;
            if (!cand) b = 0ull;
            unsigned hi = (unsigned)(b >> 32), lo = (unsigned)b;
            unsigned mhi = __reduce_max_sync(LAPIS_FULL_MASK, hi);
            unsigned mlo = __reduce_max_sync(LAPIS_FULL_MASK, hi == mhi ? lo : 0u);
            bool top = hi == mhi && lo == mlo;
            return (int)__reduce_min_sync(LAPIS_FULL_MASK, top ? (unsigned)pos : 0xffffffffu);
        } else {
            unsigned b = __float_as_uint(a) + 2u;
            if (a != a) b = 1u;
            if (!cand) b = 0u;
            unsigned m = __reduce_max_sync(LAPIS_FULL_MASK, b);
            return (int)__reduce_min_sync(LAPIS_FULL_MASK, b == m ? (unsigned)pos : 0xffffffffu);
        }
    }
#endif
    T c = cand ? fabs(v) : T(-1);
    if (cand && c != c) c = T(-0.5); /* NaN: a candidate, never preferred */
    int cp = pos;
    lapis_group_argmax<T, NP>(c, cp);
    return cp;
}

/* lapis_group_pivot_exact's answer from one 32-bit key a lane: the top
 * bits of |v| (its high word at float64; + 2, 1 for NaN, 0 for no
 * candidate) and below them a tag, NP - 1 - pos, so that the largest key is
 * the largest truncated value at the smallest position. Warp reductions
 * (NP = 32: one; NP = 16: two) or a butterfly of one shuffle and one
 * integer max a round take the place of the exact search's three
 * reductions or its rounds of three shuffles and two compares. The
 * truncation is exact unless another candidate of the group ties the
 * winner's top bits (equal values, or values within 2^-16 or so of each
 * other). pos < NP. */
template <typename T, int NP> struct lapis_pivot_key {
    static constexpr int PB = NP == 32 ? 5 : NP == 16 ? 4 : NP == 8 ? 3 : 2; /* tag bits */
    /* the value part of the key: hi < 2^31, and Inf's code + 2 still fits
     * in 32 - PB bits */
    static __device__ __forceinline__ unsigned code(T v, bool cand) {
        const T a = fabs(v);
        unsigned hi;
        if constexpr (sizeof(T) == 8)
            hi = (unsigned)((unsigned long long)__double_as_longlong(a) >> 32);
        else
            hi = __float_as_uint(a);
        unsigned c = (hi >> (PB - 1)) + 2u;
        if (a != a) c = 1u;
        return cand ? c : 0u;
    }
    /*
     * The group's largest key. Two groups of 16 take two whole-warp
     * reductions, each with the other group's keys 0. Measured on the H100
     * against the butterfly (ms): lu_factor f64 n = 16, batch 262144 0.408
     * -> 0.385; solve f32 n = 16, batch 2^20 1.211 -> 1.177; inv f64 n = 16
     * 0.561 -> 0.542. A reduction over each group's own mask measured slower
     * than the butterfly: lu_factor f64 n = 16 0.410 -> 0.455, f32 n = 8
     * 0.070 -> 0.093.
     */
    static __device__ __forceinline__ unsigned max(unsigned key) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        if constexpr (NP == 32) {
            return __reduce_max_sync(LAPIS_FULL_MASK, key);
        } else if constexpr (NP == 16) {
            unsigned lane;
            asm("mov.u32 %0, %%laneid;" : "=r"(lane));
            const bool hi = lane >= 16;
            const unsigned m0 = __reduce_max_sync(LAPIS_FULL_MASK, hi ? 0u : key);
            const unsigned m1 = __reduce_max_sync(LAPIS_FULL_MASK, hi ? key : 0u);
            return hi ? m1 : m0;
        } else
#endif
        {
#pragma unroll
            for (int off = NP / 2; off >= 1; off >>= 1)
                key = ::max(key, (unsigned)__shfl_xor_sync(LAPIS_FULL_MASK, key, off));
            return key;
        }
    }
    /* the winner's position; tie: whether another lane has its code */
    static __device__ __forceinline__ int pivot(T v, bool cand, int pos, bool &tie) {
        const unsigned c = code(v, cand), low = (unsigned)(NP - 1 - pos);
        const unsigned m = max((c << PB) | low);
        tie = c == (m >> PB) && low != (m & (NP - 1u));
        return NP - 1 - (int)(m & (NP - 1u));
    }
};

/* x / piv, 0 for a zero pivot: out of line, as it is rarely taken and the
 * small kernels' unrolled columns would each carry a copy of the division
 * (where lapis_pivot_rcp has no normal reciprocal) */
template <typename T> __device__ __noinline__ T lapis_div_rare(T x, T piv) {
    return piv != T(0) ? x / piv : T(0);
}

/* perm[q], q < n: the original row that LAPACK's interchanges (row q with
 * row piv(q), q = 0, 1, ...) bring to position q; perm holds the identity
 * on entry. One thread: each swap depends on the last. */
template <typename F> __device__ __forceinline__ void lapis_swaps_to_perm(int *perm, int n, F piv) {
    for (int q = 0; q < n; q++) {
        const int p = piv(q), t = perm[q];
        perm[q] = perm[p];
        perm[p] = t;
    }
}

/* One step of a substitution by shuffles, y the lane's right-hand side: lane
 * src owns x_k, its y times its pivot's reciprocal rd (DIV: y / dg where rd
 * is 0); the owner takes x_k, a row still to come (later) subtracts vk x_k.
 * For lu_back1 and tri_subst. */
template <typename T, bool DIV>
__device__ __forceinline__ void lapis_subst_step(T &y, T rd, T dg, int src, bool owner,
                                                 bool later, T vk) {
    T t = y * rd;
    if (DIV && rd == T(0)) t = lapis_div_rare(y, dg);
    const T xk = __shfl_sync(LAPIS_FULL_MASK, t, src);
    if (owner) y = xk;
    else if (later) y = fma(-vk, xk, y);
}

/* 1/x for a pivot x whose reciprocal is a normal number (2^-1022 <= |x| <
 * 2^1022 at float64, 2^-126 <= |x| < 2^126 at float32), else 0: zero,
 * subnormal, huge, Inf and NaN pivots divide instead. As LAPACK's getf2,
 * which scales by the reciprocal where |pivot| >= sfmin. The hardware's
 * approximation and Newton steps give it within an ulp; no range checks
 * or slow path beyond the one test. */
template <typename T> __device__ __forceinline__ T lapis_pivot_rcp(T x);
template <> __device__ __forceinline__ double lapis_pivot_rcp<double>(double x) {
    const double ax = fabs(x);
    double r;
    asm("rcp.approx.ftz.f64 %0, %1;" : "=d"(r) : "d"(x));
    double e = fma(-x, r, 1.0);
    e = fma(e, e, e);
    r = fma(r, e, r);
    e = fma(-x, r, 1.0);
    r = fma(r, e, r);
    return ax >= 0x1p-1022 && ax < 0x1p1022 ? r : 0.0;
}
template <> __device__ __forceinline__ float lapis_pivot_rcp<float>(float x) {
    const float ax = fabsf(x);
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    r = fmaf(r, fmaf(-x, r, 1.0f), r);
    return ax >= 0x1p-126f && ax < 0x1p126f ? r : 0.0f;
}

/* Pads n up to the small-kernel group size, 0 if n > 32. */
static inline int lapis_np(int64_t n) {
    return n <= 4 ? 4 : n <= 8 ? 8 : n <= 16 ? 16 : n <= 32 ? 32 : 0;
}

#define LAPIS_SMALL_THREADS 128

/* Blocks per multiprocessor a small kernel is compiled for (the minimum of
 * its __launch_bounds__): it caps the registers at 65536 / (128 B), so that
 * more warps hide the latency of the per-column dependency chain (the
 * profiler showed 19-25% occupancy, limited by registers). B = 0 leaves
 * the registers uncapped, where a cap would spill (checked with ptxas -v).
 * Chosen by `lapis bench` on the H100: lapis_small_occ for lu_small and
 * solve_small, lapis_chol_occ for chol_small (its row kernels spill
 * sooner), lapis_inv_occ for inv_small (its registers as before inv_regs's
 * branch-free column loop: inv f64 n = 16, batch 262144, 0.630 ms uncapped,
 * 0.561 capped), trsm_small as lu_small (f64 n = 16 0.264 -> 0.199 ms on the
 * H200); the other small kernels measured no better capped. */
template <typename T, int NP> struct lapis_small_occ {
    static constexpr int B = sizeof(T) == 4 ? (NP <= 16 ? 8 : 0) : (NP <= 8 ? 8 : NP == 16 ? 5 : 0);
};
template <typename T, int NP> struct lapis_inv_occ {
    static constexpr int B = sizeof(T) == 4 ? (NP == 8 ? 10 : NP == 32 ? 7 : 0)
                                            : (NP <= 8 ? 7 : NP == 16 ? 6 : 0);
};
template <typename T, int NP> struct lapis_chol_occ {
    static constexpr int B = sizeof(T) == 4 && NP == 32 ? 5 : 0;
};
#define LAPIS_SMALL_BOUNDS(...) __launch_bounds__(LAPIS_SMALL_THREADS, (__VA_ARGS__::B))

/* Shared bytes for a small kernel: per warp MPW staging areas and MPW pairs
 * of broadcast buffers of bw elements. */
template <typename T, int NP> static inline size_t lapis_small_smem(int bw) {
    constexpr int MPW = lapis_small<NP>::MPW, SZ = lapis_small<NP>::SZ;
    return (size_t)(LAPIS_SMALL_THREADS / 32) * MPW * (SZ + 2 * bw) * sizeof(T);
}

#endif
