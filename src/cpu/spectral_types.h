/*
 * Instantiates the type-generic body named by LAPIS_SPECTRAL_BODY (a "*_t.h"
 * file) for float32, float64, complex64 and complex128. The body sees:
 *   T            the element type; RT its real type
 *   R(name)      name suffixed with _f32, _f64, _c64 or _c128
 *   LA(name)     the LAPACK routine of T (sgeqrf_, ..., zgeqrf_)
 *   LAPIS_CPLX   1 for the complex types, else 0
 *   CONJ, RE, ABS, EPS  conjugate, real part, modulus, machine epsilon
 * plus the helpers of util_t.h and spectral_util_t.h.
 */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define T float
#define RT float
#define R(name) name##_f32
#define LA(name) s##name##_
#define LAPIS_CPLX 0
#define CONJ(x) (x)
#define RE(x) (x)
#define ABS(x) fabsf(x)
#define EPS FLT_EPSILON
#include "util_t.h"
#include "spectral_util_t.h"
#include LAPIS_SPECTRAL_BODY
#undef T
#undef RT
#undef R
#undef LA
#undef LAPIS_CPLX
#undef CONJ
#undef RE
#undef ABS
#undef EPS

#define T double
#define RT double
#define R(name) name##_f64
#define LA(name) d##name##_
#define LAPIS_CPLX 0
#define CONJ(x) (x)
#define RE(x) (x)
#define ABS(x) fabs(x)
#define EPS DBL_EPSILON
#include "util_t.h"
#include "spectral_util_t.h"
#include LAPIS_SPECTRAL_BODY
#undef T
#undef RT
#undef R
#undef LA
#undef LAPIS_CPLX
#undef CONJ
#undef RE
#undef ABS
#undef EPS

#define T float _Complex
#define RT float
#define R(name) name##_c64
#define LA(name) c##name##_
#define LAPIS_CPLX 1
#define CONJ(x) conjf(x)
#define RE(x) crealf(x)
#define ABS(x) cabsf(x)
#define EPS FLT_EPSILON
#include "util_t.h"
#include "spectral_util_t.h"
#include LAPIS_SPECTRAL_BODY
#undef T
#undef RT
#undef R
#undef LA
#undef LAPIS_CPLX
#undef CONJ
#undef RE
#undef ABS
#undef EPS

#define T double _Complex
#define RT double
#define R(name) name##_c128
#define LA(name) z##name##_
#define LAPIS_CPLX 1
#define CONJ(x) conj(x)
#define RE(x) creal(x)
#define ABS(x) cabs(x)
#define EPS DBL_EPSILON
#include "util_t.h"
#include "spectral_util_t.h"
#include LAPIS_SPECTRAL_BODY
#undef T
#undef RT
#undef R
#undef LA
#undef LAPIS_CPLX
#undef CONJ
#undef RE
#undef ABS
#undef EPS

#undef LAPIS_SPECTRAL_BODY

/* switch over the four dtypes of an args struct with a `dtype` field */
#define LAPIS_SPECTRAL_DISPATCH(fn, p, ex)                                                    \
    switch ((p)->dtype) {                                                                     \
    case LAPIS_FLOAT32: return fn##_f32(p, ex);                                               \
    case LAPIS_FLOAT64: return fn##_f64(p, ex);                                               \
    case LAPIS_COMPLEX64: return fn##_c64(p, ex);                                             \
    case LAPIS_COMPLEX128: return fn##_c128(p, ex);                                           \
    default: return lapis_fail(LAPIS_ERR_DTYPE, "cpu " #fn ": dtype %s",                      \
                               lapis_dtype_name((p)->dtype));                                 \
    }
