/* CUDA backend internals shared by the .cu files. */
#ifndef LAPIS_CUDA_INTERNAL_H
#define LAPIS_CUDA_INTERNAL_H

#include <cuda_runtime.h>

#include <pthread.h>

#include "../kernels.h"
#include "cuda_api.h"

extern "C" {
/* From the front end (error.c): sets the thread-local message. */
lapis_status lapis_fail(lapis_status st, const char *fmt, ...);
int lapis_threads(void);
}

/* A CUDA error as a lapis status with CUDA's message (never aborts). */
lapis_status lapis_cuda_fail(cudaError_t err, const char *what);
#define LAPIS_CUDA_TRY(call)                                                                   \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) return lapis_cuda_fail(e_, #call);                              \
    } while (0)

/* After a launch: the launch error, if any. */
static inline lapis_status lapis_cuda_launched(const char *kernel) {
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? LAPIS_OK : lapis_cuda_fail(e, kernel);
}

/* Properties of the current device, read once. */
const struct cudaDeviceProp *lapis_cuda_props(void);
/* Device dev's workspace pool (runtime.cu); NULL: use the default pool. */
cudaMemPool_t lapis_cuda_pool(int dev);

#endif
