/*
 * Kernel argument structs and the backend table.
 *
 * Plain C, included from .c and .cu files. Kernels see pointers, sizes and
 * batch maps, never lapis_array. Every matrix is row-major and contiguous;
 * a batch of matrices is laid out back to back.
 */
#ifndef LAPIS_KERNELS_H
#define LAPIS_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "lapis.h"

#ifdef __CUDACC__
#define LAPIS_HD __host__ __device__
#else
#define LAPIS_HD
#endif

/*
 * Maps a flat output batch index to the index of an operand's matrix when
 * batch axes broadcast: dims are the output batch shape, stride[d] the
 * operand's stride in matrices along d (0 where it broadcasts). ndim == 0
 * means the identity map.
 */
typedef struct lapis_bmap {
    int ndim;
    int64_t dim[LAPIS_MAX_NDIM];
    int64_t stride[LAPIS_MAX_NDIM];
} lapis_bmap;

static inline LAPIS_HD int64_t lapis_bmap_index(const lapis_bmap *m, int64_t i) {
    if (m->ndim == 0) return i;
    int64_t idx = 0;
    for (int d = m->ndim - 1; d >= 0; d--) {
        int64_t q = i / m->dim[d];
        idx += (i - q * m->dim[d]) * m->stride[d];
        i = q;
    }
    return idx;
}

/* Where a kernel runs: the backend's native stream and the CPU thread count. */
typedef struct lapis_exec {
    void *stream; /* cudaStream_t on the GPU, NULL on the CPU */
    int nthreads; /* CPU: threads for the batch loop */
} lapis_exec;

/*
 * One batch of matrices in, one out: cholesky, tri_inv, cholesky_inv, inv,
 * lu_factor. a -> out may not alias. info[batch] is always written.
 */
typedef struct lapis_factor_args {
    lapis_dtype dtype;
    int64_t m, n;      /* rows, columns (square ops: m == n)          */
    int64_t batch;
    const void *a;     /* batch x m x n input                          */
    void *out;         /* batch x m x n output                         */
    uint32_t *ipiv;    /* lu_factor: batch x min(m, n) pivots          */
    int32_t *info;     /* batch                                        */
    bool upper;
} lapis_factor_args;

/*
 * Solves with a factored or triangular A, b -> x: x[i] = op(A[amap(i)])⁻¹ b[bmap(i)]
 * for i < batch. A is n x n; b and x are n x k.
 *  lu_solve: a = packed LU, ipiv its pivots; ainfo[amap(i)] copied to info[i]
 *            and a nonzero ainfo gives NaN in x[i].
 *  trsm:     a triangular (upper or lower, read only that triangle).
 */
typedef struct lapis_solve_args {
    lapis_dtype dtype;
    int64_t n, k;
    int64_t batch;      /* output batch                      */
    const void *a;
    const uint32_t *ipiv;
    const int32_t *ainfo;
    lapis_bmap amap, bmap;
    const void *b;
    void *x;            /* batch x n x k, never aliases b    */
    int32_t *info;      /* batch                             */
    bool upper;
} lapis_solve_args;

/* Determinant from a packed LU: any output pointer may be NULL. */
typedef struct lapis_det_args {
    lapis_dtype dtype;
    int64_t n, batch;
    const void *lu;
    const uint32_t *ipiv;
    void *det, *sign, *logabsdet; /* batch each, dtype */
} lapis_det_args;

/* Packed LU -> MLX's (P, L, U): perm (m) row indices with A = L[perm] @ U,
 * l (m x k) unit lower, u (k x n) upper. */
typedef struct lapis_lu_unpack_args {
    lapis_dtype dtype;
    int64_t m, n, batch;
    const void *lu;
    const uint32_t *ipiv;
    uint32_t *perm;
    void *l, *u;
} lapis_lu_unpack_args;

/* c[i] = op(a[amap(i)]) @ op(b[bmap(i)]); op transposes when trans_* (and
 * conjugates complex when conj_*). c is m x n, inner dimension kk. */
typedef struct lapis_gemm_args {
    lapis_dtype dtype;
    int64_t m, n, kk;
    int64_t batch;
    const void *a, *b;
    void *c;
    lapis_bmap amap, bmap;
    bool trans_a, trans_b;
} lapis_gemm_args;

typedef lapis_status (*lapis_factor_fn)(const lapis_factor_args *args, const lapis_exec *ex);
typedef lapis_status (*lapis_solve_fn)(const lapis_solve_args *args, const lapis_exec *ex);

/* ---- orthogonal and spectral family ---------------------------------------
 * Real and complex dtypes; "real dtype" is float32 for float32/complex64 and
 * float64 for float64/complex128. info[i]: 0, LAPIS_INFO_NON_FINITE or
 * LAPIS_INFO_NO_CONVERGENCE; every output of a failed matrix is NaN. */

/* Reduced QR, k = min(m, n): q (m x k, NULL for R only), r (k x n) with
 * exact zeros below the diagonal. */
typedef struct lapis_qr_args {
    lapis_dtype dtype;
    int64_t m, n, batch;
    const void *a;
    void *q, *r;
    int32_t *info;
} lapis_qr_args;

/* SVD A = U diag(S) Vt (Vt = Vᴴ for complex), S (k, real dtype) descending.
 * full: u m x m, vt n x n; else u m x k, vt k x n. u == vt == NULL: values
 * only. m or n == 0 is handled by the kernel (identities as NumPy). */
typedef struct lapis_svd_args {
    lapis_dtype dtype;
    int64_t m, n, batch;
    const void *a;
    void *u, *s, *vt;
    bool full;
    int32_t *info;
} lapis_svd_args;

/* Hermitian eigensolver reading one triangle: w (n, real dtype) ascending,
 * v (n x n, eigenvectors as columns; NULL for values only). */
typedef struct lapis_eigh_args {
    lapis_dtype dtype;
    int64_t n, batch;
    const void *a;
    void *w, *v;
    bool upper;
    int32_t *info;
} lapis_eigh_args;

/* General eigensolver: w (n) and v (n x n, right eigenvectors as columns,
 * unit 2-norm; NULL for values only) of the complex dtype of a's precision. */
typedef struct lapis_eig_args {
    lapis_dtype dtype;
    int64_t n, batch;
    const void *a;
    void *w, *v;
    int32_t *info;
} lapis_eig_args;

/* Pseudo-inverse through the SVD: ainv (n x m) = V diag(1/S) Uᴴ, with the
 * singular values <= 10 max(m, n) eps max(S) dropped (MLX's cutoff). */
typedef struct lapis_pinv_args {
    lapis_dtype dtype;
    int64_t m, n, batch;
    const void *a;
    void *ainv;
    int32_t *info;
} lapis_pinv_args;

/* Minimum-norm least squares, x[i] = argmin ||A[amap(i)] x - b[bmap(i)]||
 * with A m x n, b m x k, x n x k. Optional outputs (NULL: not wanted):
 * residuals (k, real dtype; only for m > n) the squared 2-norms of the
 * columns of b - A x; rank; sv (min(m, n), real dtype). rcond < 0 means
 * eps * max(m, n) (NumPy's default). */
typedef struct lapis_lstsq_args {
    lapis_dtype dtype;
    int64_t m, n, k, batch;
    const void *a, *b;
    lapis_bmap amap, bmap;
    void *x, *residuals, *sv;
    int32_t *rank;
    double rcond;
    int32_t *info;
} lapis_lstsq_args;

/*
 * A backend: runtime services and kernels. A NULL kernel slot means "not
 * provided" and the front end reports LAPIS_ERR_UNSUPPORTED (or composes
 * the op from other slots where it says so).
 */
typedef struct lapis_backend {
    const char *name;

    /* runtime (NULL on the CPU: work is synchronous there) */
    lapis_status (*stream_new)(void **native);
    void (*stream_free)(void *native);
    lapis_status (*stream_synchronize)(void *native);
    /* Record an event on `native`; *event is created on first use. */
    lapis_status (*event_record)(void **event, void *native);
    lapis_status (*event_wait)(void *native, void *event);
    lapis_status (*event_synchronize)(void *event);
    void (*event_free)(void *event);
    /* Move `bytes` of managed memory towards this device on `native`. */
    lapis_status (*prefetch)(const void *ptr, size_t bytes, void *native);
    lapis_status (*copy)(void *dst, const void *src, size_t bytes, void *native);

    /* kernels */
    lapis_factor_fn cholesky;     /* a -> out factor, other triangle 0         */
    lapis_factor_fn cholesky_inv; /* factor -> full A⁻¹                        */
    lapis_factor_fn tri_inv;      /* triangle -> inverse, other triangle 0     */
    lapis_factor_fn inv;          /* general inverse                           */
    lapis_factor_fn lu_factor;    /* packed LU + ipiv; info k>0 zero pivot     */
    lapis_solve_fn lu_solve;      /* x = A⁻¹ b from packed LU                  */
    lapis_solve_fn trsm;          /* triangular solve                          */
    lapis_solve_fn solve;         /* optional fused LU + solve from raw A (a,
                                     ipiv and ainfo unused); NULL: the front
                                     end runs lu_factor then lu_solve        */
    lapis_status (*lu_unpack)(const lapis_lu_unpack_args *args, const lapis_exec *ex);
    lapis_status (*det)(const lapis_det_args *args, const lapis_exec *ex);
    lapis_status (*gemm)(const lapis_gemm_args *args, const lapis_exec *ex);

    /* orthogonal and spectral family (NULL: the op reports LAPIS_ERR_UNSUPPORTED) */
    lapis_status (*qr)(const lapis_qr_args *args, const lapis_exec *ex);
    lapis_status (*svd)(const lapis_svd_args *args, const lapis_exec *ex);
    lapis_status (*eigh)(const lapis_eigh_args *args, const lapis_exec *ex);
    lapis_status (*eig)(const lapis_eig_args *args, const lapis_exec *ex);
    lapis_status (*pinv)(const lapis_pinv_args *args, const lapis_exec *ex);
    lapis_status (*lstsq)(const lapis_lstsq_args *args, const lapis_exec *ex);
} lapis_backend;

/*
 * Tuning of the GPU's single-matrix LU (tests, benchmarks): panels of nb
 * columns with a lookahead where min(m, n) >= min_k and there are two panels
 * or more. nb <= 0 restores the defaults: LAPIS_LU_NB (0: no lookahead)
 * or 256 columns, from LAPIS_LU_LOOK_MIN or 8192 on; min_k <= 0 keeps that
 * bound. The getter gives what is in force.
 */
#ifdef __cplusplus
extern "C" {
#endif
void lapis_gpu_lu_lookahead(int64_t nb, int64_t min_k);
void lapis_gpu_lu_lookahead_get(int64_t *nb, int64_t *min_k);
#ifdef __cplusplus
}
#endif

#endif /* LAPIS_KERNELS_H */
