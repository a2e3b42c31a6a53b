/*
 * Latency of single GPU instructions as one warp sees them: cycles per step
 * of a dependent chain (clock64 around 256 steps). The numbers behind the
 * small kernels' column chains (bench/RESULTS.md, sixteenth session).
 * Standalone, not part of the build; on the device machine:
 *   nvcc -arch=sm_90 -O3 -std=c++17 -o /tmp/gpu-latency tools/gpu-latency.cu && /tmp/gpu-latency
 */
#include <cstdio>

#define N 256
#define STAMP(x) asm volatile("mov.u64 %0, %%clock64;" : "=l"(x) : : "memory")
/* the second stamp takes the chain's value as an input: it waits for it */
#define STAMP_D(x, v) asm volatile("mov.u64 %0, %%clock64;" : "=l"(x) : "d"(v) : "memory")
#define STAMP_I(x, v) asm volatile("mov.u64 %0, %%clock64;" : "=l"(x) : "r"(v) : "memory")
#define FULL 0xffffffffu

__device__ long long cycles[32];

/* each chain's steps depend on the last; sink keeps the results alive */
__global__ void chains(double da, double db, int ia, volatile double *sink, volatile int *isink) {
    extern __shared__ double sm[];
    const int lane = threadIdx.x;
    long long t0, t1;
    int c = 0;
#define TIME(body, div, v)                                                                      \
    {                                                                                           \
        STAMP(t0);                                                                              \
        for (int i = 0; i < N; i++) { body; }                                                   \
        if constexpr (sizeof(v) == 8) STAMP_D(t1, (double)(v));                               \
        else STAMP_I(t1, (int)(v));                                                             \
        if (!lane) cycles[c] = (t1 - t0) / (div);                                               \
        c++;                                                                                    \
    }
    unsigned u = lane + ia;
    TIME(u = __reduce_max_sync(FULL, u + (unsigned)lane), 1, u)          /* REDUX + IADD */
    isink[lane] = (int)u;
    int x = lane + ia;
    TIME(x = __shfl_sync(FULL, x, (x + 1) & 31), 1, x)                   /* SHFL + IADD/LOP */
    isink[lane] = x;
    double d = lane + da;
    TIME(d = fma(d, da, db), 1, d)                                       /* DFMA */
    TIME(d = d * da, 1, d)                                               /* DMUL */
    sink[lane] = d;
    x = lane + ia;
    TIME(x = (x ^ ia) + lane, 2, x)                                      /* LOP3, IADD */
    isink[lane] = x;
    d = lane + da;
    TIME(if (lane == (i & 31)) sm[i & 1] = d; __syncwarp(); d = sm[i & 1] + db, 1, d) /* + DADD */
    sink[lane] = d;
    d = lane + 1.5 + da;
    TIME(double r; asm volatile("rcp.approx.ftz.f64 %0, %1;" : "=d"(r) : "d"(d)); d = r, 1, d)
    sink[lane] = d;
    int *si = (int *)sm;
    if (!lane)
        for (int i = 0; i < 64; i++) si[i] = (i + 1) & 63;
    __syncwarp();
    x = lane & 1;
    TIME(x = si[x], 1, x)                                                /* LDS */
    isink[lane] = x;
    x = lane + ia;
    TIME(x += __any_sync(FULL, x == 5), 1, x)                            /* VOTE + IADD */
    isink[lane] = x;
    d = lane + da;
    TIME(double *cb = sm + (i & 1) * 20;                              /* one lane's branch */
         if (__double2loint(d) == (i & 31)) {
             for (int q = 0; q < 8; q++) cb[q] = d + q;
         } __syncwarp();
         d = cb[3] + db, 1, d)
    sink[lane] = d;
    if (!lane) cycles[31] = c;
}

int main() {
    static const char *names[] = {"REDUX.MAX + IADD", "SHFL + IADD", "DFMA", "DMUL",
                                  "integer op", "STS + WARPSYNC + LDS + DADD", "MUFU.RCP64H",
                                  "LDS", "VOTE.ANY + IADD",
                                  "branch, 8 STS, WARPSYNC, LDS, DADD"};
    double *s;
    int *is;
    if (cudaMalloc(&s, 256) || cudaMalloc(&is, 256)) return 1;
    for (int rep = 0; rep < 2; rep++) chains<<<1, 32, 1024>>>(1.0000001, 1e-300, 3, s, is);
    if (cudaDeviceSynchronize() != cudaSuccess) return 1;
    long long h[32];
    cudaMemcpyFromSymbol(h, cycles, sizeof h);
    for (int i = 0; i < h[31]; i++)
        printf("%-36s %6.1f cycles a step\n", names[i], (double)h[i] / N);
    return 0;
}
