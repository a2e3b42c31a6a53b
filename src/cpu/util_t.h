/* Type-generic helpers, included once per real type by each kernel file.
 * Needs: T (float or double), R(name) (suffixes the name with the type). */

static inline void R(fill_nan)(T *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] = (T)NAN;
}

/* out = the chosen triangle of a (n x n), other triangle 0. Returns false
 * when the triangle holds NaN or Inf. */
static inline bool R(copy_triangle)(const T *a, T *out, int64_t n, bool upper) {
    bool finite = true;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < n; j++) {
            bool in = upper ? j >= i : j <= i;
            T v = in ? a[i * n + j] : (T)0;
            finite &= isfinite(v) != 0;
            out[i * n + j] = v;
        }
    }
    return finite;
}

static inline bool R(all_finite)(const T *a, int64_t count) {
    bool finite = true;
    for (int64_t i = 0; i < count; i++) finite &= isfinite(a[i]) != 0;
    return finite;
}

/* Row-major r x c  ->  column-major (ld r), i.e. a plain transpose. */
static inline void R(transpose)(const T *src, T *dst, int64_t r, int64_t c) {
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++) dst[j * r + i] = src[i * c + j];
}
