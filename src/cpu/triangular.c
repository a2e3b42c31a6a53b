/* CPU triangular family: trtri and trsm on row-major data without copies
 * (complex types: in per-thread workspace). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "small.h"

#define LAPIS_FAMILY_BODY "triangular_t.h"
#include "family_types.h"

lapis_status lapis_cpu_tri_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_TRI_INV, p->dtype, p->n)) return lapis_small_tri_inv(p, ex);
    LAPIS_FAMILY_DISPATCH(tri_inv, p, ex)
}

lapis_status lapis_cpu_trsm(const lapis_solve_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_TRSM, p->dtype, p->n)) return lapis_small_trsm(p, ex);
    LAPIS_FAMILY_DISPATCH(trsm, p, ex)
}
