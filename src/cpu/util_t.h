/* Type-generic helpers, included once per type by each kernel file (see
 * family_types.h). Needs: T, RT (its real type), R(name), LAPIS_CPLX. */

/* NaN, and NaN + NaN i for the complex types. */
static inline void R(fill_nan)(T *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        RT *parts = (RT *)&x[i]; /* C11 6.2.5: a complex is an array of two reals */
        parts[0] = (RT)NAN;
        if (LAPIS_CPLX) parts[LAPIS_CPLX] = (RT)NAN;
    }
}

static inline bool R(finite)(T v) {
#if LAPIS_CPLX
    return isfinite(creal(v)) && isfinite(cimag(v));
#else
    return isfinite(v) != 0;
#endif
}

/* Copies count elements of src to dst (dst NULL: reads only) and returns
 * false when they hold NaN or Inf. The test works on the bits of each real
 * part: (bits & exponent field) + its lowest bit carries into the sign bit
 * exactly when the exponent is all ones. Integer operations vectorise where
 * isfinite per element did not (16M float64, one thread: the copy 21-22 ->
 * 17.5-20.6 ms, memcpy 12; the check alone 19-21 -> 14-16 ms). */
static inline bool R(copy_check)(const T *src, T *dst, int64_t count) {
    const int64_t c = count * (int64_t)(sizeof(T) / sizeof(RT));
    const RT *s = (const RT *)src;
    RT *d = (RT *)dst;
    if (sizeof(RT) == 8) {
        const uint64_t e = 0x7ff0000000000000ull, lo = 0x0010000000000000ull;
        uint64_t acc = 0;
        for (int64_t i = 0; i < c; i++) {
            uint64_t u;
            memcpy(&u, s + i, 8);
            acc |= (u & e) + lo;
            if (d) memcpy(d + i, &u, 8);
        }
        return !(acc >> 63);
    }
    const uint32_t e = 0x7f800000u, lo = 0x00800000u;
    uint32_t acc = 0;
    for (int64_t i = 0; i < c; i++) {
        uint32_t u;
        memcpy(&u, s + i, 4);
        acc |= (u & e) + lo;
        if (d) memcpy(d + i, &u, 4);
    }
    return !(acc >> 31);
}

static inline bool R(all_finite)(const T *a, int64_t count) {
    return R(copy_check)(a, NULL, count);
}

/* dst = src (count elements); false when src holds NaN or Inf. */
static inline bool R(copy_finite)(const T *src, T *dst, int64_t count) {
    return R(copy_check)(src, dst, count);
}

/* out = the chosen triangle of a (n x n), other triangle 0. Returns false
 * when the triangle holds NaN or Inf. */
static inline bool R(copy_triangle)(const T *a, T *out, int64_t n, bool upper) {
    bool finite = true;
    for (int64_t i = 0; i < n; i++) {
        int64_t j0 = upper ? i : 0, j1 = upper ? n : i + 1;
        T *o = out + i * n;
        memset(o, 0, (size_t)j0 * sizeof(T)); /* all bits zero: 0, and 0 + 0i */
        finite &= R(copy_check)(a + i * n + j0, o + j0, j1 - j0);
        memset(o + j1, 0, (size_t)(n - j1) * sizeof(T));
    }
    return finite;
}

/* LAPACK's sfmin: the smallest normal number of the real type. */
static inline RT R(sfmin)(void) { return sizeof(RT) == 4 ? FLT_MIN : DBL_MIN; }

/* |x|: the modulus for the complex types. */
static inline RT R(absval)(T x) {
#if LAPIS_CPLX
    return (RT)cabs(x);
#else
    return (RT)fabs(x);
#endif
}

/* Whether the n x n matrix (element (i, j) at a[i rs + j cs]) has a
 * subnormal on its diagonal. OpenBLAS's trsm (0.3.21) multiplies by the
 * reciprocals of the diagonal, which overflow there; such solves go to
 * R(subst_div). */
static inline bool R(subnormal_diag)(const T *a, int64_t n, int64_t rs, int64_t cs) {
    const RT sfmin = R(sfmin)();
    for (int64_t i = 0; i < n; i++) {
        RT d = R(absval)(a[i * (rs + cs)]);
        if (d != 0 && d < sfmin) return true;
    }
    return false;
}

/* x = A^-1 x by substitution that divides by the diagonal: A n x n lower or
 * upper triangular (element (i, j) at a[i rs + j cs]), unit or not, x n x k
 * row-major. */
static inline void R(subst_div)(const T *a, int64_t rs, int64_t cs, bool upper, bool unit, T *x,
                                int64_t n, int64_t k) {
    for (int64_t s = 0; s < n; s++) {
        const int64_t i = upper ? n - 1 - s : s;
        T *xi = x + i * k;
        for (int64_t j = upper ? i + 1 : 0; j < (upper ? n : i); j++) {
            const T aij = a[i * rs + j * cs];
            if (aij != 0)
                for (int64_t c = 0; c < k; c++) xi[c] -= aij * x[j * k + c];
        }
        if (!unit)
            for (int64_t c = 0; c < k; c++) xi[c] /= a[i * (rs + cs)];
    }
}

/* Row-major r x c  ->  column-major (ld r), i.e. a plain transpose, of the
 * rows in bands b0 .. b1-1 of 32 rows, in 32 x 32 tiles so that large
 * matrices do not miss the cache on every write. */
static inline void R(transpose_bands)(const T *src, T *dst, int64_t r, int64_t c, int64_t b0,
                                      int64_t b1) {
    for (int64_t i0 = b0 * 32; i0 < r && i0 < b1 * 32; i0 += 32)
        for (int64_t j0 = 0; j0 < c; j0 += 32) {
            int64_t i1 = i0 + 32 < r ? i0 + 32 : r, j1 = j0 + 32 < c ? j0 + 32 : c;
            for (int64_t i = i0; i < i1; i++)
                for (int64_t j = j0; j < j1; j++) dst[j * r + i] = src[i * c + j];
        }
}

/* In-place transpose of the square n x n matrix's band b of 32 rows: the
 * tiles right of the diagonal trade places with those below it, disjoint
 * from every other band's. */
static inline void R(transpose_square_band)(T *a, int64_t n, int64_t b) {
    int64_t i0 = b * 32, i1 = i0 + 32 < n ? i0 + 32 : n;
    for (int64_t j0 = i0; j0 < n; j0 += 32) {
        int64_t j1 = j0 + 32 < n ? j0 + 32 : n;
        for (int64_t i = i0; i < i1; i++)
            for (int64_t j = j0 == i0 ? i + 1 : j0; j < j1; j++) {
                T t = a[i * n + j];
                a[i * n + j] = a[j * n + i];
                a[j * n + i] = t;
            }
    }
}

/* The rows x cols block at a (row-major, row stride ld) into column-major w
 * (leading dimension rows), and back: the panel of a row-major blocked
 * factorization, which LAPACK factors column-major. Eight rows at a time, so
 * that each column of w takes a whole cache line per pass. */
static inline void R(panel_to_cm)(const T *a, int64_t ld, int64_t rows, int64_t cols, T *w) {
    int64_t i = 0;
    for (; i + 8 <= rows; i += 8) {
        const T *r = a + i * ld;
        for (int64_t c = 0; c < cols; c++) {
            T *o = w + c * rows + i;
            for (int64_t u = 0; u < 8; u++) o[u] = r[u * ld + c];
        }
    }
    for (; i < rows; i++)
        for (int64_t c = 0; c < cols; c++) w[c * rows + i] = a[i * ld + c];
}
static inline void R(panel_from_cm)(T *a, int64_t ld, int64_t rows, int64_t cols, const T *w) {
    int64_t i = 0;
    for (; i + 8 <= rows; i += 8) {
        T *r = a + i * ld;
        for (int64_t c = 0; c < cols; c++) {
            const T *o = w + c * rows + i;
            for (int64_t u = 0; u < 8; u++) r[u * ld + c] = o[u];
        }
    }
    for (; i < rows; i++)
        for (int64_t c = 0; c < cols; c++) a[i * ld + c] = w[c * rows + i];
}

static inline void R(transpose)(const T *src, T *dst, int64_t r, int64_t c) {
    R(transpose_bands)(src, dst, r, c, 0, (r + 31) / 32);
}

static inline void R(transpose_square)(T *a, int64_t n) {
    for (int64_t b = 0; b < (n + 31) / 32; b++) R(transpose_square_band)(a, n, b);
}

typedef struct R(square_job) {
    T *a;
    int64_t n;
} R(square_job);

static inline void R(square_share)(void *arg, int t, int nt) {
    const R(square_job) *j = arg;
    for (int64_t b = t; b < (j->n + 31) / 32; b += nt) R(transpose_square_band)(j->a, j->n, b);
}

/* In place, over `par` threads of lapis_cpu_fork (bands dealt round-robin),
 * for a single large matrix between BLAS calls. */
static inline void R(transpose_square_par)(T *a, int64_t n, int par) {
    if (par < 2) {
        R(transpose_square)(a, n);
        return;
    }
    R(square_job) j = {a, n};
    lapis_cpu_fork(par, R(square_share), &j);
}

/* Per-thread workspace bytes for `elems` elements plus `extra` bytes. The
 * complex kernels of OpenBLAS 0.3.21 (cgemv/zgemv) read up to 256 bytes past
 * the end of their matrix, so complex LAPACK calls only ever see workspace
 * with LAPIS_CPU_SLACK bytes behind it, never a caller's array. */
static inline size_t R(ws_bytes)(int64_t elems, size_t extra) {
    size_t b = (size_t)elems * sizeof(T) + extra + (LAPIS_CPLX ? LAPIS_CPU_SLACK : 0);
    return (b + 63) / 64 * 64;
}

/* One square matrix of a factor batch: a -> out (n x n), w where LAPACK
 * works (out itself for real types, the thread's workspace for complex
 * ones); returns the matrix's info. */
typedef int32_t (*R(one_fn))(const T *a, T *out, blas_int n, bool upper, T *w);

/* Runs one() over every matrix of the batch p, split across the threads of
 * ex; `what` names the workspace in the out-of-memory message. */
static inline lapis_status R(each_square)(const lapis_factor_args *p, const lapis_exec *ex,
                                          R(one_fn) one, const char *what) {
    const T *a = p->a;
    T *out = p->out;
    int64_t nn = p->n * p->n;
    if (p->n == 0) {
        for (int64_t i = 0; i < p->batch; i++) p->info[i] = 0;
        return LAPIS_OK;
    }
    int nt = lapis_cpu_batch_begin(ex, p->batch, p->n);
    size_t wsb = R(ws_bytes)(nn, 0);
    char *ws = LAPIS_CPLX ? lapis_cpu_workspace(nt, wsb) : NULL;
    if (LAPIS_CPLX && !ws) {
        lapis_cpu_batch_end(nt);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the %s workspace.", what);
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        T *w = ws ? (T *)(ws + (size_t)lapis_cpu_thread() * wsb) : NULL;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < p->batch; i++)
            p->info[i] =
                one(a + i * nn, out + i * nn, (blas_int)p->n, p->upper, w ? w : out + i * nn);
    }
    lapis_cpu_workspace_free(ws);
    lapis_cpu_batch_end(nt);
    return LAPIS_OK;
}
