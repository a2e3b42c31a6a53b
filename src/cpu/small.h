/*
 * Batched kernels for tiny matrices (order <= LAPIS_SMALL_NMAX), float32 and
 * float64: the CPU backend calls them instead of LAPACK below a per-op order
 * threshold (lapis_small_fits). Same semantics as the LAPACK path: the same
 * info codes and pivots, NaN outputs for failed matrices, the other triangle
 * exactly 0. They never call BLAS, so they run one matrix group per OpenMP
 * thread and leave the BLAS thread count alone.
 */
#ifndef LAPIS_CPU_SMALL_H
#define LAPIS_CPU_SMALL_H

#include "cpu.h"

#define LAPIS_SMALL_NMAX 32

typedef enum lapis_small_op {
    LAPIS_SMALL_CHOLESKY,
    LAPIS_SMALL_LU_FACTOR,
    LAPIS_SMALL_LU_SOLVE,
    LAPIS_SMALL_SOLVE, /* fused LU + solve */
    LAPIS_SMALL_INV,
    LAPIS_SMALL_TRI_INV,
    LAPIS_SMALL_TRSM,
    LAPIS_SMALL_NOPS
} lapis_small_op;

/* True when op on order-n matrices of dtype goes to the small kernels. */
bool lapis_small_fits(lapis_small_op op, lapis_dtype dtype, int64_t n);

/* Output bytes of one call from which the kernels store by non-temporal
 * stores: the last-level cache's size, at most 32 MiB. */
uint64_t lapis_small_stream_bytes(void);
/* Tests: the stream threshold becomes bytes (0: every aligned output
 * streams); a negative value restores the default. Not thread-safe. */
void lapis_small_stream_override(int64_t bytes);

/* Tests and benchmarks: every threshold becomes nmax (0 = LAPACK always);
 * a negative nmax restores the measured defaults. Not thread-safe. */
void lapis_small_override(int nmax);

lapis_status lapis_small_cholesky(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_small_lu_factor(const lapis_factor_args *p, const lapis_exec *ex); /* m == n */
lapis_status lapis_small_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_small_tri_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_small_lu_solve(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_small_trsm(const lapis_solve_args *p, const lapis_exec *ex);
/* Fused LU + solve from raw A; A must not be broadcast (p->amap.ndim == 0). */
lapis_status lapis_small_solve(const lapis_solve_args *p, const lapis_exec *ex);

#endif
