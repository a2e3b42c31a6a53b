/* Helpers to build inputs and check outputs: matmul, transpose, eye,
 * astype, random_normal, allclose. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "linalg.h"

/* ---- matmul ---------------------------------------------------------------- */

lapis_status lapis_matmul(lapis_array *out, lapis_array a, lapis_array b, lapis_stream s) {
    const char *name = "matmul";
    lapis_op op;
    lapis_status st;
    char s1[200], s2[200];
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "a")) ||
        (st = lapis_need(name, b, "b")))
        return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if (a->ndim == 0 || b->ndim == 0)
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Got 0 dimension input. Inputs must have at least one dimension.", name);
    if (!lapis_dtype_valid(a->dtype) || !lapis_dtype_valid(b->dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Unknown dtype.", name);
    lapis_dtype dt = lapis_dtype_promote(a->dtype, b->dtype);
    if (!lapis_dtype_is_inexact(dt)) dt = LAPIS_FLOAT32;
    /* 1-D operands: a (K,) is (1, K), b (K,) is (K, 1); the axis goes again. */
    int64_t m = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    int64_t ka = a->shape[a->ndim - 1];
    int64_t kb = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
    int64_t n = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    if (ka != kb)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Last dimension of first input with shape %s must match second to "
                          "last dimension of second input with shape %s.",
                          name, lapis_shape_str(s1, sizeof s1, a->shape, a->ndim),
                          lapis_shape_str(s2, sizeof s2, b->shape, b->ndim));
    int na = a->ndim >= 2 ? a->ndim - 2 : 0, nb = b->ndim >= 2 ? b->ndim - 2 : 0;
    lapis_solve_shape sh; /* only the batch fields */
    if (!lapis_broadcast_batch(a->shape, na, b->shape, nb, sh.batch_shape, &sh.batch_ndim,
                               &sh.amap, &sh.bmap))
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Shapes %s and %s cannot be broadcast.", name,
                          lapis_shape_str(s1, sizeof s1, a->shape, a->ndim),
                          lapis_shape_str(s2, sizeof s2, b->shape, b->ndim));
    if (!op.be->gemm)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Not available on the %s backend.", name,
                          op.be->name);
    int64_t shape[LAPIS_MAX_NDIM];
    int nd = sh.batch_ndim;
    memcpy(shape, sh.batch_shape, sizeof shape);
    if (a->ndim >= 2) shape[nd++] = m;
    if (b->ndim >= 2) shape[nd++] = n;
    lapis_cast ca = {0}, cb = {0};
    lapis_array c = NULL;
    if ((st = lapis_cast_to(&ca, a, dt, name)) || (st = lapis_cast_to(&cb, b, dt, name))) goto done;
    if ((st = lapis_op_use(&op, ca.a)) || (st = lapis_op_use(&op, cb.a)) ||
        (st = lapis_op_new_output(&op, &c, shape, nd, dt)))
        goto done;
    lapis_gemm_args args = {.dtype = dt, .m = m, .n = n, .kk = ka,
                            .batch = lapis_shape_prod(sh.batch_shape, sh.batch_ndim),
                            .a = ca.a->data, .b = cb.a->data, .c = c->data,
                            .amap = sh.amap, .bmap = sh.bmap};
    if (args.batch && (st = op.be->gemm(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto done;
    }
    lapis_array ins[2] = {ca.a, cb.a};
    if ((st = lapis_op_end(&op, &c, 1, ins, 2))) goto done;
    *out = c;
    c = NULL;
done:
    lapis_array_free(c);
    lapis_cast_free(&ca);
    lapis_cast_free(&cb);
    return st;
}

/* ---- host-side helpers ------------------------------------------------------ */

lapis_status lapis_transpose(lapis_array *out, lapis_array a, lapis_stream s) {
    const char *name = "transpose";
    lapis_status st;
    lapis_op op;
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if (a->ndim < 2)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Arrays must have >= 2 dimensions. Received array with %d dimensions.",
                          name, a->ndim);
    int64_t shape[LAPIS_MAX_NDIM];
    memcpy(shape, a->shape, sizeof shape);
    int64_t r = a->shape[a->ndim - 2], c = a->shape[a->ndim - 1];
    shape[a->ndim - 2] = c;
    shape[a->ndim - 1] = r;
    lapis_array t;
    if ((st = lapis_array_alloc(&t, shape, a->ndim, a->dtype))) return st;
    if ((st = lapis_array_host_wait(a, false))) {
        lapis_array_free(t);
        return st;
    }
    size_t es = lapis_dtype_size(a->dtype);
    int64_t batch = (r * c) != 0 ? a->size / (r * c) : 0;
    const char *src = a->data;
    char *dst = t->data;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < c; j++)
                memcpy(dst + (size_t)(b * r * c + j * r + i) * es,
                       src + (size_t)(b * r * c + i * c + j) * es, es);
    *out = t;
    return LAPIS_OK;
}

lapis_status lapis_eye(lapis_array *out, int64_t n, int64_t m, lapis_dtype dtype) {
    const char *name = "eye";
    lapis_status st;
    if ((st = lapis_need(name, out, "output"))) return st;
    if (!lapis_dtype_valid(dtype) || !lapis_dtype_is_inexact(dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] dtype must be float or complex.", name);
    if (m < 0) m = n;
    if (n < 0) return lapis_fail(LAPIS_ERR_SHAPE, "[%s] n must be >= 0.", name);
    int64_t shape[2] = {n, m};
    lapis_array e;
    if ((st = lapis_array_zeros(&e, shape, 2, dtype))) return st;
    size_t es = lapis_dtype_size(dtype);
    for (int64_t i = 0; i < n && i < m; i++) {
        double complex one = 1;
        lapis_convert((char *)e->data + (size_t)(i * m + i) * es, dtype, &one, LAPIS_COMPLEX128, 1);
    }
    *out = e;
    return LAPIS_OK;
}

lapis_status lapis_astype(lapis_array *out, lapis_array a, lapis_dtype dtype, lapis_stream s) {
    const char *name = "astype";
    lapis_status st;
    lapis_op op;
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if (!lapis_dtype_valid(dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Unknown dtype %d.", name, (int)dtype);
    lapis_array t;
    if ((st = lapis_array_alloc(&t, a->shape, a->ndim, dtype))) return st;
    if ((st = lapis_array_host_wait(a, false))) {
        lapis_array_free(t);
        return st;
    }
    lapis_convert(t->data, dtype, a->data, a->dtype, a->size);
    *out = t;
    return LAPIS_OK;
}

/* Counter-based: element i of stream `seed` depends on (seed, i) only, so the
 * samples are the same on every device and thread count. */
static uint64_t splitmix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static double uniform(uint64_t seed, uint64_t i) {
    uint64_t r = splitmix(seed ^ splitmix(i));
    return ((double)(r >> 11) + 0.5) * (1.0 / 9007199254740992.0); /* in (0, 1) */
}

lapis_status lapis_random_normal(lapis_array *out, const int64_t *shape, int ndim,
                                 lapis_dtype dtype, uint64_t seed) {
    const char *name = "random_normal";
    lapis_status st;
    if ((st = lapis_need(name, out, "output"))) return st;
    if (!lapis_dtype_valid(dtype) || !lapis_dtype_is_inexact(dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] dtype must be float or complex.", name);
    lapis_array r;
    if ((st = lapis_array_alloc(&r, shape, ndim, dtype)))
        return lapis_fail(st, "[%s] %s", name, lapis_last_error());
    bool cplx = lapis_dtype_is_complex(dtype);
    for (int64_t i = 0; i < r->size; i++) {
        double u1 = uniform(seed, 2 * (uint64_t)i), u2 = uniform(seed, 2 * (uint64_t)i + 1);
        double rad = sqrt(-2 * log(u1)), th = 6.283185307179586 * u2;
        double complex v = rad * cos(th);
        if (cplx) v = (rad * cos(th) + I * rad * sin(th)) * sqrt(0.5);
        lapis_convert((char *)r->data + (size_t)i * lapis_dtype_size(dtype), dtype, &v,
                      LAPIS_COMPLEX128, 1);
    }
    *out = r;
    return LAPIS_OK;
}

lapis_status lapis_allclose(bool *out, lapis_array a, lapis_array b, double rtol, double atol) {
    const char *name = "allclose";
    lapis_status st;
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "a")) ||
        (st = lapis_need(name, b, "b")))
        return st;
    lapis_bmap ma, mb;
    int64_t shape[LAPIS_MAX_NDIM];
    int nd;
    if (!lapis_broadcast_batch(a->shape, a->ndim, b->shape, b->ndim, shape, &nd, &ma, &mb)) {
        *out = false;
        return LAPIS_OK;
    }
    if ((st = lapis_array_host_wait(a, false)) || (st = lapis_array_host_wait(b, false))) return st;
    int64_t size = lapis_shape_prod(shape, nd);
    bool ok = true;
    for (int64_t i = 0; ok && i < size; i++) {
        double complex x, y;
        lapis_convert(&x, LAPIS_COMPLEX128,
                      (const char *)a->data + (size_t)lapis_bmap_index(&ma, i) * lapis_dtype_size(a->dtype),
                      a->dtype, 1);
        lapis_convert(&y, LAPIS_COMPLEX128,
                      (const char *)b->data + (size_t)lapis_bmap_index(&mb, i) * lapis_dtype_size(b->dtype),
                      b->dtype, 1);
        if (x == y) continue; /* equal infinities */
        ok = cabs(x - y) <= atol + rtol * cabs(y);
    }
    *out = ok;
    return LAPIS_OK;
}
