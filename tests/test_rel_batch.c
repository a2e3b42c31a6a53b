/*
 * Batch invariance at scale (issue 4, item 3): a matrix gives the same
 * result alone, on repeated calls, and at the first, middle and last
 * positions of batches of 65535, 65536 and 70000 matrices (CPU: bitwise;
 * other devices: within a small multiple of eps). Sizes 65535/65536/70000
 * straddle the 16-bit boundary and every lane/group/thread split of the
 * batched kernels. Small n (3 and 8) keeps it fast; the quick run (make
 * test) does n = 8 at 65536 only and the spectral ops at n = 3 only.
 *
 * LAPIS_REL_QUICK=1 (valgrind in CI): n = 3, float64, one batch of 257.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

typedef enum {
    OP_CHOL, OP_LUF, OP_INV, OP_SOLVE, OP_SOLVETRI, OP_TRIINV, OP_DET,
    OP_QR, OP_SVD, OP_EIGH, OP_NOPS
} op_id;
static const char *k_names[OP_NOPS] = {"cholesky", "lu_factor", "inv", "solve",
                                       "solve_triangular", "tri_inv", "det", "qr", "svd", "eigh"};

#define MAXOUT 3

/* Runs op; outs[] get its outputs (NULL-padded). Returns the status. */
static lapis_status run(op_id op, lapis_array *outs, lapis_array a, lapis_array b, lapis_stream s) {
    for (int i = 0; i < MAXOUT; i++) outs[i] = NULL;
    switch (op) {
    case OP_CHOL: return lapis_linalg_cholesky(&outs[0], a, false, s);
    case OP_LUF: return lapis_linalg_lu_factor(&outs[0], &outs[1], a, s);
    case OP_INV: return lapis_linalg_inv(&outs[0], a, s);
    case OP_SOLVE: return lapis_linalg_solve(&outs[0], a, b, s);
    case OP_SOLVETRI: return lapis_linalg_solve_triangular(&outs[0], a, b, true, s);
    case OP_TRIINV: return lapis_linalg_tri_inv(&outs[0], a, false, s);
    case OP_DET: return lapis_linalg_det(&outs[0], a, s);
    case OP_QR: return lapis_linalg_qr(&outs[0], &outs[1], a, s);
    case OP_SVD: return lapis_linalg_svd(&outs[0], &outs[1], &outs[2], a, false, s);
    case OP_EIGH: return lapis_linalg_eigh(&outs[0], &outs[1], a, false, s);
    default: return LAPIS_ERR_INTERNAL;
    }
}

static matgen_type type_for(op_id op) {
    switch (op) {
    case OP_CHOL:
    case OP_EIGH: return MATGEN_SPD;
    case OP_SOLVETRI: return MATGEN_UPPER;
    case OP_TRIINV: return MATGEN_LOWER;
    default: return MATGEN_COND_GEOM;
    }
}

static void free_outs(lapis_array *outs) {
    for (int i = 0; i < MAXOUT; i++) lapis_array_free(outs[i]);
}

/* Reads an output into a new host buffer of lapis_array_nbytes bytes. */
static unsigned char *read_all(lapis_array x, size_t *nbytes) {
    *nbytes = lapis_array_nbytes(x);
    unsigned char *buf = h_alloc(*nbytes + 1);
    if (buf && !H_OK(lapis_array_read(x, buf, *nbytes))) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Bitwise on the CPU; elsewhere |got - ref| <= tol * max|ref| per slice. */
static bool same(const unsigned char *got, const unsigned char *ref, size_t bytes, lapis_dtype dt,
                 bool bitwise, int64_t n) {
    if (bitwise || (dt != LAPIS_FLOAT32 && dt != LAPIS_FLOAT64)) return memcmp(got, ref, bytes) == 0;
    size_t es = lapis_dtype_size(dt), cnt = bytes / es;
    double big = 0, diff = 0;
    for (size_t i = 0; i < cnt; i++) {
        double g = dt == LAPIS_FLOAT32 ? ((const float *)got)[i] : ((const double *)got)[i];
        double r = dt == LAPIS_FLOAT32 ? ((const float *)ref)[i] : ((const double *)ref)[i];
        if (isnan(g) != isnan(r)) return false;
        if (isnan(r)) continue;
        big = fmax(big, fabs(r));
        diff = fmax(diff, fabs(g - r));
    }
    return diff <= 100.0 * (double)(n + 1) * h_eps(dt) * big;
}

#define POOL 61 /* distinct filler matrices, cycled through the batch */

static void invariance(const h_dev *dev, op_id op, lapis_dtype dt, int64_t n,
                       const int64_t *batches, int nbatches) {
    const int64_t nn = n * n, k = 2, nk = n * k;
    matgen_type t = type_for(op);
    lapis_stream s = dev->stream;
    bool bitwise = dev->dev.type == LAPIS_CPU;
    /* the matrix under test and a pool of fillers, rounded to dt */
    double *m = h_alloc((size_t)nn * sizeof(double)), *bm = h_alloc((size_t)nk * sizeof(double));
    double *pool = h_alloc((size_t)(POOL * nn) * sizeof(double));
    double *bpool = h_alloc((size_t)(POOL * nk) * sizeof(double));
    if (!m || !bm || !pool || !bpool) goto out;
    memcpy(m, h_gen(t, n, 1e3, dt == LAPIS_FLOAT32, 0, 777), (size_t)nn * sizeof(double));
    for (int64_t i = 0; i < nk; i++) bm[i] = matgen_normal(778, (uint64_t)i);
    for (int j = 0; j < POOL; j++) {
        memcpy(pool + j * nn, h_gen(t, n, 1e3, dt == LAPIS_FLOAT32, 0, 900 + (uint64_t)j),
               (size_t)nn * sizeof(double));
        for (int64_t i = 0; i < nk; i++) bpool[j * nk + i] = matgen_normal(1900 + (uint64_t)j, (uint64_t)i);
    }
    h_round(m, nn, dt);
    h_round(bm, nk, dt);
    h_round(pool, POOL * nn, dt);
    h_round(bpool, POOL * nk, dt);

    int64_t s2[2] = {n, n}, sb[2] = {n, k};
    lapis_array A = h_array(m, s2, 2, dt), B = h_array(bm, sb, 2, dt);
    lapis_array ref[MAXOUT] = {0};
    unsigned char *refb[MAXOUT] = {0};
    size_t refn[MAXOUT] = {0};
    if (!A || !B) goto free_ab;
    lapis_status st = run(op, ref, A, B, s);
    if (st == LAPIS_ERR_UNSUPPORTED) {
        printf("test_rel_batch: %s not available on %s, skipped\n", k_names[op], dev->name);
        goto free_ab;
    }
    if (!H_OK(st)) goto free_ab;
    for (int o = 0; o < MAXOUT && ref[o]; o++) refb[o] = read_all(ref[o], &refn[o]);

    /* repeated calls */
    for (int rep = 0; rep < 2; rep++) {
        lapis_array again[MAXOUT];
        if (H_OK(run(op, again, A, B, s)))
            for (int o = 0; o < MAXOUT && again[o]; o++) {
                size_t nb;
                unsigned char *g = read_all(again[o], &nb);
                H_CHECK(g && refb[o] && nb == refn[o] && same(g, refb[o], nb, lapis_array_dtype(again[o]), bitwise, n),
                        "%s %s %s n=%lld: repeated call %d differs (output %d)", k_names[op],
                        dev->name, h_dtname(dt), (long long)n, rep + 1, o);
                free(g);
            }
        free_outs(again);
    }

    for (int bi = 0; bi < nbatches; bi++) {
        int64_t batch = batches[bi];
        int64_t pos[3] = {0, batch / 2 + 1, batch - 1};
        double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
        double *b = h_alloc((size_t)(batch * nk) * sizeof(double));
        if (!a || !b) {
            free(a);
            free(b);
            continue;
        }
        for (int64_t j = 0; j < batch; j++) {
            memcpy(a + j * nn, pool + (j % POOL) * nn, (size_t)nn * sizeof(double));
            memcpy(b + j * nk, bpool + (j % POOL) * nk, (size_t)nk * sizeof(double));
        }
        for (int pi = 0; pi < 3; pi++) {
            memcpy(a + pos[pi] * nn, m, (size_t)nn * sizeof(double));
            memcpy(b + pos[pi] * nk, bm, (size_t)nk * sizeof(double));
        }
        int64_t s3[3] = {batch, n, n}, sb3[3] = {batch, n, k};
        lapis_array AB = h_array(a, s3, 3, dt), BB = h_array(b, sb3, 3, dt);
        free(a);
        free(b);
        lapis_array outs[MAXOUT] = {0};
        if (AB && BB && H_OK(run(op, outs, AB, BB, s))) {
            for (int o = 0; o < MAXOUT && outs[o]; o++) {
                size_t nb;
                unsigned char *g = read_all(outs[o], &nb);
                if (!g || !refb[o]) {
                    free(g);
                    continue;
                }
                size_t one = refn[o];
                bool ok = nb == one * (size_t)batch;
                for (int pi = 0; pi < 3 && ok; pi++) {
                    ok = same(g + one * (size_t)pos[pi], refb[o], one,
                              lapis_array_dtype(outs[o]), bitwise, n);
                    if (!ok)
                        H_CHECK(false,
                                "%s %s %s n=%lld: output %d at position %lld of a batch of %lld "
                                "differs from the matrix alone",
                                k_names[op], dev->name, h_dtname(dt), (long long)n, o,
                                (long long)pos[pi], (long long)batch);
                }
                if (ok) H_CHECK(true, "%s", k_names[op]);
                free(g);
            }
            h_count(k_names[op], dt);
        }
        free_outs(outs);
        lapis_array_free(AB);
        lapis_array_free(BB);
    }
    for (int o = 0; o < MAXOUT; o++) free(refb[o]);
    free_outs(ref);
free_ab:
    lapis_array_free(A);
    lapis_array_free(B);
out:
    free(m);
    free(bm);
    free(pool);
    free(bpool);
}

int main(void) {
    h_init("test_rel_batch");
    const char *q = getenv("LAPIS_REL_QUICK");
    bool tiny = q && *q && strcmp(q, "0") != 0;
    /* quick: n = 3 with every batch size; n = 8 with 65536 only, and not
     * for the (slower) spectral ops; full: everything */
    static const int64_t batches[] = {65535, 65536, 70000}, tiny_batch[] = {257};
    static const int64_t ns[] = {3, 8};
    for (int d = 0; d < h_ndev(); d++)
        for (int op = 0; op < OP_NOPS; op++)
            for (int di = tiny ? 1 : 0; di < 2; di++)
                for (int ni = 0; ni < (tiny ? 1 : 2); ni++) {
                    const int64_t *bs = batches;
                    int nb = 3;
                    if (tiny) {
                        bs = tiny_batch;
                        nb = 1;
                    } else if (!h_full() && ni == 1) {
                        if (op >= OP_QR) continue;
                        bs = batches + 1;
                        nb = 1;
                    }
                    h_watchdog(120, k_names[op]);
                    struct timespec t0, t1;
                    clock_gettime(CLOCK_MONOTONIC, &t0);
                    invariance(h_dev_at(d), (op_id)op, di ? LAPIS_FLOAT64 : LAPIS_FLOAT32, ns[ni],
                               bs, nb);
                    clock_gettime(CLOCK_MONOTONIC, &t1);
                    h_watchdog_off();
                    if (getenv("LAPIS_REL_VERBOSE"))
                        fprintf(stderr, "%s %s n=%lld: %.2f s\n", k_names[op], di ? "f64" : "f32",
                                (long long)ns[ni],
                                (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
                }
    return h_finish();
}
