/*
 * LU family on the GPU: lu_factor, solve (fused LU + substitution), lu_solve,
 * inv, det, lu_unpack.
 *   n <= 32: a group of NP lanes per matrix, lane r holds original row r;
 *            pivoting is virtual (each lane tracks its row's position), the
 *            pivot row is broadcast through shared memory; lu_factor of
 *            32 x 32 batches loads a warp's next matrix while it factors;
 *   fits shared memory: one block per matrix (or panel), partial pivoting;
 *   larger: recursive LU (dgetrf2's split) with cuBLAS trsm/gemm (no TF32)
 *           and, on the 32-column panel leaves, the block kernel, or for one
 *           or a few big matrices the cluster leaf (sm_90) where a panel's
 *           slices fit and the cooperative leaf elsewhere.
 * The substitutions after a factorization (solve and lu_solve for n > 32):
 * one fused kernel for n <= 256 with at most 4 right-hand sides
 * (lapis_lu_solve_mid, triangular.cu), else cuBLAS trsm.
 * Pivot ties go to the smallest row position, as LAPACK's i?amax. A zero
 * pivot does not stop the factorization (info = its 1-based index).
 */
#include <cooperative_groups.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common.cuh"
#include "ops.cuh"

/* ---- small: the factorization in registers ---------------------------------- */

/* Each group's broadcast buffer for lu_regs: two pivot rows (columns alternate
 * between them), each followed by a 16-byte head holding the pivot's
 * reciprocal. */
template <typename T, int NP> struct lu_buf {
    static constexpr int ROW = NP + lapis_vec<T>::n, BW = 2 * ROW;
};

/* A right-hand side carried through lu_regs (solve with one column): y,
 * the lane's element of b on entry, is eliminated with its row (L^-1 P b
 * at the row's final position on return); rd and dg come back as the
 * reciprocal of the row's pivot (0: none normal) and the pivot itself. */
template <typename T> struct lu_rhs {
    T y, rd, dg;
};

/* The pivot's position for a column of the group (x: the lane's value,
 * cand: whether its row is a candidate): by lapis_pivot_key if KEY, redo
 * set where that may not be exact, else by the exact search. */
template <typename T, int NP, bool KEY>
__device__ __forceinline__ int lu_pick(T x, bool cand, int pos, bool &redo) {
    if constexpr (KEY) {
        bool t;
        const int cp = lapis_pivot_key<T, NP>::pivot(x, cand, pos, t);
        redo |= t;
        return cp;
    } else {
        return lapis_group_pivot_exact<T, NP>(x, cand, pos);
    }
}

/*
 * Rows r < m of the group hold rows of A (v), pos their current position.
 * K = min(m, n) steps. On return v holds the packed LU row of the row now at
 * position pos, myipiv (lane r < K) the pivot of step r, and the result is
 * info (first zero pivot, 1-based) uniform over the group. buf: lu_buf's
 * BW elements, 16-byte aligned.
 *
 * Each lane takes the reciprocal of its own candidate while the group looks
 * for the pivot, off the column's dependency chain; the winner broadcasts
 * it with its row and the others scale by a multiply (getf2's dscal by
 * 1/pivot). A pivot without a normal reciprocal (lapis_pivot_rcp's 0)
 * divides. Measured on the H100 against a division after the broadcast
 * (ms, batch 65536 or 262144 at n = 16): lu_factor f32 n = 16 0.283 ->
 * 0.268, f64 0.509 -> 0.483; solve f64 n = 32 0.894 -> 0.825; lu_factor f64
 * n = 32 at batch 1 15.8 -> 13.5 us. Choosing the pivot by one reduction
 * and a ballot (the position through shared memory) measured slower.
 * KEY: the pivot by lapis_pivot_key, redo set where it may not be exact
 * (see lu_regs_fast); else by the exact search. CHECK: a pivot without a
 * normal reciprocal divides and sets info; else it only sets redo (the
 * result is then wrong, and lu_regs_fast starts again with CHECK).
 * SH (with KEY, without CHECK; r must be the lane's index in its group):
 * the key is tagged by lane instead of position, which picks the same pivot
 * wherever it is exact (a tie sets redo either way), so every lane knows the
 * winner's lane; the reciprocal and the pivot row's element k + 1 come by
 * shuffles, and the next column's search no longer waits for the winner's
 * stores, the warp barrier and the shared loads of its row.
 * RHS: rhs->y is eliminated with the lane's row (lu_rhs).
 */
template <typename T, int NP, bool KEY, bool CHECK, bool SH = false, bool RHS = false>
__device__ __forceinline__ int lu_regs(T (&v)[NP], int &pos, uint32_t &myipiv, int r, int m,
                                       int K, T *buf, bool &redo, lu_rhs<T> *rhs = nullptr) {
    constexpr int V = lapis_vec<T>::n;
    typedef typename lapis_vec<T>::type VT;
    constexpr bool S = SH && KEY && !CHECK;
    const bool rv = r < m;
    const int gbase = (int)(threadIdx.x & 31) - r; /* the group's first lane */
    int info = 0;
#pragma unroll
    for (int k = 0; k < NP; k++) {
        if (k >= K) break;
        const T rk = lapis_pivot_rcp(v[k]);
        int cp, wl = 0;
        T rs = T(0), p1 = T(0);
        if constexpr (S) {
            /* the key tagged by lane: its winner is the pivot unless a tie
             * (redo) */
            bool t;
            wl = gbase + lapis_pivot_key<T, NP>::pivot(v[k], rv && pos >= k, r, t);
            redo |= t;
            rs = __shfl_sync(LAPIS_FULL_MASK, rk, wl);
            if (k + 1 < NP) p1 = __shfl_sync(LAPIS_FULL_MASK, v[k + 1], wl);
            cp = __shfl_sync(LAPIS_FULL_MASK, pos, wl);
        } else {
            cp = lu_pick<T, NP, KEY>(v[k], rv && pos >= k, pos, redo);
        }
        const bool win = S ? gbase + r == wl : rv && pos == cp;
        /* below the pivot after the interchange, known before it (the row
         * at k goes to the winner's place, below k) */
        const bool below_s = rv && !win && pos >= k;
        T *cb = buf + (k & 1) * lu_buf<T, NP>::ROW;
        if (win) { /* the pivot row from column k on, in 16-byte stores */
#pragma unroll
            for (int q = 0; q < NP / V; q++)
                if ((q + 1) * V > k + (S ? 2 : 0))
                    reinterpret_cast<VT *>(cb)[q] = lapis_vec<T>::make(&v[q * V]);
            if (!S) cb[NP] = rk;
            if (RHS && !S) cb[NP + 1] = rhs->y;
        }
        if (r == k) myipiv = (uint32_t)cp;
        if (rv && pos == k) pos = cp;
        if (win) pos = k;
        __syncwarp();
        const T rp = S ? rs : cb[NP];
        const bool below = S ? below_s : rv && pos > k;
        T l = v[k] * rp;
        if constexpr (CHECK) {
            if (rp == T(0)) { /* zero, subnormal, huge or non-finite pivot */
                const T piv = cb[k];
                if (piv == T(0) && info == 0) info = k + 1;
                l = lapis_div_rare(v[k], piv);
            }
        } else {
            redo |= rp == T(0);
        }
        l = below ? l : T(0);
        if constexpr (RHS) {
            const T pb = S ? __shfl_sync(LAPIS_FULL_MASK, rhs->y, wl) : cb[NP + 1];
            rhs->y = fma(-l, pb, rhs->y);
            if (win) {
                rhs->rd = rp;
                rhs->dg = v[k];
            }
        }
        if (below) v[k] = l;
        if (S && k + 1 < NP) v[k + 1] = fma(-l, p1, v[k + 1]);
#pragma unroll
        for (int q = 0; q < NP / V; q++) {
            if ((q + 1) * V - 1 > k + (S ? 1 : 0)) {
                VT c = reinterpret_cast<const VT *>(cb)[q];
#pragma unroll
                for (int t = 0; t < V; t++)
                    if (q * V + t > k + (S ? 1 : 0))
                        v[q * V + t] = fma(-l, lapis_vec<T>::get(c, t), v[q * V + t]);
            }
        }
    }
    return info;
}

/* lu_regs from pos = r with no branch in the column loop: the pivot by the
 * key's search (lapis_pivot_key) if KEY, and no test for pivots without a
 * normal reciprocal. Where a winner's key tied in any group of the warp
 * (equal or nearly equal candidates: rare in floating-point data) or a
 * pivot needs the division (zero, subnormal, huge or non-finite), the warp
 * starts again from reload(v), the original rows, with the exact search
 * and the division. Measured on the H100 against the key search with a
 * branch to the exact one in every column (ms): solve f64 n = 32, batch
 * 65536 0.825 -> 0.660; solve f32 n = 16, batch 2^20 1.378 -> 1.252;
 * lu_factor f64 n = 16, batch 262144 0.429 -> 0.410, batch 1 10.6 -> 10.0
 * us. The division's test out of the column loop as well (one basic block
 * a column before): lu_factor f64 n = 32, batch 65536 0.567 -> 0.540 ms;
 * solve f32 n = 16, batch 2^20 1.251 -> 1.211; lu_factor f64 n = 16,
 * batch 1, kernel time (ncu) 8.4 -> 6.9 us. */
template <typename T, int NP, bool KEY = true, typename F>
__device__ __forceinline__ int lu_regs_fast(T (&v)[NP], int &pos, uint32_t &myipiv, int r, int m,
                                            int K, T *buf, F reload) {
    bool redo = false;
    pos = r;
    myipiv = (uint32_t)r;
    int inf = lu_regs<T, NP, KEY, false>(v, pos, myipiv, r, m, K, buf, redo);
    if (__any_sync(LAPIS_FULL_MASK, redo)) {
        __syncwarp(); /* every lane is done with the pivot rows in buf */
        reload(v);
        pos = r;
        myipiv = (uint32_t)r;
        inf = lu_regs<T, NP, false, true>(v, pos, myipiv, r, m, K, buf, redo);
    }
    return inf;
}

/* lu_regs_fast, then for a matrix with NaN/Inf (bad, uniform over the
 * group) info LAPIS_INFO_NON_FINITE and no interchanges. */
template <typename T, int NP, bool KEY = true, typename F>
__device__ __forceinline__ int lu_regs_checked(T (&v)[NP], int &pos, uint32_t &myipiv, int r,
                                               int m, int K, T *buf, bool bad, F reload) {
    int inf = lu_regs_fast<T, NP, KEY>(v, pos, myipiv, r, m, K, buf, reload);
    if (bad) {
        inf = LAPIS_INFO_NON_FINITE;
        myipiv = (uint32_t)r;
    }
    return inf;
}

/* Forward (unit L) and back (U) substitution of KC right-hand sides held
 * per lane (bb, the rhs row of the lane's original row), positions pos. */
template <typename T, int NP, int KC>
__device__ __forceinline__ void lu_subst(const T (&v)[NP], T (&bb)[KC], int pos, int n, T *buf) {
    __syncwarp();
#pragma unroll
    for (int k = 0; k < NP; k++) {
        if (k >= n) break;
        T *cb = buf + (k & 1) * NP;
        if (pos == k) {
#pragma unroll
            for (int c = 0; c < KC; c++) cb[c] = bb[c];
        }
        __syncwarp();
        T l = pos > k && pos < n ? v[k] : T(0);
#pragma unroll
        for (int c = 0; c < KC; c++) bb[c] = fma(-l, cb[c], bb[c]);
    }
#pragma unroll
    for (int k = NP - 1; k >= 0; k--) {
        if (k >= n) continue;
        T *cb = buf + (k & 1) * NP;
        __syncwarp();
        if (pos == k) {
            T d = v[k];
#pragma unroll
            for (int c = 0; c < KC; c++) {
                bb[c] = bb[c] / d;
                cb[c] = bb[c];
            }
        }
        __syncwarp();
        T u = pos < k ? v[k] : T(0);
#pragma unroll
        for (int c = 0; c < KC; c++) bb[c] = fma(-u, cb[c], bb[c]);
    }
    __syncwarp();
}

/* Lane r's row of the staged matrix (rows x cols at S) into v, zeros
 * outside it; whether the row holds NaN/Inf. */
template <typename T, int NP>
__device__ __forceinline__ bool lu_row_in(T (&v)[NP], const T *S, int r, int rows, int cols) {
    constexpr int LD = lapis_small<NP>::LD;
    bool bad = false;
#pragma unroll
    for (int j = 0; j < NP; j++) {
        v[j] = (r < rows && j < cols) ? S[r * LD + j] : T(0);
        bad |= !lapis_finite(v[j]);
    }
    return bad;
}

/* Back substitution of one right-hand side held in registers: h.y, the
 * lane's element of L^-1 P b at its row's position pos (lu_regs with RHS),
 * becomes x at pos. From the last column: the owner of position k scales by
 * its pivot's reciprocal (DIV: divides by the pivot where there is no
 * normal reciprocal) and the others take x_k by a shuffle from the owner,
 * whose lane a ballot on pos gives, off the chain. lu_subst's broadcast
 * through shared memory costs a store, a barrier and a load a column. */
template <typename T, int NP, bool DIV>
__device__ __forceinline__ T lu_back1(const T (&v)[NP], const lu_rhs<T> &h, int pos, int r,
                                      int n) {
    const int gbase = (int)(threadIdx.x & 31) - r;
    const unsigned gm = NP == 32 ? LAPIS_FULL_MASK : ((1u << NP) - 1u) << gbase;
    T y = h.y;
#pragma unroll
    for (int k = NP - 1; k >= 0; k--) {
        if (k >= n) continue;
        const int src = __ffs(__ballot_sync(LAPIS_FULL_MASK, pos == k) & gm) - 1;
        lapis_subst_step<T, DIV>(y, h.rd, h.dg, src, pos == k, pos < k, v[k]);
    }
    return y;
}

/* solve_small's restart with one right-hand side b, out of line (as
 * small_redo): the rows again from S, the exact search and the division
 * with b eliminated along, then lu_back1; x at the returned pos. */
template <typename T> struct lu_solve_out {
    int info, pos;
    T x;
};
template <typename T, int NP>
__device__ __noinline__ lu_solve_out<T> solve1_redo(const T *S, T *buf, int r, int n, T b) {
    __syncwarp(); /* every lane is done with the pivot rows in buf */
    T v[NP];
    lu_row_in(v, S, r, n, n);
    lu_solve_out<T> o;
    o.pos = r;
    uint32_t piv = (uint32_t)r;
    bool redo = false;
    lu_rhs<T> h = {b, T(1), T(1)};
    o.info = lu_regs<T, NP, false, true, false, true>(v, o.pos, piv, r, n, n, buf, redo, &h);
    o.x = lu_back1<T, NP, true>(v, h, o.pos, r, n);
    return o;
}

#define SMALL_PROLOGUE(BW)                                                                      \
    extern __shared__ __align__(16) unsigned char smraw[];                                      \
    constexpr int MPW = lapis_small<NP>::MPW, SZ = lapis_small<NP>::SZ, LD = lapis_small<NP>::LD; \
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane / NP, r = lane % NP;   \
    T *wsm = (T *)smraw + warp * MPW * (SZ + 2 * (BW));                                        \
    T *S = wsm + g * SZ, *buf = wsm + MPW * SZ + g * 2 * (BW);                                  \
    const int64_t wpg = (int64_t)gridDim.x * (LAPIS_SMALL_THREADS / 32);                        \
    (void)LD;                                                                                   \
    (void)S;

/* lu_small's column step takes the pivot's reciprocal and the pivot row's
 * next element by shuffles (lu_regs's SH) at float64 and NP <= 16. Measured
 * on the H100, three alternating rounds against the broadcast through shared
 * memory alone (same call): lu_factor f64 n = 16, batch 1: 10.3 / 10.9 / 9.9
 * -> 9.3 / 10.5 / 9.3 us; batch 262144: 0.382 -> 0.386 ms. At float32 the
 * batch rows lost 4% (n = 16: 0.230 -> 0.240 ms) for no clear latency gain. */
template <typename T, int NP> struct lu_small_sh {
    static constexpr bool on = sizeof(T) == 8 && NP <= 16;
};

template <typename T, int NP, bool FAST>
__device__ __forceinline__ int inv_regs(T (&v)[NP], int &pos, int r, int n, T *buf, bool &redo);

/* The small kernels' restart (lu_regs_fast's second pass, after a tie or a
 * tiny pivot), out of line, for kernels whose group's rows are staged in S:
 * the rows again from S, the exact search and the division (lu_regs, or
 * inv_regs if INV), and each lane's factored row back into S at its own row
 * r (the caller reads it again with lu_row_in). Out of line so that a
 * kernel's common path runs on into its stores: a lone warp (a batch of a
 * few matrices) fetches its code as it goes, and with this pass inline the
 * stores sat 29 KB further on. Nsight Compute, lu_factor f64 n = 16, batch
 * 1: 47 of 301 samples waited for instructions there, 5 of 194 after. */
struct lu_redo_out {
    int info, pos;
    uint32_t ipiv;
};
template <typename T, int NP, bool INV = false>
__device__ __noinline__ lu_redo_out small_redo(T *S, T *buf, int r, int m, int n, int K) {
    constexpr int LD = lapis_small<NP>::LD;
    __syncwarp(); /* every lane is done with the pivot rows in buf */
    T v[NP];
    lu_row_in(v, S, r, m, n);
    lu_redo_out o;
    o.pos = r;
    o.ipiv = (uint32_t)r;
    bool redo = false;
    if constexpr (INV)
        o.info = inv_regs<T, NP, false>(v, o.pos, r, n, buf, redo);
    else
        o.info = lu_regs<T, NP, false, true>(v, o.pos, o.ipiv, r, m, K, buf, redo);
    if (r < m) {
#pragma unroll
        for (int j = 0; j < NP; j++)
            if (j < n) S[r * LD + j] = v[j];
    }
    __syncwarp();
    return o;
}

/* lu_factor, m x n with max(m, n) <= NP */
template <typename T, int NP>
__global__ void LAPIS_SMALL_BOUNDS(lapis_small_occ<T, NP>)
    lu_small(const T *__restrict__ a, T *__restrict__ out, uint32_t *__restrict__ ipiv,
             int32_t *__restrict__ info, int64_t batch, int m, int n) {
    SMALL_PROLOGUE((lu_buf<T, NP>::ROW))
    const int64_t mn = (int64_t)m * n;
    const int K = min(m, n);
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        lapis_stage_in<T, NP>(wsm, a + base * mn, cnt, m, n, lane);
        __syncwarp();
        T v[NP];
        bool bad = lu_row_in(v, S, r, m, n);
        bad = lapis_group_any<NP>(bad && g < cnt, g);
        int pos = r;
        uint32_t myipiv = (uint32_t)r;
        bool redo = false;
        int inf = lu_regs<T, NP, true, false, lu_small_sh<T, NP>::on>(v, pos, myipiv, r, m, K, buf,
                                                                        redo);
        if (__any_sync(LAPIS_FULL_MASK, redo)) {
            if constexpr (NP <= 16) {
                const lu_redo_out o = small_redo<T, NP>(S, buf, r, m, n, K);
                inf = o.info;
                pos = o.pos;
                myipiv = o.ipiv;
                lu_row_in(v, S, r, m, n);
            } else { /* inline at NP = 32: out of line it took 23 (float64) or 31 more
                      * registers */
                __syncwarp();
                lu_row_in(v, S, r, m, n);
                pos = r;
                myipiv = (uint32_t)r;
                inf = lu_regs<T, NP, false, true>(v, pos, myipiv, r, m, K, buf, redo);
            }
        }
        if (bad) { /* NaN/Inf: no interchanges */
            inf = LAPIS_INFO_NON_FINITE;
            myipiv = (uint32_t)r;
        }
        __syncwarp();
        if (r < m) {
#pragma unroll
            for (int j = 0; j < NP; j++)
                if (j < n) S[pos * LD + j] = bad ? lapis_nan<T>() : v[j];
        }
        __syncwarp();
        lapis_stage_out<T, NP>(out + base * mn, wsm, cnt, m, n, lane);
        if (g < cnt) {
            if (r < K) ipiv[(base + g) * K + r] = myipiv;
            if (r == 0) info[base + g] = inf;
        }
        __syncwarp();
    }
}

/*
 * lu_factor of contiguous 32 x 32 matrices (16-byte aligned), a warp per
 * matrix and the warp's next matrix in flight while it factors this one:
 * its copy goes global -> shared by cp.async (no registers on the way), and
 * the input area is free again as soon as the rows are in registers.
 * lu_small instead loads a matrix only after storing the last (ncu: 61% of
 * the DRAM floor at float64). The result leaves in two halves through a
 * 16-row output area, so that every store of the warp is 512 contiguous
 * bytes (lanes storing their own rows straight to global memory, 32 rows
 * an instruction: 0.81 ms against 0.52 at float64, batch 65536, without
 * the output area). Both areas are 16-byte chunks,
 * chunk c of row r at c ^ (r mod CPR) in the row: the copies (whole rows)
 * and the lanes' accesses to their own rows meet no bank conflicts.
 */
template <typename T> struct lu_pipe {
    typedef typename lapis_vec<T>::type VT;
    static constexpr int NP = 32, V = lapis_vec<T>::n, CPR = NP / V; /* chunks a row */
    static constexpr int WARPS = LAPIS_SMALL_THREADS / 32;
    /* rows of the output area, and blocks an SM the registers are capped for.
     * Measured at float64, batch 65536 (ms): 16 rows and 4 blocks (128
     * registers, 16 warps an SM) 0.579; 8 rows with 4 blocks 0.609, with 5
     * (96 registers: spills) 0.622; lu_small 0.603. With lu_regs's
     * reciprocal, 4 blocks spill: 3 blocks (168 registers) 0.573 against
     * 0.594 with 4 and 0.591 for the old division with 4, same machine. */
    static constexpr int OUTR = 16, BLOCKS = sizeof(T) == 8 ? 3 : 4;
    /* the pivot search by lu_regs_fast's key at float64 only. Measured
     * (batch 65536, ms), exact search -> key: float64 0.568-0.577 ->
     * 0.564; float32 0.276-0.277 -> 0.300 */
    static constexpr bool KEY = sizeof(T) == 8;
    /* per warp: input area, output area, pivot-row pair */
    static constexpr int PER_WARP = NP * NP + OUTR * NP + lu_buf<T, NP>::BW;
    static constexpr size_t SMEM = (size_t)WARPS * PER_WARP * sizeof(T);
    static __device__ __forceinline__ int at(int r, int c) {
        return r * CPR + (c ^ (r & (CPR - 1)));
    }
    /* the copy of matrix g into S, all lanes, one commit */
    static __device__ __forceinline__ void fetch(VT *S, const T *g, int lane) {
        const VT *gv = reinterpret_cast<const VT *>(g);
#pragma unroll
        for (int q = 0; q < CPR; q++) {
            const int e = q * 32 + lane;
            lapis_cp16(S + at(e / CPR, e % CPR), gv + e);
        }
        lapis_cp_commit();
    }
};

template <typename T>
__global__ void __launch_bounds__(LAPIS_SMALL_THREADS, lu_pipe<T>::BLOCKS)
    lu_pipe32(const T *__restrict__ a, T *__restrict__ out, uint32_t *__restrict__ ipiv,
              int32_t *__restrict__ info, int64_t batch) {
    typedef lu_pipe<T> P;
    typedef typename P::VT VT;
    constexpr int NP = P::NP, V = P::V, CPR = P::CPR, NN = NP * NP, OUTR = P::OUTR;
    extern __shared__ __align__(16) unsigned char smraw[];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    T *wsm = reinterpret_cast<T *>(smraw) + warp * P::PER_WARP;
    VT *S = reinterpret_cast<VT *>(wsm), *Q = reinterpret_cast<VT *>(wsm + NN);
    T *buf = wsm + NN + OUTR * NP;
    const int64_t step = (int64_t)gridDim.x * P::WARPS;
    int64_t i = (int64_t)blockIdx.x * P::WARPS + warp;
    if (i < batch) P::fetch(S, a + i * NN, lane);
    for (; i < batch; i += step) {
        lapis_cp_wait_all();
        __syncwarp();
        T v[NP];
        bool bad = false;
#pragma unroll
        for (int c = 0; c < CPR; c++) {
            const VT x = S[P::at(lane, c)];
#pragma unroll
            for (int t = 0; t < V; t++) {
                v[c * V + t] = lapis_vec<T>::get(x, t);
                bad |= !lapis_finite(v[c * V + t]);
            }
        }
        bad = __any_sync(LAPIS_FULL_MASK, bad);
        __syncwarp(); /* every lane has its row: the area takes the next matrix */
        if (i + step < batch) P::fetch(S, a + (i + step) * NN, lane);
        int pos;
        uint32_t myipiv;
        /* the input area holds the next matrix by now: rows again from a */
        const int inf = lu_regs_checked<T, NP, P::KEY>(v, pos, myipiv, lane, NP, NP, buf, bad,
                                               [&](T(&w)[NP]) {
#pragma unroll
                                                   for (int j = 0; j < NP; j++)
                                                       w[j] = a[i * NN + lane * NP + j];
                                               });
        VT *o = reinterpret_cast<VT *>(out + i * NN);
#pragma unroll
        for (int h = 0; h < NP / OUTR; h++) {
            if (pos / OUTR == h) {
#pragma unroll
                for (int c = 0; c < CPR; c++) {
                    T e[V];
#pragma unroll
                    for (int t = 0; t < V; t++) e[t] = bad ? lapis_nan<T>() : v[c * V + t];
                    Q[P::at(pos % OUTR, c)] = lapis_vec<T>::make(e);
                }
            }
            __syncwarp();
#pragma unroll
            for (int q = 0; q < OUTR * CPR / 32; q++) {
                const int e = q * 32 + lane;
                o[h * OUTR * CPR + e] = Q[P::at(e / CPR, e % CPR)];
            }
            __syncwarp();
        }
        ipiv[i * NP + lane] = myipiv;
        if (lane == 0) info[i] = inf;
    }
}

/* Blocks for lu_pipe32: as many as the card holds at once (each warp then
 * works through several matrices, the next one's copy in flight), fewer
 * for a small batch. */
template <typename T>
static lapis_status lu_pipe_launch(const T *a, T *out, uint32_t *ipiv, int32_t *info,
                                   int64_t batch, cudaStream_t s) {
    typedef lu_pipe<T> P;
    static unsigned long long smem_set = 0;
    static int per_sm = -1; /* of the first device: the grid's size only */
    cudaError_t e = lapis_func_attr_once((const void *)lu_pipe32<T>,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         (int)P::SMEM, &smem_set);
    if (e == cudaSuccess && per_sm < 0)
        e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, lu_pipe32<T>,
                                                          LAPIS_SMALL_THREADS, P::SMEM);
    if (e != cudaSuccess) return lapis_cuda_fail(e, "lu_pipe32 attributes");
    int64_t most = (int64_t)(per_sm > 0 ? per_sm : 1) * lapis_cuda_props()->multiProcessorCount;
    unsigned grid = lapis_grid(batch, P::WARPS);
    if ((int64_t)grid > most) grid = (unsigned)most;
    lu_pipe32<T><<<grid, LAPIS_SMALL_THREADS, P::SMEM, s>>>(a, out, ipiv, info, batch);
    return lapis_cuda_launched("lu_pipe32");
}

/* Fused solve: LU of A[amap(i)] in registers, then the right-hand sides of
 * b[bmap(i)] (n x k) in chunks of KC columns. One right-hand side (KC = 1)
 * is loaded with A, eliminated with the rows (lu_regs's RHS) and
 * back-substituted by shuffles (lu_back1). */
template <typename T, int NP, int KC>
__global__ void LAPIS_SMALL_BOUNDS(lapis_small_occ<T, NP>)
    solve_small(const T *__restrict__ a, lapis_bmap amap, const T *__restrict__ b, lapis_bmap bmap,
                T *__restrict__ x, int32_t *__restrict__ info, int64_t batch, int n, int k,
                bool contig) {
    SMALL_PROLOGUE((lu_buf<T, NP>::ROW))
    const int64_t nn = (int64_t)n * n, nk = (int64_t)n * k;
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        const bool gv = g < cnt;
        const int64_t i = base + g;
        T b0 = T(0); /* k == 1: b's load in flight with A's */
        if (KC == 1 && gv && r < n) b0 = b[(contig ? i : lapis_bmap_index(&bmap, i)) * nk + r];
        lapis_stage_batch<T, NP>(wsm, a, amap, contig, base, cnt, n, nn, lane);
        __syncwarp();
        T v[NP];
        bool bad = lu_row_in(v, S, r, n, n);
        bad = lapis_group_any<NP>(bad && gv, g);
        int pos = r;
        uint32_t myipiv = (uint32_t)r;
        bool redo = false;
        if constexpr (KC == 1) { /* b eliminated with the rows, then lu_back1 */
            lu_rhs<T> h = {b0, T(1), T(1)};
            int inf = lu_regs<T, NP, true, false, false, true>(v, pos, myipiv, r, n, n, buf, redo,
                                                                &h);
            T xr;
            if (__any_sync(LAPIS_FULL_MASK, redo)) {
                const lu_solve_out<T> o = solve1_redo<T, NP>(S, buf, r, n, b0);
                inf = o.info;
                pos = o.pos;
                xr = o.x;
            } else {
                xr = lu_back1<T, NP, false>(v, h, pos, r, n);
            }
            const bool bbad = lapis_group_any<NP>(!lapis_finite(b0) && gv, g);
            if (bad || (bbad && inf == 0)) inf = LAPIS_INFO_NON_FINITE;
            if (gv && r < n) x[i * nk + pos] = inf != 0 ? lapis_nan<T>() : xr;
            if (gv && r == 0) info[i] = inf;
        } else {
            int inf = lu_regs<T, NP, true, false>(v, pos, myipiv, r, n, n, buf, redo);
            if (__any_sync(LAPIS_FULL_MASK, redo)) {
                const lu_redo_out o = small_redo<T, NP>(S, buf, r, n, n, n);
                inf = o.info;
                pos = o.pos;
                lu_row_in(v, S, r, n, n);
            }
            if (bad) inf = LAPIS_INFO_NON_FINITE;
            const T *bi = b + (gv ? (contig ? i : lapis_bmap_index(&bmap, i)) : 0) * nk;
            T *xi = x + (gv ? i : 0) * nk;
            for (int c0 = 0; c0 < k; c0 += KC) {
                T bb[KC];
                bool bbad = false;
#pragma unroll
                for (int c = 0; c < KC; c++) {
                    bb[c] = (gv && r < n && c0 + c < k) ? bi[(int64_t)r * k + c0 + c] : T(0);
                    bbad |= !lapis_finite(bb[c]);
                }
                if (lapis_group_any<NP>(bbad && gv, g) && inf == 0) inf = LAPIS_INFO_NON_FINITE;
                lu_subst<T, NP, KC>(v, bb, pos, n, buf);
                if (gv && r < n) {
#pragma unroll
                    for (int c = 0; c < KC; c++)
                        if (c0 + c < k) xi[(int64_t)pos * k + c0 + c] = bb[c];
                }
            }
            /* a failure found in a later chunk also poisons the earlier ones */
            __syncwarp();
            if (gv && inf != 0)
                for (int e = r; e < nk; e += NP) xi[e] = lapis_nan<T>();
            if (gv && r == 0) info[i] = inf;
        }
        __syncwarp();
    }
}

/* lu_solve from a packed LU: lane r holds row r of LU, positions fixed. */
template <typename T, int NP, int KC>
__global__ void __launch_bounds__(LAPIS_SMALL_THREADS)
    lusolve_small(const T *__restrict__ lu, const uint32_t *__restrict__ ipiv,
                  const int32_t *__restrict__ ainfo, lapis_bmap amap, const T *__restrict__ b,
                  lapis_bmap bmap, T *__restrict__ x, int32_t *__restrict__ info, int64_t batch,
                  int n, int k) {
    SMALL_PROLOGUE(NP)
    const int64_t nn = (int64_t)n * n, nk = (int64_t)n * k;
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        for (int q = 0; q < cnt; q++)
            lapis_stage_one<T, NP>(wsm + q * SZ, lu + lapis_bmap_index(&amap, base + q) * nn, n,
                                   lane);
        lapis_stage_pad<T, NP>(wsm, cnt, lane);
        __syncwarp();
        const bool gv = g < cnt;
        const int64_t i = base + g, ia = gv ? lapis_bmap_index(&amap, i) : 0;
        T v[NP];
#pragma unroll
        for (int j = 0; j < NP; j++) v[j] = (r < n && j < n) ? S[r * LD + j] : T(r == j ? 1 : 0);
        /* sigma: the original row at each position, from the swaps in order */
        int *perm = (int *)(buf + NP); /* second half of the broadcast pair */
        __syncwarp();
        if (r == 0 && gv) {
            for (int q = 0; q < n; q++) perm[q] = q;
            lapis_swaps_to_perm(perm, n, [&](int q) { return (int)ipiv[ia * n + q]; });
        }
        __syncwarp();
        int src = (gv && r < n) ? perm[r] : 0;
        int inf = gv ? ainfo[ia] : 0;
        __syncwarp();
        const T *bi = b + (gv ? lapis_bmap_index(&bmap, i) : 0) * nk;
        T *xi = x + (gv ? i : 0) * nk;
        for (int c0 = 0; c0 < k; c0 += KC) {
            T bb[KC];
            bool bbad = false;
#pragma unroll
            for (int c = 0; c < KC; c++) {
                bb[c] = (gv && r < n && c0 + c < k) ? bi[(int64_t)src * k + c0 + c] : T(0);
                bbad |= !lapis_finite(bb[c]);
            }
            if (lapis_group_any<NP>(bbad && gv, g) && inf == 0) inf = LAPIS_INFO_NON_FINITE;
            lu_subst<T, NP, KC>(v, bb, r, n, buf);
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

/*
 * Gauss-Jordan in place on the group's rows (v, positions pos, rows r < n
 * valid): after step k, slot k of every row holds column q_k of the inverse
 * (q_k: the original row of the k-th pivot, in qb = buf + 2 NP), so one row
 * of registers does the work of [A | I] with the same operations on the
 * same values. The pivot's reciprocal as in lu_regs: each lane's own beside
 * the search, the winner's through rb = buf + 3 NP. FAST: the key's search
 * and no division, redo set where either may be wrong (the caller starts
 * again without FAST); info (first zero pivot) only without FAST. buf: 4 NP
 * elements. Measured on the H100 against a division a column and the
 * key's search with a vote a column: inv f64 n = 16, batch 1, 15.1-15.8 ->
 * 11.7-12.4 us; batch 262144 0.600 -> 0.561 ms (f32: 0.391 -> 0.355).
 */
template <typename T, int NP, bool FAST>
__device__ __forceinline__ int inv_regs(T (&v)[NP], int &pos, int r, int n, T *buf, bool &redo) {
    constexpr int V = lapis_vec<T>::n;
    typedef typename lapis_vec<T>::type VT;
    const bool rv = r < n;
    T *qb = buf + 2 * NP, *rb = buf + 3 * NP;
    int inf = 0;
#pragma unroll
    for (int k = 0; k < NP; k++) {
        if (k >= n) break;
        const T rk = lapis_pivot_rcp(v[k]);
        const int cp = lu_pick<T, NP, FAST>(v[k], rv && pos >= k, pos, redo);
        const bool win = rv && pos == cp;
        T *cb = buf + (k & 1) * NP;
        if (win) {
#pragma unroll
            for (int q = 0; q < NP / V; q++)
                reinterpret_cast<VT *>(cb)[q] = lapis_vec<T>::make(&v[q * V]);
            qb[k] = T(r);
            rb[k & 1] = rk;
        }
        if (rv && pos == k) pos = cp;
        if (win) pos = k;
        __syncwarp();
        T rp = rb[k & 1], f = v[k] * rp;
        if constexpr (FAST) {
            redo |= rp == T(0);
        } else if (rp == T(0)) { /* zero, subnormal, huge or non-finite pivot */
            const T piv = cb[k];
            if (piv == T(0) && inf == 0) inf = k + 1;
            /* a zero pivot: the output is NaN anyway; keep the pivots uniform */
            rp = T(1) / piv;
            f = rv && piv != T(0) ? v[k] / piv : T(0);
        }
        if (win) {
#pragma unroll
            for (int j = 0; j < NP; j++) v[j] = j == k ? rp : v[j] * rp;
        } else {
#pragma unroll
            for (int j = 0; j < NP; j++) v[j] = j == k ? -f : fma(-f, cb[j], v[j]);
        }
    }
    return inf;
}

/* Inverse by Gauss-Jordan with partial pivoting on [A | I] (inv_regs): the
 * pivots are those of the LU factorization, so info matches getrf's. */
template <typename T, int NP>
__global__ void LAPIS_SMALL_BOUNDS(lapis_inv_occ<T, NP>)
    inv_small(const T *__restrict__ a, T *__restrict__ out, int32_t *__restrict__ info,
              int64_t batch, int n) {
    SMALL_PROLOGUE(2 * NP)
    const int64_t nn = (int64_t)n * n;
    for (int64_t base = ((int64_t)blockIdx.x * (LAPIS_SMALL_THREADS / 32) + warp) * MPW;
         base < batch; base += wpg * MPW) {
        int cnt = (int)min((int64_t)MPW, batch - base);
        lapis_stage_in<T, NP>(wsm, a + base * nn, cnt, n, n, lane);
        __syncwarp();
        T v[NP];
        T *qb = buf + 2 * NP;
        bool bad = lu_row_in(v, S, r, n, n);
        bad = lapis_group_any<NP>(bad && g < cnt, g);
        const bool rv = r < n;
        int pos = r, inf;
        bool redo = false;
        inf = inv_regs<T, NP, true>(v, pos, r, n, buf, redo);
        if (__any_sync(LAPIS_FULL_MASK, redo)) {
            const lu_redo_out o = small_redo<T, NP, true>(S, buf, r, n, n, n);
            inf = o.info;
            pos = o.pos;
            lu_row_in(v, S, r, n, n);
        }
        if (bad) inf = LAPIS_INFO_NON_FINITE;
        __syncwarp();
        if (rv) {
#pragma unroll
            for (int k = 0; k < NP; k++)
                if (k < n) S[pos * LD + (int)qb[k]] = inf ? lapis_nan<T>() : v[k];
        }
        __syncwarp();
        lapis_stage_out<T, NP>(out + base * nn, wsm, cnt, n, n, lane);
        if (r == 0 && g < cnt) info[base + g] = inf;
        __syncwarp();
    }
}

/*
 * Inverse by Gauss-Jordan with partial pivoting for 32 < n <= 32 RS: a block
 * of 4 RS warps per matrix; lane l of warp w holds rows l + 32 s (s < RS)
 * of columns 8 w .. 8 w + 7 in registers, and its rows' positions. The same
 * in-place steps as inv_regs: after step k, column k holds column q_k of
 * the inverse (q_k: the k-th pivot's row). Step k: the warp holding column
 * k finds the pivot (largest |a|, ties to the smallest position: the LU's
 * pivots, so info matches getrf's) by a warp argmax, and publishes it with
 * its rows' multipliers in one of two buffers; after the step's one
 * barrier every warp takes the pivot row's values for its columns by
 * shuffles from the lane that holds it and updates its elements: an FMUL
 * (the pivot row's scaling, 1 elsewhere) and an FMA each. A pivot without a
 * normal reciprocal (zero, subnormal, huge) divides instead; the first
 * zero one is info. On the H100 (ms, batch 16384 at n = 64, 4096 at 128)
 * against the first inv_block, whose warps held 8 rows each and all
 * searched for the pivot: float64 5.59 -> 4.56 and 10.82 -> 6.93, float32
 * 3.78 -> 2.63 and 7.04 -> 5.04.
 */
template <typename T, int RS>
__global__ void __launch_bounds__(128 * RS, RS == 4 ? 1 : 2)
    inv_block(const T *__restrict__ a, T *__restrict__ out, int32_t *__restrict__ info,
              int64_t batch, int n) {
    constexpr int NR = 32 * RS, CW = 8;
    extern __shared__ __align__(16) unsigned char smraw[];
    T *fsh = (T *)smraw;            /* [2][NR]: the rows' multipliers */
    T *psh = fsh + 2 * NR;          /* [2][2]: the pivot, its reciprocal (or 1 / pivot) */
    int *ish = (int *)(psh + 4);    /* [2][2]: the pivot's row, its position */
    int *qs = ish + 4;              /* [NR]: q_k */
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, c0 = warp * CW;
    const int64_t nn = (int64_t)n * n;
    for (int64_t i = blockIdx.x; i < batch; i += gridDim.x) {
        const T *A = a + i * nn;
        T v[RS][CW];
        int pos[RS];
        bool bad = false;
#pragma unroll
        for (int s = 0; s < RS; s++) {
            const int r = lane + 32 * s;
            pos[s] = r;
#pragma unroll
            for (int t = 0; t < CW; t++) {
                const int j = c0 + t;
                v[s][t] = r < n && j < n ? A[(int64_t)r * n + j] : T(0);
                bad |= !lapis_finite(v[s][t]);
            }
        }
        /* also: the last matrix's qs and buffers are read */
        bad = __syncthreads_or(bad);
        int inf = 0;
        for (int k = 0; k < n; k++) {
            const int buf = k & 1, kt = k & (CW - 1);
            if (warp == k / CW) { /* the pivot, by the warp holding column k */
                T col[RS];
                T best = T(-1), bv = T(0);
                int bp = INT_MAX, br = -1;
#pragma unroll
                for (int s = 0; s < RS; s++) {
                    T x = v[s][0];
#pragma unroll
                    for (int t = 1; t < CW; t++)
                        if (t == kt) x = v[s][t];
                    col[s] = x;
                    T key = fabs(x);
                    if (key != key) key = T(-0.5); /* NaN only if nothing else */
                    const int r = lane + 32 * s;
                    if (r < n && pos[s] >= k && (key > best || (key == best && pos[s] < bp))) {
                        best = key;
                        bp = pos[s];
                        br = r;
                        bv = x;
                    }
                }
#pragma unroll
                for (int off = 16; off > 0; off >>= 1) {
                    const T k2 = __shfl_xor_sync(LAPIS_FULL_MASK, best, off);
                    const T v2 = __shfl_xor_sync(LAPIS_FULL_MASK, bv, off);
                    const int p2 = __shfl_xor_sync(LAPIS_FULL_MASK, bp, off);
                    const int r2 = __shfl_xor_sync(LAPIS_FULL_MASK, br, off);
                    if (k2 > best || (k2 == best && p2 < bp)) {
                        best = k2;
                        bv = v2;
                        bp = p2;
                        br = r2;
                    }
                }
                const T piv = bv;
                T rp = lapis_pivot_rcp(piv);
                const bool slow = rp == T(0);
                if (slow) rp = T(1) / piv;
#pragma unroll
                for (int s = 0; s < RS; s++)
                    fsh[buf * NR + lane + 32 * s] =
                        slow ? lapis_div_rare(col[s], piv) : col[s] * rp;
                if (lane == 0) {
                    psh[buf * 2] = piv;
                    psh[buf * 2 + 1] = rp;
                    ish[buf * 2] = br;
                    ish[buf * 2 + 1] = bp;
                    qs[k] = br;
                }
            }
            __syncthreads();
            const T piv = psh[buf * 2], rp = psh[buf * 2 + 1];
            const int prow = ish[buf * 2], pb = ish[buf * 2 + 1];
            if (piv == T(0) && inf == 0) inf = k + 1;
            /* the pivot row's values for this warp's columns, from its lane */
            const int ps = prow >> 5, pl = prow & 31;
            T pr[CW];
#pragma unroll
            for (int t = 0; t < CW; t++) {
                T x = v[0][t];
#pragma unroll
                for (int s = 1; s < RS; s++)
                    if (s == ps) x = v[s][t];
                pr[t] = __shfl_sync(LAPIS_FULL_MASK, x, pl);
            }
#pragma unroll
            for (int s = 0; s < RS; s++) {
                const bool isp = lane + 32 * s == prow;
                const T f = fsh[buf * NR + lane + 32 * s];
                const T m = isp ? rp : T(1), g = isp ? T(0) : f;
#pragma unroll
                for (int t = 0; t < CW; t++) v[s][t] = fma(-g, pr[t], v[s][t] * m);
                if (warp == k / CW) { /* column k: rp in the pivot row, -f elsewhere */
#pragma unroll
                    for (int t = 0; t < CW; t++)
                        if (t == kt) v[s][t] = isp ? rp : -f;
                }
                if (isp) pos[s] = k;
                else if (pos[s] == k) pos[s] = pb;
            }
        }
        __syncthreads(); /* qs */
        if (bad) inf = LAPIS_INFO_NON_FINITE;
        T *O = out + i * nn;
#pragma unroll
        for (int s = 0; s < RS; s++) {
            if (lane + 32 * s >= n) continue;
#pragma unroll
            for (int t = 0; t < CW; t++) {
                const int j = c0 + t;
                if (j < n) O[(int64_t)pos[s] * n + qs[j]] = inf ? lapis_nan<T>() : v[s][t];
            }
        }
        if (threadIdx.x == 0) info[i] = inf;
    }
}

template <typename T, int RS> static size_t inv_block_smem() {
    constexpr int NR = 32 * RS;
    return (size_t)(2 * NR + 4) * sizeof(T) + (size_t)(4 + NR) * sizeof(int);
}

template <typename T, int NP, typename F>
static lapis_status small_launch(F kernel, int bw, int64_t batch, cudaStream_t s) {
    size_t smem = lapis_small_smem<T, NP>(bw);
    constexpr int MPB = lapis_small<NP>::MPW * (LAPIS_SMALL_THREADS / 32);
    kernel(lapis_grid(batch, MPB), smem);
    (void)s;
    return lapis_cuda_launched("lu small kernel");
}

/* Warp-wide argmax of (best, bi): the largest value, the smallest index on
 * ties (i?amax's first maximum); tag (the winner's source) follows it. */
template <typename T>
__device__ __forceinline__ void lu_warp_argmax(T &best, int &bi, int &tag) {
#pragma unroll
    for (int off = 16; off >= 1; off >>= 1) {
        T v2 = __shfl_xor_sync(LAPIS_FULL_MASK, best, off);
        int i2 = __shfl_xor_sync(LAPIS_FULL_MASK, bi, off);
        int t2 = __shfl_xor_sync(LAPIS_FULL_MASK, tag, off);
        if (v2 > best || (v2 == best && i2 < bi)) {
            best = v2;
            bi = i2;
            tag = t2;
        }
    }
}
template <typename T> __device__ __forceinline__ void lu_warp_argmax(T &best, int &bi) {
    int tag = 0;
    lu_warp_argmax(best, bi, tag);
}

/* The same argmax, where best is a magnitude (or -1: no candidate), mostly
 * by one reduction and one ballot: the key's top 32 bits (the magnitude's
 * bits + 1, 0 for no candidate or NaN) pick the winner when one lane alone
 * holds the largest; any tie there takes the butterfly, warp-uniformly. */
template <typename T>
__device__ __forceinline__ void lu_warp_argmax_key(T &best, int &bi, int &tag) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    unsigned hi = 0u;
    if (best >= T(0)) {
        if constexpr (sizeof(T) == 8)
            hi = (unsigned)(((unsigned long long)__double_as_longlong(best) + 1ull) >> 32);
        else
            hi = __float_as_uint(best) + 1u;
    }
    const unsigned top = __reduce_max_sync(LAPIS_FULL_MASK, hi);
    const unsigned t = __ballot_sync(LAPIS_FULL_MASK, hi == top);
    if (__popc(t) == 1) {
        const int wl = __ffs(t) - 1;
        best = __shfl_sync(LAPIS_FULL_MASK, best, wl);
        bi = __shfl_sync(LAPIS_FULL_MASK, bi, wl);
        tag = __shfl_sync(LAPIS_FULL_MASK, tag, wl);
        return;
    }
#endif
    lu_warp_argmax(best, bi, tag);
}

/* ---- block kernel: an m x w panel (or the whole matrix) ---------------------- */

#define LU_BLOCK_THREADS 256

/* A multiplier x / piv: by the reciprocal rp where |piv| is at least the
 * smallest normal number, else by division (as LAPACK's getf2); 0 for a
 * zero pivot (the column is left as it is). */
template <typename T> __device__ __forceinline__ T lu_multiplier(T x, T piv, T rp) {
    return piv == T(0) ? T(0) : fabs(piv) >= lapis_tiny<T>() ? x * rp : x / piv;
}

#ifndef LU_BP
#define LU_BP 16 /* panel width of the blocked factorization in shared memory */
#endif

/* Pivot search over a block: the largest |candidate| (best, row bi; -1 and
 * m where a thread has none), first row on ties; the same result in every
 * thread. One block barrier: the warps' bests go through shared memory. */
template <typename T>
__device__ __forceinline__ int lu_block_pivot(T best, int bi, int m, T *rv, int *ri) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    int tag = 0;
    lu_warp_argmax_key(best, bi, tag);
    if (lane == 0) {
        rv[warp] = best;
        ri[warp] = bi;
    }
    __syncthreads();
    best = lane < nw ? rv[lane] : T(-1);
    bi = lane < nw ? ri[lane] : m;
    lu_warp_argmax_key(best, bi, tag);
    return bi;
}

/* lu_panel_rows's shared buffers, two of each (by the column's parity):
 * each warp's best candidate (|value|, row) and that row's panel values,
 * and row k's values (row[LU_ROWS_WARPS]). */
#define LU_ROWS_WARPS (LU_BLOCK_THREADS / 32)
template <typename T> struct lu_rows_sh {
    T row[2][LU_ROWS_WARPS + 1][LU_BP];
    T val[2][LU_ROWS_WARPS];
    int idx[2][LU_ROWS_WARPS];
};

/*
 * The columns [c, pe) of P's rows [c, m) (the panel) with its rows in
 * registers, thread i holding row i (m <= blockDim.x), one barrier a
 * column: each warp finds its best candidate by a warp argmax, and the
 * candidate's thread writes its row's panel values beside the warp's
 * |value| and row, as the thread holding row k writes row k's; after the
 * barrier every warp takes the best of the warps' candidates (the smallest
 * row on ties: the LU's pivots), and with it the pivot row's values from
 * the buffer. The pivot row's thread takes row k's values, row k's the
 * pivot row's; each later row takes its multiplier (by the pivot's
 * reciprocal where |pivot| >= the smallest normal number), updates its own
 * registers and offers its next candidate. The buffers alternate by the
 * column's parity, so a column's writes never meet the last one's reads.
 * The column-at-a-time update in shared memory was a chain of dependent
 * loads and stores a row. The pivot rows go to pk[k - c] and piv[k]
 * (+ poff); the caller interchanges the other columns. Returns the first
 * zero pivot (1-based), or zero as given.
 */
template <typename T>
__device__ int lu_panel_rows(T *P, int LP, int m, int c, int pe, uint32_t *piv, uint32_t poff,
                             int *pk, lu_rows_sh<T> *sh, int zero) {
    const int i = threadIdx.x, lane = i & 31, warp = i >> 5, nw = blockDim.x >> 5;
    const bool mine = i >= c && i < m;
    T r[LU_BP];
#pragma unroll
    for (int j = 0; j < LU_BP; j++) r[j] = mine && c + j < pe ? P[i * LP + c + j] : T(0);
    T best = T(-1);
    int bi = m;
    if (mine && fabs(r[0]) > best) {
        best = fabs(r[0]);
        bi = i;
    }
#pragma unroll
    for (int kk = 0; kk < LU_BP; kk++) {
        const int k = c + kk, b = kk & 1;
        if (k >= pe) break;
        int tag = 0;
        lu_warp_argmax_key(best, bi, tag);
        if (lane == 0) {
            sh->val[b][warp] = best;
            sh->idx[b][warp] = bi;
        }
        if (i == bi && bi < m)
#pragma unroll
            for (int j = 0; j < LU_BP; j++) sh->row[b][warp][j] = r[j];
        if (i == k)
#pragma unroll
            for (int j = 0; j < LU_BP; j++) sh->row[b][LU_ROWS_WARPS][j] = r[j];
        __syncthreads();
        best = lane < nw ? sh->val[b][lane] : T(-1);
        bi = lane < nw ? sh->idx[b][lane] : m;
        tag = lane;
        lu_warp_argmax_key(best, bi, tag);
        const int p = bi < m ? bi : k, src = bi < m ? tag : LU_ROWS_WARPS;
        const T *prow = sh->row[b][src];
        if (i == 0) {
            piv[k] = poff + (uint32_t)p;
            pk[kk] = p;
        }
        if (i == p && p != k)
#pragma unroll
            for (int j = 0; j < LU_BP; j++) r[j] = sh->row[b][LU_ROWS_WARPS][j];
        if (i == k)
#pragma unroll
            for (int j = 0; j < LU_BP; j++) r[j] = prow[j];
        const T pv = prow[kk], rp = T(1) / pv;
        if (pv == T(0) && zero == 0) zero = k + 1;
        best = T(-1);
        bi = m;
        if (mine && i > k) {
            const T l = lu_multiplier(r[kk], pv, rp);
            if (pv != T(0)) {
                r[kk] = l;
#pragma unroll
                for (int j = kk + 1; j < LU_BP; j++) r[j] = fma(-l, prow[j], r[j]);
            }
            if (kk + 1 < LU_BP && k + 1 < pe && fabs(r[kk + 1]) > best) {
                best = fabs(r[kk + 1]);
                bi = i;
            }
        }
    }
    if (mine)
#pragma unroll
        for (int j = 0; j < LU_BP; j++)
            if (c + j < pe) P[i * LP + c + j] = r[j];
    return zero;
}

/* Column j of U12 = L11⁻¹ A12 for lu_block_factor's panel [c, c + pw),
 * solved in registers; each row stored as it is solved (LATE false), or
 * all after the solve (LATE), so that the loads wait on no store. */
template <bool LATE, typename T>
__device__ __forceinline__ void lu_u12_column(T *P, int LP, int c, int pw, int j) {
    T x[LU_BP];
#pragma unroll
    for (int r = 0; r < LU_BP; r++) {
        if (r >= pw) break;
        T acc = P[(c + r) * LP + j];
#pragma unroll
        for (int t = 0; t < r; t++) acc = fma(-P[(c + r) * LP + c + t], x[t], acc);
        x[r] = acc;
        if (!LATE) P[(c + r) * LP + j] = acc;
    }
    if (LATE)
#pragma unroll
        for (int r = 0; r < LU_BP; r++)
            if (r < pw) P[(c + r) * LP + j] = x[r];
}

/* A22 -= L21 U12 of lu_block_factor's panel [c, pe): rows and columns
 * [pe, m) x [pe, w), in 4 x 4 register tiles. */
template <typename T>
__device__ __forceinline__ void lu_block_update(T *P, int LP, int m, int w, int c, int pe) {
    const int tid = threadIdx.x, nt = blockDim.x, pw = pe - c;
    const int tr = (m - pe + 3) / 4, tc = (w - pe + 3) / 4;
    for (int q = tid; q < tr * tc; q += nt) {
        const int i0 = pe + (q / tc) * 4, j0 = pe + (q % tc) * 4;
        T acc[4][4];
#pragma unroll
        for (int a = 0; a < 4; a++)
#pragma unroll
            for (int e = 0; e < 4; e++)
                acc[a][e] = i0 + a < m && j0 + e < w ? P[(i0 + a) * LP + j0 + e] : T(0);
        for (int t = 0; t < pw; t++) {
            T l[4], u[4];
#pragma unroll
            for (int a = 0; a < 4; a++) l[a] = i0 + a < m ? P[(i0 + a) * LP + c + t] : T(0);
#pragma unroll
            for (int e = 0; e < 4; e++) u[e] = j0 + e < w ? P[(c + t) * LP + j0 + e] : T(0);
#pragma unroll
            for (int a = 0; a < 4; a++)
#pragma unroll
                for (int e = 0; e < 4; e++) acc[a][e] = fma(-l[a], u[e], acc[a][e]);
        }
#pragma unroll
        for (int a = 0; a < 4; a++)
#pragma unroll
            for (int e = 0; e < 4; e++)
                if (i0 + a < m && j0 + e < w) P[(i0 + a) * LP + j0 + e] = acc[a][e];
    }
}

/*
 * LU with partial pivoting of the m x w matrix P in shared memory (row
 * stride LP), blocked by LU_BP columns, as the seed's tiled pattern:
 *   the panel's columns one at a time: pivot search, interchange of whole
 *   rows, multipliers (by the pivot's reciprocal where |pivot| >= the
 *   smallest normal number, as getf2), update of the panel's columns only;
 *   each thread then offers its rows' next-column candidates at once;
 *   U12 = L11⁻¹ A12, a thread per column, the column in registers;
 *   A22 -= L21 U12 in 4 x 4 register tiles, LU_BP terms each.
 * The unblocked kernel updated the whole trailing matrix per column through
 * shared memory: three accesses per multiply-add. Pivot rows go to piv[k]
 * (the caller's offsets added); returns the first zero pivot (1-based), 0.
 */
template <typename T>
__device__ int lu_block_factor(T *P, int LP, int m, int w, uint32_t *piv, uint32_t poff, T *rv,
                               int *ri) {
    const int tid = threadIdx.x, nt = blockDim.x, K = min(m, w);
    int zero = 0;
    for (int c = 0; c < K; c += LU_BP) {
        const int pe = min(c + LU_BP, K);
        T best = T(-1);
        int bi = m;
        for (int i = c + tid; i < m; i += nt) {
            const T x = fabs(P[i * LP + c]);
            if (x > best) {
                best = x;
                bi = i;
            }
        }
        for (int k = c; k < pe; k++) {
            int p = lu_block_pivot(best, bi, m, rv, ri);
            if (p >= m) p = k;
            if (tid == 0) piv[k] = poff + (uint32_t)p;
            if (p != k)
                for (int j = tid; j < w; j += nt) {
                    const T t = P[k * LP + j];
                    P[k * LP + j] = P[p * LP + j];
                    P[p * LP + j] = t;
                }
            __syncthreads();
            const T pv = P[k * LP + k], rp = T(1) / pv;
            if (pv == T(0) && zero == 0) zero = k + 1;
            best = T(-1);
            bi = m;
            for (int i = k + 1 + tid; i < m; i += nt) {
                T *row = P + i * LP;
                const T l = lu_multiplier(row[k], pv, rp);
                if (pv != T(0)) {
                    row[k] = l;
                    for (int j = k + 1; j < pe; j++) row[j] = fma(-l, P[k * LP + j], row[j]);
                }
                if (k + 1 < pe) {
                    const T x = fabs(row[k + 1]);
                    if (x > best) {
                        best = x;
                        bi = i;
                    }
                }
            }
        }
        if (pe >= w) break;
        __syncthreads();
        /* U12: rows [c, pe), columns [pe, w) */
        const int pw = pe - c;
        for (int j = pe + tid; j < w; j += nt) lu_u12_column<false>(P, LP, c, pw, j);
        __syncthreads();
        lu_block_update(P, LP, m, w, c, pe);
        __syncthreads();
    }
    __syncthreads();
    return zero;
}

/*
 * lu_block_factor with lu_panel_rows (m <= blockDim.x): per panel, its
 * factorization in registers, one barrier, the panel's interchanges in
 * the other columns together with U12 (a thread a column, the column stored
 * after its solve, so that the loads wait on no store), one barrier, A22 as
 * lu_block_factor's, one barrier. Same results, bit for bit. With U12 as
 * one helper of both kernels (lu_u12_column) ptxas gives this one 112
 * registers in float64, 80 in float32 (written out here: 138, 96); on the
 * H100, float32 n = 128 and 256 gained 1-2%, the rest is unchanged.
 */
template <typename T>
__device__ int lu_block_factor_rows(T *P, int LP, int m, int w, uint32_t *piv, uint32_t poff) {
    __shared__ int pk[LU_BP];
    __shared__ lu_rows_sh<T> sh;
    const int tid = threadIdx.x, nt = blockDim.x, K = min(m, w);
    int zero = 0;
    for (int c = 0; c < K; c += LU_BP) {
        const int pe = min(c + LU_BP, K), pw = pe - c;
        zero = lu_panel_rows(P, LP, m, c, pe, piv, poff, pk, &sh, zero);
        __syncthreads();
        for (int q = tid; q < c + w - pe; q += nt) {
            const int j = q < c ? q : q - c + pe;
            for (int k = c; k < pe; k++) {
                const int p = pk[k - c];
                if (p != k) {
                    const T t = P[k * LP + j];
                    P[k * LP + j] = P[p * LP + j];
                    P[p * LP + j] = t;
                }
            }
            if (j >= pe) lu_u12_column<true>(P, LP, c, pw, j);
        }
        if (pe >= w) break;
        __syncthreads();
        lu_block_update(P, LP, m, w, c, pe);
        __syncthreads();
    }
    __syncthreads();
    return zero;
}

/*
 * Factors, with partial pivoting, the m x w panel at (r0, c0) (row stride ld)
 * of each matrix. direct: src is the input (m x w == the matrix), checked for
 * NaN/Inf; else src == dst is the work buffer and matrices with info < 0 are
 * skipped. ipiv[b * kst + c0 + k] = r0 + pivot row; a zero pivot sets
 * info = c0 + k + 1 if info was 0. Works in shared memory when smem (blocked:
 * lu_block_factor, or lu_block_factor_rows where ROWS), else column by
 * column in place in global memory. At most three blocks a multiprocessor:
 * 80 registers, the register tiles of the trailing update without spills;
 * with ROWS no such bound (112 registers in float64, 80 in float32).
 */
template <typename T, bool ROWS>
__global__ void __launch_bounds__(LU_BLOCK_THREADS, ROWS ? 1 : 3)
    lu_block(const T *src, T *dst, int64_t stride, int64_t r0, int64_t c0, int64_t ld, int m,
             int w, uint32_t *ipiv, int64_t kst, int32_t *info, int64_t batch, bool direct,
             bool smem) {
    extern __shared__ __align__(16) unsigned char smraw[];
    __shared__ T rv[LU_BLOCK_THREADS / 32];
    __shared__ int ri[LU_BLOCK_THREADS / 32];
    const int tid = threadIdx.x, nt = blockDim.x;
    const int K = min(m, w);
    for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
        if (!direct && info[b] < 0) continue;
        const T *A = src + b * stride + r0 * ld + c0;
        T *D = dst + b * stride + r0 * ld + c0;
        T *P;
        int64_t LP;
        bool bad = false;
        if (smem) {
            P = (T *)smraw;
            LP = w + 1;
            bad = lapis_load_rows<T, false>(
                A, ld, m, w, [](int, int) { return true; },
                [&](int i, int j, T x) { P[i * LP + j] = x; });
        } else {
            P = D;
            LP = ld;
            if (direct)
                for (int e = tid; e < m * w; e += nt) {
                    int i = e / w, j = e - i * w;
                    T x = A[(int64_t)i * ld + j];
                    bad |= !lapis_finite(x);
                    D[(int64_t)i * ld + j] = x;
                }
        }
        bad = __syncthreads_or(bad) && direct;
        if (!smem) {
            for (int j = tid; j < w; j += nt) ((T *)smraw)[j] = P[j]; /* pivot row of step 0 */
            __syncthreads();
        }
        int zero = 0;
        if (smem && !bad)
            zero = ROWS ? lu_block_factor_rows(P, (int)LP, m, w, ipiv + b * kst + c0,
                                               (uint32_t)r0)
                        : lu_block_factor(P, (int)LP, m, w, ipiv + b * kst + c0, (uint32_t)r0,
                                          rv, ri);
        for (int k = 0; k < K && !bad && !smem; k++) {
            /* tall panel in global memory: a row per thread keeps many
             * independent loads in flight; the pivot row is in shared */
            T best = T(-1);
            int bi = m;
            for (int i = k + tid; i < m; i += nt) {
                T x = fabs(P[i * LP + k]);
                if (x > best) {
                    best = x;
                    bi = i;
                }
            }
            bi = lu_block_pivot(best, bi, m, rv, ri);
            if (bi >= m) bi = k;
            if (tid == 0) ipiv[b * kst + c0 + k] = (uint32_t)(r0 + bi);
            T *prow = (T *)smraw;
            if (bi != k)
                for (int j = tid; j < w; j += nt) {
                    T t = P[k * LP + j];
                    P[k * LP + j] = P[bi * LP + j];
                    P[bi * LP + j] = t;
                    prow[j] = P[k * LP + j];
                }
            __syncthreads();
            T piv = P[k * LP + k];
            if (piv == T(0) && zero == 0) zero = k + 1;
            for (int i = k + 1 + tid; i < m; i += nt) {
                T l = piv != T(0) ? P[i * LP + k] / piv : T(0);
                if (piv != T(0)) P[i * LP + k] = l;
                T *row = P + i * LP;
                for (int j = k + 1; j < w; j++) row[j] = fma(-l, prow[j], row[j]);
            }
            __syncthreads();
            if (k + 1 < K)
                for (int j = tid; j < w; j += nt) prow[j] = P[(k + 1) * LP + j];
        }
        if (smem || bad) {
            for (int e = tid; e < m * w; e += nt) {
                int i = e / w, j = e - i * w;
                D[(int64_t)i * ld + j] = bad ? lapis_nan<T>() : P[i * LP + j];
            }
        }
        if (bad)
            for (int k = tid; k < K; k += nt) ipiv[b * kst + c0 + k] = (uint32_t)(r0 + k);
        if (tid == 0) {
            if (direct) info[b] = bad ? LAPIS_INFO_NON_FINITE : zero;
            else if (zero && info[b] == 0) info[b] = (int32_t)(c0 + zero);
        }
        __syncthreads();
    }
}

template <typename T> static size_t lu_block_smem(int64_t m, int64_t w) {
    return (size_t)m * (size_t)(w + 1) * sizeof(T);
}

/* The dynamic shared memory lu_block may have: the opt-in limit less its
 * static arrays (at most 3 KiB: lu_rows_sh<double> is 2.4). */
static size_t lu_block_smem_max() { return lapis_smem_optin() - 3072; }

bool lapis_cuda_lu_block_fits(int64_t m, int64_t n, size_t elem) {
    return (size_t)m * (size_t)(n + 1) * elem <= lu_block_smem_max();
}

template <typename T>
static lapis_status launch_lu_block(const T *src, T *dst, int64_t stride, int64_t r0, int64_t c0,
                                    int64_t ld, int64_t m, int64_t w, uint32_t *ipiv, int64_t kst,
                                    int32_t *info, int64_t batch, bool direct, cudaStream_t s) {
    size_t smem = lu_block_smem<T>(m, w);
    bool use = smem <= lu_block_smem_max();
    if (!use) smem = (size_t)w * sizeof(T); /* the pivot row */
    /* in shared memory a thread per row at most (64 at least) where two
     * or more blocks share a multiprocessor: the surplus threads only
     * waited at the barriers, and smaller blocks put more matrices on a
     * multiprocessor (float64 n = 64: 5.2 -> 2.3 ms at batch 16384). A
     * block alone on its multiprocessor keeps all its threads (float64
     * n = 128: 6.2 ms with 256, 7.2 with 128). */
    int threads = LU_BLOCK_THREADS;
    if (use && !lapis_block_alone(smem))
        threads = (int)min((int64_t)LU_BLOCK_THREADS, max((int64_t)64, (m + 31) / 32 * 32));
    cudaError_t e = cudaSuccess;
    if (smem > 48 * 1024) {
        e = cudaFuncSetAttribute(lu_block<T, false>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 (int)smem);
        if (e == cudaSuccess)
            e = cudaFuncSetAttribute(lu_block<T, true>,
                                     cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess) return lapis_cuda_fail(e, "cudaFuncSetAttribute(lu_block)");
    }
    /* A thread per row, the panel's rows in registers (lu_panel_rows),
     * wherever its registers cost no resident blocks: float64 n = 64 and
     * 128 on the H100 (2.30 -> 1.97 and 6.30 -> 5.15 ms, batch 16384 and
     * 4096), float32 n = 128 (2.51 -> 2.10); not float32 n = 64 (fewer
     * blocks a multiprocessor: 1.29 -> 1.35 ms with 96 registers) nor the
     * recursion's leaves of 256 rows (3 blocks -> 1 with 138 registers;
     * float64 n = 256: 4.59 -> 5.06 ms at batch 1024). */
    bool rows = false;
    if (use && m <= threads) {
        int with = 0, without = 0;
        e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&with, lu_block<T, true>, threads, smem);
        if (e == cudaSuccess)
            e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&without, lu_block<T, false>,
                                                              threads, smem);
        if (e != cudaSuccess) return lapis_cuda_fail(e, "lu_block occupancy");
        rows = with >= without && with > 0;
    }
    auto kernel = rows ? lu_block<T, true> : lu_block<T, false>;
    kernel<<<lapis_grid(batch, 1), threads, smem, s>>>(
        src, dst, stride, r0, c0, ld, (int)m, (int)w, ipiv, kst, info, batch, direct, use);
    return lapis_cuda_launched("lu_block");
}

/* ---- large: recursive ------------------------------------------------------------ */

/* out = a, ipiv = identity, info = -1 where NaN/Inf (else 0, info zeroed before) */
template <typename T>
__global__ void lu_init(const T *a, T *out, int64_t mn, uint32_t *ipiv, int64_t K, int32_t *info,
                        int64_t batch) {
    int64_t total = mn * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        T x = a[e];
        int64_t b = e / mn, rem = e - b * mn;
        if (!lapis_finite(x)) info[b] = LAPIS_INFO_NON_FINITE;
        out[e] = x;
        if (rem < K) ipiv[b * K + rem] = (uint32_t)rem;
    }
}

template <typename T>
__global__ void lu_nan_nonfinite(T *x, int64_t count, const int32_t *info, int64_t batch) {
    int64_t total = batch * count;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x)
        if (info[e / count] < 0) x[e] = lapis_nan<T>();
}

/* Row swaps ipiv[k0..k1) applied to columns [j0, j1), k0..k1 in order. */
template <typename T>
__global__ void lu_laswp(T *w, int64_t stride, int64_t ld, const uint32_t *ipiv, int64_t kst,
                         int64_t k0, int64_t k1, int64_t j0, int64_t j1, const int32_t *info,
                         int64_t batch) {
    int64_t cols = j1 - j0, total = cols * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = e / cols, j = j0 + (e - b * cols);
        if (info[b] < 0) continue;
        T *A = w + b * stride;
        for (int64_t k = k0; k < k1; k++) {
            int64_t p = ipiv[b * kst + k];
            if (p != k) {
                T t = A[k * ld + j];
                A[k * ld + j] = A[p * ld + j];
                A[p * ld + j] = t;
            }
        }
    }
}

/*
 * Cooperative leaf: the m x w panel (w <= LU_LEAF) at (c0, c0) of a few big
 * matrices, spread over G blocks per matrix, each holding a slice of the
 * panel's rows in shared memory. One grid-wide barrier per column: every
 * block posts its best pivot candidate (value, row, the row itself) and the
 * owner of row k posts row k; after the barrier every block picks the same
 * pivot (largest |a|, first row on ties, as i?amax), swaps and updates its
 * rows. Whole rows are swapped at once (columns outside the panel by a fixed
 * column slice per thread, so each column sees its swaps in order), so the
 * recursion needs no laswp. Matrices with info < 0 only take part in the
 * barriers.
 */
#define LU_LEAF 32
#define LU_COOP_THREADS 256

template <typename T> struct lu_coop_slot {
    T val;
    int idx;
    T row[LU_LEAF];
};

template <typename T>
__global__ void __launch_bounds__(LU_COOP_THREADS)
    lu_coop_leaf(T *w, int64_t stride, int64_t ld, int64_t M, int64_t j0, int64_t j1, int64_t c0,
                 int wc, uint32_t *ipiv, int64_t kst, int32_t *info, int G,
                 lu_coop_slot<T> *slots, T *rowk) {
    namespace cg = cooperative_groups;
    cg::grid_group grid = cg::this_grid();
    extern __shared__ __align__(16) unsigned char smraw[];
    __shared__ T prow[LU_LEAF], krow[LU_LEAF], rv[LU_COOP_THREADS / 32];
    __shared__ int ri[LU_COOP_THREADS / 32], piv_s;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, nw = LU_COOP_THREADS / 32;
    const int64_t b = blockIdx.x / G;
    const int g = (int)(blockIdx.x - b * G), nblk = gridDim.x;
    const int64_t mr = M - c0; /* panel rows */
    const int64_t lo = mr * g / G, hi = mr * (g + 1) / G;
    const int rows = (int)(hi - lo), LP = LU_LEAF + 1;
    const int K = (int)min(mr, (int64_t)wc);
    const bool active = info[b] >= 0;
    T *A = w + b * stride;
    T *S = (T *)smraw;
    if (active)
        for (int e = tid; e < rows * wc; e += LU_COOP_THREADS) {
            int i = e / wc, j = e - i * wc;
            S[i * LP + j] = A[(c0 + lo + i) * ld + c0 + j];
        }
    __syncthreads();
    int zero = 0;
    for (int k = 0; k < K; k++) {
        const int par = k & 1;
        lu_coop_slot<T> *sl = slots + (int64_t)par * nblk;
        T *rk = rowk + ((int64_t)par * (nblk / G) + b) * LU_LEAF;
        if (active) {
            /* this slice's candidate */
            T best = T(-1);
            int bi = INT_MAX;
            for (int64_t i = max(lo, (int64_t)k) + tid; i < hi; i += LU_COOP_THREADS) {
                T x = fabs(S[(i - lo) * LP + k]);
                if (x > best) {
                    best = x;
                    bi = (int)i;
                }
            }
            lu_warp_argmax(best, bi);
            if (lane == 0) {
                rv[warp] = best;
                ri[warp] = bi;
            }
            __syncthreads();
            if (warp == 0) {
                best = lane < nw ? rv[lane] : T(-1);
                bi = lane < nw ? ri[lane] : INT_MAX;
                lu_warp_argmax(best, bi);
                if (lane == 0) {
                    sl[blockIdx.x].val = best;
                    sl[blockIdx.x].idx = bi;
                }
                if (bi != INT_MAX && lane < wc) sl[blockIdx.x].row[lane] = S[(bi - lo) * LP + lane];
                if (k >= lo && k < hi && lane < wc) rk[lane] = S[(k - lo) * LP + lane];
            }
        }
        grid.sync();
        if (!active) continue;
        /* the pivot, the same in every block of this matrix */
        if (warp == 0) {
            T best = T(-1);
            int bi = INT_MAX, bw = 0;
            for (int q = lane; q < G; q += 32) {
                T v = __ldcg(&sl[b * G + q].val);
                int i = __ldcg(&sl[b * G + q].idx);
                if (v > best || (v == best && i < bi)) {
                    best = v;
                    bi = i;
                    bw = q;
                }
            }
            lu_warp_argmax(best, bi, bw);
            if (bi == INT_MAX) bi = k; /* not reached for finite data */
            if (lane < wc) {
                prow[lane] = bi == k && k >= lo && k < hi ? S[(k - lo) * LP + lane]
                                                         : __ldcg(&sl[b * G + bw].row[lane]);
                krow[lane] = __ldcg(&rk[lane]);
            }
            if (lane == 0) {
                piv_s = bi;
                if (g == 0) ipiv[b * kst + c0 + k] = (uint32_t)(c0 + bi);
            }
        }
        __syncthreads();
        const int p = piv_s;
        if (p != k) {
            if (p >= lo && p < hi && tid < wc) S[(p - lo) * LP + tid] = krow[tid];
            if (k >= lo && k < hi && tid < wc) S[(k - lo) * LP + tid] = prow[tid];
            /* the rest of rows k and p in [j0, j1): a fixed slice of
             * columns per thread */
            T *rk_g = A + (c0 + k) * ld, *rp_g = A + (c0 + p) * ld;
            for (int64_t e = (int64_t)g * LU_COOP_THREADS + tid; e < j1 - j0 - wc;
                 e += (int64_t)G * LU_COOP_THREADS) {
                int64_t j = j0 + e < c0 ? j0 + e : j0 + e + wc;
                T t = rk_g[j];
                rk_g[j] = rp_g[j];
                rp_g[j] = t;
            }
        }
        __syncthreads();
        const T pv = prow[k];
        if (pv == T(0) && zero == 0) zero = k + 1;
        const int64_t i0 = max(lo, (int64_t)k + 1);
        const int nr = (int)max((int64_t)0, hi - i0);
        if (pv != T(0)) {
            for (int r = tid; r < nr; r += LU_COOP_THREADS) S[(i0 - lo + r) * LP + k] /= pv;
            __syncthreads();
            const int nc = wc - k - 1;
            for (int e = tid; e < nr * nc; e += LU_COOP_THREADS) {
                int r = e / nc, j = k + 1 + (e - r * nc);
                T *row = S + (i0 - lo + r) * LP;
                row[j] = fma(-row[k], prow[j], row[j]);
            }
        }
        __syncthreads();
    }
    if (!active) return;
    for (int e = tid; e < rows * wc; e += LU_COOP_THREADS) {
        int i = e / wc, j = e - i * wc;
        A[(c0 + lo + i) * ld + c0 + j] = S[i * LP + j];
    }
    if (g == 0 && tid == 0 && zero && info[b] == 0) info[b] = (int32_t)(c0 + zero);
}

/*
 * Cluster leaf (sm_90): the same panel of one matrix per thread-block cluster
 * of CS blocks (16 where the card allows, else 8), each block holding a
 * slice of the panel's rows, one row per thread in registers (so at most
 * LU_CLUSTER_THREADS rows a block). The blocks write into each other's
 * shared memory, so a column costs no grid barrier and no global round
 * trip. Rows never move between threads: a thread keeps its row and its
 * place in the panel (pos), which the interchanges change (the pivot row's
 * place becomes k, the row at k takes the pivot's), and writes the row to
 * its final place at the end. A column:
 *   each warp's best candidate leaves its row in wrow (the columns already
 *   done as 0), and after one block barrier warp w sends the block's best
 *   candidate (value, place, row) to block w's inbox (st.async: each store
 *   counts its bytes on the receiver's mbarrier), by the column's parity;
 *   once its mbarrier has all the column's bytes, every warp picks the same
 *   pivot from its block's inbox (largest |a|, first place on ties), and
 *   each thread updates its row by the pivot row read there and, in the
 *   same pass, offers it as a candidate for the next column. The pivot row
 *   itself is left as it is: it is row k of U.
 * The warps' candidates are kept by parity too: a warp may start the next
 * column while another still sends this one. (Before: warp 0 alone sent
 * the candidates and row k, and a second block barrier shared the pivot;
 * the wait acquired at cluster scope, which invalidated L1 each column.)
 * The panel moves between global memory and the threads' rows in 32 x 32
 * tiles through shared memory, a warp's rows at a time, so that each load
 * and store is a coalesced row segment (a thread reading its own row
 * touched a cache line an element: ncu counted 75% excess sectors).
 * Multipliers by the pivot's reciprocal where the pivot is at least the
 * smallest normal number, else by division (as LAPACK's getf2). The
 * interchanges outside the panel are left to lu_leaf_swaps. Matrices with
 * info < 0 are skipped (whole clusters).
 */
#define LU_CLUSTER_THREADS 512
#define LU_CLUSTER_MAX 16

/* Distributed shared memory, sm_90: the image of a block's shared address
 * (lapis_smem_addr) in block `rank` of the cluster, a 16-byte store there
 * that signals that block's mbarrier with its bytes, and the mbarrier
 * steps. */
__device__ __forceinline__ unsigned lu_remote(unsigned a, int rank) {
    unsigned r;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(rank));
    return r;
}
__device__ __forceinline__ void lu_push16(unsigned ra, uint4 v, unsigned rbar) {
    asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.v4.b32 [%0], "
                 "{%1, %2, %3, %4}, [%5];" ::"r"(ra),
                 "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w), "r"(rbar)
                 : "memory");
}
__device__ __forceinline__ void lu_bar_init(unsigned a) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(a) : "memory");
}
__device__ __forceinline__ void lu_bar_expect(unsigned a, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(a), "r"(bytes)
                 : "memory");
}
__device__ __forceinline__ void lu_bar_wait(unsigned a, unsigned parity) {
    asm volatile("{\n .reg .pred p;\n"
                 "LU_WAIT_%=:\n"
                 " mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n"
                 " @!p bra LU_WAIT_%=;\n}" ::"r"(a),
                 "r"(parity)
                 : "memory");
}

/* A block's candidate for a column: its row, |value| and row index. */
template <typename T> struct __align__(16) lu_cand {
    T row[LU_LEAF];
    T val;
    int idx;
};
static_assert(offsetof(lu_cand<double>, val) == 32 * 8 && offsetof(lu_cand<double>, idx) == 33 * 8 &&
                  offsetof(lu_cand<float>, val) == 32 * 4 && offsetof(lu_cand<float>, idx) == 33 * 4,
              "a candidate's value and place fill the 16 bytes after its row");

/* Dynamic shared memory of the cluster leaf: a 32 x 33 tile a warp. */
template <typename T> static constexpr size_t lu_cluster_smem() {
    return (size_t)(LU_CLUSTER_THREADS / 32) * 32 * 33 * sizeof(T);
}

template <typename T>
__global__ void __launch_bounds__(LU_CLUSTER_THREADS)
    lu_cluster_leaf(T *w, int64_t stride, int64_t ld, int64_t M, int64_t c0, int wc,
                    uint32_t *ipiv, int64_t kst, int32_t *info) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    namespace cg = cooperative_groups;
    constexpr int NW = LU_CLUSTER_THREADS / 32;
    constexpr int NCH = (int)(sizeof(lu_cand<T>) / 16), KCH = (int)(LU_LEAF * sizeof(T) / 16);
    static_assert(LU_LEAF == 32, "a tile is a warp's rows by the leaf's columns");
    static_assert(NW >= LU_CLUSTER_MAX && NCH <= 32, "a warp sends to one block, a lane a chunk");
    cg::cluster_group cl = cg::this_cluster();
    extern __shared__ __align__(16) unsigned char lsm[];
    __shared__ __align__(16) T wrow[2][NW][LU_LEAF];
    __shared__ __align__(16) lu_cand<T> inbox[2][LU_CLUSTER_MAX];
    __shared__ __align__(8) unsigned long long mbar[2];
    __shared__ T rv[2][NW];
    __shared__ int ri[2][NW];
    const int CS = (int)cl.num_blocks(), g = (int)cl.block_rank();
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int64_t b = blockIdx.x / CS;
    if (info[b] < 0) return; /* the whole cluster */
    const int64_t mr = M - c0;
    if (tid == 0) {
        lu_bar_init(lapis_smem_addr(&mbar[0]));
        lu_bar_init(lapis_smem_addr(&mbar[1]));
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    cl.sync(); /* every block's mbarriers ready before the first push */
    const unsigned inbytes = (unsigned)(CS * sizeof(lu_cand<T>));
    const int lo = (int)(mr * g / CS), hi = (int)(mr * (g + 1) / CS);
    const int K = (int)min(mr, (int64_t)wc), r = lo + tid;
    const bool has = r < hi;
    T v[LU_LEAF];
    T *tile = reinterpret_cast<T *>(lsm) + warp * 32 * 33;
    {
        /* the warp's rows: row r0 + i along the lanes into v[i], then turned */
        const int r0 = r - lane;
        const T *A = w + b * stride + (c0 + r0) * ld + c0 + lane;
#pragma unroll
        for (int i = 0; i < 32; i++) v[i] = r0 + i < hi && lane < wc ? A[i * ld] : T(0);
#pragma unroll
        for (int i = 0; i < 32; i++) tile[i * 33 + lane] = v[i];
        __syncwarp();
#pragma unroll
        for (int j = 0; j < LU_LEAF; j++) v[j] = tile[lane * 33 + j];
    }
    int pos = r;       /* the row's place in the panel */
    bool live = has;   /* not a pivot row yet */
    T best = has ? fabs(v[0]) : T(-1);
    int bi = has ? r : INT_MAX, zero = 0;
    /*
     * The rows turn left a column a step: at step k, v[j] holds column
     * (j + k) mod 32, so column k is v[0] and every step runs the same
     * code (32 unrolled copies stalled on instruction fetch).
     */
#pragma unroll 1
    for (int k = 0; k < K; k++) {
        const int par = k & 1;
        if (tid == 0) lu_bar_expect(lapis_smem_addr(&mbar[par]), inbytes);
        {
            int unused = 0;
            lu_warp_argmax_key(best, bi, unused);
        }
        if (live && bi == pos) {
#pragma unroll
            for (int j = 0; j < LU_LEAF; j++) wrow[par][warp][j] = j + k < LU_LEAF ? v[j] : T(0);
        }
        if (lane == 0) {
            rv[par][warp] = best;
            ri[par][warp] = bi;
        }
        __syncthreads();
        if (warp < CS) {
            /* the block's best (the same in every sending warp) to block `warp` */
            T bv = lane < NW ? rv[par][lane] : T(-1);
            int bx = lane < NW ? ri[par][lane] : INT_MAX, bw = lane;
            lu_warp_argmax_key(bv, bx, bw);
            if (lane < NCH) {
                uint4 ch = make_uint4(0u, 0u, 0u, 0u);
                if (lane < KCH) {
                    if (bx != INT_MAX) ch = reinterpret_cast<const uint4 *>(wrow[par][bw])[lane];
                } else if (lane == KCH) { /* the tail: value and place */
                    if constexpr (sizeof(T) == 8) {
                        const unsigned long long vb = (unsigned long long)__double_as_longlong(bv);
                        ch = make_uint4((unsigned)vb, (unsigned)(vb >> 32), (unsigned)bx, 0u);
                    } else {
                        ch = make_uint4(__float_as_uint(bv), (unsigned)bx, 0u, 0u);
                    }
                }
                lu_push16(lu_remote(lapis_smem_addr(&inbox[par][g]) + 16 * lane, warp), ch,
                          lu_remote(lapis_smem_addr(&mbar[par]), warp));
            }
        }
        lu_bar_wait(lapis_smem_addr(&mbar[par]), (unsigned)(k >> 1) & 1u);
        /* the pivot: every warp of the cluster picks the same */
        T cv = lane < CS ? inbox[par][lane].val : T(-1);
        int ci = lane < CS ? inbox[par][lane].idx : INT_MAX, cb = lane;
        lu_warp_argmax_key(cv, ci, cb);
        if (ci == INT_MAX) ci = k; /* not reached for finite data */
        const T *prow = inbox[par][cb].row;
        const T pv = prow[0];
        /* 1/|pivot| beside the pivot's read, its sign after (exact: the
         * division is symmetric in sign) */
        const T ainv = T(1) / cv, pinv = pv < T(0) ? -ainv : ainv;
        if (tid == 0 && g == 0) ipiv[b * kst + c0 + k] = (uint32_t)(c0 + ci);
        if (pv == T(0) && zero == 0) zero = k + 1;
        /* the interchange: the pivot row goes to place k, the row there to
         * the pivot's place */
        if (live && pos == ci) {
            live = false;
            pos = k;
        } else if (live && pos == k) {
            pos = ci;
        }
        best = T(-1);
        bi = INT_MAX;
        if (live) {
            if (pv != T(0)) {
                const T l = lu_multiplier(v[0], pv, pinv);
                v[0] = l;
#pragma unroll
                for (int j = 1; j < LU_LEAF; j++) v[j] = fma(-l, prow[j], v[j]);
            }
            best = fabs(v[1]);
            bi = pos;
        }
        const T t0 = v[0]; /* turn: column k + 1 to v[0] */
#pragma unroll
        for (int j = 0; j + 1 < LU_LEAF; j++) v[j] = v[j + 1];
        v[LU_LEAF - 1] = t0;
    }
    {
        /* each row to its place through the tile: v[j] of lane i is
         * element (i, (j + K) mod 32) of the warp's rows after K turns */
        T *A = w + b * stride + c0 * ld + c0 + lane;
#pragma unroll
        for (int j = 0; j < LU_LEAF; j++) tile[lane * 33 + ((j + K) & (LU_LEAF - 1))] = v[j];
        __syncwarp();
        const unsigned rows = __ballot_sync(LAPIS_FULL_MASK, has);
#pragma unroll 4
        for (int i = 0; i < 32; i++) {
            const int pi = __shfl_sync(LAPIS_FULL_MASK, pos, i);
            if ((rows >> i & 1u) && lane < wc) A[(int64_t)pi * ld] = tile[i * 33 + lane];
        }
    }
    if (g == 0 && tid == 0 && zero && info[b] == 0) info[b] = (int32_t)(c0 + zero);
    cl.sync(); /* no block leaves while another may still push to it */
#endif
}

/*
 * The interchanges ipiv[r0 .. r0 + K) (K <= 32, a leaf's) applied in order
 * to the columns [j0, j0 + cols + xw) but [x0, x0 + xw) (the leaf's own, or
 * none with xw = 0), one column per thread. The
 * rows they touch (rows c0.. c0 + K and the pivot rows, at most 2 K) are
 * read at once and written back permuted: a swap at a time would wait a
 * memory latency per interchange.
 */
template <typename T>
__global__ void __launch_bounds__(64)
    lu_leaf_swaps(T *w, int64_t stride, int64_t ld, int64_t j0, int64_t cols, int64_t x0, int xw,
                  int64_t c0, int K, const uint32_t *ipiv, int64_t kst, const int32_t *info) {
    __shared__ int64_t rowof[2 * LU_LEAF];
    __shared__ int src[2 * LU_LEAF], ns_s;
    const int64_t b = blockIdx.y;
    if (info[b] < 0) return;
    if (threadIdx.x < 32) {
        /* slots: rows c0 + s, then each pivot row below the leaf once;
         * src[s] = the slot whose original content ends in slot s */
        const int lane = threadIdx.x;
        int64_t pl = lane < K ? (int64_t)ipiv[b * kst + c0 + lane] : 0;
        for (int s = lane; s < 2 * LU_LEAF; s += 32) {
            rowof[s] = c0 + s;
            src[s] = s;
        }
        __syncwarp();
        int ns = K;
        for (int k = 0; k < K; k++) {
            const int64_t p = __shfl_sync(LAPIS_FULL_MASK, pl, k);
            int sp;
            if (p < c0 + K) {
                sp = (int)(p - c0);
            } else {
                unsigned hit = __ballot_sync(LAPIS_FULL_MASK, K + lane < ns && rowof[K + lane] == p);
                if (hit) {
                    sp = K + __ffs(hit) - 1;
                } else {
                    sp = ns++;
                    if (lane == 0) rowof[sp] = p;
                }
            }
            if (lane == 0 && sp != k) {
                int t = src[k];
                src[k] = src[sp];
                src[sp] = t;
            }
            __syncwarp();
        }
        if (lane == 0) ns_s = ns;
    }
    __syncthreads();
    const int ns = ns_s;
    T *A = w + b * stride;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < cols;
         e += (int64_t)gridDim.x * blockDim.x) {
        const int64_t j = j0 + e < x0 ? j0 + e : j0 + e + xw;
        T v[2 * LU_LEAF];
#pragma unroll
        for (int s = 0; s < 2 * LU_LEAF; s++)
            if (s < ns) v[s] = A[rowof[src[s]] * ld + j];
#pragma unroll
        for (int s = 0; s < 2 * LU_LEAF; s++)
            if (s < ns) A[rowof[s] * ld + j] = v[s];
    }
}

template <typename T> struct lu_ctx {
    T *w;
    int64_t m, n, K, batch;
    uint32_t *ipiv;
    int32_t *info;
    cudaStream_t s;
    cublasHandle_t h;
    T **pa, **pb;
    int coop_blocks;           /* blocks for the cooperative leaf (all matrices); 0: one per matrix */
    int cluster;               /* blocks per cluster of the cluster leaf; 0: none */
    lu_coop_slot<T> *slots;    /* 2 * coop_blocks */
    T *rowk;                   /* 2 * batch * LU_LEAF */
    int64_t jlo, jhi;          /* the columns the leaves' interchanges reach */
};

/* Shared memory of a cooperative leaf block holding `rows` rows. */
template <typename T> static size_t lu_coop_smem(int64_t rows) {
    return (size_t)rows * (LU_LEAF + 1) * sizeof(T);
}

/*
 * Blocks for the cooperative leaf of `batch` m-row matrices: about one block
 * per SM in all, at least 4 per matrix and all resident at once, else 0 (the
 * per-matrix block leaf). LAPIS_LU_COOP_BLOCKS overrides the total (tuning).
 */
template <typename T> static int lu_coop_plan(int64_t m, int64_t batch) {
    const cudaDeviceProp *pr = lapis_cuda_props();
    static int env = -2;
    if (env == -2) {
        const char *e = getenv("LAPIS_LU_COOP_BLOCKS");
        env = e ? atoi(e) : -1;
    }
    if (!pr->cooperativeLaunch || env == 0) return 0;
    int64_t total = env > 0 ? env : pr->multiProcessorCount;
    int64_t G = total / batch;
    if (G < 4 || m < 4 * 64) return 0;
    if (G > (m + 63) / 64) G = (m + 63) / 64; /* at least 64 rows a block */
    size_t smem = lu_coop_smem<T>((m + G - 1) / G);
    if (smem > lapis_smem_optin()) return 0;
    if (smem > 48 * 1024 &&
        cudaFuncSetAttribute(lu_coop_leaf<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             (int)smem) != cudaSuccess)
        return 0;
    int per_sm = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, lu_coop_leaf<T>, LU_COOP_THREADS,
                                                      smem) != cudaSuccess)
        return 0;
    if (G * batch > (int64_t)per_sm * pr->multiProcessorCount) return 0;
    return (int)(G * batch);
}

template <typename T> static lapis_status lu_coop_launch(lu_ctx<T> &c, int64_t c0, int64_t w) {
    int G = c.coop_blocks / (int)c.batch;
    int64_t mr = c.m - c0;
    if (G > (mr + 63) / 64) G = (int)((mr + 63) / 64);
    if (G < 1) G = 1;
    size_t smem = lu_coop_smem<T>((mr + G - 1) / G);
    T *w_ = c.w;
    int64_t stride = c.m * c.n, ld = c.n, M = c.m, kst = c.K;
    int wc = (int)w;
    void *args[] = {&w_,     &stride, &ld,     &M,    &c.jlo, &c.jhi, &c0,      &wc,
                    &c.ipiv, &kst,    &c.info, &G,    &c.slots, &c.rowk};
    cudaError_t e = cudaLaunchCooperativeKernel((const void *)lu_coop_leaf<T>,
                                                dim3((unsigned)(G * c.batch)), dim3(LU_COOP_THREADS),
                                                args, smem, c.s);
    if (e != cudaSuccess) return lapis_cuda_fail(e, "cudaLaunchCooperativeKernel(lu_coop_leaf)");
    return LAPIS_OK;
}

/* The interchanges ipiv[k0 .. k1) applied in order to the columns [j0, j0 +
 * cols + xw) but [x0, x0 + xw) (a leaf's own; none by default), 32 at a
 * time (lu_leaf_swaps: each column reads every touched row at once). */
template <typename T>
static lapis_status lu_swap_cols(lu_ctx<T> &c, int64_t k0, int64_t k1, int64_t j0, int64_t cols,
                                 int64_t x0 = INT64_MAX, int xw = 0) {
    if (cols <= 0) return LAPIS_OK;
    /* small blocks: the columns spread over more multiprocessors */
    dim3 grid(lapis_grid(cols, 64), (unsigned)c.batch);
    for (int64_t r0 = k0; r0 < k1; r0 += LU_LEAF) {
        const int K = (int)min((int64_t)LU_LEAF, k1 - r0);
        lu_leaf_swaps<T><<<grid, 64, 0, c.s>>>(c.w, c.m * c.n, c.n, j0, cols, x0, xw, r0, K,
                                                c.ipiv, c.K, c.info);
        lapis_status st = lapis_cuda_launched("lu_leaf_swaps");
        if (st) return st;
    }
    return LAPIS_OK;
}

/* Launch of the cluster leaf: clusters of cs blocks, one per matrix. */
template <typename T>
static void lu_cluster_config(cudaLaunchConfig_t *cfg, cudaLaunchAttribute *at, int cs,
                              int64_t batch, cudaStream_t s) {
    memset(cfg, 0, sizeof *cfg);
    at->id = cudaLaunchAttributeClusterDimension;
    at->val.clusterDim.x = (unsigned)cs;
    at->val.clusterDim.y = at->val.clusterDim.z = 1;
    cfg->gridDim = dim3((unsigned)(cs * batch));
    cfg->blockDim = dim3(LU_CLUSTER_THREADS);
    cfg->dynamicSmemBytes = lu_cluster_smem<T>();
    cfg->stream = s;
    cfg->attrs = at;
    cfg->numAttrs = 1;
}

/*
 * Blocks per cluster for the cluster leaf of `batch` matrices: 16 where the
 * card runs such clusters (non-portable size), else 8; 0 where clusters are
 * missing (before sm_90), cannot all be resident at once for the batch, or
 * LAPIS_LU_CLUSTER=0 (tuning: the cooperative leaf instead). The card's
 * resident clusters of each size are asked once.
 */
/* The cluster leaf's attributes on the current device (once per device). */
template <typename T> static cudaError_t lu_cluster_attrs() {
    static unsigned long long size_set = 0, smem_set = 0;
    cudaError_t e = lapis_func_attr_once((const void *)lu_cluster_leaf<T>,
                                         cudaFuncAttributeNonPortableClusterSizeAllowed, 1,
                                         &size_set);
    if (e != cudaSuccess) return e;
    return lapis_func_attr_once((const void *)lu_cluster_leaf<T>,
                                cudaFuncAttributeMaxDynamicSharedMemorySize,
                                (int)lu_cluster_smem<T>(), &smem_set);
}

template <typename T> static int lu_cluster_plan(int64_t batch) {
    static int env = -2, resident[2] = {-1, -1}; /* clusters of 16, of 8 */
    if (env == -2) {
        const char *e = getenv("LAPIS_LU_CLUSTER");
        env = e ? atoi(e) : -1;
    }
    if (env == 0 || lapis_cuda_props()->major < 9) return 0;
    if (resident[0] < 0) {
        resident[0] = resident[1] = 0;
        if (lu_cluster_attrs<T>() != cudaSuccess) {
            cudaGetLastError();
            return 0;
        }
        for (int q = 0; q < 2; q++) {
            cudaLaunchConfig_t cfg;
            cudaLaunchAttribute at;
            lu_cluster_config<T>(&cfg, &at, 16 >> q, 1, nullptr);
            if (cudaOccupancyMaxActiveClusters(&resident[q], lu_cluster_leaf<T>, &cfg) !=
                cudaSuccess) {
                cudaGetLastError();
                resident[q] = 0;
            }
        }
    }
    for (int q = 0; q < 2; q++)
        if (resident[q] >= batch) return 16 >> q;
    return 0;
}

/* The cluster leaf at column c0, w columns, then its interchanges in the
 * columns [jlo, jhi) outside the leaf; false in *used when a block's slice
 * has more rows than threads. */
template <typename T>
static lapis_status lu_cluster_launch(lu_ctx<T> &c, int64_t c0, int64_t w, bool *used) {
    const int cs = c.cluster;
    const int64_t mr = c.m - c0;
    *used = (mr + cs - 1) / cs <= LU_CLUSTER_THREADS;
    if (!*used) return LAPIS_OK;
    cudaLaunchConfig_t cfg;
    cudaLaunchAttribute at;
    lu_cluster_config<T>(&cfg, &at, cs, c.batch, c.s);
    cudaError_t e = lu_cluster_attrs<T>();
    if (e != cudaSuccess) return lapis_cuda_fail(e, "lu_cluster_leaf attributes");
    e = cudaLaunchKernelEx(&cfg, lu_cluster_leaf<T>, c.w, c.m * c.n, c.n, c.m, c0,
                                       (int)w, c.ipiv, c.K, c.info);
    if (e != cudaSuccess) return lapis_cuda_fail(e, "cudaLaunchKernelEx(lu_cluster_leaf)");
    return lu_swap_cols(c, c0, c0 + min(mr, w), c.jlo, c.jhi - c.jlo - w, c0, (int)w);
}

template <typename T>
static lapis_status lu_swap(lu_ctx<T> &c, int64_t k0, int64_t k1, int64_t j0, int64_t j1) {
    if (j1 <= j0 || k1 <= k0) return LAPIS_OK;
    int64_t work = (j1 - j0) * c.batch;
    lu_laswp<T><<<lapis_grid(work, 256), 256, 0, c.s>>>(c.w, c.m * c.n, c.n, c.ipiv, c.K, k0, k1,
                                                        j0, j1, c.info, c.batch);
    return lapis_cuda_launched("lu_laswp");
}

template <typename T> struct lu_blas;
template <> struct lu_blas<float> {
    static cublasStatus_t trsm(cublasHandle_t h, int m, int n, const float *A, int lda, float *B,
                               int ldb) {
        const float one = 1;
        return cublasStrsm(h, CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                           CUBLAS_DIAG_UNIT, m, n, &one, A, lda, B, ldb);
    }
    static cublasStatus_t trsmb(cublasHandle_t h, int m, int n, float **A, int lda, float **B,
                                int ldb, int cnt) {
        const float one = 1;
        return cublasStrsmBatched(h, CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                                  CUBLAS_DIAG_UNIT, m, n, &one, A, lda, B, ldb, cnt);
    }
};
template <> struct lu_blas<double> {
    static cublasStatus_t trsm(cublasHandle_t h, int m, int n, const double *A, int lda, double *B,
                               int ldb) {
        const double one = 1;
        return cublasDtrsm(h, CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                           CUBLAS_DIAG_UNIT, m, n, &one, A, lda, B, ldb);
    }
    static cublasStatus_t trsmb(cublasHandle_t h, int m, int n, double **A, int lda, double **B,
                                int ldb, int cnt) {
        const double one = 1;
        return cublasDtrsmBatched(h, CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                                  CUBLAS_DIAG_UNIT, m, n, &one, A, lda, B, ldb, cnt);
    }
};

/* U12 = L11⁻¹ A12, row-major: L11 (wl x wl unit lower) at (r, r), A12 at
 * (r, j0) with wr columns. Column-major: A12ᵀ L11ᵀ⁻¹ (right, upper, unit). */
template <typename T>
static lapis_status lu_trsm(lu_ctx<T> &c, int64_t r, int64_t wl, int64_t j0, int64_t wr) {
    int64_t ld = c.n, mn = c.m * c.n, da = r * ld + r, db = r * ld + j0;
    if (c.batch == 1) {
        LAPIS_CUBLAS_TRY(lu_blas<T>::trsm(c.h, (int)wr, (int)wl, c.w + da, (int)ld, c.w + db, (int)ld));
        return LAPIS_OK;
    }
    lapis_status st;
    if ((st = lapis_ptrs<T>(c.pa, c.w, mn, da, nullptr, c.batch, c.s)) ||
        (st = lapis_ptrs<T>(c.pb, c.w, mn, db, nullptr, c.batch, c.s)))
        return st;
    for (int64_t b0 = 0; b0 < c.batch; b0 += 1 << 30) {
        int cnt = (int)min(c.batch - b0, (int64_t)1 << 30);
        LAPIS_CUBLAS_TRY(lu_blas<T>::trsmb(c.h, (int)wr, (int)wl, c.pa + b0, (int)ld, c.pb + b0,
                                           (int)ld, cnt));
    }
    return LAPIS_OK;
}

/* A22 -= A21 A12 with A21 (rows r1.., cols c0..c0+wl), A12 (rows c0.., cols
 * j0..j0+wr): column-major C = C - A12ᵀ... i.e. gemm(N, N, wr, rows, wl). */
template <typename T>
static lapis_status lu_gemm(lu_ctx<T> &c, int64_t c0, int64_t wl, int64_t j0, int64_t wr) {
    int64_t r1 = c0 + wl, rows = c.m - r1, ld = c.n, mn = c.m * c.n;
    if (rows <= 0 || wr <= 0) return LAPIS_OK;
    return lapis_gemm_strided<T>(c.h, CUBLAS_OP_N, CUBLAS_OP_N, wr, rows, wl, T(-1),
                                 c.w + c0 * ld + j0, ld, mn, c.w + r1 * ld + c0, ld, mn, T(1),
                                 c.w + r1 * ld + j0, ld, mn, c.batch);
}

/* Factors columns [c0, c0 + w) over rows [c0, m); swaps stay in those columns. */
template <typename T> static lapis_status lu_rec(lu_ctx<T> &c, int64_t c0, int64_t w) {
    lapis_status st;
    if (w <= LU_LEAF) {
        if (c.cluster) {
            bool used;
            if ((st = lu_cluster_launch(c, c0, w, &used)) || used) return st;
        }
        if (c.coop_blocks) return lu_coop_launch(c, c0, w);
        return launch_lu_block<T>(c.w, c.w, c.m * c.n, c0, c0, c.n, c.m - c0, w, c.ipiv, c.K,
                                  c.info, c.batch, false, c.s);
    }
    int64_t w1 = ((w / 2 + LU_LEAF - 1) / LU_LEAF) * LU_LEAF, w2 = w - w1;
    bool swaps = !c.coop_blocks; /* the cooperative leaf swaps whole rows itself */
    if ((st = lu_rec(c, c0, w1)) || (swaps && (st = lu_swap(c, c0, c0 + w1, c0 + w1, c0 + w))) ||
        (st = lu_trsm(c, c0, w1, c0 + w1, w2)) || (st = lu_gemm(c, c0, w1, c0 + w1, w2)) ||
        (st = lu_rec(c, c0 + w1, w2)) || (swaps && (st = lu_swap(c, c0 + w1, c0 + w, c0, c0 + w1))))
        return st;
    return LAPIS_OK;
}

/*
 * One matrix by panels of nb columns with a lookahead of one panel: while
 * the panel after k is factored on the side stream (the greatest priority),
 * the caller's stream updates the columns after it for panel k. Per panel:
 *   side:   wait for panel k's update of the rest of step k - 1 (it covers
 *           panel k + 1), then panel k's interchanges, solve and update on
 *           panel k + 1's columns, then panel k + 1 itself (lu_rec, its
 *           leaves' interchanges kept inside the panel's columns);
 *   caller: wait for panel k, then its interchanges, solve and update on
 *           the columns after panel k + 1, then its interchanges on the
 *           columns before panel k (finished; nothing reads them again).
 * The two streams never touch the same columns at once, and neither reads
 * columns the other writes. The leaves' cost is a chain of columns (the
 * pivot of one needs the update of the one before); the lookahead hides
 * the big updates behind it.
 */
template <typename T> static lapis_status lu_look(lu_ctx<T> &c, int64_t nb) {
    lapis_cuda_side sd;
    lapis_status st = lapis_cuda_side_get(&sd);
    if (st) return st;
    lu_ctx<T> P = c; /* panels: the side stream */
    P.s = sd.s;
    P.h = sd.h;
    LAPIS_CUDA_TRY(cudaEventRecord(sd.ev[0], c.s));
    LAPIS_CUDA_TRY(cudaStreamWaitEvent(sd.s, sd.ev[0], 0));
    const int64_t K = c.K, n = c.n;
    P.jlo = 0;
    P.jhi = min(nb, K);
    st = lu_rec(P, 0, P.jhi);
    cudaError_t e = cudaSuccess;
    for (int64_t c0 = 0; !st && c0 < K; c0 += nb) {
        const int64_t c1 = min(c0 + nb, K), wk = c1 - c0, n1 = min(nb, K - c1), r0 = c1 + n1;
        /* panel k factored; the side waits for the rest of step k - 1 */
        if ((e = cudaEventRecord(sd.ev[1], sd.s)) ||
            (c0 > 0 && (e = cudaStreamWaitEvent(sd.s, sd.ev[2], 0))) ||
            (e = cudaStreamWaitEvent(c.s, sd.ev[1], 0)))
            break;
        if ((st = lu_swap_cols(c, c0, c1, r0, n - r0)) || (st = lu_trsm(c, c0, wk, r0, n - r0)) ||
            (st = lu_gemm(c, c0, wk, r0, n - r0)) || (st = lu_swap_cols(c, c0, c1, 0, c0)))
            break;
        if ((e = cudaEventRecord(sd.ev[2], c.s))) break;
        if (n1 == 0) break;
        P.jlo = c1;
        P.jhi = r0;
        if ((st = lu_swap_cols(P, c0, c1, c1, n1)) || (st = lu_trsm(P, c0, wk, c1, n1)) ||
            (st = lu_gemm(P, c0, wk, c1, n1)) || (st = lu_rec(P, c1, n1)))
            break;
    }
    if (e) st = lapis_cuda_fail(e, "lu_factor lookahead events");
    /* join, also after a failure: the caller's stream frees the scratch */
    cudaError_t j = cudaEventRecord(sd.ev[1], sd.s);
    if (j == cudaSuccess) j = cudaStreamWaitEvent(c.s, sd.ev[1], 0);
    if (j != cudaSuccess && !st) st = lapis_cuda_fail(j, "lu_factor lookahead join");
    return st;
}

template <typename T>
static lapis_status lu_large(const T *a, T *out, uint32_t *ipiv, int32_t *info, int64_t m,
                             int64_t n, int64_t batch, cudaStream_t s) {
    lapis_status st;
    int64_t mn = m * n, K = m < n ? m : n;
    LAPIS_CUDA_TRY(cudaMemsetAsync(info, 0, (size_t)batch * sizeof(int32_t), s));
    lu_init<T><<<lapis_grid(mn * batch, 256 * 8), 256, 0, s>>>(a, out, mn, ipiv, K, info, batch);
    if ((st = lapis_cuda_launched("lu_init"))) return st;
    cublasHandle_t h = lapis_cublas(s);
    if (!h) return LAPIS_ERR_INTERNAL;
    lapis_scratch ptrs, coop;
    lu_ctx<T> c = {out, m, n, K, batch, ipiv, info, s, h, nullptr, nullptr, 0, 0, nullptr, nullptr,
                   0, n};
    if (batch > 1) {
        if ((st = ptrs.alloc((size_t)batch * 2 * sizeof(T *), s))) return st;
        c.pa = (T **)ptrs.p;
        c.pb = c.pa + batch;
    }
    c.coop_blocks = lu_coop_plan<T>(m, batch);
    /* the cluster leaf swaps whole rows as the cooperative one, which takes
     * the leaves whose slices do not fit a cluster */
    if (c.coop_blocks) c.cluster = lu_cluster_plan<T>(batch);
    if (c.coop_blocks) {
        size_t sb = 2 * (size_t)c.coop_blocks * sizeof(lu_coop_slot<T>);
        if ((st = coop.alloc(sb + 2 * (size_t)batch * LU_LEAF * sizeof(T), s))) return st;
        c.slots = (lu_coop_slot<T> *)coop.p;
        c.rowk = (T *)((char *)coop.p + sb);
    }
    /* one matrix from 8192 on: by panels with a lookahead (H100, ms, float64
     * 8192 38.0 -> 35.5, 16384 142.2 -> 130.9; float32 8192 34.9 -> 34.8;
     * slower below: float64 4096 15.0 -> 15.4, 1024 3.2 -> 3.6) */
    int64_t nb, min_k;
    lapis_gpu_lu_lookahead_get(&nb, &min_k);
    nb = (nb + LU_LEAF - 1) / LU_LEAF * LU_LEAF;
    if (batch == 1 && c.coop_blocks && nb && K > nb && K >= min_k) {
        if ((st = lu_look(c, nb))) return st;
    } else if ((st = lu_rec(c, 0, K))) {
        return st;
    } else if (n > K) {
        if ((!c.coop_blocks && (st = lu_swap(c, 0, K, K, n))) || (st = lu_trsm(c, 0, K, K, n - K)))
            return st;
    }
    /* zero pivots keep the factorization; only NaN/Inf input becomes NaN */
    lu_nan_nonfinite<T><<<lapis_grid(mn * batch, 256 * 8), 256, 0, s>>>(out, mn, info, batch);
    return lapis_cuda_launched("lu_nan_nonfinite");
}

/* ---- lu_factor ---------------------------------------------------------------------- */


template <typename T>
static lapis_status lu_factor_t(const T *a, T *out, uint32_t *ipiv, int32_t *info, int64_t m,
                                int64_t n, int64_t batch, cudaStream_t s) {
    int64_t mx = m > n ? m : n;
    lapis_cuda_kernel kind = lapis_cuda_kernel_for(LAPIS_CUDA_OP_LU, mx, batch, sizeof(T));
    if (kind == LAPIS_CUDA_SMALL) {
        int np = lapis_np(mx);
#define LU_SMALL(NP)                                                                             \
    return small_launch<T, NP>(                                                                  \
        [&](unsigned grid, size_t smem) {                                                        \
            lu_small<T, NP><<<grid, LAPIS_SMALL_THREADS, smem, s>>>(a, out, ipiv, info, batch,   \
                                                                    (int)m, (int)n);             \
        },                                                                                       \
        lu_buf<T, NP>::ROW, batch, s);
        if (np == 4) { LU_SMALL(4) }
        if (np == 8) { LU_SMALL(8) }
        if (np == 16) { LU_SMALL(16) }
        if (m == 32 && n == 32 && ((uintptr_t)a & 15) == 0 && ((uintptr_t)out & 15) == 0)
            return lu_pipe_launch<T>(a, out, ipiv, info, batch, s);
        LU_SMALL(32)
#undef LU_SMALL
    }
    if (kind == LAPIS_CUDA_BLOCK && lapis_cuda_lu_block_fits(m, n, sizeof(T)))
        return launch_lu_block<T>(a, out, m * n, 0, 0, n, m, n, ipiv, m < n ? m : n, info, batch,
                                  true, s);
    lapis_status st = lu_large<T>(a, out, ipiv, info, m, n, batch, s);
    return st;
}


lapis_status lapis_cuda_lu_factor(const lapis_factor_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->m == 0 || p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32)
        return lu_factor_t<float>((const float *)p->a, (float *)p->out, p->ipiv, p->info, p->m,
                                  p->n, p->batch, s);
    if (p->dtype == LAPIS_FLOAT64)
        return lu_factor_t<double>((const double *)p->a, (double *)p->out, p->ipiv, p->info, p->m,
                                   p->n, p->batch, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu lu_factor: dtype %s", lapis_dtype_name(p->dtype));
}

/* ---- lu_solve ----------------------------------------------------------------------- */

/* x[i] = rows of b[bmap(i)] permuted by the pivots of A[amap(i)]; info[i] =
 * ainfo, else NON_FINITE when b holds NaN/Inf. One block per matrix. The
 * permutation is one thread's chain of swaps in shared memory; with
 * piv_smem the pivots wait there too, loaded by the whole block, so the
 * chain never waits on a global load (one thread reading them from global
 * took 0.21 ms at n = 1024). */
template <typename T>
__global__ void lu_gather(const uint32_t *ipiv, const int32_t *ainfo, lapis_bmap amap, const T *b,
                          lapis_bmap bmap, T *x, int32_t *info, int64_t n, int64_t k,
                          int64_t batch, bool piv_smem) {
    extern __shared__ int perm[];
    int *ps = perm + n;
    const int64_t nk = n * k;
    for (int64_t i = blockIdx.x; i < batch; i += gridDim.x) {
        int64_t ia = lapis_bmap_index(&amap, i);
        const T *bi = b + lapis_bmap_index(&bmap, i) * nk;
        for (int64_t q = threadIdx.x; q < n; q += blockDim.x) {
            perm[q] = (int)q;
            if (piv_smem) ps[q] = (int)ipiv[ia * n + q];
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            if (piv_smem) lapis_swaps_to_perm(perm, (int)n, [&](int q) { return ps[q]; });
            else lapis_swaps_to_perm(perm, (int)n, [&](int q) { return (int)ipiv[ia * n + q]; });
        }
        __syncthreads();
        bool bad = false;
        for (int64_t e = threadIdx.x; e < nk; e += blockDim.x) {
            int64_t q = e / k, c = e - q * k;
            T v = bi[(int64_t)perm[q] * k + c];
            bad |= !lapis_finite(v);
            x[i * nk + e] = v;
        }
        bad = __syncthreads_or(bad);
        if (threadIdx.x == 0) {
            int32_t f = ainfo ? ainfo[ia] : 0;
            info[i] = f ? f : bad ? LAPIS_INFO_NON_FINITE : 0;
        }
    }
}

template <typename T>
static lapis_status lu_solve_large(const T *lu, const uint32_t *ipiv, const int32_t *ainfo,
                                   const lapis_bmap &amap, const T *b, const lapis_bmap &bmap, T *x,
                                   int32_t *info, int64_t n, int64_t k, int64_t batch,
                                   cudaStream_t s) {
    if (n <= LAPIS_TRSM_MID_NMAX && k <= LAPIS_TRSM_MID_K && k > 0)
        return lapis_lu_solve_mid<T>(lu, ipiv, ainfo, &amap, b, &bmap, x, info, n, k, batch, s);
    lapis_status st;
    size_t smem = (size_t)n * sizeof(int);
    if (smem > lapis_smem_optin())
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "gpu lu_solve: n = %lld is too large",
                          (long long)n);
    const bool piv_smem = 2 * smem <= lapis_smem_optin();
    if (piv_smem) smem *= 2;
    if (smem > 48 * 1024) {
        cudaError_t e = cudaFuncSetAttribute(lu_gather<T>,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess) return lapis_cuda_fail(e, "cudaFuncSetAttribute(lu_gather)");
    }
    lu_gather<T><<<lapis_grid(batch, 1), 256, smem, s>>>(ipiv, ainfo, amap, b, bmap, x, info, n, k,
                                                          batch, piv_smem);
    if ((st = lapis_cuda_launched("lu_gather"))) return st;
    if (k == 0) return LAPIS_OK;
    if ((st = lapis_trsm_batched<T>(lu, &amap, x, n, k, false, true, batch, s)) ||
        (st = lapis_trsm_batched<T>(lu, &amap, x, n, k, true, false, batch, s)))
        return st;
    return lapis_nan_failed<T>(x, n * k, info, batch, s);
}

#define KC_FOR(k) ((k) == 1 ? 1 : 4)

template <typename T>
static lapis_status lu_solve_t(const lapis_solve_args *p, cudaStream_t s) {
    const T *lu = (const T *)p->a, *b = (const T *)p->b;
    T *x = (T *)p->x;
    int np = lapis_np(p->n);
    int n = (int)p->n, k = (int)p->k;
    if (np && k > 0) {
#define LUS(NP, KC)                                                                              \
    return small_launch<T, NP>(                                                                  \
        [&](unsigned grid, size_t smem) {                                                        \
            lusolve_small<T, NP, KC><<<grid, LAPIS_SMALL_THREADS, smem, s>>>(                    \
                lu, p->ipiv, p->ainfo, p->amap, b, p->bmap, x, p->info, p->batch, n, k);         \
        },                                                                                       \
        NP, p->batch, s);
        if (k == 1) {
            if (np == 4) { LUS(4, 1) }
            if (np == 8) { LUS(8, 1) }
            if (np == 16) { LUS(16, 1) }
            LUS(32, 1)
        }
        if (np == 4) { LUS(4, 4) }
        if (np == 8) { LUS(8, 4) }
        if (np == 16) { LUS(16, 4) }
        LUS(32, 4)
#undef LUS
    }
    return lu_solve_large<T>(lu, p->ipiv, p->ainfo, p->amap, b, p->bmap, x, p->info, p->n, p->k,
                             p->batch, s);
}

lapis_status lapis_cuda_lu_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return lu_solve_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return lu_solve_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu lu_solve: dtype %s", lapis_dtype_name(p->dtype));
}

/* ---- solve: fused for small n, else lu_factor + lu_solve ------------------------ */

template <typename T>
static lapis_status solve_t(const lapis_solve_args *p, cudaStream_t s) {
    const T *a = (const T *)p->a, *b = (const T *)p->b;
    T *x = (T *)p->x;
    int n = (int)p->n, k = (int)p->k;
    if (lapis_cuda_kernel_for(LAPIS_CUDA_OP_SOLVE, p->n, p->batch, sizeof(T)) == LAPIS_CUDA_SMALL) {
        int np = lapis_np(p->n);
        bool contig = p->amap.ndim == 0 && p->bmap.ndim == 0;
#define SOL(NP, KC)                                                                              \
    return small_launch<T, NP>(                                                                  \
        [&](unsigned grid, size_t smem) {                                                        \
            solve_small<T, NP, KC><<<grid, LAPIS_SMALL_THREADS, smem, s>>>(                      \
                a, p->amap, b, p->bmap, x, p->info, p->batch, n, k, contig);                     \
        },                                                                                       \
        lu_buf<T, NP>::ROW, p->batch, s);
        if (k == 1) {
            if (np == 4) { SOL(4, 1) }
            if (np == 8) { SOL(8, 1) }
            if (np == 16) { SOL(16, 1) }
            SOL(32, 1)
        }
        if (np == 4) { SOL(4, 4) }
        if (np == 8) { SOL(8, 4) }
        if (np == 16) { SOL(16, 4) }
        SOL(32, 4)
#undef SOL
    }
    /* factor the distinct A matrices once, then solve */
    lapis_status st;
    int64_t na = lapis_bmap_count(&p->amap, p->batch), nn = p->n * p->n;
    lapis_scratch ws;
    size_t lub = (size_t)(na * nn) * sizeof(T), pvb = (size_t)(na * p->n) * sizeof(uint32_t);
    lub = (lub + 255) / 256 * 256;
    pvb = (pvb + 255) / 256 * 256;
    if ((st = ws.alloc(lub + pvb + (size_t)na * sizeof(int32_t), s))) return st;
    T *lu = (T *)ws.p;
    uint32_t *piv = (uint32_t *)((char *)ws.p + lub);
    int32_t *ainfo = (int32_t *)((char *)ws.p + lub + pvb);
    if ((st = lu_factor_t<T>(a, lu, piv, ainfo, p->n, p->n, na, s))) return st;
    return lu_solve_large<T>(lu, piv, ainfo, p->amap, b, p->bmap, x, p->info, p->n, p->k, p->batch,
                             s);
}

lapis_status lapis_cuda_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return solve_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return solve_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu solve: dtype %s", lapis_dtype_name(p->dtype));
}

/* ---- inv ----------------------------------------------------------------------------- */

template <typename T>
static lapis_status inv_t(const lapis_factor_args *p, cudaStream_t s) {
    const T *a = (const T *)p->a;
    T *out = (T *)p->out;
    int n = (int)p->n;
    if (lapis_cuda_kernel_for(LAPIS_CUDA_OP_INV, p->n, p->batch, sizeof(T)) == LAPIS_CUDA_SMALL) {
#define INV(NP)                                                                                  \
    return small_launch<T, NP>(                                                                  \
        [&](unsigned grid, size_t smem) {                                                        \
            inv_small<T, NP><<<grid, LAPIS_SMALL_THREADS, smem, s>>>(a, out, p->info, p->batch,  \
                                                                     n);                         \
        },                                                                                       \
        2 * NP, p->batch, s);
        int np = lapis_np(p->n);
        if (np == 4) { INV(4) }
        if (np == 8) { INV(8) }
        if (np == 16) { INV(16) }
        INV(32)
#undef INV
    }
    if (lapis_cuda_kernel_for(LAPIS_CUDA_OP_INV, p->n, p->batch, sizeof(T)) == LAPIS_CUDA_BLOCK) {
        const unsigned grid = lapis_grid(p->batch, 1);
        if (n <= 64)
            inv_block<T, 2><<<grid, 256, inv_block_smem<T, 2>(), s>>>(a, out, p->info, p->batch, n);
        else
            inv_block<T, 4><<<grid, 512, inv_block_smem<T, 4>(), s>>>(a, out, p->info, p->batch, n);
        return lapis_cuda_launched("inv_block");
    }
    lapis_status st;
    int64_t nn = p->n * p->n, batch = p->batch;
    lapis_scratch ws;
    size_t lub = (size_t)(batch * nn) * sizeof(T), pvb = (size_t)(batch * p->n) * sizeof(uint32_t);
    lub = (lub + 255) / 256 * 256;
    pvb = (pvb + 255) / 256 * 256;
    if ((st = ws.alloc(2 * lub + pvb + (size_t)batch * sizeof(int32_t), s))) return st;
    T *lu = (T *)ws.p, *eye = (T *)((char *)ws.p + lub);
    uint32_t *piv = (uint32_t *)((char *)ws.p + 2 * lub);
    int32_t *ainfo = (int32_t *)((char *)ws.p + 2 * lub + pvb);
    if ((st = lu_factor_t<T>(a, lu, piv, ainfo, p->n, p->n, batch, s))) return st;
    if ((st = lapis_set_identity<T>(eye, p->n, 1, s))) return st;
    lapis_bmap id = {}, bc = {};
    bc.ndim = 1;
    bc.dim[0] = batch;
    bc.stride[0] = 0; /* every matrix reads the one identity */
    return lu_solve_large<T>(lu, piv, ainfo, id, eye, bc, out, p->info, p->n, p->n, batch, s);
}

lapis_status lapis_cuda_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    if (p->n == 0) {
        LAPIS_CUDA_TRY(cudaMemsetAsync(p->info, 0, (size_t)p->batch * sizeof(int32_t), s));
        return LAPIS_OK;
    }
    if (p->dtype == LAPIS_FLOAT32) return inv_t<float>(p, s);
    if (p->dtype == LAPIS_FLOAT64) return inv_t<double>(p, s);
    return lapis_fail(LAPIS_ERR_DTYPE, "gpu inv: dtype %s", lapis_dtype_name(p->dtype));
}

/* ---- det: one warp per matrix, mantissa/exponent products as the CPU ----------- */

template <typename T>
__global__ void det_kernel(const T *lu, const uint32_t *ipiv, int64_t n, T *det, T *sign, T *logabs,
                           int64_t batch) {
    const int lane = threadIdx.x & 31;
    const int64_t wid = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5;
    const int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t b = wid; b < batch; b += nwarps) {
        int s = 1;
        double mant = 1, logsum = 0;
        long long e2 = 0;
        bool nan = false;
        for (int64_t i = lane; i < n; i += 32) {
            T u = lu[b * n * n + i * n + i];
            if (ipiv[b * n + i] != (uint32_t)i) s = -s;
            if (u != u) nan = true;
            if (u < 0) s = -s;
            if (u == 0) s = 0;
            double au = fabs((double)u);
            int e;
            mant *= frexp(au, &e);
            e2 += e;
            mant = frexp(mant, &e);
            e2 += e;
            logsum += log(au);
        }
#pragma unroll
        for (int off = 16; off >= 1; off >>= 1) {
            int s2 = __shfl_xor_sync(LAPIS_FULL_MASK, s, off);
            double m2 = __shfl_xor_sync(LAPIS_FULL_MASK, mant, off);
            long long x2 = __shfl_xor_sync(LAPIS_FULL_MASK, e2, off);
            double l2 = __shfl_xor_sync(LAPIS_FULL_MASK, logsum, off);
            bool n2 = __shfl_xor_sync(LAPIS_FULL_MASK, (int)nan, off);
            s *= s2;
            int e;
            mant = frexp(mant * m2, &e);
            e2 += x2 + e;
            logsum += l2;
            nan |= n2;
        }
        if (lane == 0) {
            if (nan) {
                if (det) det[b] = lapis_nan<T>();
                if (sign) sign[b] = lapis_nan<T>();
                if (logabs) logabs[b] = lapis_nan<T>();
            } else {
                long long ec = e2 > 2147483647ll ? 2147483647ll : e2 < -2147483647ll ? -2147483647ll : e2;
                if (det) det[b] = s == 0 ? T(0) : (T)(s * ldexp(mant, (int)ec));
                if (sign) sign[b] = (T)s;
                if (logabs) logabs[b] = s == 0 ? (T)-INFINITY : (T)logsum;
            }
        }
    }
}

lapis_status lapis_cuda_det(const lapis_det_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    unsigned grid = lapis_grid(p->batch * 32, 256);
    if (p->dtype == LAPIS_FLOAT32)
        det_kernel<float><<<grid, 256, 0, s>>>((const float *)p->lu, p->ipiv, p->n, (float *)p->det,
                                               (float *)p->sign, (float *)p->logabsdet, p->batch);
    else if (p->dtype == LAPIS_FLOAT64)
        det_kernel<double><<<grid, 256, 0, s>>>((const double *)p->lu, p->ipiv, p->n,
                                                (double *)p->det, (double *)p->sign,
                                                (double *)p->logabsdet, p->batch);
    else
        return lapis_fail(LAPIS_ERR_DTYPE, "gpu det: dtype %s", lapis_dtype_name(p->dtype));
    return lapis_cuda_launched("det_kernel");
}

/* ---- lu_unpack --------------------------------------------------------------------- */

__global__ void unpack_perm(const uint32_t *ipiv, uint32_t *perm, int64_t m, int64_t k,
                            int64_t batch) {
    for (int64_t b = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; b < batch;
         b += (int64_t)gridDim.x * blockDim.x) {
        uint32_t *pb = perm + b * m;
        const uint32_t *piv = ipiv + b * k;
        for (int64_t i = 0; i < m; i++) pb[i] = (uint32_t)i;
        for (int64_t i = k - 1; i >= 0; i--) {
            uint32_t r = piv[i], t = pb[i];
            pb[i] = pb[r];
            pb[r] = t;
        }
    }
}

template <typename T>
__global__ void unpack_lu(const T *lu, T *l, T *u, int64_t m, int64_t n, int64_t k, int64_t batch) {
    int64_t per = m * k + k * n, total = per * batch;
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total;
         e += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = e / per, r = e - b * per;
        const T *f = lu + b * m * n;
        /* a non-finite input's LU is all NaN (f[0] is a finite pivot
         * otherwise): L and U are then all NaN too, as on the CPU */
        const bool nanm = k > 0 && f[0] != f[0];
        if (r < m * k) {
            int64_t i = r / k, j = r - i * k;
            l[b * m * k + r] = nanm ? lapis_nan<T>() : j < i ? f[i * n + j] : (j == i ? T(1) : T(0));
        } else {
            r -= m * k;
            int64_t i = r / n, j = r - i * n;
            u[b * k * n + r] = nanm ? lapis_nan<T>() : j >= i ? f[i * n + j] : T(0);
        }
    }
}

lapis_status lapis_cuda_lu_unpack(const lapis_lu_unpack_args *p, const lapis_exec *ex) {
    cudaStream_t s = (cudaStream_t)ex->stream;
    int64_t k = p->m < p->n ? p->m : p->n;
    if (p->m > 0) {
        unpack_perm<<<lapis_grid(p->batch, 128), 128, 0, s>>>(p->ipiv, p->perm, p->m, k, p->batch);
        lapis_status st = lapis_cuda_launched("unpack_perm");
        if (st) return st;
    }
    int64_t work = (p->m * k + k * p->n) * p->batch;
    if (work == 0) return LAPIS_OK;
    if (p->dtype == LAPIS_FLOAT32)
        unpack_lu<float><<<lapis_grid(work, 256 * 8), 256, 0, s>>>(
            (const float *)p->lu, (float *)p->l, (float *)p->u, p->m, p->n, k, p->batch);
    else if (p->dtype == LAPIS_FLOAT64)
        unpack_lu<double><<<lapis_grid(work, 256 * 8), 256, 0, s>>>(
            (const double *)p->lu, (double *)p->l, (double *)p->u, p->m, p->n, k, p->batch);
    else
        return lapis_fail(LAPIS_ERR_DTYPE, "gpu lu_unpack: dtype %s", lapis_dtype_name(p->dtype));
    return lapis_cuda_launched("unpack_lu");
}
