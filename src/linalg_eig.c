/* Front end of the eigensolvers: eigh, eigvalsh, eig, eigvals. */
#include "linalg_spectral.h"

#define SQUARE_MSG "Only defined for square matrices."

static lapis_status eig_check(lapis_op *op, const char *name, lapis_array a, lapis_stream s) {
    lapis_status st;
    if ((st = lapis_need(name, a, "input")) || (st = lapis_op_begin(op, name, s)) ||
        (st = lapis_need_inexact(name, a)) || (st = lapis_need_ndim2(name, a)) ||
        (st = lapis_need_square(name, a, SQUARE_MSG)))
        return st;
    return LAPIS_OK;
}

/* ---- eigh / eigvalsh ---------------------------------------------------------- */

static lapis_status eigh_common(const char *name, lapis_array *w, lapis_array *v,
                                lapis_array *info_out, lapis_array a, bool upper,
                                lapis_stream s) {
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, w, "w")) || (st = eig_check(&op, name, a, s))) return st;
    if (!op.be->eigh) lapis_op_fall_back_to_cpu(&op); /* no GPU kernel yet */
    int64_t n = a->shape[a->ndim - 1], sh[LAPIS_MAX_NDIM];
    lapis_array ww = NULL, vv = NULL, info = NULL;
    if ((st = lapis_op_use(&op, a)) ||
        (st = lapis_op_new_output(&op, &ww, sh, lapis_mat_shape(sh, a, n, -1),
                                  lapis_real_of(a->dtype))) ||
        (v && (st = lapis_op_new_output(&op, &vv, sh, lapis_mat_shape(sh, a, n, n), a->dtype))) ||
        (st = lapis_op_new_output(&op, &info, sh, lapis_mat_shape(sh, a, -1, -1), LAPIS_INT32)))
        goto fail;
    lapis_eigh_args args = {.dtype = a->dtype, .n = n, .batch = lapis_batch_size(a),
                            .a = a->data, .w = ww->data, .v = vv ? vv->data : NULL,
                            .upper = upper, .info = info->data};
    if (args.batch && (st = op.be->eigh(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[3] = {ww, vv, info};
    if ((st = lapis_op_end(&op, outs, 3, &a, 1))) goto fail;
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_NONFINITE, outs, vv ? 2 : 1);
    info = NULL;
    if (st) goto fail;
    *w = ww;
    if (v) *v = vv;
    return LAPIS_OK;
fail:
    lapis_array_free(ww);
    lapis_array_free(vv);
    lapis_array_free(info);
    return st;
}

lapis_status lapis_linalg_eigh(lapis_array *w, lapis_array *v, lapis_array a, bool upper,
                               lapis_stream s) {
    lapis_status st = lapis_need("linalg::eigh", v, "v");
    if (st) return st;
    return eigh_common("linalg::eigh", w, v, NULL, a, upper, s);
}

lapis_status lapis_linalg_eigh_ex(lapis_array *w, lapis_array *v, lapis_array *info,
                                  lapis_array a, bool upper, lapis_stream s) {
    lapis_status st;
    if ((st = lapis_need("linalg::eigh", v, "v")) || (st = lapis_need("linalg::eigh", info, "info")))
        return st;
    return eigh_common("linalg::eigh", w, v, info, a, upper, s);
}

lapis_status lapis_linalg_eigvalsh(lapis_array *w, lapis_array a, bool upper, lapis_stream s) {
    return eigh_common("linalg::eigvalsh", w, NULL, NULL, a, upper, s);
}

lapis_status lapis_linalg_eigvalsh_ex(lapis_array *w, lapis_array *info, lapis_array a,
                                      bool upper, lapis_stream s) {
    lapis_status st = lapis_need("linalg::eigvalsh", info, "info");
    if (st) return st;
    return eigh_common("linalg::eigvalsh", w, NULL, info, a, upper, s);
}

/* ---- eig / eigvals ------------------------------------------------------------ */

static lapis_status eig_common(const char *name, lapis_array *w, lapis_array *v,
                               lapis_array *info_out, lapis_array a, lapis_stream s) {
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, w, "w")) || (st = eig_check(&op, name, a, s))) return st;
    if (!op.be->eig) lapis_op_fall_back_to_cpu(&op); /* no GPU kernel yet */
    int64_t n = a->shape[a->ndim - 1], sh[LAPIS_MAX_NDIM];
    lapis_dtype cdt = lapis_complex_of(a->dtype);
    lapis_array ww = NULL, vv = NULL, info = NULL;
    if ((st = lapis_op_use(&op, a)) ||
        (st = lapis_op_new_output(&op, &ww, sh, lapis_mat_shape(sh, a, n, -1), cdt)) ||
        (v && (st = lapis_op_new_output(&op, &vv, sh, lapis_mat_shape(sh, a, n, n), cdt))) ||
        (st = lapis_op_new_output(&op, &info, sh, lapis_mat_shape(sh, a, -1, -1), LAPIS_INT32)))
        goto fail;
    lapis_eig_args args = {.dtype = a->dtype, .n = n, .batch = lapis_batch_size(a),
                           .a = a->data, .w = ww->data, .v = vv ? vv->data : NULL,
                           .info = info->data};
    if (args.batch && (st = op.be->eig(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[3] = {ww, vv, info};
    if ((st = lapis_op_end(&op, outs, 3, &a, 1))) goto fail;
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_NONFINITE, outs, vv ? 2 : 1);
    info = NULL;
    if (st) goto fail;
    *w = ww;
    if (v) *v = vv;
    return LAPIS_OK;
fail:
    lapis_array_free(ww);
    lapis_array_free(vv);
    lapis_array_free(info);
    return st;
}

lapis_status lapis_linalg_eig(lapis_array *w, lapis_array *v, lapis_array a, lapis_stream s) {
    lapis_status st = lapis_need("linalg::eig", v, "v");
    if (st) return st;
    return eig_common("linalg::eig", w, v, NULL, a, s);
}

lapis_status lapis_linalg_eig_ex(lapis_array *w, lapis_array *v, lapis_array *info,
                                 lapis_array a, lapis_stream s) {
    lapis_status st = lapis_need("linalg::eig", info, "info");
    if (st) return st;
    return eig_common("linalg::eig", w, v, info, a, s);
}

lapis_status lapis_linalg_eigvals(lapis_array *w, lapis_array a, lapis_stream s) {
    return eig_common("linalg::eigvals", w, NULL, NULL, a, s);
}
