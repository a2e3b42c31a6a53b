/* Front end of the Cholesky family: cholesky, cholesky_inv, jittered Cholesky. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"

#define CHOL_SQUARE "Cholesky decomposition is only defined for square matrices."
#define CHOLINV_SQUARE "Cholesky inverse is only defined for square matrices."

lapis_status lapis_linalg_cholesky(lapis_array *l, lapis_array a, bool upper, lapis_stream s) {
    return lapis_run_square("linalg::cholesky", CHOL_SQUARE, LAPIS_SLOT(cholesky),
                            LAPIS_FAIL_CHOLESKY, l, NULL, a, upper, s);
}

lapis_status lapis_linalg_cholesky_ex(lapis_array *l, lapis_array *info, lapis_array a,
                                      bool upper, lapis_stream s) {
    lapis_status st = lapis_need("linalg::cholesky", info, "info");
    if (st) return st;
    return lapis_run_square("linalg::cholesky", CHOL_SQUARE, LAPIS_SLOT(cholesky),
                            LAPIS_FAIL_CHOLESKY, l, info, a, upper, s);
}

lapis_status lapis_linalg_cholesky_inv(lapis_array *ainv, lapis_array l, bool upper,
                                       lapis_stream s) {
    return lapis_run_square("linalg::cholesky_inv", CHOLINV_SQUARE, LAPIS_SLOT(cholesky_inv),
                            LAPIS_FAIL_TRIANGULAR, ainv, NULL, l, upper, s);
}

lapis_status lapis_linalg_cholesky_inv_ex(lapis_array *ainv, lapis_array *info, lapis_array l,
                                          bool upper, lapis_stream s) {
    lapis_status st = lapis_need("linalg::cholesky_inv", info, "info");
    if (st) return st;
    return lapis_run_square("linalg::cholesky_inv", CHOLINV_SQUARE, LAPIS_SLOT(cholesky_inv),
                            LAPIS_FAIL_TRIANGULAR, ainv, info, l, upper, s);
}

/* ---- jittered Cholesky ---------------------------------------------------- */

static double elem(const void *p, lapis_dtype dt, int64_t i) {
    return dt == LAPIS_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

static void set_elem(void *p, lapis_dtype dt, int64_t i, double v) {
    if (dt == LAPIS_FLOAT32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

/*
 * Retries run on the host-visible data: the failed matrices are gathered
 * into a small batch, shifted and factored again until all succeed or the
 * tries run out. This waits for the first factorization (the user asked for
 * per-matrix decisions, which need its info).
 */
lapis_status lapis_linalg_cholesky_jitter(lapis_array *l, lapis_array *jitter, lapis_array *info,
                                          lapis_array a, bool upper, int max_tries,
                                          lapis_stream s) {
    const char *name = "linalg::cholesky";
    lapis_status st;
    if ((st = lapis_need(name, l, "output")) || (st = lapis_need(name, jitter, "jitter")) ||
        (st = lapis_need(name, info, "info")))
        return st;
    if (max_tries < 0)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[%s] max_tries must be >= 0.", name);
    if (a && lapis_dtype_is_complex(a->dtype))
        return lapis_fail(LAPIS_ERR_DTYPE,
                          "[%s] Jittered Cholesky supports float32 and float64 only. Received "
                          "array with type %s.",
                          name, lapis_dtype_name(a->dtype));
    lapis_array lf = NULL, inf = NULL, jit = NULL, sub = NULL, subl = NULL, subinfo = NULL;
    int64_t *idx = NULL;
    if ((st = lapis_linalg_cholesky_ex(&lf, &inf, a, upper, s))) return st;
    if ((st = lapis_array_alloc(&jit, a->shape, lapis_batch_ndim(a), a->dtype))) goto done;
    if ((st = lapis_array_host_wait(lf, true)) || (st = lapis_array_host_wait(inf, true)) ||
        (st = lapis_array_host_wait(a, false)))
        goto done;
    int64_t n = a->shape[a->ndim - 1], nn = n * n, batch = lapis_batch_size(a);
    size_t es = lapis_dtype_size(a->dtype);
    double eps = a->dtype == LAPIS_FLOAT32 ? FLT_EPSILON : DBL_EPSILON;
    /* Default: escalate by 10 until the shift passes a tenth of the diagonal. */
    if (max_tries == 0) max_tries = a->dtype == LAPIS_FLOAT32 ? 8 : 16;
    int32_t *infos = inf->data;
    int64_t nfail = 0;
    for (int64_t i = 0; i < batch; i++) {
        set_elem(jit->data, a->dtype, i, 0);
        if (infos[i] > 0) nfail++;
    }
    if (nfail) {
        idx = malloc((size_t)nfail * sizeof *idx);
        int64_t shape[3] = {nfail, n, n};
        if (!idx || (st = lapis_array_alloc(&sub, shape, 3, a->dtype))) {
            st = st ? st : lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", name);
            goto done;
        }
        for (int64_t i = 0, j = 0; i < batch; i++)
            if (infos[i] > 0) idx[j++] = i;
        double *scale = malloc((size_t)nfail * sizeof *scale);
        if (!scale) {
            st = lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", name);
            goto done;
        }
        for (int64_t j = 0; j < nfail; j++) {
            double sum = 0;
            for (int64_t d = 0; d < n; d++) sum += fabs(elem(a->data, a->dtype, idx[j] * nn + d * n + d));
            scale[j] = sum > 0 ? eps * sum / (double)n : eps;
        }
        double factor = 1;
        for (int t = 0; t < max_tries && nfail > 0; t++, factor *= 10) {
            for (int64_t j = 0; j < nfail; j++) {
                char *dst = (char *)sub->data + (size_t)(j * nn) * es;
                memcpy(dst, (const char *)a->data + (size_t)(idx[j] * nn) * es, (size_t)nn * es);
                for (int64_t d = 0; d < n; d++)
                    set_elem(dst, a->dtype, d * n + d,
                             elem(dst, a->dtype, d * n + d) + factor * scale[j]);
            }
            sub->shape[0] = nfail;
            sub->size = nfail * nn;
            if ((st = lapis_linalg_cholesky_ex(&subl, &subinfo, sub, upper, s)) ||
                (st = lapis_array_host_wait(subl, false)) ||
                (st = lapis_array_host_wait(subinfo, false))) {
                free(scale);
                goto done;
            }
            int64_t keep = 0;
            const int32_t *si = subinfo->data;
            for (int64_t j = 0; j < nfail; j++) {
                int64_t i = idx[j];
                if (si[j] == 0) {
                    memcpy((char *)lf->data + (size_t)(i * nn) * es,
                           (const char *)subl->data + (size_t)(j * nn) * es, (size_t)nn * es);
                    set_elem(jit->data, a->dtype, i, factor * scale[j]);
                    infos[i] = 0;
                } else {
                    infos[i] = si[j];
                    idx[keep] = i;
                    scale[keep++] = scale[j];
                }
            }
            nfail = keep;
            lapis_array_free(subl);
            lapis_array_free(subinfo);
            subl = subinfo = NULL;
        }
        free(scale);
        for (int64_t j = 0; j < nfail; j++) set_elem(jit->data, a->dtype, idx[j], NAN);
    }
    *l = lf;
    *jitter = jit;
    *info = inf;
    lf = jit = inf = NULL;
done:
    free(idx);
    lapis_array_free(sub);
    lapis_array_free(subl);
    lapis_array_free(subinfo);
    lapis_array_free(lf);
    lapis_array_free(inf);
    lapis_array_free(jit);
    return st;
}
