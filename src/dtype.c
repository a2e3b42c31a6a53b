/* dtype properties, promotion, shapes and batch broadcasting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [LAPIS_BOOL] = {"bool", 1},         [LAPIS_INT32] = {"int32", 4},
    [LAPIS_UINT32] = {"uint32", 4},     [LAPIS_INT64] = {"int64", 8},
    [LAPIS_FLOAT32] = {"float32", 4},   [LAPIS_FLOAT64] = {"float64", 8},
    [LAPIS_COMPLEX64] = {"complex64", 8}, [LAPIS_COMPLEX128] = {"complex128", 16},
};

bool lapis_dtype_valid(lapis_dtype dt) {
    return (unsigned)dt <= (unsigned)LAPIS_COMPLEX128;
}

size_t lapis_dtype_size(lapis_dtype dt) { return lapis_dtype_valid(dt) ? dtypes[dt].size : 0; }

const char *lapis_dtype_name(lapis_dtype dt) {
    return lapis_dtype_valid(dt) ? dtypes[dt].name : "unknown";
}

bool lapis_dtype_is_float(lapis_dtype dt) { return dt == LAPIS_FLOAT32 || dt == LAPIS_FLOAT64; }
bool lapis_dtype_is_complex(lapis_dtype dt) {
    return dt == LAPIS_COMPLEX64 || dt == LAPIS_COMPLEX128;
}
bool lapis_dtype_is_inexact(lapis_dtype dt) {
    return lapis_dtype_is_float(dt) || lapis_dtype_is_complex(dt);
}

/* Ranks follow NumPy: bool < ints < float32 < float64; complex absorbs. An
 * int32/uint32/int64 mix goes to int64; integers with float32 stay float32
 * as MLX does. */
lapis_dtype lapis_dtype_promote(lapis_dtype a, lapis_dtype b) {
    if (a == b) return a;
    bool cplx = lapis_dtype_is_complex(a) || lapis_dtype_is_complex(b);
    bool dbl = a == LAPIS_FLOAT64 || b == LAPIS_FLOAT64 || a == LAPIS_COMPLEX128 ||
               b == LAPIS_COMPLEX128;
    if (cplx) return dbl ? LAPIS_COMPLEX128 : LAPIS_COMPLEX64;
    if (dbl) return LAPIS_FLOAT64;
    if (a == LAPIS_FLOAT32 || b == LAPIS_FLOAT32) return LAPIS_FLOAT32;
    if (a == LAPIS_BOOL) return b;
    if (b == LAPIS_BOOL) return a;
    return LAPIS_INT64;
}

int lapis_threads(void) {
    static int cached;
    if (cached > 0) return cached;
    int n = 0;
    const char *env = getenv("LAPIS_NUM_THREADS");
    if (env) n = atoi(env);
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0) n = 1;
    if (n > 256) n = 256;
    cached = n;
    return n;
}

int lapis_num_threads(void) { return lapis_threads(); }

const char *lapis_shape_str(char *buf, size_t cap, const int64_t *shape, int ndim) {
    size_t len = 0;
    len += (size_t)snprintf(buf + len, cap - len, "(");
    for (int i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (len < cap) snprintf(buf + len, cap - len, ndim == 1 ? ",)" : ")");
    return buf;
}

int64_t lapis_shape_prod(const int64_t *shape, int ndim) {
    int64_t p = 1;
    for (int i = 0; i < ndim; i++) p *= shape[i];
    return p;
}

bool lapis_broadcast_batch(const int64_t *sa, int na, const int64_t *sb, int nb, int64_t *out,
                           int *nout, lapis_bmap *ma, lapis_bmap *mb) {
    int n = na > nb ? na : nb;
    int64_t sta = 1, stb = 1;
    int64_t stride_a[LAPIS_MAX_NDIM], stride_b[LAPIS_MAX_NDIM];
    for (int d = n - 1; d >= 0; d--) {
        int ia = d - (n - na), ib = d - (n - nb);
        int64_t da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
        if (da != db && da != 1 && db != 1) return false;
        out[d] = da == 1 ? db : da;
        stride_a[d] = (da == 1) ? 0 : sta;
        stride_b[d] = (db == 1) ? 0 : stb;
        sta *= da;
        stb *= db;
    }
    *nout = n;
    /* identity maps stay ndim 0 so kernels skip the index arithmetic */
    bool ida = true, idb = true;
    for (int d = 0; d < n; d++) {
        if (out[d] != 1 && stride_a[d] == 0) ida = false;
        if (out[d] != 1 && stride_b[d] == 0) idb = false;
    }
    memset(ma, 0, sizeof *ma);
    memset(mb, 0, sizeof *mb);
    if (!ida) {
        ma->ndim = n;
        for (int d = 0; d < n; d++) ma->dim[d] = out[d], ma->stride[d] = stride_a[d];
    }
    if (!idb) {
        mb->ndim = n;
        for (int d = 0; d < n; d++) mb->dim[d] = out[d], mb->stride[d] = stride_b[d];
    }
    return true;
}
