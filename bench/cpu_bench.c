/*
 * `lapis bench --device cpu`: lapis against what a user would otherwise call,
 * in the same run.
 *
 *  - batches of tiny matrices (n <= 32): lapis's batched call against an
 *    OpenMP loop of LAPACKE calls over the batch on the same number of
 *    threads, OpenBLAS set to one thread inside. The loop is the strong form
 *    of what a user writes: column-major `_work` calls (no allocation per
 *    call), per-thread pivot and work buffers allocated once, and each matrix
 *    copied (transposed where the op needs it) into a reused buffer, since
 *    LAPACK overwrites its input and lapis does not.
 *  - single large matrices: lapis against OpenBLAS's LAPACK called directly
 *    on a column-major copy with all threads.
 *
 * Times are medians of repeated runs (clock_gettime MONOTONIC) after a
 * warm-up. Every timed result is checked on a sample of matrices with a
 * backward-error ratio through a random probe vector, e.g.
 * ||A v - L (L^T v)|| / (n ||A|| ||v|| eps); a row whose ratio passes 30, or
 * whose info is not 0, is marked failed and the suite returns nonzero.
 * CSV: op,dtype,n,batch,lapis_ms,peer_ms,speedup,worst_ratio,peer.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef LAPIS_HAVE_LAPACKE /* else the CLI reports the suite as not built */
#include <lapacke.h>

#include "bench.h"
#include "lapis.h"

extern void openblas_set_num_threads(int) __attribute__((weak));
static void blas_threads(int n) {
    if (openblas_set_num_threads) openblas_set_num_threads(n);
}

typedef enum bop { OP_CHOLESKY, OP_LU_FACTOR, OP_SOLVE, OP_INV, OP_EIGH, OP_QR, OP_SVD, OP_N } bop;
static const char *const op_names[OP_N] = {"cholesky", "lu_factor", "solve", "inv",
                                           "eigh",     "qr",        "svd"};
/* Peer names per op: batched loop / single large matrix. */
static const char *const peer_small[OP_N] = {"LAPACKE_potrf loop", "LAPACKE_getrf loop",
                                             "LAPACKE_gesv loop",  "LAPACKE_getrf+getri loop",
                                             "LAPACKE_syevd loop", "LAPACKE_geqrf loop",
                                             "LAPACKE_gesdd loop"};
static const char *const peer_large[OP_N] = {"OpenBLAS dpotrf", "OpenBLAS dgetrf",
                                             "OpenBLAS dgesv",  "OpenBLAS dgetrf+dgetri",
                                             "LAPACK dsyevd",   "OpenBLAS dgeqrf",
                                             "LAPACK dgesdd"};

#define RATIO_LIMIT 30.0
#define SAMPLES 48

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *x, int n) {
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* ---- inputs ------------------------------------------------------------------------ */

static uint64_t mix(uint64_t x) { /* splitmix64 */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
static double unif(uint64_t seed, uint64_t i) { /* (-1, 1) */
    return (double)(mix(seed * 0x100000001b3ull + i) >> 11) / 4503599627370496.0 - 1.0;
}

/* Element (i, j) of matrix m of the op's input: symmetric and diagonally
 * dominant (SPD) for cholesky, symmetric for eigh, general otherwise. */
static double elem(bop op, int64_t m, int64_t n, int64_t i, int64_t j) {
    bool sym = op == OP_CHOLESKY || op == OP_EIGH;
    int64_t r = sym && j > i ? j : i, c = sym && j > i ? i : j;
    double v = unif((uint64_t)m + 17, (uint64_t)(r * n + c));
    if (op == OP_CHOLESKY && i == j) v = (double)n + 1 + v;
    return v;
}

static void *fill(bop op, lapis_dtype dt, int64_t n, int64_t batch) {
    size_t es = dt == LAPIS_FLOAT32 ? 4 : 8;
    int64_t nn = n * n;
    void *a = malloc((size_t)(nn * batch) * es);
    if (!a) return NULL;
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < batch; m++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double v = elem(op, m, n, i, j);
                if (dt == LAPIS_FLOAT32) ((float *)a)[m * nn + i * n + j] = (float)v;
                else ((double *)a)[m * nn + i * n + j] = v;
            }
    return a;
}

static double rd(const void *p, int64_t i, lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

/* ---- backward-error ratios through a probe vector ------------------------------------ */

/* A matrix in memory: element (i, j) at base[i * rs + j * cs]. */
typedef struct view {
    const void *p;
    int64_t rs, cs;
    lapis_dtype dt;
} view;
static double at(view v, int64_t i, int64_t j) { return rd(v.p, i * v.rs + j * v.cs, v.dt); }
static view rowmajor(const void *p, int64_t n, lapis_dtype dt) { return (view){p, n, 1, dt}; }
static view colmajor(const void *p, int64_t n, lapis_dtype dt) { return (view){p, 1, n, dt}; }

static double norm_inf(view a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < n; j++) s += fabs(at(a, i, j));
        if (s > m) m = s;
    }
    return m;
}
static double vmax(const double *v, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}
/* y = op(A) x, op = transpose when t; part: 0 all, 1 lower, 2 upper, 3 unit lower */
static void mv(view a, int64_t n, const double *x, double *y, bool t, int part) {
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < n; j++) {
            int64_t r = t ? j : i, c = t ? i : j;
            if ((part == 1 || part == 3) && c > r) continue;
            if (part == 2 && c < r) continue;
            s += (part == 3 && r == c) ? x[j] : at(a, r, c) * x[j];
        }
        y[i] = s;
    }
}
static void swaps(double *v, const void *piv, bool piv32, int64_t n, int base) {
    for (int64_t j = 0; j < n; j++) {
        int64_t r = (piv32 ? (int64_t)((const uint32_t *)piv)[j] : (int64_t)((const lapack_int *)piv)[j]) - base;
        double t = v[j];
        v[j] = v[r];
        v[r] = t;
    }
}

/*
 * The ratio for one matrix: a is the input (row-major); res is the result in
 * the layout `rv` (and `rv2` for a second factor: V of eigh, Vt of svd), aux
 * the pivots/eigenvalues/singular values/right side.
 */
typedef struct result {
    view f, f2;
    const void *aux;  /* pivots (lapis uint32 0-based or LAPACK int 1-based), w, sv  */
    bool piv32;
    const void *b;    /* solve: right side (row-major vector)                         */
    lapis_dtype dt;
} result;

static double ratio(bop op, const void *a, int64_t n, result r) {
    view A = rowmajor(a, n, r.dt);
    double eps = r.dt == LAPIS_FLOAT32 ? FLT_EPSILON : DBL_EPSILON;
    double *v = malloc(sizeof(double) * 4 * n), *y = v + n, *z = v + 2 * n, *u = v + 3 * n;
    for (int64_t i = 0; i < n; i++) v[i] = unif(99, (uint64_t)i);
    double na = norm_inf(A, n), den = 0, num = 0;
    switch (op) {
    case OP_CHOLESKY: /* A v - L (L^T v) */
        mv(r.f, n, v, z, true, 1);
        mv(r.f, n, z, y, false, 1);
        mv(A, n, v, z, false, 0);
        for (int64_t i = 0; i < n; i++) y[i] -= z[i];
        num = vmax(y, n);
        den = n * na * vmax(v, n);
        break;
    case OP_LU_FACTOR: /* P A v - L (U v) */
        mv(r.f, n, v, z, false, 2);
        mv(r.f, n, z, y, false, 3);
        mv(A, n, v, z, false, 0);
        swaps(z, r.aux, r.piv32, n, r.piv32 ? 0 : 1);
        for (int64_t i = 0; i < n; i++) y[i] -= z[i];
        num = vmax(y, n);
        den = n * na * vmax(v, n);
        break;
    case OP_SOLVE: /* A x - b */
        for (int64_t i = 0; i < n; i++) u[i] = at(r.f, i, 0);
        mv(A, n, u, y, false, 0);
        for (int64_t i = 0; i < n; i++) y[i] -= rd(r.b, i, r.dt);
        num = vmax(y, n);
        den = n * na * vmax(u, n);
        for (int64_t i = 0; i < n; i++) den = fmax(den, n * na * vmax(u, n) + fabs(rd(r.b, i, r.dt)));
        break;
    case OP_INV: /* A (X v) - v */
        mv(r.f, n, v, z, false, 0);
        mv(A, n, z, y, false, 0);
        for (int64_t i = 0; i < n; i++) y[i] -= v[i];
        num = vmax(y, n);
        den = n * na * norm_inf(r.f, n) * vmax(v, n);
        break;
    case OP_EIGH: /* A (V v) - V (w .* v) */
        mv(r.f, n, v, z, false, 0);
        mv(A, n, z, y, false, 0);
        for (int64_t i = 0; i < n; i++) u[i] = rd(r.aux, i, r.dt) * v[i];
        mv(r.f, n, u, z, false, 0);
        for (int64_t i = 0; i < n; i++) y[i] -= z[i];
        num = vmax(y, n);
        den = n * na * vmax(v, n);
        break;
    case OP_QR: /* A^T A v - R^T R v */
        mv(r.f, n, v, z, false, 2);
        mv(r.f, n, z, u, true, 2);
        mv(A, n, v, z, false, 0);
        mv(A, n, z, y, true, 0);
        for (int64_t i = 0; i < n; i++) y[i] -= u[i];
        num = vmax(y, n);
        den = n * na * na * vmax(v, n);
        break;
    case OP_SVD: /* A v - U (s .* (Vt v)) */
        mv(r.f2, n, v, z, false, 0);
        for (int64_t i = 0; i < n; i++) z[i] *= rd(r.aux, i, r.dt);
        mv(r.f, n, z, y, false, 0);
        mv(A, n, v, z, false, 0);
        for (int64_t i = 0; i < n; i++) y[i] -= z[i];
        num = vmax(y, n);
        den = n * na * vmax(v, n);
        break;
    default: break;
    }
    free(v);
    if (!(num == num)) return INFINITY;
    return den > 0 ? num / (den * eps) : (num == 0 ? 0 : INFINITY);
}

/* ---- lapis --------------------------------------------------------------------------- */

typedef struct lapis_out {
    lapis_array x, x2, aux, info; /* main output, second output, pivots/w/sv, info */
} lapis_out;

static void out_free(lapis_out *o) {
    lapis_array_free(o->x);
    lapis_array_free(o->x2);
    lapis_array_free(o->aux);
    lapis_array_free(o->info);
    memset(o, 0, sizeof *o);
}

static lapis_status lapis_call(bop op, lapis_array a, lapis_array b, lapis_out *o) {
    lapis_status st;
    switch (op) {
    case OP_CHOLESKY: st = lapis_linalg_cholesky_ex(&o->x, &o->info, a, false, NULL); break;
    case OP_LU_FACTOR: st = lapis_linalg_lu_factor_ex(&o->x, &o->aux, &o->info, a, NULL); break;
    case OP_SOLVE: st = lapis_linalg_solve_ex(&o->x, &o->info, a, b, NULL); break;
    case OP_INV: st = lapis_linalg_inv_ex(&o->x, &o->info, a, NULL); break;
    case OP_EIGH: st = lapis_linalg_eigh_ex(&o->aux, &o->x, &o->info, a, false, NULL); break;
    case OP_QR: st = lapis_linalg_qr_ex(NULL, &o->x, &o->info, a, NULL); break;
    case OP_SVD: st = lapis_linalg_svd_ex(&o->x, &o->aux, &o->x2, &o->info, a, true, NULL); break;
    default: st = LAPIS_ERR_INVALID_ARGUMENT;
    }
    if (!st) st = lapis_synchronize(NULL);
    return st;
}

static void *read_all(lapis_array x) {
    if (!x) return NULL;
    size_t bytes = (size_t)lapis_array_size(x) * lapis_dtype_size(lapis_array_dtype(x));
    void *p = malloc(bytes + 8);
    if (p && lapis_array_read(x, p, bytes)) {
        free(p);
        return NULL;
    }
    return p;
}

/* ---- the peer: one matrix, column-major, into per-thread buffers ------------------------ */

typedef struct peer_ws {
    void *f, *f2, *aux, *work;
    lapack_int *ipiv, *iwork;
    lapack_int lwork, liwork;
} peer_ws;

/* Workspace sizes by query (double for both dtypes: big enough for float). */
static void peer_sizes(bop op, lapack_int n, lapack_int *lwork, lapack_int *liwork) {
    double q = 0;
    lapack_int qi = 0;
    *lwork = 1;
    *liwork = 1;
    if (op == OP_INV) *lwork = n * 64;
    if (op == OP_QR) *lwork = n * 64;
    if (op == OP_EIGH) {
        double w = 0, a = 0;
        LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'U', n, &a, n, &w, &q, -1, &qi, -1);
        *lwork = (lapack_int)q;
        *liwork = qi;
    }
    if (op == OP_SVD) {
        double a = 0, s = 0, u = 0, vt = 0;
        lapack_int iw = 0;
        LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'A', n, n, &a, n, &s, &u, n, &vt, n, &q, -1, &iw);
        *lwork = (lapack_int)q;
        *liwork = 8 * n;
    }
}

static bool peer_ws_alloc(peer_ws *w, bop op, lapack_int n, size_t es) {
    memset(w, 0, sizeof *w);
    peer_sizes(op, n, &w->lwork, &w->liwork);
    w->work = malloc((size_t)w->lwork * 8 + 64);
    w->iwork = malloc((size_t)w->liwork * sizeof(lapack_int) + 64);
    w->ipiv = malloc((size_t)n * sizeof(lapack_int) + 64);
    w->aux = malloc((size_t)n * 8 + 64);
    w->f2 = malloc((size_t)n * n * es + 64);
    return w->work && w->iwork && w->ipiv && w->aux && w->f2;
}
static void peer_ws_free(peer_ws *w) {
    free(w->work);
    free(w->iwork);
    free(w->ipiv);
    free(w->aux);
    free(w->f2);
}

/* One call: copies a into f, transposing row-major to column-major unless a is
 * symmetric or already column-major (cm), and b into x. Returns LAPACK's info. */
#define PEER_ONE(ch, TT)                                                                          \
    static lapack_int peer_one_##ch(bop op, lapack_int n, const TT *a, bool cm, TT *f, const TT *b, \
                                    TT *x, peer_ws *w) {                                          \
        if (cm || op == OP_CHOLESKY || op == OP_EIGH) memcpy(f, a, sizeof(TT) * n * n);           \
        else                                                                                      \
            for (lapack_int i = 0; i < n; i++)                                                    \
                for (lapack_int j = 0; j < n; j++) f[j * n + i] = a[i * n + j];                   \
        switch (op) {                                                                             \
        case OP_CHOLESKY: return LAPACKE_##ch##potrf_work(LAPACK_COL_MAJOR, 'U', n, f, n);        \
        case OP_LU_FACTOR: return LAPACKE_##ch##getrf_work(LAPACK_COL_MAJOR, n, n, f, n, w->ipiv); \
        case OP_SOLVE:                                                                            \
            memcpy(x, b, sizeof(TT) * n);                                                         \
            return LAPACKE_##ch##gesv_work(LAPACK_COL_MAJOR, n, 1, f, n, w->ipiv, x, n);          \
        case OP_INV: {                                                                            \
            lapack_int info = LAPACKE_##ch##getrf_work(LAPACK_COL_MAJOR, n, n, f, n, w->ipiv);    \
            if (info) return info;                                                                \
            return LAPACKE_##ch##getri_work(LAPACK_COL_MAJOR, n, f, n, w->ipiv, (TT *)w->work,    \
                                            w->lwork);                                            \
        }                                                                                         \
        case OP_EIGH:                                                                             \
            return LAPACKE_##ch##syevd_work(LAPACK_COL_MAJOR, 'V', 'U', n, f, n, (TT *)w->aux,    \
                                            (TT *)w->work, w->lwork, w->iwork, w->liwork);        \
        case OP_QR:                                                                               \
            return LAPACKE_##ch##geqrf_work(LAPACK_COL_MAJOR, n, n, f, n, (TT *)w->aux,           \
                                            (TT *)w->work, w->lwork);                             \
        case OP_SVD: {                                                                            \
            /* u into f2, vt over x (n x n)  */                                                   \
            return LAPACKE_##ch##gesdd_work(LAPACK_COL_MAJOR, 'A', n, n, f, n, (TT *)w->aux,      \
                                            (TT *)w->f2, n, x, n, (TT *)w->work, w->lwork,        \
                                            w->iwork);                                            \
        }                                                                                         \
        default: return -1;                                                                       \
        }                                                                                         \
    }
PEER_ONE(s, float)
PEER_ONE(d, double)
#undef PEER_ONE

/* ---- one row ---------------------------------------------------------------------------- */

typedef struct row {
    bop op;
    lapis_dtype dt;
    int64_t n, batch;
    double lapis_ms, peer_ms, worst;
    bool ok;
    const char *note;
} row;

static int64_t sample_index(int s, int ns, int64_t batch) {
    return ns <= 1 ? 0 : (int64_t)s * (batch - 1) / (ns - 1);
}

static void bench_row(row *rw, int reps, int nt) {
    bop op = rw->op;
    lapis_dtype dt = rw->dt;
    int64_t n = rw->n, batch = rw->batch, nn = n * n;
    size_t es = dt == LAPIS_FLOAT32 ? 4 : 8;
    bool single = batch == 1;
    rw->ok = false;
    rw->worst = 0;
    rw->lapis_ms = rw->peer_ms = NAN;
    rw->note = "";

    void *a = fill(op, dt, n, batch), *b = NULL;
    void *pf = malloc((size_t)(nn * batch) * es + 64); /* the peer's outputs */
    void *px = malloc((size_t)(nn * batch) * es + 64);
    lapack_int *ppiv = malloc(sizeof(lapack_int) * (size_t)(n * batch) + 64);
    void *paux = malloc((size_t)(n * batch) * es + 64);
    int32_t *pinfo = malloc(sizeof(int32_t) * (size_t)batch + 64);
    lapis_array A = NULL, B = NULL;
    lapis_out o = {0};
    peer_ws *ws = calloc((size_t)nt, sizeof *ws);
    double *tl = malloc(sizeof(double) * (size_t)(reps + 1));
    double *tp = malloc(sizeof(double) * (size_t)(reps + 1));
    void *lx = NULL, *lx2 = NULL, *laux = NULL, *acm = NULL;
    int32_t *linfo = NULL;
    if (!a || !pf || !px || !ppiv || !paux || !pinfo || !ws || !tl || !tp) {
        rw->note = "out of memory";
        goto done;
    }
    if (op == OP_SOLVE) {
        b = malloc((size_t)(n * batch) * es);
        if (!b) {
            rw->note = "out of memory";
            goto done;
        }
        for (int64_t i = 0; i < n * batch; i++) {
            double v = unif(7, (uint64_t)i);
            if (dt == LAPIS_FLOAT32) ((float *)b)[i] = (float)v;
            else ((double *)b)[i] = v;
        }
    }
    int64_t shape[3] = {batch, n, n}, bshape[3] = {batch, n, 1};
    int sh0 = single ? 1 : 0;
    if (lapis_array_from_data(&A, a, shape + sh0, 3 - sh0, dt) ||
        (b && lapis_array_from_data(&B, b, bshape + sh0, 3 - sh0, dt))) {
        rw->note = "cannot create the inputs";
        goto done;
    }
    for (int i = 0; i < nt; i++)
        if (!peer_ws_alloc(&ws[i], op, (lapack_int)n, es)) {
            rw->note = "out of memory";
            goto done;
        }

    /* the peer; a single large matrix is given to it column-major, as a user
     * of LAPACK would hold it (the transpose is not timed) */
    if (single) {
        acm = malloc((size_t)nn * es);
        if (!acm) {
            rw->note = "out of memory";
            goto done;
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++)
                memcpy((char *)acm + (j * n + i) * es, (const char *)a + (i * n + j) * es, es);
    }
    /* lapis and the peer take turns, so that drift in the machine's load
     * reaches both alike; the first run of each is a warm-up */
    for (int r = 0; r <= reps; r++) {
        out_free(&o);
        double t0 = now_ms();
        lapis_status st = lapis_call(op, A, B, &o);
        tl[r] = now_ms() - t0;
        if (st) {
            rw->note = lapis_last_error();
            fprintf(stderr, "cpu bench: %s n=%lld: %s\n", op_names[op], (long long)n,
                    lapis_last_error());
            goto done;
        }
        t0 = now_ms();
        if (single) {
            blas_threads(nt);
            if (dt == LAPIS_FLOAT32)
                pinfo[0] = peer_one_s(op, (lapack_int)n, acm, true, pf, b, px, &ws[0]);
            else
                pinfo[0] = peer_one_d(op, (lapack_int)n, acm, true, pf, b, px, &ws[0]);
            if (op == OP_LU_FACTOR || op == OP_SOLVE) memcpy(ppiv, ws[0].ipiv, sizeof(lapack_int) * n);
            if (op == OP_EIGH || op == OP_SVD) memcpy(paux, ws[0].aux, es * n);
        } else {
            blas_threads(1);
#pragma omp parallel for num_threads(nt) schedule(static)
            for (int64_t m = 0; m < batch; m++) {
                int tid = 0;
#ifdef _OPENMP
                tid = omp_get_thread_num();
#endif
                peer_ws *w = &ws[tid];
                lapack_int info;
                if (dt == LAPIS_FLOAT32)
                    info = peer_one_s(op, (lapack_int)n, (const float *)a + m * nn, false,
                                      (float *)pf + m * nn, b ? (const float *)b + m * n : NULL,
                                      (float *)px + m * nn, w);
                else
                    info = peer_one_d(op, (lapack_int)n, (const double *)a + m * nn, false,
                                      (double *)pf + m * nn, b ? (const double *)b + m * n : NULL,
                                      (double *)px + m * nn, w);
                pinfo[m] = (int32_t)info;
                if (op == OP_LU_FACTOR)
                    memcpy(ppiv + m * n, w->ipiv, sizeof(lapack_int) * (size_t)n);
                if (op == OP_EIGH) memcpy((char *)paux + m * n * es, w->aux, es * (size_t)n);
                if (op == OP_SVD) { /* S, and U over the spent copy of A, to check them */
                    memcpy((char *)paux + m * n * es, w->aux, es * (size_t)n);
                    memcpy((char *)pf + m * nn * es, w->f2, es * (size_t)nn);
                }
            }
            blas_threads(nt);
        }
        tp[r] = now_ms() - t0;
    }
    rw->lapis_ms = median(tl + 1, reps);
    rw->peer_ms = median(tp + 1, reps);
    lx = read_all(o.x);
    lx2 = read_all(o.x2);
    laux = read_all(o.aux);
    linfo = read_all(o.info);
    out_free(&o);

    /* answers: info 0 everywhere, ratios on a sample */
    bool info_ok = true;
    for (int64_t m = 0; m < batch; m++) info_ok &= linfo[m] == 0 && pinfo[m] == 0;
    int ns = batch < SAMPLES ? (int)batch : SAMPLES;
    double worst = 0, worst_peer = 0;
    for (int s = 0; s < ns; s++) {
        int64_t m = sample_index(s, ns, batch);
        const char *am = (const char *)a + m * nn * es;
        result lr = {.f = rowmajor((const char *)lx + m * (op == OP_SOLVE ? n : nn) * es, n, dt),
                     .aux = laux ? (const char *)laux + m * n * (op == OP_LU_FACTOR ? 4 : es) : NULL,
                     .piv32 = true, .b = b ? (const char *)b + m * n * es : NULL, .dt = dt};
        if (op == OP_SOLVE) lr.f = (view){lr.f.p, 1, 0, dt};
        if (op == OP_SVD) lr.f2 = rowmajor((const char *)lx2 + m * nn * es, n, dt);
        double q = ratio(op, am, n, lr);
        worst = fmax(worst, q);
        /* the peer's answer, in its layout */
        result pr = {.f = colmajor((const char *)pf + m * nn * es, n, dt), .piv32 = false,
                     .b = lr.b, .dt = dt};
        if (op == OP_CHOLESKY) pr.f = rowmajor(pr.f.p, n, dt); /* 'U' col-major = L row-major */
        if (op == OP_LU_FACTOR || op == OP_SOLVE) pr.aux = ppiv + m * n;
        if (op == OP_SOLVE) pr.f = (view){(const char *)px + m * nn * es, 1, 0, dt};
        if (op == OP_EIGH) pr.aux = (const char *)paux + m * n * es;
        if (op == OP_SVD && single) {
            pr.f = colmajor(ws[0].f2, n, dt);
            pr.f2 = colmajor(px, n, dt);
            pr.aux = ws[0].aux;
        } else if (op == OP_SVD) {
            pr.f2 = colmajor((const char *)px + m * nn * es, n, dt);
            pr.aux = (const char *)paux + m * n * es;
        }
        worst_peer = fmax(worst_peer, ratio(op, am, n, pr));
    }
    rw->worst = worst;
    rw->ok = info_ok && worst < RATIO_LIMIT;
    if (!info_ok) rw->note = "info != 0";
    else if (!(worst < RATIO_LIMIT)) rw->note = "lapis ratio too large";
    if (!(worst_peer < RATIO_LIMIT))
        fprintf(stderr, "cpu bench: %s n=%lld: the peer's ratio is %.3g\n", op_names[op],
                (long long)n, worst_peer);

done:
    out_free(&o);
    lapis_array_free(A);
    lapis_array_free(B);
    if (ws)
        for (int i = 0; i < nt; i++) peer_ws_free(&ws[i]);
    free(ws);
    free(tl);
    free(tp);
    free(a);
    free(b);
    free(pf);
    free(px);
    free(ppiv);
    free(paux);
    free(pinfo);
    free(acm);
    free(lx);
    free(lx2);
    free(laux);
    free(linfo);
}

/* ---- options, output, plot --------------------------------------------------------------- */

static bool listed(const char *list, const char *name) {
    if (!list) return true;
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && !strncmp(p, name, len)) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

static int parse_sizes(const char *s, int64_t *out, int cap) {
    int k = 0;
    while (s && *s && k < cap) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s) break;
        if (v > 0) out[k++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end != ',') break;
    }
    return k;
}

static bool have(const char *cmd) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s >/dev/null 2>&1", cmd);
    return system(buf) == 0;
}

/* Time per matrix vs n, one panel per op, when gnuplot or matplotlib exists. */
static void plot(const row *rows, int nrows) {
    const char *dat = "lapis_cpu_bench.dat", *png = "lapis_cpu_bench.png";
    bool gp = have("command -v gnuplot"), mpl = !gp && have("python3 -c 'import matplotlib'");
    if (!gp && !mpl) return;
    FILE *f = fopen(dat, "w");
    if (!f) return;
    for (int i = 0; i < nrows; i++)
        if (rows[i].batch > 1 && rows[i].ok)
            fprintf(f, "%s %s %lld %.6g %.6g\n", op_names[rows[i].op],
                    rows[i].dt == LAPIS_FLOAT32 ? "f32" : "f64", (long long)rows[i].n,
                    rows[i].lapis_ms * 1e3 / rows[i].batch, rows[i].peer_ms * 1e3 / rows[i].batch);
    fclose(f);
    char cmd[4096];
    if (gp) {
        snprintf(cmd, sizeof cmd,
                 "gnuplot -e \"set terminal png size 1400,900; set output '%s'; set logscale xy; "
                 "set xlabel 'n'; set ylabel 'us per matrix'; set multiplot layout 2,2; "
                 "do for [op in 'cholesky lu_factor solve inv'] { set title op.' (f64)'; "
                 "plot '%s' using (strcol(1) eq op && strcol(2) eq 'f64' ? \\$3 : 1/0):4 w lp "
                 "t 'lapis', '' using (strcol(1) eq op && strcol(2) eq 'f64' ? \\$3 : 1/0):5 w lp "
                 "t 'LAPACKE loop' }; unset multiplot\" >/dev/null 2>&1",
                 png, dat);
    } else {
        snprintf(cmd, sizeof cmd,
                 "python3 - >/dev/null 2>&1 <<'EOF'\n"
                 "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
                 "rows=[l.split() for l in open('%s')]\n"
                 "ops=sorted(set(r[0] for r in rows)); fig,ax=plt.subplots(1,len(ops),figsize=(5*len(ops),4))\n"
                 "ax=ax if len(ops)>1 else [ax]\n"
                 "for a,op in zip(ax,ops):\n"
                 "  for dt in ('f64','f32'):\n"
                 "    s=[r for r in rows if r[0]==op and r[1]==dt]\n"
                 "    if not s: continue\n"
                 "    n=[int(r[2]) for r in s]\n"
                 "    a.loglog(n,[float(r[3]) for r in s],'o-',label='lapis '+dt)\n"
                 "    a.loglog(n,[float(r[4]) for r in s],'s--',label='LAPACKE loop '+dt)\n"
                 "  a.set_title(op); a.set_xlabel('n'); a.set_ylabel('us per matrix'); a.legend()\n"
                 "plt.tight_layout(); plt.savefig('%s')\n"
                 "EOF",
                 dat, png);
    }
    if (system(cmd) == 0) printf("plot: %s\n", png);
}

int lapis_bench_cpu(const bench_options *opt) {
    int nt = lapis_num_threads();
    bool quick = opt && opt->quick;
    long batch = opt && opt->batch > 0 ? opt->batch : quick ? 10000 : 100000;
    int reps_small = quick ? 3 : 7, reps_large = quick ? 2 : 5;
    int64_t small_n[16] = {3, 4, 8, 16, 32}, large_n[16] = {2000, 4000};
    int nsmall = 5, nlarge = quick ? 1 : 2;
    if (quick) large_n[0] = 1000;
    if (opt && opt->sizes) {
        int64_t all[32];
        int k = parse_sizes(opt->sizes, all, 32);
        nsmall = nlarge = 0;
        for (int i = 0; i < k; i++) {
            if (all[i] <= 32 && nsmall < 16) small_n[nsmall++] = all[i];
            else if (all[i] > 32 && nlarge < 16) large_n[nlarge++] = all[i];
        }
    }
    const char *ops = opt ? opt->ops : NULL;
    bool own_sizes = opt && opt->sizes;
    lapis_device cpu = {LAPIS_CPU, 0};
    if (lapis_set_default_device(cpu)) {
        fprintf(stderr, "cpu bench: %s\n", lapis_last_error());
        return 1;
    }
    FILE *csv = opt ? opt->csv : NULL;
    FILE *human = csv == stdout ? stderr : stdout;
    if (csv) fprintf(csv, "op,dtype,n,batch,lapis_ms,peer_ms,speedup,worst_ratio,peer\n");
    fprintf(human, "cpu: %d threads; batches of %ld; medians of %d (small) / %d (large) runs\n",
            nt, batch, reps_small, reps_large);
    const char *bl = strstr(lapis_build_info(), "BLAS/LAPACK:"); /* peer and large matrices */
    if (bl) fprintf(human, "%.*s\n", (int)strcspn(bl, "\n"), bl);
    fprintf(human, "%-10s %-5s %6s %7s %11s %11s %8s %10s  %s\n", "op", "dtype", "n", "batch",
            "lapis_ms", "peer_ms", "speedup", "ratio", "peer");

    row rows[256];
    int nrows = 0, rc = 0;
    static const bop small_ops[] = {OP_CHOLESKY, OP_LU_FACTOR, OP_SOLVE, OP_INV,
                                    OP_EIGH,     OP_QR,        OP_SVD};
    static const bop large_ops[] = {OP_CHOLESKY, OP_LU_FACTOR, OP_SOLVE, OP_QR, OP_EIGH, OP_SVD};
    for (int pass = 0; pass < 2; pass++) {
        bool large = pass == 1;
        int nops = large ? 6 : 7;
        for (int d = 0; d < 2; d++) {
            lapis_dtype dt = d == 0 ? LAPIS_FLOAT64 : LAPIS_FLOAT32;
            if (large && dt == LAPIS_FLOAT32) continue; /* the large targets are float64 */
            for (int oi = 0; oi < nops; oi++) {
                bop op = large ? large_ops[oi] : small_ops[oi];
                if (!listed(ops, op_names[op])) continue;
                /* eigh in float32 batches, and eigh/svd beyond n = 1000, only when asked */
                if (!large && (op == OP_EIGH || op == OP_SVD) && dt == LAPIS_FLOAT32 && !ops)
                    continue;
                int cnt = large ? nlarge : nsmall;
                for (int si = 0; si < cnt && nrows < 256; si++) {
                    int64_t n = large ? large_n[si] : small_n[si];
                    if (large && (op == OP_EIGH || op == OP_SVD) && !own_sizes) n = 1000;
                    if (large && (op == OP_EIGH || op == OP_SVD) && !own_sizes && si > 0) continue;
                    row *rw = &rows[nrows++];
                    /* the LAPACKE syevd/gesdd loops take seconds a run from n = 16:
                     * their batches stop at 10,000 */
                    int64_t bb = large ? 1 : batch;
                    if ((op == OP_EIGH || op == OP_SVD) && n >= 16 && bb > 10000) bb = 10000;
                    *rw = (row){.op = op, .dt = dt, .n = n, .batch = bb};
                    bench_row(rw, large ? reps_large : reps_small, nt);
                    double sp = rw->peer_ms / rw->lapis_ms;
                    const char *peer = large ? peer_large[op] : peer_small[op];
                    fprintf(human, "%-10s %-5s %6lld %7lld %11.3f %11.3f %7.2fx %10.3g  %s%s%s\n",
                            op_names[op], dt == LAPIS_FLOAT32 ? "f32" : "f64", (long long)n,
                            (long long)rw->batch, rw->lapis_ms, rw->peer_ms, sp, rw->worst, peer,
                            rw->ok ? "" : "  FAILED: ", rw->ok ? "" : rw->note);
                    fflush(human);
                    if (csv) {
                        fprintf(csv, "%s,%s,%lld,%lld,%.4f,%.4f,%.3f,%.3g,%s\n", op_names[op],
                                dt == LAPIS_FLOAT32 ? "f32" : "f64", (long long)n,
                                (long long)rw->batch, rw->lapis_ms, rw->peer_ms, sp, rw->worst,
                                peer);
                        fflush(csv);
                    }
                    if (!rw->ok) rc = 1;
                }
            }
        }
    }
    plot(rows, nrows);
    return rc;
}

#endif /* LAPIS_HAVE_LAPACKE */
