/* Front end of the triangular family: tri_inv and solve_triangular. */
#include <string.h>

#include "linalg.h"

/* MLX prints "[linalg::inv]" for tri_inv; lapis names the op itself. */
#define TRI_NAME "linalg::tri_inv"
#define TRI_SQUARE "Inverses are only defined for square matrices."

lapis_status lapis_linalg_tri_inv(lapis_array *ainv, lapis_array a, bool upper, lapis_stream s) {
    return lapis_run_square(TRI_NAME, TRI_SQUARE, LAPIS_SLOT(tri_inv), LAPIS_FAIL_TRIANGULAR,
                            ainv, NULL, a, upper, s);
}

lapis_status lapis_linalg_tri_inv_ex(lapis_array *ainv, lapis_array *info, lapis_array a,
                                     bool upper, lapis_stream s) {
    lapis_status st = lapis_need(TRI_NAME, info, "info");
    if (st) return st;
    return lapis_run_square(TRI_NAME, TRI_SQUARE, LAPIS_SLOT(tri_inv), LAPIS_FAIL_TRIANGULAR,
                            ainv, info, a, upper, s);
}

static lapis_status solve_tri_common(lapis_array *x, lapis_array *info_out, lapis_array a,
                                     lapis_array b, bool upper, lapis_stream s) {
    const char *name = "linalg::solve_triangular";
    lapis_op op;
    lapis_status st;
    lapis_solve_shape sh;
    if ((st = lapis_need(name, x, "output")) || (st = lapis_need(name, a, "a")) ||
        (st = lapis_need(name, b, "b")))
        return st;
    if ((st = lapis_op_begin(&op, name, s)) || (st = lapis_solve_prepare(name, a, b, &sh)))
        return st;
    lapis_op_complex_on_cpu(&op, sh.dtype);
    if (!op.be->trsm)
        return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Not available on the %s backend.", name,
                          op.be->name);
    lapis_cast ca = {0}, cb = {0};
    lapis_array xx = NULL, info = NULL;
    if ((st = lapis_cast_to(&ca, a, sh.dtype, name)) || (st = lapis_cast_to(&cb, b, sh.dtype, name)))
        goto done;
    if ((st = lapis_op_use(&op, ca.a)) || (st = lapis_op_use(&op, cb.a))) goto done;
    if ((st = lapis_op_new_output(&op, &xx, sh.x_shape, sh.x_ndim, sh.dtype)) ||
        (st = lapis_op_new_output(&op, &info, sh.batch_shape, sh.batch_ndim, LAPIS_INT32)))
        goto done;
    lapis_solve_args args = {.dtype = sh.dtype, .n = sh.n, .k = sh.k, .batch = sh.batch,
                             .a = ca.a->data, .amap = sh.amap, .bmap = sh.bmap, .b = cb.a->data,
                             .x = xx->data, .info = info->data, .upper = upper};
    if (sh.batch && (st = op.be->trsm(&args, &op.ex))) {
        st = lapis_fail(st, "[%s] %s", name, lapis_last_error());
        goto done;
    }
    lapis_array outs[2] = {xx, info}, ins[2] = {ca.a, cb.a};
    if ((st = lapis_op_end(&op, outs, 2, ins, 2))) goto done;
    st = lapis_finish_info(&op, info, info_out, LAPIS_FAIL_TRIANGULAR, &xx, 1);
    info = NULL;
    if (st) goto done;
    *x = xx;
    xx = NULL;
done:
    lapis_array_free(xx);
    lapis_array_free(info);
    lapis_cast_free(&ca);
    lapis_cast_free(&cb);
    return st;
}

lapis_status lapis_linalg_solve_triangular(lapis_array *x, lapis_array a, lapis_array b,
                                           bool upper, lapis_stream s) {
    return solve_tri_common(x, NULL, a, b, upper, s);
}

lapis_status lapis_linalg_solve_triangular_ex(lapis_array *x, lapis_array *info, lapis_array a,
                                              lapis_array b, bool upper, lapis_stream s) {
    lapis_status st = lapis_need("linalg::solve_triangular", info, "info");
    if (st) return st;
    return solve_tri_common(x, info, a, b, upper, s);
}
