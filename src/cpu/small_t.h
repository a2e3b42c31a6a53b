/*
 * Batch-interleaved kernels for matrices of order n <= LAPIS_SMALL_NMAX.
 * Type- and target-generic: small.c includes this once per (type, target) with
 *   T  float or double,  IT a signed integer as wide as T,  W lanes,
 *   R(name)  the suffixed name,  SMALL_TARGET  a function target attribute.
 *
 * A group holds W matrices interleaved: element (i, j) of lane l lives at
 * w[(i * ld + j) * W + l] (AT below), so every `for (l < W)` loop is one SIMD
 * operation across W matrices, whatever n is. Lanes past the end of the batch
 * hold the identity and are never written back. Failures are tracked per lane
 * in IT vectors (0, LAPACK's k, or LAPIS_INFO_*) and applied when the lane is
 * stored: NaN outputs, exactly as the LAPACK path.
 */

#define SMALL_BODY static inline __attribute__((always_inline)) SMALL_TARGET

/* ---- lane vectors ------------------------------------------------------------------ */

/* V holds one element of W matrices (GCC/Clang vector extension: one AVX
 * register, or two SSE ones on the baseline target); VI is the matching
 * integer vector that comparisons give. Groups are 64-byte aligned, so every
 * lane vector is aligned. */
SMALL_BODY V R(ld)(const T *p) { return *(const V *)p; }
SMALL_BODY void R(st)(T *p, V v) { *(V *)p = v; }
SMALL_BODY VI R(ldi)(const IT *p) { return *(const VI *)p; }
SMALL_BODY void R(sti)(IT *p, VI v) { *(VI *)p = v; }
/* a where m (all ones or all zeros in each lane, as comparisons give), else b */
#if defined(SMALL_AVX2) && W == 4
SMALL_BODY V R(sel)(VI m, V a, V b) {
    return (V)_mm256_blendv_pd((__m256d)b, (__m256d)a, (__m256d)m);
}
#elif defined(SMALL_AVX2) && W == 8
SMALL_BODY V R(sel)(VI m, V a, V b) {
    return (V)_mm256_blendv_ps((__m256)b, (__m256)a, (__m256)m);
}
#else
SMALL_BODY V R(sel)(VI m, V a, V b) { return (V)(((VI)a & m) | ((VI)b & ~m)); }
#endif
SMALL_BODY VI R(seli)(VI m, VI a, VI b) { return (a & m) | (b & ~m); }
SMALL_BODY V R(vabs)(V x) {
    VI sign = (VI){0} + SMALL_SIGNBIT;
    return (V)((VI)x & ~sign);
}
SMALL_BODY V R(splat)(T x) { return (V){0} + x; }
SMALL_BODY VI R(splati)(IT x) { return (VI){0} + x; }
/* Whether any lane of m (a comparison's mask) is set. */
SMALL_BODY bool R(any)(VI m) {
#if defined(SMALL_AVX2) && W == 4
    return _mm256_movemask_pd((__m256d)m) != 0;
#elif defined(SMALL_AVX2) && W == 8
    return _mm256_movemask_ps((__m256)m) != 0;
#else
    bool any = false;
    for (int l = 0; l < W; l++) any |= m[l] != 0;
    return any;
#endif
}

/* ---- loads and stores between row-major matrices and lanes ------------------- */

#if defined(SMALL_AVX2) && W == 4
/* In-register transpose: r[q] lane l <- r[l] lane q. */
SMALL_BODY void R(tr_regs)(__m256d *r) { lapis_tr4_pd(r); }
SMALL_BODY __m256d R(tr_ldu)(const T *p) { return _mm256_loadu_pd(p); }
SMALL_BODY void R(tr_stu)(T *p, __m256d v) { _mm256_storeu_pd(p, v); }
SMALL_BODY void R(tr_stnt)(T *p, __m256d v) { _mm256_stream_pd(p, v); }
#define SMALL_TR_REG __m256d
#elif defined(SMALL_AVX2) && W == 8
SMALL_BODY void R(tr_regs)(__m256 *r) { lapis_tr8_ps(r); }
SMALL_BODY __m256 R(tr_ldu)(const T *p) { return _mm256_loadu_ps(p); }
SMALL_BODY void R(tr_stu)(T *p, __m256 v) { _mm256_storeu_ps(p, v); }
SMALL_BODY void R(tr_stnt)(T *p, __m256 v) { _mm256_stream_ps(p, v); }
#define SMALL_TR_REG __m256
#endif

/* Where acc is not NULL, *acc += x - x for every lane vector x written: a
 * lane of *acc is NaN exactly when that lane met NaN or Inf (x - x is NaN
 * for those, +0 for every finite x), and the check needs no second pass. */
SMALL_BODY void R(finite_acc)(V *acc, V x) {
    if (acc) *acc += x - x;
}

/* Lane vectors e .. e+W-1 of w <- elements e .. e+W-1 of each src[l] (zeros
 * where src[l] is NULL, unless full: none is): a W x W transpose, in
 * registers on AVX2. acc: as in finite_acc. */
SMALL_BODY void R(tr_load)(T *w, const T *const *src, ptrdiff_t e, bool full, V *acc) {
#ifdef SMALL_TR_REG
    SMALL_TR_REG r[W];
    for (int l = 0; l < W; l++) r[l] = full || src[l] ? R(tr_ldu)(src[l] + e) : (SMALL_TR_REG){0};
    R(tr_regs)(r);
    for (int q = 0; q < W; q++) {
        R(st)(w + (e + q) * W, (V)r[q]);
        R(finite_acc)(acc, (V)r[q]);
    }
#else
    for (int q = 0; q < W; q++) {
        V x;
        for (int l = 0; l < W; l++) x[l] = full || src[l] ? src[l][e + q] : (T)0;
        R(st)(w + (e + q) * W, x);
        R(finite_acc)(acc, x);
    }
#endif
}

/* Elements e .. e+W-1 of each dst[l] (skipped where NULL, unless full) <-
 * lane vectors e .. e+W-1 of w; by non-temporal stores where nt (dst[l] + e
 * then 32-byte aligned, see stream_out). */
SMALL_BODY void R(tr_store)(T *const *dst, const T *w, ptrdiff_t e, bool full, bool nt) {
#ifdef SMALL_TR_REG
    SMALL_TR_REG r[W];
    for (int q = 0; q < W; q++) r[q] = (SMALL_TR_REG)R(ld)(w + (e + q) * W);
    R(tr_regs)(r);
    for (int l = 0; l < W; l++)
        if (full || dst[l]) {
            if (nt) R(tr_stnt)(dst[l] + e, r[l]);
            else R(tr_stu)(dst[l] + e, r[l]);
        }
#else
    (void)nt;
    for (int l = 0; l < W; l++)
        if (full || dst[l])
            for (int q = 0; q < W; q++) dst[l][e + q] = w[(e + q) * W + l];
#endif
}

/* Elements e .. e+2W-1 of each dst[l] <- lane vectors e .. e+2W-1 of w, by
 * non-temporal stores, each lane's two halves back to back: a line's
 * write-combining buffer fills before the next lane's opens (tr_store's
 * order keeps W lines half written at once; float32 n = 16 cholesky spent
 * most of its time in those stores). */
SMALL_BODY void R(tr_store_nt2)(T *const *dst, const T *w, ptrdiff_t e) {
#ifdef SMALL_TR_REG
    SMALL_TR_REG r0[W], r1[W];
    for (int q = 0; q < W; q++) {
        r0[q] = (SMALL_TR_REG)R(ld)(w + (e + q) * W);
        r1[q] = (SMALL_TR_REG)R(ld)(w + (e + W + q) * W);
    }
    R(tr_regs)(r0);
    R(tr_regs)(r1);
    for (int l = 0; l < W; l++) {
        R(tr_stnt)(dst[l] + e, r0[l]);
        R(tr_stnt)(dst[l] + e + W, r1[l]);
    }
#else
    R(tr_store)(dst, w, e, true, false);
    R(tr_store)(dst, w, e + W, true, false);
#endif
}

/* Elements a cache line holds: a multiple of W. */
#define SMALL_LINE (64 / (int)sizeof(T))

/* The cache line at element e of each pf[l] (none NULL), for reading (rw 0)
 * or writing. The loads and stores prefetch the next group's matrices a
 * line ahead for every line they move: the hardware prefetchers follow W
 * streams poorly across page boundaries, and the next group is one compute
 * phase ahead. */
SMALL_BODY void R(prefetch_line)(const T *const *pf, ptrdiff_t e, int rw) {
    for (int l = 0; l < W; l++) {
        if (rw) __builtin_prefetch(pf[l] + e, 1, 3);
        else __builtin_prefetch(pf[l] + e, 0, 3);
    }
}

/* Whether a call's square outputs (batch of nn elements each) leave by
 * non-temporal stores: where they outgrow the last-level cache
 * (lapis_small_stream_bytes), so that no line of them is read before it is
 * written (a third of the traffic of the ops that read and write a matrix
 * each), and every matrix starts 32-byte aligned. The ranges that stream
 * end with stream_fence. */
SMALL_BODY bool R(stream_out)(const void *out, int64_t nn, int64_t batch) {
#ifdef SMALL_TR_REG
    return (uint64_t)(nn * batch) * sizeof(T) >= lapis_small_stream_bytes() &&
           (uintptr_t)out % 32 == 0 && (nn * (int64_t)sizeof(T)) % 32 == 0;
#else
    (void)out, (void)nn, (void)batch;
    return false;
#endif
}
SMALL_BODY void R(stream_fence)(bool nt) {
#ifdef SMALL_TR_REG
    if (nt) _mm_sfence();
#else
    (void)nt;
#endif
}

/* Column j's share of the next matrices' prefetches, for kernels that run
 * n column steps: lines j L / n .. (j + 1) L / n - 1 of each pf[m] (m < npf,
 * n x n, L lines each). Spread over the compute, the next group's input
 * arrives while this one is factored; in one burst with the loads most of
 * it had not (lu_factor f64 n = 8, batch 100000: ~10.5 -> ~7.8 ms). */
SMALL_BODY void R(prefetch_cols)(const T *const *pf, int npf, int j, int n) {
    if (!pf) return;
    const int lines = (n * n + SMALL_LINE - 1) / SMALL_LINE;
    for (int e = j * lines / n; e < (j + 1) * lines / n; e++)
        for (int m = 0; m < npf; m++) __builtin_prefetch(pf[m] + (ptrdiff_t)e * SMALL_LINE, 0, 3);
}

/* Appends the matrices of a next group (nsrc, those not NULL; none unless
 * more) to the npf pointers of pf for prefetch_cols; returns the count. */
SMALL_BODY int R(next_inputs)(const T **pf, int npf, const T *const *nsrc, bool more) {
    for (int l = 0; more && l < W; l++)
        if (nsrc[l]) pf[npf++] = nsrc[l];
    return npf;
}

/* Lane vectors 0 .. cnt-1 of w <- elements off .. off+cnt-1 of each src[l];
 * prefetches the same elements of next[l]. acc: as in finite_acc. */
SMALL_BODY void R(load_run)(T *w, const T *const *src, const T *const *next, ptrdiff_t off, int cnt,
                            V *acc) {
    const T *s[W], *pf[W];
    bool full = true;
    for (int l = 0; l < W; l++) {
        s[l] = src[l] ? src[l] + off : NULL;
        full &= src[l] != NULL;
    }
    /* a lane with no next matrix prefetches its own, which is harmless */
    for (int l = 0; l < W; l++) pf[l] = next && next[l] ? next[l] + off : s[l];
    int e = 0;
    if (full) {
        for (; e + W <= cnt; e += SMALL_LINE) {
            if (next) R(prefetch_line)(pf, e, 0);
            for (int q = 0; q < SMALL_LINE && e + q + W <= cnt; q += W)
                R(tr_load)(w, s, e + q, true, acc);
        }
        e = cnt / W * W;
    } else
        for (; e + W <= cnt; e += W) R(tr_load)(w, s, e, false, acc);
    for (; e < cnt; e++) {
        V v;
        for (int l = 0; l < W; l++) v[l] = s[l] ? s[l][e] : (T)0;
        R(st)(w + e * W, v);
        R(finite_acc)(acc, v);
    }
}

/* Elements off .. off+cnt-1 of each dst[l] (skipped where NULL) <- lane
 * vectors 0 .. cnt-1; prefetches the same elements of next[l] for writing,
 * unless nt: non-temporal stores (see stream_out), off and cnt multiples
 * of W. */
SMALL_BODY void R(store_run)(T *const *dst, T *const *next, const T *w, ptrdiff_t off, int cnt,
                             bool nt) {
    T *d[W];
    const T *pf[W];
    bool full = true;
    for (int l = 0; l < W; l++) {
        d[l] = dst[l] ? dst[l] + off : NULL;
        full &= dst[l] != NULL;
    }
    for (int l = 0; l < W; l++) pf[l] = next && next[l] ? next[l] + off : d[l];
    int e = 0;
    if (full && nt && SMALL_LINE == 2 * W) {
        for (; e + 2 * W <= cnt; e += 2 * W) R(tr_store_nt2)(d, w, e);
        if (e + W <= cnt) R(tr_store)(d, w, e, true, nt);
        e = cnt / W * W;
    } else if (full) {
        for (; e + W <= cnt; e += SMALL_LINE) {
            if (next && !nt) R(prefetch_line)(pf, e, 1);
            for (int q = 0; q < SMALL_LINE && e + q + W <= cnt; q += W)
                R(tr_store)(d, w, e + q, true, nt);
        }
        e = cnt / W * W;
    } else
        for (; e + W <= cnt; e += W) R(tr_store)(d, w, e, false, false);
    for (; e < cnt; e++) {
        V v = R(ld)(w + e * W);
        for (int l = 0; l < W; l++)
            if (d[l]) d[l][e] = v[l];
    }
}

/* Lanes with NaN or Inf in one triangle of an interleaved n x n block:
 * part 1 or 2 the lower one, 3 the upper one (as in load_sq; a whole
 * matrix is checked as it loads, see finite_acc). */
SMALL_BODY VI R(nonfinite_tri)(const T *w, int n, int part) {
    const V zero = {0};
    VI bad = {0};
    for (int i = 0; i < n; i++) {
        int j0 = part == 3 ? i : 0, j1 = part == 3 ? n : i + 1;
        for (int j = j0; j < j1; j++) {
            V x = R(ld)(AT(w, n, i, j));
            bad |= ~((x - x) == zero); /* x - x is NaN exactly for NaN and Inf */
        }
    }
    return bad;
}

/* Swaps lane vectors (i, j) and (j, i), j < i: transposes every lane. */
SMALL_BODY void R(transpose_lanes)(T *w, int n) {
    for (int i = 1; i < n; i++)
        for (int j = 0; j < i; j++) {
            V a = R(ld)(AT(w, n, i, j)), b = R(ld)(AT(w, n, j, i));
            R(st)(AT(w, n, i, j), b);
            R(st)(AT(w, n, j, i), a);
        }
}

/* Lane l <- the n x n matrix src[l] (the identity where src[l] is NULL).
 * part: 0 all; 1 the lower triangle; 2 the upper triangle, stored transposed
 * into the lower one; 3 the upper triangle in place. The whole matrix is
 * read; only `part` is checked and used. Returns the lanes whose part holds
 * NaN or Inf. next: as in load_run. */
SMALL_BODY VI R(load_sq)(T *w, const T *const *src, const T *const *next, int n, int part) {
    V acc = {0}; /* the whole matrix is the part: checked on the way in */
    R(load_run)(w, src, next, 0, n * n, part == 0 ? &acc : NULL);
    VI none = {0};
    bool any = false;
    for (int l = 0; l < W; l++) {
        none[l] = src[l] ? 0 : -1;
        any |= !src[l];
    }
    if (any)
        for (int i = 0; i < n; i++) R(st)(AT(w, n, i, i), R(sel)(none, R(splat)(1), R(ld)(AT(w, n, i, i))));
    if (part == 0) return acc != acc;
    if (part == 2) R(transpose_lanes)(w, n);
    return R(nonfinite_tri)(w, n, part);
}

/* Rows of the n x k right side src[l], columns c0 .. c0+kb-1, row i taken from
 * row perm[i] (perm NULL: identity; tmp: scratch of the size of b); zeros
 * where src[l] is NULL. *bad |= lanes with NaN or Inf. */
SMALL_BODY void R(load_rhs)(T *b, const T *const *src, int n, int64_t k, int64_t c0, int kb,
                            const IT *perm, T *tmp, VI *bad) {
    T *dst = perm ? tmp : b;
    V acc = {0};
    if (kb == k)
        R(load_run)(dst, src, NULL, 0, n * kb, &acc);
    else
        for (int i = 0; i < n; i++)
            R(load_run)(dst + (ptrdiff_t)i * kb * W, src, NULL, i * k + c0, kb, &acc);
    if (perm) /* a lane gather from scratch that is in L1 */
        for (int i = 0; i < n; i++) {
            VI src_row = R(ldi)(perm + i * W);
            for (int c = 0; c < kb; c++) {
                V v;
                for (int l = 0; l < W; l++) v[l] = tmp[((ptrdiff_t)src_row[l] * kb + c) * W + l];
                R(st)(AT(b, kb, i, c), v);
            }
        }
    *bad |= acc != acc;
}

/* Lanes with any NaN set to NaN throughout the first ne lane vectors of w. */
SMALL_BODY void R(nan_lanes)(T *w, int ne, VI nan) {
    nan = nan != 0;
    if (!R(any)(nan)) return;
    const V qnan = R(splat)((T)NAN);
    for (int e = 0; e < ne; e++) R(st)(w + e * W, R(sel)(nan, qnan, R(ld)(w + e * W)));
}

/* x[l] columns c0 .. c0+kb-1 <- lanes, or NaN where nan[l]; b is clobbered. */
SMALL_BODY void R(store_rhs)(T *const *dst, T *b, int n, int64_t k, int64_t c0, int kb, VI nan) {
    R(nan_lanes)(b, n * kb, nan);
    if (kb == k)
        R(store_run)(dst, NULL, b, 0, n * kb, false);
    else
        for (int i = 0; i < n; i++)
            R(store_run)(dst, NULL, b + (ptrdiff_t)i * kb * W, i * k + c0, kb, false);
}

/* dst[l] (skipped where NULL) <- lane l of an n x n block: all of it (part
 * 0), the lower triangle (1), or the lower triangle transposed into the
 * upper one (2); the other triangle exactly 0. NaN everywhere where nan[l].
 * w is clobbered; next and nt as in store_run. */
SMALL_BODY void R(store_sq)(T *const *dst, T *const *next, T *w, int n, int part, VI nan,
                            bool nt) {
    if (part == 2) R(transpose_lanes)(w, n);
    if (part != 0) {
        const V zero = {0};
        for (int i = 0; i < n; i++) {
            int j0 = part == 1 ? i + 1 : 0, j1 = part == 1 ? n : i;
            for (int j = j0; j < j1; j++) R(st)(AT(w, n, i, j), zero);
        }
    }
    R(nan_lanes)(w, n * n, nan);
    R(store_run)(dst, next, w, 0, n * n, nt);
}

/* ---- factorizations ------------------------------------------------------------ */

/* Cholesky of the lower triangle in place of the hg <= SMALL_HG groups w[h]
 * (Crout order: every entry is one dot product, four rows at a time; the
 * groups' FMA chains interleave, as the sqrt and division of each column).
 * fail[h] = the order of the first minor that is not positive definite, per
 * lane. Each lane's arithmetic is the same whatever hg is. */
SMALL_BODY void R(chol_body)(T *const *w, int n, VI *fail, const T *const *pf, int npf,
                             int hg) {
    const V zero = {0}, one = R(splat)(1);
    for (int j = 0; j < n; j++) {
        R(prefetch_cols)(pf, npf, j, n);
        V d[SMALL_HG], r[SMALL_HG];
        for (int h = 0; h < hg; h++) d[h] = R(ld)(AT(w[h], n, j, j));
        for (int p = 0; p < j; p++)
            for (int h = 0; h < hg; h++) {
                V x = R(ld)(AT(w[h], n, j, p));
                d[h] -= x * x;
            }
        for (int h = 0; h < hg; h++) {
            VI ok = d[h] > zero; /* false for NaN too, as LAPACK's potrf */
            fail[h] = R(seli)(~ok & (fail[h] == 0), R(splati)(j + 1), fail[h]);
            V dv = R(sel)(ok, d[h], one), s;
            for (int l = 0; l < W; l++) s[l] = TSQRT(dv[l]);
            R(st)(AT(w[h], n, j, j), s);
            r[h] = one / s;
        }
        int i = j + 1;
        for (; i + 4 <= n; i += 4) {
            V s[SMALL_HG][4];
            for (int h = 0; h < hg; h++)
                for (int q = 0; q < 4; q++) s[h][q] = R(ld)(AT(w[h], n, i + q, j));
            for (int p = 0; p < j; p++)
                for (int h = 0; h < hg; h++) {
                    V x = R(ld)(AT(w[h], n, j, p));
                    for (int q = 0; q < 4; q++) s[h][q] -= R(ld)(AT(w[h], n, i + q, p)) * x;
                }
            for (int h = 0; h < hg; h++)
                for (int q = 0; q < 4; q++) R(st)(AT(w[h], n, i + q, j), s[h][q] * r[h]);
        }
        for (; i < n; i++) {
            V s[SMALL_HG];
            for (int h = 0; h < hg; h++) s[h] = R(ld)(AT(w[h], n, i, j));
            for (int p = 0; p < j; p++)
                for (int h = 0; h < hg; h++)
                    s[h] -= R(ld)(AT(w[h], n, i, p)) * R(ld)(AT(w[h], n, j, p));
            for (int h = 0; h < hg; h++) R(st)(AT(w[h], n, i, j), s[h] * r[h]);
        }
    }
}

/* s_q -= sum_{p<len} x(p) y_q(p), q = 0..3; strides in elements: x(p) at
 * x + p xs, y_q(p) at y + p ys + q yo. */
SMALL_BODY void R(dot4)(V *s, const T *x, ptrdiff_t xs, const T *y, ptrdiff_t ys, ptrdiff_t yo,
                        int len) {
    V s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    for (int p = 0; p < len; p++) {
        V xp = R(ld)(x + p * xs);
        const T *yp = y + p * ys;
        s0 -= xp * R(ld)(yp);
        s1 -= xp * R(ld)(yp + yo);
        s2 -= xp * R(ld)(yp + 2 * yo);
        s3 -= xp * R(ld)(yp + 3 * yo);
    }
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
}

/* One output: s - sum_{p<len} x(p) y(p), two partial sums for a shorter chain. */
SMALL_BODY V R(dot1)(V s, const T *x, ptrdiff_t xs, const T *y, ptrdiff_t ys, int len) {
    V t = {0};
    int p = 0;
    for (; p + 2 <= len; p += 2) {
        s -= R(ld)(x + p * xs) * R(ld)(y + p * ys);
        t += R(ld)(x + (p + 1) * xs) * R(ld)(y + (p + 1) * ys);
    }
    if (p < len) s -= R(ld)(x + p * xs) * R(ld)(y + p * ys);
    return s - t;
}

/* Four consecutive lane vectors (stride st elements) in and out. */
SMALL_BODY void R(ld4)(V *s, const T *p, ptrdiff_t st) {
    for (int q = 0; q < 4; q++) s[q] = R(ld)(p + q * st);
}

/* Row j <-> row rr[q] in the lanes of mask mm[q], q < nr (disjoint masks;
 * nr a constant at every call, so the row loop unrolls). */
SMALL_BODY void R(swap_rows)(T *w, int n, int j, const int *rr, const VI *mm, int nr) {
    for (int c = 0; c < n; c++) {
        V a = R(ld)(AT(w, n, j, c)), aj = a;
        for (int q = 0; q < nr; q++) {
            V b = R(ld)(AT(w, n, rr[q], c));
            aj = R(sel)(mm[q], b, aj);
            R(st)(AT(w, n, rr[q], c), R(sel)(mm[q], a, b));
        }
        R(st)(AT(w, n, j, c), aj);
    }
}

/*
 * LU with partial pivoting in place, Crout order: at step j, column j of L
 * (rows >= j), the pivot (first max |a|, as LAPACK's i?amax), the row swap,
 * the scaling, then row j of U. Every update is a dot product, so the FMA
 * chains are independent across rows and columns. piv[j] (lanes) gets the
 * 0-based pivot row; fail = the first zero pivot, 1-based; the factorization
 * goes on past it, as getrf does.
 */
SMALL_BODY void R(lu_body)(T *w, int n, IT *piv, VI *fail, const T *const *pf, int npf) {
    const ptrdiff_t rs = (ptrdiff_t)n * W; /* one row, in elements */
    const V zero = {0}, one = R(splat)(1), sfmin = R(splat)(SMALL_SFMIN);
    for (int j = 0; j < n; j++) {
        R(prefetch_cols)(pf, npf, j, n);
        /* column j, rows >= j: a(i,j) -= sum_{p<j} a(i,p) a(p,j) */
        int i = j;
        for (; i + 4 <= n; i += 4) {
            V s[4];
            R(ld4)(s, AT(w, n, i, j), rs);
            R(dot4)(s, AT(w, n, 0, j), rs, AT(w, n, i, 0), W, rs, j);
            for (int q = 0; q < 4; q++) R(st)(AT(w, n, i + q, j), s[q]);
        }
        for (; i < n; i++)
            R(st)(AT(w, n, i, j), R(dot1)(R(ld)(AT(w, n, i, j)), AT(w, n, 0, j), rs, AT(w, n, i, 0), W, j));

        /* pivot: the first row of largest |a(i,j)|, i >= j */
        V mx = R(vabs)(R(ld)(AT(w, n, j, j)));
        VI ix = R(splati)(j);
        for (i = j + 1; i < n; i++) {
            V v = R(vabs)(R(ld)(AT(w, n, i, j)));
            VI g = v > mx;
            mx = R(sel)(g, v, mx);
            ix = R(seli)(g, R(splati)(i), ix);
        }
        R(sti)(piv + j * W, ix);
        *fail = R(seli)((*fail == 0) & (mx == zero), R(splati)(j + 1), *fail);
        /* the row swaps as lane blends (scalar swaps per lane measured
         * slower: loads of whole lane vectors wait for the scalar stores to
         * retire); row j is read and written once a column, whatever the
         * number of rows the lanes pivot on */
        uint64_t rows = 0;
        for (int l = 0; l < W; l++) rows |= (uint64_t)1 << ix[l];
        rows &= ~((uint64_t)1 << j);
        int rr[W], nr = 0;
        VI mm[W];
        for (; rows; rows &= rows - 1, nr++) {
            rr[nr] = __builtin_ctzll(rows);
            mm[nr] = ix == R(splati)(rr[nr]);
        }
        switch (nr) {
        case 0: break;
#define SWAP_CASE(k)                                                                               \
    case k: R(swap_rows)(w, n, j, rr, mm, k); break;
            SWAP_CASE(1)
            SWAP_CASE(2)
            SWAP_CASE(3)
#if W > 4
            SWAP_CASE(4)
            SWAP_CASE(5)
            SWAP_CASE(6)
            SWAP_CASE(7)
#endif
        default: R(swap_rows)(w, n, j, rr, mm, W); break;
#undef SWAP_CASE
        }

        /* scale column j below the pivot; LAPACK multiplies by the reciprocal
         * unless the pivot is tiny, and leaves a zero pivot's column alone */
        V pv = R(ld)(AT(w, n, j, j));
        VI nz = pv != zero, big = R(vabs)(pv) >= sfmin;
        V rc = one / R(sel)(nz, pv, one);
        if (!R(any)(nz & ~big)) { /* no tiny pivot */
            for (i = j + 1; i < n; i++) R(st)(AT(w, n, i, j), R(ld)(AT(w, n, i, j)) * rc);
        } else {
            V dv = R(sel)(nz, pv, one);
            for (i = j + 1; i < n; i++) {
                V a = R(ld)(AT(w, n, i, j));
                R(st)(AT(w, n, i, j), R(sel)(big, a * rc, a / dv));
            }
        }

        /* row j of U, columns > j: a(j,c) -= sum_{p<j} a(j,p) a(p,c) */
        int c = j + 1;
        for (; c + 4 <= n; c += 4) {
            V s[4];
            R(ld4)(s, AT(w, n, j, c), W);
            R(dot4)(s, AT(w, n, j, 0), W, AT(w, n, 0, c), rs, W, j);
            for (int q = 0; q < 4; q++) R(st)(AT(w, n, j, c + q), s[q]);
        }
        for (; c < n; c++)
            R(st)(AT(w, n, j, c), R(dot1)(R(ld)(AT(w, n, j, c)), AT(w, n, j, 0), W, AT(w, n, 0, c), rs, j));
    }
}

/* ---- triangular solves on lanes --------------------------------------------------- */

/* b (n x kb) <- L^-1 b, L the lower triangle of a (unit diagonal when unit). */
SMALL_BODY void R(lower_solve)(const T *a, int n, T *b, int kb, bool unit) {
    const ptrdiff_t rs = (ptrdiff_t)kb * W;
    for (int i = 0; i < n; i++) {
        V rd = unit ? R(splat)(1) : R(splat)(1) / R(ld)(AT(a, n, i, i));
        int c = 0;
        for (; c + 4 <= kb; c += 4) {
            V s[4];
            R(ld4)(s, AT(b, kb, i, c), W);
            R(dot4)(s, AT(a, n, i, 0), W, AT(b, kb, 0, c), rs, W, i);
            for (int q = 0; q < 4; q++) {
                V v = s[q];
                if (!unit) v = v / R(ld)(AT(a, n, i, i));
                R(st)(AT(b, kb, i, c + q), v);
            }
        }
        for (; c < kb; c++) {
            V v = R(dot1)(R(ld)(AT(b, kb, i, c)), AT(a, n, i, 0), W, AT(b, kb, 0, c), rs, i);
            if (!unit) v = v / R(ld)(AT(a, n, i, i));
            R(st)(AT(b, kb, i, c), v);
        }
        (void)rd;
    }
}

/* b (n x kb) <- U^-1 b, U the upper triangle of a (non-unit). */
SMALL_BODY void R(upper_solve)(const T *a, int n, T *b, int kb) {
    const ptrdiff_t rs = (ptrdiff_t)kb * W;
    for (int i = n - 1; i >= 0; i--) {
        V d = R(ld)(AT(a, n, i, i));
        int len = n - 1 - i;
        int c = 0;
        for (; c + 4 <= kb; c += 4) {
            V s[4];
            R(ld4)(s, AT(b, kb, i, c), W);
            if (len) R(dot4)(s, AT(a, n, i, i + 1), W, AT(b, kb, i + 1, c), rs, W, len);
            for (int q = 0; q < 4; q++) R(st)(AT(b, kb, i, c + q), s[q] / d);
        }
        for (; c < kb; c++) {
            V v = R(ld)(AT(b, kb, i, c));
            if (len) v = R(dot1)(v, AT(a, n, i, i + 1), W, AT(b, kb, i + 1, c), rs, len);
            R(st)(AT(b, kb, i, c), v / d);
        }
    }
}

/* x (n x n) <- inverse of the lower triangle of a; the strict upper part of x
 * is not written. Row i needs rows < i of x only: columns run in parallel. */
SMALL_BODY void R(lower_inv)(const T *a, int n, T *x) {
    const ptrdiff_t rs = (ptrdiff_t)n * W;
    for (int i = 0; i < n; i++) {
        V r = R(splat)(-1) / R(ld)(AT(a, n, i, i));
        for (int c = 0; c < i; c++) {
            /* s = -sum_{p=c}^{i-1} a(i,p) x(p,c) */
            V s = R(dot1)((V){0}, AT(a, n, i, c), W, AT(x, n, c, c), rs, i - c);
            R(st)(AT(x, n, i, c), -s * r);
        }
        R(st)(AT(x, n, i, i), -r);
    }
}

/* 1-based index of the first exactly zero diagonal entry per lane. */
SMALL_BODY void R(zero_diag)(const T *a, int n, VI *fail) {
    const V zero = {0};
    for (int i = n - 1; i >= 0; i--)
        *fail = R(seli)(R(ld)(AT(a, n, i, i)) == zero, R(splati)(i + 1), *fail);
}

/* Row permutation that the swaps piv[0..n-1] compose to: row i of P b is
 * row perm[i] of b. */
SMALL_BODY void R(swaps_to_perm)(const IT *piv, int n, IT *perm) {
    for (int i = 0; i < n; i++)
        for (int l = 0; l < W; l++) perm[i * W + l] = i;
    for (int j = 0; j < n; j++)
        for (int l = 0; l < W; l++) {
            IT r = piv[j * W + l], t = perm[j * W + l];
            perm[j * W + l] = perm[r * W + l];
            perm[r * W + l] = t;
        }
}

/* ---- one group of W matrices per op ------------------------------------------------
 * The switch gives the compiler a constant n for n <= 4, 8 and 16, the
 * orders batches mostly come in, where full unrolling pays (callgrind, one
 * thread, float64: n = 8 lu_factor -21% instructions, inv -17%, solve -19%,
 * cholesky -6%; n = 16 -21%, -14%, -19%, -4%; small.o +285 KB); other
 * orders share one body. */

#define SMALL_SPECIALISE(call_n)                                                                    \
    switch (n) {                                                                                    \
    case 1: call_n(1); break;                                                                       \
    case 2: call_n(2); break;                                                                       \
    case 3: call_n(3); break;                                                                       \
    case 4: call_n(4); break;                                                                       \
    case 8: call_n(8); break;                                                                       \
    case 16: call_n(16); break;                                                                     \
    default: call_n(n); break;                                                                      \
    }

/* hg groups at once, 1 or SMALL_HG: a tail of fewer groups is padded with
 * identity groups, so that every matrix goes through the same code. The two
 * instances differ only in how many groups' lanes interleave; each lane's
 * expressions, and so the compiler's FMA contraction of them, are the same
 * (a matrix must give the same bits alone and anywhere in a batch:
 * test_rel_batch checks this at n = 8 across both). */
SMALL_TARGET static void R(chol_group)(T *const *w, int n, VI *fail, const T *const *pf,
                                      int npf, int hg) {
#define CALL(nn) R(chol_body)(w, nn, fail, pf, npf, 1)
    if (hg == 1) {
        SMALL_SPECIALISE(CALL)
        return;
    }
#undef CALL
#define CALL(nn) R(chol_body)(w, nn, fail, pf, npf, SMALL_HG)
    SMALL_SPECIALISE(CALL)
#undef CALL
}

SMALL_TARGET static void R(lu_group)(T *w, int n, IT *piv, VI *fail, const T *const *pf,
                                    int npf) {
#define CALL(nn) R(lu_body)(w, nn, piv, fail, pf, npf)
    SMALL_SPECIALISE(CALL)
#undef CALL
}

SMALL_TARGET static void R(lu_solve_group)(const T *w, int n, T *b, int kb) {
#define CALL(nn) (R(lower_solve)(w, nn, b, kb, true), R(upper_solve)(w, nn, b, kb))
    SMALL_SPECIALISE(CALL)
#undef CALL
}

SMALL_TARGET static void R(tri_solve_group)(const T *w, int n, T *b, int kb, bool upper) {
#define CALL(nn) (upper ? R(upper_solve)(w, nn, b, kb) : R(lower_solve)(w, nn, b, kb, false))
    SMALL_SPECIALISE(CALL)
#undef CALL
}

SMALL_TARGET static void R(lower_inv_group)(const T *w, int n, T *x) {
#define CALL(nn) R(lower_inv)(w, nn, x)
    SMALL_SPECIALISE(CALL)
#undef CALL
}

/* ---- drivers over a range of groups [g0, g1), one thread each ------------------------- */

/* Elements between the starts of interleaved groups that are factored
 * together: one group and 8 lane vectors more, so that the groups' lane
 * vectors are not 4 KiB apart (loads would wait on unrelated stores). */
#define SMALL_GROUP_SPAN ((LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX + 8) * W)
SMALL_BODY ptrdiff_t R(group_span)(int n) { return ((ptrdiff_t)n * n + 8) * W; }

/* Matrix pointers of group g: lanes past the batch get NULL. */
SMALL_BODY int R(lanes)(const T **src, const void *base, int64_t g, int64_t batch, int64_t stride,
                        const lapis_bmap *map) {
    int cnt = 0;
    for (int l = 0; l < W; l++) {
        int64_t i = g * W + l;
        if (i < batch) {
            int64_t m = map ? lapis_bmap_index(map, i) : i;
            src[l] = (const T *)base + m * stride;
            cnt++;
        } else {
            src[l] = NULL;
        }
    }
    return cnt;
}

/* Output pointers of group g: lanes past the batch (cnt valid) get NULL. */
SMALL_BODY void R(out_lanes)(T **dst, void *base, int64_t g, int cnt, int64_t stride) {
    for (int l = 0; l < W; l++) dst[l] = l < cnt ? (T *)base + (g * W + l) * stride : NULL;
}

/* Group g's input and output matrices of one matrix in, one out, for the
 * prefetches; false (nothing set) when g is past the range. */
SMALL_BODY bool R(next_lanes)(const T **src, T **dst, const lapis_factor_args *p, int64_t g,
                              int64_t g1) {
    if (g >= g1) return false;
    int64_t nn = p->n * p->n;
    R(out_lanes)(dst, p->out, g, R(lanes)(src, p->a, g, p->batch, nn, NULL), nn);
    return true;
}

SMALL_TARGET static void R(cholesky_range)(const lapis_factor_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n, part = p->upper ? 2 : 1;
    int64_t nn = p->n * p->n;
    const bool nt = R(stream_out)(p->out, nn, p->batch);
    /* A batch that streams from and to memory goes one group at a time: the
     * next group's input then arrives during a shorter compute phase and the
     * working set is half (float64, 2 threads, batch 100000, one group
     * against two: n = 8 0.87x the time, n = 12 0.88-0.93x, n = 16
     * 0.85-0.95x, n = 32 0.96x); in cache, two groups' chains interleave. */
    const int hgmax = nt ? 1 : SMALL_HG;
    T wbuf[SMALL_HG * SMALL_GROUP_SPAN] __attribute__((aligned(64)));
    T *w[SMALL_HG];
    for (int h = 0; h < SMALL_HG; h++) w[h] = wbuf + h * R(group_span)(n);
    for (int64_t g = g0; g < g1; g += hgmax) {
        int hg = g1 - g < hgmax ? (int)(g1 - g) : hgmax, cnt[SMALL_HG];
        const T *src[SMALL_HG][W], *nsrc[SMALL_HG][W];
        T *dst[SMALL_HG][W], *ndst[SMALL_HG][W];
        bool more[SMALL_HG];
        VI fail[SMALL_HG], bad[SMALL_HG];
        const T *pf[SMALL_HG * W]; /* the next groups' input: see prefetch_cols */
        for (int h = 0; h < hg; h++) {
            cnt[h] = R(lanes)(src[h], p->a, g + h, p->batch, nn, NULL);
            R(out_lanes)(dst[h], p->out, g + h, cnt[h], nn);
            more[h] = R(next_lanes)(nsrc[h], ndst[h], p, g + h + hgmax, g1);
            bad[h] = R(load_sq)(w[h], src[h], NULL, n, part);
        }
        int npf = 0;
        for (int h = 0; h < hg; h++) npf = R(next_inputs)(pf, npf, nsrc[h], more[h]);
        for (int h = hg; h < hgmax; h++) /* identity groups (see chol_group) */
            for (int e = 0; e < n * n; e++)
                R(st)(w[h] + (ptrdiff_t)e * W, R(splat)(e % (n + 1) == 0));
        for (int h = 0; h < hgmax; h++) fail[h] = (VI){0};
        R(chol_group)(w, n, fail, pf, npf, hgmax);
        for (int h = 0; h < hg; h++) {
            VI info = R(seli)(bad[h], R(splati)(LAPIS_INFO_NON_FINITE), fail[h]);
            for (int l = 0; l < cnt[h]; l++) p->info[(g + h) * W + l] = (int32_t)info[l];
            R(store_sq)(dst[h], more[h] ? ndst[h] : NULL, w[h], n, part, info != 0, nt);
        }
    }
    R(stream_fence)(nt);
}

SMALL_TARGET static void R(lu_factor_range)(const lapis_factor_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n;
    int64_t nn = p->n * p->n;
    const bool nt = R(stream_out)(p->out, nn, p->batch);
    T w[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    IT piv[LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    for (int64_t g = g0; g < g1; g++) {
        const T *src[W];
        T *dst[W];
        VI fail = {0};
        int cnt = R(lanes)(src, p->a, g, p->batch, nn, NULL);
        R(out_lanes)(dst, p->out, g, cnt, nn);
        const T *nsrc[W];
        T *ndst[W];
        bool more = R(next_lanes)(nsrc, ndst, p, g + 1, g1);
        /* the next group's input is prefetched during the factorization,
         * a few lines a column, not in one burst with the loads */
        const T *pf[W];
        const int npf = R(next_inputs)(pf, 0, nsrc, more);
        VI bad = R(load_sq)(w, src, NULL, n, 0);
        R(lu_group)(w, n, piv, &fail, pf, npf);
        for (int l = 0; l < cnt; l++) {
            int64_t m = g * W + l;
            uint32_t *ip = p->ipiv + m * n;
            for (int i = 0; i < n; i++) ip[i] = bad[l] ? (uint32_t)i : (uint32_t)piv[i * W + l];
            p->info[m] = bad[l] ? LAPIS_INFO_NON_FINITE : (int32_t)fail[l];
        }
        R(store_sq)(dst, more ? ndst : NULL, w, n, 0, bad, nt);
    }
    R(stream_fence)(nt);
}

/* Widest block of right-side columns solved at once. */
#define SMALL_KB LAPIS_SMALL_NMAX

/*
 * Shared tail of solve and lu_solve: the lanes of w hold a packed LU with
 * pivots piv and per-lane info (nonzero: NaN output, else a non-finite b
 * gives LAPIS_INFO_NON_FINITE); solves every column block of the right
 * sides bsrc into xdst.
 */
SMALL_BODY void R(solve_lanes)(const T *w, int n, const IT *piv, VI *info, const T *const *bsrc,
                               T **xdst, int64_t k, T *b, T *tmp) {
    IT perm[LAPIS_SMALL_NMAX * W];
    VI bad = {0};
    R(swaps_to_perm)(piv, n, perm);
    if (k > SMALL_KB) /* a non-finite b anywhere fails the whole solve: check first */
        for (int64_t c0 = 0; c0 < k; c0 += SMALL_KB) {
            int kb = (int)(k - c0 < SMALL_KB ? k - c0 : SMALL_KB);
            R(load_rhs)(b, bsrc, n, k, c0, kb, perm, tmp, &bad);
        }
    for (int64_t c0 = 0; c0 < k; c0 += SMALL_KB) {
        int kb = (int)(k - c0 < SMALL_KB ? k - c0 : SMALL_KB);
        R(load_rhs)(b, bsrc, n, k, c0, kb, perm, tmp, &bad);
        if (c0 == 0) *info = R(seli)(*info == 0, bad & R(splati)(LAPIS_INFO_NON_FINITE), *info);
        R(lu_solve_group)(w, n, b, kb);
        R(store_rhs)(xdst, b, n, k, c0, kb, *info);
    }
}

/* Fused LU + solve from raw A; A is not broadcast (amap is the identity). */
SMALL_TARGET static void R(solve_range)(const lapis_solve_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n;
    int64_t nn = p->n * p->n, nk = p->n * p->k;
    T w[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    T b[LAPIS_SMALL_NMAX * SMALL_KB * W] __attribute__((aligned(64)));
    T tmp[LAPIS_SMALL_NMAX * SMALL_KB * W] __attribute__((aligned(64)));
    IT piv[LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    for (int64_t g = g0; g < g1; g++) {
        const T *asrc[W], *bsrc[W];
        T *xdst[W];
        VI info = {0};
        int cnt = R(lanes)(asrc, p->a, g, p->batch, nn, NULL);
        R(lanes)(bsrc, p->b, g, p->batch, nk, p->bmap.ndim ? &p->bmap : NULL);
        R(out_lanes)(xdst, p->x, g, cnt, nk);
        const T *nsrc[W];
        bool more = g + 1 < g1;
        if (more) R(lanes)(nsrc, p->a, g + 1, p->batch, nn, NULL);
        /* the next group's A is prefetched a few lines a column of the
         * factorization, as in lu_factor (float64, 2 threads, batch 100000,
         * against one burst with the loads: n = 8 0.75x the time, n = 16
         * 0.79-0.86x) */
        const T *pf[W];
        const int npf = R(next_inputs)(pf, 0, nsrc, more);
        VI bad = R(load_sq)(w, asrc, NULL, n, 0);
        R(lu_group)(w, n, piv, &info, pf, npf);
        info = R(seli)(bad, R(splati)(LAPIS_INFO_NON_FINITE), info);
        R(solve_lanes)(w, n, piv, &info, bsrc, xdst, p->k, b, tmp);
        for (int l = 0; l < cnt; l++) p->info[g * W + l] = (int32_t)info[l];
    }
}

/* Solve from a packed LU and its pivots (both possibly broadcast); the LU is
 * not checked: a failed factorization is in ainfo. */
SMALL_TARGET static void R(lu_solve_range)(const lapis_solve_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n;
    int64_t nn = p->n * p->n, nk = p->n * p->k;
    T w[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    T b[LAPIS_SMALL_NMAX * SMALL_KB * W] __attribute__((aligned(64)));
    T tmp[LAPIS_SMALL_NMAX * SMALL_KB * W] __attribute__((aligned(64)));
    IT piv[LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    const lapis_bmap *am = p->amap.ndim ? &p->amap : NULL;
    for (int64_t g = g0; g < g1; g++) {
        const T *asrc[W], *bsrc[W];
        T *xdst[W];
        VI info = {0};
        int cnt = R(lanes)(asrc, p->a, g, p->batch, nn, am);
        R(lanes)(bsrc, p->b, g, p->batch, nk, p->bmap.ndim ? &p->bmap : NULL);
        for (int l = 0; l < W; l++) {
            int64_t i = g * W + l, ia = l < cnt ? (am ? lapis_bmap_index(am, i) : i) : 0;
            xdst[l] = l < cnt ? (T *)p->x + i * nk : NULL;
            info[l] = l < cnt && p->ainfo ? p->ainfo[ia] : 0;
            for (int r = 0; r < n; r++) piv[r * W + l] = l < cnt ? (IT)p->ipiv[ia * n + r] : r;
        }
        const T *nsrc[W];
        bool more = g + 1 < g1;
        if (more) R(lanes)(nsrc, p->a, g + 1, p->batch, nn, am);
        (void)R(load_sq)(w, asrc, more ? nsrc : NULL, n, 0);
        R(solve_lanes)(w, n, piv, &info, bsrc, xdst, p->k, b, tmp);
        for (int l = 0; l < cnt; l++) p->info[g * W + l] = (int32_t)info[l];
    }
}

/* Inverse: LU, then solve with P as the right side (rows of I permuted), so
 * that no row swaps happen on lanes. */
SMALL_TARGET static void R(inv_range)(const lapis_factor_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n;
    int64_t nn = p->n * p->n;
    const bool nt = R(stream_out)(p->out, nn, p->batch);
    T w[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    T b[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    IT piv[LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    IT perm[LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    const V zero = {0}, one = R(splat)(1);
    for (int64_t g = g0; g < g1; g++) {
        const T *src[W];
        T *dst[W];
        VI fail = {0};
        int cnt = R(lanes)(src, p->a, g, p->batch, nn, NULL);
        R(out_lanes)(dst, p->out, g, cnt, nn);
        const T *nsrc[W];
        T *ndst[W];
        bool more = R(next_lanes)(nsrc, ndst, p, g + 1, g1);
        /* the next group's input is prefetched during the factorization,
         * a few lines a column, not in one burst with the loads */
        const T *pf[W];
        const int npf = R(next_inputs)(pf, 0, nsrc, more);
        VI bad = R(load_sq)(w, src, NULL, n, 0);
        R(lu_group)(w, n, piv, &fail, pf, npf);
        R(swaps_to_perm)(piv, n, perm);
        for (int i = 0; i < n; i++) {
            VI pi = R(ldi)(perm + i * W);
            for (int c = 0; c < n; c++) R(st)(AT(b, n, i, c), R(sel)(pi == R(splati)(c), one, zero));
        }
        R(lu_solve_group)(w, n, b, n);
        VI info = R(seli)(bad, R(splati)(LAPIS_INFO_NON_FINITE), fail);
        for (int l = 0; l < cnt; l++) p->info[g * W + l] = (int32_t)info[l];
        R(store_sq)(dst, more ? ndst : NULL, b, n, 0, info != 0, nt);
    }
    R(stream_fence)(nt);
}

/* Triangular inverse; an upper triangle is inverted as its transpose. */
SMALL_TARGET static void R(tri_inv_range)(const lapis_factor_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n, part = p->upper ? 2 : 1;
    int64_t nn = p->n * p->n;
    const bool nt = R(stream_out)(p->out, nn, p->batch);
    T w[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    T x[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    for (int64_t g = g0; g < g1; g++) {
        const T *src[W];
        T *dst[W];
        VI fail = {0};
        int cnt = R(lanes)(src, p->a, g, p->batch, nn, NULL);
        R(out_lanes)(dst, p->out, g, cnt, nn);
        const T *nsrc[W];
        T *ndst[W];
        bool more = R(next_lanes)(nsrc, ndst, p, g + 1, g1);
        VI bad = R(load_sq)(w, src, more ? nsrc : NULL, n, part);
        R(zero_diag)(w, n, &fail);
        R(lower_inv_group)(w, n, x);
        VI info = R(seli)(bad, R(splati)(LAPIS_INFO_NON_FINITE), fail);
        for (int l = 0; l < cnt; l++) p->info[g * W + l] = (int32_t)info[l];
        R(store_sq)(dst, more ? ndst : NULL, x, n, part, info != 0, nt);
    }
    R(stream_fence)(nt);
}

/* Triangular solve x = A^-1 b (A and b possibly broadcast). A non-finite
 * entry in the triangle or in b comes first, then a zero diagonal entry. */
SMALL_TARGET static void R(trsm_range)(const lapis_solve_args *p, int64_t g0, int64_t g1) {
    int n = (int)p->n;
    int64_t nn = p->n * p->n, nk = p->n * p->k, k = p->k;
    T w[LAPIS_SMALL_NMAX * LAPIS_SMALL_NMAX * W] __attribute__((aligned(64)));
    T b[LAPIS_SMALL_NMAX * SMALL_KB * W] __attribute__((aligned(64)));
    const lapis_bmap *am = p->amap.ndim ? &p->amap : NULL;
    for (int64_t g = g0; g < g1; g++) {
        const T *asrc[W], *bsrc[W];
        T *xdst[W];
        VI info = {0};
        int cnt = R(lanes)(asrc, p->a, g, p->batch, nn, am);
        R(lanes)(bsrc, p->b, g, p->batch, nk, p->bmap.ndim ? &p->bmap : NULL);
        R(out_lanes)(xdst, p->x, g, cnt, nk);
        /* an upper triangle stays in place: upper_solve reads it there */
        const T *nsrc[W];
        bool more = g + 1 < g1;
        if (more) R(lanes)(nsrc, p->a, g + 1, p->batch, nn, am);
        VI bad = R(load_sq)(w, asrc, more ? nsrc : NULL, n, p->upper ? 3 : 1);
        R(zero_diag)(w, n, &info);
        for (int64_t c0 = 0; c0 < k; c0 += SMALL_KB) {
            int kb = (int)(k - c0 < SMALL_KB ? k - c0 : SMALL_KB);
            R(load_rhs)(b, bsrc, n, k, c0, kb, NULL, NULL, &bad);
        }
        info = R(seli)(bad, R(splati)(LAPIS_INFO_NON_FINITE), info);
        for (int64_t c0 = 0; c0 < k; c0 += SMALL_KB) {
            int kb = (int)(k - c0 < SMALL_KB ? k - c0 : SMALL_KB);
            if (k > SMALL_KB) R(load_rhs)(b, bsrc, n, k, c0, kb, NULL, NULL, &bad);
            R(tri_solve_group)(w, n, b, kb, p->upper);
            R(store_rhs)(xdst, b, n, k, c0, kb, info);
        }
        for (int l = 0; l < cnt; l++) p->info[g * W + l] = (int32_t)info[l];
    }
}

#undef SMALL_SPECIALISE
#undef SMALL_LINE
#undef SMALL_GROUP_SPAN
#undef SMALL_TR_REG
#undef SMALL_BODY
