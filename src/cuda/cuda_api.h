/* What the CUDA backend exports to the plain-C registry (registry.c). */
#ifndef LAPIS_CUDA_API_H
#define LAPIS_CUDA_API_H

#include <stddef.h>

#include "../kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Visible CUDA devices (0 when the driver or a device is missing). */
int lapis_cuda_device_count(void);
const lapis_backend *lapis_cuda_backend(int index);
/* Managed memory; NULL on failure or when it would exceed free GPU memory. */
void *lapis_cuda_managed_alloc(size_t bytes);
void lapis_cuda_managed_free(void *p);
/* The workspace pools (lapis_cuda_pool): return their unused memory to the
 * system; the bytes they hold unused. */
void lapis_cuda_pool_trim(void);
size_t lapis_cuda_pool_cached(void);
/* "CUDA: runtime x.y, driver x.y, device 0: NVIDIA H100 ... (sm_90, N SMs)\n" */
const char *lapis_cuda_describe(void);

#ifdef __cplusplus
}
#endif

#endif
