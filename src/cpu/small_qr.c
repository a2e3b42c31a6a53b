/*
 * Small real QR and SVD kernels: instantiation per (dtype, ISA), the runtime
 * ISA choice, the size limits and the batch threading.
 *
 * As small.c: portable C whose lane loops the compiler turns into SIMD,
 * compiled for the baseline ISA, for AVX2+FMA and for AVX-512F+VL (64-byte
 * lane vectors, twice the lanes) on x86-64, one picked at run time, so the
 * library still runs on any x86-64.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "small_qr.h"
#include "small_simd.h"


/* Lane square roots as SIMD instructions (a lane loop of sqrt() stays scalar
 * while sqrt may set errno): SSE2 halves on the baseline, one AVX one else. */
#ifdef LAPIS_SMALL_X86
static inline __attribute__((always_inline)) v4d sq_sqrt_v4d_sse2(v4d x) {
    union { v4d v; __m128d h[2]; } u = {x};
    u.h[0] = _mm_sqrt_pd(u.h[0]);
    u.h[1] = _mm_sqrt_pd(u.h[1]);
    return u.v;
}
static inline __attribute__((always_inline)) v8f sq_sqrt_v8f_sse2(v8f x) {
    union { v8f v; __m128 h[2]; } u = {x};
    u.h[0] = _mm_sqrt_ps(u.h[0]);
    u.h[1] = _mm_sqrt_ps(u.h[1]);
    return u.v;
}
#endif

/* The AVX-512 copy: 64-byte lane vectors, twice the lanes, picked where the
 * CPU has AVX-512F and VL (not in the fuzzing build, as small_eigh.c's).
 * Xeon Emerald Rapids, two threads, against AVX2 (ms): svd f64 n = 8 and
 * 32 304-348 -> 264-328 and 2357-2664 -> 1874-1946 (batches 10^5, 2 10^4);
 * svd f32 n = 32 1131 -> 937; qr f64 n = 16 and 32 197 -> 159 and 234 ->
 * 184; qr f32 n = 16 min of 3 85-96 -> 71-86, n = 32 equal (noise). */
#if defined(LAPIS_SMALL_X86) && !defined(LAPIS_FUZZ_BUILD)
#define SQ_AVX512 1
#endif

/* SQ_TSML / SQ_TBIG: the largest entry of a column within them gives a sum of
 * squares that neither overflows nor loses bits to underflow (Blue's bounds,
 * tightened for m <= 32). */
#define T float
#define IT int32_t
#define W 8
#define V v8f
#define VI v8i
#define SQ_SIGNBIT INT32_MIN
#define SQ_TSML 0x1p-50f
#define SQ_TBIG 0x1p50f
#define SQ_EPS FLT_EPSILON
#define SQ_ZBIG 1e18f
#define TSQRT sqrtf
#define TFREXP frexpf
#define TLDEXP ldexpf
#define TCOPYSIGN copysignf
#define SQ_TARGET
#ifdef LAPIS_SMALL_X86
#define SQ_VSQRT(x) sq_sqrt_v8f_sse2(x)
#endif
#define R(name) name##_f32
#include "small_qr_t.h"
#include "small_svd_t.h"
#undef R
#undef SVD_WS_ELEMS
#ifdef LAPIS_SMALL_X86
#undef SQ_TARGET
#define SQ_TARGET __attribute__((target("avx2,fma")))
#undef SQ_VSQRT
#define SQ_VSQRT(x) ((v8f)_mm256_sqrt_ps((__m256)(x)))
#define R(name) name##_f32_avx2
#include "small_qr_t.h"
#include "small_svd_t.h"
#undef R
#undef SVD_WS_ELEMS
#ifdef SQ_AVX512
#undef W
#undef V
#undef VI
#define W 16
#define V v16f
#define VI v16i
#undef SQ_TARGET
#define SQ_TARGET __attribute__((target("avx2,fma,avx512f,avx512vl")))
#undef SQ_VSQRT
#define SQ_VSQRT(x) ((v16f)_mm512_sqrt_ps((__m512)(x)))
#define R(name) name##_f32_avx512
#include "small_qr_t.h"
#include "small_svd_t.h"
#undef R
#undef SVD_WS_ELEMS
#endif
#endif
#undef SQ_TARGET
#undef SQ_VSQRT
#undef T
#undef IT
#undef W
#undef V
#undef VI
#undef SQ_SIGNBIT
#undef SQ_TSML
#undef SQ_TBIG
#undef SQ_EPS
#undef SQ_ZBIG
#undef TSQRT
#undef TFREXP
#undef TLDEXP
#undef TCOPYSIGN

#define T double
#define IT int64_t
#define W 4
#define V v4d
#define VI v4i
#define SQ_SIGNBIT INT64_MIN
#define SQ_TSML 0x1p-480
#define SQ_TBIG 0x1p480
#define SQ_EPS DBL_EPSILON
#define SQ_ZBIG 1e150
#define TSQRT sqrt
#define TFREXP frexp
#define TLDEXP ldexp
#define TCOPYSIGN copysign
#define SQ_TARGET
#ifdef LAPIS_SMALL_X86
#define SQ_VSQRT(x) sq_sqrt_v4d_sse2(x)
#endif
#define R(name) name##_f64
#include "small_qr_t.h"
#include "small_svd_t.h"
#undef R
#undef SVD_WS_ELEMS
#ifdef LAPIS_SMALL_X86
#undef SQ_TARGET
#define SQ_TARGET __attribute__((target("avx2,fma")))
#undef SQ_VSQRT
#define SQ_VSQRT(x) ((v4d)_mm256_sqrt_pd((__m256d)(x)))
#define R(name) name##_f64_avx2
#include "small_qr_t.h"
#include "small_svd_t.h"
#undef R
#undef SVD_WS_ELEMS
#ifdef SQ_AVX512
#undef W
#undef V
#undef VI
#define W 8
#define V v8d
#define VI v8l
#undef SQ_TARGET
#define SQ_TARGET __attribute__((target("avx2,fma,avx512f,avx512vl")))
#undef SQ_VSQRT
#define SQ_VSQRT(x) ((v8d)_mm512_sqrt_pd((__m512d)(x)))
#define R(name) name##_f64_avx512
#include "small_qr_t.h"
#include "small_svd_t.h"
#undef R
#undef SVD_WS_ELEMS
#endif
#endif
#undef SQ_TARGET
#undef SQ_VSQRT
#undef T
#undef IT
#undef W
#undef V
#undef VI
#undef SQ_SIGNBIT
#undef SQ_TSML
#undef SQ_TBIG
#undef SQ_EPS
#undef SQ_ZBIG
#undef TSQRT
#undef TFREXP
#undef TLDEXP
#undef TCOPYSIGN

/* ---- kernel tables ------------------------------------------------------------------ */

typedef void (*qr_range_fn)(const lapis_qr_args *p, int64_t g0, int64_t g1);

typedef void (*svd_range_fn)(const lapis_svd_args *p, int64_t g0, int64_t g1, void *ws);

typedef struct sq_kernels {
    int lanes;
    int svd_nmax;  /* the SVD's size limit with these kernels (see limits) */
    size_t svd_ws; /* bytes of one thread's SVD workspace */
    qr_range_fn qr;
    svd_range_fn svd;
} sq_kernels;

#define SQ_WS(T, lanes) ((size_t)3 * LAPIS_SMALL_QR_NMAX * LAPIS_SMALL_QR_NMAX * (lanes) * sizeof(T))
static const sq_kernels kernels_f32 = {8, 32, SQ_WS(float, 8), qr_range_f32, svd_range_f32};
static const sq_kernels kernels_f64 = {4, 24, SQ_WS(double, 4), qr_range_f64, svd_range_f64};
#ifdef LAPIS_SMALL_X86
static const sq_kernels kernels_f32_avx2 = {8, 32, SQ_WS(float, 8), qr_range_f32_avx2,
                                            svd_range_f32_avx2};
static const sq_kernels kernels_f64_avx2 = {4, 24, SQ_WS(double, 4), qr_range_f64_avx2,
                                            svd_range_f64_avx2};
#ifdef SQ_AVX512
static const sq_kernels kernels_f32_avx512 = {16, 32, SQ_WS(float, 16), qr_range_f32_avx512,
                                              svd_range_f32_avx512};
static const sq_kernels kernels_f64_avx512 = {8, 32, SQ_WS(double, 8), qr_range_f64_avx512,
                                              svd_range_f64_avx512};
#endif
#endif
#undef SQ_WS

static int force_isa = -1; /* lapis_small_qr_isa */

/* The kernels of an ISA, NULL where this build or CPU lacks it. */
static const sq_kernels *kernels_for(int isa, lapis_dtype dt) {
    bool f32 = dt == LAPIS_FLOAT32;
    if (isa == 0) return f32 ? &kernels_f32 : &kernels_f64;
#ifdef LAPIS_SMALL_X86
    if (isa == 1 && lapis_small_avx2()) return f32 ? &kernels_f32_avx2 : &kernels_f64_avx2;
#ifdef SQ_AVX512
    if (isa == 2 && lapis_small_avx512vl()) return f32 ? &kernels_f32_avx512 : &kernels_f64_avx512;
#endif
#endif
    return NULL;
}

static const sq_kernels *pick(lapis_dtype dt) {
    if (force_isa >= 0) return kernels_for(force_isa, dt);
    for (int isa = 2; isa > 0; isa--) {
        const sq_kernels *k = kernels_for(isa, dt);
        if (k) return k;
    }
    return kernels_for(0, dt);
}

bool lapis_small_qr_isa(int isa) {
    if (isa >= 0 && !kernels_for(isa, LAPIS_FLOAT64)) return false;
    force_isa = isa < 0 ? -1 : isa;
    return true;
}

/* ---- limits ----------------------------------------------------------------------------- */

/* Largest max(m, n) the small kernels take, measured against a LAPACKE loop
 * on 2 threads (square, batches of 10^4 to 10^5): QR wins 2.7-8x at every
 * order, so it takes up to LAPIS_SMALL_QR_NMAX; SVD 2-16x, but float64
 * Jacobi with 4 lanes (AVX2) only ties gesdd from n = 28 on, so its limit
 * is the kernels' (sq_kernels.svd_nmax): 24 with 4 float64 lanes. With 8
 * (AVX-512, Xeon Emerald Rapids, batch 20000, ms) it takes 1245 at n = 28
 * and 1874-1946 at n = 32, against gesdd's 2164 and 3296 and 4 lanes' 2079
 * and 2357-2664. */
static int override_nmax = -1;

bool lapis_small_qr_fits(lapis_small_qr_op op, lapis_dtype dtype, int64_t m, int64_t n) {
    if (dtype != LAPIS_FLOAT32 && dtype != LAPIS_FLOAT64) return false;
    int nmax = override_nmax >= 0       ? override_nmax
               : op == LAPIS_SMALL_SVD ? pick(dtype)->svd_nmax
                                       : LAPIS_SMALL_QR_NMAX;
    if (nmax > LAPIS_SMALL_QR_NMAX) nmax = LAPIS_SMALL_QR_NMAX;
    return m >= 1 && n >= 1 && m <= nmax && n <= nmax;
}

void lapis_small_qr_override(int nmax) { override_nmax = nmax < 0 ? -1 : nmax; }

/* ---- threading ---------------------------------------------------------------------- */

lapis_status lapis_small_qr(const lapis_qr_args *p, const lapis_exec *ex) {
    const sq_kernels *k = pick(p->dtype);
    int64_t groups = (p->batch + k->lanes - 1) / k->lanes;
    double mn = (double)p->m * (double)p->n, kk = (double)(p->m < p->n ? p->m : p->n);
    int nt = lapis_small_threads(ex, p->batch, 4 * mn * kk + 8 * mn + 32, k->lanes);
    if (nt == 1) {
        k->qr(p, 0, groups);
        return LAPIS_OK;
    }
#pragma omp parallel num_threads(nt)
    {
        int t = 0, tn = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        tn = omp_get_num_threads();
#endif
        k->qr(p, groups * t / tn, groups * (t + 1) / tn);
    }
    return LAPIS_OK;
}

lapis_status lapis_small_svd(const lapis_svd_args *p, const lapis_exec *ex) {
    const sq_kernels *k = pick(p->dtype);
    int64_t groups = (p->batch + k->lanes - 1) / k->lanes;
    double q = (double)(p->m < p->n ? p->m : p->n), pp = (double)(p->m < p->n ? p->n : p->m);
    int nt = lapis_small_threads(ex, p->batch, 8 * q * q * (3 * pp + 2 * q) + 32, k->lanes);
    char *ws = lapis_cpu_workspace(nt, k->svd_ws);
    if (!ws) return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the SVD workspace.");
    if (nt == 1) {
        k->svd(p, 0, groups, ws);
    } else {
#pragma omp parallel num_threads(nt)
        {
            int t = 0, tn = 1;
#ifdef _OPENMP
            t = omp_get_thread_num();
            tn = omp_get_num_threads();
#endif
            k->svd(p, groups * t / tn, groups * (t + 1) / tn, ws + (size_t)t * k->svd_ws);
        }
    }
    lapis_cpu_workspace_free(ws);
    return LAPIS_OK;
}
