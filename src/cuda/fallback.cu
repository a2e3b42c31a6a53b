/*
 * CPU float64 fallback for the matrices of a GPU batch that failed (info > 0),
 * queued as a host function on the op's stream: the slot never waits, and the
 * stream's later work (and any reader) is ordered after the fix-up.
 */
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "ops.cuh"

extern "C" {
bool lapis_gpu_fallback(void);
void lapis_gpu_fallback_count_add(int64_t retried, int64_t fixed);
extern const lapis_backend lapis_cpu_backend;
}

namespace {

struct job {
    size_t slot; /* offsetof(lapis_backend, ...) */
    lapis_factor_args fa;
    lapis_solve_args sa;
};

double load(const void *p, lapis_dtype dt, int64_t i) {
    return dt == LAPIS_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
}
void store(void *p, lapis_dtype dt, int64_t i, double v) {
    if (dt == LAPIS_FLOAT32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

void run_factor(job *j) {
    const lapis_factor_args &p = j->fa;
    int64_t n = p.n, nn = n * n, retried = 0, fixed = 0;
    std::vector<double> a((size_t)nn), x((size_t)nn);
    lapis_exec ex = {nullptr, 1};
    lapis_factor_fn fn = *(const lapis_factor_fn *)((const char *)&lapis_cpu_backend + j->slot);
    for (int64_t i = 0; i < p.batch; i++) {
        if (p.info[i] <= 0) continue;
        retried++;
        for (int64_t e = 0; e < nn; e++) a[e] = load(p.a, p.dtype, i * nn + e);
        int32_t inf = 0;
        lapis_factor_args q = p;
        q.dtype = LAPIS_FLOAT64;
        q.batch = 1;
        q.a = a.data();
        q.out = x.data();
        q.info = &inf;
        q.ipiv = nullptr;
        if (fn(&q, &ex) != LAPIS_OK || inf != 0) continue;
        for (int64_t e = 0; e < nn; e++) store(p.out, p.dtype, i * nn + e, x[e]);
        p.info[i] = 0;
        fixed++;
    }
    lapis_gpu_fallback_count_add(retried, fixed);
}

void run_solve(job *j) {
    const lapis_solve_args &p = j->sa;
    bool tri = j->slot == offsetof(lapis_backend, trsm);
    int64_t n = p.n, k = p.k, nn = n * n, nk = n * k, retried = 0, fixed = 0;
    std::vector<double> a((size_t)nn), lu((size_t)nn), b((size_t)nk), x((size_t)nk);
    std::vector<uint32_t> piv((size_t)n);
    lapis_exec ex = {nullptr, 1};
    for (int64_t i = 0; i < p.batch; i++) {
        if (p.info[i] <= 0) continue;
        retried++;
        int64_t ia = lapis_bmap_index(&p.amap, i), ib = lapis_bmap_index(&p.bmap, i);
        for (int64_t e = 0; e < nn; e++) a[e] = load(p.a, p.dtype, ia * nn + e);
        for (int64_t e = 0; e < nk; e++) b[e] = load(p.b, p.dtype, ib * nk + e);
        int32_t inf = 0, ainf = 0;
        lapis_solve_args q = {};
        q.dtype = LAPIS_FLOAT64;
        q.n = n;
        q.k = k;
        q.batch = 1;
        q.b = b.data();
        q.x = x.data();
        q.info = &inf;
        q.upper = p.upper;
        lapis_status st;
        if (tri) {
            q.a = a.data();
            st = lapis_cpu_backend.trsm(&q, &ex);
        } else {
            lapis_factor_args f = {};
            f.dtype = LAPIS_FLOAT64;
            f.m = f.n = n;
            f.batch = 1;
            f.a = a.data();
            f.out = lu.data();
            f.ipiv = piv.data();
            f.info = &ainf;
            st = lapis_cpu_backend.lu_factor(&f, &ex);
            q.a = lu.data();
            q.ipiv = piv.data();
            q.ainfo = &ainf;
            if (!st) st = lapis_cpu_backend.lu_solve(&q, &ex);
        }
        if (st != LAPIS_OK || inf != 0) continue;
        for (int64_t e = 0; e < nk; e++) store(p.x, p.dtype, i * nk + e, x[e]);
        p.info[i] = 0;
        fixed++;
    }
    lapis_gpu_fallback_count_add(retried, fixed);
}

void CUDART_CB host_step(void *arg) {
    job *j = (job *)arg;
    if (j->slot == offsetof(lapis_backend, trsm) || j->slot == offsetof(lapis_backend, solve))
        run_solve(j);
    else
        run_factor(j);
    free(j);
}

lapis_status enqueue(job *j, cudaStream_t s) {
    cudaError_t e = cudaLaunchHostFunc(s, host_step, j);
    if (e != cudaSuccess) {
        free(j);
        return lapis_cuda_fail(e, "cudaLaunchHostFunc (GPU fallback)");
    }
    return LAPIS_OK;
}

} // namespace

lapis_status lapis_cuda_fallback_factor(size_t slot, const lapis_factor_args *p, const lapis_exec *ex) {
    if (!lapis_gpu_fallback() || p->batch == 0 || p->n == 0) return LAPIS_OK;
    job *j = (job *)calloc(1, sizeof *j);
    if (!j) return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "GPU fallback: out of memory");
    j->slot = slot;
    j->fa = *p;
    return enqueue(j, (cudaStream_t)ex->stream);
}

lapis_status lapis_cuda_fallback_solve(size_t slot, const lapis_solve_args *p, const lapis_exec *ex) {
    if (!lapis_gpu_fallback() || p->batch == 0 || p->n == 0 || p->k == 0) return LAPIS_OK;
    job *j = (job *)calloc(1, sizeof *j);
    if (!j) return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "GPU fallback: out of memory");
    j->slot = slot;
    j->sa = *p;
    return enqueue(j, (cudaStream_t)ex->stream);
}
