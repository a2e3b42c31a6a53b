/*
 * What the batched tiny-matrix kernels (small.c, small_eigh.c, small_qr.c)
 * share: the 32-byte lane vector types (one AVX register, two SSE ones on
 * the baseline ISA) and small_qr.c's 64-byte ones, whether the x86 AVX2+FMA
 * variant is built, the run time checks that pick it (or AVX-512), and the
 * batch split over threads. LAPIS_SMALL_PORTABLE forces the portable build.
 */
#ifndef LAPIS_CPU_SMALL_SIMD_H
#define LAPIS_CPU_SMALL_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LAPIS_SMALL_PORTABLE)
#define LAPIS_SMALL_X86 1
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
/* Lane vectors are passed only between always-inline functions of one target. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4i __attribute__((vector_size(32)));
/* 64-byte lane vectors: one AVX-512 register (small_qr.c's AVX-512 copy) */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));

#ifdef LAPIS_SMALL_X86
/* In-register transposes of lane vectors: r[q] lane l <- r[l] lane q. */
__attribute__((target("avx2"), always_inline)) static inline void lapis_tr4_pd(__m256d *r) {
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}
__attribute__((target("avx2"), always_inline)) static inline void lapis_tr8_ps(__m256 *r) {
    __m256 t[8], u[8];
    for (int q = 0; q < 8; q += 2) {
        t[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
        t[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
    }
    for (int q = 0; q < 8; q += 4) {
        u[q] = _mm256_shuffle_ps(t[q], t[q + 2], 0x44);
        u[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], 0xee);
        u[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], 0x44);
        u[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], 0xee);
    }
    for (int q = 0; q < 4; q++) {
        r[q] = _mm256_permute2f128_ps(u[q], u[q + 4], 0x20);
        r[q + 4] = _mm256_permute2f128_ps(u[q], u[q + 4], 0x31);
    }
}
#endif

/* True when the CPU runs the AVX2+FMA variant (checked once). */
static inline bool lapis_small_avx2(void) {
#ifdef LAPIS_SMALL_X86
    static int avx2 = -1;
    if (avx2 < 0) {
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return avx2 != 0;
#else
    return false;
#endif
}

/* True when the CPU also has AVX-512F and VL: the same 32-byte lane vectors
 * with 32 registers instead of 16 (checked once). */
static inline bool lapis_small_avx512vl(void) {
#ifdef LAPIS_SMALL_X86
    static int vl = -1;
    if (vl < 0) {
        __builtin_cpu_init();
        vl = lapis_small_avx2() && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512vl");
    }
    return vl != 0;
#else
    return false;
#endif
}

/* Threads for `batch` matrices of `work` flops each, in groups of `lanes`:
 * one contiguous range of groups per thread; one thread when the whole batch
 * is a few microseconds of work. */
static inline int lapis_small_threads(const lapis_exec *ex, int64_t batch, double work,
                                      int lanes) {
    int64_t groups = (batch + lanes - 1) / lanes;
    int nt = ex->nthreads > 0 ? ex->nthreads : 1;
    if ((double)batch * work < 1.0e5) nt = 1;
    if (nt > groups) nt = (int)groups;
    return nt < 1 ? 1 : nt;
}

#endif
