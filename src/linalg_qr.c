/* Front end of QR. */
#include "linalg_spectral.h"

static lapis_status qr_common(lapis_array *q, lapis_array *r, lapis_array *info_out,
                              lapis_array a, lapis_stream s) {
    const char *name = "linalg::qr";
    lapis_op op;
    lapis_status st;
    if ((st = lapis_need(name, r, "r")) || (st = lapis_need(name, a, "input"))) return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_need_inexact(name, a)) ||
        (st = lapis_need_ndim2(name, a)))
        return st;
    if (!op.be->qr) lapis_op_fall_back_to_cpu(&op); /* no GPU kernel yet */
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t sh[LAPIS_MAX_NDIM];
    lapis_array qq = NULL, rr = NULL, info = NULL;
    if ((st = lapis_op_use(&op, a))) return st;
    if (q && (st = lapis_op_new_output(&op, &qq, sh, lapis_mat_shape(sh, a, m, k), a->dtype)))
        goto fail;
    if ((st = lapis_op_new_output(&op, &rr, sh, lapis_mat_shape(sh, a, k, n), a->dtype)) ||
        (st = lapis_op_new_output(&op, &info, sh, lapis_mat_shape(sh, a, -1, -1), LAPIS_INT32)))
        goto fail;
    lapis_qr_args args = {.dtype = a->dtype, .m = m, .n = n, .batch = lapis_batch_size(a),
                          .a = a->data, .q = qq ? qq->data : NULL, .r = rr->data,
                          .info = info->data};
    if (args.batch && (st = op.be->qr(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto fail;
    }
    lapis_array outs[3] = {rr, qq, info};
    if ((st = lapis_op_end(&op, outs, 3, &a, 1))) goto fail;
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_NONFINITE, outs, qq ? 2 : 1);
    info = NULL;
    if (st) goto fail;
    if (q) *q = qq;
    *r = rr;
    return LAPIS_OK;
fail:
    lapis_array_free(qq);
    lapis_array_free(rr);
    lapis_array_free(info);
    return st;
}

lapis_status lapis_linalg_qr(lapis_array *q, lapis_array *r, lapis_array a, lapis_stream s) {
    return qr_common(q, r, NULL, a, s);
}

lapis_status lapis_linalg_qr_ex(lapis_array *q, lapis_array *r, lapis_array *info,
                                lapis_array a, lapis_stream s) {
    lapis_status st = lapis_need("linalg::qr", info, "info");
    if (st) return st;
    return qr_common(q, r, info, a, s);
}
