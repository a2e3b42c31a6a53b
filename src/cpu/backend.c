/* The CPU backend table, batch threading and BLAS identification. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "spectral.h"

/* Present only when the BLAS is OpenBLAS; the build works with any BLAS. */
extern void openblas_set_num_threads(int) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

static void set_blas_threads(int n) {
    if (openblas_set_num_threads) openblas_set_num_threads(n);
}

int lapis_cpu_batch_begin(const lapis_exec *ex, int64_t batch, int64_t n) {
    int nt = ex->nthreads > 0 ? ex->nthreads : 1;
    /* The choice depends on n only, never on the batch: OpenBLAS rounds
     * differently with one thread and with several, and a matrix must give
     * the same bits alone and anywhere in a batch. Big matrices: BLAS
     * threads, one matrix at a time; small ones: one BLAS thread each. */
    if (nt < 2 || n >= 192) {
        set_blas_threads(nt);
        return 1;
    }
    set_blas_threads(1);
    return batch < 2 ? 1 : batch < nt ? (int)batch : nt;
}

void lapis_cpu_batch_end(int nt) {
    (void)nt; /* batch_begin may have set one BLAS thread even for nt == 1 */
    set_blas_threads(lapis_threads());
}

typedef struct fork_share {
    void (*fn)(void *, int, int);
    void *arg;
    int t, nt;
} fork_share;

static void *fork_run(void *p) {
    fork_share *s = p;
    s->fn(s->arg, s->t, s->nt);
    return NULL;
}

void lapis_cpu_fork(int nt, void (*fn)(void *arg, int t, int nt), void *arg) {
    enum { MAXT = 64 };
    if (nt > MAXT) nt = MAXT;
    if (nt < 2) {
        fn(arg, 0, 1);
        return;
    }
    pthread_t th[MAXT];
    fork_share sh[MAXT];
    bool started[MAXT] = {false};
    for (int t = 1; t < nt; t++) {
        sh[t] = (fork_share){fn, arg, t, nt};
        started[t] = pthread_create(&th[t], NULL, fork_run, &sh[t]) == 0;
    }
    fn(arg, 0, nt);
    for (int t = 1; t < nt; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else fn(arg, t, nt);
    }
}

/*
 * Workspaces. A 64-byte header in front of each block holds its size. A
 * block of KEEP_MIN bytes or more (a big matrix's LAPACK copy and work) is
 * kept when freed and handed to the next call that fits it: fresh pages
 * cost page faults and zeroing, 30 ms for the 128 MiB of a 4000 x 4000
 * float64 solve here, 4% of the solve. One block at most, within
 * LAPIS_CACHE_MB; lapis_memory_cache_clear releases it.
 */
#define KEEP_MIN ((size_t)1 << 20)
typedef struct ws_header {
    size_t bytes;
    char pad[64 - sizeof(size_t)];
} ws_header;
static ws_header *kept;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

void *lapis_cpu_workspace(int nt, size_t bytes) {
    size_t per = (bytes + 63) / 64 * 64;
    if (per == 0) per = 64;
    if (nt < 1) nt = 1;
    if (per > (SIZE_MAX - sizeof(ws_header)) / (size_t)nt) return NULL;
    size_t total = per * (size_t)nt;
    ws_header *h = NULL;
    if (total >= KEEP_MIN) {
        pthread_mutex_lock(&kept_lock);
        if (kept && kept->bytes >= total && kept->bytes / 2 <= total) {
            h = kept;
            kept = NULL;
        }
        pthread_mutex_unlock(&kept_lock);
    }
    if (!h) {
        h = lapis_host_alloc(sizeof *h + total);
        if (!h) return NULL;
        h->bytes = total;
    }
    return h + 1;
}

void lapis_cpu_workspace_free(void *ws) {
    if (!ws) return;
    ws_header *h = (ws_header *)ws - 1, *old = h;
    if (h->bytes >= KEEP_MIN && h->bytes <= lapis_mem_cache_limit()) {
        pthread_mutex_lock(&kept_lock);
        old = kept;
        kept = h;
        pthread_mutex_unlock(&kept_lock);
    }
    free(old);
}

size_t lapis_cpu_workspace_kept(void) {
    pthread_mutex_lock(&kept_lock);
    size_t b = kept ? kept->bytes : 0;
    pthread_mutex_unlock(&kept_lock);
    return b;
}

void lapis_cpu_workspace_release(void) {
    pthread_mutex_lock(&kept_lock);
    ws_header *h = kept;
    kept = NULL;
    pthread_mutex_unlock(&kept_lock);
    free(h);
}

const char *lapis_cpu_blas_info(void) {
    static char buf[512];
    if (openblas_get_config) {
        const char *core = openblas_get_corename ? openblas_get_corename() : "?";
        /* OpenBLAS 0.3.21 does not know every CPU: on an unknown one it may
         * fall back to SSE3 kernels (Prescott), several times slower */
        bool generic = !strcmp(core, "Prescott") || !strcmp(core, "Core2") ||
                       !strcmp(core, "Nehalem") || !strcmp(core, "Katmai");
        const char *better = NULL;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) better = "SkylakeX";
        else if (__builtin_cpu_supports("avx2")) better = "Haswell";
#endif
        char hint[128] = "";
        if (generic && better)
            snprintf(hint, sizeof hint, " (generic kernels: OPENBLAS_CORETYPE=%s may be faster)",
                     better);
        snprintf(buf, sizeof buf, "BLAS/LAPACK: OpenBLAS (%s), kernels %s, %d threads%s",
                 openblas_get_config(), core,
                 openblas_get_num_threads ? openblas_get_num_threads() : 0, hint);
    } else {
        snprintf(buf, sizeof buf, "BLAS/LAPACK: system BLAS/LAPACK (not OpenBLAS)");
    }
    return buf;
}

const lapis_backend lapis_cpu_backend = {
    .name = "cpu",
    .cholesky = lapis_cpu_cholesky,
    .cholesky_inv = lapis_cpu_cholesky_inv,
    .tri_inv = lapis_cpu_tri_inv,
    .inv = lapis_cpu_inv,
    .lu_factor = lapis_cpu_lu_factor,
    .lu_solve = lapis_cpu_lu_solve,
    .trsm = lapis_cpu_trsm,
    .solve = lapis_cpu_solve,
    .lu_unpack = lapis_cpu_lu_unpack,
    .det = lapis_cpu_det,
    .gemm = lapis_cpu_gemm,
    .qr = lapis_cpu_qr,
    .svd = lapis_cpu_svd,
    .eigh = lapis_cpu_eigh,
    .eig = lapis_cpu_eig,
    .pinv = lapis_cpu_pinv,
    .lstsq = lapis_cpu_lstsq,
};
