/*
 * Batched kernels for small real QR and SVD (m, n <= LAPIS_SMALL_QR_NMAX),
 * float32 and float64: the CPU backend calls them instead of LAPACK where
 * lapis_small_qr_fits says so (one threshold table in small_qr.c). Same
 * semantics as the LAPACK path: LAPACK's Householder convention (R and Q
 * agree with geqrf/orgqr to rounding), info LAPIS_INFO_NON_FINITE with NaN
 * outputs for a matrix holding NaN or Inf, R exactly 0 below the diagonal.
 * They never call BLAS: one range of matrix groups per OpenMP thread.
 */
#ifndef LAPIS_CPU_SMALL_QR_H
#define LAPIS_CPU_SMALL_QR_H

#include "cpu.h"

#define LAPIS_SMALL_QR_NMAX 32

typedef enum lapis_small_qr_op { LAPIS_SMALL_QR, LAPIS_SMALL_SVD, LAPIS_SMALL_QR_NOPS } lapis_small_qr_op;

/* True when op on m x n matrices of dtype goes to the small kernels. */
bool lapis_small_qr_fits(lapis_small_qr_op op, lapis_dtype dtype, int64_t m, int64_t n);

/* Tests and benchmarks: every limit becomes nmax (0 = LAPACK always); a
 * negative nmax restores the measured table. Not thread-safe. */
void lapis_small_qr_override(int nmax);

/* Tests: the kernels of one ISA (0 baseline, 1 AVX2+FMA, 2 AVX-512F+VL), or
 * the CPU's best again (negative). False, and no change, where this build
 * or CPU lacks it. Not thread-safe. */
bool lapis_small_qr_isa(int isa);

lapis_status lapis_small_qr(const lapis_qr_args *p, const lapis_exec *ex);
lapis_status lapis_small_svd(const lapis_svd_args *p, const lapis_exec *ex);

#endif
