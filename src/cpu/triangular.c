/* CPU triangular family: trtri and trsm on row-major data without copies. */
#include <math.h>

#include "cpu.h"
#include "small.h"

#define T float
#define R(name) name##_f32
#define LA(name) s##name##_
#include "util_t.h"
#include "triangular_t.h"
#undef T
#undef R
#undef LA

#define T double
#define R(name) name##_f64
#define LA(name) d##name##_
#include "util_t.h"
#include "triangular_t.h"
#undef T
#undef R
#undef LA

lapis_status lapis_cpu_tri_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_TRI_INV, p->dtype, p->n)) return lapis_small_tri_inv(p, ex);
    switch (p->dtype) {
    case LAPIS_FLOAT32: return tri_inv_f32(p, ex);
    case LAPIS_FLOAT64: return tri_inv_f64(p, ex);
    default: return lapis_fail(LAPIS_ERR_DTYPE, "cpu tri_inv: dtype %s", lapis_dtype_name(p->dtype));
    }
}

lapis_status lapis_cpu_trsm(const lapis_solve_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_TRSM, p->dtype, p->n)) return lapis_small_trsm(p, ex);
    switch (p->dtype) {
    case LAPIS_FLOAT32: return trsm_f32(p, ex);
    case LAPIS_FLOAT64: return trsm_f64(p, ex);
    default: return lapis_fail(LAPIS_ERR_DTYPE, "cpu trsm: dtype %s", lapis_dtype_name(p->dtype));
    }
}
