/* Host tensors and small helpers of the CLI. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

bool dtype_is_complex(lapis_dtype dt) {
    return dt == LAPIS_COMPLEX64 || dt == LAPIS_COMPLEX128;
}

int64_t tensor_size(const tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

int64_t tensor_nvals(const tensor *t) {
    return tensor_size(t) * (dtype_is_complex(t->dtype) ? 2 : 1);
}

int tensor_alloc(tensor *t, const int64_t *shape, int ndim, lapis_dtype dt) {
    memset(t, 0, sizeof *t);
    if (ndim < 0 || ndim > LAPIS_MAX_NDIM) return -1;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] && n > INT64_MAX / 16 / shape[d])) return -1;
        n *= shape[d];
        t->shape[d] = shape[d];
    }
    t->ndim = ndim;
    t->dtype = dt;
    size_t nv = (size_t)n * (dtype_is_complex(dt) ? 2 : 1);
    t->v = calloc(nv ? nv : 1, sizeof(double));
    return t->v ? 0 : -1;
}

void tensor_free(tensor *t) {
    if (!t) return;
    free(t->v);
    t->v = NULL;
    t->ndim = 0;
}

void tensor_round(tensor *t, lapis_dtype dt) {
    int64_t nv = tensor_nvals(t);
    if (dt == LAPIS_FLOAT32 || dt == LAPIS_COMPLEX64)
        for (int64_t i = 0; i < nv; i++) t->v[i] = (double)(float)t->v[i];
}

lapis_status tensor_to_array(lapis_array *out, const tensor *t, lapis_dtype dt) {
    int64_t size = tensor_size(t), nv = size * (dtype_is_complex(dt) ? 2 : 1);
    size_t esz = lapis_dtype_size(dt);
    if (!esz) return LAPIS_ERR_DTYPE;
    void *buf = malloc(size ? (size_t)size * esz : 1);
    if (!buf) return LAPIS_ERR_OUT_OF_MEMORY;
    bool src_complex = dtype_is_complex(t->dtype);
    for (int64_t i = 0; i < nv; i++) {
        /* Real data into a complex dtype gets zero imaginary parts. */
        double v;
        if (dtype_is_complex(dt) && !src_complex) v = (i & 1) ? 0.0 : t->v[i / 2];
        else if (!dtype_is_complex(dt) && src_complex) v = t->v[2 * i];
        else v = t->v[i];
        switch (dt) {
        case LAPIS_FLOAT32: case LAPIS_COMPLEX64: ((float *)buf)[i] = (float)v; break;
        case LAPIS_FLOAT64: case LAPIS_COMPLEX128: ((double *)buf)[i] = v; break;
        case LAPIS_INT32: ((int32_t *)buf)[i] = (int32_t)v; break;
        case LAPIS_UINT32: ((uint32_t *)buf)[i] = (uint32_t)v; break;
        case LAPIS_INT64: ((int64_t *)buf)[i] = (int64_t)v; break;
        case LAPIS_BOOL: ((uint8_t *)buf)[i] = v != 0; break;
        }
    }
    lapis_status st = lapis_array_from_data(out, buf, t->shape, t->ndim, dt);
    free(buf);
    return st;
}

lapis_status tensor_from_array(tensor *t, lapis_array a) {
    lapis_dtype dt = lapis_array_dtype(a);
    if (tensor_alloc(t, lapis_array_shape(a), lapis_array_ndim(a), dt))
        return LAPIS_ERR_OUT_OF_MEMORY;
    size_t nbytes = lapis_array_nbytes(a);
    void *buf = malloc(nbytes ? nbytes : 1);
    if (!buf) {
        tensor_free(t);
        return LAPIS_ERR_OUT_OF_MEMORY;
    }
    lapis_status st = lapis_array_read(a, buf, nbytes);
    if (st && st != LAPIS_ERR_NOT_POSITIVE_DEFINITE && st != LAPIS_ERR_SINGULAR &&
        st != LAPIS_ERR_NON_FINITE && st != LAPIS_ERR_NO_CONVERGENCE) {
        free(buf);
        tensor_free(t);
        return st;
    }
    int64_t nv = tensor_nvals(t);
    for (int64_t i = 0; i < nv; i++) {
        switch (dt) {
        case LAPIS_FLOAT32: case LAPIS_COMPLEX64: t->v[i] = ((float *)buf)[i]; break;
        case LAPIS_FLOAT64: case LAPIS_COMPLEX128: t->v[i] = ((double *)buf)[i]; break;
        case LAPIS_INT32: t->v[i] = ((int32_t *)buf)[i]; break;
        case LAPIS_UINT32: t->v[i] = ((uint32_t *)buf)[i]; break;
        case LAPIS_INT64: t->v[i] = (double)((int64_t *)buf)[i]; break;
        case LAPIS_BOOL: t->v[i] = ((uint8_t *)buf)[i]; break;
        }
    }
    free(buf);
    return st;
}

void shape_str(char *buf, size_t cap, const int64_t *shape, int ndim) {
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < ndim && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, "%lld%s", (long long)shape[d],
                              d + 1 < ndim ? ", " : ndim == 1 ? "," : "");
    if (n < cap) snprintf(buf + n, cap - n, ")");
}

double dtype_eps(lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 || dt == LAPIS_COMPLEX64 ? FLT_EPSILON : DBL_EPSILON;
}

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

const char *device_str(lapis_device d) {
    static _Thread_local char buf[16];
    if (d.type == LAPIS_CPU) return "cpu";
    if (d.index == 0) return "gpu";
    snprintf(buf, sizeof buf, "gpu:%d", d.index);
    return buf;
}

int parse_device(const char *s, lapis_device *d) {
    if (strcmp(s, "cpu") == 0) {
        *d = (lapis_device){LAPIS_CPU, 0};
        return 0;
    }
    if (strncmp(s, "gpu", 3) == 0 || strncmp(s, "cuda", 4) == 0) {
        const char *p = s + (s[0] == 'g' ? 3 : 4);
        int idx = 0;
        if (*p == ':') {
            char *end;
            long v = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end || v < 0 || v > 1024) return -1;
            idx = (int)v;
        } else if (*p) {
            return -1;
        }
        *d = (lapis_device){LAPIS_GPU, idx};
        return 0;
    }
    return -1;
}

int parse_dtype(const char *s, lapis_dtype *dt) {
    static const struct { const char *name; lapis_dtype dt; } names[] = {
        {"f32", LAPIS_FLOAT32},  {"float32", LAPIS_FLOAT32},  {"f64", LAPIS_FLOAT64},
        {"float64", LAPIS_FLOAT64}, {"c64", LAPIS_COMPLEX64}, {"complex64", LAPIS_COMPLEX64},
        {"c128", LAPIS_COMPLEX128}, {"complex128", LAPIS_COMPLEX128},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *dt = names[i].dt;
            return 0;
        }
    return -1;
}

const char *device_unavailable_reason(lapis_device d) {
    if (d.type == LAPIS_CPU) return "the CPU device is always available";
#ifdef LAPIS_HAVE_CUDA
    if (lapis_device_count(LAPIS_GPU) == 0)
        return "built with CUDA, but no CUDA device is visible on this machine";
    return "no CUDA device with that index";
#else
    return "this build has no CUDA backend (nvcc was not found at configure time)";
#endif
}
