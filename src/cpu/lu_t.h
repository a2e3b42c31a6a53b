/* LU family, type-generic (see family_types.h). Real matrices are factored
 * row-major in the output by getrf_rows (LAPACK's blocked getrf with rows
 * and columns kept). The complex types are transposed into a per-thread
 * workspace, factored by getrf column-major, and transposed back: O(n^2)
 * beside the O(n^3) factorization. Only transposes are involved, so complex
 * types need no conjugation. */

/* |re| + |im|, i?amax's measure (|x| for the real types) */
static inline RT R(lu_abs1)(T x) {
#if LAPIS_CPLX
    return (RT)(fabs(creal(x)) + fabs(cimag(x)));
#else
    return (RT)fabs(x);
#endif
}

/*
 * OpenBLAS's getf2 (0.3.21) scales a column by 1/pivot even where the pivot
 * is subnormal and its reciprocal overflows: Inf and NaN multipliers where
 * LAPACK divides (below sfmin). getrf keeps the pivot itself, so a result
 * with a subnormal pivot on U's diagonal is factored again, from the
 * input, by R(getf2_div): LAPACK's unblocked getf2, which divides there.
 */
static bool R(lu_subnormal_pivot)(const T *f, blas_int m, blas_int n, blas_int ld) {
    return R(subnormal_diag)(f, m < n ? m : n, 1, ld);
}

/* getf2 on column-major m x n (ld), pivots 1-based; returns info. */
static blas_int R(getf2_div)(blas_int m, blas_int n, T *a, blas_int ld, blas_int *ipiv) {
    const RT sfmin = R(sfmin)();
    blas_int k = m < n ? m : n, info = 0;
    for (blas_int j = 0; j < k; j++) {
        T *cj = a + (int64_t)j * ld;
        blas_int p = j;
        RT best = R(lu_abs1)(cj[j]);
        for (blas_int i = j + 1; i < m; i++) {
            const RT v = R(lu_abs1)(cj[i]);
            if (v > best) {
                best = v;
                p = i;
            }
        }
        ipiv[j] = p + 1;
        if (cj[p] != 0) {
            if (p != j)
                for (blas_int c = 0; c < n; c++) {
                    T t = a[j + (int64_t)c * ld];
                    a[j + (int64_t)c * ld] = a[p + (int64_t)c * ld];
                    a[p + (int64_t)c * ld] = t;
                }
            const T piv = cj[j];
            if (R(absval)(piv) >= sfmin) {
                const T r = (T)1 / piv;
                for (blas_int i = j + 1; i < m; i++) cj[i] *= r;
            } else {
                for (blas_int i = j + 1; i < m; i++) cj[i] /= piv;
            }
        } else if (info == 0) {
            info = j + 1;
        }
        for (blas_int c = j + 1; c < n; c++) {
            T *cc = a + (int64_t)c * ld;
            const T u = cc[j];
            if (u != 0)
                for (blas_int i = j + 1; i < m; i++) cc[i] -= cj[i] * u;
        }
    }
    return info;
}

/* Elements c0 .. c1-1 of rows x and y trade places. */
static inline void R(swap_run)(T *x, T *y, blas_int c0, blas_int c1) {
    for (blas_int c = c0; c < c1; c++) {
        T t = x[c];
        x[c] = y[c];
        y[c] = t;
    }
}

/* A panel's row interchanges (rows i and ipiv[i] - 1, i from j to j + jb - 1,
 * in order) over the columns outside it, 0 .. j-1 and j + jb .. n-1: those
 * columns dealt to nt threads in contiguous runs, each run taking every
 * interchange in order. n = 4000, panels of 192, random pivots, alone on
 * the 2-core VM: 28-31 ms on one thread, 16-23 on two (a copy of the same
 * size is bandwidth-bound there: 11.4 ms on one thread, 13.5 on two). */
typedef struct R(swaps_job) {
    T *a;
    const blas_int *ipiv;
    blas_int ld, j, jb, n;
} R(swaps_job);

static void R(swaps_share)(void *arg, int t, int nt) {
    const R(swaps_job) *q = (const R(swaps_job) *)arg;
    const int64_t cols = (int64_t)q->n - q->jb;
    const int64_t c0 = cols * t / nt, c1 = cols * (t + 1) / nt;
    for (blas_int i = q->j; i < q->j + q->jb; i++) {
        const blas_int r = q->ipiv[i] - 1;
        if (r == i) continue;
        T *x = q->a + (int64_t)i * q->ld, *y = q->a + (int64_t)r * q->ld;
        /* columns c of the outside list: c < j on the left, else c + jb */
        if (c0 < q->j) R(swap_run)(x, y, (blas_int)c0, (blas_int)(c1 < q->j ? c1 : q->j));
        if (c1 > q->j) {
            const int64_t s0 = (c0 > q->j ? c0 : q->j) + q->jb;
            R(swap_run)(x, y, (blas_int)s0, (blas_int)(c1 + q->jb));
        }
    }
}

/*
 * getrf on row-major a (m x n, row stride ld) in place, without transposing
 * it: LAPACK's right-looking blocked algorithm with the roles of rows and
 * columns kept. Each panel of nb columns is factored by this same routine
 * with panels of nbi columns, down to one of at most nbi columns, which is
 * copied column-major into w (m x nbi) and factored there by getrf, then
 * written back. The panel's row swaps reach the other columns, the row
 * block right of it becomes L11^-1 A12 (trsm) and the trailing matrix
 * A22 - A21 A12 (gemm), each a column-major BLAS call on the transposed
 * view. Pivots 1-based, as getrf's; returns getrf's info. par: threads for
 * the panels' row interchanges, which run between the BLAS calls (a single
 * large matrix: at n = 4000 they took 24 ms of 580 on one thread).
 */
static blas_int R(getrf_rows)(blas_int m, blas_int n, T *a, blas_int ld, blas_int *ipiv, T *w,
                              blas_int nb, blas_int nbi, int par) {
    const blas_int k = m < n ? m : n;
    const char rt = 'R', up = 'U', no = 'N', unit = 'U';
    const T one = 1, minus = -1;
    blas_int info = 0;
    for (blas_int j = 0; j < k; j += nb) {
        blas_int jb = k - j < nb ? k - j : nb, mr = m - j, pinfo = 0;
        T *pj = a + (int64_t)j * ld + j;
        if (jb > nbi) {
            pinfo = R(getrf_rows)(mr, jb, pj, ld, ipiv + j, w, nbi, nbi, 1);
        } else {
            R(panel_to_cm)(pj, ld, mr, jb, w);
            LA(getrf)(&mr, &jb, w, &mr, ipiv + j, &pinfo);
            R(panel_from_cm)(pj, ld, mr, jb, w);
        }
        if (pinfo && !info) info = pinfo + j;
        for (blas_int i = j; i < j + jb; i++) ipiv[i] += j;
        R(swaps_job) sw = {a, ipiv, ld, j, jb, n};
        lapis_cpu_fork((int64_t)jb * (n - jb) >= lu_swaps_par_min ? par : 1, R(swaps_share), &sw);
        blas_int nr = n - j - jb, mb = m - j - jb;
        if (nr <= 0) continue;
        LA(trsm)(&rt, &up, &no, &unit, &nr, &jb, &one, pj, &ld, pj + jb, &ld, 1, 1, 1, 1);
        if (mb > 0)
            LA(gemm)(&no, &no, &nr, &mb, &jb, &minus, pj + jb, &ld, pj + (int64_t)jb * ld, &ld,
                     &one, pj + (int64_t)jb * ld + jb, &ld, 1, 1);
    }
    return info;
}

/* getrf_rows's panels, float64 on 2 cores (OpenBLAS 0.3.21, min of 21-31
 * alternating runs, ms): at n = 2000 one level of 64 columns, 67-70
 * against 70-72 for 192 or 256 over 64 (getrf on the column-major copy
 * 76-80); at n = 4000 192 over 64, 500-522 against 527-535 for one level
 * of 96 (getrf 509-542): the trailing gemm runs at 85-89 GF/s with k = 96
 * and 98-104 from k = 192. */
static inline void R(getrf_rows_nb)(blas_int n, blas_int *nb, blas_int *nbi) {
    *nbi = lu_panels_nbi ? lu_panels_nbi : 64;
    *nb = lu_panels_nb ? lu_panels_nb : n >= 3000 ? 192 : 64;
}

/* getrf_rows on row-major a (m x n, row stride n) with those panels; w:
 * m x getrf_rows_nb's nbi elements. */
static inline blas_int R(lu_rows)(blas_int m, blas_int n, T *a, blas_int *ipiv, T *w, int par) {
    blas_int nb, nbi;
    R(getrf_rows_nb)(m < n ? m : n, &nb, &nbi);
    return R(getrf_rows)(m, n, a, n, ipiv, w, nb, nbi, par);
}

/* ws: m*n elements + min(m,n) blas_int pivots. par: threads for the row
 * interchanges and for the transposes of the subnormal-pivot
 * refactorization (a single large matrix, whose BLAS calls run on BLAS
 * threads). */
static int32_t R(lu_one)(const T *a, T *lu, uint32_t *piv, blas_int m, blas_int n, T *ws,
                         int par) {
    int64_t mn = (int64_t)m * n;
    blas_int k = m < n ? m : n;
    blas_int *ipiv = (blas_int *)(ws + mn);
    blas_int info = 0, ld = m > 0 ? m : 1;
    const bool rows = !LAPIS_CPLX;
    if (rows ? !R(copy_finite)(a, lu, mn) : !R(all_finite)(a, mn)) {
        R(fill_nan)(lu, mn);
        for (blas_int i = 0; i < k; i++) piv[i] = (uint32_t)i;
        return LAPIS_INFO_NON_FINITE;
    }
    if (rows) {
        info = R(lu_rows)(m, n, lu, ipiv, ws, par); /* in the output, row-major */
        if (R(subnormal_diag)(lu, k, 1, n)) {
            /* a subnormal pivot: getf2_div column-major, from the input */
            if (m == n) {
                memcpy(lu, a, (size_t)mn * sizeof(T));
                R(transpose_square_par)(lu, n, par);
                info = R(getf2_div)(m, n, lu, ld, ipiv);
                R(transpose_square_par)(lu, n, par);
            } else {
                R(transpose)(a, ws, m, n);
                info = R(getf2_div)(m, n, ws, ld, ipiv);
                R(transpose)(ws, lu, n, m);
            }
        }
    } else {
        R(transpose)(a, ws, m, n);
        LA(getrf)(&m, &n, ws, &ld, ipiv, &info);
        if (R(lu_subnormal_pivot)(ws, m, n, ld)) {
            R(transpose)(a, ws, m, n);
            info = R(getf2_div)(m, n, ws, ld, ipiv);
        }
        R(transpose)(ws, lu, n, m);
    }
    for (blas_int i = 0; i < k; i++) piv[i] = (uint32_t)(ipiv[i] - 1);
    return info;
}

static lapis_status R(lu_factor)(const lapis_factor_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, mn = m * n, k = m < n ? m : n;
    if (m == 0 || n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, k);
    int par = lapis_cpu_single_par(nt, mn);
    size_t wsb = R(ws_bytes)(mn, (size_t)k * sizeof(blas_int));
    char *ws = lapis_cpu_workspace(nt, wsb);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the LU workspace.");
    }
    const T *a = p->a;
    T *lu = p->out;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        T *w = (T *)(ws + (size_t)lapis_cpu_thread() * wsb);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(lu_one)(a + i * mn, lu + i * mn, p->ipiv + i * k, (blas_int)m,
                                   (blas_int)n, w, par);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* x = A^-1 b from the packed row-major LU: apply the row swaps to b, then
 * unit-lower and upper solves, done as column-major right-side trsm.
 * w: NULL for real types, else n*n + n*k workspace elements for copies of
 * the LU and of x that trsm works on. */
static void R(lu_solve_one)(const T *lu, const uint32_t *piv, const T *b, T *xout, blas_int n,
                            blas_int k, T *w) {
    int64_t nk = (int64_t)n * k, nn = (int64_t)n * n;
    T *x = xout;
    if (w) {
        memcpy(w, lu, (size_t)nn * sizeof(T));
        lu = w;
        x = w + nn;
    }
    for (int64_t i = 0; i < nk; i++) x[i] = b[i];
    for (blas_int i = 0; i < n; i++) {
        uint32_t r = piv[i];
        if (r == (uint32_t)i) continue;
        for (blas_int j = 0; j < k; j++) {
            T t = x[(int64_t)i * k + j];
            x[(int64_t)i * k + j] = x[(int64_t)r * k + j];
            x[(int64_t)r * k + j] = t;
        }
    }
    char side = 'R', lo = 'U', up = 'L', trans = 'N', unit = 'U', nonunit = 'N';
    T one = 1;
    if (R(subnormal_diag)(lu, n, n, 1)) {
        R(subst_div)(lu, n, 1, false, true, x, n, k);
        R(subst_div)(lu, n, 1, true, false, x, n, k);
    } else if (k == 1) {
        /* one right side: x (Lᵀ-as-upper)⁻¹ is a transposed trsv, which OpenBLAS
         * runs far faster than a one-row trsm */
        char tr = 'T';
        blas_int inc = 1;
        LA(trsv)(&lo, &tr, &unit, &n, lu, &n, x, &inc, 1, 1, 1);
        LA(trsv)(&up, &tr, &nonunit, &n, lu, &n, x, &inc, 1, 1, 1);
    } else {
        LA(trsm)(&side, &lo, &trans, &unit, &k, &n, &one, lu, &n, x, &k, 1, 1, 1, 1);
        LA(trsm)(&side, &up, &trans, &nonunit, &k, &n, &one, lu, &n, x, &k, 1, 1, 1, 1);
    }
    if (x != xout) memcpy(xout, x, (size_t)nk * sizeof(T));
}

static lapis_status R(lu_solve)(const lapis_solve_args *p, const lapis_exec *ex) {
    int64_t n = p->n, k = p->k, nn = n * n, nk = n * k;
    const T *a = p->a, *b = p->b;
    T *x = p->x;
    if (n == 0 || k == 0) {
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = p->ainfo ? p->ainfo[lapis_bmap_index(&p->amap, i)] : 0;
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, n);
    size_t wsb = R(ws_bytes)(nn + nk, 0);
    char *ws = LAPIS_CPLX ? lapis_cpu_workspace(nt, wsb) : NULL;
    if (LAPIS_CPLX && !ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the solve workspace.");
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        T *w = ws ? (T *)(ws + (size_t)lapis_cpu_thread() * wsb) : NULL;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++) {
            int64_t ia = lapis_bmap_index(&p->amap, i);
            const T *bi = b + lapis_bmap_index(&p->bmap, i) * nk;
            int32_t info = p->ainfo ? p->ainfo[ia] : 0;
            if (!info && !R(all_finite)(bi, nk)) info = LAPIS_INFO_NON_FINITE;
            if (info) R(fill_nan)(x + i * nk, nk);
            else R(lu_solve_one)(a + ia * nn, p->ipiv + ia * n, bi, x + i * nk, (blas_int)n,
                                 (blas_int)k, w);
            p->info[i] = info;
        }
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* Solve A x = b. Real types past one panel: A's row-pivoted LU, row-major,
 * by getrf_rows (as lu_factor), then lu_solve_one. Otherwise row-major A is
 * column-major Aᵀ, getrf factors Aᵀ = P L U in place (partial pivoting over
 * A's columns, as stable as over its rows), and getrs with trans 'T' solves
 * A x = b from it (a transpose, not a conjugate transpose); A is copied
 * once, never transposed; b and x (n x k) are, O(nk). Failures as lu_factor
 * then lu_solve: NaN or Inf in A, a zero pivot (its index from the
 * row-pivoted LU, recomputed only then on the getrs path), NaN or Inf in
 * b. ws: solve_ws elements (see there) + n pivots + n row indices. */
static inline int64_t R(solve_ws)(blas_int n, blas_int k) {
    blas_int nb = 0, nbi = 0;
    if (!LAPIS_CPLX) R(getrf_rows_nb)(n, &nb, &nbi);
    return (int64_t)n * n + (int64_t)n * k + (int64_t)n * nbi; /* A, b, a panel */
}

static int32_t R(solve_one)(const T *a, const T *b, T *x, blas_int n, blas_int k, T *ws,
                            int par) {
    int64_t nn = (int64_t)n * n, nk = (int64_t)n * k;
    T *f = ws, *xb = ws + nn;
    blas_int *ipiv = (blas_int *)(ws + R(solve_ws)(n, k)), info = 0;
    uint32_t *piv = (uint32_t *)(ipiv + n);
    int32_t st = 0;
    char tr = 'T';
    if (!R(copy_finite)(a, f, nn)) st = LAPIS_INFO_NON_FINITE;
    /* one panel (n <= 64): getrf on Aᵀ and getrs were faster (batch 5000 of
     * n = 48, float64: 53-72 ms against 59-90) */
    bool div = false, rows = !LAPIS_CPLX && n > 64;
    if (!st) {
        if (rows) {
            info = R(lu_rows)(n, n, f, ipiv, xb + nk, par);
            if (R(subnormal_diag)(f, n, 1, n)) {
                /* a subnormal pivot: getf2_div column-major, substitutions
                 * that divide */
                R(transpose)(a, f, n, n);
                info = R(getf2_div)(n, n, f, n, ipiv);
                div = true;
                rows = false;
            }
        } else {
            LA(getrf)(&n, &n, f, &n, ipiv, &info);
            if (info > 0 || R(lu_subnormal_pivot)(f, n, n, n)) {
                /* a zero pivot: report lu_factor's index, that of A's
                 * row-pivoted LU, which then also solves if its pivots are
                 * all nonzero; a subnormal one: that LU, by getf2_div if it
                 * has one too, and substitutions that divide */
                R(transpose)(a, f, n, n);
                LA(getrf)(&n, &n, f, &n, ipiv, &info);
                if (R(lu_subnormal_pivot)(f, n, n, n)) {
                    R(transpose)(a, f, n, n);
                    info = R(getf2_div)(n, n, f, n, ipiv);
                    div = true;
                }
                tr = 'N';
            }
        }
        st = info;
    }
    if (!st && !R(all_finite)(b, nk)) st = LAPIS_INFO_NON_FINITE;
    if (st) {
        R(fill_nan)(x, nk);
        return st;
    }
    if (div) { /* f: column-major LU of A, ipiv its row interchanges */
        memcpy(x, b, (size_t)nk * sizeof(T));
        for (blas_int i = 0; i < n; i++) {
            int64_t r = ipiv[i] - 1;
            for (blas_int c = 0; r != i && c < k; c++) {
                T t = x[(int64_t)i * k + c];
                x[(int64_t)i * k + c] = x[r * k + c];
                x[r * k + c] = t;
            }
        }
        R(subst_div)(f, 1, n, false, true, x, n, k);
        R(subst_div)(f, 1, n, true, false, x, n, k);
        return 0;
    }
    if (rows) { /* f: row-major LU of A */
        for (blas_int i = 0; i < n; i++) piv[i] = (uint32_t)(ipiv[i] - 1);
        R(lu_solve_one)(f, piv, b, x, n, k, NULL);
        return 0;
    }
    R(transpose)(b, xb, n, k);
    LA(getrs)(&tr, &n, &k, f, &n, ipiv, xb, &n, &info, 1);
    R(transpose)(xb, x, k, n);
    return 0;
}

/* Batched solve of distinct (not broadcast) A, n above the tiny kernels. */
static lapis_status R(solve)(const lapis_solve_args *p, const lapis_exec *ex) {
    int64_t n = p->n, k = p->k, nn = n * n, nk = n * k;
    if (n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, n);
    int par = lapis_cpu_single_par(nt, nn);
    size_t wsb = R(ws_bytes)(R(solve_ws)((blas_int)n, (blas_int)k),
                             (size_t)n * (sizeof(blas_int) + sizeof(uint32_t)));
    char *ws = lapis_cpu_workspace(nt, wsb);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the solve workspace.");
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        T *w = (T *)(ws + (size_t)lapis_cpu_thread() * wsb);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(solve_one)((const T *)p->a + i * nn,
                                      (const T *)p->b + lapis_bmap_index(&p->bmap, i) * nk,
                                      (T *)p->x + i * nk, (blas_int)n, (blas_int)k, w, par);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* ws: n*n elements, n pivots, and getri's work of lwork elements. */
static int32_t R(inv_one)(const T *a, T *x, blas_int n, T *ws, blas_int lwork) {
    int64_t nn = (int64_t)n * n;
    if (!R(all_finite)(a, nn)) {
        R(fill_nan)(x, nn);
        return LAPIS_INFO_NON_FINITE;
    }
    T *work = ws + nn;
    blas_int *ipiv = (blas_int *)(work + lwork);
    R(transpose)(a, ws, n, n);
    blas_int info = 0;
    LA(getrf)(&n, &n, ws, &n, ipiv, &info);
    if (R(lu_subnormal_pivot)(ws, n, n, n)) {
        R(transpose)(a, ws, n, n);
        info = R(getf2_div)(n, n, ws, n, ipiv);
    }
    if (info) {
        R(fill_nan)(x, nn);
        return info;
    }
    LA(getri)(&n, ws, &n, ipiv, work, &lwork, &info);
    if (info) {
        R(fill_nan)(x, nn);
        return info;
    }
    R(transpose)(ws, x, n, n);
    return 0;
}

static lapis_status R(inv)(const lapis_factor_args *p, const lapis_exec *ex) {
    int64_t n = p->n, nn = n * n;
    if (n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    blas_int lwork = (blas_int)(n * 64);
    int nt = lapis_cpu_batch_begin(ex, p->batch, n);
    size_t wsb = R(ws_bytes)(nn + lwork, (size_t)n * sizeof(blas_int));
    char *ws = lapis_cpu_workspace(nt, wsb);
    if (!ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the inverse workspace.");
    }
    const T *a = p->a;
    T *x = p->out;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        T *w = (T *)(ws + (size_t)lapis_cpu_thread() * wsb);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] = R(inv_one)(a + i * nn, x + i * nn, (blas_int)n, w, lwork);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

/* det = sign * prod|u_ii| kept as mantissa and exponent so that the product
 * neither overflows nor underflows before the end. */
#if LAPIS_CPLX
static long R(clamp_exp)(long e) { return e > INT32_MAX ? INT32_MAX : e < INT32_MIN ? INT32_MIN : e; }

/* Complex: det = (-1)^swaps prod u_ii as a complex mantissa times 2^exp2;
 * sign = det / |det| (NumPy's complex sign), logabsdet = sum log|u_ii|. */
static void R(det_one)(const T *lu, const uint32_t *piv, int64_t n, T *det, T *sign,
                       RT *logabs) {
    double complex mant = 1;
    double logsum = 0;
    long exp2 = 0;
    bool nan = false, zero = false;
    for (int64_t i = 0; i < n; i++) {
        double complex u = lu[i * n + i];
        if (piv[i] != (uint32_t)i) mant = -mant;
        if (u != u) nan = true;
        if (u == 0) zero = true;
        double big = fmax(fabs(creal(u)), fabs(cimag(u)));
        if (nan || zero) continue;
        logsum += log(cabs(u));
        if (!isfinite(big)) { /* an overflowed factor: det is infinite too */
            mant *= u;
            continue;
        }
        int e;
        frexp(big, &e); /* u / 2^e has parts below 1: the product cannot overflow */
        mant *= lapis_cmplx(ldexp(creal(u), -e), ldexp(cimag(u), -e));
        exp2 += e;
        double mbig = fmax(fabs(creal(mant)), fabs(cimag(mant)));
        frexp(mbig, &e);
        mant = lapis_cmplx(ldexp(creal(mant), -e), ldexp(cimag(mant), -e));
        exp2 += e;
    }
    if (nan) {
        if (det) R(fill_nan)(det, 1);
        if (sign) R(fill_nan)(sign, 1);
        if (logabs) *logabs = (RT)NAN;
        return;
    }
    if (zero) {
        if (det) *det = 0;
        if (sign) *sign = 0;
        if (logabs) *logabs = (RT)-INFINITY;
        return;
    }
    int e = (int)R(clamp_exp)(exp2);
    if (det) *det = (T)lapis_cmplx(ldexp(creal(mant), e), ldexp(cimag(mant), e));
    if (sign) *sign = (T)(mant / cabs(mant));
    if (logabs) *logabs = (RT)logsum;
}
#else
static void R(det_one)(const T *lu, const uint32_t *piv, int64_t n, T *det, T *sign, T *logabs) {
    int s = 1;
    double mant = 1, logsum = 0;
    long exp2 = 0;
    bool nan = false;
    for (int64_t i = 0; i < n; i++) {
        T u = lu[i * n + i];
        if (piv[i] != (uint32_t)i) s = -s;
        if (u != u) nan = true;
        if (u < 0) s = -s;
        if (u == 0) s = 0;
        double au = fabs((double)u);
        int e;
        mant *= frexp(au, &e);
        exp2 += e;
        int e2;
        mant = frexp(mant, &e2);
        exp2 += e2;
        logsum += log(au);
    }
    if (nan) {
        if (det) *det = (T)NAN;
        if (sign) *sign = (T)NAN;
        if (logabs) *logabs = (T)NAN;
        return;
    }
    if (det) *det = s == 0 ? (T)0 : (T)(s * ldexp(mant, (int)(exp2 > INT32_MAX ? INT32_MAX : exp2 < INT32_MIN ? INT32_MIN : exp2)));
    if (sign) *sign = (T)s;
    if (logabs) *logabs = s == 0 ? (T)-INFINITY : (T)logsum;
}
#endif

static lapis_status R(det)(const lapis_det_args *p, const lapis_exec *ex) {
    int64_t n = p->n, nn = n * n;
    const T *lu = p->lu;
    T *det = p->det, *sign = p->sign;
    RT *logabs = p->logabsdet; /* the real dtype: log|det| */
    if (n == 0) { /* the empty product: det 1 */
        for (int64_t i = 0; i < p->batch; i++) {
            if (det) det[i] = 1;
            if (sign) sign[i] = 1;
            if (logabs) logabs[i] = 0;
        }
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, 1);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < p->batch; i++)
        R(det_one)(lu + i * nn, p->ipiv + i * n, n, det ? det + i : NULL, sign ? sign + i : NULL,
                   logabs ? logabs + i : NULL);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

static lapis_status R(lu_unpack)(const lapis_lu_unpack_args *p, const lapis_exec *ex) {
    int64_t m = p->m, n = p->n, k = m < n ? m : n;
    const T *lu = p->lu;
    T *l = p->l, *u = p->u;
    int nt = lapis_cpu_batch_begin(ex, p->batch, 1);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t b = 0; b < p->batch; b++) {
        if (m == 0) continue;
        uint32_t *perm = p->perm + b * m;
        for (int64_t i = 0; i < m; i++) perm[i] = (uint32_t)i;
        if (k == 0) continue; /* empty LU, L and U: their data may be NULL */
        const T *f = lu + b * m * n;
        const uint32_t *piv = p->ipiv + b * k;
        T *lb = l + b * m * k, *ub = u + b * k * n;
        /* The swaps composed give sigma with (P A)[i] = A[sigma(i)]; MLX's P is
         * sigma^-1, which is the same swaps applied to the identity in reverse. */
        for (int64_t i = k - 1; i >= 0; i--) {
            uint32_t r = piv[i], t = perm[i];
            perm[i] = perm[r];
            perm[r] = t;
        }
        /* lu_one fills a non-finite input's LU with NaN (f[0] is a finite
         * pivot otherwise): L and U are then all NaN too, not 0/1 patterns */
        if (k > 0 && f[0] != f[0]) {
            R(fill_nan)(lb, m * k);
            R(fill_nan)(ub, k * n);
            continue;
        }
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++)
                lb[i * k + j] = j < i ? f[i * n + j] : (j == i ? (T)1 : (T)0);
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < n; j++) ub[i * n + j] = j >= i ? f[i * n + j] : (T)0;
    }
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
