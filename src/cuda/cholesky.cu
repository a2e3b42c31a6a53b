/*
 * Cholesky family on the GPU: cholesky and cholesky_inv.
 *   n <= 32: one group of NP lanes per matrix, lane r holds row r of the
 *            matrix in registers, column broadcasts through shared memory;
 *   n fits shared memory: one block per matrix, right-looking in shared;
 *   larger: recursive blocked (cuBLAS syrk/gemm, no TF32) with the
 *           shared-memory kernel on the diagonal leaves; the off-diagonal
 *           solves by cuBLAS trsm, or for one float64 matrix by DGEMM with
 *           the inverses of the leaves, which the leaf kernel also forms.
 * upper = true factors the transposed triangle as lower (A = Uᵀ U, U = Lᵀ).
 */
#include "common.cuh"
#include "ops.cuh"

/* ---- small: n <= 32 -------------------------------------------------------- */

/* Lane r of the group holds row r of the lower triangle in v. Returns info
 * (0, or k+1 at the first non-positive pivot), uniform over the group. */
template <typename T, int NP>
__device__ __forceinline__ int chol_regs(T (&v)[NP], int r, int g, T *buf) {
    constexpr int V = lapis_vec<T>::n;
    typedef typename lapis_vec<T>::type VT;
    int info = 0;
    T dk = __shfl_sync(LAPIS_FULL_MASK, v[0], g * NP);
#pragma unroll
    for (int k = 0; k < NP; k++) {
        const T d = dk;
        if (!(d > T(0)) && info == 0) info = k + 1;
        /* l = a / sqrt(d) through rsqrt: the dependency chain per column
         * is rsqrt + multiply instead of sqrt + division; sqrt(d), the
         * diagonal itself, is off the chain */
        T l = r == k ? sqrt(d) : v[k] * rsqrt(d);
        if (r >= k) v[k] = l;
        /* the next pivot, d' = a[k+1][k+1] - l[k+1][k]², from lane k+1's
         * own values (the same fma as its update below), so the chain
         * does not wait for the column's round trip through shared */
        if (k + 1 < NP)
            dk = __shfl_sync(LAPIS_FULL_MASK, fma(-l, l, v[k + 1]), g * NP + k + 1);
        T *cb = buf + (k & 1) * NP;
        cb[r] = v[k];
        __syncwarp();
        T m = r > k ? v[k] : T(0);
#pragma unroll
        for (int q = 0; q < NP / V; q++) {
            if ((q + 1) * V - 1 > k) {
                VT c = reinterpret_cast<const VT *>(cb)[q];
#pragma unroll
                for (int t = 0; t < V; t++)
                    if (q * V + t > k) v[q * V + t] = fma(-m, lapis_vec<T>::get(c, t), v[q * V + t]);
            }
        }
    }
    return info;
}

template <typename T, int NP>
__global__ void LAPIS_SMALL_BOUNDS(lapis_chol_occ<T, NP>)
    chol_small(const T *__restrict__ a, T *__restrict__ out, int32_t *__restrict__ info,
               int64_t batch, int n, bool upper) {
    extern __shared__ __align__(16) unsigned char smraw[];
    constexpr int MPW = lapis_small<NP>::MPW, SZ = lapis_small<NP>::SZ, LD = lapis_small<NP>::LD;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane / NP, r = lane % NP;
    T *wsm = (T *)smraw + warp * MPW * (SZ + 2 * NP);
    T *S = wsm + g * SZ, *buf = wsm + MPW * SZ + g * 2 * NP;
    const int64_t nn = (int64_t)n * n, wpg = (int64_t)gridDim.x * (LAPIS_SMALL_THREADS / 32);
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        lapis_stage_in<T, NP>(wsm, a + base * nn, cnt, n, n, lane);
        __syncwarp();
        T v[NP];
        lapis_load_row<T, NP>(v, S, r, n, upper, true);
        bool bad = false;
#pragma unroll
        for (int j = 0; j < NP; j++) bad |= !lapis_finite(v[j]);
        bad = lapis_group_any<NP>(bad && g < cnt, g);
        int inf = chol_regs<T, NP>(v, r, g, buf);
        if (bad) inf = LAPIS_INFO_NON_FINITE;
        if (r < n) {
#pragma unroll
            for (int j = 0; j < NP; j++) {
                if (j < n) {
                    T x = inf ? lapis_nan<T>() : (j <= r ? v[j] : T(0));
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

/* Inverse from the factor: X = L⁻¹ in registers, then A⁻¹ = Xᵀ X. */
template <typename T, int NP>
__global__ void __launch_bounds__(LAPIS_SMALL_THREADS)
    cholinv_small(const T *__restrict__ a, T *__restrict__ out, int32_t *__restrict__ info,
                  int64_t batch, int n, bool upper) {
    extern __shared__ __align__(16) unsigned char smraw[];
    constexpr int MPW = lapis_small<NP>::MPW, SZ = lapis_small<NP>::SZ, LD = lapis_small<NP>::LD;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane / NP, r = lane % NP;
    T *wsm = (T *)smraw + warp * MPW * (SZ + 2 * NP);
    T *S = wsm + g * SZ, *buf = wsm + MPW * SZ + g * 2 * NP;
    const int64_t nn = (int64_t)n * n, wpg = (int64_t)gridDim.x * (LAPIS_SMALL_THREADS / 32);
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        lapis_stage_in<T, NP>(wsm, a + base * nn, cnt, n, n, lane);
        __syncwarp();
        T v[NP], w[NP];
        lapis_load_row<T, NP>(v, S, r, n, upper, true);
        bool bad = false;
#pragma unroll
        for (int j = 0; j < NP; j++) bad |= !lapis_finite(v[j]);
        bad = lapis_group_any<NP>(bad && g < cnt, g);
        T diag = T(1);
#pragma unroll
        for (int j = 0; j < NP; j++) {
            w[j] = T(r == j ? 1 : 0);
            if (j == r) diag = v[j];
        }
        int z = lapis_group_first<NP>(diag == T(0), g);
        int inf = bad ? LAPIS_INFO_NON_FINITE : z >= 0 ? z + 1 : 0;
        /* forward substitution on [L | I], rows scaled by 1/l_kk as trti2 */
#pragma unroll
        for (int k = 0; k < NP; k++) {
            T *cb = buf + (k & 1) * NP;
            if (r == k) {
                T rd = T(1) / v[k];
#pragma unroll
                for (int j = 0; j <= k; j++) w[j] *= rd;
#pragma unroll
                for (int j = 0; j <= k; j++) cb[j] = w[j];
            }
            __syncwarp();
            T m = r > k ? v[k] : T(0);
#pragma unroll
            for (int j = 0; j <= k; j++) w[j] = fma(-m, cb[j], w[j]);
        }
        __syncwarp();
        /* X to shared (row r), then row r of Xᵀ X: sum_k X[k][r] X[k][j] */
#pragma unroll
        for (int j = 0; j < NP; j++) S[r * LD + j] = w[j];
        __syncwarp();
#pragma unroll
        for (int j = 0; j < NP; j++) v[j] = T(0);
        for (int k = r; k < NP; k++) {
            T xkr = S[k * LD + r];
#pragma unroll
            for (int j = 0; j < NP; j++) v[j] = fma(xkr, S[k * LD + j], v[j]);
        }
        __syncwarp();
        if (r < n) {
#pragma unroll
            for (int j = 0; j < NP; j++)
                if (j < n) S[r * LD + j] = inf ? lapis_nan<T>() : v[j];
        }
        __syncwarp();
        lapis_stage_out<T, NP>(out + base * nn, wsm, cnt, n, n, lane);
        if (r == 0 && g < cnt) info[base + g] = inf;
        __syncwarp();
    }
}

template <typename T, int NP>
static lapis_status launch_small(const lapis_factor_args *p, cudaStream_t s, bool inv) {
    size_t smem = lapis_small_smem<T, NP>(NP);
    constexpr int MPB = lapis_small<NP>::MPW * (LAPIS_SMALL_THREADS / 32);
    unsigned grid = lapis_grid(p->batch, MPB);
    if (inv)
        cholinv_small<T, NP><<<grid, LAPIS_SMALL_THREADS, smem, s>>>(
            (const T *)p->a, (T *)p->out, p->info, p->batch, (int)p->n, p->upper);
    else
        chol_small<T, NP><<<grid, LAPIS_SMALL_THREADS, smem, s>>>(
            (const T *)p->a, (T *)p->out, p->info, p->batch, (int)p->n, p->upper);
    return lapis_cuda_launched(inv ? "cholinv_small" : "chol_small");
}

/* ---- one block per matrix (or per diagonal leaf), in shared memory --------- */

#define CHOL_BLOCK_THREADS 256
#define CHOL_PANEL 16

/* Shared layout of chol_block for an n x n matrix: the lower triangle S,
 * packed by rows (row i from i (i + 1) / 2: half the square, so that two
 * float64 matrices of order 128 share a multiprocessor), then the current
 * panel's L21 transposed, LT[t][i] (row stride round4(n)), for the trailing
 * update's vector loads. */
static inline __host__ __device__ int64_t chol_block_lt_off(int64_t n) {
    return (n * (n + 1) / 2 + 3) & ~(int64_t)3;
}
/* Shared index of element (i, j), j <= i, of the packed lower triangle. */
static __device__ __forceinline__ int chol_at(int i, int j) { return ((i * (i + 1)) >> 1) + j; }
static inline __host__ __device__ int64_t chol_block_lt_ld(int64_t n) {
    return (n + 3) & ~(int64_t)3;
}

/*
 * In place, the inverse of the n x n lower triangle L held in S (packed,
 * chol_at), block-wide, with YT (CHOL_PANEL x LTD) as scratch. Blocked by
 * CHOL_PANEL columns, last block column first (as LAPACK's trtri):
 *   every diagonal block L_JJ <- L_JJ⁻¹, one group of P lanes each;
 *   then for J from the second last to the first, with L⁻¹ of the trailing
 *   part already in place,
 *     Y = (L⁻¹)[r1:, r1:] L[r1:, J]          4 x 4 register tiles, into YT,
 *     (L⁻¹)[r1:, J] = -Y L_JJ⁻¹              written over L[r1:, J].
 * Needs blockDim.x >= P * ceil(n / P) (every block size it is launched
 * with has threads >= n). The upper part of S is never read.
 */
template <typename T>
__device__ void chol_tri_inv(T *S, T *YT, int LTD, int n) {
    constexpr int P = CHOL_PANEL;
    const int tid = threadIdx.x, NT = blockDim.x, nb = (n + P - 1) / P;
    {
        const int J = tid / P, r = tid % P, c0 = J * P, w = min(P, n - c0);
        T x[P];
        if (J < nb) {
            /* column r of L_JJ⁻¹ by forward substitution: x = L_JJ⁻¹ e_r */
#pragma unroll
            for (int i = 0; i < P; i++) {
                if (i >= w) break;
                T acc = i == r ? T(1) : T(0);
#pragma unroll
                for (int t = 0; t < i; t++) acc = fma(-S[chol_at(c0 + i, c0 + t)], x[t], acc);
                x[i] = acc / S[chol_at(c0 + i, c0 + i)];
            }
        }
        __syncthreads();
        if (J < nb && r < w) {
#pragma unroll
            for (int i = 0; i < P; i++)
                if (i >= r && i < w) S[chol_at(c0 + i, c0 + r)] = x[i];
        }
        __syncthreads();
    }
    for (int J = nb - 2; J >= 0; J--) {
        const int c0 = J * P, r1 = c0 + P, m = n - r1, mt = (m + 3) >> 2;
        /* Y[i][t] = sum_{k <= i} (L⁻¹)[r1 + i][r1 + k] L[r1 + k][c0 + t] */
        for (int q = tid; q < mt * (P / 4); q += NT) {
            const int i0 = (q / (P / 4)) * 4, t0 = (q % (P / 4)) * 4;
            T acc[4][4];
#pragma unroll
            for (int u = 0; u < 4; u++)
#pragma unroll
                for (int z = 0; z < 4; z++) acc[u][z] = T(0);
            const int kend = min(i0 + 4, m);
            for (int k = 0; k < kend; k++) {
                T a[4], c[4];
#pragma unroll
                for (int u = 0; u < 4; u++)
                    a[u] = k <= i0 + u && i0 + u < m ? S[chol_at(r1 + i0 + u, r1 + k)] : T(0);
#pragma unroll
                for (int z = 0; z < 4; z++) c[z] = S[chol_at(r1 + k, c0 + t0 + z)];
#pragma unroll
                for (int u = 0; u < 4; u++)
#pragma unroll
                    for (int z = 0; z < 4; z++) acc[u][z] = fma(a[u], c[z], acc[u][z]);
            }
#pragma unroll
            for (int u = 0; u < 4; u++)
                if (i0 + u < m)
#pragma unroll
                    for (int z = 0; z < 4; z++) YT[(t0 + z) * LTD + i0 + u] = acc[u][z];
        }
        __syncthreads();
        /* (L⁻¹)[r1 + i][c0 + t] = -sum_{u >= t} Y[i][u] L_JJ⁻¹[u][t] */
        for (int q = tid; q < m * (P / 4); q += NT) {
            const int i = q / (P / 4), t0 = (q % (P / 4)) * 4;
            T acc[4] = {T(0), T(0), T(0), T(0)};
#pragma unroll
            for (int u = 0; u < P; u++) {
                const T y = YT[u * LTD + i];
#pragma unroll
                for (int z = 0; z < 4; z++)
                    if (u >= t0 + z) acc[z] = fma(-y, S[chol_at(c0 + u, c0 + t0 + z)], acc[z]);
            }
#pragma unroll
            for (int z = 0; z < 4; z++) S[chol_at(r1 + i, c0 + t0 + z)] = acc[z];
        }
        __syncthreads();
    }
}

/*
 * Factors the n x n diagonal block at offset off (row and column) of each
 * matrix (ld = row stride, stride = matrix stride) from src into dst, one
 * block per matrix, blocked by CHOL_PANEL-column panels in shared memory:
 *   1. warp 0 factors the diagonal block in registers (chol_regs);
 *   2. one thread per row below solves L21 = A21 L11⁻ᵀ (row in registers);
 *   3. all threads update the trailing triangle, A22 -= L21 L21ᵀ, in
 *      4 x 4 register tiles from the transposed copy of L21.
 * Two block barriers per panel step instead of two per column. Panels of
 * 16 measured as fast as 32 in float64 (the per-column chain bounds phase
 * 1) and faster in float32.
 * direct: src is the user's input: reads the triangle, checks for NaN/Inf,
 *         writes info and NaN on failure.
 * leaf:   dst is the work buffer (src is dst or the input); matrices with
 *         info != 0 are skipped and a failure writes info = off + k + 1.
 * ADD:    the block is src + add (a leaf of the batched path: its Schur
 *         sums plus the input), both with dst's layout. An instance of its
 *         own: the operand in the others cost float32 n = 128 6%.
 * INV:    also the inverse of each factor, in the factor's
 *         layout at inv + b * istride (row stride ldi), for the blocked
 *         solves of the large paths.
 */
template <typename T, bool INV, bool ADD>
__global__ void __launch_bounds__(CHOL_BLOCK_THREADS)
    chol_block(const T *src, T *dst, int64_t stride, int64_t off, int64_t ld, int n, bool upper,
               int32_t *info, int64_t batch, bool direct, const T *add, T *inv, int64_t ldi,
               int64_t istride) {
    constexpr int P = CHOL_PANEL, V = lapis_vec<T>::n;
    typedef typename lapis_vec<T>::type VT;
    extern __shared__ __align__(16) unsigned char smraw[];
    __shared__ __align__(16) T l11t[P * P]; /* l11t[j * P + t] = L11[t][j] */
    __shared__ T dinv[P], abuf[64]; /* two groups' column buffers */
    __shared__ int fail_s;
    T *S = (T *)smraw;
    T *LT = S + chol_block_lt_off(n);
    const int LTD = (int)chol_block_lt_ld(n), tid = threadIdx.x, NT = blockDim.x;
    const int warp = tid >> 5, lane = tid & 31;
    for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
        if (!direct && info[b] != 0) continue; /* uniform over the block */
        const T *A = src + b * stride + off * ld + off;
        const T *Ad = ADD ? add + b * stride + off * ld + off : nullptr;
        T *D = dst + b * stride + off * ld + off;
        bool bad = lapis_load_rows<T>(
            A, ld, n, n, [&](int i, int j) { return upper ? j >= i : j <= i; },
            [&](int i, int j, T x) {
                if (ADD) x += Ad[(int64_t)i * ld + j];
                if (upper) S[chol_at(j, i)] = x;
                else S[chol_at(i, j)] = x;
            });
        bad = __syncthreads_or(bad) && direct;
        int fail = 0;
        for (int c0 = 0; c0 < n && !bad; c0 += P) {
            const int w = min(P, n - c0), m = n - c0 - w, r1 = c0 + w;
            /* 1. the diagonal block (identity-padded to P), by lanes 0..P-1
             * of warp 0 (a second group of P lanes runs an identity) */
            if (warp == 0) {
                const int r = lane % P, g = lane / P;
                const bool own = g == 0 && r < w;
                T v[P];
#pragma unroll
                for (int j = 0; j < P; j++)
                    v[j] = own && j < w ? (j <= r ? S[chol_at(c0 + r, c0 + j)] : T(0))
                                        : T(r == j ? 1 : 0);
                int inf = chol_regs<T, P>(v, r, g, abuf + g * 2 * P);
                if (g == 0) {
#pragma unroll
                    for (int j = 0; j < P; j++) {
                        if (own && j <= r) S[chol_at(c0 + r, c0 + j)] = v[j];
                        l11t[j * P + r] = v[j];
                        if (j == r) dinv[r] = T(1) / v[j];
                    }
                }
                if (lane == 0) fail_s = inf;
            }
            __syncthreads();
            if (fail_s) {
                fail = c0 + fail_s;
                break;
            }
            if (m == 0) break;
            /* 2. L21 = A21 L11⁻ᵀ, a row per thread (w == P here) */
            for (int r = tid; r < ((m + 3) & ~3); r += NT) {
                if (r >= m) {
#pragma unroll
                    for (int j = 0; j < P; j++) LT[j * LTD + r] = T(0);
                    continue;
                }
                T *row = S + chol_at(r1 + r, c0);
                T x[P];
#pragma unroll
                for (int j = 0; j < P; j++) x[j] = row[j];
#pragma unroll
                for (int j = 0; j < P; j++) {
                    /* keeps ptxas from hoisting every load of L11 (spills) */
                    asm volatile("" ::: "memory");
                    x[j] *= dinv[j];
#pragma unroll
                    for (int t = j + 1; t < P; t++) x[t] = fma(-x[j], l11t[j * P + t], x[t]);
                }
#pragma unroll
                for (int j = 0; j < P; j++) {
                    row[j] = x[j];
                    LT[j * LTD + r] = x[j];
                }
            }
            __syncthreads();
            /* 3. A22 -= L21 L21ᵀ over 4 x 4 tiles of the lower triangle */
            const int mt = (m + 3) >> 2, ntile = mt * (mt + 1) / 2;
            for (int q = tid; q < ntile; q += NT) {
                int ti = (int)((sqrtf(8.0f * (float)q + 1.0f) - 1.0f) * 0.5f);
                while (ti * (ti + 1) / 2 > q) ti--;
                while ((ti + 1) * (ti + 2) / 2 <= q) ti++;
                const int tj = q - ti * (ti + 1) / 2;
                T acc[4][4];
#pragma unroll
                for (int u = 0; u < 4; u++)
#pragma unroll
                    for (int z = 0; z < 4; z++) acc[u][z] = T(0);
#pragma unroll 8
                for (int t = 0; t < P; t++) {
                    T a[4], c[4];
                    const VT *pa = reinterpret_cast<const VT *>(LT + t * LTD + 4 * ti);
                    const VT *pc = reinterpret_cast<const VT *>(LT + t * LTD + 4 * tj);
#pragma unroll
                    for (int h = 0; h < 4 / V; h++) {
                        VT va = pa[h], vc = pc[h];
#pragma unroll
                        for (int z = 0; z < V; z++) {
                            a[h * V + z] = lapis_vec<T>::get(va, z);
                            c[h * V + z] = lapis_vec<T>::get(vc, z);
                        }
                    }
#pragma unroll
                    for (int u = 0; u < 4; u++)
#pragma unroll
                        for (int z = 0; z < 4; z++) acc[u][z] = fma(a[u], c[z], acc[u][z]);
                }
#pragma unroll
                for (int u = 0; u < 4; u++) {
                    const int i = 4 * ti + u;
                    if (i >= m) break;
#pragma unroll
                    for (int z = 0; z < 4; z++) {
                        const int j = 4 * tj + z;
                        if (j <= i) S[chol_at(r1 + i, r1 + j)] -= acc[u][z];
                    }
                }
            }
            __syncthreads();
        }
        int inf = bad ? LAPIS_INFO_NON_FINITE : fail;
        bool nanout = direct && inf != 0;
        for (int e = tid; e < n * n; e += NT) {
            int i = e / n, j = e - i * n;
            T x;
            if (nanout) x = lapis_nan<T>();
            else if (upper) x = j >= i ? S[chol_at(j, i)] : T(0);
            else x = j <= i ? S[chol_at(i, j)] : T(0);
            D[(int64_t)i * ld + j] = x;
        }
        if (tid == 0) {
            if (direct) info[b] = inf;
            else if (inf) info[b] = (int32_t)(off + inf);
        }
        if (INV) {
            /* the factor's inverse in the factor's layout, zeros in the other
             * triangle (the blocked solves multiply by it as a full square);
             * all zeros for a failed matrix */
            __syncthreads();
            if (!inf) chol_tri_inv<T>(S, LT, LTD, n);
            T *I = inv + b * istride;
            for (int e = tid; e < n * n; e += NT) {
                int i = e / n, j = e - i * n;
                T x = T(0);
                if (!inf && (upper ? j >= i : j <= i))
                    x = upper ? S[chol_at(j, i)] : S[chol_at(i, j)];
                I[(int64_t)i * ldi + j] = x;
            }
        }
        __syncthreads();
    }
}

/* Dynamic shared elements of chol_block: S, then LT. */
static inline int64_t chol_block_elems(int64_t n) {
    return chol_block_lt_off(n) + CHOL_PANEL * chol_block_lt_ld(n);
}
template <typename T> static size_t chol_block_smem(int64_t n) {
    return (size_t)chol_block_elems(n) * sizeof(T);
}

template <typename T>
static lapis_status launch_block(const T *src, T *dst, int64_t stride, int64_t off, int64_t ld,
                                 int64_t n, bool upper, int32_t *info, int64_t batch, bool direct,
                                 cudaStream_t s, T *inv = nullptr, int64_t ldi = 0,
                                 int64_t istride = 0, const T *add = nullptr) {
    size_t smem = chol_block_smem<T>(n);
    /* an instance for the leaves' inverses: its registers (216 in float64
     * against 157) would cost the batched kernel occupancy; one for the
     * panel path's sums (ADD) */
    auto kernel = inv ? (add ? chol_block<T, true, true> : chol_block<T, true, false>)
                      : (add ? chol_block<T, false, true> : chol_block<T, false, false>);
    if (smem > 32 * 1024) { /* with the static arrays, past the 48 KB default */
        cudaError_t e =
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess) return lapis_cuda_fail(e, "cudaFuncSetAttribute(chol_block)");
    }
    /* threads by size: phase 2 has fewer than n rows and phase 3 fewer than
     * n² / 32 tiles; smaller blocks let more matrices share a multiprocessor
     * (the batched leaves with inverses too: chol_tri_inv needs n threads,
     * rounded up to the panel) */
    int threads = n <= 64 ? 64 : n <= 128 ? 128 : CHOL_BLOCK_THREADS;
    if (batch < 2 * (int64_t)lapis_cuda_props()->multiProcessorCount)
        threads = CHOL_BLOCK_THREADS; /* a few matrices (leaves): all hands on each */
    if (lapis_block_alone(smem))
        threads = CHOL_BLOCK_THREADS; /* alone on its multiprocessor: all hands too */
    kernel<<<lapis_grid(batch, 1), threads, smem, s>>>(src, dst, stride, off, ld, (int)n, upper,
                                                       info, batch, direct, add, inv, ldi,
                                                       istride);
    return lapis_cuda_launched("chol_block");
}

/* ---- large: recursive blocked ------------------------------------------------ */

/* out = chosen triangle of a, zeros elsewhere; info = -1 where it holds NaN/Inf
 * (info must be zeroed first). */
template <typename T>
__global__ void chol_copy_tri(const T *a, T *out, int64_t n, bool upper, int32_t *info,
                              int64_t batch) {
    int64_t nn = n * n, total = nn * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = e / nn, rem = e - b * nn, i = rem / n, j = rem - i * n;
        bool in = upper ? j >= i : j <= i;
        T x = in ? a[e] : T(0);
        if (!lapis_finite(x)) info[b] = LAPIS_INFO_NON_FINITE;
        out[e] = x;
    }
}

template <typename T> struct chol_blas;
template <> struct chol_blas<float> {
    static cublasStatus_t trsm(cublasHandle_t h, cublasSideMode_t sd, cublasFillMode_t u,
                               cublasOperation_t t, int m, int n, const float *A, int lda, float *B,
                               int ldb) {
        const float one = 1;
        return cublasStrsm(h, sd, u, t, CUBLAS_DIAG_NON_UNIT, m, n, &one, A, lda, B, ldb);
    }
    static cublasStatus_t trsmb(cublasHandle_t h, cublasSideMode_t sd, cublasFillMode_t u,
                                cublasOperation_t t, int m, int n, float **A, int lda, float **B,
                                int ldb, int cnt) {
        const float one = 1;
        return cublasStrsmBatched(h, sd, u, t, CUBLAS_DIAG_NON_UNIT, m, n, &one, A, lda, B, ldb,
                                  cnt);
    }
    static cublasStatus_t syrk(cublasHandle_t h, cublasFillMode_t u, cublasOperation_t t, int n,
                               int k, const float *A, int lda, float *C, int ldc) {
        const float mone = -1, one = 1;
        return cublasSsyrk(h, u, t, n, k, &mone, A, lda, &one, C, ldc);
    }
};
template <> struct chol_blas<double> {
    static cublasStatus_t trsm(cublasHandle_t h, cublasSideMode_t sd, cublasFillMode_t u,
                               cublasOperation_t t, int m, int n, const double *A, int lda,
                               double *B, int ldb) {
        const double one = 1;
        return cublasDtrsm(h, sd, u, t, CUBLAS_DIAG_NON_UNIT, m, n, &one, A, lda, B, ldb);
    }
    static cublasStatus_t trsmb(cublasHandle_t h, cublasSideMode_t sd, cublasFillMode_t u,
                                cublasOperation_t t, int m, int n, double **A, int lda,
                                double **B, int ldb, int cnt) {
        const double one = 1;
        return cublasDtrsmBatched(h, sd, u, t, CUBLAS_DIAG_NON_UNIT, m, n, &one, A, lda, B, ldb,
                                  cnt);
    }
    static cublasStatus_t syrk(cublasHandle_t h, cublasFillMode_t u, cublasOperation_t t, int n,
                               int k, const double *A, int lda, double *C, int ldc) {
        const double mone = -1, one = 1;
        return cublasDsyrk(h, u, t, n, k, &mone, A, lda, &one, C, ldc);
    }
};

template <typename T> struct chol_rec_ctx {
    T *w;
    int64_t n;
    bool upper;
    int32_t *info;
    cudaStream_t s;
    cublasHandle_t h;
    int64_t leaf;
    /* float64: the leaves' inverses (n rows of leaf, row stride leaf) and a
     * leaf x n scratch for the solves' out-of-place products */
    T *inv, *tmp;
};

/* The recursion's split of a diagonal block of order sz > leaf: the solves
 * below descend the same tree, so they meet the leaves' inverses. */
static inline int64_t chol_split(int64_t sz) { return ((sz / 2 + 31) / 32) * 32; }

/*
 * One matrix, column-major view of the work buffer (see chol_rec). Solves
 * with the factored diagonal block F at (o, o), order k, in place on the
 * block B at element offset boff with mc columns (lower) or rows (upper):
 *   lower (F = U upper):  B <- U⁻ᵀ B,  B is k x mc;
 *   upper (F = L lower):  B <- B L⁻ᵀ,  B is mc x k.
 * Recursive over F's halves down to the leaves, where it multiplies by the
 * leaf's inverse (DGEMM) instead of solving: cuBLAS trsm ran at ~8 TFLOP/s
 * in float64 on the H100, its small calls slower still.
 */
template <typename T>
static lapis_status chol_trsm(chol_rec_ctx<T> &c, int64_t o, int64_t k, int64_t boff, int64_t mc) {
    lapis_status st;
    const int64_t n = c.n, L = c.leaf;
    T *B = c.w + boff;
    if (k <= L) {
        const T *F = c.inv + o * L; /* column-major view: F⁻¹, ld leaf */
        if (!c.upper) {
            LAPIS_CUDA_TRY(cudaMemcpy2DAsync(c.tmp, k * sizeof(T), B, n * sizeof(T),
                                             k * sizeof(T), mc, cudaMemcpyDeviceToDevice, c.s));
            return lapis_gemm_strided<T>(c.h, CUBLAS_OP_T, CUBLAS_OP_N, k, mc, k, T(1), F, L, 0,
                                         c.tmp, k, 0, T(0), B, n, 0, 1);
        }
        LAPIS_CUDA_TRY(cudaMemcpy2DAsync(c.tmp, mc * sizeof(T), B, n * sizeof(T), mc * sizeof(T),
                                         k, cudaMemcpyDeviceToDevice, c.s));
        return lapis_gemm_strided<T>(c.h, CUBLAS_OP_N, CUBLAS_OP_T, mc, k, k, T(1), c.tmp, mc, 0, F,
                                     L, 0, T(0), B, n, 0, 1);
    }
    const int64_t k1 = chol_split(k), k2 = k - k1;
    if ((st = chol_trsm(c, o, k1, boff, mc))) return st;
    if (!c.upper) {
        /* B2 -= U12ᵀ X1, U12 at (o, o + k1) */
        if ((st = lapis_gemm_strided<T>(c.h, CUBLAS_OP_T, CUBLAS_OP_N, k2, mc, k1, T(-1),
                                        c.w + o + (o + k1) * n, n, 0, B, n, 0, T(1), B + k1, n, 0,
                                        1)))
            return st;
        return chol_trsm(c, o + k1, k2, boff + k1, mc);
    }
    /* B2 -= X1 L21ᵀ, L21 at (o + k1, o) */
    if ((st = lapis_gemm_strided<T>(c.h, CUBLAS_OP_N, CUBLAS_OP_T, mc, k2, k1, T(-1), B, n, 0,
                                    c.w + (o + k1) + o * n, n, 0, T(1), B + k1 * n, n, 0, 1)))
        return st;
    return chol_trsm(c, o + k1, k2, boff + k1 * n, mc);
}

/* One matrix. Column-major view of the row-major work buffer: row-major
 * lower is column-major upper (A = Uᵀ U); row-major upper is column-major
 * lower. */
template <typename T> static lapis_status chol_rec(chol_rec_ctx<T> &c, int64_t o, int64_t sz) {
    lapis_status st;
    if (sz <= c.leaf) {
        /* the leaf's inverse too, but the last leaf's goes unused */
        T *inv = c.inv && o + sz < c.n ? c.inv + o * c.leaf : nullptr;
        return launch_block<T>(c.w, c.w, c.n * c.n, o, c.n, sz, c.upper, c.info, 1, false, c.s,
                               inv, c.leaf, 0);
    }
    int64_t s1 = chol_split(sz), s2 = sz - s1, n = c.n;
    if ((st = chol_rec(c, o, s1))) return st;
    /* column-major upper: U12 = U11⁻ᵀ A12 (A12 at row-major offset (o+s1, o));
     * lower: L21 = A21 L11⁻ᵀ (A21 at row-major offset (o, o+s1)). */
    int64_t d = o * n + o, off = c.upper ? o * n + o + s1 : (o + s1) * n + o;
    int64_t d2 = (o + s1) * n + o + s1;
    cublasSideMode_t side = c.upper ? CUBLAS_SIDE_RIGHT : CUBLAS_SIDE_LEFT;
    cublasFillMode_t fill = c.upper ? CUBLAS_FILL_MODE_LOWER : CUBLAS_FILL_MODE_UPPER;
    int tm = c.upper ? (int)s2 : (int)s1, tn = c.upper ? (int)s1 : (int)s2;
    if (c.inv) {
        if ((st = chol_trsm(c, o, s1, off, s2))) return st;
    } else {
        LAPIS_CUBLAS_TRY(chol_blas<T>::trsm(c.h, side, fill, CUBLAS_OP_T, tm, tn, c.w + d, (int)n,
                                            c.w + off, (int)n));
    }
    /* cuBLAS syrk whole: its diagonal blocks split into DGEMM halves
     * measured slower (8192: 14.2 ms at order 1024, 22.9 at 64) */
    LAPIS_CUBLAS_TRY(chol_blas<T>::syrk(c.h, fill, c.upper ? CUBLAS_OP_N : CUBLAS_OP_T, (int)s2,
                                        (int)s1, c.w + off, (int)n, c.w + d2, (int)n));
    return chol_rec(c, o + s1, s2);
}

template <typename T> static int64_t chol_leaf(void) {
    int64_t leaf = sizeof(T) == 8 ? 128 : 160;
    while (leaf > 32 && !lapis_cuda_chol_block_fits(leaf, sizeof(T))) leaf -= 32;
    return leaf;
}

/* One matrix past the block kernel: recursive, the leaves in the block kernel. */
template <typename T>
static lapis_status chol_large(const lapis_factor_args *p, cudaStream_t s) {
    lapis_status st;
    int64_t n = p->n, nn = n * n;
    T *w = (T *)p->out;
    LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, sizeof(int32_t), s));
    chol_copy_tri<T><<<lapis_grid(nn, 256 * 8), 256, 0, s>>>((const T *)p->a, w, n, p->upper,
                                                              p->info, 1);
    if ((st = lapis_cuda_launched("chol_copy_tri"))) return st;
    cublasHandle_t h = lapis_cublas(s);
    if (!h) return LAPIS_ERR_INTERNAL;
    lapis_scratch ws;
    chol_rec_ctx<T> c = {w, n, p->upper, p->info, s, h, chol_leaf<T>(), nullptr, nullptr};
    if (sizeof(T) == 8) {
        /* float64: solves by the leaves' inverses (DGEMM on the tensor
         * cores). float32 keeps cuBLAS trsm, as fast or faster there (no
         * tensor cores without TF32; 1024: 0.80 against 1.01 ms) */
        /* the leaves' inverses, n x leaf, then the solves' scratch, leaf x n */
        if ((st = ws.alloc((size_t)(2 * n * c.leaf) * sizeof(T), s))) return st;
        c.inv = (T *)ws.p;
        c.tmp = c.inv + n * c.leaf;
        /* a leaf after a failed one is skipped: its inverse stays zero */
        LAPIS_CUDA_TRY(cudaMemsetAsync(c.inv, 0, (size_t)(n * c.leaf) * sizeof(T), s));
    }
    if ((st = chol_rec(c, 0, n))) return st;
    return lapis_nan_failed<T>(w, nn, p->info, 1, s);
}

/* ---- large batches: right-looking by panels, solves by the panels' inverses ---- */

/* info[b] = NON_FINITE where the chosen triangle of matrix b holds NaN/Inf,
 * else 0: a block a matrix, a warp a row. */
template <typename T>
__global__ void chol_check_tri(const T *a, int64_t n, bool upper, int32_t *info, int64_t batch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
        const T *A = a + b * n * n;
        bool bad = false;
        for (int64_t i = warp; i < n; i += nw) {
            const int64_t j0 = upper ? i : 0, j1 = upper ? n : i + 1;
            for (int64_t j = j0 + lane; j < j1; j += 32) bad |= !lapis_finite(A[i * n + j]);
        }
        bad = __syncthreads_or(bad);
        if (threadIdx.x == 0) info[b] = bad ? LAPIS_INFO_NON_FINITE : 0;
    }
}

/* dst block (rows x cols, row stride ld, matrix stride nn) = src (rows x
 * cols contiguous a matrix) */
template <typename T>
__global__ void chol_put_block(const T *src, int64_t rows, int64_t cols, T *dst, int64_t ld,
                               int64_t nn, int64_t batch) {
    const int64_t per = rows * cols, total = per * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        const int64_t b = e / per, r = e - b * per, i = r / cols, j = r - i * cols;
        dst[b * nn + i * ld + j] = src[e];
    }
}

/* The batched path's last pass, a block a matrix: a failed matrix (info !=
 * 0) all NaN; the others zero in the other triangle outside the diagonal
 * panels (width k), where the Schur products wrote whole squares or nothing
 * wrote. */
template <typename T>
__global__ void chol_finish(T *w, int64_t n, int64_t k, bool upper, const int32_t *info,
                            int64_t batch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
        T *W = w + b * n * n;
        const bool fail = info[b] != 0;
        for (int64_t i = warp; i < n; i += nw) {
            const int64_t p0 = i / k * k;
            const int64_t j0 = fail ? 0 : upper ? 0 : min(p0 + k, n);
            const int64_t j1 = fail ? n : upper ? p0 : n;
            const T x = fail ? lapis_nan<T>() : T(0);
            for (int64_t j = j0 + lane; j < j1; j += 32) W[i * n + j] = x;
        }
    }
}

/*
 * Batches from lapis_cuda_chol_panel_from on, by panels of k columns (k <=
 * the leaf, the order split evenly), in the column-major view of chol_rec (lower:
 * A = Uᵀ U with U12 = U11⁻ᵀ A12; upper: A = L Lᵀ with L21 = A21 L11⁻ᵀ):
 *   the panel's diagonal block in the block kernel, with its inverse;
 *   the panel below (beside) it by a GEMM with that inverse, from the
 *   input for the first panel (its Schur sum as a second GEMM later);
 *   the trailing square's Schur products, A22 -= U12ᵀ U12, by GEMM, the
 *   first written over the work buffer (beta 0), the input added only as
 *   each panel is read.
 * The recursion this replaced spent, at float64 n = 256 and batch 512,
 * 0.38 of its 1.27 ms in cuBLAS trsmBatched and 0.32 in the copy of the
 * input and two whole passes after it; at batch 1024, 2.39 -> 1.58 ms.
 * Matrices in chunks so that the scratch (the inverses and, from three
 * panels on, the panel's Schur sum) stays within 256 MiB.
 */
template <typename T>
static lapis_status chol_batched(const lapis_factor_args *p, cudaStream_t s) {
    lapis_status st;
    const int64_t n = p->n, nn = n * n, leaf = chol_leaf<T>();
    const int64_t np = (n + leaf - 1) / leaf, k = ((n + np - 1) / np + 31) / 32 * 32;
    const bool up = p->upper, three = n > 2 * k;
    const int64_t per = k * k + (three ? (n - k) * k : 0);
    const int64_t cap = ((int64_t)256 << 20) / (per * (int64_t)sizeof(T));
    const int64_t chunk = max((int64_t)1, min(p->batch, cap));
    cublasHandle_t h = lapis_cublas(s);
    if (!h) return LAPIS_ERR_INTERNAL;
    lapis_scratch ws;
    if ((st = ws.alloc((size_t)(per * chunk) * sizeof(T), s))) return st;
    T *inv = (T *)ws.p, *tmp = inv + k * k * chunk;
    const cublasOperation_t opN = CUBLAS_OP_N, opT = CUBLAS_OP_T;
    for (int64_t b0 = 0; b0 < p->batch; b0 += chunk) {
        const int64_t cb = min(chunk, p->batch - b0);
        const T *a = (const T *)p->a + b0 * nn;
        T *w = (T *)p->out + b0 * nn;
        int32_t *info = p->info + b0;
        chol_check_tri<T><<<lapis_grid(cb, 1), 256, 0, s>>>(a, n, up, info, cb);
        if ((st = lapis_cuda_launched("chol_check_tri"))) return st;
        for (int64_t o = 0; o < n; o += k) {
            const int64_t kk = min(k, n - o), m = n - o - kk;
            /* column-major: the panel below the diagonal block (lower: kk x m
             * at (o, o + kk); upper: m x kk at (o + kk, o)), the trailing square */
            const int64_t off = up ? (o + kk) + o * n : o + (o + kk) * n;
            const int64_t d2 = (o + kk) * (n + 1);
            if ((st = launch_block<T>(o ? w : a, w, nn, o, n, kk, up, info, cb, false, s,
                                      m ? inv : nullptr, k, k * k, o ? a : nullptr)))
                return st;
            if (m == 0) break;
            /* the panel: from the input (first panel), or its Schur sum plus
             * the input into tmp, then put in place */
            T *pd = o ? tmp : w + off;
            const int64_t ldp = o ? (up ? m : kk) : n, sp = o ? m * kk : nn;
            for (int g = 0; g < (o ? 2 : 1); g++) {
                const T *src = (g ? w : a) + off, beta = g ? T(1) : T(0);
                st = up ? lapis_gemm_strided<T>(h, opN, opT, m, kk, kk, T(1), src, n, nn, inv, k,
                                                k * k, beta, pd, ldp, sp, cb)
                        : lapis_gemm_strided<T>(h, opT, opN, kk, m, kk, T(1), inv, k, k * k, src,
                                                n, nn, beta, pd, ldp, sp, cb);
                if (st) return st;
            }
            if (o) {
                /* column-major (ldp rows) as row-major: up, kk rows of m; lower, m of kk */
                const int64_t rows = up ? kk : m, cols = up ? m : kk;
                chol_put_block<T><<<lapis_grid(rows * cols * cb, 256 * 8), 256, 0, s>>>(
                    tmp, rows, cols, w + off, n, nn, cb);
                if ((st = lapis_cuda_launched("chol_put_block"))) return st;
            }
            if ((st = lapis_gemm_strided<T>(h, up ? opN : opT, up ? opT : opN, m, m, kk, T(-1),
                                            w + off, n, nn, w + off, n, nn, o ? T(1) : T(0),
                                            w + d2, n, nn, cb)))
                return st;
        }
        chol_finish<T><<<lapis_grid(cb, 1), 256, 0, s>>>(w, n, k, up, info, cb);
        if ((st = lapis_cuda_launched("chol_finish"))) return st;
    }
    return LAPIS_OK;
}

/* ---- dispatch ------------------------------------------------------------------ */

template <typename T>
static lapis_status chol_t(const lapis_factor_args *p, cudaStream_t s) {
    switch (lapis_cuda_kernel_for(LAPIS_CUDA_OP_CHOLESKY, p->n, p->batch, sizeof(T))) {
    case LAPIS_CUDA_SMALL:
        switch (lapis_np(p->n)) {
        case 4: return launch_small<T, 4>(p, s, false);
        case 8: return launch_small<T, 8>(p, s, false);
        case 16: return launch_small<T, 16>(p, s, false);
        default: return launch_small<T, 32>(p, s, false);
        }
    case LAPIS_CUDA_BLOCK:
        return launch_block<T>((const T *)p->a, (T *)p->out, p->n * p->n, 0, p->n, p->n, p->upper,
                               p->info, p->batch, true, s);
    default: return p->batch > 1 ? chol_batched<T>(p, s) : chol_large<T>(p, s);
    }
}

bool lapis_cuda_chol_block_fits(int64_t n, size_t elem) {
    /* plus the static arrays: l11t, dinv, abuf (64) and fail_s. The bound
     * stays that of the square layout the block kernel had when the table
     * was measured against the large path (float64 n <= 161, float32 232):
     * the packed triangle only lets more blocks share a multiprocessor */
    const size_t stat = (CHOL_PANEL * CHOL_PANEL + CHOL_PANEL + 64) * elem + 16;
    const int64_t square = ((n * (n + 1) + 3) & ~(int64_t)3) + CHOL_PANEL * chol_block_lt_ld(n);
    return (size_t)square * elem + stat <= lapis_smem_optin();
}

/* The kernel table by the packed triangle's own size (float64 n <= 223,
 * float32 n <= 323 on an H100) instead of the square layout's (161, 232),
 * below lapis_cuda_chol_panel_from for batches: float32 n = 256, batch
 * 1024, 1.59 -> 1.29 ms (0.83x -> 1.02x of potrfBatched) on the H100, n =
 * 64 and 128 unchanged, before the panel path. The leaves of the large
 * paths keep lapis_cuda_chol_block_fits. */
bool lapis_cuda_chol_block_fits_packed(int64_t n, size_t elem) {
    const size_t stat = (CHOL_PANEL * CHOL_PANEL + CHOL_PANEL + 64) * elem + 16;
    return (size_t)chol_block_elems(n) * elem + stat <= lapis_smem_optin();
}

/* Batches from this order on take chol_batched even where the block kernel
 * fits. On the H100, batches of 2^26 / n² matrices, block kernel against
 * panels (ms): float32 n = 192 0.81 / 1.02, 224 1.40 / 1.05, 256 1.30 /
 * 0.89; float64 n = 160 2.09 / 1.61, 192 2.03 / 1.55 (n = 128: one panel,
 * the block kernel's work). */
int64_t lapis_cuda_chol_panel_from(size_t elem) {
#ifdef LAPIS_CHOL_PANEL_FROM /* measurement builds */
    (void)elem;
    return LAPIS_CHOL_PANEL_FROM;
#else
    return elem == 4 ? 224 : 160;
#endif
}

lapis_status lapis_cuda_cholesky(const lapis_factor_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return chol_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return chol_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu cholesky: dtype %s", lapis_dtype_name(p->dtype));
}

/* ---- cholesky_inv for n > 32: X = L⁻¹ by trsm on I, then A⁻¹ = Xᵀ X ---------- */

template <typename T>
static lapis_status cholinv_large(const lapis_factor_args *p, cudaStream_t s) {
    lapis_status st;
    int64_t n = p->n, nn = n * n, batch = p->batch;
    lapis_scratch xs;
    if ((st = xs.alloc((size_t)(nn * batch) * sizeof(T), s))) return st;
    T *x = (T *)xs.p;
    /* info: NaN/Inf in the triangle, else the first zero diagonal element */
    if ((st = lapis_tri_check<T>((const T *)p->a, nullptr, n, p->upper, nullptr, nullptr, 0,
                                 p->info, batch, s)))
        return st;
    if ((st = lapis_set_identity<T>(x, n, batch, s))) return st;
    /* X = F⁻¹ for the given factor F (L, or U) */
    if ((st = lapis_trsm_batched<T>((const T *)p->a, nullptr, x, n, n, p->upper, false, batch, s)))
        return st;
    /* lower: A⁻¹ = Xᵀ X = Xc Xcᵀ (column-major Xc = Xᵀ); upper: A⁻¹ = X Xᵀ = Xcᵀ Xc */
    cublasHandle_t h = lapis_cublas(s);
    if (!h) return LAPIS_ERR_INTERNAL;
    cublasOperation_t t1 = p->upper ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t t2 = p->upper ? CUBLAS_OP_N : CUBLAS_OP_T;
    if ((st = lapis_gemm_strided<T>(h, t1, t2, n, n, n, T(1), x, n, nn, x, n, nn, T(0),
                                    (T *)p->out, n, nn, batch)))
        return st;
    return lapis_nan_failed<T>((T *)p->out, nn, p->info, batch, s);
}

template <typename T>
static lapis_status cholinv_t(const lapis_factor_args *p, cudaStream_t s) {
    switch (lapis_np(p->n)) {
    case 4: return launch_small<T, 4>(p, s, true);
    case 8: return launch_small<T, 8>(p, s, true);
    case 16: return launch_small<T, 16>(p, s, true);
    case 32: return launch_small<T, 32>(p, s, true);
    default: return cholinv_large<T>(p, s);
    }
}

lapis_status lapis_cuda_cholesky_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return cholinv_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return cholinv_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu cholesky_inv: dtype %s", lapis_dtype_name(p->dtype));
}
