/* Reduced QR, type-generic (see spectral_types.h).
 *
 * Row-major A (m x n) is column-major Aᵀ (n x m), so no transposition is
 * needed: gelqf factors Aᵀ = L Qₗ and then A = Qₗᵀ Lᵀ, i.e. Q = Qₗᵀ and
 * R = Lᵀ. Column-major L (n x k) read row-major is exactly Lᵀ (k x n), and
 * orglq/unglq's Qₗ (k x m, ld n) read row-major is Qₗᵀ (m x k). For complex
 * data Qᴴ Q = conj(Qₗ Qₗᴴ) = I as well, so nothing is conjugated. LAPACK
 * works in the workspace (see spectral_util_t.h); R and Q are copied out. */

typedef struct R(qr_plan) {
    blas_int lwork;
    size_t ws_bytes; /* per thread: tau (k), work (lwork), factor copy (m n) */
} R(qr_plan);

static void R(qr_query)(blas_int m, blas_int n, bool want_q, R(qr_plan) *pl) {
    blas_int k = m < n ? m : n, info = 0, lw = -1, ld = n > 1 ? n : 1;
    T wq = 0, dummy[1] = {0};
    LA(gelqf)(&n, &m, dummy, &ld, dummy, &wq, &lw, &info);
    blas_int lwork = R(sp_lwork)(wq);
    if (want_q) {
        wq = 0;
#if LAPIS_CPLX
        LA(unglq)(&k, &m, &k, dummy, &ld, dummy, &wq, &lw, &info);
#else
        LA(orglq)(&k, &m, &k, dummy, &ld, dummy, &wq, &lw, &info);
#endif
        blas_int l2 = R(sp_lwork)(wq);
        if (l2 > lwork) lwork = l2;
    }
    pl->lwork = lwork;
    pl->ws_bytes = R(sp_round)(((size_t)k + (size_t)lwork + (size_t)m * (size_t)n) * sizeof(T));
}

static int32_t R(qr_one)(const T *a, T *q, T *r, blas_int m, blas_int n, T *ws,
                         blas_int lwork) {
    int64_t mn = (int64_t)m * n;
    blas_int k = m < n ? m : n, info = 0;
    if (!R(sp_finite)(a, mn)) {
        if (q) R(sp_nan)(q, (int64_t)m * k);
        R(sp_nan)(r, (int64_t)k * n);
        return LAPIS_INFO_NON_FINITE;
    }
    T *tau = ws, *work = ws + k, *f = work + lwork;
    for (int64_t i = 0; i < mn; i++) f[i] = a[i];
    LA(gelqf)(&n, &m, f, &n, tau, work, &lwork, &info);
    /* R = Lᵀ: the first k rows of f read row-major, zero below the diagonal */
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < n; j++) r[i * n + j] = j >= i ? f[i * n + j] : (T)0;
    if (!q) return 0;
    /* Qₗ (k x m, ld n) in place; Q = Qₗᵀ is m x k row-major */
#if LAPIS_CPLX
    LA(unglq)(&k, &m, &k, f, &n, tau, work, &lwork, &info);
#else
    LA(orglq)(&k, &m, &k, f, &n, tau, work, &lwork, &info);
#endif
    for (int64_t c = 0; c < m; c++)
        for (int64_t p = 0; p < k; p++) q[c * k + p] = f[c * n + p];
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
                                   (blas_int)m, (blas_int)n, w, pl.lwork);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
