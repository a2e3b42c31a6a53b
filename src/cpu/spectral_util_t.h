/* Type-generic helpers of the spectral kernels (see spectral_types.h).
 * Complex values are viewed as pairs of RT so that NaN fills and finiteness
 * checks cover both parts. */

enum { R(sp_parts) = (int)(sizeof(T) / sizeof(RT)) };

static inline void R(sp_nan)(T *x, int64_t count) {
    RT *r = (RT *)x;
    for (int64_t i = 0; i < count * R(sp_parts); i++) r[i] = (RT)NAN;
}

static inline void R(sp_rnan)(RT *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] = (RT)NAN;
}

static inline bool R(sp_finite)(const T *x, int64_t count) {
    const RT *r = (const RT *)x;
    bool finite = true;
    for (int64_t i = 0; i < count * R(sp_parts); i++) finite &= isfinite(r[i]) != 0;
    return finite;
}

/* LAPACK workspace sizes come back as a T in work[0]. */
static inline blas_int R(sp_lwork)(T w) {
    double v = (double)RE(w);
    return v < 1 ? 1 : (blas_int)(v * (1 + 4 * (double)EPS) + 1);
}

/* Row-major r x c -> column-major with leading dimension ld >= r, in 32 x 32
 * tiles so that large matrices do not miss the cache on every write.
 * Returns false when src holds NaN or Inf (checked on the way). */
static inline bool R(sp_to_colmajor)(const T *src, T *dst, int64_t r, int64_t c, int64_t ld) {
    bool finite = true;
    for (int64_t i0 = 0; i0 < r; i0 += 32)
        for (int64_t j0 = 0; j0 < c; j0 += 32) {
            int64_t i1 = i0 + 32 < r ? i0 + 32 : r, j1 = j0 + 32 < c ? j0 + 32 : c;
            for (int64_t i = i0; i < i1; i++) {
                finite &= R(sp_finite)(src + i * c + j0, j1 - j0);
                for (int64_t j = j0; j < j1; j++) dst[j * ld + i] = src[i * c + j];
            }
        }
    return finite;
}

/* Column-major (leading dimension ld >= r) -> row-major r x c; upper: only
 * j >= i, zeros below the diagonal. Tiled as sp_to_colmajor. */
static inline void R(sp_from_colmajor)(const T *src, int64_t ld, T *dst, int64_t r, int64_t c,
                                       bool upper) {
    for (int64_t i0 = 0; i0 < r; i0 += 32)
        for (int64_t j0 = 0; j0 < c; j0 += 32) {
            int64_t i1 = i0 + 32 < r ? i0 + 32 : r, j1 = j0 + 32 < c ? j0 + 32 : c;
            for (int64_t j = j0; j < j1; j++)
                for (int64_t i = i0; i < i1; i++)
                    dst[i * c + j] = upper && j < i ? (T)0 : src[j * ld + i];
        }
}

/*
 * Per-thread workspace slot: `bytes` rounded to 64, plus slack. Every matrix
 * LAPACK works on lives in the workspace, never in a caller's array:
 * OpenBLAS 0.3.21's zgemv_n (Zen kernel, reached from zlarf) reads up to
 * ~256 bytes past the end of its matrix, which faults when an array ends at
 * a page boundary. The results are copied out (O(mn) beside O(mn²) work).
 */
#define LAPIS_SPECTRAL_SLACK 1024
static inline size_t R(sp_round)(size_t bytes) {
    return (bytes + LAPIS_SPECTRAL_SLACK + 63) / 64 * 64;
}
