/*
 * `lapis demo`: the seed's examples on every available device and dtype, as
 * one table. Each example is a row of `demo_entries` and a small function
 * that runs it and adds one or more table rows; long messages become
 * numbered notes under the table. Adding an example (SVD, QR, ...) is adding
 * a function and a row.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "matgen.h"

#define MAX_ROWS 128
#define MAX_NOTES 32

typedef struct demo_row {
    char example[64];
    char device[8];
    char dtype[8];
    char errors[160];
    double ms; /* < 0: no time */
} demo_row;

static demo_row rows[MAX_ROWS];
static int nrows;
static char *notes[MAX_NOTES];
static int nnotes;

typedef struct demo_ctx {
    lapis_device dev;
    lapis_stream s;
    lapis_dtype dt;
    double eps;
} demo_ctx;

static void add_row(const demo_ctx *x, const char *example, double ms, const char *fmt, ...) {
    if (nrows == MAX_ROWS) return;
    demo_row *r = &rows[nrows++];
    snprintf(r->example, sizeof r->example, "%s", example);
    snprintf(r->device, sizeof r->device, "%s", device_str(x->dev));
    snprintf(r->dtype, sizeof r->dtype, "%s", x->dt == LAPIS_FLOAT32 ? "f32" : "f64");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->errors, sizeof r->errors, fmt, ap);
    va_end(ap);
    r->ms = ms;
}

/* Adds a note under the table; returns its number. */
static int add_note(const char *fmt, ...) {
    if (nnotes == MAX_NOTES) return 0;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (int i = 0; i < nnotes; i++)
        if (strcmp(notes[i], buf) == 0) return i + 1;
    notes[nnotes] = strdup(buf);
    return notes[nnotes] ? ++nnotes : 0;
}

/* An example that could not run reports the lapis error as its row. */
static int row_error(const demo_ctx *x, const char *example, lapis_status st) {
    int k = add_note("%s", lapis_last_error());
    add_row(x, example, -1, "error %s [%d]", lapis_status_string(st), k);
    return -1;
}

/* ---- small host helpers ---------------------------------------------------- */

static lapis_status make_array(lapis_array *out, tensor *t, const demo_ctx *x) {
    tensor_round(t, x->dt);
    return tensor_to_array(out, t, x->dt);
}

/* batch matrices of a matgen type into t (shape given), seeds seed + i. */
static int gen(tensor *t, const int64_t *shape, int ndim, matgen_type type, double cond,
               uint64_t seed, const demo_ctx *x) {
    if (tensor_alloc(t, shape, ndim, x->dt)) return -1;
    int64_t m = shape[ndim - 2], n = shape[ndim - 1], count = tensor_size(t) / (m * n);
    for (int64_t i = 0; i < count; i++)
        if (matgen_fill(t->v + i * m * n, m, n, type, cond, x->dt == LAPIS_FLOAT32, seed + i))
            return -1;
    return 0;
}

static double vnorm_inf(const double *v, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(v[i]) <= m)) m = fabs(v[i]);
    return m;
}

/* Normwise backward error of x for A x = b: ||b - A x|| / (||A|| ||x|| + ||b||),
 * infinity norms, long double. */
static double backward_error(const double *a, const double *x, const double *b, int64_t n) {
    long double rmax = 0, amax = 0;
    for (int64_t i = 0; i < n; i++) {
        long double s = b[i], rs = 0;
        for (int64_t j = 0; j < n; j++) {
            s -= (long double)a[i * n + j] * x[j];
            rs += fabsl((long double)a[i * n + j]);
        }
        if (!(fabsl(s) <= rmax)) rmax = fabsl(s);
        if (rs > amax) amax = rs;
    }
    return (double)(rmax / (amax * vnorm_inf(x, n) + vnorm_inf(b, n)));
}

static double forward_error(const double *x, const double *xt, int64_t n) {
    double d = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(x[i] - xt[i]) <= d)) d = fabs(x[i] - xt[i]);
    return d / vnorm_inf(xt, n);
}

static double ms_since(double t0) { return (now_seconds() - t0) * 1e3; }

/* ---- 1. solve vs inv(A) @ b on an ill-conditioned matrix ------------------ */

static int demo_solve_vs_inv(demo_ctx *x) {
    const int64_t n = 200;
    const double cond = x->dt == LAPIS_FLOAT32 ? 1e5 : 1e12;
    char name[64];
    snprintf(name, sizeof name, "solve vs inv(A)@b, n=%lld, cond %.0e", (long long)n, cond);
    int64_t sa[2] = {n, n}, sb[1] = {n};
    tensor A = {0}, xt = {0}, b = {0}, hx = {0}, hy = {0};
    lapis_array a = NULL, vb = NULL, vx = NULL, ai = NULL, vy = NULL;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    int rc = -1;
    if (gen(&A, sa, 2, MATGEN_COND_GEOM, cond, 11, x) || tensor_alloc(&xt, sb, 1, x->dt) ||
        tensor_alloc(&b, sb, 1, x->dt))
        goto fail;
    tensor_round(&A, x->dt);
    /* A known solution, and b = A x_true rounded once. */
    for (int64_t i = 0; i < n; i++) xt.v[i] = matgen_normal(12, (uint64_t)i);
    tensor_round(&xt, x->dt);
    for (int64_t i = 0; i < n; i++) {
        long double s = 0;
        for (int64_t j = 0; j < n; j++) s += (long double)A.v[i * n + j] * xt.v[j];
        b.v[i] = (double)s;
    }
    if ((st = make_array(&a, &A, x)) || (st = make_array(&vb, &b, x))) goto fail;

    /* warm-up, then one timed call each */
    if ((st = lapis_linalg_solve(&vx, a, vb, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    lapis_array_free(vx);
    double t0 = now_seconds();
    if ((st = lapis_linalg_solve(&vx, a, vb, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    double t_solve = ms_since(t0);
    if ((st = lapis_linalg_inv(&ai, a, x->s)) || (st = lapis_matmul(&vy, ai, vb, x->s)) ||
        (st = lapis_synchronize(x->s)))
        goto fail;
    lapis_array_free(ai), lapis_array_free(vy);
    ai = vy = NULL;
    t0 = now_seconds();
    if ((st = lapis_linalg_inv(&ai, a, x->s)) || (st = lapis_matmul(&vy, ai, vb, x->s)) ||
        (st = lapis_synchronize(x->s)))
        goto fail;
    double t_inv = ms_since(t0);
    if ((st = tensor_from_array(&hx, vx)) || (st = tensor_from_array(&hy, vy))) goto fail;

    double fs = forward_error(hx.v, xt.v, n), bs = backward_error(A.v, hx.v, b.v, n);
    double fi = forward_error(hy.v, xt.v, n), bi = backward_error(A.v, hy.v, b.v, n);
    add_row(x, name, t_solve, "solve:      fwd %.1e  bwd %.2g eps", fs, bs / x->eps);
    add_row(x, "", t_inv, "inv(A) @ b: fwd %.1e  bwd %.2g eps", fi, bi / x->eps);
    rc = 0;
fail:
    if (rc && st) row_error(x, name, st);
    else if (rc) add_row(x, name, -1, "could not build the inputs");
    lapis_array_free(a), lapis_array_free(vb), lapis_array_free(vx);
    lapis_array_free(ai), lapis_array_free(vy);
    tensor_free(&A), tensor_free(&xt), tensor_free(&b), tensor_free(&hx), tensor_free(&hy);
    return rc;
}

/* ---- 2. batched solve with broadcasting ----------------------------------- */

static int demo_batched_solve(demo_ctx *x) {
    const char *name = "batched solve (8,1,16,16) \\ (32,16,2)";
    int64_t sa[4] = {8, 1, 16, 16}, sb[3] = {32, 16, 2};
    tensor A = {0}, B = {0}, X = {0};
    lapis_array a = NULL, b = NULL, vx = NULL;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    int rc = -1;
    if (gen(&A, sa, 4, MATGEN_RANDOM, 0, 21, x) || gen(&B, sb, 3, MATGEN_RANDOM, 0, 22, x))
        goto fail;
    if ((st = make_array(&a, &A, x)) || (st = make_array(&b, &B, x))) goto fail;
    if ((st = lapis_linalg_solve(&vx, a, b, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    lapis_array_free(vx);
    double t0 = now_seconds();
    if ((st = lapis_linalg_solve(&vx, a, b, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    double ms = ms_since(t0);
    if ((st = tensor_from_array(&X, vx))) goto fail;
    /* x[i, j] solves A[i] x = B[j]: check every one of the 8 x 32 systems. */
    double worst = 0;
    for (int64_t i = 0; i < 8; i++)
        for (int64_t j = 0; j < 32; j++) {
            const double *ai = A.v + i * 256, *bj = B.v + j * 32, *xij = X.v + (i * 32 + j) * 32;
            double r = resid_prod(bj, ai, false, xij, false, 16, 16, 2);
            r /= norm1(ai, 16, 16) * norm1(xij, 16, 2) * x->eps;
            if (!(r <= worst)) worst = r;
        }
    char shp[64];
    shape_str(shp, sizeof shp, lapis_array_shape(vx), lapis_array_ndim(vx));
    add_row(x, name, ms, "X %s, resid %.2g", shp, worst);
    rc = 0;
fail:
    if (rc && st) row_error(x, name, st);
    lapis_array_free(a), lapis_array_free(b), lapis_array_free(vx);
    tensor_free(&A), tensor_free(&B), tensor_free(&X);
    return rc;
}

/* ---- 3. Cholesky of A Aᵀ + 1e-3 I ----------------------------------------- */

static int demo_cholesky_aat(demo_ctx *x) {
    const int64_t n = 128, batch = 32;
    const char *name = "cholesky(A A^T + 1e-3 I), 32 x 128x128";
    int64_t shape[3] = {batch, n, n};
    lapis_array g = NULL, gt = NULL, p = NULL, a = NULL, l = NULL;
    tensor P = {0}, L = {0};
    int rc = -1;
    lapis_status st;
    /* A A^T built with lapis itself, the shift added on the host. */
    if ((st = lapis_random_normal(&g, shape, 3, x->dt, 31)) || (st = lapis_transpose(&gt, g, x->s)) ||
        (st = lapis_matmul(&p, g, gt, x->s)) || (st = tensor_from_array(&P, p)))
        goto fail;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < n; i++) P.v[(b * n + i) * n + i] += 1e-3;
    if ((st = make_array(&a, &P, x))) goto fail;
    if ((st = lapis_linalg_cholesky(&l, a, false, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    lapis_array_free(l);
    double t0 = now_seconds();
    if ((st = lapis_linalg_cholesky(&l, a, false, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    double ms = ms_since(t0);
    if ((st = tensor_from_array(&L, l))) goto fail;
    double worst = 0;
    for (int64_t b = 0; b < batch; b++) {
        const double *ab = P.v + b * n * n, *lb = L.v + b * n * n;
        double r = resid_prod(ab, lb, false, lb, true, n, n, n) / (n * norm1(ab, n, n) * x->eps);
        if (!(r <= worst)) worst = r;
    }
    add_row(x, name, ms, "factor %.2g", worst);
    rc = 0;
fail:
    if (rc) row_error(x, name, st);
    lapis_array_free(g), lapis_array_free(gt), lapis_array_free(p), lapis_array_free(a),
        lapis_array_free(l);
    tensor_free(&P), tensor_free(&L);
    return rc;
}

/* ---- 4. a non-SPD matrix in a batch ---------------------------------------- */

static int demo_not_spd(demo_ctx *x) {
    const int64_t n = 32, batch = 8, bad = 5;
    const char *name = "cholesky, 8 matrices, [5] not SPD";
    int64_t shape[3] = {batch, n, n};
    tensor A = {0}, L = {0}, I = {0};
    lapis_array a = NULL, l = NULL, l2 = NULL, info = NULL;
    int rc = -1;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    if (gen(&A, shape, 3, MATGEN_SPD, 1e2, 41, x) ||
        matgen_fill(A.v + bad * n * n, n, n, MATGEN_NOT_SPD, 0, x->dt == LAPIS_FLOAT32, 42))
        goto fail;
    if ((st = make_array(&a, &A, x))) goto fail;
    /* The plain call succeeds; the failure surfaces at synchronize. */
    if ((st = lapis_linalg_cholesky(&l, a, false, x->s))) goto fail;
    double t0 = now_seconds();
    lapis_status sync = lapis_synchronize(x->s);
    double ms = ms_since(t0);
    int k = sync ? add_note("lapis_synchronize -> %s: %s", lapis_status_string(sync),
                            lapis_last_error())
                 : 0;
    if ((st = lapis_linalg_cholesky_ex(&l2, &info, a, false, x->s)) ||
        (st = tensor_from_array(&I, info)) || (st = tensor_from_array(&L, l2)))
        goto fail;
    char infos[64];
    size_t len = 0;
    for (int64_t b = 0; b < batch; b++)
        len += (size_t)snprintf(infos + len, sizeof infos - len, "%s%d", b ? " " : "",
                                (int)I.v[b]);
    int64_t nan_count = 0;
    for (int64_t i = 0; i < n * n; i++) nan_count += isnan(L.v[bad * n * n + i]);
    (void)ms;
    add_row(x, name, -1, "info [%s], L[5] %s NaN, sync: %s [%d]", infos,
            nan_count == n * n ? "all" : "not all", sync ? lapis_status_string(sync) + 10 : "OK?!",
            k);
    rc = 0;
fail:
    if (rc) row_error(x, name, st);
    lapis_array_free(a), lapis_array_free(l), lapis_array_free(l2), lapis_array_free(info);
    tensor_free(&A), tensor_free(&L), tensor_free(&I);
    return rc;
}

/* ---- 5. Cholesky with jitter ---------------------------------------------- */

static int demo_jitter(demo_ctx *x) {
    const int64_t n = 32, batch = 4;
    const char *name = "cholesky_jitter, [1] [3] PSD rank n/2";
    int64_t shape[3] = {batch, n, n};
    tensor A = {0}, L = {0}, J = {0};
    lapis_array a = NULL, l = NULL, jit = NULL, info = NULL;
    int rc = -1;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    /* [0], [2] SPD; [1], [3] = M Mᵀ with M n x n/2: PSD and singular. */
    if (gen(&A, shape, 3, MATGEN_SPD, 1e2, 51, x)) goto fail;
    for (int64_t b = 1; b < batch; b += 2) {
        double *ab = A.v + b * n * n;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                long double s = 0;
                for (int64_t q = 0; q < n / 2; q++)
                    s += (long double)matgen_normal(52 + b, (uint64_t)(i * n + q)) *
                         matgen_normal(52 + b, (uint64_t)(j * n + q));
                ab[i * n + j] = (double)s;
            }
    }
    if ((st = make_array(&a, &A, x))) goto fail;
    if ((st = lapis_linalg_cholesky_jitter(&l, &jit, &info, a, false, 0, x->s)) ||
        (st = lapis_synchronize(x->s)))
        goto fail;
    lapis_array_free(l), lapis_array_free(jit), lapis_array_free(info);
    l = jit = info = NULL;
    double t0 = now_seconds();
    if ((st = lapis_linalg_cholesky_jitter(&l, &jit, &info, a, false, 0, x->s)) ||
        (st = lapis_synchronize(x->s)))
        goto fail;
    double ms = ms_since(t0);
    if ((st = tensor_from_array(&L, l)) || (st = tensor_from_array(&J, jit))) goto fail;
    char js[96];
    size_t len = 0;
    double worst = 0;
    for (int64_t b = 0; b < batch; b++) {
        len += (size_t)snprintf(js + len, sizeof js - len, "%s%.2g", b ? " " : "", J.v[b]);
        /* Grade against the matrix actually factored, A + δI. */
        double *ab = A.v + b * n * n, *lb = L.v + b * n * n;
        for (int64_t i = 0; i < n; i++) ab[i * n + i] += J.v[b];
        double r = resid_prod(ab, lb, false, lb, true, n, n, n) / (n * norm1(ab, n, n) * x->eps);
        if (!(r <= worst)) worst = r;
    }
    add_row(x, name, ms, "delta [%s], factor %.2g", js, worst);
    rc = 0;
fail:
    if (rc) row_error(x, name, st);
    lapis_array_free(a), lapis_array_free(l), lapis_array_free(jit), lapis_array_free(info);
    tensor_free(&A), tensor_free(&L), tensor_free(&J);
    return rc;
}

/* ---- 6. a float32 result checked by a CPU float64 solve -------------------- */

static int demo_f64_check(demo_ctx *x) {
    const int64_t n = 64, batch = 64;
    const double cond = 1e3;
    const char *name = "f32 solve checked by CPU f64, cond 1e3";
    int64_t sa[3] = {batch, n, n}, sb[3] = {batch, n, 1};
    tensor A = {0}, B = {0}, X32 = {0}, X64 = {0};
    lapis_array a = NULL, b = NULL, x32 = NULL, a64 = NULL, b64 = NULL, x64 = NULL;
    lapis_stream cpu = NULL;
    int rc = -1;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    if (gen(&A, sa, 3, MATGEN_COND_GEOM, cond, 61, x) || gen(&B, sb, 3, MATGEN_RANDOM, 0, 62, x))
        goto fail;
    if ((st = make_array(&a, &A, x)) || (st = make_array(&b, &B, x))) goto fail;
    if ((st = lapis_linalg_solve(&x32, a, b, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    lapis_array_free(x32);
    double t0 = now_seconds();
    if ((st = lapis_linalg_solve(&x32, a, b, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    double ms = ms_since(t0);
    /* The same (float32-rounded) data, solved in float64 on the CPU. */
    if ((st = lapis_stream_new(&cpu, (lapis_device){LAPIS_CPU, 0})) ||
        (st = lapis_astype(&a64, a, LAPIS_FLOAT64, cpu)) ||
        (st = lapis_astype(&b64, b, LAPIS_FLOAT64, cpu)) ||
        (st = lapis_linalg_solve(&x64, a64, b64, cpu)) || (st = lapis_synchronize(cpu)) ||
        (st = tensor_from_array(&X32, x32)) || (st = tensor_from_array(&X64, x64)))
        goto fail;
    double worst = 0;
    for (int64_t i = 0; i < batch; i++) {
        double e = forward_error(X32.v + i * n, X64.v + i * n, n);
        if (!(e <= worst)) worst = e;
    }
    add_row(x, name, ms, "|x32-x64|/|x64| %.1e (cond*eps %.1e)", worst, cond * x->eps);
    rc = 0;
fail:
    if (rc) row_error(x, name, st);
    lapis_array_free(a), lapis_array_free(b), lapis_array_free(x32);
    lapis_array_free(a64), lapis_array_free(b64), lapis_array_free(x64);
    lapis_stream_free(cpu);
    tensor_free(&A), tensor_free(&B), tensor_free(&X32), tensor_free(&X64);
    return rc;
}

/* ---- 7. SVD and QR (the seed's orthogonal examples) ------------------------ */

/* An op the device has no kernel for yet gets a row saying so, not a failure. */
static int row_error_or_missing(const demo_ctx *x, const char *example, lapis_status st) {
    if (st == LAPIS_ERR_UNSUPPORTED && x->dev.type == LAPIS_GPU) {
        add_row(x, example, -1, "not on GPU yet (CPU only for now)");
        return 0;
    }
    return row_error(x, example, st);
}

/* ||A - U[:, :k] diag(s) Vt[:k, :]||_F / ||A||_F, long double; U has ldu columns. */
static double svd_recon(const double *a, const double *u, int64_t ldu, const double *s,
                        const double *vt, int64_t m, int64_t n, int64_t k) {
    long double num = 0, den = 0;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            long double t = a[i * n + j];
            for (int64_t l = 0; l < k; l++) t -= (long double)u[i * ldu + l] * s[l] * vt[l * n + j];
            num += t * t;
            den += (long double)a[i * n + j] * a[i * n + j];
        }
    return den > 0 ? (double)sqrtl(num / den) : (double)sqrtl(num);
}

/* ||I - Qᵀ Q||_F for Q m x k, long double. */
static double orth_fro(const double *q, int64_t m, int64_t k) {
    long double sum = 0;
    for (int64_t p = 0; p < k; p++)
        for (int64_t r = 0; r < k; r++) {
            long double t = p == r;
            for (int64_t i = 0; i < m; i++) t -= (long double)q[i * k + p] * q[i * k + r];
            sum += t * t;
        }
    return (double)sqrtl(sum);
}

static void shapes3(char *buf, size_t cap, lapis_array u, lapis_array s, lapis_array vt) {
    char a[48] = "", b[48] = "", c[48] = "";
    if (u) shape_str(a, sizeof a, lapis_array_shape(u), lapis_array_ndim(u));
    shape_str(b, sizeof b, lapis_array_shape(s), lapis_array_ndim(s));
    if (vt) shape_str(c, sizeof c, lapis_array_shape(vt), lapis_array_ndim(vt));
    if (u) snprintf(buf, cap, "U %s S %s Vt %s", a, b, c);
    else snprintf(buf, cap, "S %s", b);
}

/* batch x (m x n) random matrices; full_matrices as MLX (its only form), or
 * values only, compared then with the S of the full call. */
static int demo_svd(demo_ctx *x, const char *name, int64_t batch, int64_t m, int64_t n,
                    bool values_only) {
    int64_t shape[3] = {batch, m, n}, k = m < n ? m : n;
    tensor A = {0}, U = {0}, S = {0}, V = {0}, S2 = {0};
    lapis_array a = NULL, u = NULL, s = NULL, vt = NULL, s2 = NULL;
    lapis_array *pu = values_only ? NULL : &u, *pv = values_only ? NULL : &vt;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    int rc = -1;
    if (gen(&A, shape, 3, MATGEN_RANDOM, 0, 71 + (uint64_t)m, x) || (st = make_array(&a, &A, x)))
        goto fail;
    if ((st = lapis_linalg_svd(pu, &s, pv, a, true, x->s)) || (st = lapis_synchronize(x->s)))
        goto fail;
    lapis_array_free(u), lapis_array_free(s), lapis_array_free(vt);
    u = s = vt = NULL;
    double t0 = now_seconds();
    if ((st = lapis_linalg_svd(pu, &s, pv, a, true, x->s)) || (st = lapis_synchronize(x->s)))
        goto fail;
    double ms = ms_since(t0);
    char shp[128];
    shapes3(shp, sizeof shp, u, s, vt);
    if ((st = tensor_from_array(&S, s))) goto fail;
    double worst = 0;
    if (values_only) {
        if ((st = lapis_linalg_svd(&u, &s2, &vt, a, true, x->s)) || (st = tensor_from_array(&S2, s2)))
            goto fail;
        for (int64_t b = 0; b < batch; b++)
            for (int64_t j = 0; j < k; j++) {
                double e = fabs(S.v[b * k + j] - S2.v[b * k + j]) / S2.v[b * k];
                if (!(e <= worst)) worst = e;
            }
        add_row(x, name, ms, "%s, |S - S(U,V)|/S[0] %.1e", shp, worst);
    } else {
        if ((st = tensor_from_array(&U, u)) || (st = tensor_from_array(&V, vt))) goto fail;
        for (int64_t b = 0; b < batch; b++) {
            double e = svd_recon(A.v + b * m * n, U.v + b * m * m, m, S.v + b * k,
                                 V.v + b * n * n, m, n, k);
            if (!(e <= worst)) worst = e;
        }
        add_row(x, name, ms, "%s, recon %.1e", shp, worst);
    }
    rc = 0;
fail:
    if (rc) rc = row_error_or_missing(x, name, st);
    lapis_array_free(a), lapis_array_free(u), lapis_array_free(s), lapis_array_free(vt),
        lapis_array_free(s2);
    tensor_free(&A), tensor_free(&U), tensor_free(&S), tensor_free(&V), tensor_free(&S2);
    return rc;
}

static int demo_svd_square(demo_ctx *x) {
    return demo_svd(x, "svd square, 16 x 64x64", 16, 64, 64, false);
}

static int demo_svd_rect(demo_ctx *x) {
    return demo_svd(x, "svd rectangular, 16 x 80x48", 16, 80, 48, false);
}

static int demo_svd_values(demo_ctx *x) {
    return demo_svd(x, "svd values only, 16 x 80x48", 16, 80, 48, true);
}

/* The seed's QR: 512 x 256, orthogonality ||I - QᵀQ||_F / n and the
 * triangularity error of R (the largest |R| below the diagonal: exactly 0). */
static int demo_qr(demo_ctx *x) {
    const int64_t m = 512, n = 256;
    const char *name = "qr 512x256: orth, tri(R)";
    int64_t shape[2] = {m, n};
    tensor A = {0}, Q = {0}, R = {0};
    lapis_array a = NULL, q = NULL, r = NULL;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    int rc = -1;
    if (gen(&A, shape, 2, MATGEN_RANDOM, 0, 81, x) || (st = make_array(&a, &A, x))) goto fail;
    if ((st = lapis_linalg_qr(&q, &r, a, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    lapis_array_free(q), lapis_array_free(r);
    q = r = NULL;
    double t0 = now_seconds();
    if ((st = lapis_linalg_qr(&q, &r, a, x->s)) || (st = lapis_synchronize(x->s))) goto fail;
    double ms = ms_since(t0);
    if ((st = tensor_from_array(&Q, q)) || (st = tensor_from_array(&R, r))) goto fail;
    double tri = 0, recon = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < i; j++)
            if (!(fabs(R.v[i * n + j]) <= tri)) tri = fabs(R.v[i * n + j]);
    recon = resid_prod(A.v, Q.v, false, R.v, false, m, n, n) / (m * norm1(A.v, m, n) * x->eps);
    add_row(x, name, ms, "|I-Q^TQ|_F/n %.1e, max|tril(R,-1)| %g, factor %.2g",
            orth_fro(Q.v, m, n) / n, tri, recon);
    rc = 0;
fail:
    if (rc) rc = row_error_or_missing(x, name, st);
    lapis_array_free(a), lapis_array_free(q), lapis_array_free(r);
    tensor_free(&A), tensor_free(&Q), tensor_free(&R);
    return rc;
}

/* ---- 8. a float32 SVD checked by a CPU float64 one ------------------------- */

static int demo_svd_f64_check(demo_ctx *x) {
    const int64_t n = 64, batch = 32;
    const char *name = "f32 svd values checked by CPU f64";
    int64_t shape[3] = {batch, n, n};
    tensor A = {0}, S32 = {0}, S64 = {0};
    lapis_array a = NULL, s32 = NULL, a64 = NULL, s64 = NULL;
    lapis_stream cpu = NULL;
    lapis_status st = LAPIS_ERR_OUT_OF_MEMORY;
    int rc = -1;
    if (gen(&A, shape, 3, MATGEN_RANDOM, 0, 91, x) || (st = make_array(&a, &A, x))) goto fail;
    if ((st = lapis_linalg_svd(NULL, &s32, NULL, a, false, x->s)) || (st = lapis_synchronize(x->s)))
        goto fail;
    lapis_array_free(s32);
    s32 = NULL;
    double t0 = now_seconds();
    if ((st = lapis_linalg_svd(NULL, &s32, NULL, a, false, x->s)) || (st = lapis_synchronize(x->s)))
        goto fail;
    double ms = ms_since(t0);
    /* The same (float32-rounded) data in float64 on the CPU. */
    if ((st = lapis_stream_new(&cpu, (lapis_device){LAPIS_CPU, 0})) ||
        (st = lapis_astype(&a64, a, LAPIS_FLOAT64, cpu)) ||
        (st = lapis_linalg_svd(NULL, &s64, NULL, a64, false, cpu)) || (st = lapis_synchronize(cpu)) ||
        (st = tensor_from_array(&S32, s32)) || (st = tensor_from_array(&S64, s64)))
        goto fail;
    double worst = 0;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t j = 0; j < n; j++) {
            double e = fabs(S32.v[b * n + j] - S64.v[b * n + j]) / S64.v[b * n];
            if (!(e <= worst)) worst = e;
        }
    add_row(x, name, ms, "max|s32-s64|/s64[0] %.1e (n*eps %.1e)", worst, n * x->eps);
    rc = 0;
fail:
    if (rc) rc = row_error_or_missing(x, name, st);
    lapis_array_free(a), lapis_array_free(s32), lapis_array_free(a64), lapis_array_free(s64);
    lapis_stream_free(cpu);
    tensor_free(&A), tensor_free(&S32), tensor_free(&S64);
    return rc;
}

/* ---- the table of examples ------------------------------------------------- */

enum { ON_F32 = 1, ON_F64 = 2, ON_BOTH = 3 };

typedef struct demo_entry {
    const char *name;
    int dtypes; /* ON_F32 | ON_F64 */
    int (*run)(demo_ctx *x);
    bool cpu_only; /* no GPU kernel yet (see cpu_only_note) */
} demo_entry;

/* Today the QR/SVD family has no GPU kernel. Should an op return
 * LAPIS_ERR_UNSUPPORTED on the GPU, its row says "not on GPU yet"; where
 * lapis instead runs it on the CPU from the GPU stream, the row is marked
 * with this note, since its time is the CPU's. */
static void cpu_only_note(int first_row) {
    int k = 0;
    for (int i = first_row; i < nrows; i++) {
        if (strncmp(rows[i].errors, "not on GPU", 10) == 0) continue;
        if (!k) k = add_note("no GPU kernel yet for qr/svd: on a GPU stream lapis runs them on "
                             "the CPU, so these rows time the CPU.");
        size_t len = strlen(rows[i].errors);
        snprintf(rows[i].errors + len, sizeof rows[i].errors - len, " [%d]", k);
    }
}

static const demo_entry demo_entries[] = {
    {"solve_vs_inv", ON_BOTH, demo_solve_vs_inv, false},
    {"batched_solve", ON_BOTH, demo_batched_solve, false},
    {"cholesky_aat", ON_BOTH, demo_cholesky_aat, false},
    {"not_spd", ON_BOTH, demo_not_spd, false},
    {"jitter", ON_BOTH, demo_jitter, false},
    {"f64_check", ON_F32, demo_f64_check, false},
    {"svd_square", ON_BOTH, demo_svd_square, true},
    {"svd_rect", ON_BOTH, demo_svd_rect, true},
    {"svd_values", ON_BOTH, demo_svd_values, true},
    {"qr", ON_BOTH, demo_qr, true},
    {"svd_f64_check", ON_F32, demo_svd_f64_check, true},
};

static void print_table(void) {
    int w[3] = {7, 6, 5}, we = 6;
    for (int i = 0; i < nrows; i++) {
        int l = (int)strlen(rows[i].example);
        if (l > w[0]) w[0] = l;
        l = (int)strlen(rows[i].errors);
        if (l > we) we = l;
    }
    printf("%-*s  %-*s  %-*s  %-*s  %10s\n", w[0], "example", w[1], "device", w[2], "dtype", we,
           "errors", "time (ms)");
    for (int i = 0; i < w[0] + w[1] + w[2] + we + 18; i++) putchar('-');
    putchar('\n');
    for (int i = 0; i < nrows; i++) {
        demo_row *r = &rows[i];
        char t[32] = "-";
        if (r->ms >= 0) snprintf(t, sizeof t, "%.3f", r->ms);
        printf("%-*s  %-*s  %-*s  %-*s  %10s\n", w[0], r->example, w[1], r->device, w[2],
               r->dtype, we, r->errors, t);
    }
    printf("\nfwd: |x - x_true|/|x_true|; bwd: |b - A x|/(|A| |x| + |b|) in eps (inf-norms);\n"
           "resid: max |B - A X|_1/(|A|_1 |X|_1 eps); factor: max |A - L L^T|_1/(n |A|_1 eps)\n"
           "(qr: |A - Q R|_1/(m |A|_1 eps)); svd: U S Vt of full_matrices as MLX, recon: max\n"
           "|A - U S V^T|_F/|A|_F; |I-Q^TQ|_F/n and max|tril(R,-1)| (exactly 0) as in the seed.\n");
    for (int i = 0; i < nnotes; i++) {
        printf("%s[%d] %s\n", i ? "" : "\n", i + 1, notes[i]);
        free(notes[i]);
    }
}

int cmd_demo(int argc, char **argv) {
    const char *only = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: lapis demo [--device cpu|gpu]\n");
            return 2;
        }
    }
    lapis_device devs[2] = {{LAPIS_CPU, 0}, {LAPIS_GPU, 0}};
    printf("lapis %s demo: the seed's examples. eps = machine epsilon of the dtype; "
           "ratios of O(1) .. 30 are good.\n\n", LAPIS_VERSION_STRING);
    int failures = 0;
    char absent[256] = "";
    for (int d = 0; d < 2; d++) {
        if (only && strcmp(only, device_str(devs[d])) != 0) continue;
        if (!lapis_device_is_available(devs[d])) {
            snprintf(absent, sizeof absent, "%s: not available: %s.", device_str(devs[d]),
                     device_unavailable_reason(devs[d]));
            continue;
        }
        demo_ctx x = {.dev = devs[d]};
        if (lapis_stream_new(&x.s, devs[d])) {
            fprintf(stderr, "lapis demo: %s\n", lapis_last_error());
            failures++;
            continue;
        }
        for (int t = 0; t < 2; t++) {
            x.dt = t ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            x.eps = dtype_eps(x.dt);
            for (size_t e = 0; e < sizeof demo_entries / sizeof demo_entries[0]; e++)
                if (demo_entries[e].dtypes & (t ? ON_F64 : ON_F32)) {
                    int first = nrows;
                    failures += demo_entries[e].run(&x) != 0;
                    if (demo_entries[e].cpu_only && devs[d].type == LAPIS_GPU) cpu_only_note(first);
                }
        }
        lapis_stream_free(x.s);
    }
    print_table();
    if (absent[0]) printf("\n%s\n", absent);
    return failures ? 1 : 0;
}
