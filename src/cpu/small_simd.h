/*
 * What the batched tiny-matrix kernels (small.c, small_eigh.c, small_qr.c)
 * share: the 32-byte lane vector types (one AVX register, two SSE ones on
 * the baseline ISA), whether the x86 AVX2+FMA variant is built, the run
 * time check that picks it, and the batch split over threads. LAPIS_SMALL_PORTABLE forces the portable build.
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
