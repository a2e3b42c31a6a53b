/* Front end of the SVD family: svd, pinv, lstsq. */
#include "linalg_spectral.h"

/* ---- svd -------------------------------------------------------------------- */

static lapis_status svd_common(lapis_array *u, lapis_array *sv, lapis_array *vt,
                               lapis_array *info_out, lapis_array a, bool full, lapis_stream s) {
    const char *name = "linalg::svd";
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, sv, "sv")) || (st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_need_inexact(name, a))) return st;
    if (a->ndim < 2)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Input array must have >= 2 dimensions. Received array with %d "
                          "dimensions.",
                          name, a->ndim);
    if (!op.be->svd) lapis_op_fall_back_to_cpu(&op); /* no GPU kernel yet */
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    bool vec = u || vt;
    int64_t sh[LAPIS_MAX_NDIM];
    lapis_array uu = NULL, ss = NULL, vv = NULL, info = NULL;
    if ((st = lapis_op_use(&op, a))) return st;
    if (vec && ((st = lapis_op_new_output(&op, &uu, sh,
                                          lapis_mat_shape(sh, a, m, full ? m : k), a->dtype)) ||
                (st = lapis_op_new_output(&op, &vv, sh,
                                          lapis_mat_shape(sh, a, full ? n : k, n), a->dtype))))
        goto fail;
    if ((st = lapis_op_new_output(&op, &ss, sh, lapis_mat_shape(sh, a, k, -1),
                                  lapis_real_of(a->dtype))) ||
        (st = lapis_op_new_output(&op, &info, sh, lapis_mat_shape(sh, a, -1, -1), LAPIS_INT32)))
        goto fail;
    lapis_svd_args args = {.dtype = a->dtype, .m = m, .n = n, .batch = lapis_batch_size(a),
                           .a = a->data, .u = uu ? uu->data : NULL, .s = ss->data,
                           .vt = vv ? vv->data : NULL, .full = full, .info = info->data};
    if (args.batch && (st = op.be->svd(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[4] = {ss, uu, vv, info};
    if ((st = lapis_op_end(&op, outs, 4, &a, 1))) goto fail;
    /* drop a vector set that was not asked for before the record holds it */
    if (!u) lapis_array_free(uu), uu = NULL;
    if (!vt) lapis_array_free(vv), vv = NULL;
    lapis_array kept[3] = {ss, uu ? uu : vv, uu ? vv : NULL};
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_NONFINITE, kept, 1 + (uu != NULL) + (vv != NULL));
    info = NULL;
    if (st) goto fail;
    if (u) *u = uu;
    if (vt) *vt = vv;
    *sv = ss;
    return LAPIS_OK;
fail:
    lapis_array_free(uu);
    lapis_array_free(ss);
    lapis_array_free(vv);
    lapis_array_free(info);
    return st;
}

lapis_status lapis_linalg_svd(lapis_array *u, lapis_array *sv, lapis_array *vt, lapis_array a,
                              bool full_matrices, lapis_stream s) {
    return svd_common(u, sv, vt, NULL, a, full_matrices, s);
}

lapis_status lapis_linalg_svd_ex(lapis_array *u, lapis_array *sv, lapis_array *vt,
                                 lapis_array *info, lapis_array a, bool full_matrices,
                                 lapis_stream s) {
    lapis_status st = lapis_need("linalg::svd", info, "info");
    if (st) return st;
    return svd_common(u, sv, vt, info, a, full_matrices, s);
}

/* ---- pinv ------------------------------------------------------------------- */

lapis_status lapis_linalg_pinv(lapis_array *ainv, lapis_array a, lapis_stream s) {
    const char *name = "linalg::pinv";
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, ainv, "output")) || (st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_need_inexact(name, a)) ||
        (st = lapis_need_ndim2(name, a)))
        return st;
    if (!op.be->pinv) lapis_op_fall_back_to_cpu(&op); /* no GPU kernel yet */
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1];
    int64_t sh[LAPIS_MAX_NDIM];
    lapis_array x = NULL, info = NULL;
    if ((st = lapis_op_use(&op, a)) ||
        (st = lapis_op_new_output(&op, &x, sh, lapis_mat_shape(sh, a, n, m), a->dtype)) ||
        (st = lapis_op_new_output(&op, &info, sh, lapis_mat_shape(sh, a, -1, -1), LAPIS_INT32)))
        goto fail;
    lapis_pinv_args args = {.dtype = a->dtype, .m = m, .n = n, .batch = lapis_batch_size(a),
                            .a = a->data, .ainv = x->data, .info = info->data};
    if (args.batch && (st = op.be->pinv(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[2] = {x, info};
    if ((st = lapis_op_end(&op, outs, 2, &a, 1))) goto fail;
    st = lapis_finish_info(&op, info, NULL, LAPIS_FAIL_NONFINITE, &x, 1);
    info = NULL;
    if (st) goto fail;
    *ainv = x;
    return LAPIS_OK;
fail:
    lapis_array_free(x);
    lapis_array_free(info);
    return st;
}

/* ---- lstsq ------------------------------------------------------------------ */

static lapis_status lstsq_prepare(const char *op, lapis_array a, lapis_array b,
                                  lapis_solve_shape *sh, int64_t *m_out) {
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
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1];
    sh->vector = b->ndim == 1;
    int64_t bm = sh->vector ? b->shape[0] : b->shape[b->ndim - 2];
    if (bm != m)
        return lapis_fail(LAPIS_ERR_SHAPE,
                          "[%s] Second to last dimension of first input with shape %s must match "
                          "%s dimension of second input with shape %s.",
                          op, lapis_shape_str(s1, sizeof s1, a->shape, a->ndim),
                          sh->vector ? "the" : "second to last",
                          lapis_shape_str(s2, sizeof s2, b->shape, b->ndim));
    lapis_dtype dt = lapis_dtype_promote(a->dtype, b->dtype);
    if (!lapis_dtype_valid(a->dtype) || !lapis_dtype_valid(b->dtype) ||
        !lapis_dtype_is_inexact(dt))
        return lapis_fail(LAPIS_ERR_DTYPE,
                          "[%s] Input arrays must promote to a float or complex type. Received "
                          "arrays with type %s and %s.",
                          op, lapis_dtype_name(a->dtype), lapis_dtype_name(b->dtype));
    *m_out = m;
    return lapis_solve_broadcast(op, a, b, n, dt, sh);
}

static lapis_status lstsq_common(lapis_array *x, lapis_array *residuals, lapis_array *rank,
                                 lapis_array *sv, lapis_array *info_out, lapis_array a,
                                 lapis_array b, double rcond, lapis_stream s) {
    const char *name = "linalg::lstsq";
    lapis_op op;
    lapis_status st;
    lapis_solve_shape sh;
    int64_t m = 0;
    if ((st = lapis_need(name, x, "output")) || (st = lapis_need(name, a, "a")) ||
        (st = lapis_need(name, b, "b")))
        return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lstsq_prepare(name, a, b, &sh, &m)))
        return st;
    if (!op.be->lstsq) lapis_op_fall_back_to_cpu(&op); /* no GPU kernel yet */
    int64_t n = sh.n, kmin = m < n ? m : n, shp[LAPIS_MAX_NDIM];
    int bnd = sh.batch_ndim;
    lapis_dtype rdt = lapis_real_of(sh.dtype);
    lapis_cast ca = {0}, cb = {0};
    lapis_array xx = NULL, rr = NULL, rk = NULL, ss = NULL, info = NULL;
    memcpy(shp, sh.batch_shape, sizeof shp);
    if ((st = lapis_cast_to(&ca, a, sh.dtype, name)) || (st = lapis_cast_to(&cb, b, sh.dtype, name)))
        goto done;
    if ((st = lapis_op_use(&op, ca.a)) || (st = lapis_op_use(&op, cb.a)) ||
        (st = lapis_op_new_output(&op, &xx, sh.x_shape, sh.x_ndim, sh.dtype)) ||
        (st = lapis_op_new_output(&op, &info, shp, bnd, LAPIS_INT32)))
        goto done;
    if (rank && (st = lapis_op_new_output(&op, &rk, shp, bnd, LAPIS_INT32))) goto done;
    shp[bnd] = m > n ? sh.k : 0;
    if (residuals && (st = lapis_op_new_output(&op, &rr, shp, bnd + 1, rdt))) goto done;
    shp[bnd] = kmin;
    if (sv && (st = lapis_op_new_output(&op, &ss, shp, bnd + 1, rdt))) goto done;
    lapis_lstsq_args args = {.dtype = sh.dtype, .m = m, .n = n, .k = sh.k, .batch = sh.batch,
                             .a = ca.a->data, .b = cb.a->data, .amap = sh.amap, .bmap = sh.bmap,
                             .x = xx->data, .residuals = rr && m > n ? rr->data : NULL,
                             .sv = ss ? ss->data : NULL, .rank = rk ? rk->data : NULL,
                             .rcond = rcond, .info = info->data};
    if (sh.batch && (st = op.be->lstsq(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto done;
    }
    lapis_array outs[5] = {xx, rr, rk, ss, info}, ins[2] = {ca.a, cb.a};
    if ((st = lapis_op_end(&op, outs, 5, ins, 2))) goto done;
    lapis_array kept[4];
    int nk = 0;
    for (int i = 0; i < 4; i++)
        if (outs[i]) kept[nk++] = outs[i];
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_NONFINITE, kept, nk);
    info = NULL;
    if (st) goto done;
    *x = xx;
    if (residuals) *residuals = rr;
    if (rank) *rank = rk;
    if (sv) *sv = ss;
    xx = rr = rk = ss = NULL;
done:
    lapis_array_free(xx);
    lapis_array_free(rr);
    lapis_array_free(rk);
    lapis_array_free(ss);
    lapis_array_free(info);
    lapis_cast_free(&ca);
    lapis_cast_free(&cb);
    return st;
}

lapis_status lapis_linalg_lstsq(lapis_array *x, lapis_array a, lapis_array b, lapis_stream s) {
    return lstsq_common(x, NULL, NULL, NULL, NULL, a, b, -1, s);
}

lapis_status lapis_linalg_lstsq_ex(lapis_array *x, lapis_array *residuals, lapis_array *rank,
                                   lapis_array *sv, lapis_array *info, lapis_array a,
                                   lapis_array b, double rcond, lapis_stream s) {
    return lstsq_common(x, residuals, rank, sv, info, a, b, rcond, s);
}
