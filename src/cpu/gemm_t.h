/* Batched row-major gemm, type-generic. Row-major C = op(A) op(B) is the
 * column-major C^T = op(B)^T op(A)^T: B goes first and no data moves. */
static lapis_status R(gemm)(const lapis_gemm_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, kk = p->kk;
    const T *a = p->a, *b = p->b;
    T *c = p->c;
    if (m == 0 || n == 0) return LAPIS_OK;
    if (kk == 0) {
        for (int64_t i = 0; i < p->batch * m * n; i++) c[i] = 0;
        return LAPIS_OK;
    }
    blas_int bm = (blas_int)m, bn = (blas_int)n, bk = (blas_int)kk;
    char ta = p->trans_a ? 'T' : 'N', tb = p->trans_b ? 'T' : 'N';
    blas_int lda = p->trans_a ? bm : bk, ldb = p->trans_b ? bk : bn;
    T one = 1, zero = 0;
    int nt = lapis_cpu_batch_begin(ex, p->batch, m > n ? m : n);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < p->batch; i++) {
        const T *ai = a + lapis_bmap_index(&p->amap, i) * m * kk;
        const T *bi = b + lapis_bmap_index(&p->bmap, i) * kk * n;
        LA(gemm)(&tb, &ta, &bn, &bm, &bk, &one, bi, &ldb, ai, &lda, &zero, c + i * m * n, &bn, 1,
                 1);
    }
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
