/*
 * The bad-argument lattice: every public function with NULL pointers, wrong
 * ndim, non-square, shape/broadcast mismatch, bad dtype, unavailable device
 * and bad sizes. Each returns its code, leaves every output pointer
 * untouched and names the op at the start of lapis_last_error().
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define ANY ((lapis_dtype)-1)

static lapis_array O[4];
static bool b_out;

static void reset(void) {
    for (int i = 0; i < 4; i++) O[i] = H_SENTINEL;
    b_out = true;
}

static void expect(lapis_status st, lapis_status want, const char *msg, bool exact,
                   const char *what, const char *op) {
    const char *got = lapis_last_error();
    bool msg_ok = exact ? strcmp(got, msg) == 0 : strncmp(got, msg, strlen(msg)) == 0;
    H_CHECK(st == want && msg_ok, "%s: %s \"%s\", want %s %s\"%s\"", what,
            lapis_status_string(st), got, lapis_status_string(want),
            exact ? "" : "starting with ", msg);
    bool untouched = true;
    for (int i = 0; i < 4; i++) untouched &= O[i] == H_SENTINEL;
    H_CHECK(untouched, "%s: an output pointer was written", what);
    h_count(op, ANY);
}

/* prefix match / exact message */
#define ARGS(op, call, want, prefix)                                                           \
    do {                                                                                       \
        reset();                                                                               \
        expect((call), (want), (prefix), false, #call, (op));                                  \
    } while (0)
#define ARGS_MSG(op, call, want, msg)                                                          \
    do {                                                                                       \
        reset();                                                                               \
        expect((call), (want), (msg), true, #call, (op));                                      \
    } while (0)

static lapis_array mk(lapis_dtype dt, int ndim, int64_t d0, int64_t d1, int64_t d2) {
    int64_t shape[3] = {d0, d1, d2};
    lapis_array a = NULL;
    if (!H_OK(lapis_array_zeros(&a, shape, ndim, dt))) return NULL;
    return a;
}

/* The square family through one table: cholesky, cholesky_inv, inv, tri_inv. */
typedef struct sq_op {
    const char *name, *square_msg;
    lapis_status (*plain)(lapis_array *, lapis_array, lapis_stream);
    lapis_status (*ex)(lapis_array *, lapis_array *, lapis_array, lapis_stream);
} sq_op;

static lapis_status chol(lapis_array *o, lapis_array a, lapis_stream s) { return lapis_linalg_cholesky(o, a, false, s); }
static lapis_status chol_ex(lapis_array *o, lapis_array *i, lapis_array a, lapis_stream s) { return lapis_linalg_cholesky_ex(o, i, a, true, s); }
static lapis_status cinv(lapis_array *o, lapis_array a, lapis_stream s) { return lapis_linalg_cholesky_inv(o, a, false, s); }
static lapis_status cinv_ex(lapis_array *o, lapis_array *i, lapis_array a, lapis_stream s) { return lapis_linalg_cholesky_inv_ex(o, i, a, true, s); }
static lapis_status tinv(lapis_array *o, lapis_array a, lapis_stream s) { return lapis_linalg_tri_inv(o, a, true, s); }
static lapis_status tinv_ex(lapis_array *o, lapis_array *i, lapis_array a, lapis_stream s) { return lapis_linalg_tri_inv_ex(o, i, a, false, s); }
static lapis_status jit(lapis_array *o, lapis_array a, lapis_stream s) {
    lapis_array j = H_SENTINEL, i = H_SENTINEL;
    lapis_status st = lapis_linalg_cholesky_jitter(o, &j, &i, a, false, 0, s);
    if (st) H_CHECK(j == H_SENTINEL && i == H_SENTINEL, "cholesky_jitter wrote an output on error");
    else {
        lapis_array_free(j);
        lapis_array_free(i);
    }
    return st;
}

static const sq_op k_sq[] = {
    {"linalg::cholesky", "Cholesky decomposition is only defined for square matrices.", chol, chol_ex},
    {"linalg::cholesky_inv", "Cholesky inverse is only defined for square matrices.", cinv, cinv_ex},
    {"linalg::inv", "Inverses are only defined for square matrices.", lapis_linalg_inv, lapis_linalg_inv_ex},
    {"linalg::tri_inv", "Inverses are only defined for square matrices.", tinv, tinv_ex},
    {"linalg::cholesky", "Cholesky decomposition is only defined for square matrices.", jit, NULL},
};

static void square_family(lapis_stream s) {
    lapis_array f = mk(LAPIS_FLOAT64, 2, 3, 3, 0), i32 = mk(LAPIS_INT32, 2, 3, 3, 0);
    lapis_array c64 = mk(LAPIS_COMPLEX64, 2, 3, 3, 0), v = mk(LAPIS_FLOAT32, 1, 3, 0, 0);
    lapis_array r = mk(LAPIS_FLOAT32, 3, 2, 3, 4), i1 = mk(LAPIS_INT32, 1, 3, 0, 0);
    lapis_array s0 = mk(LAPIS_FLOAT64, 0, 0, 0, 0);
    char msg[256];
    for (size_t k = 0; k < sizeof k_sq / sizeof k_sq[0]; k++) {
        const sq_op *op = &k_sq[k];
        for (int ex = 0; ex < 2; ex++) {
            if (ex && !op->ex) continue;
#define CALL(out, a) (ex ? op->ex((out), &O[1], (a), s) : op->plain((out), (a), s))
            snprintf(msg, sizeof msg, "[%s]", op->name);
            ARGS(op->name, CALL(NULL, f), LAPIS_ERR_INVALID_ARGUMENT, msg);
            ARGS(op->name, CALL(&O[0], NULL), LAPIS_ERR_INVALID_ARGUMENT, msg);
            if (ex) {
                reset();
                expect(op->ex(&O[0], NULL, f, s), LAPIS_ERR_INVALID_ARGUMENT, msg, false,
                       "info NULL", op->name);
            }
            snprintf(msg, sizeof msg,
                     "[%s] Arrays must have type float32, float64, complex64 or complex128. "
                     "Received array with type int32.",
                     op->name);
            ARGS_MSG(op->name, CALL(&O[0], i32), LAPIS_ERR_DTYPE, msg);
            /* check order: dtype before ndim */
            ARGS_MSG(op->name, CALL(&O[0], i1), LAPIS_ERR_DTYPE, msg);
            /* complex is accepted, except by the jittered Cholesky */
            if (op->plain == jit) {
                snprintf(msg, sizeof msg,
                         "[%s] Jittered Cholesky supports float32 and float64 only. Received "
                         "array with type complex64.",
                         op->name);
                ARGS_MSG(op->name, CALL(&O[0], c64), LAPIS_ERR_DTYPE, msg);
            }
            snprintf(msg, sizeof msg,
                     "[%s] Arrays must have >= 2 dimensions. Received array with 1 dimensions.",
                     op->name);
            ARGS_MSG(op->name, CALL(&O[0], v), LAPIS_ERR_SHAPE, msg);
            snprintf(msg, sizeof msg,
                     "[%s] Arrays must have >= 2 dimensions. Received array with 0 dimensions.",
                     op->name);
            ARGS_MSG(op->name, CALL(&O[0], s0), LAPIS_ERR_SHAPE, msg);
            snprintf(msg, sizeof msg, "[%s] %s", op->name, op->square_msg);
            ARGS_MSG(op->name, CALL(&O[0], r), LAPIS_ERR_SHAPE, msg);
#undef CALL
        }
    }
    /* jitter's own arguments */
    lapis_array j = H_SENTINEL, in = H_SENTINEL;
    reset();
    expect(lapis_linalg_cholesky_jitter(&O[0], &j, &in, f, false, -1, s), LAPIS_ERR_INVALID_ARGUMENT,
           "[linalg::cholesky]", false, "jitter max_tries -1", "linalg::cholesky_jitter");
    reset();
    expect(lapis_linalg_cholesky_jitter(&O[0], NULL, &in, f, false, 0, s), LAPIS_ERR_INVALID_ARGUMENT,
           "[linalg::cholesky]", false, "jitter NULL", "linalg::cholesky_jitter");
    reset();
    expect(lapis_linalg_cholesky_jitter(&O[0], &j, NULL, f, false, 0, s), LAPIS_ERR_INVALID_ARGUMENT,
           "[linalg::cholesky]", false, "info NULL", "linalg::cholesky_jitter");
    H_CHECK(j == H_SENTINEL && in == H_SENTINEL, "jitter outputs written on error");
    lapis_array_free(f);
    lapis_array_free(i32);
    lapis_array_free(c64);
    lapis_array_free(v);
    lapis_array_free(r);
    lapis_array_free(i1);
    lapis_array_free(s0);
}

static void lu_family(lapis_stream s) {
    lapis_array f = mk(LAPIS_FLOAT32, 2, 3, 3, 0), i32 = mk(LAPIS_INT32, 2, 3, 3, 0);
    lapis_array v = mk(LAPIS_FLOAT64, 1, 4, 0, 0), r = mk(LAPIS_FLOAT64, 2, 3, 4, 0);
    lapis_array c = mk(LAPIS_COMPLEX128, 2, 3, 3, 0);
    const char *op = "linalg::lu_factor";
    ARGS(op, lapis_linalg_lu_factor(NULL, &O[1], f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu_factor]");
    ARGS(op, lapis_linalg_lu_factor(&O[0], NULL, f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu_factor]");
    ARGS(op, lapis_linalg_lu_factor(&O[0], &O[1], NULL, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu_factor]");
    ARGS(op, lapis_linalg_lu_factor_ex(&O[0], &O[1], NULL, f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu_factor]");
    ARGS_MSG(op, lapis_linalg_lu_factor(&O[0], &O[1], i32, s), LAPIS_ERR_DTYPE,
             "[linalg::lu_factor] Arrays must have type float32, float64, complex64 or complex128. Received array with type int32.");
    ARGS_MSG(op, lapis_linalg_lu_factor_ex(&O[0], &O[1], &O[2], v, s), LAPIS_ERR_SHAPE,
             "[linalg::lu_factor] Arrays must have >= 2 dimensions. Received array with 1 dimensions.");
    op = "linalg::lu";
    ARGS(op, lapis_linalg_lu(NULL, &O[1], &O[2], f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu]");
    ARGS(op, lapis_linalg_lu(&O[0], NULL, &O[2], f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu]");
    ARGS(op, lapis_linalg_lu(&O[0], &O[1], NULL, f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu]");
    ARGS(op, lapis_linalg_lu(&O[0], &O[1], &O[2], NULL, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::lu]");
    ARGS_MSG(op, lapis_linalg_lu(&O[0], &O[1], &O[2], i32, s), LAPIS_ERR_DTYPE,
             "[linalg::lu] Arrays must have type float32, float64, complex64 or complex128. Received array with type int32.");
    ARGS_MSG(op, lapis_linalg_lu(&O[0], &O[1], &O[2], v, s), LAPIS_ERR_SHAPE,
             "[linalg::lu] Arrays must have >= 2 dimensions. Received array with 1 dimensions.");
    op = "linalg::det";
    ARGS(op, lapis_linalg_det(NULL, f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::det]");
    ARGS(op, lapis_linalg_det(&O[0], NULL, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::det]");
    ARGS_MSG(op, lapis_linalg_det(&O[0], v, s), LAPIS_ERR_SHAPE,
             "[linalg::det] Arrays must have >= 2 dimensions. Received array with 1 dimensions.");
    ARGS_MSG(op, lapis_linalg_det(&O[0], r, s), LAPIS_ERR_SHAPE, "[linalg::det] Only defined for square matrices.");
    op = "linalg::slogdet";
    ARGS(op, lapis_linalg_slogdet(NULL, &O[1], f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::slogdet]");
    ARGS(op, lapis_linalg_slogdet(&O[0], NULL, f, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::slogdet]");
    ARGS(op, lapis_linalg_slogdet(&O[0], &O[1], NULL, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::slogdet]");
    ARGS_MSG(op, lapis_linalg_slogdet(&O[0], &O[1], r, s), LAPIS_ERR_SHAPE,
             "[linalg::slogdet] Only defined for square matrices.");
    lapis_array_free(f);
    lapis_array_free(i32);
    lapis_array_free(v);
    lapis_array_free(r);
    lapis_array_free(c);
}

typedef lapis_status (*solve_fn)(lapis_array *, lapis_array *, lapis_array, lapis_array, lapis_stream);
static lapis_status sv(lapis_array *x, lapis_array *i, lapis_array a, lapis_array b, lapis_stream s) {
    return i ? lapis_linalg_solve_ex(x, i, a, b, s) : lapis_linalg_solve(x, a, b, s);
}
static lapis_status st_(lapis_array *x, lapis_array *i, lapis_array a, lapis_array b, lapis_stream s) {
    return i ? lapis_linalg_solve_triangular_ex(x, i, a, b, true, s)
             : lapis_linalg_solve_triangular(x, a, b, false, s);
}

static void solve_family(lapis_stream s) {
    lapis_array a = mk(LAPIS_FLOAT64, 2, 3, 3, 0), b = mk(LAPIS_FLOAT64, 2, 3, 2, 0);
    lapis_array v = mk(LAPIS_FLOAT64, 1, 3, 0, 0), s0 = mk(LAPIS_FLOAT64, 0, 0, 0, 0);
    lapis_array r = mk(LAPIS_FLOAT64, 2, 3, 4, 0), b42 = mk(LAPIS_FLOAT64, 2, 4, 2, 0);
    lapis_array v4 = mk(LAPIS_FLOAT64, 1, 4, 0, 0);
    lapis_array ai = mk(LAPIS_INT32, 2, 3, 3, 0), bi = mk(LAPIS_INT32, 2, 3, 2, 0);
    lapis_array bf32 = mk(LAPIS_FLOAT32, 2, 3, 2, 0), ac = mk(LAPIS_COMPLEX64, 2, 3, 3, 0);
    lapis_array a233 = mk(LAPIS_FLOAT64, 3, 2, 3, 3), b332 = mk(LAPIS_FLOAT64, 3, 3, 3, 2);
    static const struct {
        const char *name;
        solve_fn fn;
    } ops[2] = {{"linalg::solve", sv}, {"linalg::solve_triangular", st_}};
    char m[300];
    for (int k = 0; k < 2; k++)
        for (int ex = 0; ex < 2; ex++) {
            const char *n = ops[k].name;
            lapis_array *inf = ex ? &O[1] : NULL;
            snprintf(m, sizeof m, "[%s]", n);
            ARGS(n, ops[k].fn(NULL, inf, a, b, s), LAPIS_ERR_INVALID_ARGUMENT, m);
            ARGS(n, ops[k].fn(&O[0], inf, NULL, b, s), LAPIS_ERR_INVALID_ARGUMENT, m);
            ARGS(n, ops[k].fn(&O[0], inf, a, NULL, s), LAPIS_ERR_INVALID_ARGUMENT, m);
            snprintf(m, sizeof m,
                     "[%s] First input must have >= 2 dimensions. Received array with 1 dimensions.", n);
            ARGS_MSG(n, ops[k].fn(&O[0], inf, v, b, s), LAPIS_ERR_SHAPE, m);
            snprintf(m, sizeof m,
                     "[%s] Second input must have >= 1 dimensions. Received array with 0 dimensions.", n);
            ARGS_MSG(n, ops[k].fn(&O[0], inf, a, s0, s), LAPIS_ERR_SHAPE, m);
            snprintf(m, sizeof m, "[%s] First input must be a square matrix. Received array with shape", n);
            ARGS(n, ops[k].fn(&O[0], inf, r, b, s), LAPIS_ERR_SHAPE, m);
            snprintf(m, sizeof m, "[%s] Last dimension of first input with shape", n);
            ARGS(n, ops[k].fn(&O[0], inf, a, b42, s), LAPIS_ERR_SHAPE, m);
            ARGS(n, ops[k].fn(&O[0], inf, a, v4, s), LAPIS_ERR_SHAPE, m);
            snprintf(m, sizeof m,
                     "[%s] Input arrays must promote to float32, float64, complex64 or complex128.  "
                     "Received arrays with type "
                     "int32 and int32.",
                     n);
            ARGS_MSG(n, ops[k].fn(&O[0], inf, ai, bi, s), LAPIS_ERR_DTYPE, m);
            snprintf(m, sizeof m,
                     "[%s] Arrays must have type float32, float64, complex64 or complex128. Received array with type int32.", n);
            ARGS_MSG(n, ops[k].fn(&O[0], inf, ai, bf32, s), LAPIS_ERR_DTYPE, m);
            snprintf(m, sizeof m, "[%s]", n);
            /* batch broadcast mismatch: (2,3,3) with (3,3,2) */
            ARGS(n, ops[k].fn(&O[0], inf, a233, b332, s), LAPIS_ERR_SHAPE, m);
        }
    /* the _ex info pointer NULL (direct calls) */
    ARGS("linalg::solve", lapis_linalg_solve_ex(&O[0], NULL, a, b, s), LAPIS_ERR_INVALID_ARGUMENT, "[linalg::solve]");
    ARGS("linalg::solve_triangular", lapis_linalg_solve_triangular_ex(&O[0], NULL, a, b, false, s),
         LAPIS_ERR_INVALID_ARGUMENT, "[linalg::solve_triangular]");
    lapis_array arrs[] = {a, b, v, s0, r, b42, v4, ai, bi, bf32, ac, a233, b332};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) lapis_array_free(arrs[i]);
}

static void helpers(lapis_stream s) {
    lapis_array a = mk(LAPIS_FLOAT32, 2, 2, 3, 0), b = mk(LAPIS_FLOAT32, 2, 4, 2, 0);
    lapis_array s0 = mk(LAPIS_FLOAT32, 0, 0, 0, 0), v = mk(LAPIS_FLOAT32, 1, 3, 0, 0);
    lapis_array a233 = mk(LAPIS_FLOAT32, 3, 2, 3, 3), b333 = mk(LAPIS_FLOAT32, 3, 3, 3, 3);
    ARGS("matmul", lapis_matmul(NULL, a, b, s), LAPIS_ERR_INVALID_ARGUMENT, "[matmul]");
    ARGS("matmul", lapis_matmul(&O[0], NULL, b, s), LAPIS_ERR_INVALID_ARGUMENT, "[matmul]");
    ARGS("matmul", lapis_matmul(&O[0], a, NULL, s), LAPIS_ERR_INVALID_ARGUMENT, "[matmul]");
    ARGS("matmul", lapis_matmul(&O[0], a, b, s), LAPIS_ERR_SHAPE, "[matmul]");
    ARGS("matmul", lapis_matmul(&O[0], s0, v, s), LAPIS_ERR_SHAPE, "[matmul]");
    ARGS("matmul", lapis_matmul(&O[0], a233, b333, s), LAPIS_ERR_SHAPE, "[matmul]");
    ARGS("transpose", lapis_transpose(NULL, a, s), LAPIS_ERR_INVALID_ARGUMENT, "[transpose]");
    ARGS("transpose", lapis_transpose(&O[0], NULL, s), LAPIS_ERR_INVALID_ARGUMENT, "[transpose]");
    ARGS("transpose", lapis_transpose(&O[0], v, s), LAPIS_ERR_SHAPE, "[transpose]");
    ARGS("eye", lapis_eye(NULL, 3, -1, LAPIS_FLOAT32), LAPIS_ERR_INVALID_ARGUMENT, "[eye]");
    ARGS("eye", lapis_eye(&O[0], 3, -1, LAPIS_INT32), LAPIS_ERR_DTYPE, "[eye]");
    ARGS("eye", lapis_eye(&O[0], 3, -1, (lapis_dtype)42), LAPIS_ERR_DTYPE, "[eye]");
    ARGS("eye", lapis_eye(&O[0], -2, -1, LAPIS_FLOAT32), LAPIS_ERR_SHAPE, "[eye]");
    ARGS("astype", lapis_astype(NULL, a, LAPIS_FLOAT64, s), LAPIS_ERR_INVALID_ARGUMENT, "[astype]");
    ARGS("astype", lapis_astype(&O[0], NULL, LAPIS_FLOAT64, s), LAPIS_ERR_INVALID_ARGUMENT, "[astype]");
    ARGS("astype", lapis_astype(&O[0], a, (lapis_dtype)9, s), LAPIS_ERR_DTYPE, "[astype]");
    int64_t sh[2] = {2, 2}, neg[2] = {2, -1}, big9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    ARGS("random_normal", lapis_random_normal(NULL, sh, 2, LAPIS_FLOAT32, 1), LAPIS_ERR_INVALID_ARGUMENT, "[random_normal]");
    ARGS("random_normal", lapis_random_normal(&O[0], sh, 2, LAPIS_INT64, 1), LAPIS_ERR_DTYPE, "[random_normal]");
    ARGS("random_normal", lapis_random_normal(&O[0], neg, 2, LAPIS_FLOAT32, 1), LAPIS_ERR_SHAPE, "[random_normal]");
    ARGS("random_normal", lapis_random_normal(&O[0], big9, 9, LAPIS_FLOAT32, 1), LAPIS_ERR_SHAPE, "[random_normal]");
    ARGS("random_normal", lapis_random_normal(&O[0], NULL, 2, LAPIS_FLOAT32, 1), LAPIS_ERR_INVALID_ARGUMENT, "[random_normal]");
    bool flag = true;
    reset();
    expect(lapis_allclose(NULL, a, a, 0, 0), LAPIS_ERR_INVALID_ARGUMENT, "[allclose]", false, "allclose out NULL", "allclose");
    expect(lapis_allclose(&flag, NULL, a, 0, 0), LAPIS_ERR_INVALID_ARGUMENT, "[allclose]", false, "allclose a NULL", "allclose");
    expect(lapis_allclose(&flag, a, NULL, 0, 0), LAPIS_ERR_INVALID_ARGUMENT, "[allclose]", false, "allclose b NULL", "allclose");
    H_CHECK(flag == true, "allclose wrote *out on error");
    lapis_array arrs[] = {a, b, s0, v, a233, b333};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) lapis_array_free(arrs[i]);
}

static void arrays_devices(void) {
    int64_t sh[2] = {2, 3}, neg[2] = {2, -3}, ovf[2] = {INT64_MAX / 2, 4};
    int64_t szo[2] = {(int64_t)1 << 40, (int64_t)1 << 22}; /* 2^62 elements: bytes overflow */
    double data[6] = {1, 2, 3, 4, 5, 6};
    const char *op = "array_from_data";
    ARGS(op, lapis_array_from_data(NULL, data, sh, 2, LAPIS_FLOAT64), LAPIS_ERR_INVALID_ARGUMENT, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], NULL, sh, 2, LAPIS_FLOAT64), LAPIS_ERR_INVALID_ARGUMENT, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, NULL, 2, LAPIS_FLOAT64), LAPIS_ERR_INVALID_ARGUMENT, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, sh, -1, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, sh, 9, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, neg, 2, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, ovf, 2, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, szo, 2, LAPIS_COMPLEX128), LAPIS_ERR_SHAPE, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, sh, 2, (lapis_dtype)8), LAPIS_ERR_DTYPE, "[array_from_data]");
    ARGS(op, lapis_array_from_data(&O[0], data, sh, 2, (lapis_dtype)-3), LAPIS_ERR_DTYPE, "[array_from_data]");
    op = "array_zeros";
    ARGS(op, lapis_array_zeros(NULL, sh, 2, LAPIS_FLOAT64), LAPIS_ERR_INVALID_ARGUMENT, "[array_zeros]");
    ARGS(op, lapis_array_zeros(&O[0], neg, 2, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_zeros]");
    ARGS(op, lapis_array_zeros(&O[0], ovf, 2, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_zeros]");
    ARGS(op, lapis_array_zeros(&O[0], sh, 2, (lapis_dtype)99), LAPIS_ERR_DTYPE, "[array_zeros]");
    /* data may be NULL for size 0 */
    int64_t z[2] = {0, 5};
    lapis_array e = NULL;
    if (H_OK(lapis_array_from_data(&e, NULL, z, 2, LAPIS_FLOAT32))) {
        H_CHECK(lapis_array_size(e) == 0 && lapis_array_nbytes(e) == 0, "empty array size");
        H_OK(lapis_array_read(e, NULL, 0));
    }
    lapis_array_free(e);
    /* array_read */
    lapis_array a = NULL;
    if (H_OK(lapis_array_from_data(&a, data, sh, 2, LAPIS_FLOAT64))) {
        double dst[6] = {-1, -1, -1, -1, -1, -1};
        reset();
        expect(lapis_array_read(NULL, dst, sizeof dst), LAPIS_ERR_INVALID_ARGUMENT, "[array_read]", false, "read NULL", "array_read");
        expect(lapis_array_read(a, NULL, sizeof dst), LAPIS_ERR_INVALID_ARGUMENT, "[array_read]", false, "read dst NULL", "array_read");
        expect(lapis_array_read(a, dst, sizeof dst - 1), LAPIS_ERR_INVALID_ARGUMENT, "[array_read]", false, "read too small", "array_read");
        H_CHECK(dst[0] == -1 && dst[5] == -1, "array_read copied into a too small buffer");
    }
    lapis_array_free(a);
    /* devices and streams */
    lapis_device gpu = {LAPIS_GPU, 0}, cpu1 = {LAPIS_CPU, 1}, gpu99 = {LAPIS_GPU, 99};
    lapis_stream st = (lapis_stream)(uintptr_t)0x5e5e5e50;
    reset();
    expect(lapis_stream_new(NULL, (lapis_device){LAPIS_CPU, 0}), LAPIS_ERR_INVALID_ARGUMENT, "[stream_new]", false, "stream_new NULL", "stream_new");
    expect(lapis_stream_new(&st, cpu1), LAPIS_ERR_UNSUPPORTED, "[stream_new]", false, "stream_new cpu:1", "stream_new");
    expect(lapis_stream_new(&st, gpu99), LAPIS_ERR_UNSUPPORTED, "[stream_new]", false, "stream_new gpu:99", "stream_new");
    expect(lapis_push_default_device(gpu99), LAPIS_ERR_UNSUPPORTED, "[push_default_device]", false, "push gpu:99", "push_default_device");
    expect(lapis_set_default_device(cpu1), LAPIS_ERR_UNSUPPORTED, "[set_default_device]", false, "set cpu:1", "set_default_device");
    if (!lapis_device_is_available(gpu)) {
        H_CHECK(lapis_device_count(LAPIS_GPU) == 0 || !lapis_device_is_available(gpu), "gpu count");
        expect(lapis_stream_new(&st, gpu), LAPIS_ERR_UNSUPPORTED, "[stream_new]", false, "stream_new gpu", "stream_new");
        expect(lapis_push_default_device(gpu), LAPIS_ERR_UNSUPPORTED, "[push_default_device]", false, "push gpu", "push_default_device");
        expect(lapis_set_default_device(gpu), LAPIS_ERR_UNSUPPORTED, "[set_default_device]", false, "set gpu", "set_default_device");
        H_CHECK(lapis_default_device().type == LAPIS_CPU, "default device is the CPU without a GPU");
    }
    H_CHECK(st == (lapis_stream)(uintptr_t)0x5e5e5e50, "stream_new wrote its output on error");
    expect(lapis_pop_default_device(), LAPIS_ERR_INVALID_ARGUMENT, "[pop_default_device]", false, "pop empty", "pop_default_device");
    /* the scope stack holds 64 */
    int pushed = 0;
    lapis_device cpu = {LAPIS_CPU, 0};
    while (pushed < 64 && lapis_push_default_device(cpu) == LAPIS_OK) pushed++;
    H_CHECK(pushed == 64, "pushed %d scopes, want 64", pushed);
    expect(lapis_push_default_device(cpu), LAPIS_ERR_INVALID_ARGUMENT, "[push_default_device]", false, "push 65th", "push_default_device");
    for (int i = 0; i < pushed; i++) H_OK(lapis_pop_default_device());
    /* never-NULL names */
    for (int v = -1; v <= 11; v++)
        H_CHECK(lapis_status_string((lapis_status)v) != NULL &&
                    strncmp(lapis_status_string((lapis_status)v), "LAPIS_", 6) == 0,
                "status string %d", v);
    H_CHECK(lapis_dtype_size((lapis_dtype)8) == 0 && strcmp(lapis_dtype_name((lapis_dtype)8), "unknown") == 0,
            "dtype out of range");
    /* NULL handles are harmless */
    lapis_array_free(NULL);
    lapis_stream_free(NULL);
    H_CHECK(lapis_array_ndim(NULL) == 0 && lapis_array_shape(NULL) == NULL && lapis_array_size(NULL) == 0 &&
                lapis_array_nbytes(NULL) == 0,
            "accessors on NULL");
}

int main(void) {
    h_init("test_args");
    for (int d = 0; d < h_ndev(); d++) {
        lapis_stream streams[2] = {NULL, h_dev_at(d)->stream};
        for (int k = 0; k < 2; k++) {
            square_family(streams[k]);
            lu_family(streams[k]);
            solve_family(streams[k]);
            helpers(streams[k]);
        }
    }
    arrays_devices();
    return h_finish();
}
