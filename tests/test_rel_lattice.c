/*
 * Lattice gaps of issue 4, item 2, left by the per-family tests:
 *  1. rectangular lu / lu_factor over every lattice size n: (n, 0), (0, n),
 *     (1, n), (n, 1), (4n, n), (n, 4n), random and ill-conditioned;
 *  2. non-finite input (NaN, +Inf, -Inf at (0,0), the last diagonal element,
 *     an off-diagonal element and the unreferenced triangle) for every op,
 *     in the middle of a batch, each call under a 10 s watchdog: info < 0
 *     and NaN outputs for that matrix only, success where only the
 *     unreferenced triangle is bad;
 *  3. matrix types the family lattices skip: solve on Pascal, Wilkinson,
 *     arithmetic and clustered spectra; tri_inv / solve_triangular on the
 *     triangles of graded, Hilbert, Pascal, Wilkinson and Kahan matrices.
 * LAPIS_TEST_FULL=1 runs every size and every batch position.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- 1. rectangular LU ---------------------------------------------------------- */

static bool is_perm(const double *p, int64_t m) {
    bool ok = true;
    char *seen = calloc((size_t)m + 1, 1);
    for (int64_t i = 0; i < m && ok; i++) {
        ok = p[i] >= 0 && p[i] < (double)m && p[i] == floor(p[i]) && !seen[(int64_t)p[i]];
        if (ok) seen[(int64_t)p[i]] = 1;
    }
    free(seen);
    return ok;
}

static void rect_one(const h_dev *dev, lapis_dtype dt, int64_t m, int64_t n, matgen_type t) {
    const int64_t batch = 2, mn = m * n, k = m < n ? m : n;
    double eps = h_eps(dt);
    int64_t shape[3] = {batch, m, n};
    double *a = h_alloc((size_t)(batch * mn + 1) * sizeof(double));
    double *lu = h_alloc((size_t)(batch * mn + 1) * sizeof(double));
    double *piv = h_alloc((size_t)(batch * k + 1) * sizeof(double));
    double *p = h_alloc((size_t)(batch * m + 1) * sizeof(double));
    double *l = h_alloc((size_t)(batch * m * k + 1) * sizeof(double));
    double *u = h_alloc((size_t)(batch * k * n + 1) * sizeof(double));
    lapis_array A = NULL, LU = NULL, PV = NULL, IN = NULL, P = NULL, L = NULL, U = NULL;
    char what[128];
    snprintf(what, sizeof what, "%s %s %lldx%lld %s", dev->name, h_dtname(dt), (long long)m,
             (long long)n, matgen_name(t));
    if (!a || !lu || !piv || !p || !l || !u) goto out;
    for (int64_t j = 0; j < batch; j++)
        matgen_fill(a + j * mn, m, n, t, h_cond(H_COND_SQRT, dt), dt == LAPIS_FLOAT32,
                    (uint64_t)(31 + j));
    h_round(a, batch * mn, dt);
    A = h_array(a, shape, 3, dt);
    if (!A) goto out;
    if (H_OK(lapis_linalg_lu_factor_ex(&LU, &PV, &IN, A, dev->stream))) {
        const int64_t *ls = lapis_array_shape(LU), *ps = lapis_array_shape(PV);
        H_CHECK(ls[0] == batch && ls[1] == m && ls[2] == n && ps[0] == batch && ps[1] == k,
                "lu_factor shapes (%s)", what);
        H_OK(h_read(LU, lu));
        H_OK(h_read(PV, piv));
        for (int64_t j = 0; j < batch; j++)
            h_ratio("lu_factor(rect)", dt,
                    h_ratio_lu_packed(a + j * mn, lu + j * mn, piv + j * k, m, n, eps), H_THRESHOLD,
                    what);
    }
    if (H_OK(lapis_linalg_lu(&P, &L, &U, A, dev->stream))) {
        const int64_t *ps = lapis_array_shape(P), *ls = lapis_array_shape(L),
                      *us = lapis_array_shape(U);
        H_CHECK(ps[1] == m && ls[1] == m && ls[2] == k && us[1] == k && us[2] == n,
                "lu shapes (%s)", what);
        H_OK(h_read(P, p));
        H_OK(h_read(L, l));
        H_OK(h_read(U, u));
        for (int64_t j = 0; j < batch; j++) {
            H_CHECK(is_perm(p + j * m, m), "lu P is not a permutation (%s)", what);
            /* L unit lower, U upper: exact zeros and ones */
            bool tri = true;
            for (int64_t i = 0; i < m; i++)
                for (int64_t c = 0; c < k; c++) {
                    double v = l[j * m * k + i * k + c];
                    if ((c > i && v != 0) || (c == i && v != 1)) tri = false;
                }
            for (int64_t i = 0; i < k; i++)
                for (int64_t c = 0; c < i && c < n; c++)
                    if (u[j * k * n + i * n + c] != 0) tri = false;
            H_CHECK(tri, "lu: L not unit lower or U not upper (%s)", what);
            h_ratio("lu(rect)", dt,
                    h_ratio_lu(a + j * mn, p + j * m, l + j * m * k, u + j * k * n, m, n, eps),
                    H_THRESHOLD, what);
        }
    }
out:
    lapis_array_free(A);
    lapis_array_free(LU);
    lapis_array_free(PV);
    lapis_array_free(IN);
    lapis_array_free(P);
    lapis_array_free(L);
    lapis_array_free(U);
    free(a);
    free(lu);
    free(piv);
    free(p);
    free(l);
    free(u);
}

static void rectangular(const h_dev *dev) {
    int nsizes;
    const int64_t *sizes = h_sizes(&nsizes);
    for (int di = 0; di < 2; di++)
        for (int si = 0; si < nsizes; si++) {
            lapis_dtype dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            int64_t n = sizes[si];
            const int64_t dims[6][2] = {{n, 0}, {0, n}, {1, n}, {n, 1}, {4 * n, n}, {n, 4 * n}};
            for (int q = 0; q < 6; q++) {
                if (!h_full() && n > 64 && q >= 4) continue; /* quick: 4n x n up to n = 64 */
                rect_one(dev, dt, dims[q][0], dims[q][1], MATGEN_RANDOM);
                if (q >= 4 && n >= 2) rect_one(dev, dt, dims[q][0], dims[q][1], MATGEN_COND_GEOM);
            }
        }
}

/* ---- 2. non-finite input for every op ---------------------------------------------- */

typedef enum {
    NF_CHOL, NF_CHOLINV, NF_INV, NF_TRIINV, NF_SOLVE, NF_SOLVETRI, NF_LUF, NF_LU, NF_DET,
    NF_SLOGDET, NF_QR, NF_SVD, NF_EIGH, NF_EIGVALSH, NF_EIG, NF_PINV, NF_LSTSQ, NF_NORM, NF_NOPS
} nf_op;
static const char *k_nf[NF_NOPS] = {"cholesky", "cholesky_inv", "inv", "tri_inv", "solve",
                                    "solve_triangular", "lu_factor", "lu", "det", "slogdet", "qr",
                                    "svd", "eigh", "eigvalsh", "eig", "pinv", "lstsq", "norm"};

/* Reads the lower triangle only (upper = false is used throughout). */
static bool lower_only(nf_op op) {
    return op == NF_CHOL || op == NF_CHOLINV || op == NF_TRIINV || op == NF_SOLVETRI ||
           op == NF_EIGH || op == NF_EIGVALSH;
}

static matgen_type nf_type(nf_op op) {
    switch (op) {
    case NF_CHOL:
    case NF_EIGH:
    case NF_EIGVALSH: return MATGEN_SPD;
    case NF_CHOLINV:
    case NF_TRIINV:
    case NF_SOLVETRI: return MATGEN_LOWER;
    default: return MATGEN_RANDOM;
    }
}

#define NF_MAXOUT 5

/* Runs op; outs get the outputs, *info the info array (NULL for plain ops). */
static lapis_status nf_run(nf_op op, lapis_array *o, lapis_array *info, lapis_array a,
                           lapis_array b, lapis_stream s) {
    *info = NULL;
    switch (op) {
    case NF_CHOL: return lapis_linalg_cholesky_ex(&o[0], info, a, false, s);
    case NF_CHOLINV: return lapis_linalg_cholesky_inv_ex(&o[0], info, a, false, s);
    case NF_INV: return lapis_linalg_inv_ex(&o[0], info, a, s);
    case NF_TRIINV: return lapis_linalg_tri_inv_ex(&o[0], info, a, false, s);
    case NF_SOLVE: return lapis_linalg_solve_ex(&o[0], info, a, b, s);
    case NF_SOLVETRI: return lapis_linalg_solve_triangular_ex(&o[0], info, a, b, false, s);
    case NF_LUF: return lapis_linalg_lu_factor_ex(&o[0], &o[1], info, a, s);
    case NF_LU: return lapis_linalg_lu(&o[0], &o[1], &o[2], a, s);
    case NF_DET: return lapis_linalg_det(&o[0], a, s);
    case NF_SLOGDET: return lapis_linalg_slogdet(&o[0], &o[1], a, s);
    case NF_QR: return lapis_linalg_qr_ex(&o[0], &o[1], info, a, s);
    case NF_SVD: return lapis_linalg_svd_ex(&o[0], &o[1], &o[2], info, a, false, s);
    case NF_EIGH: return lapis_linalg_eigh_ex(&o[0], &o[1], info, a, false, s);
    case NF_EIGVALSH: return lapis_linalg_eigvalsh_ex(&o[0], info, a, false, s);
    case NF_EIG: return lapis_linalg_eig_ex(&o[0], &o[1], info, a, s);
    case NF_PINV: return lapis_linalg_pinv(&o[0], a, s);
    case NF_LSTSQ: return lapis_linalg_lstsq_ex(&o[0], NULL, NULL, NULL, info, a, b, -1, s);
    case NF_NORM: {
        int axes[2] = {-2, -1};
        return lapis_linalg_norm(&o[0], a, LAPIS_NORM_FRO, 0, axes, 2, false, s);
    }
    default: return LAPIS_ERR_INTERNAL;
    }
}

/* Reads a float or complex output as floats (complex: both parts). Returns
 * the count of reals, or -1 for other dtypes. */
static int64_t read_reals(lapis_array x, double **out) {
    lapis_dtype dt = lapis_array_dtype(x);
    int64_t cnt = lapis_array_size(x) * (dt == LAPIS_COMPLEX64 || dt == LAPIS_COMPLEX128 ? 2 : 1);
    size_t nb = lapis_array_nbytes(x);
    *out = NULL;
    if (dt != LAPIS_FLOAT32 && dt != LAPIS_FLOAT64 && dt != LAPIS_COMPLEX64 &&
        dt != LAPIS_COMPLEX128)
        return -1;
    void *buf = malloc(nb + 1);
    double *d = malloc((size_t)(cnt + 1) * sizeof(double));
    lapis_status st = lapis_array_read(x, buf, nb);
    H_CHECK(st == LAPIS_OK || st == LAPIS_ERR_NON_FINITE, "read: %s", lapis_status_string(st));
    bool single = dt == LAPIS_FLOAT32 || dt == LAPIS_COMPLEX64;
    for (int64_t i = 0; i < cnt; i++) d[i] = single ? ((float *)buf)[i] : ((double *)buf)[i];
    free(buf);
    *out = d;
    return cnt;
}

static void nf_case(const h_dev *dev, nf_op op, lapis_dtype dt, int64_t n, int where, double val,
                    int64_t bad) {
    const int64_t batch = 3, nn = n * n, k = 2;
    double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
    double *b = h_alloc((size_t)(batch * n * k + 1) * sizeof(double));
    for (int64_t j = 0; j < batch; j++)
        memcpy(a + j * nn, h_gen(nf_type(op), n, 100, dt == LAPIS_FLOAT32, 0, 50 + (uint64_t)j),
               (size_t)nn * sizeof(double));
    for (int64_t i = 0; i < batch * n * k; i++) b[i] = matgen_normal(60, (uint64_t)i);
    h_round(a, batch * nn, dt);
    h_round(b, batch * n * k, dt);
    matgen_inject(a + bad * nn, n, (matgen_where)where, val);
    bool unref = lower_only(op) && n > 1 && where == MATGEN_AT_OFFDIAG_UPPER;
    char what[160];
    snprintf(what, sizeof what, "%s %s %s n=%lld %s at %d of matrix %lld%s", k_nf[op], dev->name,
             h_dtname(dt), (long long)n, isnan(val) ? "NaN" : val > 0 ? "+Inf" : "-Inf", where,
             (long long)bad, unref ? " (unreferenced)" : "");
    int64_t sa[3] = {batch, n, n}, sb[3] = {batch, n, k};
    lapis_array A = h_array(a, sa, 3, dt), B = h_array(b, sb, 3, dt);
    lapis_array o[NF_MAXOUT] = {0}, info = NULL;
    if (!A || !B) goto out;
    h_watchdog(10, what);
    lapis_status st = nf_run(op, o, &info, A, B, dev->stream);
    h_watchdog_off();
    if (st == LAPIS_ERR_UNSUPPORTED) goto out; /* op not built on this backend */
    if (!H_STATUS(st, LAPIS_OK, NULL, what)) goto out;
    h_count(k_nf[op], dt);
    if (info) {
        int32_t inf[3] = {9, 9, 9};
        H_OK(lapis_array_read(info, inf, sizeof inf));
        for (int64_t j = 0; j < batch; j++) {
            int32_t want = j == bad && !unref ? LAPIS_INFO_NON_FINITE : 0;
            H_CHECK(inf[j] == want, "%s: info[%lld] = %d, want %d", what, (long long)j, inf[j], want);
        }
    }
    /* outputs: per matrix, the bad one NaN (norm: not finite), the others finite */
    for (int i = 0; i < NF_MAXOUT; i++) {
        if (!o[i] || lapis_array_size(o[i]) == 0) continue;
        double *x;
        int64_t cnt = read_reals(o[i], &x);
        if (cnt < 0) continue; /* permutations, pivots */
        int64_t per = cnt / batch;
        for (int64_t j = 0; j < batch; j++) {
            const double *xj = x + j * per;
            if (j == bad && !unref) {
                bool ok = op == NF_NORM ? !isfinite(xj[0]) : h_all_nan(xj, per);
                H_CHECK(ok, "%s: output %d of the bad matrix is not %s", what, i,
                        op == NF_NORM ? "non-finite" : "all NaN");
            } else if (op == NF_DET) { /* det of a finite matrix may overflow (n = 64 in f32) */
                H_CHECK(xj[0] == xj[0], "%s: det of matrix %lld is NaN", what, (long long)j);
            } else {
                H_CHECK(h_all_finite(xj, per), "%s: output %d of matrix %lld is not finite", what,
                        i, (long long)j);
            }
        }
        free(x);
    }
out:
    for (int i = 0; i < NF_MAXOUT; i++) lapis_array_free(o[i]);
    lapis_array_free(info);
    lapis_array_free(A);
    lapis_array_free(B);
    free(a);
    free(b);
}

static void nonfinite(const h_dev *dev) {
    static const double vals[3] = {NAN, INFINITY, -INFINITY};
    static const int64_t ns_quick[] = {1, 5, 33}, ns_full[] = {1, 2, 5, 16, 33, 64, 129};
    const int64_t *ns = h_full() ? ns_full : ns_quick;
    int nns = h_full() ? 7 : 3;
    for (int op = 0; op < NF_NOPS; op++)
        for (int di = 0; di < 2; di++)
            for (int ni = 0; ni < nns; ni++)
                for (int w = 0; w < 4; w++)
                    for (int v = 0; v < 3; v++)
                        for (int64_t bad = 0; bad < 3; bad++) {
                            /* quick: the bad matrix rotates through the positions */
                            if (!h_full() && bad != (w + v + ni) % 3) continue;
                            nf_case(dev, (nf_op)op, di ? LAPIS_FLOAT64 : LAPIS_FLOAT32, ns[ni], w,
                                    vals[v], bad);
                        }
}

/* ---- 3. matrix types the family lattices skip -------------------------------------- */

static void fill_rhs(double *b, int64_t count, uint64_t seed, lapis_dtype dt) {
    for (int64_t i = 0; i < count; i++) b[i] = matgen_normal(seed, (uint64_t)i);
    h_round(b, count, dt);
}

static void run_solve_extra(const h_case *c, void *ctx) {
    (void)ctx;
    int64_t n = c->n, nn = n * n, k = 3, shape[6], bshape[6];
    for (int i = 0; i < c->bnd; i++) shape[i] = bshape[i] = c->bshape[i];
    shape[c->bnd] = bshape[c->bnd] = n;
    shape[c->bnd + 1] = n;
    bshape[c->bnd + 1] = k;
    double *b = h_alloc((size_t)(c->batch * n * k + 1) * sizeof(double));
    double *x = h_alloc((size_t)(c->batch * n * k + 1) * sizeof(double));
    double *info = h_alloc((size_t)(c->batch + 1) * sizeof(double));
    fill_rhs(b, c->batch * n * k, 70, c->dt);
    lapis_array A = h_array(c->a, shape, c->bnd + 2, c->dt), B = h_array(b, bshape, c->bnd + 2, c->dt);
    lapis_array X = NULL, I = NULL;
    if (A && B && H_OK(lapis_linalg_solve_ex(&X, &I, A, B, c->dev->stream))) {
        H_OK(h_read(X, x));
        H_OK(h_read(I, info));
        for (int64_t j = 0; j < c->batch; j++) {
            /* W_1^+ = [0] is singular: pivot 1 */
            int64_t want = c->mt->type == MATGEN_WILKINSON && n == 1 ? 1 : 0;
            if (!H_CHECK(info[j] == (double)want, "solve info %g, want %lld (%s)", info[j],
                         (long long)want, c->desc) ||
                want)
                continue;
            h_ratio("solve(extra types)", c->dt,
                    h_ratio_solve(c->a + j * nn, x + j * n * k, b + j * n * k, n, k, h_eps(c->dt)),
                    H_THRESHOLD, c->desc);
        }
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(I);
    free(b);
    free(x);
    free(info);
}

/* Expected zero diagonal (1-based) of the lower triangle, 0 for none. */
static int64_t tri_zero_diag(const h_mtype *mt, int64_t n) {
    /* W_n^+ has diagonal |(n-1)/2 - i|: zero in the middle for odd n */
    if (mt->type == MATGEN_WILKINSON && n % 2 == 1) return (n - 1) / 2 + 1;
    return 0;
}

static void run_tri_extra(const h_case *c, void *ctx) {
    (void)ctx;
    int64_t n = c->n, nn = n * n, k = 2, shape[6], bshape[6];
    bool upper = c->mt->type == MATGEN_KAHAN; /* Kahan's matrix is upper triangular */
    for (int i = 0; i < c->bnd; i++) shape[i] = bshape[i] = c->bshape[i];
    shape[c->bnd] = bshape[c->bnd] = n;
    shape[c->bnd + 1] = n;
    bshape[c->bnd + 1] = k;
    double *t = h_alloc((size_t)(nn + 1) * sizeof(double));
    double *b = h_alloc((size_t)(c->batch * n * k + 1) * sizeof(double));
    double *x = h_alloc((size_t)(c->batch * (nn > n * k ? nn : n * k) + 1) * sizeof(double));
    double *info = h_alloc((size_t)(c->batch + 1) * sizeof(double));
    fill_rhs(b, c->batch * n * k, 71, c->dt);
    int64_t zd = tri_zero_diag(c->mt, n);
    lapis_array A = h_array(c->a, shape, c->bnd + 2, c->dt), B = h_array(b, bshape, c->bnd + 2, c->dt);
    lapis_array X = NULL, I = NULL;
    if (A && H_OK(lapis_linalg_tri_inv_ex(&X, &I, A, upper, c->dev->stream))) {
        H_OK(h_read(X, x));
        H_OK(h_read(I, info));
        for (int64_t j = 0; j < c->batch; j++) {
            if (!H_CHECK(info[j] == (double)zd, "tri_inv info %g, want %lld (%s)", info[j],
                         (long long)zd, c->desc) ||
                zd)
                continue;
            h_triangle(c->a + j * nn, t, n, upper);
            h_ratio("tri_inv(extra types)", c->dt, h_ratio_inv(t, x + j * nn, n, h_eps(c->dt)),
                    H_THRESHOLD, c->desc);
        }
    }
    lapis_array_free(X);
    lapis_array_free(I);
    X = I = NULL;
    if (A && B && H_OK(lapis_linalg_solve_triangular_ex(&X, &I, A, B, upper, c->dev->stream))) {
        H_OK(h_read(X, x));
        H_OK(h_read(I, info));
        for (int64_t j = 0; j < c->batch; j++) {
            if (!H_CHECK(info[j] == (double)zd, "solve_triangular info %g, want %lld (%s)", info[j],
                         (long long)zd, c->desc) ||
                zd)
                continue;
            h_triangle(c->a + j * nn, t, n, upper);
            h_ratio("solve_triangular(extra types)", c->dt,
                    h_ratio_solve(t, x + j * n * k, b + j * n * k, n, k, h_eps(c->dt)),
                    H_THRESHOLD, c->desc);
        }
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(I);
    free(t);
    free(b);
    free(x);
    free(info);
}

static const h_mtype k_solve_extra[] = {
    {.name = "pascal", .type = MATGEN_PASCAL, .max_n = 16, .max_n_f32 = 10},
    {.name = "wilkinson", .type = MATGEN_WILKINSON, .all_batches = true},
    {.name = "cond_arith_sqrt", .type = MATGEN_COND_ARITH, .cond = H_COND_SQRT},
    {.name = "cond_cluster_big", .type = MATGEN_COND_CLUSTER, .cond = H_COND_BIG},
    {.name = "rank_one_small_sqrt", .type = MATGEN_COND_ONE_SMALL, .cond = H_COND_SQRT},
};

static const h_mtype k_tri_extra[] = {
    {.name = "graded", .type = MATGEN_GRADED, .all_batches = true},
    {.name = "hilbert", .type = MATGEN_HILBERT, .max_n = 16},
    {.name = "pascal", .type = MATGEN_PASCAL, .max_n = 16},
    {.name = "wilkinson", .type = MATGEN_WILKINSON},
    /* Kahan's inverse grows exponentially: past float32's range at n = 257 */
    {.name = "kahan_upper", .type = MATGEN_KAHAN, .max_n_f32 = 129},
    {.name = "spd_overflow", .type = MATGEN_SPD, .cond = 10, .scale = 2},
};

int main(void) {
    h_init("test_rel_lattice");
    for (int d = 0; d < h_ndev(); d++) {
        rectangular(h_dev_at(d));
        nonfinite(h_dev_at(d));
    }
    h_lattice(k_solve_extra, (int)(sizeof k_solve_extra / sizeof k_solve_extra[0]),
              run_solve_extra, NULL);
    h_lattice(k_tri_extra, (int)(sizeof k_tri_extra / sizeof k_tri_extra[0]), run_tri_extra, NULL);
    return h_finish();
}
