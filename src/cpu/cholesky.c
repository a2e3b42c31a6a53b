/* CPU Cholesky family: LAPACK potrf/potri on the row-major data in place
 * (complex types: in per-thread workspace). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "small.h"

#define LAPIS_FAMILY_BODY "cholesky_t.h"
#include "family_types.h"

lapis_status lapis_cpu_cholesky(const lapis_factor_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_CHOLESKY, p->dtype, p->n)) return lapis_small_cholesky(p, ex);
    LAPIS_FAMILY_DISPATCH(cholesky, p, ex)
}

lapis_status lapis_cpu_cholesky_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    LAPIS_FAMILY_DISPATCH(cholesky_inv, p, ex)
}
