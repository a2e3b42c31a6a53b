/*
 * Small real QR and SVD kernels (src/cpu/small_qr*.{c,h}) against the LAPACK
 * path of the same backend and by their properties: every order 1..32 and
 * rectangular mixes (4n x n, n x 4n, odd pairs), float32 and float64, batches
 * of 23 (not a multiple of the lane count) mixing random, rank-deficient,
 * zero-column, graded, geometric-condition, triangular, near-underflow and
 * near-overflow matrices, the zero matrix, and NaN/+Inf/-Inf at moving places.
 *
 * QR: info equal to LAPACK's, NaN outputs exactly for non-finite input, R
 * exactly 0 below the diagonal, R-only calls give the same bits,
 * ‖A − QR‖/(max(m,n)‖A‖eps) and ‖I − QᵀQ‖/(m eps) below 30, R's diagonal
 * signs as LAPACK's (Householder convention) and ‖R − R_LAPACK‖/(max(m,n)‖R‖eps)
 * below 30 on well-conditioned input, a matrix gives the same bits alone and in a batch.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cpu/small_qr.h"
#include "../src/cpu/spectral.h"
#include "harness.h"

#define BATCH 23
#define LIMIT 30.0

static const lapis_exec EX = {.stream = NULL, .nthreads = 2};

/* ---- matrix kinds ----------------------------------------------------------------------- */

/* SP_TINY_COL: one column scaled into the subnormal range */
typedef enum special { SP_NONE, SP_NAN, SP_PINF, SP_NINF, SP_ZERO, SP_TINY_COL } special;
typedef struct kind {
    const char *name;
    matgen_type type;
    double cond;
    special sp;
    bool well; /* well-conditioned and full rank: R compared with LAPACK's */
} kind;
static const kind KINDS[] = {
    {"random", MATGEN_RANDOM, 0, SP_NONE, true},
    {"rank_deficient", MATGEN_RANK_DEFICIENT, 0, SP_NONE, false},
    {"zero_col_first", MATGEN_ZERO_COL_FIRST, 0, SP_NONE, false},
    {"zero_col_mid", MATGEN_ZERO_COL_MID, 0, SP_NONE, false},
    {"zero_col_last", MATGEN_ZERO_COL_LAST, 0, SP_NONE, false},
    {"graded", MATGEN_GRADED, 0, SP_NONE, false},
    {"cond_geom", MATGEN_COND_GEOM, 1e3, SP_NONE, false},
    {"upper", MATGEN_UPPER, 0, SP_NONE, false},
    {"tiny_col", MATGEN_RANDOM, 0, SP_TINY_COL, true},
    {"underflow", MATGEN_UNDERFLOW, 0, SP_NONE, true},
    {"overflow", MATGEN_OVERFLOW, 0, SP_NONE, true},
    {"nan", MATGEN_RANDOM, 0, SP_NAN, false},
    {"zero", MATGEN_RANDOM, 0, SP_ZERO, false},
    {"pinf", MATGEN_RANDOM, 0, SP_PINF, false},
    {"ninf", MATGEN_RANDOM, 0, SP_NINF, false},
};
#define NKINDS (int)(sizeof KINDS / sizeof KINDS[0])

/* Matrix b of a batch: its kind rotates with the shape so that every kind
 * meets every lane position. */
static const kind *kind_of(int b, int rot) { return &KINDS[(b + rot) % NKINDS]; }

static void gen(double *a, int m, int n, const kind *kd, bool single, uint64_t seed) {
    matgen_fill(a, m, n, kd->type, kd->cond, single, seed);
    int mn = m * n, at = (int)(seed % (uint64_t)mn); /* non-finite values move around */
    if (kd->sp == SP_ZERO) memset(a, 0, sizeof(double) * (size_t)mn);
    if (kd->sp == SP_TINY_COL)
        for (int i = 0; i < m; i++) a[i * n + at % n] *= single ? 1e-40 : 1e-310;
    if (kd->sp == SP_NAN) a[at] = NAN;
    if (kd->sp == SP_PINF) a[at] = INFINITY;
    if (kd->sp == SP_NINF) a[(at * 7 + 3) % mn] = -INFINITY;
}

/* ---- conversions ---------------------------------------------------------------------- */

static void *to_dt(const double *x, int64_t cnt, lapis_dtype dt) {
    void *y = malloc((size_t)cnt * (dt == LAPIS_FLOAT32 ? 4 : 8) + 8);
    for (int64_t i = 0; i < cnt; i++) {
        if (dt == LAPIS_FLOAT32) ((float *)y)[i] = (float)x[i];
        else ((double *)y)[i] = x[i];
    }
    return y;
}
static double get(const void *y, int64_t i, lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 ? (double)((const float *)y)[i] : ((const double *)y)[i];
}
static bool same_bits(const void *x, const void *y, int64_t cnt, lapis_dtype dt) {
    return memcmp(x, y, (size_t)cnt * (dt == LAPIS_FLOAT32 ? 4 : 8)) == 0;
}

/* ---- norms and ratios in long double (no overflow or underflow on scaled data) ----- */

typedef long double ld;

static ld norm1(const ld *a, int m, int n) { /* max column sum of m x n */
    ld mx = 0;
    for (int j = 0; j < n; j++) {
        ld s = 0;
        for (int i = 0; i < m; i++) s += fabsl(a[i * n + j]);
        if (s > mx) mx = s;
    }
    return mx;
}

/* x (cnt) of matrix b of a dtype buffer into long doubles */
static void read_ld(ld *x, const void *buf, int64_t off, int64_t cnt, lapis_dtype dt) {
    for (int64_t i = 0; i < cnt; i++) x[i] = get(buf, off + i, dt);
}

/* ‖A − B C‖₁ / (scale ‖A‖₁ eps), A m x n, B m x k, C k x n; 0/0 = 0. */
static double ratio_prod(const ld *a, const ld *b, const ld *c, int m, int n, int k, double scale,
                         double eps) {
    ld *r = malloc(sizeof(ld) * (size_t)(m * n));
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            ld s = a[i * n + j];
            for (int p = 0; p < k; p++) s -= b[i * k + p] * c[p * n + j];
            r[i * n + j] = s;
        }
    ld na = norm1(a, m, n), nr = norm1(r, m, n);
    free(r);
    if (na == 0) return nr == 0 ? 0 : INFINITY;
    return (double)(nr / (na * scale * eps));
}

/* ‖I − QᵀQ‖₁ / (m eps), Q m x k (columns orthonormal) */
static double ratio_orth_cols(const ld *q, int m, int k, double eps) {
    ld *r = malloc(sizeof(ld) * (size_t)(k * k));
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            ld s = i == j;
            for (int p = 0; p < m; p++) s -= q[p * k + i] * q[p * k + j];
            r[i * k + j] = s;
        }
    ld nr = norm1(r, k, k);
    free(r);
    return (double)(nr / (m * eps));
}

/* ---- QR --------------------------------------------------------------------------------- */

typedef struct qr_run {
    void *q, *r, *r_only;
    int32_t info[BATCH], info_r[BATCH];
} qr_run;

/* small: 1 = the small kernels, 0 = LAPACK */
static void qr_call(qr_run *o, const void *a, lapis_dtype dt, int m, int n, int64_t batch,
                    int small) {
    int k = m < n ? m : n;
    size_t es = dt == LAPIS_FLOAT32 ? 4 : 8;
    o->q = malloc(es * (size_t)(batch * m * k) + 8);
    o->r = malloc(es * (size_t)(batch * k * n) + 8);
    o->r_only = malloc(es * (size_t)(batch * k * n) + 8);
    memset(o->q, 0x7f, es * (size_t)(batch * m * k));
    memset(o->r, 0x7f, es * (size_t)(batch * k * n));
    memset(o->r_only, 0x3f, es * (size_t)(batch * k * n));
    lapis_small_qr_override(small ? LAPIS_SMALL_QR_NMAX : 0);
    H_CHECK(lapis_small_qr_fits(LAPIS_SMALL_QR, dt, m, n) == (small != 0), "small qr fits %dx%d", m, n);
    lapis_qr_args p = {.dtype = dt, .m = m, .n = n, .batch = batch, .a = a, .q = o->q, .r = o->r,
                       .info = o->info};
    H_OK(lapis_cpu_qr(&p, &EX));
    p.q = NULL;
    p.r = o->r_only;
    p.info = o->info_r;
    H_OK(lapis_cpu_qr(&p, &EX));
    lapis_small_qr_override(-1);
}

static void qr_free(qr_run *o) {
    free(o->q);
    free(o->r);
    free(o->r_only);
}

static void qr_case(lapis_dtype dt, int m, int n, int rot) {
    int k = m < n ? m : n, mx = m > n ? m : n;
    int64_t mn = (int64_t)m * n, mk = (int64_t)m * k, kn = (int64_t)k * n;
    bool single = dt == LAPIS_FLOAT32;
    double eps = h_eps(dt);
    double *a = malloc(sizeof(double) * (size_t)(mn * BATCH));
    for (int b = 0; b < BATCH; b++)
        gen(a + b * mn, m, n, kind_of(b, rot), single, 7919u * (uint64_t)(m * 64 + n) + (uint64_t)b);
    void *ad = to_dt(a, mn * BATCH, dt);
    qr_run s, l;
    qr_call(&s, ad, dt, m, n, BATCH, 1);
    qr_call(&l, ad, dt, m, n, BATCH, 0);
    ld *A = malloc(sizeof(ld) * (size_t)mn), *Q = malloc(sizeof(ld) * (size_t)mk),
       *Rm = malloc(sizeof(ld) * (size_t)kn), *Rl = malloc(sizeof(ld) * (size_t)kn);
    for (int b = 0; b < BATCH; b++) {
        const kind *kd = kind_of(b, rot);
        char what[160];
        snprintf(what, sizeof what, "%s %dx%d matrix %d %s", h_dtname(dt), m, n, b, kd->name);
        bool nonfin = kd->sp == SP_NAN || kd->sp == SP_PINF || kd->sp == SP_NINF;
        int32_t want = nonfin ? LAPIS_INFO_NON_FINITE : 0;
        H_CHECK(s.info[b] == want && s.info_r[b] == want && l.info[b] == want,
                "qr info %d / %d (small, R only) vs %d LAPACK, want %d (%s)", s.info[b],
                s.info_r[b], l.info[b], want, what);
        read_ld(A, ad, b * mn, mn, dt);
        read_ld(Q, s.q, b * mk, mk, dt);
        read_ld(Rm, s.r, b * kn, kn, dt);
        read_ld(Rl, l.r, b * kn, kn, dt);
        H_CHECK(same_bits((char *)s.r + b * kn * (single ? 4 : 8),
                          (char *)s.r_only + b * kn * (single ? 4 : 8), kn, dt),
                "qr R-only differs from R with Q (%s)", what);
        int nan_q = 0, nan_r = 0;
        for (int64_t e = 0; e < mk; e++) nan_q += isnan(Q[e]) != 0;
        for (int64_t e = 0; e < kn; e++) nan_r += isnan(Rm[e]) != 0;
        if (nonfin) {
            H_CHECK(nan_q == mk && nan_r == kn, "qr non-finite input: outputs not all NaN (%s)", what);
            h_count("qr non-finite", dt);
            continue;
        }
        if (!H_CHECK(nan_q == 0 && nan_r == 0, "qr NaN in a successful output (%s)", what)) continue;
        bool tri = true;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < i; j++) tri &= Rm[i * n + j] == 0 && !signbit((double)Rm[i * n + j]);
        H_CHECK(tri, "qr R not exactly +0 below the diagonal (%s)", what);
        h_ratio("qr ||A-QR||", dt, ratio_prod(A, Q, Rm, m, n, k, mx, eps), LIMIT, what);
        h_ratio("qr ||I-QtQ||", dt, ratio_orth_cols(Q, m, k, eps), LIMIT, what);
        if (kd->well) {
            /* the same Householder convention: R's diagonal signs as LAPACK's,
             * and R within a modest multiple of cond * eps of LAPACK's */
            bool signs = true;
            ld d = 0, nr = norm1(Rl, k, n);
            for (int i = 0; i < k; i++) signs &= signbit((double)Rm[i * n + i]) == signbit((double)Rl[i * n + i]);
            for (int e = 0; e < kn; e++) Rl[e] -= Rm[e];
            d = norm1(Rl, k, n);
            H_CHECK(signs, "qr R diagonal signs differ from LAPACK (%s)", what);
            h_ratio("qr R vs LAPACK", dt, nr == 0 ? 0 : (double)(d / (nr * mx * eps)), LIMIT, what);
        }
    }
    /* alone vs in a batch: the first and the last matrix (a tail lane) */
    static const int picks[2] = {0, BATCH - 1};
    for (int t = 0; t < 2; t++) {
        int b = picks[t];
        size_t es = single ? 4 : 8;
        qr_run one;
        qr_call(&one, (const char *)ad + (size_t)(b * mn) * es, dt, m, n, 1, 1);
        H_CHECK(same_bits(one.q, (char *)s.q + (size_t)(b * mk) * es, mk, dt) &&
                    same_bits(one.r, (char *)s.r + (size_t)(b * kn) * es, kn, dt),
                "qr %s %dx%d matrix %d: other bits alone than in a batch", h_dtname(dt), m, n, b);
        qr_free(&one);
    }
    free(A);
    free(Q);
    free(Rm);
    free(Rl);
    qr_free(&s);
    qr_free(&l);
    free(ad);
    free(a);
}

/* The public entry point reaches the small kernels: the same bits. */
static void qr_public(lapis_dtype dt) {
    enum { M = 5, N = 3, B = 6 };
    double a[B * M * N];
    for (int i = 0; i < B * M * N; i++) a[i] = matgen_normal(42, (uint64_t)i);
    h_round(a, B * M * N, dt);
    int64_t shape[3] = {B, M, N};
    lapis_array A = h_array(a, shape, 3, dt), Q = NULL, R = NULL;
    double q[B * M * N], r[B * N * N];
    if (A && H_OK(lapis_linalg_qr(&Q, &R, A, h_dev_at(0)->stream)) && H_OK(h_read(Q, q)) &&
        H_OK(h_read(R, r))) {
        void *ad = to_dt(a, B * M * N, dt);
        qr_run s;
        qr_call(&s, ad, dt, M, N, B, 1);
        bool same = true;
        for (int i = 0; i < B * M * N; i++) same &= q[i] == get(s.q, i, dt);
        for (int i = 0; i < B * N * N; i++) same &= r[i] == get(s.r, i, dt);
        H_CHECK(same, "qr public %s: not the small kernel's bits", h_dtname(dt));
        qr_free(&s);
        free(ad);
    }
    lapis_array_free(A);
    lapis_array_free(Q);
    lapis_array_free(R);
}

/* ---- SVD -------------------------------------------------------------------------------- */

typedef struct svd_run {
    void *u, *s, *vt, *s_only;
    int32_t info[BATCH], info_s[BATCH];
} svd_run;

/* small: 1 = the small kernels, 0 = LAPACK; values-only run too */
static void svd_call(svd_run *o, const void *a, lapis_dtype dt, int m, int n, int64_t batch,
                     bool full, int small) {
    int k = m < n ? m : n, uc = full ? m : k, vr = full ? n : k;
    size_t es = dt == LAPIS_FLOAT32 ? 4 : 8;
    o->u = malloc(es * (size_t)(batch * m * uc) + 8);
    o->vt = malloc(es * (size_t)(batch * vr * n) + 8);
    o->s = malloc(es * (size_t)(batch * k) + 8);
    o->s_only = malloc(es * (size_t)(batch * k) + 8);
    memset(o->u, 0x7f, es * (size_t)(batch * m * uc));
    memset(o->vt, 0x7f, es * (size_t)(batch * vr * n));
    memset(o->s, 0x7f, es * (size_t)(batch * k));
    memset(o->s_only, 0x3f, es * (size_t)(batch * k));
    lapis_small_qr_override(small ? LAPIS_SMALL_QR_NMAX : 0);
    H_CHECK(lapis_small_qr_fits(LAPIS_SMALL_SVD, dt, m, n) == (small != 0), "small svd fits %dx%d", m, n);
    lapis_svd_args p = {.dtype = dt, .m = m, .n = n, .batch = batch, .a = a, .u = o->u, .s = o->s,
                        .vt = o->vt, .full = full, .info = o->info};
    H_OK(lapis_cpu_svd(&p, &EX));
    p.u = p.vt = NULL;
    p.s = o->s_only;
    p.info = o->info_s;
    H_OK(lapis_cpu_svd(&p, &EX));
    lapis_small_qr_override(-1);
}

static void svd_free(svd_run *o) {
    free(o->u);
    free(o->vt);
    free(o->s);
    free(o->s_only);
}

static void svd_case(lapis_dtype dt, int m, int n, bool full, int rot) {
    int k = m < n ? m : n, mx = m > n ? m : n, uc = full ? m : k, vr = full ? n : k;
    int64_t mn = (int64_t)m * n, mu = (int64_t)m * uc, vn = (int64_t)vr * n;
    bool single = dt == LAPIS_FLOAT32;
    size_t es = single ? 4 : 8;
    double eps = h_eps(dt);
    double *a = malloc(sizeof(double) * (size_t)(mn * BATCH));
    for (int b = 0; b < BATCH; b++)
        gen(a + b * mn, m, n, kind_of(b, rot), single, 104729u * (uint64_t)(m * 64 + n) + (uint64_t)b);
    void *ad = to_dt(a, mn * BATCH, dt);
    svd_run s, l;
    svd_call(&s, ad, dt, m, n, BATCH, full, 1);
    svd_call(&l, ad, dt, m, n, BATCH, full, 0);
    ld *A = malloc(sizeof(ld) * (size_t)mn), *U = malloc(sizeof(ld) * (size_t)mu),
       *Vt = malloc(sizeof(ld) * (size_t)vn), *US = malloc(sizeof(ld) * (size_t)(m * k)),
       *Vtt = malloc(sizeof(ld) * (size_t)vn), S[32], Sl[32];
    for (int b = 0; b < BATCH; b++) {
        const kind *kd = kind_of(b, rot);
        char what[160];
        snprintf(what, sizeof what, "%s %dx%d %s matrix %d %s", h_dtname(dt), m, n,
                 full ? "full" : "reduced", b, kd->name);
        bool nonfin = kd->sp == SP_NAN || kd->sp == SP_PINF || kd->sp == SP_NINF;
        int32_t want = nonfin ? LAPIS_INFO_NON_FINITE : 0;
        H_CHECK(s.info[b] == want && s.info_s[b] == want && l.info[b] == want,
                "svd info %d / %d (small, values only) vs %d LAPACK, want %d (%s)", s.info[b],
                s.info_s[b], l.info[b], want, what);
        read_ld(A, ad, b * mn, mn, dt);
        read_ld(U, s.u, b * mu, mu, dt);
        read_ld(Vt, s.vt, b * vn, vn, dt);
        read_ld(S, s.s, b * k, k, dt);
        read_ld(Sl, l.s, b * k, k, dt);
        H_CHECK(same_bits((char *)s.s + (size_t)(b * k) * es, (char *)s.s_only + (size_t)(b * k) * es,
                          k, dt),
                "svd values-only S differs from S with vectors (%s)", what);
        int nan_u = 0, nan_v = 0, nan_s = 0;
        for (int64_t e = 0; e < mu; e++) nan_u += isnan(U[e]) != 0;
        for (int64_t e = 0; e < vn; e++) nan_v += isnan(Vt[e]) != 0;
        for (int e = 0; e < k; e++) nan_s += isnan(S[e]) != 0;
        if (nonfin) {
            H_CHECK(nan_u == mu && nan_v == vn && nan_s == k,
                    "svd non-finite input: outputs not all NaN (%s)", what);
            h_count("svd non-finite", dt);
            continue;
        }
        if (!H_CHECK(nan_u + nan_v + nan_s == 0, "svd NaN in a successful output (%s)", what)) continue;
        bool desc = S[k - 1] >= 0;
        for (int e = 0; e + 1 < k; e++) desc &= S[e] >= S[e + 1];
        H_CHECK(desc, "svd S not descending and >= 0 (%s)", what);
        ld dmax = 0;
        for (int e = 0; e < k; e++) dmax = fmaxl(dmax, fabsl(S[e] - Sl[e]));
        h_ratio("svd S vs LAPACK", dt, Sl[0] == 0 ? (dmax == 0 ? 0 : INFINITY)
                                                  : (double)(dmax / (Sl[0] * k * eps)),
                2 * LIMIT, what);
        /* A - U[:, :k] S Vt[:k, :] */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < k; j++) US[i * k + j] = U[i * uc + j] * S[j];
        h_ratio("svd ||A-USVt||", dt, ratio_prod(A, US, Vt, m, n, k, mx, eps), 2 * LIMIT, what);
        h_ratio("svd ||I-UtU||", dt, ratio_orth_cols(U, m, uc, eps), 2 * LIMIT, what);
        for (int i = 0; i < vr; i++) /* rows of Vt orthonormal: columns of Vtᵀ */
            for (int j = 0; j < n; j++) Vtt[j * vr + i] = Vt[i * n + j];
        h_ratio("svd ||I-VtVtt||", dt, ratio_orth_cols(Vtt, n, vr, eps) * n / (double)mx,
                2 * LIMIT, what);
    }
    /* alone vs in a batch: the first and the last matrix (a tail lane) */
    static const int picks[2] = {0, BATCH - 1};
    for (int t = 0; t < 2; t++) {
        int b = picks[t];
        svd_run one;
        svd_call(&one, (const char *)ad + (size_t)(b * mn) * es, dt, m, n, 1, full, 1);
        H_CHECK(same_bits(one.u, (char *)s.u + (size_t)(b * mu) * es, mu, dt) &&
                    same_bits(one.vt, (char *)s.vt + (size_t)(b * vn) * es, vn, dt) &&
                    same_bits(one.s, (char *)s.s + (size_t)(b * k) * es, k, dt),
                "svd %s %dx%d matrix %d: other bits alone than in a batch", h_dtname(dt), m, n, b);
        svd_free(&one);
    }
    free(A);
    free(U);
    free(Vt);
    free(US);
    free(Vtt);
    svd_free(&s);
    svd_free(&l);
    free(ad);
    free(a);
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    (void)argc;
    h_init(argv[0]);
    h_watchdog(800, "test_small_qr_svd");
    static const lapis_dtype dts[2] = {LAPIS_FLOAT32, LAPIS_FLOAT64};
    static const int odd[][2] = {{32, 1}, {1, 32}, {2, 32}, {32, 2}, {7, 13}, {13, 7},
                                 {31, 17}, {17, 31}, {32, 31}, {31, 32}, {3, 29}, {29, 3}};
    /* every ISA's kernels this CPU runs: AVX-512, AVX2, the baseline */
    for (int isa = 2; isa >= 0; isa--) {
        if (!lapis_small_qr_isa(isa)) continue;
        printf("kernels of ISA %d (0 baseline, 1 AVX2, 2 AVX-512)\n", isa);
        for (int d = 0; d < 2; d++) {
            int rot = 0;
            for (int n = 1; n <= LAPIS_SMALL_QR_NMAX; n++) qr_case(dts[d], n, n, rot++);
            for (int n = 1; 4 * n <= LAPIS_SMALL_QR_NMAX; n++) {
                qr_case(dts[d], 4 * n, n, rot++);
                qr_case(dts[d], n, 4 * n, rot++);
            }
            for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
                qr_case(dts[d], odd[i][0], odd[i][1], rot++);
            qr_public(dts[d]);
            for (int n = 1; n <= LAPIS_SMALL_QR_NMAX; n++) svd_case(dts[d], n, n, n % 2, rot++);
            for (int n = 1; 4 * n <= LAPIS_SMALL_QR_NMAX; n++)
                for (int full = 0; full < 2; full++) {
                    svd_case(dts[d], 4 * n, n, full, rot++);
                    svd_case(dts[d], n, 4 * n, full, rot++);
                }
            for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
                svd_case(dts[d], odd[i][0], odd[i][1], i % 2, rot++);
        }
    }
    /* float64 SVD limits per ISA: 32 with 8 lanes, 24 with 4 */
    if (lapis_small_qr_isa(2))
        H_CHECK(lapis_small_qr_fits(LAPIS_SMALL_SVD, LAPIS_FLOAT64, 32, 32),
                "AVX-512 f64 svd takes 32 x 32");
    if (lapis_small_qr_isa(1))
        H_CHECK(lapis_small_qr_fits(LAPIS_SMALL_SVD, LAPIS_FLOAT64, 24, 24) &&
                    !lapis_small_qr_fits(LAPIS_SMALL_SVD, LAPIS_FLOAT64, 25, 25),
                "AVX2 f64 svd takes 24 x 24, not 25 x 25");
    lapis_small_qr_isa(-1);
    h_watchdog_off();
    return h_finish();
}
