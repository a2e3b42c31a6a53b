/* The CUDA backend's kernel table: one line per op family file. */
#include "cuda_internal.h"

void lapis_cuda_fill_kernels(lapis_backend *be) {
    (void)be; /* kernels are added here as their files land */
}
