/* Cholesky and inverse-from-factor, type-generic (see family_types.h).
 * Row-major lower L is column-major upper: LAPACK gets the other uplo. For
 * Hermitian A the column-major view is Aᵀ = conj(A); potrf's factor of it,
 * read back row-major, is exactly L with A = L Lᴴ (and U with A = Uᴴ U), so
 * the complex path needs no conjugation. */

/* w: where LAPACK works, l itself for real types, n*n workspace elements for
 * complex ones (copied to l at the end). */
static int32_t R(cholesky_one)(const T *a, T *l, blas_int n, bool upper, T *w) {
    int64_t nn = (int64_t)n * n;
    if (!R(copy_triangle)(a, l, n, upper)) {
        R(fill_nan)(l, nn);
        return LAPIS_INFO_NON_FINITE;
    }
    if (w != l) memcpy(w, l, (size_t)nn * sizeof(T));
    char uplo = upper ? 'L' : 'U';
    blas_int info = 0;
    LA(potrf)(&uplo, &n, w, &n, &info, 1);
    if (info) R(fill_nan)(l, nn);
    else if (w != l) memcpy(l, w, (size_t)nn * sizeof(T));
    return info;
}

static lapis_status R(cholesky)(const lapis_factor_args *p, const lapis_exec *ex) {
    return R(each_square)(p, ex, R(cholesky_one), "Cholesky");
}

static int32_t R(cholesky_inv_one)(const T *f, T *x, blas_int n, bool upper, T *w) {
    int64_t nn = (int64_t)n * n;
    if (!R(copy_triangle)(f, x, n, upper)) {
        R(fill_nan)(x, nn);
        return LAPIS_INFO_NON_FINITE;
    }
#if LAPIS_CPLX
    /* potri assumes a real diagonal. A factor with a complex one gives the
     * same A = L Lᴴ (Uᴴ U) once column (row) k is turned by the unit phase
     * conj(l_kk)/|l_kk|, which makes l_kk = |l_kk| */
    for (blas_int k = 0; k < n; k++) {
        T d = x[(int64_t)k * n + k];
        if (cimag(d) == 0) continue;
        T c = conj(d) / cabs(d);
        for (blas_int i = k; i < n; i++) {
            if (upper) x[(int64_t)k * n + i] *= c;
            else x[(int64_t)i * n + k] *= c;
        }
        x[(int64_t)k * n + k] = cabs(d);
    }
#endif
    if (w != x) memcpy(w, x, (size_t)nn * sizeof(T));
    char uplo = upper ? 'L' : 'U';
    blas_int info = 0;
    LA(potri)(&uplo, &n, w, &n, &info, 1);
    if (info) {
        R(fill_nan)(x, nn);
        return info;
    }
    if (w != x) memcpy(x, w, (size_t)nn * sizeof(T));
    /* potri wrote the chosen triangle of the symmetric (Hermitian) inverse:
     * mirror it, conjugated for complex types */
    for (blas_int i = 0; i < n; i++)
        for (blas_int j = 0; j < i; j++) {
#if LAPIS_CPLX
            if (upper) x[i * n + j] = conj(x[j * n + i]);
            else x[j * n + i] = conj(x[i * n + j]);
#else
            if (upper) x[i * n + j] = x[j * n + i];
            else x[j * n + i] = x[i * n + j];
#endif
        }
    return 0;
}

static lapis_status R(cholesky_inv)(const lapis_factor_args *p, const lapis_exec *ex) {
    return R(each_square)(p, ex, R(cholesky_inv_one), "Cholesky");
}
