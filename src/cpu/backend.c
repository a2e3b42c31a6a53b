/* The CPU backend table, batch threading and BLAS identification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "spectral.h"

/* Present only when the BLAS is OpenBLAS; the build works with any BLAS. */
extern void openblas_set_num_threads(int) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));

static void set_blas_threads(int n) {
    if (openblas_set_num_threads) openblas_set_num_threads(n);
}

int lapis_cpu_batch_begin(const lapis_exec *ex, int64_t batch, int64_t n) {
    int nt = ex->nthreads > 0 ? ex->nthreads : 1;
    /* The choice depends on n only, never on the batch: OpenBLAS rounds
     * differently with one thread and with several, and a matrix must give
     * the same bits alone and anywhere in a batch. Big matrices: BLAS
     * threads, one matrix at a time; small ones: one BLAS thread each. */
    if (nt < 2 || n >= 192) {
        set_blas_threads(nt);
        return 1;
    }
    set_blas_threads(1);
    return batch < 2 ? 1 : batch < nt ? (int)batch : nt;
}

void lapis_cpu_batch_end(int nt) {
    (void)nt; /* batch_begin may have set one BLAS thread even for nt == 1 */
    set_blas_threads(lapis_threads());
}

void *lapis_cpu_workspace(int nt, size_t bytes) {
    size_t per = (bytes + 63) / 64 * 64;
    if (per == 0) per = 64;
    return aligned_alloc(64, per * (size_t)nt);
}

const char *lapis_cpu_blas_info(void) {
    static char buf[512];
    if (openblas_get_config)
        snprintf(buf, sizeof buf, "BLAS/LAPACK: OpenBLAS (%s), %d threads", openblas_get_config(),
                 openblas_get_num_threads ? openblas_get_num_threads() : 0);
    else
        snprintf(buf, sizeof buf, "BLAS/LAPACK: system BLAS/LAPACK (not OpenBLAS)");
    return buf;
}

const lapis_backend lapis_cpu_backend = {
    .name = "cpu",
    .cholesky = lapis_cpu_cholesky,
    .cholesky_inv = lapis_cpu_cholesky_inv,
    .tri_inv = lapis_cpu_tri_inv,
    .inv = lapis_cpu_inv,
    .lu_factor = lapis_cpu_lu_factor,
    .lu_solve = lapis_cpu_lu_solve,
    .trsm = lapis_cpu_trsm,
    .solve = lapis_cpu_solve,
    .lu_unpack = lapis_cpu_lu_unpack,
    .det = lapis_cpu_det,
    .gemm = lapis_cpu_gemm,
    .qr = lapis_cpu_qr,
    .svd = lapis_cpu_svd,
    .eigh = lapis_cpu_eigh,
    .eig = lapis_cpu_eig,
    .pinv = lapis_cpu_pinv,
    .lstsq = lapis_cpu_lstsq,
};
