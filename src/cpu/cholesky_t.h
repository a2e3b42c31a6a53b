/* Cholesky and inverse-from-factor, type-generic (see util_t.h).
 * Row-major lower L is column-major upper: LAPACK gets the other uplo. */

static int32_t R(cholesky_one)(const T *a, T *l, blas_int n, bool upper) {
    if (!R(copy_triangle)(a, l, n, upper)) {
        R(fill_nan)(l, (int64_t)n * n);
        return LAPIS_INFO_NON_FINITE;
    }
    char uplo = upper ? 'L' : 'U';
    blas_int info = 0;
    LA(potrf)(&uplo, &n, l, &n, &info, 1);
    if (info) R(fill_nan)(l, (int64_t)n * n);
    return info;
}

static lapis_status R(cholesky)(const lapis_factor_args *p, const lapis_exec *ex) {
    const T *a = p->a;
    T *l = p->out;
    int64_t nn = p->n * p->n;
    if (p->n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, p->n);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < p->batch; i++)
        p->info[i] = R(cholesky_one)(a + i * nn, l + i * nn, (blas_int)p->n, p->upper);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}

static int32_t R(cholesky_inv_one)(const T *f, T *x, blas_int n, bool upper) {
    if (!R(copy_triangle)(f, x, n, upper)) {
        R(fill_nan)(x, (int64_t)n * n);
        return LAPIS_INFO_NON_FINITE;
    }
    char uplo = upper ? 'L' : 'U';
    blas_int info = 0;
    LA(potri)(&uplo, &n, x, &n, &info, 1);
    if (info) {
        R(fill_nan)(x, (int64_t)n * n);
        return info;
    }
    /* potri wrote the chosen triangle of the symmetric inverse: mirror it */
    for (blas_int i = 0; i < n; i++)
        for (blas_int j = 0; j < i; j++) {
            if (upper) x[i * n + j] = x[j * n + i];
            else x[j * n + i] = x[i * n + j];
        }
    return 0;
}

static lapis_status R(cholesky_inv)(const lapis_factor_args *p, const lapis_exec *ex) {
    const T *a = p->a;
    T *x = p->out;
    int64_t nn = p->n * p->n;
    if (p->n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, p->n);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t i = 0; i < p->batch; i++)
        p->info[i] = R(cholesky_inv_one)(a + i * nn, x + i * nn, (blas_int)p->n, p->upper);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
