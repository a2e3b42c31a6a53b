/* CPU Cholesky family: LAPACK potrf/potri on the row-major data in place. */
#include <math.h>

#include "cpu.h"
#include "small.h"

#define T float
#define R(name) name##_f32
#define LA(name) s##name##_
#include "util_t.h"
#include "cholesky_t.h"
#undef T
#undef R
#undef LA

#define T double
#define R(name) name##_f64
#define LA(name) d##name##_
#include "util_t.h"
#include "cholesky_t.h"
#undef T
#undef R
#undef LA

lapis_status lapis_cpu_cholesky(const lapis_factor_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_CHOLESKY, p->dtype, p->n)) return lapis_small_cholesky(p, ex);
    switch (p->dtype) {
    case LAPIS_FLOAT32: return cholesky_f32(p, ex);
    case LAPIS_FLOAT64: return cholesky_f64(p, ex);
    default: return lapis_fail(LAPIS_ERR_DTYPE, "cpu cholesky: dtype %s", lapis_dtype_name(p->dtype));
    }
}

lapis_status lapis_cpu_cholesky_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    switch (p->dtype) {
    case LAPIS_FLOAT32: return cholesky_inv_f32(p, ex);
    case LAPIS_FLOAT64: return cholesky_inv_f64(p, ex);
    default:
        return lapis_fail(LAPIS_ERR_DTYPE, "cpu cholesky_inv: dtype %s", lapis_dtype_name(p->dtype));
    }
}
