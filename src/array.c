/* Arrays: creation, reading, freeing, and the host side of GPU ordering. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

static lapis_status check_shape(const char *op, const int64_t *shape, int ndim, lapis_dtype dt,
                                 int64_t *size, size_t *nbytes) {
    if (ndim < 0 || ndim > LAPIS_MAX_NDIM)
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] ndim must be in 0..%d, got %d.", op,
                          LAPIS_MAX_NDIM, ndim);
    if (ndim > 0 && !shape)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[%s] shape is NULL.", op);
    if (!lapis_dtype_valid(dt))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Unknown dtype %d.", op, (int)dt);
    int64_t n = 1;
    bool zero = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Negative dimension %lld at axis %d.", op,
                              (long long)shape[i], i);
        if (shape[i] == 0) zero = true;
    }
    if (!zero) {
        for (int i = 0; i < ndim; i++) {
            if (n > INT64_MAX / shape[i])
                return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Array size overflows int64.", op);
            n *= shape[i];
        }
    } else {
        n = 0;
    }
    size_t es = lapis_dtype_size(dt);
    if ((uint64_t)n > SIZE_MAX / es)
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Array size overflows size_t.", op);
    *size = n;
    *nbytes = (size_t)n * es;
    return LAPIS_OK;
}

static lapis_status array_new(lapis_array *out, const int64_t *shape, int ndim, lapis_dtype dt,
                              const char *op) {
    int64_t size = 0;
    size_t nbytes = 0;
    lapis_status st = check_shape(op, shape, ndim, dt, &size, &nbytes);
    if (st) return st;
    lapis_array a = calloc(1, sizeof *a);
    if (!a) return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", op);
    a->dtype = dt;
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = shape[i];
    a->size = size;
    a->nbytes = nbytes;
    if (nbytes) {
        a->data = lapis_mem_alloc(nbytes);
        if (!a->data) {
            free(a);
            return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Cannot allocate %zu bytes.", op,
                              nbytes);
        }
    }
    *out = a;
    return LAPIS_OK;
}

lapis_status lapis_array_alloc(lapis_array *out, const int64_t *shape, int ndim, lapis_dtype dt) {
    return array_new(out, shape, ndim, dt, "array");
}

lapis_status lapis_array_from_data(lapis_array *out, const void *data, const int64_t *shape,
                                   int ndim, lapis_dtype dtype) {
    if (!out) return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[array_from_data] out is NULL.");
    lapis_array a;
    lapis_status st = array_new(&a, shape, ndim, dtype, "array_from_data");
    if (st) return st;
    if (a->nbytes) {
        if (!data) {
            lapis_array_free(a);
            return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[array_from_data] data is NULL.");
        }
        memcpy(a->data, data, a->nbytes);
    }
    *out = a;
    return LAPIS_OK;
}

lapis_status lapis_array_zeros(lapis_array *out, const int64_t *shape, int ndim,
                               lapis_dtype dtype) {
    if (!out) return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[array_zeros] out is NULL.");
    lapis_array a;
    lapis_status st = array_new(&a, shape, ndim, dtype, "array_zeros");
    if (st) return st;
    if (a->nbytes) memset(a->data, 0, a->nbytes);
    *out = a;
    return LAPIS_OK;
}

lapis_status lapis_array_host_wait(lapis_array a, bool for_write) {
    lapis_status st = LAPIS_OK;
    if (a->write_event) st = a->write_be->event_synchronize(a->write_event);
    if (!st && for_write && a->use_event) st = a->use_be->event_synchronize(a->use_event);
    if (st) return lapis_fail(st, "[array] waiting for pending GPU work failed: %s",
                              lapis_last_error());
    return LAPIS_OK;
}

lapis_status lapis_array_read(lapis_array a, void *dst, size_t dst_bytes) {
    if (!a) return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[array_read] array is NULL.");
    if (a->nbytes && !dst)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[array_read] dst is NULL.");
    if (dst_bytes < a->nbytes)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT,
                          "[array_read] dst holds %zu bytes, the array needs %zu.", dst_bytes,
                          a->nbytes);
    lapis_status st = lapis_array_host_wait(a, false);
    if (st) return st;
    if (a->nbytes) memcpy(dst, a->data, a->nbytes);
    if (a->check) {
        st = lapis_check_resolve(a->check);
        if (st) {
            atomic_store(&a->check->reported, true);
            return lapis_fail(st, "%s", a->check->msg);
        }
    }
    return LAPIS_OK;
}

void lapis_array_free(lapis_array a) {
    if (!a) return;
    /* In-flight GPU work may still read or write the data: wait for it
     * before the storage goes back. */
    if (a->write_event) {
        (void)a->write_be->event_synchronize(a->write_event);
        a->write_be->event_free(a->write_event);
    }
    if (a->use_event) {
        (void)a->use_be->event_synchronize(a->use_event);
        a->use_be->event_free(a->use_event);
    }
    if (a->check) lapis_check_release(a->check);
    lapis_mem_free(a->data);
    free(a);
}

int lapis_array_ndim(lapis_array a) { return a ? a->ndim : 0; }
const int64_t *lapis_array_shape(lapis_array a) { return a ? a->shape : NULL; }
int64_t lapis_array_size(lapis_array a) { return a ? a->size : 0; }
size_t lapis_array_nbytes(lapis_array a) { return a ? a->nbytes : 0; }
lapis_dtype lapis_array_dtype(lapis_array a) { return a ? a->dtype : LAPIS_FLOAT32; }
