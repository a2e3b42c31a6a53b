/* CPU SVD (gesdd, gesvd fallback), pseudo-inverse and least squares (gelsd). */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "small_qr.h"
#include "spectral.h"

#define LAPIS_SPECTRAL_BODY "svd_t.h"
#include "spectral_types.h"

lapis_status lapis_cpu_svd(const lapis_svd_args *p, const lapis_exec *ex) {
    if (lapis_small_qr_fits(LAPIS_SMALL_SVD, p->dtype, p->m, p->n)) return lapis_small_svd(p, ex);
    LAPIS_SPECTRAL_DISPATCH(svd, p, ex)
}
lapis_status lapis_cpu_pinv(const lapis_pinv_args *p, const lapis_exec *ex) {
    LAPIS_SPECTRAL_DISPATCH(pinv, p, ex)
}
lapis_status lapis_cpu_lstsq(const lapis_lstsq_args *p, const lapis_exec *ex) {
    LAPIS_SPECTRAL_DISPATCH(lstsq, p, ex)
}
