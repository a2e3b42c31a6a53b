/* CPU backend internals: Fortran BLAS/LAPACK prototypes and batch threading. */
#ifndef LAPIS_CPU_H
#define LAPIS_CPU_H

#include <complex.h>
#include <stddef.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core.h"

typedef int blas_int; /* LP64 BLAS/LAPACK */

/* CMPLX, which glibc's <complex.h> leaves out for clang before 15: builds
 * re + i im exactly, also for infinite or NaN parts. */
static inline double _Complex lapis_cmplx(double re, double im) {
    union {
        double _Complex z;
        double part[2];
    } u;
    u.part[0] = re;
    u.part[1] = im;
    return u.z;
}

/* Fortran ABI: trailing hidden lengths of the character arguments. */
#define LAPIS_LAPACK_DECL(ch, T)                                                               \
    void ch##potrf_(const char *, const blas_int *, T *, const blas_int *, blas_int *, size_t); \
    void ch##potri_(const char *, const blas_int *, T *, const blas_int *, blas_int *, size_t); \
    void ch##trtri_(const char *, const char *, const blas_int *, T *, const blas_int *,        \
                    blas_int *, size_t, size_t);                                               \
    void ch##getrf_(const blas_int *, const blas_int *, T *, const blas_int *, blas_int *,     \
                    blas_int *);                                                               \
    void ch##getrs_(const char *, const blas_int *, const blas_int *, const T *,               \
                    const blas_int *, const blas_int *, T *, const blas_int *, blas_int *,     \
                    size_t);                                                                   \
    void ch##getri_(const blas_int *, T *, const blas_int *, const blas_int *, T *,            \
                    const blas_int *, blas_int *);                                             \
    void ch##trsm_(const char *, const char *, const char *, const char *, const blas_int *,   \
                   const blas_int *, const T *, const T *, const blas_int *, T *,              \
                   const blas_int *, size_t, size_t, size_t, size_t);                          \
    void ch##trsv_(const char *, const char *, const char *, const blas_int *, const T *,      \
                   const blas_int *, T *, const blas_int *, size_t, size_t, size_t);           \
    void ch##gemm_(const char *, const char *, const blas_int *, const blas_int *,             \
                   const blas_int *, const T *, const T *, const blas_int *, const T *,        \
                   const blas_int *, const T *, T *, const blas_int *, size_t, size_t);
LAPIS_LAPACK_DECL(s, float)
LAPIS_LAPACK_DECL(d, double)
LAPIS_LAPACK_DECL(c, float _Complex)
LAPIS_LAPACK_DECL(z, double _Complex)
#undef LAPIS_LAPACK_DECL

/*
 * Batch threading: returns the number of threads for an OpenMP loop over
 * `batch` matrices of order n and sets BLAS to one thread while it runs, or
 * returns 1 and lets BLAS use every thread (large matrices, small batches).
 * Never both at once. lapis_cpu_batch_end restores BLAS threading.
 */
int lapis_cpu_batch_begin(const lapis_exec *ex, int64_t batch, int64_t n);
void lapis_cpu_batch_end(int nt);
/* Threads for lapis's own work between the BLAS calls of a single large
 * matrix (lapis_cpu_fork: transposes, row interchanges): every thread where
 * the batch loop took one (nt == 1) and the matrix has 65536 elements or
 * more, else 1. */
static inline int lapis_cpu_single_par(int nt, int64_t elems) {
    return nt == 1 && elems >= 65536 ? lapis_threads() : 1;
}

/* Allocates nt workspaces of `bytes` each, 64-byte aligned, or NULL; freed
 * with lapis_cpu_workspace_free (which may keep a large one for reuse). */
void *lapis_cpu_workspace(int nt, size_t bytes);
void lapis_cpu_workspace_free(void *ws);

/* Tests: the panel widths of the real types' row-major blocked LU (lu_t.h,
 * getrf_rows): nb columns a panel, each factored in panels of nbi; 0 for
 * either restores the measured default. Not thread-safe. */
void lapis_cpu_lu_panels(int nb, int nbi);
/* Tests: the interchange elements a panel (jb x (n - jb)) from which
 * getrf_rows spreads them over threads; 0 restores the default. */
void lapis_cpu_lu_swaps_par_min(int64_t elems);

/* Bytes left unused behind complex LAPACK operands (see util_t.h). */
#define LAPIS_CPU_SLACK 1024

/* Runs fn(arg, t, nt) for t = 0 .. nt-1: t = 0 on the caller, the others on
 * threads of their own, joined before it returns (a share whose thread does
 * not start runs on the caller). For the O(n^2) passes around one large
 * matrix's BLAS call: an OpenMP team would stay awake (libgomp spins after a
 * region) through the BLAS call that follows, on the cores BLAS runs on. */
void lapis_cpu_fork(int nt, void (*fn)(void *arg, int t, int nt), void *arg);

/* The OpenMP thread number inside a parallel region, 0 without OpenMP. */
static inline int lapis_cpu_thread(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Kernels, one op family per file. */
lapis_status lapis_cpu_cholesky(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_cholesky_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_tri_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_trsm(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_lu_factor(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_lu_solve(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_solve(const lapis_solve_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_inv(const lapis_factor_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_lu_unpack(const lapis_lu_unpack_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_det(const lapis_det_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_gemm(const lapis_gemm_args *p, const lapis_exec *ex);

#endif
