/* Argument checks, the generic square-op runner and dtype casts. */
#include <complex.h>
#include <string.h>

#include "linalg.h"

lapis_status lapis_need(const char *op, const void *ptr, const char *what) {
    if (ptr) return LAPIS_OK;
    return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[%s] %s is NULL.", op, what);
}

lapis_status lapis_need_float_or_complex(const char *op, lapis_array a) {
    if (lapis_dtype_is_float(a->dtype) || lapis_dtype_is_complex(a->dtype)) return LAPIS_OK;
    return lapis_fail(LAPIS_ERR_DTYPE,
                      "[%s] Arrays must have type float32, float64, complex64 or complex128. "
                      "Received array with type %s.",
                      op, lapis_dtype_name(a->dtype));
}

lapis_status lapis_need_ndim2(const char *op, lapis_array a) {
    if (a->ndim >= 2) return LAPIS_OK;
    return lapis_fail(LAPIS_ERR_SHAPE,
                      "[%s] Arrays must have >= 2 dimensions. Received array with %d dimensions.",
                      op, a->ndim);
}

lapis_status lapis_need_square(const char *op, lapis_array a, const char *msg) {
    if (a->shape[a->ndim - 1] == a->shape[a->ndim - 2]) return LAPIS_OK;
    return lapis_fail(LAPIS_ERR_SHAPE, "[%s] %s", op, msg);
}

lapis_status lapis_run_square(const char *name, const char *square_msg, size_t slot,
                              lapis_fail_kind kind, lapis_array *out, lapis_array *info_out,
                              lapis_array a, bool upper, lapis_stream s) {
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "input")))
        return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if ((st = lapis_need_float_or_complex(name, a)) || (st = lapis_need_ndim2(name, a)) ||
        (st = lapis_need_square(name, a, square_msg)))
        return st;
    lapis_op_complex_on_cpu(&op, a->dtype);
    lapis_factor_fn fn = lapis_factor_slot(op.be, slot);
    if (!fn)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Not available on the %s backend.", name,
                          op.be->name);
    lapis_array x = NULL, info = NULL;
    if ((st = lapis_op_use(&op, a))) return st;
    if ((st = lapis_op_new_output(&op, &x, a->shape, a->ndim, a->dtype))) return st;
    if ((st = lapis_op_new_output(&op, &info, a->shape, lapis_batch_ndim(a), LAPIS_INT32)))
        goto fail;
    lapis_factor_args args = {.dtype = a->dtype,
                              .m = a->shape[a->ndim - 2],
                              .n = a->shape[a->ndim - 1],
                              .batch = lapis_batch_size(a),
                              .a = a->data,
                              .out = x->data,
                              .info = info->data,
                              .upper = upper};
    if (args.batch && (st = fn(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[2] = {x, info};
    if ((st = lapis_op_end(&op, outs, 2, &a, 1))) goto fail;
    if ((st = lapis_finish_info(&op, info, info_out, kind, &x, 1))) {
        lapis_array_free(x);
        return st;
    }
    *out = x;
    return LAPIS_OK;
fail:
    lapis_array_free(info);
    lapis_array_free(x);
    return st;
}

lapis_status lapis_cast_to(lapis_cast *c, lapis_array a, lapis_dtype dt, const char *op) {
    c->a = a;
    c->owned = false;
    if (a->dtype == dt) return LAPIS_OK;
    lapis_array b;
    lapis_status st = lapis_array_alloc(&b, a->shape, a->ndim, dt);
    if (st) return lapis_fail(st, "[%s] %s", op, lapis_last_error());
    if ((st = lapis_array_host_wait(a, false))) {
        lapis_array_free(b);
        return st;
    }
    lapis_convert(b->data, dt, a->data, a->dtype, a->size);
    c->a = b;
    c->owned = true;
    return LAPIS_OK;
}

/* Every element goes through complex double, which holds every lapis value
 * but int64 beyond 2^53 exactly; int64 <-> int64 copies are exact. */
static double complex load(const void *p, lapis_dtype dt, int64_t i) {
    switch (dt) {
    case LAPIS_BOOL: return ((const uint8_t *)p)[i] != 0;
    case LAPIS_INT32: return ((const int32_t *)p)[i];
    case LAPIS_UINT32: return ((const uint32_t *)p)[i];
    case LAPIS_INT64: return (double)((const int64_t *)p)[i];
    case LAPIS_FLOAT32: return ((const float *)p)[i];
    case LAPIS_FLOAT64: return ((const double *)p)[i];
    case LAPIS_COMPLEX64: return ((const float complex *)p)[i];
    case LAPIS_COMPLEX128: return ((const double complex *)p)[i];
    }
    return 0;
}

/* C leaves float-to-integer casts of NaN or out-of-range values undefined:
 * NaN becomes 0 and the rest saturates. */
static double clamp(double r, double lo, double hi) {
    return r != r ? 0 : r < lo ? lo : r > hi ? hi : r;
}

static void store(void *p, lapis_dtype dt, int64_t i, double complex v) {
    double r = creal(v);
    if (dt == LAPIS_INT32) r = clamp(r, INT32_MIN, INT32_MAX);
    if (dt == LAPIS_UINT32) r = clamp(r, 0, UINT32_MAX);
    if (dt == LAPIS_INT64) r = clamp(r, -9223372036854775808.0, 9223372036854774784.0);
    switch (dt) {
    case LAPIS_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case LAPIS_INT32: ((int32_t *)p)[i] = (int32_t)r; break;
    case LAPIS_UINT32: ((uint32_t *)p)[i] = (uint32_t)r; break;
    case LAPIS_INT64: ((int64_t *)p)[i] = (int64_t)r; break;
    case LAPIS_FLOAT32: ((float *)p)[i] = (float)r; break;
    case LAPIS_FLOAT64: ((double *)p)[i] = r; break;
    case LAPIS_COMPLEX64: ((float complex *)p)[i] = (float complex)v; break;
    case LAPIS_COMPLEX128: ((double complex *)p)[i] = v; break;
    }
}

void lapis_convert(void *dst, lapis_dtype dt_dst, const void *src, lapis_dtype dt_src,
                   int64_t count) {
    if (count <= 0) return; /* empty arrays have NULL data: no memcpy(NULL, ...) */
    if (dt_dst == dt_src) {
        memcpy(dst, src, (size_t)count * lapis_dtype_size(dt_src));
        return;
    }
    for (int64_t i = 0; i < count; i++) store(dst, dt_dst, i, load(src, dt_src, i));
}

/* The batch broadcast and result shape shared by solve-like ops: x has n
 * rows and b's columns (none for a vector b). */
lapis_status lapis_solve_broadcast(const char *op, lapis_array a, lapis_array b, int64_t n,
                                   lapis_dtype dt, lapis_solve_shape *sh) {
    char s1[200], s2[200];
    int bnd = sh->vector ? 0 : b->ndim - 2;
    if (!lapis_broadcast_batch(a->shape, a->ndim - 2, b->shape, bnd, sh->batch_shape,
                               &sh->batch_ndim, &sh->amap, &sh->bmap))
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Batch dimensions of the inputs with shapes %s and %s cannot be "
                          "broadcast together.",
                          op, lapis_shape_str(s1, sizeof s1, a->shape, a->ndim),
                          lapis_shape_str(s2, sizeof s2, b->shape, b->ndim));
    if (sh->batch_ndim + 2 > LAPIS_MAX_NDIM)
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] The result would have more than %d dimensions.",
                          op, LAPIS_MAX_NDIM);
    sh->n = n;
    sh->k = sh->vector ? 1 : b->shape[b->ndim - 1];
    sh->dtype = dt;
    sh->batch = lapis_shape_prod(sh->batch_shape, sh->batch_ndim);
    sh->x_ndim = sh->batch_ndim;
    memcpy(sh->x_shape, sh->batch_shape, sizeof sh->x_shape);
    sh->x_shape[sh->x_ndim++] = n;
    if (!sh->vector) sh->x_shape[sh->x_ndim++] = sh->k;
    return LAPIS_OK;
}

lapis_status lapis_solve_prepare(const char *op, lapis_array a, lapis_array b,
                                 lapis_solve_shape *sh) {
    char s1[200], s2[200];
    if (a->ndim < 2)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] First input must have >= 2 dimensions. Received array with %d "
                          "dimensions.",
                          op, a->ndim);
    if (b->ndim < 1)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Second input must have >= 1 dimensions. Received array with %d "
                          "dimensions.",
                          op, b->ndim);
    int64_t n = a->shape[a->ndim - 1];
    if (a->shape[a->ndim - 2] != n)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] First input must be a square matrix. Received array with shape "
                          "%s.",
                          op, lapis_shape_str(s1, sizeof s1, a->shape, a->ndim));
    sh->vector = b->ndim == 1;
    int64_t bn = sh->vector ? b->shape[0] : b->shape[b->ndim - 2];
    if (bn != n)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Last dimension of first input with shape %s must match second to "
                          "last dimension of second input with shape %s.",
                          op, lapis_shape_str(s1, sizeof s1, a->shape, a->ndim),
                          lapis_shape_str(s2, sizeof s2, b->shape, b->ndim));
    lapis_dtype dt = lapis_dtype_promote(a->dtype, b->dtype);
    if (!lapis_dtype_is_float(dt) && !lapis_dtype_is_complex(dt))
        return lapis_fail(LAPIS_ERR_DTYPE,
                          "[%s] Input arrays must promote to float32, float64, complex64 or "
                          "complex128.  Received arrays with type %s and %s.",
                          op, lapis_dtype_name(a->dtype), lapis_dtype_name(b->dtype));
    lapis_status st = lapis_need_float_or_complex(op, a);
    if (st) return st;
    return lapis_solve_broadcast(op, a, b, n, dt, sh);
}
