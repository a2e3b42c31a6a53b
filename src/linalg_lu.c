/* Front end of the LU family: lu_factor, lu, inv, solve, det, slogdet. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"

/* lapis_gpu_lu_lookahead's setting: 0 where the defaults hold */
static int64_t gpu_look_nb, gpu_look_min;

void lapis_gpu_lu_lookahead(int64_t nb, int64_t min_k) {
    __atomic_store_n(&gpu_look_nb, nb > 0 ? nb : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&gpu_look_min, nb > 0 && min_k > 0 ? min_k : 0, __ATOMIC_RELAXED);
}

/* An environment variable as a non-negative integer, else dflt. */
static int64_t env_int(const char *name, int64_t dflt) {
    const char *s = getenv(name);
    int64_t v = s ? atoll(s) : dflt;
    return v < 0 ? 0 : v;
}

void lapis_gpu_lu_lookahead_get(int64_t *nb, int64_t *min_k) {
    static int64_t env_nb = -1, env_min = -1; /* LAPIS_LU_NB, LAPIS_LU_LOOK_MIN */
    if (__atomic_load_n(&env_min, __ATOMIC_ACQUIRE) < 0) {
        __atomic_store_n(&env_nb, env_int("LAPIS_LU_NB", 256), __ATOMIC_RELAXED);
        __atomic_store_n(&env_min, env_int("LAPIS_LU_LOOK_MIN", 8192), __ATOMIC_RELEASE);
    }
    int64_t n = __atomic_load_n(&gpu_look_nb, __ATOMIC_RELAXED);
    int64_t m = __atomic_load_n(&gpu_look_min, __ATOMIC_RELAXED);
    *nb = n > 0 ? n : __atomic_load_n(&env_nb, __ATOMIC_RELAXED);
    *min_k = m > 0 ? m : __atomic_load_n(&env_min, __ATOMIC_RELAXED);
}

/* ---- lu_factor ------------------------------------------------------------ */

lapis_status lapis_lu_factor_run(lapis_op *op, lapis_array a, lapis_array *lu,
                                 lapis_array *pivots, lapis_array *info) {
    lapis_status st;
    if (!op->be->lu_factor)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] LU is not available on the %s backend.",
                          op->name, op->be->name);
    int bnd = lapis_batch_ndim(a);
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t pshape[LAPIS_MAX_NDIM];
    memcpy(pshape, a->shape, sizeof pshape);
    pshape[bnd] = k;
    lapis_array x = NULL, p = NULL, inf = NULL;
    if ((st = lapis_op_use(op, a)) ||
        (st = lapis_op_new_output(op, &x, a->shape, a->ndim, a->dtype)) ||
        (st = lapis_op_new_output(op, &p, pshape, bnd + 1, LAPIS_UINT32)) ||
        (st = lapis_op_new_output(op, &inf, a->shape, bnd, LAPIS_INT32)))
        goto fail;
    lapis_factor_args args = {.dtype = a->dtype, .m = m, .n = n, .batch = lapis_batch_size(a),
                              .a = a->data, .out = x->data, .ipiv = p->data, .info = inf->data};
    if (args.batch && (st = op->be->lu_factor(&args, &op->ex))) {
        st = lapis_fail(st, "[%s] %s", op->name, lapis_last_error());
        goto fail;
    }
    *lu = x;
    *pivots = p;
    *info = inf;
    return LAPIS_OK;
fail:
    lapis_array_free(x);
    lapis_array_free(p);
    lapis_array_free(inf);
    return st;
}

static lapis_status lu_factor_common(lapis_array *lu, lapis_array *pivots, lapis_array *info,
                                     lapis_array a, lapis_stream s) {
    const char *name = "linalg::lu_factor";
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, lu, "lu")) || (st = lapis_need(name, pivots, "pivots")) ||
        (st = lapis_need(name, a, "input")))
        return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_need_float_or_complex(name, a)) ||
        (st = lapis_need_ndim2(name, a)))
        return st;
    lapis_op_complex_on_cpu(&op, a->dtype);
    lapis_array x, p, inf;
    if ((st = lapis_lu_factor_run(&op, a, &x, &p, &inf))) return st;
    lapis_array outs[3] = {x, p, inf};
    if ((st = lapis_op_end(&op, outs, 3, &a, 1))) goto fail;
    if ((st = lapis_finish_info(&op, inf, info, LAPIS_FAIL_NONFINITE, outs, 2))) goto fail2;
    *lu = x;
    *pivots = p;
    return LAPIS_OK;
fail:
    lapis_array_free(inf);
fail2:
    lapis_array_free(x);
    lapis_array_free(p);
    return st;
}

lapis_status lapis_linalg_lu_factor(lapis_array *lu, lapis_array *pivots, lapis_array a,
                                    lapis_stream s) {
    return lu_factor_common(lu, pivots, NULL, a, s);
}

lapis_status lapis_linalg_lu_factor_ex(lapis_array *lu, lapis_array *pivots, lapis_array *info,
                                       lapis_array a, lapis_stream s) {
    lapis_status st = lapis_need("linalg::lu_factor", info, "info");
    if (st) return st;
    return lu_factor_common(lu, pivots, info, a, s);
}

/* ---- lu ------------------------------------------------------------------- */

lapis_status lapis_linalg_lu(lapis_array *p, lapis_array *l, lapis_array *u, lapis_array a,
                             lapis_stream s) {
    const char *name = "linalg::lu";
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, p, "p")) || (st = lapis_need(name, l, "l")) ||
        (st = lapis_need(name, u, "u")) || (st = lapis_need(name, a, "input")))
        return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_need_float_or_complex(name, a)) ||
        (st = lapis_need_ndim2(name, a)))
        return st;
    lapis_op_complex_on_cpu(&op, a->dtype);
    if (!op.be->lu_unpack)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Not available on the %s backend.", name,
                          op.be->name);
    int bnd = lapis_batch_ndim(a);
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    lapis_array lu = NULL, piv = NULL, inf = NULL, pp = NULL, ll = NULL, uu = NULL;
    int64_t sh[LAPIS_MAX_NDIM];
    memcpy(sh, a->shape, sizeof sh);
    if ((st = lapis_lu_factor_run(&op, a, &lu, &piv, &inf))) return st;
    sh[bnd] = m;
    if ((st = lapis_op_new_output(&op, &pp, sh, bnd + 1, LAPIS_UINT32))) goto fail;
    sh[bnd + 1] = k;
    if ((st = lapis_op_new_output(&op, &ll, sh, bnd + 2, a->dtype))) goto fail;
    sh[bnd] = k;
    sh[bnd + 1] = n;
    if ((st = lapis_op_new_output(&op, &uu, sh, bnd + 2, a->dtype))) goto fail;
    lapis_lu_unpack_args args = {.dtype = a->dtype, .m = m, .n = n, .batch = lapis_batch_size(a),
                                 .lu = lu->data, .ipiv = piv->data, .perm = pp->data,
                                 .l = ll->data, .u = uu->data};
    if (args.batch && (st = op.be->lu_unpack(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[3] = {pp, ll, uu};
    if ((st = lapis_op_end(&op, outs, 3, &a, 1))) goto fail;
    st = lapis_finish_info(&op, inf, NULL, LAPIS_FAIL_NONFINITE, outs, 3);
    inf = NULL;
    if (st) goto fail;
    lapis_array_free(lu);
    lapis_array_free(piv);
    *p = pp;
    *l = ll;
    *u = uu;
    return LAPIS_OK;
fail:
    lapis_array_free(lu);
    lapis_array_free(piv);
    lapis_array_free(inf);
    lapis_array_free(pp);
    lapis_array_free(ll);
    lapis_array_free(uu);
    return st;
}

/* ---- inv ------------------------------------------------------------------ */

#define INV_SQUARE "Inverses are only defined for square matrices."

lapis_status lapis_linalg_inv(lapis_array *ainv, lapis_array a, lapis_stream s) {
    return lapis_run_square("linalg::inv", INV_SQUARE, LAPIS_SLOT(inv), LAPIS_FAIL_PIVOT, ainv,
                            NULL, a, false, s);
}

lapis_status lapis_linalg_inv_ex(lapis_array *ainv, lapis_array *info, lapis_array a,
                                 lapis_stream s) {
    lapis_status st = lapis_need("linalg::inv", info, "info");
    if (st) return st;
    return lapis_run_square("linalg::inv", INV_SQUARE, LAPIS_SLOT(inv), LAPIS_FAIL_PIVOT, ainv,
                            info, a, false, s);
}

/* ---- solve ---------------------------------------------------------------- */

static lapis_status solve_common(lapis_array *x, lapis_array *info_out, lapis_array a,
                                 lapis_array b, lapis_stream s) {
    const char *name = "linalg::solve";
    lapis_op op;
    lapis_status st;
    lapis_solve_shape sh;
    if ((st = lapis_need(name, x, "output")) || (st = lapis_need(name, a, "a")) ||
        (st = lapis_need(name, b, "b")))
        return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_solve_prepare(name, a, b, &sh)))
        return st;
    lapis_op_complex_on_cpu(&op, sh.dtype);
    if (!op.be->lu_solve && !op.be->solve)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Not available on the %s backend.", name,
                          op.be->name);
    lapis_cast ca = {0}, cb = {0};
    lapis_array lu = NULL, piv = NULL, ainfo = NULL, xx = NULL, info = NULL;
    if ((st = lapis_cast_to(&ca, a, sh.dtype, name)) || (st = lapis_cast_to(&cb, b, sh.dtype, name)))
        goto done;
    if ((st = lapis_op_use(&op, ca.a)) || (st = lapis_op_use(&op, cb.a))) goto done;
    if ((st = lapis_op_new_output(&op, &xx, sh.x_shape, sh.x_ndim, sh.dtype)) ||
        (st = lapis_op_new_output(&op, &info, sh.batch_shape, sh.batch_ndim, LAPIS_INT32)))
        goto done;
    lapis_solve_args args = {.dtype = sh.dtype, .n = sh.n, .k = sh.k, .batch = sh.batch,
                             .a = ca.a->data, .amap = sh.amap, .bmap = sh.bmap, .b = cb.a->data,
                             .x = xx->data, .info = info->data};
    if (sh.batch) {
        if (op.be->solve) {
            st = op.be->solve(&args, &op.ex);
        } else if (!(st = lapis_lu_factor_run(&op, ca.a, &lu, &piv, &ainfo))) {
            args.a = lu->data;
            args.ipiv = piv->data;
            args.ainfo = ainfo->data;
            st = op.be->lu_solve(&args, &op.ex);
        }
        if (st) {
            st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
            goto done;
        }
    }
    lapis_array outs[2] = {xx, info}, ins[4] = {ca.a, cb.a, lu, piv};
    if ((st = lapis_op_end(&op, outs, 2, ins, 4))) goto done;
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_PIVOT, &xx, 1);
    info = NULL;
    if (st) goto done;
    *x = xx;
    xx = NULL;
done:
    lapis_array_free(lu);
    lapis_array_free(piv);
    lapis_array_free(ainfo);
    lapis_array_free(xx);
    lapis_array_free(info);
    lapis_cast_free(&ca);
    lapis_cast_free(&cb);
    return st;
}

lapis_status lapis_linalg_solve(lapis_array *x, lapis_array a, lapis_array b, lapis_stream s) {
    return solve_common(x, NULL, a, b, s);
}

lapis_status lapis_linalg_solve_ex(lapis_array *x, lapis_array *info, lapis_array a,
                                   lapis_array b, lapis_stream s) {
    lapis_status st = lapis_need("linalg::solve", info, "info");
    if (st) return st;
    return solve_common(x, info, a, b, s);
}

/* ---- det and slogdet ------------------------------------------------------ */

/* det/slogdet: float and complex inputs keep their dtype (logabsdet: the
 * real dtype), anything else is computed in float32. */
static lapis_status det_common(const char *name, lapis_array *d, lapis_array *sign,
                               lapis_array *logabs, lapis_array a, lapis_stream s) {
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s))) return st;
    if (!lapis_dtype_valid(a->dtype))
        return lapis_fail(LAPIS_ERR_DTYPE, "[%s] Invalid dtype.", name);
    if ((st = lapis_need_ndim2(name, a)) ||
        (st = lapis_need_square(name, a, "Only defined for square matrices.")))
        return st;
    lapis_op_complex_on_cpu(&op, a->dtype);
    if (!op.be->det)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Not available on the %s backend.", name,
                          op.be->name);
    bool keep = lapis_dtype_is_float(a->dtype) || lapis_dtype_is_complex(a->dtype);
    lapis_dtype dt = keep ? a->dtype : LAPIS_FLOAT32;
    lapis_dtype rdt = dt == LAPIS_COMPLEX64 ? LAPIS_FLOAT32 : dt == LAPIS_COMPLEX128 ? LAPIS_FLOAT64 : dt;
    int bnd = lapis_batch_ndim(a);
    lapis_cast ca = {0};
    lapis_array lu = NULL, piv = NULL, inf = NULL, od = NULL, os = NULL, ol = NULL;
    if ((st = lapis_cast_to(&ca, a, dt, name))) return st;
    if ((st = lapis_lu_factor_run(&op, ca.a, &lu, &piv, &inf))) goto done;
    if ((d && (st = lapis_op_new_output(&op, &od, a->shape, bnd, dt))) ||
        (sign && (st = lapis_op_new_output(&op, &os, a->shape, bnd, dt))) ||
        (logabs && (st = lapis_op_new_output(&op, &ol, a->shape, bnd, rdt))))
        goto done;
    lapis_det_args args = {.dtype = dt, .n = a->shape[a->ndim - 1], .batch = lapis_batch_size(a),
                           .lu = lu->data, .ipiv = piv->data, .det = od ? od->data : NULL,
                           .sign = os ? os->data : NULL, .logabsdet = ol ? ol->data : NULL};
    if (args.batch && (st = op.be->det(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto done;
    }
    lapis_array outs[3] = {od, os, ol}, ins[4] = {ca.a, lu, piv, inf};
    if ((st = lapis_op_end(&op, outs, 3, ins, 4))) goto done;
    if (d) *d = od;
    if (sign) *sign = os;
    if (logabs) *logabs = ol;
    od = os = ol = NULL;
done:
    lapis_array_free(lu);
    lapis_array_free(piv);
    lapis_array_free(inf);
    lapis_array_free(od);
    lapis_array_free(os);
    lapis_array_free(ol);
    lapis_cast_free(&ca);
    return st;
}

lapis_status lapis_linalg_det(lapis_array *d, lapis_array a, lapis_stream s) {
    lapis_status st = lapis_need("linalg::det", d, "output");
    if (st) return st;
    return det_common("linalg::det", d, NULL, NULL, a, s);
}

lapis_status lapis_linalg_slogdet(lapis_array *sign, lapis_array *logabsdet, lapis_array a,
                                  lapis_stream s) {
    lapis_status st;
    if ((st = lapis_need("linalg::slogdet", sign, "sign")) ||
        (st = lapis_need("linalg::slogdet", logabsdet, "logabsdet")))
        return st;
    return det_common("linalg::slogdet", NULL, sign, logabsdet, a, s);
}
