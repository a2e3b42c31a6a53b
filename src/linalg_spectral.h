/* Front-end helpers of the orthogonal and spectral family. */
#ifndef LAPIS_LINALG_SPECTRAL_H
#define LAPIS_LINALG_SPECTRAL_H

#include <string.h>

#include "linalg.h"

static inline lapis_status lapis_need_inexact(const char *op, lapis_array a) {
    if (lapis_dtype_valid(a->dtype) && lapis_dtype_is_inexact(a->dtype)) return LAPIS_OK;
    return lapis_fail(LAPIS_ERR_DTYPE,
                      "[%s] Arrays must have type float32, float64, complex64 or complex128. "
                      "Received array with type %s.",
                      op, lapis_dtype_name(a->dtype));
}

/* float32 for float32/complex64, float64 for float64/complex128. */
static inline lapis_dtype lapis_real_of(lapis_dtype dt) {
    return dt == LAPIS_FLOAT64 || dt == LAPIS_COMPLEX128 ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
}

static inline lapis_dtype lapis_complex_of(lapis_dtype dt) {
    return dt == LAPIS_FLOAT64 || dt == LAPIS_COMPLEX128 ? LAPIS_COMPLEX128 : LAPIS_COMPLEX64;
}


/* a's shape with the last two axes replaced by (r, c) (c < 0: one axis r;
 * r < 0 too: none). Returns the ndim. */
static inline int lapis_mat_shape(int64_t *out, lapis_array a, int64_t r, int64_t c) {
    int nd = lapis_batch_ndim(a);
    memcpy(out, a->shape, sizeof(int64_t) * LAPIS_MAX_NDIM);
    if (r >= 0) out[nd++] = r;
    if (r >= 0 && c >= 0) out[nd++] = c;
    return nd;
}

#endif
