/* Entry points and helpers shared between the CUDA op-family files. */
#ifndef LAPIS_CUDA_OPS_CUH
#define LAPIS_CUDA_OPS_CUH

#include "common.cuh"

/* ---- the kernel table (backend.cu) ---- */
typedef enum lapis_cuda_op {
    LAPIS_CUDA_OP_CHOLESKY,
    LAPIS_CUDA_OP_LU,
    LAPIS_CUDA_OP_SOLVE,
    LAPIS_CUDA_OP_INV,
    LAPIS_CUDA_OP_TRSM
} lapis_cuda_op;
typedef enum lapis_cuda_kernel {
    LAPIS_CUDA_SMALL, /* n <= 32: a group of lanes per matrix, registers */
    LAPIS_CUDA_BLOCK, /* one block per matrix, the matrix in shared memory */
    LAPIS_CUDA_LARGE  /* blocked/recursive with cuBLAS level 3 */
} lapis_cuda_kernel;
lapis_cuda_kernel lapis_cuda_kernel_for(lapis_cuda_op op, int64_t n, int64_t batch, size_t elem);
bool lapis_cuda_chol_block_fits(int64_t n, size_t elem);
bool lapis_cuda_chol_block_fits_packed(int64_t n, size_t elem);
int64_t lapis_cuda_chol_panel_from(size_t elem);
bool lapis_cuda_lu_block_fits(int64_t m, int64_t n, size_t elem);

/* ---- slots ---- */
lapis_status lapis_cuda_cholesky(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_cholesky_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_tri_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_lu_factor(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_lu_solve(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_trsm(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_solve(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_lu_unpack(const lapis_lu_unpack_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_det(const lapis_det_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_gemm(const lapis_gemm_args *p, const lapis_exec *ex);

/* ---- level-3 helpers (blas.cu, triangular.cu), row-major operands ---- */

/* Column-major cuBLAS gemm, strided batched (batch 1: plain gemm). */
template <typename T>
lapis_status lapis_gemm_strided(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t lda,
                                int64_t sa, const T *b, int64_t ldb, int64_t sb, T beta, T *c,
                                int64_t ldc, int64_t sc, int64_t batch);

/* In place X = op(A)⁻¹ X for row-major X (n x k, batch contiguous) and
 * row-major triangular A[amap(i)] (lower, or upper; unit: unit diagonal). */
template <typename T>
lapis_status lapis_trsm_batched(const T *a, const lapis_bmap *amap, T *x, int64_t n, int64_t k,
                                bool upper, bool unit, int64_t batch, cudaStream_t s);

/* lu_solve (x = U⁻¹ L⁻¹ P b[bmap(i)] with the LU and pivots of matrix
 * amap(i), info[i] = ainfo[amap(i)], else NON_FINITE for NaN/Inf in b; x NaN
 * where info is not 0) by one fused kernel, for n <= LAPIS_TRSM_MID_NMAX
 * and k <= LAPIS_TRSM_MID_K. */
#define LAPIS_TRSM_MID_NMAX 256
#define LAPIS_TRSM_MID_K 4
template <typename T>
lapis_status lapis_lu_solve_mid(const T *lu, const uint32_t *ipiv, const int32_t *ainfo,
                                const lapis_bmap *amap, const T *b, const lapis_bmap *bmap, T *x,
                                int32_t *info, int64_t n, int64_t k, int64_t batch,
                                cudaStream_t s);

/* info[i] = NON_FINITE when the chosen triangle of A[amap(i)] (or b[bmap(i)],
 * n x k, when b is given) holds NaN/Inf, else the first zero diagonal (1-based),
 * else 0. */
template <typename T>
lapis_status lapis_tri_check(const T *a, const lapis_bmap *amap, int64_t n, bool upper,
                             const T *b, const lapis_bmap *bmap, int64_t k, int32_t *info,
                             int64_t batch, cudaStream_t s);

/* x[i] = identity (n x n) */
template <typename T> lapis_status lapis_set_identity(T *x, int64_t n, int64_t batch, cudaStream_t s);

/* Number of distinct operand matrices a broadcast map reads (batch when the
 * map is the identity). */
static inline int64_t lapis_bmap_count(const lapis_bmap *m, int64_t batch) {
    if (m->ndim == 0) return batch;
    int64_t last = 0;
    for (int d = 0; d < m->ndim; d++) last += (m->dim[d] - 1) * m->stride[d];
    return batch ? last + 1 : 0;
}

#endif
