/* CPU LU family: getrf/getri plus row-major triangular solves. */
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu.h"

#define T float
#define R(name) name##_f32
#define LA(name) s##name##_
#include "util_t.h"
#include "lu_t.h"
#undef T
#undef R
#undef LA

#define T double
#define R(name) name##_f64
#define LA(name) d##name##_
#include "util_t.h"
#include "lu_t.h"
#undef T
#undef R
#undef LA

#define DISPATCH(fn, p, ex)                                                                  \
    switch ((p)->dtype) {                                                                    \
    case LAPIS_FLOAT32: return fn##_f32(p, ex);                                              \
    case LAPIS_FLOAT64: return fn##_f64(p, ex);                                              \
    default: return lapis_fail(LAPIS_ERR_DTYPE, "cpu " #fn ": dtype %s",                     \
                               lapis_dtype_name((p)->dtype));                                \
    }

lapis_status lapis_cpu_lu_factor(const lapis_factor_args *p, const lapis_exec *ex) {
    DISPATCH(lu_factor, p, ex)
}
lapis_status lapis_cpu_lu_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    DISPATCH(lu_solve, p, ex)
}
lapis_status lapis_cpu_inv(const lapis_factor_args *p, const lapis_exec *ex) { DISPATCH(inv, p, ex) }
lapis_status lapis_cpu_det(const lapis_det_args *p, const lapis_exec *ex) { DISPATCH(det, p, ex) }
lapis_status lapis_cpu_lu_unpack(const lapis_lu_unpack_args *p, const lapis_exec *ex) {
    DISPATCH(lu_unpack, p, ex)
}
