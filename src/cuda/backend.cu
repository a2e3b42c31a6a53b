/* The CUDA backend's kernel table: which kernel runs for which (op, n, dtype),
 * and the slots. Tuned on the H100 by `lapis bench --device gpu`. */
#include <stddef.h>

#include "ops.cuh"

/*
 * One table for every op family:
 *   n <= 32                       SMALL: NP = 4/8/16/32 lanes per matrix in registers;
 *   matrix fits shared memory     BLOCK: one block per matrix (cholesky, lu_factor),
 *                                 blocked by 16-column panels in shared memory;
 *   otherwise                     LARGE: recursive with cuBLAS level 3 (LU of one
 *                                 matrix from 8192: panels with a lookahead, lu.cu);
 *                                 batched cholesky by panels, and so from
 *                                 lapis_cuda_chol_panel_from on (cholesky.cu).
 * solve and inv use SMALL (fused kernels) up to 32; inv BLOCK (Gauss-Jordan,
 * the matrix in the registers of 8 or 16 warps) up to 128; else lu_factor +
 * lu_solve.
 * A single big matrix that fits shared memory still goes to BLOCK: one block
 * beats the recursion's launches below n ~ 128.
 */
lapis_cuda_kernel lapis_cuda_kernel_for(lapis_cuda_op op, int64_t n, int64_t batch, size_t elem) {
    if (n <= 32) return LAPIS_CUDA_SMALL;
    switch (op) {
    case LAPIS_CUDA_OP_CHOLESKY:
        if (batch > 1 && n >= lapis_cuda_chol_panel_from(elem)) return LAPIS_CUDA_LARGE;
        return lapis_cuda_chol_block_fits_packed(n, elem) ? LAPIS_CUDA_BLOCK : LAPIS_CUDA_LARGE;
    case LAPIS_CUDA_OP_LU:
        return lapis_cuda_lu_block_fits(n, n, elem) ? LAPIS_CUDA_BLOCK : LAPIS_CUDA_LARGE;
    case LAPIS_CUDA_OP_INV: /* Gauss-Jordan in registers, a block per matrix */
        return n <= 128 ? LAPIS_CUDA_BLOCK : LAPIS_CUDA_LARGE;
    default: return LAPIS_CUDA_LARGE;
    }
}

lapis_status lapis_cuda_fallback_factor(size_t slot, const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cuda_fallback_solve(size_t slot, const lapis_solve_args *p, const lapis_exec *ex);

/* Slots with the CPU float64 fallback queued after the kernels (fallback.cu). */
#define WITH_FALLBACK(name, kind, args_t)                                                         \
    static lapis_status name##_fb(const args_t *p, const lapis_exec *ex) {                       \
        lapis_status st = lapis_cuda_##name(p, ex);                                              \
        return st ? st : lapis_cuda_fallback_##kind(offsetof(lapis_backend, name), p, ex);       \
    }
WITH_FALLBACK(cholesky, factor, lapis_factor_args)
WITH_FALLBACK(cholesky_inv, factor, lapis_factor_args)
WITH_FALLBACK(tri_inv, factor, lapis_factor_args)
WITH_FALLBACK(inv, factor, lapis_factor_args)
WITH_FALLBACK(trsm, solve, lapis_solve_args)
WITH_FALLBACK(solve, solve, lapis_solve_args)

void lapis_cuda_fill_kernels(lapis_backend *be) {
    be->cholesky = cholesky_fb;
    be->cholesky_inv = cholesky_inv_fb;
    be->tri_inv = tri_inv_fb;
    be->inv = inv_fb;
    be->lu_factor = lapis_cuda_lu_factor;
    be->lu_solve = lapis_cuda_lu_solve;
    be->trsm = trsm_fb;
    be->solve = solve_fb;
    be->lu_unpack = lapis_cuda_lu_unpack;
    be->det = lapis_cuda_det;
    be->gemm = lapis_cuda_gemm;
}
