/*
 * Index safety (issue 4, item 4).
 *
 * Quick (always): absurd shapes — sizes overflowing int64 or size_t, or
 * needing terabytes — give LAPIS_ERR_SHAPE or LAPIS_ERR_OUT_OF_MEMORY from
 * array creation, eye, random_normal and matmul broadcasting, and every op
 * on an empty batch of huge matrices (shape (0, 2^31, 2^31): size 0, but
 * n*n*sizeof overflows size_t) or on (2^40, 0) matrices answers OK with
 * the right (empty) shapes, or SHAPE / OUT_OF_MEMORY, without crashing.
 *
 * Big (LAPIS_TEST_BIG=1 or LAPIS_TEST_FULL=1): one batch of more than 2^31
 * elements that fits in ~9 GB: solve_triangular of a (2000, 1, 33, 33)
 * against b (1, 1000, 33, 33), float32, broadcasting to x (2000, 1000, 33,
 * 33) = 2.18e9 elements (8.7 GB); then y = x @ v (v 33 x 1, 264 MB) is read
 * and every one of its 2,000,000 vectors is checked against a float64 host
 * solve T_i y = (b_j v). LAPIS_ERR_OUT_OF_MEMORY is accepted as clean.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include "harness.h"

/* Huge allocations must come back NULL under ASan, not abort the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

#define BIG (INT64_C(1) << 40)
#define N31 (INT64_C(1) << 31)

static bool clean_fail(lapis_status st) {
    return st == LAPIS_ERR_SHAPE || st == LAPIS_ERR_OUT_OF_MEMORY;
}

/* ---- array creation -------------------------------------------------------------- */

static void creation(void) {
    static const struct {
        int nd;
        int64_t s[3];
        const char *what;
    } shapes[] = {
        {2, {BIG, BIG}, "(2^40, 2^40)"},
        {3, {INT64_C(1) << 62, 4, 4}, "(2^62, 4, 4)"},
        {2, {N31, N31}, "(2^31, 2^31)"},
        {1, {INT64_MAX}, "(INT64_MAX,)"},
        {1, {BIG}, "(2^40,)"},
        {3, {N31, N31, 2}, "(2^31, 2^31, 2)"},
        {2, {INT64_C(3037000500), INT64_C(3037000500)}, "(3037000500, 3037000500)"},
    };
    static const lapis_dtype dts[] = {LAPIS_FLOAT32, LAPIS_FLOAT64, LAPIS_COMPLEX128, LAPIS_BOOL};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
            char what[96];
            snprintf(what, sizeof what, "%s %s", shapes[i].what, lapis_dtype_name(dts[d]));
            if (getenv("LAPIS_REL_VERBOSE")) fprintf(stderr, "  create %s\n", what);
            lapis_array a = H_SENTINEL;
            lapis_status st = lapis_array_zeros(&a, shapes[i].s, shapes[i].nd, dts[d]);
            H_CHECK(clean_fail(st) && a == H_SENTINEL, "array_zeros %s: %s", what,
                    lapis_status_string(st));
            a = H_SENTINEL;
            static const float dummy[4];
            st = lapis_array_from_data(&a, dummy, shapes[i].s, shapes[i].nd, dts[d]);
            H_CHECK(clean_fail(st) && a == H_SENTINEL, "array_from_data %s: %s", what,
                    lapis_status_string(st));
            if (dts[d] == LAPIS_BOOL) continue;
            a = H_SENTINEL;
            st = lapis_random_normal(&a, shapes[i].s, shapes[i].nd, dts[d], 1);
            H_CHECK(clean_fail(st) && a == H_SENTINEL, "random_normal %s: %s", what,
                    lapis_status_string(st));
            if (shapes[i].nd == 2) {
                a = H_SENTINEL;
                st = lapis_eye(&a, shapes[i].s[0], shapes[i].s[1], dts[d]);
                H_CHECK(clean_fail(st) && a == H_SENTINEL, "eye %s: %s", what,
                        lapis_status_string(st));
            }
        }
    /* negative sizes anywhere */
    int64_t neg[3] = {2, -1, 3}, negbig[2] = {INT64_MIN, 1};
    lapis_array a = H_SENTINEL;
    H_STATUS(lapis_array_zeros(&a, neg, 3, LAPIS_FLOAT32), LAPIS_ERR_SHAPE, "[array_zeros]",
             "array_zeros (2, -1, 3)");
    H_STATUS(lapis_array_zeros(&a, negbig, 2, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, "[array_zeros]",
             "array_zeros (INT64_MIN, 1)");
    H_STATUS(lapis_eye(&a, -5, 3, LAPIS_FLOAT64), LAPIS_ERR_SHAPE, NULL, "eye(-5, 3)");
    H_CHECK(a == H_SENTINEL, "outputs untouched on error");
    /* a zero dimension makes any other size valid */
    int64_t zero_big[3] = {0, INT64_C(1) << 62, INT64_C(1) << 62};
    lapis_array z = NULL;
    if (H_OK(lapis_array_zeros(&z, zero_big, 3, LAPIS_FLOAT64)))
        H_CHECK(lapis_array_size(z) == 0 && lapis_array_nbytes(z) == 0, "(0, 2^62, 2^62) is empty");
    lapis_array_free(z);
}

/* ---- matmul broadcasting to an impossible output ----------------------------------- */

static void matmul_huge(const h_dev *dev) {
    /* a (2^11, 1, 2^11, 1) @ b (1, 2^11, 1, 2^11) -> (2^11, 2^11, 2^11, 2^11) = 2^44 */
    int64_t sa[4] = {2048, 1, 2048, 1}, sb[4] = {1, 2048, 1, 2048};
    lapis_array a = NULL, b = NULL, c = H_SENTINEL;
    if (H_OK(lapis_array_zeros(&a, sa, 4, LAPIS_FLOAT32)) &&
        H_OK(lapis_array_zeros(&b, sb, 4, LAPIS_FLOAT32))) {
        lapis_status st = lapis_matmul(&c, a, b, dev->stream);
        H_CHECK(clean_fail(st) && c == H_SENTINEL, "matmul to a 2^44 output (%s): %s", dev->name,
                lapis_status_string(st));
    }
    lapis_array_free(a);
    lapis_array_free(b);
    /* inner dimension 0: empty inputs, an output of 2^44 (zero-filled) or 2^80
     * elements */
    static const int64_t outer[2] = {INT64_C(1) << 22, BIG};
    for (int i = 0; i < 2; i++) {
        int64_t sa2[2] = {outer[i], 0}, sb2[2] = {0, outer[i]};
        a = b = NULL;
        c = H_SENTINEL;
        if (H_OK(lapis_array_zeros(&a, sa2, 2, LAPIS_FLOAT64)) &&
            H_OK(lapis_array_zeros(&b, sb2, 2, LAPIS_FLOAT64))) {
            lapis_status st = lapis_matmul(&c, a, b, dev->stream);
            H_CHECK(clean_fail(st) && c == H_SENTINEL, "matmul (%lld, 0) @ (0, %lld) (%s): %s",
                    (long long)outer[i], (long long)outer[i], dev->name, lapis_status_string(st));
        }
        lapis_array_free(a);
        lapis_array_free(b);
    }
}

/* ---- every op on empty batches of huge matrices and on (2^40, 0) -------------------- */

typedef enum {
    X_CHOL, X_CHOLINV, X_INV, X_TRIINV, X_SOLVE, X_SOLVETRI, X_LU, X_LUF, X_DET, X_SLOGDET,
    X_QR, X_SVD, X_SVDFULL, X_EIGH, X_EIGVALSH, X_EIG, X_PINV, X_LSTSQ, X_NORM, X_MATMUL,
    X_NOPS
} xop;
static const char *k_xnames[X_NOPS] = {
    "cholesky", "cholesky_inv", "inv", "tri_inv", "solve", "solve_triangular", "lu",
    "lu_factor", "det", "slogdet", "qr", "svd", "svd(full)", "eigh", "eigvalsh", "eig", "pinv",
    "lstsq", "norm", "matmul"};

static bool square_op(xop op) {
    return op != X_LU && op != X_LUF && op != X_QR && op != X_SVD && op != X_SVDFULL &&
           op != X_PINV && op != X_LSTSQ && op != X_NORM && op != X_MATMUL;
}

static lapis_status run_x(xop op, lapis_array *o, lapis_array a, lapis_array b, lapis_stream s) {
    switch (op) {
    case X_CHOL: return lapis_linalg_cholesky_ex(&o[0], &o[1], a, false, s);
    case X_CHOLINV: return lapis_linalg_cholesky_inv_ex(&o[0], &o[1], a, true, s);
    case X_INV: return lapis_linalg_inv_ex(&o[0], &o[1], a, s);
    case X_TRIINV: return lapis_linalg_tri_inv_ex(&o[0], &o[1], a, false, s);
    case X_SOLVE: return lapis_linalg_solve_ex(&o[0], &o[1], a, b, s);
    case X_SOLVETRI: return lapis_linalg_solve_triangular_ex(&o[0], &o[1], a, b, true, s);
    case X_LU: return lapis_linalg_lu(&o[0], &o[1], &o[2], a, s);
    case X_LUF: return lapis_linalg_lu_factor_ex(&o[0], &o[1], &o[2], a, s);
    case X_DET: return lapis_linalg_det(&o[0], a, s);
    case X_SLOGDET: return lapis_linalg_slogdet(&o[0], &o[1], a, s);
    case X_QR: return lapis_linalg_qr_ex(&o[0], &o[1], &o[2], a, s);
    case X_SVD: return lapis_linalg_svd_ex(NULL, &o[0], NULL, &o[1], a, false, s);
    case X_SVDFULL: return lapis_linalg_svd_ex(&o[0], &o[1], &o[2], &o[3], a, true, s);
    case X_EIGH: return lapis_linalg_eigh_ex(&o[0], &o[1], &o[2], a, false, s);
    case X_EIGVALSH: return lapis_linalg_eigvalsh_ex(&o[0], &o[1], a, false, s);
    case X_EIG: return lapis_linalg_eig_ex(&o[0], &o[1], &o[2], a, s);
    case X_PINV: return lapis_linalg_pinv(&o[0], a, s);
    case X_LSTSQ: return lapis_linalg_lstsq_ex(&o[0], &o[1], &o[2], &o[3], &o[4], a, b, -1, s);
    case X_NORM: {
        int axes[2] = {-2, -1};
        return lapis_linalg_norm(&o[0], a, LAPIS_NORM_FRO, 0, axes, 2, false, s);
    }
    case X_MATMUL: return lapis_matmul(&o[0], a, b, s);
    default: return LAPIS_ERR_INTERNAL;
    }
}

/* Runs every op on a (and b); OK, SHAPE, OUT_OF_MEMORY or UNSUPPORTED
 * (op not built on this backend) are clean; OK outputs must be readable. */
static void sweep(const h_dev *dev, lapis_array a, lapis_array b, bool square, const char *what) {
    for (int op = 0; op < X_NOPS; op++) {
        if (square_op((xop)op) && !square) continue;
        lapis_array o[5] = {0};
        char desc[160];
        snprintf(desc, sizeof desc, "%s on %s (%s)", k_xnames[op], what, dev->name);
        if (getenv("LAPIS_REL_VERBOSE")) fprintf(stderr, "  %s\n", desc);
        h_watchdog(30, desc);
        lapis_status st = run_x((xop)op, o, a, b, dev->stream);
        h_watchdog_off();
        if (getenv("LAPIS_REL_VERBOSE")) fprintf(stderr, "    -> %s\n", lapis_status_string(st));
        H_CHECK(st == LAPIS_OK || clean_fail(st) || st == LAPIS_ERR_UNSUPPORTED, "%s: %s (%s)",
                desc, lapis_status_string(st), lapis_last_error());
        for (int i = 0; i < 5; i++) {
            if (!o[i]) continue;
            size_t nb = lapis_array_nbytes(o[i]);
            if (nb <= ((size_t)1 << 20)) {
                void *buf = malloc(nb + 1);
                lapis_status rs = buf ? lapis_array_read(o[i], buf, nb) : LAPIS_ERR_OUT_OF_MEMORY;
                H_CHECK(rs == LAPIS_OK, "%s: reading output %d: %s", desc, i,
                        lapis_status_string(rs));
                free(buf);
            }
            lapis_array_free(o[i]);
        }
        h_count(k_xnames[op], LAPIS_FLOAT64);
    }
}

static void empty_huge(const h_dev *dev) {
    static const lapis_dtype dts[2] = {LAPIS_FLOAT32, LAPIS_FLOAT64};
    for (int d = 0; d < 2; d++) {
        lapis_dtype dt = dts[d];
        /* an empty batch of 2^31 x 2^31 matrices */
        int64_t sa[3] = {0, N31, N31}, sb[3] = {0, N31, 1};
        lapis_array a = NULL, b = NULL;
        if (H_OK(lapis_array_zeros(&a, sa, 3, dt)) && H_OK(lapis_array_zeros(&b, sb, 3, dt)))
            sweep(dev, a, b, true, dt == LAPIS_FLOAT32 ? "f32 (0, 2^31, 2^31)" : "f64 (0, 2^31, 2^31)");
        lapis_array_free(a);
        lapis_array_free(b);
        /* an empty batch of 2^40 x 3 matrices (tall) and 3 x 2^40 (wide) */
        int64_t st[3] = {0, BIG, 3}, sw[3] = {0, 3, BIG}, sbt[3] = {0, BIG, 2};
        a = b = NULL;
        if (H_OK(lapis_array_zeros(&a, st, 3, dt)) && H_OK(lapis_array_zeros(&b, sbt, 3, dt)))
            sweep(dev, a, b, false, "(0, 2^40, 3)");
        lapis_array_free(a);
        lapis_array_free(b);
        a = b = NULL;
        int64_t sbw[3] = {0, 3, 2};
        if (H_OK(lapis_array_zeros(&a, sw, 3, dt)) && H_OK(lapis_array_zeros(&b, sbw, 3, dt)))
            sweep(dev, a, b, false, "(0, 3, 2^40)");
        lapis_array_free(a);
        lapis_array_free(b);
        /* matrices with one dimension 2^40 and the other 0: lu's P (2^40,) and
         * svd(full)'s U = I (2^40 x 2^40) cannot exist */
        int64_t s0[2] = {BIG, 0}, s0b[2] = {BIG, 1}, s1[2] = {0, BIG}, s1b[2] = {0, 1};
        a = b = NULL;
        if (H_OK(lapis_array_zeros(&a, s0, 2, dt)) && H_OK(lapis_array_zeros(&b, s1b, 2, dt)))
            sweep(dev, a, b, false, "(2^40, 0)");
        lapis_array_free(a);
        lapis_array_free(b);
        a = b = NULL;
        (void)s0b;
        if (H_OK(lapis_array_zeros(&a, s1, 2, dt)) && H_OK(lapis_array_zeros(&b, s0, 2, dt)))
            sweep(dev, a, b, false, "(0, 2^40)");
        lapis_array_free(a);
        lapis_array_free(b);
    }
}

/* ---- more than 2^31 elements -------------------------------------------------------- */

static void big_batch(const h_dev *dev) {
    const int64_t n = 33, B1 = 2000, B2 = 1000, nn = n * n;
    const lapis_dtype dt = LAPIS_FLOAT32;
    printf("test_rel_index: big case on %s: x (%lld, %lld, %lld, %lld) float32 = %.3g elements\n",
           dev->name, (long long)B1, (long long)B2, (long long)n, (long long)n,
           (double)(B1 * B2 * nn));
    double *t = h_alloc((size_t)(B1 * nn) * sizeof(double));
    double *bm = h_alloc((size_t)(B2 * nn) * sizeof(double));
    double *v = h_alloc((size_t)n * sizeof(double));
    double *c = h_alloc((size_t)(B2 * n) * sizeof(double));
    double *y = h_alloc((size_t)(B1 * B2 * n) * sizeof(double));
    lapis_array T = NULL, Bm = NULL, V = NULL, X = NULL, Y = NULL;
    if (!t || !bm || !v || !c || !y) goto out;
    for (int64_t i = 0; i < B1; i++)
        matgen_fill(t + i * nn, n, n, MATGEN_UPPER, 0, true, 10 + (uint64_t)i);
    for (int64_t i = 0; i < B2 * nn; i++) bm[i] = matgen_normal(20, (uint64_t)i);
    for (int64_t i = 0; i < n; i++) v[i] = matgen_normal(21, (uint64_t)i);
    h_round(t, B1 * nn, dt);
    h_round(bm, B2 * nn, dt);
    h_round(v, n, dt);
    int64_t st4[4] = {B1, 1, n, n}, sb4[4] = {1, B2, n, n}, sv[2] = {n, 1};
    T = h_array(t, st4, 4, dt);
    Bm = h_array(bm, sb4, 4, dt);
    V = h_array(v, sv, 2, dt);
    if (!T || !Bm || !V) goto out;
    h_watchdog(900, "big solve_triangular");
    lapis_status st = lapis_linalg_solve_triangular(&X, T, Bm, true, dev->stream);
    h_watchdog_off();
    if (st == LAPIS_ERR_OUT_OF_MEMORY) {
        printf("test_rel_index: big solve_triangular: clean out of memory\n");
        H_CHECK(X == NULL, "no output on OOM");
        goto out;
    }
    if (!H_OK(st)) goto out;
    const int64_t *xs = lapis_array_shape(X);
    H_CHECK(lapis_array_ndim(X) == 4 && xs[0] == B1 && xs[1] == B2 && xs[2] == n && xs[3] == n,
            "big x shape");
    h_watchdog(600, "big matmul");
    st = lapis_matmul(&Y, X, V, dev->stream);
    h_watchdog_off();
    lapis_array_free(X);
    X = NULL;
    if (st == LAPIS_ERR_OUT_OF_MEMORY) {
        printf("test_rel_index: big matmul: clean out of memory\n");
        goto out;
    }
    if (!H_OK(st) || !H_OK(h_read(Y, y))) goto out;
    /* c_j = b_j v in double; then T_i z = c_j by back substitution */
    for (int64_t j = 0; j < B2; j++)
        for (int64_t r = 0; r < n; r++) {
            double s = 0;
            for (int64_t q = 0; q < n; q++) s += bm[j * nn + r * n + q] * v[q];
            c[j * n + r] = s;
        }
    int64_t bad = 0, first_bad = -1;
    double worst = 0;
    for (int64_t i = 0; i < B1; i++) {
        const double *ti = t + i * nn;
        for (int64_t j = 0; j < B2; j++) {
            double z[33];
            for (int64_t r = n - 1; r >= 0; r--) {
                double s = c[j * n + r];
                for (int64_t q = r + 1; q < n; q++) s -= ti[r * n + q] * z[q];
                z[r] = s / ti[r * n + r];
            }
            const double *yij = y + (i * B2 + j) * n;
            double zn = 0, dn = 0;
            for (int64_t r = 0; r < n; r++) {
                zn = fmax(zn, fabs(z[r]));
                dn = fmax(dn, fabs(yij[r] - z[r]));
            }
            double rel = zn > 0 ? dn / zn : dn;
            if (!(rel <= worst)) worst = rel;
            if (!(rel < 1e-3)) {
                if (first_bad < 0) first_bad = i * B2 + j;
                bad++;
            }
        }
    }
    printf("test_rel_index: big case: worst relative error %.3g over %lld vectors\n", worst,
           (long long)(B1 * B2));
    H_CHECK(bad == 0, "big case: %lld of %lld matrices wrong, first at flat index %lld", (long long)bad,
            (long long)(B1 * B2), (long long)first_bad);
    h_count("solve_triangular(>2^31)", dt);
out:
    lapis_array_free(T);
    lapis_array_free(Bm);
    lapis_array_free(V);
    lapis_array_free(X);
    lapis_array_free(Y);
    free(t);
    free(bm);
    free(v);
    free(c);
    free(y);
}

int main(void) {
    h_init("test_rel_index");
    const char *big = getenv("LAPIS_TEST_BIG");
    bool run_big = h_full() || (big && *big && strcmp(big, "0") != 0);
#ifndef __SANITIZE_ADDRESS__
    /* A bug that really allocates (and fills) tens of GB must fail here, not
     * wake the kernel's OOM killer on a shared CI machine. Not with a GPU:
     * CUDA reserves far more address space than it uses, and managed
     * allocations fail under an address-space limit. */
    if (!run_big && !lapis_device_is_available((lapis_device){LAPIS_GPU, 0})) {
        struct rlimit rl = {(rlim_t)8 << 30, (rlim_t)8 << 30};
        setrlimit(RLIMIT_AS, &rl);
    }
#endif
    creation();
    for (int d = 0; d < h_ndev(); d++) {
        matmul_huge(h_dev_at(d));
        empty_huge(h_dev_at(d));
    }
    if (run_big)
        for (int d = 0; d < h_ndev(); d++) big_batch(h_dev_at(d));
    return h_finish();
}
