/*
 * CUDA backend runtime: device discovery, managed memory, streams, events.
 * Kernels live in one .cu file per op family and are listed in backend.cu.
 */
#include <stdio.h>
#include <string.h>

#include "cuda_internal.h"

static int device_count = -1;
static cudaDeviceProp props;

static void discover(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky "no device" error */
        n = 0;
    }
    if (n > 0 && cudaGetDeviceProperties(&props, 0) != cudaSuccess) n = 0;
    device_count = n;
}

extern "C" int lapis_cuda_device_count(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, discover);
    return device_count;
}

const struct cudaDeviceProp *lapis_cuda_props(void) {
    lapis_cuda_device_count();
    return &props;
}

lapis_status lapis_cuda_fail(cudaError_t err, const char *what) {
    lapis_status st = err == cudaErrorMemoryAllocation ? LAPIS_ERR_OUT_OF_MEMORY
                                                       : LAPIS_ERR_INTERNAL;
    return lapis_fail(st, "CUDA error in %s: %s (%s)", what, cudaGetErrorString(err),
                      cudaGetErrorName(err));
}

extern "C" void *lapis_cuda_managed_alloc(size_t bytes) {
    size_t free_b = 0, total_b = 0;
    /* Never ask for more managed memory than the card has free: on some
     * systems oversubscription stalls the GPU instead of failing. */
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    if (bytes > free_b) return NULL;
    void *p = NULL;
    if (cudaMallocManaged(&p, bytes, cudaMemAttachGlobal) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    return p;
}

extern "C" void lapis_cuda_managed_free(void *p) {
    if (p) cudaFree(p);
}

extern "C" const char *lapis_cuda_describe(void) {
    static char buf[512];
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    int n = lapis_cuda_device_count();
    int len = snprintf(buf, sizeof buf, "CUDA: built with runtime %d.%d, driver %d.%d, %d device(s)\n",
                       rt / 1000, (rt % 1000) / 10, drv / 1000, (drv % 1000) / 10, n);
    if (n > 0 && len > 0 && (size_t)len < sizeof buf)
        snprintf(buf + len, sizeof buf - (size_t)len,
                 "GPU 0: %s, sm_%d%d, %d SMs, %.1f GiB, L2 %d MiB\n", props.name, props.major,
                 props.minor, props.multiProcessorCount,
                 (double)props.totalGlobalMem / (1 << 30), props.l2CacheSize >> 20);
    return buf;
}

/* ---- workspace pools --------------------------------------------------------- */

/* One stream-ordered pool a device for the ops' workspaces, holding up to
 * LAPIS_CACHE_MB of freed memory between calls. The default pool gives its
 * free memory back at every synchronisation (release threshold 0), so a
 * call after a synchronisation mapped its workspace afresh. Devices past
 * LAPIS_POOL_DEVICES, or where the pool cannot be made, use the default
 * pool (NULL). */
extern "C" size_t lapis_mem_cache_limit(void); /* registry.c: LAPIS_CACHE_MB in bytes */
#define LAPIS_POOL_DEVICES 64
static cudaMemPool_t pools[LAPIS_POOL_DEVICES];
static bool pool_tried[LAPIS_POOL_DEVICES];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

cudaMemPool_t lapis_cuda_pool(int dev) {
    if (dev < 0 || dev >= LAPIS_POOL_DEVICES) return NULL;
    pthread_mutex_lock(&pool_lock);
    if (!pool_tried[dev]) {
        pool_tried[dev] = true;
        cudaMemPoolProps pp;
        memset(&pp, 0, sizeof pp);
        pp.allocType = cudaMemAllocationTypePinned;
        pp.handleTypes = cudaMemHandleTypeNone;
        pp.location.type = cudaMemLocationTypeDevice;
        pp.location.id = dev;
        cudaMemPool_t mp = NULL;
        if (cudaMemPoolCreate(&mp, &pp) == cudaSuccess) {
            unsigned long long keep = (unsigned long long)lapis_mem_cache_limit();
            if (cudaMemPoolSetAttribute(mp, cudaMemPoolAttrReleaseThreshold, &keep) ==
                cudaSuccess) {
                pools[dev] = mp;
            } else {
                cudaMemPoolDestroy(mp);
            }
        }
        cudaGetLastError(); /* a failure leaves the default pool in use */
    }
    cudaMemPool_t mp = pools[dev];
    pthread_mutex_unlock(&pool_lock);
    return mp;
}

extern "C" void lapis_cuda_pool_trim(void) {
    pthread_mutex_lock(&pool_lock);
    for (int d = 0; d < LAPIS_POOL_DEVICES; d++)
        if (pools[d]) cudaMemPoolTrimTo(pools[d], 0);
    pthread_mutex_unlock(&pool_lock);
}

extern "C" size_t lapis_cuda_pool_cached(void) {
    size_t n = 0;
    pthread_mutex_lock(&pool_lock);
    for (int d = 0; d < LAPIS_POOL_DEVICES; d++) {
        unsigned long long held = 0, used = 0;
        if (pools[d] &&
            cudaMemPoolGetAttribute(pools[d], cudaMemPoolAttrReservedMemCurrent, &held) ==
                cudaSuccess &&
            cudaMemPoolGetAttribute(pools[d], cudaMemPoolAttrUsedMemCurrent, &used) ==
                cudaSuccess &&
            held > used)
            n += (size_t)(held - used);
    }
    pthread_mutex_unlock(&pool_lock);
    return n;
}

/* ---- streams and events ---------------------------------------------------- */

static lapis_status stream_new(void **native) {
    cudaStream_t s;
    LAPIS_CUDA_TRY(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    *native = s;
    return LAPIS_OK;
}

static void stream_free(void *native) {
    if (native) cudaStreamDestroy((cudaStream_t)native);
}

static lapis_status stream_synchronize(void *native) {
    LAPIS_CUDA_TRY(cudaStreamSynchronize((cudaStream_t)native));
    return LAPIS_OK;
}

static lapis_status event_record(void **event, void *native) {
    if (!*event) {
        cudaEvent_t e;
        LAPIS_CUDA_TRY(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
        *event = e;
    }
    LAPIS_CUDA_TRY(cudaEventRecord((cudaEvent_t)*event, (cudaStream_t)native));
    return LAPIS_OK;
}

static lapis_status event_wait(void *native, void *event) {
    LAPIS_CUDA_TRY(cudaStreamWaitEvent((cudaStream_t)native, (cudaEvent_t)event, 0));
    return LAPIS_OK;
}

static lapis_status event_synchronize(void *event) {
    LAPIS_CUDA_TRY(cudaEventSynchronize((cudaEvent_t)event));
    return LAPIS_OK;
}

static void event_free(void *event) {
    if (event) cudaEventDestroy((cudaEvent_t)event);
}

static lapis_status prefetch(const void *ptr, size_t bytes, void *native) {
    cudaMemLocation loc;
    memset(&loc, 0, sizeof loc);
    loc.type = cudaMemLocationTypeDevice;
    loc.id = 0;
    cudaError_t e = cudaMemPrefetchAsync(ptr, bytes, loc, 0, (cudaStream_t)native);
    /* Prefetch is a hint: devices without concurrent managed access refuse it. */
    if (e != cudaSuccess) cudaGetLastError();
    return LAPIS_OK;
}

static lapis_status copy(void *dst, const void *src, size_t bytes, void *native) {
    LAPIS_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, (cudaStream_t)native));
    return LAPIS_OK;
}

/* The kernel slots are filled by lapis_cuda_fill_kernels (backend.cu). */
void lapis_cuda_fill_kernels(lapis_backend *be);

extern "C" const lapis_backend *lapis_cuda_backend(int index) {
    static lapis_backend be;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (index != 0) return NULL; /* one GPU for now */
    pthread_once(&once, [] {
        be.name = "gpu";
        be.stream_new = stream_new;
        be.stream_free = stream_free;
        be.stream_synchronize = stream_synchronize;
        be.event_record = event_record;
        be.event_wait = event_wait;
        be.event_synchronize = event_synchronize;
        be.event_free = event_free;
        be.prefetch = prefetch;
        be.copy = copy;
        lapis_cuda_fill_kernels(&be);
    });
    return &be;
}
