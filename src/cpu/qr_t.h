/* Reduced QR, type-generic (see spectral_types.h): a row-major blocked
 * geqrf for real matrices of more than one panel, else a column-major copy
 * (the complex types always). */

typedef struct R(qr_plan) {
    blas_int lwork;
    size_t ws_bytes; /* per thread: see qr_query */
} R(qr_plan);

#if !LAPIS_CPLX
/*
 * Real types: Householder QR of the row-major matrix in place, without
 * transposing it (LAPACK's blocked geqrf with the roles of rows and columns
 * kept, as getrf_rows in lu_t.h). Each panel of nb columns is copied
 * column-major into w and factored there by geqrf, then written back (R
 * above its diagonal, the reflectors V below); larft builds the panel's
 * triangular T, kept in ts for Q, and the block reflector reaches the
 * columns right of the panel through larfb_rows. Q (orgqr) is built the same
 * way, block by block from the last, on an identity. On n = 2000-4000
 * float64 (2 cores) this took 0.83-0.88 of the time of geqrf (reference
 * LAPACK's, 32 columns a panel) on a column-major copy, which does not
 * count the two transposes it saves. One-panel matrices and the complex
 * types take the column-major path below.
 */
static inline blas_int R(qr_rows_nb)(blas_int k) { return k < 64 ? (k > 0 ? k : 1) : 64; }

/* c (rows x cols, row-major, row stride ld) := H^T c (fact) or H c, with
 * H = I - V T V^T: V rows x kb column-major with its unit diagonal and the
 * zeros above it written out, T kb x kb upper triangular. On the
 * column-major view cᵀ: cᵀ - cᵀ V T Vᵀ (fact; Tᵀ for H), wk cols x kb. */
static void R(larfb_rows)(bool fact, blas_int rows, blas_int cols, blas_int kb, const T *v,
                          const T *t, T *c, blas_int ld, T *wk) {
    const char no = 'N', tr = 'T', right = 'R', up = 'U';
    const T one = 1, zero = 0, minus = -1;
    LA(gemm)(&no, &no, &cols, &kb, &rows, &one, c, &ld, v, &rows, &zero, wk, &cols, 1, 1);
    LA(trmm)(&right, &up, fact ? &no : &tr, &no, &cols, &kb, &one, t, &kb, wk, &cols, 1, 1, 1, 1);
    LA(gemm)(&no, &tr, &cols, &rows, &kb, &minus, wk, &cols, v, &rows, &one, c, &ld, 1, 1);
}

/* The panel's reflectors in w (rows x kb, column-major, as geqrf left
 * them) with the unit diagonal and the zeros above it written in. */
static inline void R(qr_explicit_v)(T *w, blas_int rows, blas_int kb) {
    for (blas_int c = 0; c < kb; c++) {
        T *col = w + (int64_t)c * rows;
        for (blas_int i = 0; i < c; i++) col[i] = 0;
        col[c] = 1;
    }
}

/* a: m x n row-major (row stride n), factored in place; tau (k); ts: the
 * T of each panel, nb x nb apart; w: m x nb; wk: n x nb; work: lwork. */
static void R(geqrf_rows)(blas_int m, blas_int n, T *a, T *tau, T *ts, T *w, T *wk, T *work,
                          blas_int lwork) {
    const blas_int k = m < n ? m : n, nb = R(qr_rows_nb)(k);
    const char fw = 'F', cw = 'C';
    for (blas_int j = 0; j < k; j += nb) {
        blas_int jb = k - j < nb ? k - j : nb, mr = m - j, nr = n - j - jb, info = 0;
        T *pj = a + (int64_t)j * n + j, *t = ts + (int64_t)(j / nb) * nb * nb;
        R(panel_to_cm)(pj, n, mr, jb, w);
        LA(geqrf)(&mr, &jb, w, &mr, tau + j, work, &lwork, &info);
        R(panel_from_cm)(pj, n, mr, jb, w);
        LA(larft)(&fw, &cw, &mr, &jb, w, &mr, tau + j, t, &jb, 1, 1);
        if (nr <= 0) continue;
        R(qr_explicit_v)(w, mr, jb);
        R(larfb_rows)(true, mr, nr, jb, w, t, pj + jb, n, wk);
    }
}

/* q (m x k row-major) from geqrf_rows's a, tau and ts; w, wk as there. */
static void R(orgqr_rows)(blas_int m, blas_int n, const T *a, const T *ts, T *q, T *w, T *wk) {
    const blas_int k = m < n ? m : n, nb = R(qr_rows_nb)(k);
    for (int64_t i = 0; i < (int64_t)m * k; i++) q[i] = 0;
    for (blas_int i = 0; i < k; i++) q[(int64_t)i * k + i] = 1;
    for (blas_int j = (k - 1) / nb * nb; j >= 0; j -= nb) {
        blas_int jb = k - j < nb ? k - j : nb, mr = m - j;
        R(panel_to_cm)(a + (int64_t)j * n + j, n, mr, jb, w);
        R(qr_explicit_v)(w, mr, jb);
        R(larfb_rows)(false, mr, k - j, jb, w, ts + (int64_t)(j / nb) * nb * nb,
                      q + (int64_t)j * k + j, k, wk);
    }
}

/* Workspace (elements): tau k, work lwork (geqrf on one panel), ts, w, wk,
 * and an m x n copy when m > n (R, k x n, is then too small to factor in). */
static void R(qr_rows_query)(blas_int m, blas_int n, R(qr_plan) *pl) {
    blas_int k = m < n ? m : n, nb = R(qr_rows_nb)(k), info = 0, lw = -1;
    T wq = 0, dummy[1] = {0};
    LA(geqrf)(&m, &nb, dummy, &m, dummy, &wq, &lw, &info);
    pl->lwork = R(sp_lwork)(wq);
    size_t elems = (size_t)k + (size_t)pl->lwork + (size_t)(k / nb + 1) * nb * nb +
                   (size_t)m * nb + (size_t)(n > k ? n : k) * nb + (m > n ? (size_t)m * n : 0);
    pl->ws_bytes = R(sp_round)(elems * sizeof(T));
}

static int32_t R(qr_rows_one)(const T *a, T *q, T *r, blas_int m, blas_int n, T *ws,
                              blas_int lwork) {
    blas_int k = m < n ? m : n, nb = R(qr_rows_nb)(k);
    T *tau = ws, *work = tau + k, *ts = work + lwork, *w = ts + (int64_t)(k / nb + 1) * nb * nb;
    T *wk = w + (int64_t)m * nb, *f = m > n ? wk + (int64_t)(n > k ? n : k) * nb : r;
    if (!R(copy_finite)(a, f, (int64_t)m * n)) {
        if (q) R(sp_nan)(q, (int64_t)m * k);
        R(sp_nan)(r, (int64_t)k * n);
        return LAPIS_INFO_NON_FINITE;
    }
    R(geqrf_rows)(m, n, f, tau, ts, w, wk, work, lwork);
    if (q) R(orgqr_rows)(m, n, f, ts, q, w, wk);
    /* R: the upper k x n of f (f is r itself unless m > n) */
    for (blas_int i = 0; i < k; i++) {
        T *ri = r + (int64_t)i * n;
        for (blas_int j = 0; j < i; j++) ri[j] = 0;
        if (f != r) memcpy(ri + i, f + (int64_t)i * n + i, (size_t)(n - i) * sizeof(T));
    }
    return 0;
}
#endif

/* The column-major path: row-major A (m x n) is copied column-major (a tiled
 * transpose, not conjugated: the copy holds A itself), geqrf factors the
 * copy, and R (its upper k x n) and Q (orgqr/ungqr, m x k) are copied out
 * row-major. LAPACK works in the workspace (see spectral_util_t.h). The
 * complex types, and real matrices of one panel (k <= 64), where the
 * blocked path's BLAS calls cost more than they save. */
static void R(qr_cm_query)(blas_int m, blas_int n, bool want_q, R(qr_plan) *pl) {
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

static int32_t R(qr_cm_one)(const T *a, T *q, T *r, blas_int m, blas_int n, T *ws,
                            blas_int lwork) {
    blas_int k = m < n ? m : n, info = 0;
    T *tau = ws, *work = ws + k, *f = work + lwork;
    if (!R(sp_to_colmajor)(a, f, m, n, m)) {
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

static inline bool R(qr_use_rows)(int64_t m, int64_t n) {
    return !LAPIS_CPLX && (m < n ? m : n) > 64;
}

static lapis_status R(qr)(const lapis_qr_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, k = m < n ? m : n;
    if (k == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    R(qr_plan) pl;
    const bool rows = R(qr_use_rows)(m, n);
    (void)rows; /* always false for the complex types */
#if !LAPIS_CPLX
    if (rows) R(qr_rows_query)((blas_int)m, (blas_int)n, &pl);
    else
#endif
        R(qr_cm_query)((blas_int)m, (blas_int)n, p->q != NULL, &pl);
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
        for (int64_t i = 0; i < p->batch; i++) {
            T *qi = q ? q + i * m * k : NULL;
#if !LAPIS_CPLX
            if (rows)
                p->info[i] = R(qr_rows_one)(a + i * m * n, qi, r + i * k * n, (blas_int)m,
                                            (blas_int)n, w, pl.lwork);
            else
#endif
                p->info[i] = R(qr_cm_one)(a + i * m * n, qi, r + i * k * n, (blas_int)m,
                                          (blas_int)n, w, pl.lwork);
        }
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
