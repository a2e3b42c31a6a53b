/*
 * norm: every ord (vector 0/1/2/±inf/any p, matrix fro/nuc/±1/±2/±inf),
 * axes (negative, either order, None), keepdims, four float/complex dtypes
 * and int32, against a long-double reference within 4 n eps (‖A‖-relative
 * for the SVD-based ±2 and nuc); huge and tiny entries (no overflow or
 * underflow); NaN; empty inputs; every argument error.
 * cross: broadcasting, axis, sizes 2 and 3, promotion, errors.
 */
#include "spectral_util.h"

/* ---- long-double reference ---------------------------------------------------------- */

static ld ref_vector(const ld *x, int64_t n, lapis_norm_ord ord, double p) {
    if (ord == LAPIS_NORM_DEFAULT) ord = LAPIS_NORM_P, p = 2;
    if (ord == LAPIS_NORM_INF) p = INFINITY;
    if (ord == LAPIS_NORM_NEG_INF) p = -INFINITY;
    ld mx = 0, mn = INFINITY, s = 0;
    int64_t nnz = 0;
    for (int64_t i = 0; i < n; i++) {
        mx = fmaxl(mx, x[i]);
        mn = fminl(mn, x[i]);
        nnz += x[i] != 0;
    }
    if (p == 0) return nnz;
    if (isinf(p)) return p > 0 ? mx : mn;
    for (int64_t i = 0; i < n; i++) s += powl(x[i], (ld)p);
    return powl(s, 1 / (ld)p);
}

/* |a| of a (rows x cols) block with strides, into out (rows x cols) */
static void gather_abs(ld *out, const lcx *a, int64_t base, int64_t r, int64_t c, int64_t sr,
                       int64_t sc) {
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++) out[i * c + j] = s_cabs(a[base + i * sr + j * sc]);
}

static ld ref_matrix(const ld *x, int64_t r, int64_t c, lapis_norm_ord ord, double p) {
    if (ord == LAPIS_NORM_DEFAULT || ord == LAPIS_NORM_FRO) return ref_vector(x, r * c, LAPIS_NORM_P, 2);
    if (ord == LAPIS_NORM_INF) p = INFINITY;
    if (ord == LAPIS_NORM_NEG_INF) p = -INFINITY;
    bool cols = fabs(p) == 1;
    ld best = p > 0 ? 0 : INFINITY;
    for (int64_t l = 0; l < (cols ? c : r); l++) {
        ld s = 0;
        for (int64_t t = 0; t < (cols ? r : c); t++) s += cols ? x[t * c + l] : x[l * c + t];
        best = p > 0 ? fmaxl(best, s) : fminl(best, s);
    }
    return best;
}

/* ---- norm checks --------------------------------------------------------------------- */

static bool read_real(lapis_array o, ld *out) {
    int64_t n = lapis_array_size(o);
    lcx *t = s_alloc(n, sizeof(lcx));
    bool ok = H_OK(s_read(o, t));
    for (int64_t i = 0; i < n; i++) out[i] = creall(t[i]);
    free(t);
    return ok;
}

static void check_close(const char *op, lapis_dtype dt, ld got, ld want, ld scale, int64_t n,
                        const char *what) {
    ld err = fabsl(got - want);
    if (isnan(want) || isinf(want)) {
        H_CHECK((isnan(want) && isnan(got)) || got == want, "%s: got %Lg want %Lg (%s)", op, got,
                want, what);
        h_count(op, dt);
        return;
    }
    h_ratio(op, dt, s_ratio(err, 4 * (ld)(n > 1 ? n : 1) * s_eps(dt) * scale), 1, what);
}

/* vectors: every ord on several scales */
static void vector_norms(const h_dev *d, lapis_dtype dt) {
    static const int64_t lens[] = {1, 2, 7, 100};
    static const double ps[] = {0, 1, 2, 3, 0.5, -1, -2.5, INFINITY, -INFINITY};
    bool single = s_real(dt) == LAPIS_FLOAT32;
    double scales[3] = {1, single ? 1e-30 : 1e-300, single ? 1e30 : 1e300};
    if (dt == LAPIS_INT32) scales[1] = scales[2] = 1;
    for (int li = 0; li < 4; li++)
        for (int sc = 0; sc < 3; sc++) {
            int64_t n = lens[li], shape[1] = {n};
            lcx *x = s_alloc(n, sizeof(lcx));
            ld *ax = s_alloc(n, sizeof(ld));
            for (int64_t i = 0; i < n; i++) {
                double re = matgen_normal(77 + li, (uint64_t)i) * (dt == LAPIS_INT32 ? 100 : 1);
                double im = s_cplx(dt) ? matgen_normal(88 + li, (uint64_t)i) : 0;
                x[i] = (re + im * I) * scales[sc];
                if (i == 3) x[i] = 0; /* a zero for ord 0 */
            }
            lapis_array A = s_array(x, shape, 1, dt);
            for (int64_t i = 0; i < n; i++) ax[i] = s_cabs(x[i]);
            for (int o = 0; o < 13; o++) {
                lapis_norm_ord ord = o < 9 ? LAPIS_NORM_P : (lapis_norm_ord)(o == 9 ? LAPIS_NORM_DEFAULT : o == 10 ? LAPIS_NORM_INF : o == 11 ? LAPIS_NORM_NEG_INF : LAPIS_NORM_P);
                double p = o < 9 ? ps[o] : 2;
                if (o == 12) p = 4;
                /* |x|^p of the scaled values leaves long double's range for p < -2: skip */
                if (sc && (p == 3 || p == 4 || p < -1) && !isinf(p)) continue;
                lapis_array O = NULL;
                int ax0 = -1;
                char what[160];
                snprintf(what, sizeof what, "%s n=%lld scale=%g ord=%d p=%g", s_dtname(dt),
                         (long long)n, scales[sc], (int)ord, p);
                if (!H_OK(lapis_linalg_norm(&O, A, ord, p, o % 2 ? &ax0 : NULL, o % 2, false,
                                            d->stream)))
                    continue;
                H_CHECK(lapis_array_ndim(O) == 0 &&
                            lapis_array_dtype(O) == (dt == LAPIS_INT32 ? LAPIS_FLOAT32 : s_real(dt)),
                        "norm output shape/dtype (%s)", what);
                ld got;
                read_real(O, &got);
                ld want = ref_vector(ax, n, ord, p);
                check_close("norm vector", dt == LAPIS_INT32 ? LAPIS_FLOAT32 : dt, got, want,
                            want, n, what);
                lapis_array_free(O);
            }
            lapis_array_free(A);
            free(x);
            free(ax);
        }
}

/* matrices along axes of a 3-D array, keepdims, every matrix ord */
static void matrix_norms(const h_dev *d, lapis_dtype dt) {
    int64_t shape[3] = {3, 4, 5}, nn = 60, st[3] = {20, 5, 1};
    bool single = s_real(dt) == LAPIS_FLOAT32;
    static const int axes_list[][2] = {{1, 2}, {2, 1}, {0, 2}, {-1, -3}, {-2, 0}};
    static const double ps[] = {1, -1, 2, -2, INFINITY, -INFINITY};
    for (int sc = 0; sc < 3; sc++) {
        double scale = sc == 0 ? 1 : sc == 1 ? (single ? 1e-30 : 1e-300) : (single ? 1e30 : 1e300);
        lcx *x = s_alloc(nn, sizeof(lcx));
        for (int64_t i = 0; i < nn; i++)
            x[i] = (matgen_normal(5, (uint64_t)i) + (s_cplx(dt) ? matgen_normal(6, (uint64_t)i) * I : 0)) * scale;
        lapis_array A = s_array(x, shape, 3, dt);
        for (int ai = 0; ai < 5; ai++)
            for (int o = 0; o < 9; o++) {
                lapis_norm_ord ord = o < 6 ? LAPIS_NORM_P : o == 6 ? LAPIS_NORM_FRO : o == 7 ? LAPIS_NORM_NUC : LAPIS_NORM_DEFAULT;
                double p = o < 6 ? ps[o] : 0;
                bool keep = (o + ai) % 2 == 1;
                int ax[2] = {axes_list[ai][0], axes_list[ai][1]};
                int r0 = ax[0] < 0 ? ax[0] + 3 : ax[0], c0 = ax[1] < 0 ? ax[1] + 3 : ax[1];
                int other = 3 - r0 - c0;
                lapis_array O = NULL;
                char what[160];
                snprintf(what, sizeof what, "%s axes (%d,%d) ord=%d p=%g scale=%g keep=%d",
                         s_dtname(dt), ax[0], ax[1], (int)ord, p, scale, keep);
                if (!H_OK(lapis_linalg_norm(&O, A, ord, p, ax, 2, keep, d->stream))) continue;
                H_CHECK(lapis_array_ndim(O) == (keep ? 3 : 1) &&
                            lapis_array_size(O) == shape[other],
                        "matrix norm shape (%s)", what);
                ld got[5];
                read_real(O, got);
                int64_t r = shape[r0], c = shape[c0];
                ld *blk = s_alloc(r * c, sizeof(ld));
                bool svd_ord = ord == LAPIS_NORM_NUC || (ord == LAPIS_NORM_P && fabs(p) == 2);
                for (int64_t q = 0; q < shape[other]; q++) {
                    gather_abs(blk, x, q * st[other], r, c, st[r0], st[c0]);
                    if (svd_ord) {
                        /* reference: lapis's SVD (tested in test_svd) of the same block,
                         * bounded relative to ‖A‖_F */
                        int64_t bs[2] = {r, c};
                        lcx *bc = s_alloc(r * c, sizeof(lcx)), sv[4];
                        for (int64_t i = 0; i < r; i++)
                            for (int64_t j = 0; j < c; j++)
                                bc[i * c + j] = x[q * st[other] + i * st[r0] + j * st[c0]];
                        lapis_array B = s_array(bc, bs, 2, dt), S = NULL;
                        if (H_OK(lapis_linalg_svd(NULL, &S, NULL, B, false, d->stream)) &&
                            H_OK(s_read(S, sv))) {
                            int64_t k = r < c ? r : c;
                            ld want = 0;
                            if (ord == LAPIS_NORM_NUC)
                                for (int64_t i = 0; i < k; i++) want += creall(sv[i]);
                            else
                                want = p > 0 ? creall(sv[0]) : creall(sv[k - 1]);
                            check_close("norm matrix svd", dt, got[q], want,
                                        ref_vector(blk, r * c, LAPIS_NORM_P, 2) * k, r + c, what);
                        }
                        lapis_array_free(B);
                        lapis_array_free(S);
                        free(bc);
                    } else {
                        ld want = ref_matrix(blk, r, c, ord, p);
                        check_close("norm matrix", dt, got[q], want, want, r * c, what);
                    }
                }
                free(blk);
                lapis_array_free(O);
            }
        lapis_array_free(A);
        free(x);
    }
    /* ord None without axes: the flattened 2-norm of a 3-D array, keepdims (1,1,1) */
    {
        lcx *x = s_alloc(nn, sizeof(lcx));
        ld *ax = s_alloc(nn, sizeof(ld));
        for (int64_t i = 0; i < nn; i++) x[i] = matgen_normal(9, (uint64_t)i) * (single ? 1e35 : 1e305);
        lapis_array A = s_array(x, shape, 3, dt), O = NULL;
        for (int64_t i = 0; i < nn; i++) ax[i] = s_cabs(x[i]);
        if (H_OK(lapis_linalg_norm(&O, A, LAPIS_NORM_DEFAULT, 0, NULL, 0, true, d->stream))) {
            ld got;
            read_real(O, &got);
            H_CHECK(lapis_array_ndim(O) == 3 && lapis_array_size(O) == 1, "flatten keepdims shape");
            ld want = ref_vector(ax, nn, LAPIS_NORM_P, 2);
            check_close("norm flatten", dt, got, want, want, nn, "huge 3-D flattened");
        }
        lapis_array_free(A);
        lapis_array_free(O);
        free(x);
        free(ax);
    }
}

static void norm_special(const h_dev *d) {
    /* NaN propagates; ord 0 counts it; vector axis keepdims; empty vectors */
    int64_t s1[1] = {4}, s2[2] = {2, 3}, s0[1] = {0}, se[2] = {0, 3};
    lcx x[6] = {1, NAN, 0, 2, 3, 4};
    lapis_array A = s_array(x, s1, 1, LAPIS_FLOAT64), O = NULL;
    ld v;
    if (H_OK(lapis_linalg_norm(&O, A, LAPIS_NORM_DEFAULT, 0, NULL, 0, false, d->stream))) {
        read_real(O, &v);
        H_CHECK(isnan(v), "norm of NaN vector is NaN");
    }
    lapis_array_free(O);
    O = NULL;
    if (H_OK(lapis_linalg_norm(&O, A, LAPIS_NORM_P, 0, NULL, 0, false, d->stream))) {
        read_real(O, &v);
        H_CHECK(v == 3, "ord 0 counts NaN as nonzero (got %Lg)", v);
    }
    lapis_array_free(O);
    O = NULL;
    lapis_array_free(A);
    lcx y[6] = {3, 4, 0, 0, 5, 12};
    lapis_array B = s_array(y, s2, 2, LAPIS_FLOAT32);
    int axm1 = -1;
    if (H_OK(lapis_linalg_norm(&O, B, LAPIS_NORM_DEFAULT, 0, &axm1, 1, true, d->stream))) {
        ld r[2];
        read_real(O, r);
        H_CHECK(lapis_array_ndim(O) == 2 && lapis_array_shape(O)[0] == 2 &&
                    lapis_array_shape(O)[1] == 1 && fabsl(r[0] - 5) < 1e-6L && fabsl(r[1] - 13) < 1e-6L,
                "norm axis -1 keepdims");
    }
    lapis_array_free(O);
    O = NULL;
    lapis_array E = s_array(x, s0, 1, LAPIS_FLOAT64), M = s_array(x, se, 2, LAPIS_FLOAT64);
    if (H_OK(lapis_linalg_norm(&O, E, LAPIS_NORM_P, 2, NULL, 0, false, d->stream))) {
        read_real(O, &v);
        H_CHECK(v == 0, "2-norm of an empty vector is 0");
    }
    lapis_array_free(O);
    O = NULL;
    H_STATUS(lapis_linalg_norm(&O, E, LAPIS_NORM_INF, 0, NULL, 0, false, d->stream),
             LAPIS_ERR_SHAPE, "[linalg::norm] Cannot compute the ord=inf norm of an empty vector",
             "inf-norm of an empty vector");
    if (H_OK(lapis_linalg_norm(&O, M, LAPIS_NORM_P, 1, NULL, 0, false, d->stream))) {
        read_real(O, &v);
        H_CHECK(v == 0, "1-norm of a 0x3 matrix is 0");
    }
    lapis_array_free(O);
    O = NULL;
    if (H_OK(lapis_linalg_norm(&O, M, LAPIS_NORM_NUC, 0, NULL, 0, false, d->stream))) {
        read_real(O, &v);
        H_CHECK(v == 0, "nuclear norm of a 0x3 matrix is 0");
    }
    lapis_array_free(O);
    O = NULL;
    H_STATUS(lapis_linalg_norm(&O, M, LAPIS_NORM_P, 2, NULL, 0, false, d->stream),
             LAPIS_ERR_SHAPE, "[linalg::norm]", "2-norm of a 0x3 matrix");
    h_count("norm special", LAPIS_FLOAT64);
    /* argument errors */
    int64_t s3[3] = {2, 2, 2};
    lcx z[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    lapis_array C = s_array(z, s3, 3, LAPIS_FLOAT64), S0 = s_array(z, NULL, 0, LAPIS_FLOAT64);
    lapis_array o = H_SENTINEL;
    int ax2[2] = {0, 1}, ax3[3] = {0, 1, 2}, axd[2] = {1, -2}, axo[1] = {3};
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_P, 2, NULL, 0, false, d->stream),
             LAPIS_ERR_SHAPE, "[linalg::norm] Received too many axes for norm.", "3-D ord 2");
    H_STATUS(lapis_linalg_norm(&o, S0, LAPIS_NORM_P, 2, NULL, 0, false, d->stream),
             LAPIS_ERR_SHAPE, "[linalg::norm] Received too many axes for norm.", "0-D ord 2");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_DEFAULT, 0, ax3, 3, false, d->stream),
             LAPIS_ERR_SHAPE, "[linalg::norm] Received too many axes for norm.", "3 axes");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_FRO, 0, axo - 0, 1, false, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::norm] Norm 'fro' only supported for matrices, but received 1 axis/axes.",
             "fro 1 axis");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_NUC, 0, NULL, 0, false, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::norm] Norm 'nuc' only supported for matrices, but received 3 axis/axes.",
             "nuc 3-D");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_P, 3, ax2, 2, false, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT, "[linalg::norm] Invalid ord 3 for matrix norm.",
             "matrix ord 3");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_P, 2, axd, 2, false, d->stream),
             LAPIS_ERR_SHAPE, "[linalg::norm] Duplicate axes given.", "duplicate axes");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_P, 2, axo, 1, false, d->stream),
             LAPIS_ERR_SHAPE,
             "[linalg::norm] Axis 3 is out of bounds for array with 3 dimensions.", "axis 3");
    H_STATUS(lapis_linalg_norm(&o, C, (lapis_norm_ord)99, 2, NULL, 0, false, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT, "[linalg::norm]", "bad ord enum");
    H_STATUS(lapis_linalg_norm(&o, NULL, LAPIS_NORM_P, 2, NULL, 0, false, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT, "[linalg::norm]", "a NULL");
    H_STATUS(lapis_linalg_norm(&o, C, LAPIS_NORM_P, 2, NULL, 1, false, d->stream),
             LAPIS_ERR_INVALID_ARGUMENT, "[linalg::norm]", "axes NULL with naxes 1");
    H_CHECK(o == H_SENTINEL, "norm output touched on error");
    h_count("norm arg errors", LAPIS_FLOAT64);
    lapis_array_free(B);
    lapis_array_free(E);
    lapis_array_free(M);
    lapis_array_free(C);
    lapis_array_free(S0);
}

/* ---- cross --------------------------------------------------------------------------- */

static void cross_case(const h_dev *d, lapis_dtype da, lapis_dtype db, const int64_t *sa, int na,
                       const int64_t *sb, int nb, int axis, const int64_t *so, int no) {
    int64_t ca = 1, cb = 1, co = 1;
    for (int i = 0; i < na; i++) ca *= sa[i];
    for (int i = 0; i < nb; i++) cb *= sb[i];
    for (int i = 0; i < no; i++) co *= so[i];
    lcx *a = s_alloc(ca, sizeof(lcx)), *b = s_alloc(cb, sizeof(lcx)), *o = s_alloc(co, sizeof(lcx));
    for (int64_t i = 0; i < ca; i++)
        a[i] = round(matgen_normal(31, (uint64_t)i) * 50) / (da == LAPIS_INT32 ? 1 : 7) +
               (s_cplx(da) ? matgen_normal(32, (uint64_t)i) * I : 0);
    for (int64_t i = 0; i < cb; i++)
        b[i] = round(matgen_normal(33, (uint64_t)i) * 50) / (db == LAPIS_INT32 ? 1 : 7);
    lapis_array A = s_array(a, sa, na, da), B = s_array(b, sb, nb, db), O = NULL;
    char what[120];
    snprintf(what, sizeof what, "cross %s x %s ndim %d,%d axis %d", s_dtname(da), s_dtname(db), na,
             nb, axis);
    lapis_dtype want_dt = da == db ? da : (da == LAPIS_INT32 ? db : db == LAPIS_INT32 ? da : LAPIS_FLOAT64);
    if (H_OK(lapis_linalg_cross(&O, A, B, axis, d->stream))) {
        bool shape_ok = lapis_array_ndim(O) == no && lapis_array_dtype(O) == want_dt;
        for (int i = 0; shape_ok && i < no; i++) shape_ok = lapis_array_shape(O)[i] == so[i];
        H_CHECK(shape_ok, "%s: shape/dtype", what);
        if (shape_ok) {
            H_OK(s_read(O, o));
            /* reference: loop over the output with NumPy's moveaxis semantics */
            int xo = axis < 0 ? axis + no : axis, xa = axis < 0 ? axis + na : axis,
                xb = axis < 0 ? axis + nb : axis;
            int64_t sto[8], sta[8], stb[8], acc;
            acc = 1; for (int i = no - 1; i >= 0; i--) sto[i] = acc, acc *= so[i];
            acc = 1; for (int i = na - 1; i >= 0; i--) sta[i] = acc, acc *= sa[i];
            acc = 1; for (int i = nb - 1; i >= 0; i--) stb[i] = acc, acc *= sb[i];
            ld worst = 0;
            for (int64_t e = 0; e < co; e++) {
                int64_t idx[8], rem = e;
                for (int i = no - 1; i >= 0; i--) idx[i] = rem % so[i], rem /= so[i];
                /* batch index without the axis, right-aligned onto a and b */
                int64_t bi[8];
                int nbd = 0;
                for (int i = 0; i < no; i++)
                    if (i != xo) bi[nbd++] = idx[i];
                lcx av[3] = {0, 0, 0}, bv[3] = {0, 0, 0};
                for (int comp = 0; comp < 3; comp++) {
                    int64_t oa = 0, ob = 0;
                    int ja = na - 2, jb = nb - 2;
                    for (int i = nbd - 1; i >= 0; i--) {
                        int dA = ja >= 0 ? (ja >= xa ? ja + 1 : ja) : -1;
                        int dB = jb >= 0 ? (jb >= xb ? jb + 1 : jb) : -1;
                        if (dA >= 0 && sa[dA] != 1) oa += bi[i] * sta[dA];
                        if (dB >= 0 && sb[dB] != 1) ob += bi[i] * stb[dB];
                        ja--, jb--;
                    }
                    if (comp < sa[xa]) av[comp] = a[oa + comp * sta[xa]];
                    if (comp < sb[xb]) bv[comp] = b[ob + comp * stb[xb]];
                }
                int c = (int)idx[xo], c1 = (c + 1) % 3, c2 = (c + 2) % 3;
                lcx want = av[c1] * bv[c2] - av[c2] * bv[c1];
                ld err = s_cabs(o[e] - want) / (s_cabs(av[c1] * bv[c2]) + s_cabs(av[c2] * bv[c1]) + 1e-300L);
                if (!(err <= worst)) worst = err;
            }
            h_ratio("cross", want_dt, s_ratio(worst, 2 * (lapis_dtype_size(want_dt) <= 4 || want_dt == LAPIS_COMPLEX64 ? FLT_EPSILON : DBL_EPSILON)), 1, what);
        }
    }
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(O);
    free(a);
    free(b);
    free(o);
}

static void cross_tests(const h_dev *d) {
    int64_t s3[1] = {3}, s43[2] = {4, 3}, s213[3] = {2, 1, 3}, s53[2] = {5, 3}, s253[3] = {2, 5, 3},
            s34[2] = {3, 4}, s52[2] = {5, 2}, s2[1] = {2}, s241[3] = {2, 3, 1}, s314[3] = {1, 3, 4},
            s234[3] = {2, 3, 4};
    for (int t = 0; t < 4; t++) {
        lapis_dtype dt = S_DTYPES[t];
        cross_case(d, dt, dt, s3, 1, s3, 1, -1, s3, 1);
        cross_case(d, dt, dt, s43, 2, s3, 1, -1, s43, 2);
        cross_case(d, dt, dt, s213, 3, s53, 2, -1, s253, 3);
        cross_case(d, dt, dt, s34, 2, s34, 2, 0, s34, 2);
        cross_case(d, dt, dt, s52, 2, s53, 2, -1, s53, 2);
        cross_case(d, dt, dt, s2, 1, s2, 1, 0, s3, 1);
        cross_case(d, dt, dt, s241, 3, s314, 3, 1, s234, 3);
    }
    cross_case(d, LAPIS_INT32, LAPIS_INT32, s43, 2, s3, 1, -1, s43, 2);
    cross_case(d, LAPIS_INT32, LAPIS_FLOAT32, s43, 2, s3, 1, -1, s43, 2);
    cross_case(d, LAPIS_FLOAT32, LAPIS_FLOAT64, s43, 2, s3, 1, -1, s43, 2);
    /* errors */
    int64_t s4[1] = {4}, s33[2] = {3, 3}, s23[2] = {2, 3};
    lcx v[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    lapis_array A = s_array(v, s3, 1, LAPIS_FLOAT64), B4 = s_array(v, s4, 1, LAPIS_FLOAT64),
                C = s_array(v, s33, 2, LAPIS_FLOAT64), D = s_array(v, s23, 2, LAPIS_FLOAT64),
                Bo = s_array(v, s3, 1, LAPIS_BOOL), o = H_SENTINEL;
    H_STATUS(lapis_linalg_cross(&o, A, A, 1, d->stream), LAPIS_ERR_SHAPE,
             "[linalg::cross] Axis 1 is out of bounds for array with 1 dimensions.", "axis 1");
    H_STATUS(lapis_linalg_cross(&o, A, B4, -1, d->stream), LAPIS_ERR_SHAPE,
             "[linalg::cross] The specified axis must have size 2 or 3.", "size 4");
    H_STATUS(lapis_linalg_cross(&o, C, D, -1, d->stream), LAPIS_ERR_SHAPE, "[linalg::cross]",
             "broadcast mismatch");
    H_STATUS(lapis_linalg_cross(&o, Bo, Bo, -1, d->stream), LAPIS_ERR_DTYPE, "[linalg::cross]",
             "bool");
    H_STATUS(lapis_linalg_cross(&o, NULL, A, -1, d->stream), LAPIS_ERR_INVALID_ARGUMENT,
             "[linalg::cross]", "a NULL");
    H_CHECK(o == H_SENTINEL, "cross output touched on error");
    h_count("cross arg errors", LAPIS_FLOAT64);
    lapis_array_free(A); lapis_array_free(B4); lapis_array_free(C); lapis_array_free(D);
    lapis_array_free(Bo);
}

int main(void) {
    h_init("test_norm");
    h_watchdog(300, "test_norm");
    for (int di = 0; di < h_ndev(); di++) {
        const h_dev *d = h_dev_at(di);
        for (int t = 0; t < 4; t++) {
            vector_norms(d, S_DTYPES[t]);
            matrix_norms(d, S_DTYPES[t]);
        }
        vector_norms(d, LAPIS_INT32);
        norm_special(d);
        cross_tests(d);
    }
    h_watchdog_off();
    return h_finish();
}
