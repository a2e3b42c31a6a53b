/* CPU eigensolvers: syevd/heevd (eigh) and geev (eig). */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "small_eigh.h"
#include "spectral.h"

#define LAPIS_SPECTRAL_BODY "eig_t.h"
#include "spectral_types.h"

lapis_status lapis_cpu_eigh(const lapis_eigh_args *p, const lapis_exec *ex) {
    /* tiny real matrices: batched Jacobi or tridiagonal QR (small_eigh.c) */
    if (lapis_small_eigh_fits(p->dtype, p->n)) return lapis_small_eigh(p, ex);
    LAPIS_SPECTRAL_DISPATCH(eigh, p, ex)
}
lapis_status lapis_cpu_eig(const lapis_eig_args *p, const lapis_exec *ex) {
    LAPIS_SPECTRAL_DISPATCH(eig, p, ex)
}
