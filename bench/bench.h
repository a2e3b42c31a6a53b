/* Entry points of the benchmark suites, called by `lapis bench`. */
#ifndef LAPIS_BENCH_H
#define LAPIS_BENCH_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_options {
    const char *ops;   /* comma-separated op names, NULL = all            */
    const char *sizes; /* comma-separated n list, NULL = the suite's own   */
    long batch;        /* 0 = the suite's own                             */
    int quick;         /* fewer sizes and repetitions                     */
    FILE *csv;         /* CSV rows go here (header first), may be stdout  */
} bench_options;

/* CPU: lapis vs a threaded LAPACKE loop and OpenBLAS direct (bench/cpu_bench.c). */
int lapis_bench_cpu(const bench_options *opt);
/* GPU: lapis vs cuSOLVER / cuBLAS in C (bench/gpu_bench.cu, CUDA builds only). */
int lapis_bench_gpu(const bench_options *opt);

#ifdef __cplusplus
}
#endif

#endif
