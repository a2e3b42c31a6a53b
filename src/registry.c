/*
 * The backend registry and memory: the one file that knows whether CUDA was
 * built in. Without CUDA (or without a visible GPU) arrays live in aligned
 * host memory; with one, in CUDA managed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void *lapis_mem_alloc(size_t bytes) {
    if (bytes == 0) return NULL;
#ifdef LAPIS_HAVE_CUDA
    if (lapis_cuda_device_count() > 0) return lapis_cuda_managed_alloc(bytes);
#endif
    size_t rounded = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    return aligned_alloc(ALIGN, rounded);
}

void lapis_mem_free(void *p) {
    if (!p) return;
#ifdef LAPIS_HAVE_CUDA
    if (lapis_cuda_device_count() > 0) {
        lapis_cuda_managed_free(p);
        return;
    }
#endif
    free(p);
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
