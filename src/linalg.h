/* Front-end helpers shared by the op-family files. */
#ifndef LAPIS_LINALG_H
#define LAPIS_LINALG_H

#include <stddef.h>

#include "core.h"

/* MLX-style argument checks; each sets "[op] ..." and returns its code. */
lapis_status lapis_need(const char *op, const void *ptr, const char *what);
/* float32, float64, complex64 or complex128. */
lapis_status lapis_need_float_or_complex(const char *op, lapis_array a);
lapis_status lapis_need_ndim2(const char *op, lapis_array a);
lapis_status lapis_need_square(const char *op, lapis_array a, const char *msg);

/* The GPU backends have no complex kernels for the Cholesky/LU/triangular
 * family: complex work on a GPU stream runs on the CPU, ordered by the op. */
static inline void lapis_op_complex_on_cpu(lapis_op *op, lapis_dtype dt) {
    if (lapis_dtype_is_complex(dt) && op->be != &lapis_cpu_backend) lapis_op_fall_back_to_cpu(op);
}

/* The batch shape (all but the last two axes) and its size. */
static inline int lapis_batch_ndim(lapis_array a) { return a->ndim >= 2 ? a->ndim - 2 : 0; }
static inline int64_t lapis_batch_size(lapis_array a) {
    return lapis_shape_prod(a->shape, lapis_batch_ndim(a));
}

/* A backend kernel slot by offset (offsetof(lapis_backend, cholesky)). */
#define LAPIS_SLOT(field) offsetof(lapis_backend, field)
static inline lapis_factor_fn lapis_factor_slot(const lapis_backend *be, size_t off) {
    return *(const lapis_factor_fn *)((const char *)be + off);
}

/*
 * One square matrix in, one of the same shape out, through a factor slot:
 * the shape of cholesky, cholesky_inv, tri_inv and inv. Validates in MLX
 * order, allocates, runs, and either returns `info` (info_out != NULL) or
 * attaches a failure record to the stream and the output.
 */
lapis_status lapis_run_square(const char *op, const char *square_msg, size_t slot,
                              lapis_fail_kind kind, lapis_array *out, lapis_array *info_out,
                              lapis_array a, bool upper, lapis_stream s);

/* Plain variants hand info to a failure record of `kind` on the stream and
 * the outputs; _ex variants return it in *info_out. Takes the reference to
 * info either way, also on failure. */
static inline lapis_status lapis_finish_info(lapis_op *op, lapis_array info, lapis_array *info_out,
                                             lapis_fail_kind kind, lapis_array *outs, int nouts) {
    if (info_out) {
        *info_out = info;
        return LAPIS_OK;
    }
    return lapis_op_attach_check(op, info, kind, outs, nouts);
}

/* Either the array itself (owned = false) or a converted copy (owned). */
typedef struct lapis_cast {
    lapis_array a;
    bool owned;
} lapis_cast;
lapis_status lapis_cast_to(lapis_cast *c, lapis_array a, lapis_dtype dt, const char *op);
static inline void lapis_cast_free(lapis_cast *c) {
    if (c->owned) lapis_array_free(c->a);
}

/* Host-side conversion of count elements between any two dtypes. */
void lapis_convert(void *dst, lapis_dtype dt_dst, const void *src, lapis_dtype dt_src,
                   int64_t count);

/* lu_factor of a validated float array on op's stream into new arrays. */
lapis_status lapis_lu_factor_run(lapis_op *op, lapis_array a, lapis_array *lu,
                                 lapis_array *pivots, lapis_array *info);

/* Shapes of a solve: validated, promoted and broadcast (solve and
 * solve_triangular). b is a vector when it is 1-D. */
typedef struct lapis_solve_shape {
    int64_t n, k;
    bool vector;
    lapis_dtype dtype;
    int64_t batch;
    int batch_ndim;
    int64_t batch_shape[LAPIS_MAX_NDIM];
    lapis_bmap amap, bmap;
    int x_ndim;
    int64_t x_shape[LAPIS_MAX_NDIM];
} lapis_solve_shape;
lapis_status lapis_solve_prepare(const char *op, lapis_array a, lapis_array b,
                                 lapis_solve_shape *sh);
/* The broadcast part of lapis_solve_prepare, for other solve-like ops
 * (lstsq): x gets n rows; b is a vector when sh->vector is set. */
lapis_status lapis_solve_broadcast(const char *op, lapis_array a, lapis_array b, int64_t n,
                                   lapis_dtype dt, lapis_solve_shape *sh);

#endif
