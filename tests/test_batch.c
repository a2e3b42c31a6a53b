/*
 * Batch invariance (CPU: bitwise): a matrix's result is the same alone, at
 * any position in batches of 1, 7 and 65, and on repeated calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef enum { OP_CHOL, OP_CHOLINV, OP_INV, OP_TRIINV, OP_LUF, OP_LU, OP_SOLVE, OP_SOLVETRI, OP_DET, OP_NOPS } op_id;
static const char *k_names[OP_NOPS] = {"cholesky", "cholesky_inv", "inv", "tri_inv", "lu_factor",
                                       "lu", "solve", "solve_triangular", "slogdet"};

/* Runs one op on a (batch shape bs/bnd) and b; returns the main output. */
static lapis_array run(op_id op, lapis_array a, lapis_array b, lapis_stream s) {
    lapis_array x = NULL, y = NULL, z = NULL;
    lapis_status st = LAPIS_OK;
    switch (op) {
    case OP_CHOL: st = lapis_linalg_cholesky(&x, a, false, s); break;
    case OP_CHOLINV: st = lapis_linalg_cholesky_inv(&x, a, false, s); break;
    case OP_INV: st = lapis_linalg_inv(&x, a, s); break;
    case OP_TRIINV: st = lapis_linalg_tri_inv(&x, a, true, s); break;
    case OP_LUF: st = lapis_linalg_lu_factor(&x, &y, a, s); break;
    case OP_LU: st = lapis_linalg_lu(&y, &z, &x, a, s); break;
    case OP_SOLVE: st = lapis_linalg_solve(&x, a, b, s); break;
    case OP_SOLVETRI: st = lapis_linalg_solve_triangular(&x, a, b, false, s); break;
    case OP_DET: st = lapis_linalg_slogdet(&y, &x, a, s); break;
    default: break;
    }
    lapis_array_free(y);
    lapis_array_free(z);
    if (!H_OK(st)) return NULL;
    return x;
}

static matgen_type type_for(op_id op) {
    switch (op) {
    case OP_CHOL: return MATGEN_SPD;
    case OP_CHOLINV: return MATGEN_LOWER;
    case OP_TRIINV: return MATGEN_UPPER;
    case OP_SOLVETRI: return MATGEN_LOWER;
    default: return MATGEN_RANDOM;
    }
}

static void invariance(const h_dev *dev, op_id op, lapis_dtype dt, int64_t n) {
    int64_t nn = n * n, k = 2;
    size_t es = lapis_dtype_size(dt);
    matgen_type t = type_for(op);
    double *m = h_alloc((size_t)nn * sizeof(double)), *bm = h_alloc((size_t)(n * k) * sizeof(double));
    memcpy(m, h_gen(t, n, 100, false, 0, 4242), (size_t)nn * sizeof(double));
    for (int64_t i = 0; i < n * k; i++) bm[i] = matgen_normal(4343, (uint64_t)i);
    h_round(m, nn, dt);
    h_round(bm, n * k, dt);
    int64_t s2[2] = {n, n}, sb[2] = {n, k};
    lapis_array A = h_array(m, s2, 2, dt), B = h_array(bm, sb, 2, dt);
    lapis_array X = A && B ? run(op, A, B, dev->stream) : NULL;
    size_t one = X ? lapis_array_nbytes(X) : 0;
    unsigned char *ref = h_alloc(one + 1), *got = NULL;
    if (X) H_OK(lapis_array_read(X, ref, one));
    /* repeated calls */
    for (int rep = 0; X && rep < 2; rep++) {
        lapis_array X2 = run(op, A, B, dev->stream);
        unsigned char *g = h_alloc(one + 1);
        if (X2) {
            H_OK(lapis_array_read(X2, g, one));
            H_CHECK(memcmp(g, ref, one) == 0, "%s %s n=%lld: repeated call differs", k_names[op],
                    h_dtname(dt), (long long)n);
        }
        free(g);
        lapis_array_free(X2);
    }
    static const int64_t batches[3] = {1, 7, 65};
    for (int bi = 0; X && bi < 3; bi++) {
        int64_t batch = batches[bi];
        int64_t pos[3] = {0, batch / 2, batch - 1};
        for (int pi = 0; pi < 3; pi++) {
            if (pi > 0 && pos[pi] == pos[pi - 1]) continue;
            double *a = h_alloc((size_t)(batch * nn) * sizeof(double));
            double *b = h_alloc((size_t)(batch * n * k) * sizeof(double));
            for (int64_t j = 0; j < batch; j++) {
                memcpy(a + j * nn, j == pos[pi] ? m : h_gen(t, n, 100, false, 0, 5000 + (uint64_t)j),
                       (size_t)nn * sizeof(double));
                for (int64_t i = 0; i < n * k; i++)
                    b[j * n * k + i] = j == pos[pi] ? bm[i] : matgen_normal(6000 + (uint64_t)j, (uint64_t)i);
            }
            h_round(a, batch * nn, dt);
            h_round(b, batch * n * k, dt);
            int64_t s3[3] = {batch, n, n}, sb3[3] = {batch, n, k};
            lapis_array AB = h_array(a, s3, 3, dt), BB = h_array(b, sb3, 3, dt);
            lapis_array XB = AB && BB ? run(op, AB, BB, dev->stream) : NULL;
            if (XB) {
                size_t all = lapis_array_nbytes(XB);
                got = h_alloc(all + 1);
                H_OK(lapis_array_read(XB, got, all));
                H_CHECK(all == one * (size_t)batch &&
                            memcmp(got + one * (size_t)pos[pi], ref, one) == 0,
                        "%s %s n=%lld: result at position %lld of a batch of %lld differs from "
                        "the matrix alone",
                        k_names[op], h_dtname(dt), (long long)n, (long long)pos[pi],
                        (long long)batch);
                h_count(k_names[op], dt);
                free(got);
            }
            lapis_array_free(AB);
            lapis_array_free(BB);
            lapis_array_free(XB);
            free(a);
            free(b);
        }
    }
    (void)es;
    free(ref);
    free(m);
    free(bm);
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
}

int main(void) {
    h_init("test_batch");
    static const int64_t ns[] = {3, 17, 70};
    for (int d = 0; d < h_ndev(); d++) {
        if (h_dev_at(d)->dev.type != LAPIS_CPU) continue; /* GPU: within the ratio (lattice) */
        for (int op = 0; op < OP_NOPS; op++)
            for (int di = 0; di < 2; di++)
                for (int ni = 0; ni < 3; ni++)
                    invariance(h_dev_at(d), (op_id)op, di ? LAPIS_FLOAT64 : LAPIS_FLOAT32, ns[ni]);
    }
    return h_finish();
}
