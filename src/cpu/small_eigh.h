/*
 * Batched symmetric eigensolver for tiny real matrices (float32, float64):
 * cyclic two-sided Jacobi (n <= 6) or Householder tridiagonalisation and
 * implicit QR (7 <= n <= 32) on groups of matrices interleaved across SIMD
 * lanes. The CPU eigh calls it instead of LAPACK's syevd below a measured
 * order threshold (lapis_small_eigh_fits). Same semantics as the LAPACK path:
 * ascending eigenvalues, eigenvectors as columns, only the chosen triangle
 * read, LAPIS_INFO_NON_FINITE / LAPIS_INFO_NO_CONVERGENCE with NaN outputs.
 */
#ifndef LAPIS_CPU_SMALL_EIGH_H
#define LAPIS_CPU_SMALL_EIGH_H

#include "cpu.h"

#define LAPIS_SMALL_EIGH_NMAX 32

/* True when eigh of order-n matrices of dtype goes to these kernels. */
bool lapis_small_eigh_fits(lapis_dtype dtype, int64_t n);

/* Tests and benchmarks: nmax replaces the order threshold (0 = LAPACK always,
 * negative = the measured default); max_sweeps replaces the sweep cap
 * (Jacobi's sweeps; max_sweeps * n steps of QR; negative = the default);
 * isa caps the instruction set of the kernels (0 the baseline build, 1 AVX2,
 * 2 AVX-512VL, negative the best the CPU runs). Not thread-safe. */
void lapis_small_eigh_override(int nmax, int max_sweeps, int isa);

lapis_status lapis_small_eigh(const lapis_eigh_args *p, const lapis_exec *ex);

#endif
