/* SVD, pseudo-inverse and least squares, type-generic (see spectral_types.h).
 *
 * Row-major A (m x n) is column-major Aᵀ (n x m). gesdd on Aᵀ = U' S V'ᴴ
 * gives A = conj(V') S U'ᵀ, so U = conj(V') = (V'ᴴ)ᵀ and Vᴴ = U'ᵀ: LAPACK's
 * column-major V'ᴴ read row-major is our U, and its U' read row-major is our
 * Vᴴ: no transposes (complex included), only plain copies out of the
 * workspace (see spectral_util_t.h). */

typedef struct R(svd_plan) {
    char jobz;
    blas_int lwork, lrwork, ldu, ldvt;
    size_t vec_elems; /* U and Vᴴ */
    size_t ws_bytes;  /* per thread: copy of A, work, U, Vᴴ, rwork, iwork */
} R(svd_plan);

static void R(svd_query)(blas_int m, blas_int n, char jobz, R(svd_plan) *pl) {
    blas_int k = m < n ? m : n, mx = m > n ? m : n, info = 0, lw = -1;
    pl->jobz = jobz;
    pl->ldu = jobz == 'N' ? 1 : n;
    pl->ldvt = jobz == 'A' ? m : (jobz == 'S' ? (k > 1 ? k : 1) : 1);
    T wq = 0, dummy[1] = {0};
    RT rdummy[1] = {0};
    blas_int idummy[1] = {0}, ld = n > 1 ? n : 1;
#if LAPIS_CPLX
    LA(gesdd)(&jobz, &n, &m, dummy, &ld, rdummy, dummy, &pl->ldu, dummy, &pl->ldvt, &wq, &lw,
              rdummy, idummy, &info, 1);
#else
    LA(gesdd)(&jobz, &n, &m, dummy, &ld, rdummy, dummy, &pl->ldu, dummy, &pl->ldvt, &wq, &lw,
              idummy, &info, 1);
#endif
    blas_int lwork = R(sp_lwork)(wq);
    /* gesvd is the fallback when gesdd's divide and conquer fails */
    wq = 0;
#if LAPIS_CPLX
    LA(gesvd)(&jobz, &jobz, &n, &m, dummy, &ld, rdummy, dummy, &pl->ldu, dummy, &pl->ldvt, &wq,
              &lw, rdummy, &info, 1, 1);
#else
    LA(gesvd)(&jobz, &jobz, &n, &m, dummy, &ld, rdummy, dummy, &pl->ldu, dummy, &pl->ldvt, &wq,
              &lw, &info, 1, 1);
#endif
    blas_int l2 = R(sp_lwork)(wq);
    pl->lwork = l2 > lwork ? l2 : lwork;
    /* complex rwork: the larger of LAPACK's old and new (3.7) formulas */
    int64_t lr = 0;
    if (LAPIS_CPLX) {
        int64_t kk = k, xx = mx;
        if (jobz == 'N') lr = 7 * kk;
        else {
            int64_t a1 = 5 * kk * kk + 7 * kk, a2 = 5 * kk * kk + 5 * kk,
                    a3 = 2 * xx * kk + 2 * kk * kk + kk;
            lr = a1 > a2 ? a1 : a2;
            lr = lr > a3 ? lr : a3;
        }
        if (lr < 5 * kk) lr = 5 * kk;
        if (lr < 1) lr = 1;
    }
    pl->lrwork = (blas_int)lr;
    /* U' (n x ucols... read as our Vᴴ) and V'ᴴ (our U) live in the workspace too */
    int64_t ucols = jobz == 'A' ? m : (jobz == 'S' ? k : 0),
            vrows = jobz == 'A' ? n : (jobz == 'S' ? k : 0);
    pl->vec_elems = (size_t)(m * ucols + vrows * n);
    pl->ws_bytes = R(sp_round)(((size_t)m * (size_t)n + (size_t)pl->lwork + pl->vec_elems) *
                                   sizeof(T) +
                               (size_t)lr * sizeof(RT) + (size_t)(8 * (int64_t)k + 1) *
                               sizeof(blas_int));
}

/* One matrix; u, vt NULL for values only. Returns the info. */
static int32_t R(svd_one)(const T *a, T *u, RT *s, T *vt, blas_int m, blas_int n,
                          const R(svd_plan) *pl, void *ws) {
    int64_t mn = (int64_t)m * n;
    blas_int k = m < n ? m : n, info = 0, ld = n;
    int64_t ucols = pl->jobz == 'A' ? m : k, vrows = pl->jobz == 'A' ? n : k;
    T *f = ws, *work = f + mn, *wu = work + pl->lwork, *wv = wu + (pl->jobz == 'N' ? 0 : m * ucols);
    RT *rwork = (RT *)(wu + pl->vec_elems);
    blas_int *iwork = (blas_int *)(rwork + pl->lrwork);
    if (R(sp_finite)(a, mn)) {
        for (int64_t i = 0; i < mn; i++) f[i] = a[i];
#if LAPIS_CPLX
        LA(gesdd)(&pl->jobz, &n, &m, f, &ld, s, wv, &pl->ldu, wu, &pl->ldvt, work, &pl->lwork,
                  rwork, iwork, &info, 1);
#else
        LA(gesdd)(&pl->jobz, &n, &m, f, &ld, s, wv, &pl->ldu, wu, &pl->ldvt, work, &pl->lwork,
                  iwork, &info, 1);
#endif
        if (info > 0) {
            for (int64_t i = 0; i < mn; i++) f[i] = a[i];
            info = 0;
#if LAPIS_CPLX
            LA(gesvd)(&pl->jobz, &pl->jobz, &n, &m, f, &ld, s, wv, &pl->ldu, wu, &pl->ldvt, work,
                      &pl->lwork, rwork, &info, 1, 1);
#else
            LA(gesvd)(&pl->jobz, &pl->jobz, &n, &m, f, &ld, s, wv, &pl->ldu, wu, &pl->ldvt, work,
                      &pl->lwork, &info, 1, 1);
#endif
        }
        if (info == 0) {
            if (u) memcpy(u, wu, sizeof(T) * (size_t)(m * ucols));
            if (vt) memcpy(vt, wv, sizeof(T) * (size_t)(vrows * n));
            return 0;
        }
        info = LAPIS_INFO_NO_CONVERGENCE;
    } else {
        info = LAPIS_INFO_NON_FINITE;
    }
    R(sp_rnan)(s, k);
    if (u) R(sp_nan)(u, (int64_t)m * ucols);
    if (vt) R(sp_nan)(vt, vrows * n);
    return info;
}

static void R(sp_identity)(T *x, int64_t n) {
    for (int64_t i = 0; i < n * n; i++) x[i] = 0;
    for (int64_t i = 0; i < n; i++) x[i * n + i] = 1;
}

static lapis_status R(svd)(const lapis_svd_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, k = m < n ? m : n;
    bool vec = p->u || p->vt;
    char jobz = !vec ? 'N' : (p->full ? 'A' : 'S');
    int64_t ucols = jobz == 'A' ? m : k, vrows = jobz == 'A' ? n : k;
    T *u = p->u, *vt = p->vt;
    RT *s = p->s;
    if (k == 0) { /* NumPy: S empty, full U and Vᴴ the identity */
        for (int64_t i = 0; i < p->batch; i++) {
            p->info[i] = 0;
            if (u && jobz == 'A') R(sp_identity)(u + i * m * m, m);
            if (vt && jobz == 'A') R(sp_identity)(vt + i * n * n, n);
        }
        return LAPIS_OK;
    }
    R(svd_plan) pl;
    R(svd_query)((blas_int)m, (blas_int)n, jobz, &pl);
    int nt = lapis_cpu_batch_begin(ex, p->batch, k);
    char *ws = lapis_cpu_workspace(nt, pl.ws_bytes);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the SVD workspace.");
    }
    const T *a = p->a;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        void *w = ws + (size_t)t * pl.ws_bytes;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++) {
            /* values only: LAPACK still wants both or neither vector set */
            p->info[i] = R(svd_one)(a + i * m * n, u ? u + i * m * ucols : NULL, s + i * k,
                                    vt ? vt + i * vrows * n : NULL, (blas_int)m, (blas_int)n,
                                    &pl, w);
        }
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* ---- pinv ------------------------------------------------------------------ */

static lapis_status R(pinv)(const lapis_pinv_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, k = m < n ? m : n;
    if (k == 0) { /* ainv (n x m) has no elements */
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    R(svd_plan) pl;
    R(svd_query)((blas_int)m, (blas_int)n, 'S', &pl);
    /* after the svd workspace: U (m k), Vᴴ (k n), S (k) */
    size_t per = R(sp_round)(pl.ws_bytes + (size_t)(m * k + k * n) * sizeof(T) +
                             (size_t)k * sizeof(RT));
    int nt = lapis_cpu_batch_begin(ex, p->batch, k);
    char *ws = lapis_cpu_workspace(nt, per);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the pinv workspace.");
    }
    const T *a = p->a;
    T *x = p->ainv;
    RT rcond = (RT)(10 * (m > n ? m : n)) * EPS;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        char *w = ws + (size_t)t * per;
        T *u = (T *)(w + pl.ws_bytes), *vt = u + m * k;
        RT *s = (RT *)(vt + k * n);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++) {
            T *xi = x + i * n * m;
            int32_t info = R(svd_one)(a + i * m * n, u, s, vt, (blas_int)m, (blas_int)n, &pl, w);
            p->info[i] = info;
            if (info) {
                R(sp_nan)(xi, n * m);
                continue;
            }
            /* W = diag(1/S) Vᴴ with the cutoff, then ainvᵀ = conj(U) conj(W),
             * i.e. column-major C (m x n) = Yᴴ Xᴴ with Y = Uᵀ, X = Wᵀ. */
            RT cutoff = rcond * s[0];
            for (int64_t l = 0; l < k; l++) {
                RT r = s[l] > cutoff ? (RT)1 / s[l] : (RT)0;
                for (int64_t j = 0; j < n; j++) vt[l * n + j] *= r;
            }
            char tr = LAPIS_CPLX ? 'C' : 'T';
            blas_int bm = (blas_int)m, bn = (blas_int)n, bk = (blas_int)k;
            T one = 1, zero = 0;
            LA(gemm)(&tr, &tr, &bm, &bn, &bk, &one, u, &bk, vt, &bn, &zero, xi, &bm, 1, 1);
        }
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* ---- lstsq ----------------------------------------------------------------- */

typedef struct R(ls_plan) {
    blas_int lwork, lrwork, liwork, lda, ldb;
    size_t ws_bytes; /* per thread: A, B (column-major), S, work, rwork, iwork */
} R(ls_plan);

static void R(ls_query)(blas_int m, blas_int n, blas_int nrhs, R(ls_plan) *pl) {
    blas_int k = m < n ? m : n, info = 0, lw = -1, rank = 0;
    pl->lda = m > 1 ? m : 1;
    pl->ldb = m > n ? m : n;
    if (pl->ldb < 1) pl->ldb = 1;
    T wq = 0, dummy[1] = {0};
    RT rq[1] = {0}, sd[1] = {0}, rc = -1;
    blas_int iq[1] = {0};
#if LAPIS_CPLX
    LA(gelsd)(&m, &n, &nrhs, dummy, &pl->lda, dummy, &pl->ldb, sd, &rc, &rank, &wq, &lw, rq, iq,
              &info);
#else
    LA(gelsd)(&m, &n, &nrhs, dummy, &pl->lda, dummy, &pl->ldb, sd, &rc, &rank, &wq, &lw, iq,
              &info);
#endif
    pl->lwork = R(sp_lwork)(wq);
    pl->liwork = iq[0] > 1 ? iq[0] : 1;
    pl->lrwork = LAPIS_CPLX ? (rq[0] > 1 ? (blas_int)rq[0] + 1 : 1) : 0;
    /* some LAPACKs under-report liwork for tiny problems: keep a floor */
    blas_int floor_i = 3 * k * 8 + 11 * k + 1;
    if (pl->liwork < floor_i) pl->liwork = floor_i;
    pl->ws_bytes = R(sp_round)(((size_t)pl->lda * (size_t)n + (size_t)pl->ldb * (size_t)nrhs +
                                (size_t)pl->lwork) * sizeof(T) +
                               ((size_t)k + (size_t)pl->lrwork) * sizeof(RT) +
                               (size_t)pl->liwork * sizeof(blas_int));
}

static double R(sq_abs)(T v) {
    double r = (double)ABS(v);
    return r * r;
}

static int32_t R(lstsq_one)(const T *a, const T *b, T *x, RT *res, RT *sv, int32_t *rank,
                            blas_int m, blas_int n, blas_int nrhs, RT rcond,
                            const R(ls_plan) *pl, void *ws) {
    blas_int k = m < n ? m : n, info = 0, rk = 0;
    T *fa = ws, *fb = fa + (int64_t)pl->lda * n, *work = fb + (int64_t)pl->ldb * nrhs;
    RT *s = (RT *)(work + pl->lwork), *rwork = s + k;
    blas_int *iwork = (blas_int *)(rwork + pl->lrwork);
    int32_t st = 0;
    if (!R(sp_finite)(a, (int64_t)m * n) || !R(sp_finite)(b, (int64_t)m * nrhs)) {
        st = LAPIS_INFO_NON_FINITE;
    } else {
        R(sp_to_colmajor)(a, fa, m, n, pl->lda);
        for (int64_t i = 0; i < (int64_t)pl->ldb * nrhs; i++) fb[i] = 0;
        R(sp_to_colmajor)(b, fb, m, nrhs, pl->ldb);
#if LAPIS_CPLX
        LA(gelsd)(&m, &n, &nrhs, fa, &pl->lda, fb, &pl->ldb, s, &rcond, &rk, work, &pl->lwork,
                  rwork, iwork, &info);
#else
        LA(gelsd)(&m, &n, &nrhs, fa, &pl->lda, fb, &pl->ldb, s, &rcond, &rk, work, &pl->lwork,
                  iwork, &info);
#endif
        if (info) st = LAPIS_INFO_NO_CONVERGENCE;
    }
    if (st) {
        R(sp_nan)(x, (int64_t)n * nrhs);
        if (res) R(sp_rnan)(res, nrhs);
        if (sv) R(sp_rnan)(sv, k);
        if (rank) *rank = 0;
        return st;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < nrhs; c++) x[i * nrhs + c] = fb[c * pl->ldb + i];
    if (sv)
        for (int64_t i = 0; i < k; i++) sv[i] = s[i];
    if (rank) *rank = rk;
    if (res) {
        for (int64_t c = 0; c < nrhs; c++) {
            double acc = 0;
            if (rk == n) { /* gelsd leaves the residual in rows n..m-1 */
                for (int64_t i = n; i < m; i++) acc += R(sq_abs)(fb[c * pl->ldb + i]);
            } else {
                for (int64_t i = 0; i < m; i++) {
                    T r = b[i * nrhs + c];
                    for (int64_t j = 0; j < n; j++) r -= a[i * n + j] * x[j * nrhs + c];
                    acc += R(sq_abs)(r);
                }
            }
            res[c] = (RT)acc;
        }
    }
    return 0;
}

static lapis_status R(lstsq)(const lapis_lstsq_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, nrhs = p->k, kmin = m < n ? m : n;
    const T *a = p->a, *b = p->b;
    T *x = p->x;
    RT *res = p->residuals, *sv = p->sv;
    RT rcond = p->rcond < 0 ? (RT)(m > n ? m : n) * EPS : (RT)p->rcond;
    if (kmin == 0) { /* x = 0; residuals = |b|² column-wise when m > n = 0 */
        for (int64_t i = 0; i < p->batch; i++) {
            /* b holds no data when m * nrhs == 0: no offset from NULL */
            const T *bi = (m * nrhs) != 0 ? b + lapis_bmap_index(&p->bmap, i) * m * nrhs : b;
            bool fin = R(sp_finite)(bi, m * nrhs);
            p->info[i] = fin ? 0 : LAPIS_INFO_NON_FINITE;
            for (int64_t j = 0; j < n * nrhs; j++) x[i * n * nrhs + j] = fin ? (T)0 : (T)NAN;
            if (p->rank) p->rank[i] = 0;
            if (res)
                for (int64_t c = 0; c < nrhs; c++) {
                    double acc = 0;
                    for (int64_t r = 0; r < m; r++) acc += R(sq_abs)(bi[r * nrhs + c]);
                    res[i * nrhs + c] = (RT)acc;
                }
        }
        return LAPIS_OK;
    }
    R(ls_plan) pl;
    R(ls_query)((blas_int)m, (blas_int)n, (blas_int)nrhs, &pl);
    int nt = lapis_cpu_batch_begin(ex, p->batch, kmin);
    char *ws = lapis_cpu_workspace(nt, pl.ws_bytes);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the lstsq workspace.");
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        void *w = ws + (size_t)t * pl.ws_bytes;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(lstsq_one)(
                a + lapis_bmap_index(&p->amap, i) * m * n,
                b + lapis_bmap_index(&p->bmap, i) * m * nrhs, x + i * n * nrhs,
                res ? res + i * nrhs : NULL, sv ? sv + i * kmin : NULL,
                p->rank ? p->rank + i : NULL, (blas_int)m, (blas_int)n, (blas_int)nrhs, rcond,
                &pl, w);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
