/* CPU QR: gelqf + orglq/unglq on the row-major data, no transposes. */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "spectral.h"

#define LAPIS_SPECTRAL_BODY "qr_t.h"
#include "spectral_types.h"

lapis_status lapis_cpu_qr(const lapis_qr_args *p, const lapis_exec *ex) {
    LAPIS_SPECTRAL_DISPATCH(qr, p, ex)
}
