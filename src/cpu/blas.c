/* CPU level-3 BLAS entry points used by the front end (matmul). */
#include "cpu.h"

#define T float
#define R(name) name##_f32
#define LA(name) s##name##_
#include "gemm_t.h"
#undef T
#undef R
#undef LA

#define T double
#define R(name) name##_f64
#define LA(name) d##name##_
#include "gemm_t.h"
#undef T
#undef R
#undef LA

#define T float _Complex
#define R(name) name##_c64
#define LA(name) c##name##_
#include "gemm_t.h"
#undef T
#undef R
#undef LA

#define T double _Complex
#define R(name) name##_c128
#define LA(name) z##name##_
#include "gemm_t.h"
#undef T
#undef R
#undef LA

lapis_status lapis_cpu_gemm(const lapis_gemm_args *p, const lapis_exec *ex) {
    switch (p->dtype) {
    case LAPIS_FLOAT32: return gemm_f32(p, ex);
    case LAPIS_FLOAT64: return gemm_f64(p, ex);
    case LAPIS_COMPLEX64: return gemm_c64(p, ex);
    case LAPIS_COMPLEX128: return gemm_c128(p, ex);
    default: return lapis_fail(LAPIS_ERR_DTYPE, "cpu gemm: dtype %s", lapis_dtype_name(p->dtype));
    }
}
