/* CPU QR: blocked geqrf on the row-major matrix (real types), geqrf +
 * ungqr on a column-major copy (complex types); see qr_t.h. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "small_qr.h"
#include "spectral.h"

#define LAPIS_SPECTRAL_BODY "qr_t.h"
#include "spectral_types.h"

lapis_status lapis_cpu_qr(const lapis_qr_args *p, const lapis_exec *ex) {
    if (lapis_small_qr_fits(LAPIS_SMALL_QR, p->dtype, p->m, p->n)) return lapis_small_qr(p, ex);
    LAPIS_SPECTRAL_DISPATCH(qr, p, ex)
}
