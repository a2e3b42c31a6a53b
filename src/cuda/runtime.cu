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
