/*
 * norm and cross, computed on the host (like astype): they are reductions
 * and elementwise products, memory-bound, and need no kernel. Matrix 2-norms
 * and the nuclear norm take the singular values from lapis_linalg_svd.
 */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "linalg_spectral.h"

/* ---- element access ----------------------------------------------------------- */

static double abs_at(const void *p, lapis_dtype dt, int64_t i) {
    switch (dt) {
    case LAPIS_BOOL: return ((const uint8_t *)p)[i] != 0;
    case LAPIS_INT32: return fabs((double)((const int32_t *)p)[i]);
    case LAPIS_UINT32: return (double)((const uint32_t *)p)[i];
    case LAPIS_INT64: return fabs((double)((const int64_t *)p)[i]);
    case LAPIS_FLOAT32: return fabs((double)((const float *)p)[i]);
    case LAPIS_FLOAT64: return fabs(((const double *)p)[i]);
    case LAPIS_COMPLEX64: {
        const float *z = (const float *)p + 2 * i;
        return hypot((double)z[0], (double)z[1]);
    }
    case LAPIS_COMPLEX128: {
        const double *z = (const double *)p + 2 * i;
        return hypot(z[0], z[1]);
    }
    }
    return NAN;
}

/* A strided run of |x|: base, count, stride (in elements). */
typedef struct run {
    const void *p;
    lapis_dtype dt;
    int64_t base, len, stride;
} run;

static inline double run_at(const run *r, int64_t i) {
    return abs_at(r->p, r->dt, r->base + i * r->stride);
}

/* ---- robust reductions ---------------------------------------------------------- */

/* sqrt(sum x²) without overflow or underflow: scale by the largest |x|. */
static double norm2_runs(const run *rs, int nruns) {
    double amax = 0;
    bool nan = false;
    for (int k = 0; k < nruns; k++)
        for (int64_t i = 0; i < rs[k].len; i++) {
            double x = run_at(&rs[k], i);
            if (x != x) nan = true;
            else if (x > amax) amax = x;
        }
    if (nan) return NAN;
    if (amax == 0 || isinf(amax)) return amax;
    double ssq = 0;
    for (int k = 0; k < nruns; k++)
        for (int64_t i = 0; i < rs[k].len; i++) {
            double t = run_at(&rs[k], i) / amax;
            ssq += t * t;
        }
    return amax * sqrt(ssq);
}

/* Vector norms; p is any number (0, ±inf, ...), dflt means 2. */
static double vector_norm(const run *r, double p) {
    int64_t n = r->len;
    if (p == 2) return norm2_runs(r, 1);
    bool nan = false;
    double amax = 0, amin = INFINITY, sum = 0;
    int64_t nnz = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = run_at(r, i);
        if (x != x) nan = true;
        if (x > amax) amax = x;
        if (x < amin) amin = x;
        if (x != 0) nnz++;
        sum += x;
    }
    if (p == 0) return (double)nnz; /* NaN counts as nonzero, as NumPy */
    if (nan) return NAN;
    if (p == 1) return sum;
    if (p == INFINITY) return amax;
    if (p == -INFINITY) return amin;
    if (p != p) return NAN;
    /* (sum |x|^p)^(1/p) scaled by max |x| (p > 0) or min |x| (p < 0) so that
     * every ratio^p lies in [0, 1] */
    double scale = p > 0 ? amax : amin;
    if (scale == 0 || isinf(scale)) {
        if (n == 0) return p > 0 ? 0 : INFINITY;
        return scale;
    }
    double acc = 0;
    for (int64_t i = 0; i < n; i++) acc += pow(run_at(r, i) / scale, p);
    return scale * pow(acc, 1 / p);
}

/* ---- norm ------------------------------------------------------------------------ */

static const char *ord_label(char *buf, size_t cap, lapis_norm_ord ord, double p) {
    if (ord == LAPIS_NORM_FRO) return "fro";
    if (ord == LAPIS_NORM_NUC) return "nuc";
    snprintf(buf, cap, "ord=%g", p);
    return buf;
}

/* Matrix ±2 and nuc: gathers the matrices, takes their singular values. */
static lapis_status singular_values(lapis_op *op, lapis_array a, lapis_dtype cdt,
                                    const int64_t *bases, int64_t nout, int64_t r, int64_t c,
                                    int64_t sr, int64_t sc, double *s_out) {
    lapis_status st;
    int64_t k = r < c ? r : c, shape[3] = {nout, r, c};
    lapis_array g = NULL, sv = NULL, info = NULL;
    size_t es = lapis_dtype_size(a->dtype), ec = lapis_dtype_size(cdt);
    if ((st = lapis_array_alloc(&g, shape, 3, cdt))) goto done;
    for (int64_t o = 0; o < nout; o++)
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < c; j++)
                lapis_convert((char *)g->data + (size_t)((o * r + i) * c + j) * ec, cdt,
                              (const char *)a->data + (size_t)(bases[o] + i * sr + j * sc) * es,
                              a->dtype, 1);
    bool pushed = false;
    lapis_stream s = op->stream;
    if (!op->be->svd) { /* the CPU always has one */
        if ((st = lapis_push_default_device((lapis_device){LAPIS_CPU, 0}))) goto done;
        pushed = true;
        s = NULL;
    }
    st = lapis_linalg_svd_ex(NULL, &sv, NULL, &info, g, false, s);
    if (pushed && lapis_pop_default_device() != LAPIS_OK) st = st ? st : LAPIS_ERR_INTERNAL;
    if (st || (st = lapis_array_host_wait(sv, false))) goto done;
    lapis_convert(s_out, LAPIS_FLOAT64, sv->data, sv->dtype, nout * k);
done:
    if (st) st = lapis_fail(st, "[%s] %s", op->name, lapis_last_error());
    lapis_array_free(g);
    lapis_array_free(sv);
    lapis_array_free(info);
    return st;
}

lapis_status lapis_linalg_norm(lapis_array *out, lapis_array a, lapis_norm_ord ord, double p,
                               const int *axes, int naxes, bool keepdims, lapis_stream s) {
    const char *name = "linalg::norm";
    lapis_op op;
    lapis_status st;
    char lab[64];
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if (!lapis_dtype_valid(a->dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Unknown dtype %d.", name, (int)a->dtype);
    if ((int)ord < LAPIS_NORM_DEFAULT || ord > LAPIS_NORM_NEG_INF)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[%s] Invalid ord value %d.", name,
                          (int)ord);
    if (naxes < 0)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[%s] naxes must be >= 0.", name);
    if (naxes > 0 && !axes) return lapis_need(name, axes, "axes");
    if (ord == LAPIS_NORM_INF) ord = LAPIS_NORM_P, p = INFINITY;
    if (ord == LAPIS_NORM_NEG_INF) ord = LAPIS_NORM_P, p = -INFINITY;
    bool named = ord == LAPIS_NORM_FRO || ord == LAPIS_NORM_NUC;
    bool flatten = naxes == 0 && ord == LAPIS_NORM_DEFAULT;
    int nd = a->ndim, ax[2] = {0, 0};
    int nax = naxes > 0 ? naxes : (flatten ? 0 : nd);
    if (named && nax != 2)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT,
                          "[%s] Norm '%s' only supported for matrices, but received %d axis/axes.",
                          name, ord == LAPIS_NORM_FRO ? "fro" : "nuc", nax);
    if (!flatten && (nax < 1 || nax > 2))
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Received too many axes for norm.", name);
    for (int i = 0; i < nax; i++) {
        int v = naxes > 0 ? axes[i] : i;
        int w = v < 0 ? v + nd : v;
        if (w < 0 || w >= nd)
            return lapis_fail(LAPIS_ERR_SHAPE,
                              "[%s] Axis %d is out of bounds for array with %d dimensions.", name,
                              v, nd);
        ax[i] = w;
    }
    if (nax == 2 && ax[0] == ax[1])
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Duplicate axes given.", name);
    bool matrix = nax == 2;
    if (matrix && ord == LAPIS_NORM_P && !(fabs(p) == 1 || fabs(p) == 2 || isinf(p)))
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[%s] Invalid ord %g for matrix norm.",
                          name, p);

    /* output shape, and the other axes that index the outputs */
    int64_t oshape[LAPIS_MAX_NDIM], odim[LAPIS_MAX_NDIM], ostride[LAPIS_MAX_NDIM];
    int ond = 0, nother = 0;
    int64_t stride[LAPIS_MAX_NDIM], acc = 1;
    for (int d = nd - 1; d >= 0; d--) stride[d] = acc, acc *= a->shape[d];
    for (int d = 0; d < nd; d++) {
        bool red = flatten || (nax >= 1 && ax[0] == d) || (nax == 2 && ax[1] == d);
        if (red) {
            if (keepdims) oshape[ond++] = 1;
        } else {
            oshape[ond++] = a->shape[d];
            odim[nother] = a->shape[d];
            ostride[nother++] = stride[d];
        }
    }
    int64_t nout = lapis_shape_prod(oshape, ond);
    int64_t r = flatten ? a->size : a->shape[ax[0]], c = matrix ? a->shape[ax[1]] : 1;
    int64_t sr = flatten ? 1 : stride[ax[0]], sc = matrix ? stride[ax[1]] : 0;
    if (nout > 0) {
        bool empty_maxmin = false;
        if (!matrix && ord == LAPIS_NORM_P && isinf(p)) empty_maxmin = r == 0;
        if (matrix && ord == LAPIS_NORM_P) {
            if (fabs(p) == 1) empty_maxmin = c == 0;
            else if (fabs(p) == 2) empty_maxmin = r == 0 || c == 0;
            else empty_maxmin = r == 0;
        }
        if (empty_maxmin)
            return lapis_fail(LAPIS_ERR_SHAPE,
                              "[%s] Cannot compute the %s norm of an empty %s: it is a maximum "
                              "or minimum over an empty set.",
                              name, ord_label(lab, sizeof lab, ord, p),
                              matrix ? "matrix" : "vector");
    }

    lapis_dtype cdt = lapis_dtype_is_inexact(a->dtype) ? a->dtype : LAPIS_FLOAT32;
    lapis_dtype rdt = lapis_real_of(cdt);
    lapis_array o = NULL;
    int64_t *bases = NULL;
    double *res = NULL, *sv = NULL;
    if ((st = lapis_array_alloc(&o, oshape, ond, rdt))) return lapis_fail(st, "[%s] %s", name, lapis_last_error());
    bases = malloc(sizeof *bases * (size_t)(nout ? nout : 1));
    res = malloc(sizeof *res * (size_t)(nout ? nout : 1));
    if (!bases || !res) {
        st = lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", name);
        goto done;
    }
    if ((st = lapis_array_host_wait(a, false))) goto done;
    for (int64_t i = 0; i < nout; i++) {
        int64_t rem = i, base = 0;
        for (int d = nother - 1; d >= 0; d--) {
            base += (rem % odim[d]) * ostride[d];
            rem /= odim[d];
        }
        bases[i] = base;
    }
    bool svd_ord = matrix && (ord == LAPIS_NORM_NUC || (ord == LAPIS_NORM_P && fabs(p) == 2));
    int64_t k = r < c ? r : c;
    if (svd_ord && nout > 0 && k > 0) {
        sv = malloc(sizeof *sv * (size_t)(nout * k));
        if (!sv) {
            st = lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", name);
            goto done;
        }
        if ((st = singular_values(&op, a, cdt, bases, nout, r, c, sr, sc, sv))) goto done;
    }
    for (int64_t i = 0; i < nout; i++) {
        double v;
        run rw = {a->data, a->dtype, bases[i], r, sr};
        if (!matrix) {
            v = vector_norm(&rw, ord == LAPIS_NORM_DEFAULT ? 2 : p);
        } else if ((ord == LAPIS_NORM_DEFAULT || ord == LAPIS_NORM_FRO) && (r == 0 || c == 0)) {
            v = 0; /* an empty matrix, however many empty rows it has */
        } else if (ord == LAPIS_NORM_DEFAULT || ord == LAPIS_NORM_FRO) {
            /* Frobenius: every row of the matrix as one run */
            run *rows = malloc(sizeof *rows * (size_t)(r ? r : 1));
            if (!rows) {
                st = lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", name);
                goto done;
            }
            for (int64_t j = 0; j < r; j++)
                rows[j] = (run){a->data, a->dtype, bases[i] + j * sr, c, sc};
            v = norm2_runs(rows, (int)(r < INT32_MAX ? r : INT32_MAX));
            free(rows);
        } else if (svd_ord) {
            const double *si = sv ? sv + i * k : NULL;
            if (ord == LAPIS_NORM_NUC) {
                v = 0;
                for (int64_t j = 0; j < k; j++) v += si[j];
            } else {
                v = p > 0 ? si[0] : si[k - 1];
            }
        } else {
            /* ±1: column sums (along rows); ±inf: row sums (along columns) */
            bool cols = fabs(p) == 1;
            int64_t nl = cols ? c : r, len = cols ? r : c;
            v = p > 0 ? 0 : INFINITY;
            if (len == 0 && nl > 0) v = 0; /* nl empty lines, each sums to 0 */
            for (int64_t l = 0; len > 0 && l < nl; l++) {
                run line = cols ? (run){a->data, a->dtype, bases[i] + l * sc, r, sr}
                                : (run){a->data, a->dtype, bases[i] + l * sr, c, sc};
                double t = vector_norm(&line, 1);
                if (t != t) {
                    v = NAN;
                    break;
                }
                v = p > 0 ? (t > v ? t : v) : (t < v ? t : v);
            }
        }
        res[i] = v;
    }
    lapis_convert(o->data, rdt, res, LAPIS_FLOAT64, nout);
    *out = o;
    o = NULL;
done:
    free(bases);
    free(res);
    free(sv);
    lapis_array_free(o);
    return st;
}

/* ---- cross ------------------------------------------------------------------------ */

typedef struct cross_side {
    int64_t size, comp_stride; /* along the axis */
    int64_t stride[LAPIS_MAX_NDIM]; /* per output batch dim, 0 where broadcast */
} cross_side;

static lapis_status cross_axis(const char *name, lapis_array x, int axis, int *out) {
    int w = axis < 0 ? axis + x->ndim : axis;
    if (w < 0 || w >= x->ndim)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Axis %d is out of bounds for array with %d dimensions.", name,
                          axis, x->ndim);
    *out = w;
    return LAPIS_OK;
}

/* Strides of x's non-axis dims against the broadcast dims (right-aligned). */
static void cross_strides(lapis_array x, int xa, const int64_t *bdim, int bnd, cross_side *sd) {
    int64_t st[LAPIS_MAX_NDIM], acc = 1;
    for (int d = x->ndim - 1; d >= 0; d--) st[d] = acc, acc *= x->shape[d];
    sd->size = x->shape[xa];
    sd->comp_stride = st[xa];
    int rn = x->ndim - 1; /* dims without the axis */
    for (int d = 0; d < bnd; d++) {
        int rd = d - (bnd - rn); /* index among x's reduced dims */
        sd->stride[d] = 0;
        if (rd < 0) continue;
        int xd = rd < xa ? rd : rd + 1;
        sd->stride[d] = x->shape[xd] == 1 && bdim[d] != 1 ? 0 : st[xd];
    }
}

static void load3(const void *p, lapis_dtype dt, int64_t base, const cross_side *sd,
                  double complex *f, int64_t *iv) {
    for (int c = 0; c < 3; c++) {
        f[c] = 0;
        iv[c] = 0;
        if (c >= sd->size) continue;
        int64_t i = base + c * sd->comp_stride;
        switch (dt) {
        case LAPIS_BOOL: iv[c] = ((const uint8_t *)p)[i] != 0; break;
        case LAPIS_INT32: iv[c] = ((const int32_t *)p)[i]; break;
        case LAPIS_UINT32: iv[c] = ((const uint32_t *)p)[i]; break;
        case LAPIS_INT64: iv[c] = ((const int64_t *)p)[i]; break;
        case LAPIS_FLOAT32: f[c] = ((const float *)p)[i]; break;
        case LAPIS_FLOAT64: f[c] = ((const double *)p)[i]; break;
        case LAPIS_COMPLEX64: f[c] = ((const float complex *)p)[i]; break;
        case LAPIS_COMPLEX128: f[c] = ((const double complex *)p)[i]; break;
        }
        if (!lapis_dtype_is_inexact(dt)) f[c] = (double)iv[c];
    }
}

lapis_status lapis_linalg_cross(lapis_array *out, lapis_array a, lapis_array b, int axis,
                                lapis_stream s) {
    const char *name = "linalg::cross";
    lapis_op op;
    lapis_status st;
    char s1[200], s2[200];
    if ((st = lapis_need(name, out, "output")) || (st = lapis_need(name, a, "a")) ||
        (st = lapis_need(name, b, "b")))
        return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if (!lapis_dtype_valid(a->dtype) || !lapis_dtype_valid(b->dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Unknown dtype.", name);
    int xa = 0, xb = 0;
    if ((st = cross_axis(name, a, axis, &xa)) || (st = cross_axis(name, b, axis, &xb))) return st;
    int64_t na = a->shape[xa], nb = b->shape[xb];
    if (na < 2 || na > 3 || nb < 2 || nb > 3)
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] The specified axis must have size 2 or 3.",
                          name);
    lapis_dtype dt = lapis_dtype_promote(a->dtype, b->dtype);
    if (dt == LAPIS_BOOL)
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Boolean inputs are not supported.", name);
    /* broadcast the shapes without the axis */
    int64_t ra[LAPIS_MAX_NDIM], rb[LAPIS_MAX_NDIM], bdim[LAPIS_MAX_NDIM];
    int rna = 0, rnb = 0, bnd;
    for (int d = 0; d < a->ndim; d++)
        if (d != xa) ra[rna++] = a->shape[d];
    for (int d = 0; d < b->ndim; d++)
        if (d != xb) rb[rnb++] = b->shape[d];
    lapis_bmap ma, mb;
    if (!lapis_broadcast_batch(ra, rna, rb, rnb, bdim, &bnd, &ma, &mb))
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] Shapes %s and %s cannot be broadcast.", name,
                          lapis_shape_str(s1, sizeof s1, a->shape, a->ndim),
                          lapis_shape_str(s2, sizeof s2, b->shape, b->ndim));
    if (bnd + 1 > LAPIS_MAX_NDIM)
        return lapis_fail(LAPIS_ERR_SHAPE, "[%s] The result would have more than %d dimensions.",
                          name, LAPIS_MAX_NDIM);
    int ond = bnd + 1, xo = axis < 0 ? axis + ond : axis;
    int64_t oshape[LAPIS_MAX_NDIM];
    for (int d = 0, j = 0; d < ond; d++) oshape[d] = d == xo ? 3 : bdim[j++];
    cross_side sa, sb, so;
    cross_strides(a, xa, bdim, bnd, &sa);
    cross_strides(b, xb, bdim, bnd, &sb);
    lapis_array o;
    if ((st = lapis_array_alloc(&o, oshape, ond, dt))) return lapis_fail(st, "[%s] %s", name, lapis_last_error());
    cross_strides(o, xo, bdim, bnd, &so);
    if ((st = lapis_array_host_wait(a, false)) || (st = lapis_array_host_wait(b, false))) {
        lapis_array_free(o);
        return st;
    }
    int64_t total = lapis_shape_prod(bdim, bnd);
    size_t es = lapis_dtype_size(dt);
    for (int64_t i = 0; i < total; i++) {
        int64_t rem = i, oa = 0, ob = 0, oo = 0;
        for (int d = bnd - 1; d >= 0; d--) {
            int64_t q = rem % bdim[d];
            rem /= bdim[d];
            oa += q * sa.stride[d];
            ob += q * sb.stride[d];
            oo += q * so.stride[d];
        }
        double complex fa[3], fb[3], fc[3];
        int64_t ia[3], ib[3];
        load3(a->data, a->dtype, oa, &sa, fa, ia);
        load3(b->data, b->dtype, ob, &sb, fb, ib);
        for (int c = 0; c < 3; c++) {
            int c1 = (c + 1) % 3, c2 = (c + 2) % 3;
            char *dst = (char *)o->data + (size_t)(oo + c * so.comp_stride) * es;
            if (lapis_dtype_is_inexact(dt)) {
                fc[c] = fa[c1] * fb[c2] - fa[c2] * fb[c1];
                lapis_convert(dst, dt, &fc[c], LAPIS_COMPLEX128, 1);
            } else { /* integers wrap around, as NumPy's */
                uint64_t v = (uint64_t)ia[c1] * (uint64_t)ib[c2] - (uint64_t)ia[c2] * (uint64_t)ib[c1];
                if (dt == LAPIS_INT32) *(int32_t *)dst = (int32_t)(uint32_t)v;
                else if (dt == LAPIS_UINT32) *(uint32_t *)dst = (uint32_t)v;
                else *(int64_t *)dst = (int64_t)v;
            }
        }
    }
    *out = o;
    return LAPIS_OK;
}
