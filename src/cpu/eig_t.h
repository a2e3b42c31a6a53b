/* Hermitian and general eigensolvers, type-generic (see spectral_types.h).
 *
 * Row-major A is column-major Aᵀ. eigh: the upper triangle of A is the
 * lower triangle of Aᵀ (uplo flips), and Aᵀ = conj(A) for Hermitian A, so
 * LAPACK's eigenvectors Z are conj(V); column-major Z read row-major is Zᵀ,
 * hence V = (Zᵀ)ᴴ, written while copying Z out of the workspace. eig: the left eigenvectors u of
 * Aᵀ (uᴴ Aᵀ = λ uᴴ) give A conj(u) = λ conj(u), so v = conj(u). */

typedef RT _Complex R(ctype);

/* ---- eigh ------------------------------------------------------------------ */

typedef struct R(eigh_plan) {
    char jobz;
    blas_int lwork, lrwork, liwork;
    size_t ws_bytes; /* per thread: copy of A / Z, work, rwork, iwork */
} R(eigh_plan);

static void R(eigh_query)(blas_int n, char jobz, R(eigh_plan) *pl) {
    blas_int info = 0, lw = -1, iq = 0, ld = n > 1 ? n : 1;
    char uplo = 'L';
    T wq = 0, dummy[1] = {0};
    RT rq = 0, rdummy[1] = {0};
    pl->jobz = jobz;
#if LAPIS_CPLX
    LA(heevd)(&jobz, &uplo, &n, dummy, &ld, rdummy, &wq, &lw, &rq, &lw, &iq, &lw, &info, 1, 1);
    pl->lrwork = rq > 1 ? (blas_int)rq + 1 : 1;
#else
    LA(syevd)(&jobz, &uplo, &n, dummy, &ld, rdummy, &wq, &lw, &iq, &lw, &info, 1, 1);
    pl->lrwork = 0;
    (void)rq;
#endif
    pl->lwork = R(sp_lwork)(wq);
    pl->liwork = iq > 1 ? iq : 1;
    pl->ws_bytes = R(sp_round)(((size_t)n * n + (size_t)pl->lwork) * sizeof(T) +
                               (size_t)pl->lrwork * sizeof(RT) + (size_t)pl->liwork * sizeof(blas_int));
}

/* Finiteness of the triangle that is read. */
static bool R(eigh_finite)(const T *a, int64_t n, bool upper) {
    bool finite = true;
    for (int64_t i = 0; i < n; i++) {
        int64_t j0 = upper ? i : 0, j1 = upper ? n : i + 1;
        finite &= R(sp_finite)(a + i * n + j0, j1 - j0);
    }
    return finite;
}

static int32_t R(eigh_one)(const T *a, RT *w, T *v, blas_int n, bool upper,
                           const R(eigh_plan) *pl, void *ws) {
    int64_t nn = (int64_t)n * n;
    T *z = ws, *work = z + nn;
    RT *rwork = (RT *)(work + pl->lwork);
    blas_int *iwork = (blas_int *)(rwork + pl->lrwork);
    blas_int info = 0;
    int32_t st = 0;
    if (!R(eigh_finite)(a, n, upper)) {
        st = LAPIS_INFO_NON_FINITE;
    } else {
        for (int64_t i = 0; i < nn; i++) z[i] = a[i];
        char uplo = upper ? 'L' : 'U';
#if LAPIS_CPLX
        LA(heevd)(&pl->jobz, &uplo, &n, z, &n, w, work, &pl->lwork, rwork, &pl->lrwork, iwork,
                  &pl->liwork, &info, 1, 1);
#else
        LA(syevd)(&pl->jobz, &uplo, &n, z, &n, w, work, &pl->lwork, iwork, &pl->liwork, &info, 1,
                  1);
#endif
        if (info == 0) {
            if (v) /* V = (Zᵀ)ᴴ, Z column-major */
                for (int64_t i = 0; i < n; i++)
                    for (int64_t j = 0; j < n; j++) v[i * n + j] = CONJ(z[i + j * n]);
            return 0;
        }
        st = LAPIS_INFO_NO_CONVERGENCE;
    }
    R(sp_rnan)(w, n);
    if (v) R(sp_nan)(v, nn);
    return st;
}

static lapis_status R(eigh)(const lapis_eigh_args *p, const lapis_exec *ex) {
    int64_t n = p->n;
    if (n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    R(eigh_plan) pl;
    R(eigh_query)((blas_int)n, p->v ? 'V' : 'N', &pl);
    int nt = lapis_cpu_batch_begin(ex, p->batch, n);
    char *ws = lapis_cpu_workspace(nt, pl.ws_bytes);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the eigh workspace.");
    }
    const T *a = p->a;
    T *v = p->v;
    RT *w = p->w;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        void *wsp = ws + (size_t)t * pl.ws_bytes;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(eigh_one)(a + i * n * n, w + i * n, v ? v + i * n * n : NULL,
                                     (blas_int)n, p->upper, &pl, wsp);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* ---- eig ------------------------------------------------------------------- */

typedef struct R(eig_plan) {
    char jobvl;
    blas_int lwork;
    size_t ws_bytes; /* per thread: copy, VL, work, wr/wi or rwork */
} R(eig_plan);

static void R(eig_query)(blas_int n, char jobvl, R(eig_plan) *pl) {
    blas_int info = 0, lw = -1, ld = n > 1 ? n : 1, one = 1;
    char no = 'N';
    T wq = 0, dummy[1] = {0};
    RT rdummy[1] = {0};
    pl->jobvl = jobvl;
#if LAPIS_CPLX
    LA(geev)(&jobvl, &no, &n, dummy, &ld, dummy, dummy, &ld, dummy, &one, &wq, &lw, rdummy,
             &info, 1, 1);
#else
    LA(geev)(&jobvl, &no, &n, dummy, &ld, rdummy, rdummy, dummy, &ld, dummy, &one, &wq, &lw,
             &info, 1, 1);
#endif
    pl->lwork = R(sp_lwork)(wq);
    size_t nn = (size_t)n * n;
    pl->ws_bytes = R(sp_round)((nn * (jobvl == 'V' ? 2 : 1) + (size_t)pl->lwork) * sizeof(T) +
                               2 * (size_t)n * sizeof(RT));
}

static void R(cset)(R(ctype) *z, RT re, RT im) {
    RT *p = (RT *)z;
    p[0] = re;
    p[1] = im;
}

static int32_t R(eig_one)(const T *a, R(ctype) *w, R(ctype) *v, blas_int n,
                          const R(eig_plan) *pl, void *ws) {
    int64_t nn = (int64_t)n * n;
    T *f = ws, *vl = f + nn, *work = vl + (pl->jobvl == 'V' ? nn : 0);
    RT *r2 = (RT *)(work + pl->lwork); /* real: wr, wi; complex: rwork (2n) */
    blas_int info = 0, one = 1;
    char no = 'N';
    T vdummy[1];
    int32_t st = 0;
    if (!R(sp_finite)(a, nn)) {
        st = LAPIS_INFO_NON_FINITE;
    } else {
        for (int64_t i = 0; i < nn; i++) f[i] = a[i];
        T *vlp = pl->jobvl == 'V' ? vl : vdummy;
        blas_int ldvl = pl->jobvl == 'V' ? n : 1;
#if LAPIS_CPLX
        LA(geev)(&pl->jobvl, &no, &n, f, &n, (T *)w, vlp, &ldvl, vdummy, &one, work, &pl->lwork,
                 r2, &info, 1, 1);
#else
        LA(geev)(&pl->jobvl, &no, &n, f, &n, r2, r2 + n, vlp, &ldvl, vdummy, &one, work,
                 &pl->lwork, &info, 1, 1);
#endif
        if (info) st = LAPIS_INFO_NO_CONVERGENCE;
    }
    if (st) {
        for (int64_t j = 0; j < n; j++) R(cset)(w + j, (RT)NAN, (RT)NAN);
        if (v)
            for (int64_t j = 0; j < nn; j++) R(cset)(v + j, (RT)NAN, (RT)NAN);
        return st;
    }
#if LAPIS_CPLX
    if (v)
        for (int64_t r = 0; r < n; r++)
            for (int64_t j = 0; j < n; j++) v[r * n + j] = CONJ(vl[r + j * n]);
#else
    const RT *wr = r2, *wi = r2 + n;
    for (int64_t j = 0; j < n; j++) R(cset)(w + j, wr[j], wi[j]);
    if (v) {
        /* a pair (wi[j] > 0, then its conjugate) shares u = VL(:,j) ± i VL(:,j+1) */
        for (int64_t j = 0; j < n; j++) {
            if (wi[j] == 0 || j + 1 == n) {
                for (int64_t r = 0; r < n; r++) R(cset)(v + r * n + j, vl[r + j * n], 0);
                continue;
            }
            for (int64_t r = 0; r < n; r++) {
                RT re = vl[r + j * n], im = vl[r + (j + 1) * n];
                R(cset)(v + r * n + j, re, -im);
                R(cset)(v + r * n + j + 1, re, im);
            }
            j++;
        }
    }
#endif
    return 0;
}

static lapis_status R(eig)(const lapis_eig_args *p, const lapis_exec *ex) {
    int64_t n = p->n;
    if (n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    R(eig_plan) pl;
    R(eig_query)((blas_int)n, p->v ? 'V' : 'N', &pl);
    int nt = lapis_cpu_batch_begin(ex, p->batch, n);
    char *ws = lapis_cpu_workspace(nt, pl.ws_bytes);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the eig workspace.");
    }
    const T *a = p->a;
    R(ctype) *w = p->w, *v = p->v;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        void *wsp = ws + (size_t)t * pl.ws_bytes;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(eig_one)(a + i * n * n, w + i * n, v ? v + i * n * n : NULL,
                                    (blas_int)n, &pl, wsp);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
