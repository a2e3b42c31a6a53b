/*
 * Tiny-matrix kernels: instantiation per (dtype, ISA), the runtime ISA
 * choice, the per-op order thresholds and the batch threading.
 *
 * The kernels (small_t.h) are portable C whose lane loops the compiler turns
 * into SIMD; they are compiled twice on x86-64, for the baseline ISA and for
 * AVX2+FMA, and the CPU picks one at run time, so the library still runs on
 * any x86-64.
 */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "small.h"
#include "small_simd.h"

static _Atomic int64_t stream_override = -1;

void lapis_small_stream_override(int64_t bytes) {
    atomic_store_explicit(&stream_override, bytes < 0 ? -1 : bytes, memory_order_relaxed);
}

uint64_t lapis_small_stream_bytes(void) {
    static _Atomic uint64_t bytes; /* 0: not yet asked (sysconf may run cpuid: slow in a VM) */
    int64_t o = atomic_load_explicit(&stream_override, memory_order_relaxed);
    if (o >= 0) return (uint64_t)o;
    uint64_t b = atomic_load_explicit(&bytes, memory_order_relaxed);
    if (!b) {
        long l3 = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
        l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
        /* at most 32 MiB: a VM may report the whole socket's L3 (this
         * project's 2-core EPYC VM: 256 MiB, where one CCX has 32) */
        b = (uint64_t)32 << 20;
        if (l3 > 0 && (uint64_t)l3 < b) b = (uint64_t)l3;
        atomic_store_explicit(&bytes, b, memory_order_relaxed);
    }
    return b;
}

/* Lane vector of element (i, j) of an interleaved group with leading dimension ld. */
#define AT(w, ld, i, j) ((w) + ((ptrdiff_t)(i) * (ld) + (j)) * W)


/* W: lanes per group, 32 bytes of each type (one AVX register; two SSE ones).
 * SMALL_HG: groups that the Cholesky kernel interleaves, for twice the
 * independent FMA chains and sqrt/division per column (measured 1.1-1.2x on
 * AVX2, which has 16 registers of 32 bytes; the portable build keeps one).
 * 64-byte lane vectors were tried instead: GCC 12 lowers them through the
 * stack and compares them lane by lane, several times slower. */
#define T float
#define IT int32_t
#define W 8
#define V v8f
#define VI v8i
#define SMALL_SIGNBIT INT32_MIN
#define TSQRT sqrtf
#define SMALL_SFMIN FLT_MIN
#define SMALL_TARGET
#define SMALL_HG 1
#define R(name) name##_f32
#include "small_t.h"
#undef R
#undef SMALL_TARGET
#undef SMALL_HG
#ifdef LAPIS_SMALL_X86
#define SMALL_TARGET __attribute__((target("avx2,fma")))
#define SMALL_AVX2 1 /* small_t.h may use AVX2 intrinsics */
#define SMALL_HG 2
#define R(name) name##_f32_avx2
#include "small_t.h"
#undef R
#undef SMALL_AVX2
#undef SMALL_HG
#undef SMALL_TARGET
#endif
#undef T
#undef IT
#undef W
#undef V
#undef VI
#undef SMALL_SIGNBIT
#undef TSQRT
#undef SMALL_SFMIN

#define T double
#define IT int64_t
#define W 4
#define V v4d
#define VI v4i
#define SMALL_SIGNBIT INT64_MIN
#define TSQRT sqrt
#define SMALL_SFMIN DBL_MIN
#define SMALL_TARGET
#define SMALL_HG 1
#define R(name) name##_f64
#include "small_t.h"
#undef R
#undef SMALL_TARGET
#undef SMALL_HG
#ifdef LAPIS_SMALL_X86
#define SMALL_TARGET __attribute__((target("avx2,fma")))
#define SMALL_AVX2 1
#define SMALL_HG 2
#define R(name) name##_f64_avx2
#include "small_t.h"
#undef R
#undef SMALL_AVX2
#undef SMALL_HG
#undef SMALL_TARGET
#endif
#undef T
#undef IT
#undef V
#undef VI
#undef SMALL_SIGNBIT
#undef TSQRT
#undef SMALL_SFMIN

/* ---- kernel tables -------------------------------------------------------------- */

typedef void (*factor_range_fn)(const lapis_factor_args *p, int64_t g0, int64_t g1);
typedef void (*solve_range_fn)(const lapis_solve_args *p, int64_t g0, int64_t g1);

typedef struct small_kernels {
    int lanes;
    factor_range_fn cholesky, lu_factor, inv, tri_inv;
    solve_range_fn solve, lu_solve, trsm;
} small_kernels;

#define SMALL_TABLE(sfx, lanes)                                                                     \
    {lanes, cholesky_range_##sfx, lu_factor_range_##sfx, inv_range_##sfx, tri_inv_range_##sfx,      \
     solve_range_##sfx, lu_solve_range_##sfx, trsm_range_##sfx}
static const small_kernels kernels_f32 = SMALL_TABLE(f32, 8);
static const small_kernels kernels_f64 = SMALL_TABLE(f64, 4);
#ifdef LAPIS_SMALL_X86
static const small_kernels kernels_f32_avx2 = SMALL_TABLE(f32_avx2, 8);
static const small_kernels kernels_f64_avx2 = SMALL_TABLE(f64_avx2, 4);
#endif
#undef SMALL_TABLE

static const small_kernels *pick(lapis_dtype dt) {
#ifdef LAPIS_SMALL_X86
    if (lapis_small_avx2()) return dt == LAPIS_FLOAT32 ? &kernels_f32_avx2 : &kernels_f64_avx2;
#endif
    return dt == LAPIS_FLOAT32 ? &kernels_f32 : &kernels_f64;
}

/* ---- thresholds ------------------------------------------------------------------ */

/* Largest order per op that the small kernels take (measured: bench/RESULTS.md). */
static const int default_nmax[LAPIS_SMALL_NOPS] = {
    [LAPIS_SMALL_CHOLESKY] = 32, [LAPIS_SMALL_LU_FACTOR] = 32, [LAPIS_SMALL_LU_SOLVE] = 32,
    [LAPIS_SMALL_SOLVE] = 32,    [LAPIS_SMALL_INV] = 32,       [LAPIS_SMALL_TRI_INV] = 32,
    [LAPIS_SMALL_TRSM] = 32,
};
static int override_nmax = -1;

bool lapis_small_fits(lapis_small_op op, lapis_dtype dtype, int64_t n) {
    if (dtype != LAPIS_FLOAT32 && dtype != LAPIS_FLOAT64) return false;
    int nmax = override_nmax >= 0 ? override_nmax : default_nmax[op];
    if (nmax > LAPIS_SMALL_NMAX) nmax = LAPIS_SMALL_NMAX;
    return n >= 1 && n <= nmax;
}

void lapis_small_override(int nmax) { override_nmax = nmax < 0 ? -1 : nmax; }

/* ---- threading ------------------------------------------------------------------- */

/* Flops of one order-n matrix, for the thread count. */
static double small_work(int64_t n) { return (double)(n * n * n + 8 * n * n + 32); }

static void run_factor(factor_range_fn fn, const lapis_factor_args *p, const lapis_exec *ex,
                       int lanes) {
    int64_t groups = (p->batch + lanes - 1) / lanes;
    int nt = lapis_small_threads(ex, p->batch, small_work(p->n), lanes);
    if (nt == 1) {
        fn(p, 0, groups);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int t = 0, tn = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        tn = omp_get_num_threads();
#endif
        fn(p, groups * t / tn, groups * (t + 1) / tn);
    }
}

static void run_solve(solve_range_fn fn, const lapis_solve_args *p, const lapis_exec *ex,
                      int lanes) {
    int64_t groups = (p->batch + lanes - 1) / lanes;
    int nt = lapis_small_threads(ex, p->batch, small_work(p->n + p->k / 4), lanes);
    if (nt == 1) {
        fn(p, 0, groups);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int t = 0, tn = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        tn = omp_get_num_threads();
#endif
        fn(p, groups * t / tn, groups * (t + 1) / tn);
    }
}

/* ---- entry points ------------------------------------------------------------------ */

lapis_status lapis_small_cholesky(const lapis_factor_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    run_factor(k->cholesky, p, ex, k->lanes);
    return LAPIS_OK;
}

lapis_status lapis_small_lu_factor(const lapis_factor_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    run_factor(k->lu_factor, p, ex, k->lanes);
    return LAPIS_OK;
}

lapis_status lapis_small_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    run_factor(k->inv, p, ex, k->lanes);
    return LAPIS_OK;
}

lapis_status lapis_small_tri_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    run_factor(k->tri_inv, p, ex, k->lanes);
    return LAPIS_OK;
}

lapis_status lapis_small_lu_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    if (p->k == 0) {
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = p->ainfo ? p->ainfo[lapis_bmap_index(&p->amap, i)] : 0;
        return LAPIS_OK;
    }
    run_solve(k->lu_solve, p, ex, k->lanes);
    return LAPIS_OK;
}

lapis_status lapis_small_trsm(const lapis_solve_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    if (p->k == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    run_solve(k->trsm, p, ex, k->lanes);
    return LAPIS_OK;
}

lapis_status lapis_small_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    const small_kernels *k = pick(p->dtype);
    if (p->amap.ndim != 0)
        return lapis_fail(LAPIS_ERR_INTERNAL, "cpu small solve: broadcast A is not supported");
    run_solve(k->solve, p, ex, k->lanes);
    return LAPIS_OK;
}
