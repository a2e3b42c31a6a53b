/* Triangular inverse and triangular solve, type-generic (see family_types.h).
 * Only transposes relate the row-major data to LAPACK's column-major view
 * here, so complex types need no conjugation; they work in workspace. */

static int32_t R(first_zero_diag)(const T *a, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (a[i * n + i] == 0) return (int32_t)(i + 1);
    return 0;
}

/* w: x itself for real types, n*n workspace elements for complex ones. */
static int32_t R(tri_inv_one)(const T *a, T *x, blas_int n, bool upper, T *w) {
    int64_t nn = (int64_t)n * n;
    if (!R(copy_triangle)(a, x, n, upper)) {
        R(fill_nan)(x, nn);
        return LAPIS_INFO_NON_FINITE;
    }
    if (w != x) memcpy(w, x, (size_t)nn * sizeof(T));
    char uplo = upper ? 'L' : 'U', diag = 'N';
    blas_int info = 0;
    LA(trtri)(&uplo, &diag, &n, w, &n, &info, 1, 1);
    if (info) R(fill_nan)(x, nn);
    else if (w != x) memcpy(x, w, (size_t)nn * sizeof(T));
    return info;
}

static lapis_status R(tri_inv)(const lapis_factor_args *p, const lapis_exec *ex) {
    return R(each_square)(p, ex, R(tri_inv_one), "triangular");
}

/* A (n x n, one triangle), b (n x k) row-major. The transpose of a row-major
 * system is a column-major right-side solve: X^T op(A)^T = B^T, and the
 * row-major lower triangle is the column-major upper one.
 * w: NULL for real types (trsm runs on a and x), else n*n + n*k workspace
 * elements that take copies of A and X. */
static int32_t R(trsm_one)(const T *a, const T *b, T *x, blas_int n, blas_int k, bool upper,
                           T *w) {
    int64_t nk = (int64_t)n * k, nn = (int64_t)n * n;
    bool finite = R(all_finite)(b, nk);
    for (int64_t i = 0; i < n && finite; i++)
        for (int64_t j = upper ? i : 0; j < (upper ? n : i + 1); j++)
            finite &= R(finite)(a[i * n + j]);
    if (!finite) {
        R(fill_nan)(x, nk);
        return LAPIS_INFO_NON_FINITE;
    }
    int32_t z = R(first_zero_diag)(a, n);
    if (z) {
        R(fill_nan)(x, nk);
        return z;
    }
    const T *aa = a;
    T *xx = x;
    if (w) {
        memcpy(w, a, (size_t)nn * sizeof(T));
        aa = w;
        xx = w + nn;
    }
    for (int64_t i = 0; i < nk; i++) xx[i] = b[i];
    char side = 'R', uplo = upper ? 'L' : 'U', trans = 'N', diag = 'N';
    T one = 1;
    if (R(subnormal_diag)(aa, n, n, 1)) R(subst_div)(aa, n, 1, upper, false, xx, n, k);
    else LA(trsm)(&side, &uplo, &trans, &diag, &k, &n, &one, aa, &n, xx, &k, 1, 1, 1, 1);
    if (xx != x) memcpy(x, xx, (size_t)nk * sizeof(T));
    return 0;
}

static lapis_status R(trsm)(const lapis_solve_args *p, const lapis_exec *ex) {
    int64_t nn = p->n * p->n, nk = p->n * p->k;
    if (p->n == 0 || p->k == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    const T *a = p->a, *b = p->b;
    T *x = p->x;
    int nt = lapis_cpu_batch_begin(ex, p->batch, p->n);
    size_t wsb = R(ws_bytes)(nn + nk, 0);
    char *ws = LAPIS_CPLX ? lapis_cpu_workspace(nt, wsb) : NULL;
    if (LAPIS_CPLX && !ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the triangular workspace.");
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        T *w = ws ? (T *)(ws + (size_t)lapis_cpu_thread() * wsb) : NULL;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++) {
            const T *ai = a + lapis_bmap_index(&p->amap, i) * nn;
            const T *bi = b + lapis_bmap_index(&p->bmap, i) * nk;
            p->info[i] = R(trsm_one)(ai, bi, x + i * nk, (blas_int)p->n, (blas_int)p->k,
                                     p->upper, w);
        }
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
