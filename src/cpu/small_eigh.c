/*
 * Tiny-matrix symmetric eigensolver (small_eigh_t.h): instantiation per
 * (dtype, ISA), the runtime ISA choice, the order threshold and the batch
 * threading.
 *
 * As small.c does, the kernels are compiled for the baseline ISA and for
 * AVX2+FMA on x86-64, and here a third time for AVX-512F+VL (the same
 * 32-byte lane vectors, with 32 registers: three groups' QR chases fit side
 * by side at n = 8); the CPU picks one at run time. Square roots go
 * through SIMD intrinsics: this file is built without -fno-math-errno, and
 * errno-setting sqrt() calls would not vectorise.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "small_eigh.h"
#include "small_simd.h"


/* The AVX-512VL copy (not in the fuzzing build: see CMakeLists.txt). */
#if defined(LAPIS_SMALL_X86) && !defined(LAPIS_FUZZ_BUILD)
#define EIGH_AVX512 1
#endif

/* Lane vector of element (i, j) of an interleaved group of order n. */
#define AE(a, n, i, j) ((a) + ((ptrdiff_t)(i) * (n) + (j)) * W)


/* ---- float32 ------------------------------------------------------------------------ */
#define T float
#define IT int32_t
#define W 8
#define V v8f
#define VI v8i
#define EIGH_SIGNBIT INT32_MIN
#define EIGH_EPS FLT_EPSILON
#define EIGH_SFMIN FLT_MIN
#define EIGH_DE_TINY 0x1p-60f
#define EIGH_DE_UP 0x1p64f
#define EIGH_MANT 23
#define EIGH_BIAS 127

#define EIGH_TARGET
#ifdef LAPIS_SMALL_X86
#define EIGH_SQRT_STEP 4
#define EIGH_SQRT(d, s) _mm_storeu_ps((d), _mm_sqrt_ps(_mm_loadu_ps(s)))
#else
#define EIGH_SQRT_STEP 1
#define EIGH_SQRT(d, s) (*(d) = sqrtf(*(s)))
#endif
#define R(name) name##_f32
#include "small_eigh_t.h"
#undef R
#undef EIGH_SQRT_STEP
#undef EIGH_SQRT
#undef EIGH_TARGET

#ifdef LAPIS_SMALL_X86
#define EIGH_TARGET __attribute__((target("avx2,fma")))
#define EIGH_SQRT_STEP 8
#define EIGH_SQRT(d, s) _mm256_storeu_ps((d), _mm256_sqrt_ps(_mm256_loadu_ps(s)))
#define EIGH_TR_REG __m256
#define EIGH_TR_LDU(p) _mm256_loadu_ps(p)
#define EIGH_TR(r) lapis_tr8_ps(r)
#define R(name) name##_f32_avx2
#include "small_eigh_t.h"
#undef R
#undef EIGH_TARGET
#ifdef EIGH_AVX512
/* the same with AVX-512VL: 32 registers, room for three groups' QR chases at n = 8 */
#define EIGH_TARGET __attribute__((target("avx2,fma,avx512f,avx512vl")))
#define EIGH_NG8 3
#define R(name) name##_f32_avx512
#include "small_eigh_t.h"
#undef R
#undef EIGH_NG8
#undef EIGH_TARGET
#endif
#undef EIGH_TR_REG
#undef EIGH_TR_LDU
#undef EIGH_TR
#undef EIGH_SQRT_STEP
#undef EIGH_SQRT
#endif

#undef T
#undef IT
#undef W
#undef V
#undef VI
#undef EIGH_SIGNBIT
#undef EIGH_EPS
#undef EIGH_SFMIN
#undef EIGH_DE_TINY
#undef EIGH_DE_UP
#undef EIGH_MANT
#undef EIGH_BIAS

/* ---- float64 ------------------------------------------------------------------------ */
#define T double
#define IT int64_t
#define W 4
#define V v4d
#define VI v4i
#define EIGH_SIGNBIT INT64_MIN
#define EIGH_EPS DBL_EPSILON
#define EIGH_SFMIN DBL_MIN
#define EIGH_DE_TINY 0x1p-500
#define EIGH_DE_UP 0x1p512
#define EIGH_MANT 52
#define EIGH_BIAS 1023

#define EIGH_TARGET
#ifdef LAPIS_SMALL_X86
#define EIGH_SQRT_STEP 2
#define EIGH_SQRT(d, s) _mm_storeu_pd((d), _mm_sqrt_pd(_mm_loadu_pd(s)))
#else
#define EIGH_SQRT_STEP 1
#define EIGH_SQRT(d, s) (*(d) = sqrt(*(s)))
#endif
#define R(name) name##_f64
#include "small_eigh_t.h"
#undef R
#undef EIGH_SQRT_STEP
#undef EIGH_SQRT
#undef EIGH_TARGET

#ifdef LAPIS_SMALL_X86
#define EIGH_TARGET __attribute__((target("avx2,fma")))
#define EIGH_SQRT_STEP 4
#define EIGH_SQRT(d, s) _mm256_storeu_pd((d), _mm256_sqrt_pd(_mm256_loadu_pd(s)))
#define EIGH_TR_REG __m256d
#define EIGH_TR_LDU(p) _mm256_loadu_pd(p)
#define EIGH_TR(r) lapis_tr4_pd(r)
#define R(name) name##_f64_avx2
#include "small_eigh_t.h"
#undef R
#undef EIGH_TARGET
#ifdef EIGH_AVX512
/* the same with AVX-512VL: 32 registers, room for three groups' QR chases at n = 8 */
#define EIGH_TARGET __attribute__((target("avx2,fma,avx512f,avx512vl")))
#define EIGH_NG8 3
#define R(name) name##_f64_avx512
#include "small_eigh_t.h"
#undef R
#undef EIGH_NG8
#undef EIGH_TARGET
#endif
#undef EIGH_TR_REG
#undef EIGH_TR_LDU
#undef EIGH_TR
#undef EIGH_SQRT_STEP
#undef EIGH_SQRT
#endif

#undef T
#undef IT
#undef W
#undef V
#undef VI
#undef EIGH_SIGNBIT
#undef EIGH_EPS
#undef EIGH_SFMIN
#undef EIGH_DE_TINY
#undef EIGH_DE_UP
#undef EIGH_MANT
#undef EIGH_BIAS

/* ---- dispatch ------------------------------------------------------------------------ */

/* Largest order that the batched kernels take, per dtype (measured against
 * syevd: bench/RESULTS.md). */
static const int default_nmax[2] = {32, 32}; /* float32, float64 */
/* Jacobi: quadratic convergence needs ~10 sweeps at n = 32; QR: ~2.5 n
 * steps (the cap is 30 n, LAPACK's steqr's). Never reached on finite input
 * (the tests check); stops a runaway group. */
#define EIGH_MAX_SWEEPS 30
static int override_nmax = -1, override_sweeps = -1, override_isa = -1;

typedef void (*eigh_range_fn)(const lapis_eigh_args *p, int64_t g0, int64_t g1, int max_sweeps);

static eigh_range_fn pick(lapis_dtype dt, int *lanes) {
    *lanes = dt == LAPIS_FLOAT32 ? 8 : 4;
#ifdef LAPIS_SMALL_X86
    int isa = lapis_small_avx512vl() ? 2 : lapis_small_avx2() ? 1 : 0;
    if (override_isa >= 0 && override_isa < isa) isa = override_isa;
#ifdef EIGH_AVX512
    if (isa == 2) return dt == LAPIS_FLOAT32 ? eigh_range_f32_avx512 : eigh_range_f64_avx512;
#endif
    if (isa >= 1) return dt == LAPIS_FLOAT32 ? eigh_range_f32_avx2 : eigh_range_f64_avx2;
#endif
    return dt == LAPIS_FLOAT32 ? eigh_range_f32 : eigh_range_f64;
}

bool lapis_small_eigh_fits(lapis_dtype dtype, int64_t n) {
    if (dtype != LAPIS_FLOAT32 && dtype != LAPIS_FLOAT64) return false;
    int nmax = override_nmax >= 0 ? override_nmax : default_nmax[dtype == LAPIS_FLOAT64];
    if (nmax > LAPIS_SMALL_EIGH_NMAX) nmax = LAPIS_SMALL_EIGH_NMAX;
    return n >= 1 && n <= nmax;
}

void lapis_small_eigh_override(int nmax, int max_sweeps, int isa) {
    override_nmax = nmax < 0 ? -1 : nmax;
    override_sweeps = max_sweeps < 0 ? -1 : max_sweeps;
    override_isa = isa < 0 ? -1 : isa;
}

lapis_status lapis_small_eigh(const lapis_eigh_args *p, const lapis_exec *ex) {
    int lanes;
    eigh_range_fn fn = pick(p->dtype, &lanes);
    int sweeps = override_sweeps >= 0 ? override_sweeps : EIGH_MAX_SWEEPS;
    int64_t groups = (p->batch + lanes - 1) / lanes, n = p->n;
    /* one thread for a few microseconds of work (a sweep is ~n^3 flops per
     * matrix) */
    int nt = ex->nthreads > 0 ? ex->nthreads : 1;
    if ((double)p->batch * (double)(6 * n * n * n + 64 * n * n) < 1.0e5) nt = 1;
    if (nt > groups) nt = (int)groups;
    if (nt <= 1) {
        fn(p, 0, groups, sweeps);
        return LAPIS_OK;
    }
    /* chunks handed out dynamically: on a shared machine one slow thread
     * must not hold up a static half of the batch */
    int64_t chunk = groups / ((int64_t)nt * 16) + 1;
    chunk = (chunk + 11) / 12 * 12; /* whole multi-group steps of eigh_range (2, 3, 4) */
    int64_t nchunks = (groups + chunk - 1) / chunk;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t c = 0; c < nchunks; c++) {
        int64_t g1 = (c + 1) * chunk;
        fn(p, c * chunk, g1 < groups ? g1 : groups, sweeps);
    }
    return LAPIS_OK;
}
