/* Reduced QR, type-generic (see spectral_types.h).
 *
 * Row-major A (m x n) is copied column-major (a tiled transpose; complex
 * data is not conjugated: the copy holds A itself), geqrf factors the copy,
 * and R (its upper k x n) and Q (orgqr/ungqr, m x k) are copied out
 * row-major. Not gelqf on the transposed view, which needs no copy: the
 * row-wise Householder panels of reference LAPACK ran 1.4-1.6x slower than
 * geqrf's here (n = 2000, OpenBLAS 0.3.21), far more than the O(mn) copies.
 * LAPACK works in the workspace (see spectral_util_t.h). */

typedef struct R(qr_plan) {
    blas_int lwork;
    size_t ws_bytes; /* per thread: tau (k), work (lwork), factor copy (m n) */
} R(qr_plan);

static void R(qr_query)(blas_int m, blas_int n, bool want_q, R(qr_plan) *pl) {
    blas_int k = m < n ? m : n, info = 0, lw = -1, ld = m > 1 ? m : 1;
    T wq = 0, dummy[1] = {0};
    LA(geqrf)(&m, &n, dummy, &ld, dummy, &wq, &lw, &info);
    blas_int lwork = R(sp_lwork)(wq);
    if (want_q) {
        wq = 0;
#if LAPIS_CPLX
        LA(ungqr)(&m, &k, &k, dummy, &ld, dummy, &wq, &lw, &info);
#else
        LA(orgqr)(&m, &k, &k, dummy, &ld, dummy, &wq, &lw, &info);
#endif
        blas_int l2 = R(sp_lwork)(wq);
        if (l2 > lwork) lwork = l2;
    }
    pl->lwork = lwork;
    pl->ws_bytes = R(sp_round)(((size_t)k + (size_t)lwork + (size_t)m * (size_t)n) * sizeof(T));
}

static int32_t R(qr_one)(const T *a, T *q, T *r, blas_int m, blas_int n, T *ws,
                         blas_int lwork, int par) {
    blas_int k = m < n ? m : n, info = 0;
    T *tau = ws, *work = ws + k, *f = work + lwork;
    /* a large square matrix: a copy and an in-place transpose (see lu_one) */
    bool finite = par > 1 && m == n ? R(copy_finite)(a, f, (int64_t)m * n)
                                    : R(sp_to_colmajor)(a, f, m, n, m);
    if (finite && par > 1 && m == n) R(transpose_square_par)(f, n, par);
    if (!finite) {
        if (q) R(sp_nan)(q, (int64_t)m * k);
        R(sp_nan)(r, (int64_t)k * n);
        return LAPIS_INFO_NON_FINITE;
    }
    LA(geqrf)(&m, &n, f, &m, tau, work, &lwork, &info);
    R(sp_from_colmajor)(f, m, r, k, n, true); /* R: the upper k x n */
    if (!q) return 0;
#if LAPIS_CPLX
    LA(ungqr)(&m, &k, &k, f, &m, tau, work, &lwork, &info);
#else
    LA(orgqr)(&m, &k, &k, f, &m, tau, work, &lwork, &info);
#endif
    R(sp_from_colmajor)(f, m, q, m, k, false);
    return 0;
}

static lapis_status R(qr)(const lapis_qr_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, k = m < n ? m : n;
    if (k == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    R(qr_plan) pl;
    R(qr_query)((blas_int)m, (blas_int)n, p->q != NULL, &pl);
    int nt = lapis_cpu_batch_begin(ex, p->batch, k);
    int par = nt == 1 && m * n >= 65536 ? lapis_threads() : 1;
    char *ws = lapis_cpu_workspace(nt, pl.ws_bytes);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the QR workspace.");
    }
    const T *a = p->a;
    T *q = p->q, *r = p->r;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        T *w = (T *)(ws + (size_t)t * pl.ws_bytes);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(qr_one)(a + i * m * n, q ? q + i * m * k : NULL, r + i * k * n,
                                   (blas_int)m, (blas_int)n, w, pl.lwork, par);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
