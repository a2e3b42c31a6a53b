/*
 * The backend registry and memory: the one file that knows whether CUDA was
 * built in. Without CUDA (or without a visible GPU) arrays live in aligned
 * host memory; with one, in CUDA managed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"

#ifdef LAPIS_HAVE_CUDA
#include "cuda/cuda_api.h"
#endif

#define ALIGN 64

int lapis_device_count(lapis_device_type type) {
    if (type == LAPIS_CPU) return 1;
#ifdef LAPIS_HAVE_CUDA
    if (type == LAPIS_GPU) return lapis_cuda_device_count();
#endif
    return 0;
}

const lapis_backend *lapis_backend_for(lapis_device d) {
    if (d.type == LAPIS_CPU && d.index == 0) return &lapis_cpu_backend;
#ifdef LAPIS_HAVE_CUDA
    if (d.type == LAPIS_GPU && d.index >= 0 && d.index < lapis_cuda_device_count())
        return lapis_cuda_backend(d.index);
#endif
    return NULL;
}

/* ---- memory: raw blocks, and a cache in front of them ---------------------- */

/*
 * Host blocks from HUGE_MIN bytes on are whole 2 MiB pages, and the kernel
 * is asked to back them with huge pages (transparent huge pages in madvise
 * mode, as here, give them only to regions that ask). A large matrix's
 * factorization then misses the TLB far less. OpenBLAS on a 4000 x 4000
 * float64 matrix, 8 alternating calls on the 2-core VM, ms: dpotrf
 * 381-466 -> 338-427 (median 390 -> 370), dgetrf 610-990 -> 637-826
 * (median 830 -> 755).
 */
#define HUGE_MIN ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

void *lapis_host_alloc(size_t bytes) {
    if (bytes < HUGE_MIN) return aligned_alloc(ALIGN, bytes);
    if (bytes > SIZE_MAX - HUGE_PAGE) return NULL;
    size_t total = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, total);
    if (!p) return aligned_alloc(ALIGN, bytes); /* the rounding may be what does not fit */
#ifdef MADV_HUGEPAGE
    (void)madvise(p, total, MADV_HUGEPAGE);
#endif
    return p;
}

static void *raw_alloc(size_t bytes) {
#ifdef LAPIS_HAVE_CUDA
    if (lapis_cuda_device_count() > 0) return lapis_cuda_managed_alloc(bytes);
#endif
    return lapis_host_alloc(bytes);
}

static void raw_free(void *p) {
#ifdef LAPIS_HAVE_CUDA
    if (lapis_cuda_device_count() > 0) {
        lapis_cuda_managed_free(p);
        return;
    }
#endif
    free(p);
}

/*
 * Freed blocks are kept in size-class bins and handed out again: a fresh
 * block costs page faults and zeroing on the host (a quarter of a batched
 * tiny-matrix call) and cudaMallocManaged/cudaFree on the GPU, where cudaFree
 * also synchronises the device. Blocks go back to the cache only from
 * lapis_array_free, after the GPU work using them has completed. A header
 * in front of each block holds its class size.
 */
typedef struct block_header {
    size_t bytes; /* usable bytes of the size class */
    struct block_header *next;
    char pad[ALIGN - sizeof(size_t) - sizeof(void *)];
} block_header;

#define NBINS 256
static block_header *bins[NBINS];
static size_t cached_bytes;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Size classes: multiples of 64 bytes below 4 KiB (64 bins), above that
 * 2^k, 1.25, 1.5 and 1.75 times 2^k, so at most 25% is wasted. */
static size_t size_class(size_t bytes, int *bin) {
    if (bytes <= 4096) {
        size_t c = (bytes + ALIGN - 1) / ALIGN;
        *bin = (int)(c ? c - 1 : 0);
        return (c ? c : 1) * ALIGN;
    }
    int k = 63 - __builtin_clzll((unsigned long long)(bytes - 1)); /* 2^k < bytes <= 2^(k+1) */
    size_t base = (size_t)1 << k;
    for (int q = 1; q <= 4; q++) {
        size_t c = base + q * (base / 4);
        if (c >= bytes) {
            *bin = 64 + (k - 12) * 4 + (q - 1);
            if (*bin >= NBINS) *bin = -1;
            return c;
        }
    }
    *bin = -1; /* unreachable */
    return bytes;
}

size_t lapis_mem_cache_limit(void) {
    static size_t limit = (size_t)-1;
    if (limit == (size_t)-1) {
        const char *env = getenv("LAPIS_CACHE_MB");
        long mb = env ? atol(env) : 1024;
        limit = mb > 0 ? (size_t)mb << 20 : 0;
    }
    return limit;
}

void *lapis_mem_alloc(size_t bytes) {
    if (bytes == 0) return NULL;
    if (bytes > SIZE_MAX / 2) return NULL;
    int bin;
    size_t cls = size_class(bytes, &bin);
    block_header *h = NULL;
    if (bin >= 0) {
        pthread_mutex_lock(&cache_lock);
        h = bins[bin];
        if (h) {
            bins[bin] = h->next;
            cached_bytes -= cls;
        }
        pthread_mutex_unlock(&cache_lock);
    }
    if (!h) {
        h = raw_alloc(sizeof *h + cls);
        if (!h) {
            lapis_memory_cache_clear(); /* cached blocks may be what is missing */
            h = raw_alloc(sizeof *h + cls);
            if (!h) return NULL;
        }
        h->bytes = cls;
    }
    h->next = NULL;
    return h + 1;
}

/* A freed block is cached when it fits the limit at all; older blocks make
 * room for it, largest first: the block just freed is the likeliest to be
 * asked for again (a loop calling one op), and a 800 MB output that found
 * the cache full would otherwise cost 200,000 fresh pages on every call. */
void lapis_mem_free(void *p) {
    if (!p) return;
    block_header *h = (block_header *)p - 1, *evicted = NULL;
    int bin;
    size_class(h->bytes, &bin);
    pthread_mutex_lock(&cache_lock);
    if (bin >= 0 && h->bytes <= lapis_mem_cache_limit()) {
        for (int b = NBINS - 1; b >= 0 && cached_bytes + h->bytes > lapis_mem_cache_limit(); b--)
            while (bins[b] && cached_bytes + h->bytes > lapis_mem_cache_limit()) {
                block_header *e = bins[b];
                bins[b] = e->next;
                cached_bytes -= e->bytes;
                e->next = evicted;
                evicted = e;
            }
        h->next = bins[bin];
        bins[bin] = h;
        cached_bytes += h->bytes;
        h = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    while (evicted) {
        block_header *next = evicted->next;
        raw_free(evicted);
        evicted = next;
    }
    if (h) raw_free(h);
}

void lapis_memory_cache_clear(void) {
    pthread_mutex_lock(&cache_lock);
    block_header *all[NBINS];
    memcpy(all, bins, sizeof all);
    memset(bins, 0, sizeof bins);
    cached_bytes = 0;
    pthread_mutex_unlock(&cache_lock);
    for (int b = 0; b < NBINS; b++)
        for (block_header *h = all[b], *next; h; h = next) {
            next = h->next;
            raw_free(h);
        }
    lapis_cpu_workspace_release();
#ifdef LAPIS_HAVE_CUDA
    if (lapis_cuda_device_count() > 0) lapis_cuda_pool_trim();
#endif
}

size_t lapis_memory_cache_bytes(void) {
    pthread_mutex_lock(&cache_lock);
    size_t n = cached_bytes;
    pthread_mutex_unlock(&cache_lock);
    n += lapis_cpu_workspace_kept();
#ifdef LAPIS_HAVE_CUDA
    if (lapis_cuda_device_count() > 0) n += lapis_cuda_pool_cached();
#endif
    return n;
}

static char info_buf[2048];

static void fill_info(void) {
    size_t n = 0, cap = sizeof info_buf;
    n += (size_t)snprintf(info_buf + n, cap - n,
                          "lapis %s\ncompiler: %s\nCPU threads: %d (LAPIS_NUM_THREADS)\n%s\n",
                          LAPIS_VERSION_STRING, __VERSION__, lapis_threads(),
                          lapis_cpu_blas_info());
#ifdef LAPIS_HAVE_CUDA
    if (n < cap) snprintf(info_buf + n, cap - n, "%s", lapis_cuda_describe());
#else
    if (n < cap) snprintf(info_buf + n, cap - n, "CUDA: not built (nvcc was not found)\n");
#endif
}

const char *lapis_build_info(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fill_info);
    return info_buf;
}
