/*
 * Test-matrix generators (see matgen.h). Everything is computed in double,
 * row-major, from a counter-based normal stream, so a (type, size, seed)
 * triple always gives the same matrix on every machine with a correctly
 * rounded-enough libm.
 *
 * Matrices with prescribed singular values are built as U diag(s) V^T where
 * U and V are products of Householder reflectors whose vectors come from
 * matgen_normal (as LAPACK's xLAROR / xLATMS do).
 */
#include "matgen.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- random */

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t mix2(uint64_t seed, uint64_t i) {
    return splitmix64(splitmix64(seed) ^ (i * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull));
}

/* uniform in (0, 1] */
static double unit_open0(uint64_t h) { return (double)((h >> 11) + 1) * 0x1.0p-53; }

double matgen_normal(uint64_t seed, uint64_t i) {
    double u1 = unit_open0(mix2(seed, 2 * i));
    double u2 = unit_open0(mix2(seed, 2 * i + 1));
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925286766559 * u2);
}

/* A sub-stream seed for a named part of one matrix. */
static uint64_t subseed(uint64_t seed, uint64_t tag) { return mix2(seed ^ 0x5851F42D4C957F2Dull, tag); }

/* ------------------------------------------------------------ reflectors */

/* a (m x n) := H_{m-1} ... H_0 a, with H_r = I - 2 v v^T / v^T v, v ~ N(0, I_m). */
static int reflect_left(double *a, int64_t m, int64_t n, uint64_t seed) {
    if (m < 2 || n < 1) {
        /* 1x1 orthogonal matrices are +-1: pick the sign from the stream */
        if (m == 1 && matgen_normal(seed, 0) < 0)
            for (int64_t j = 0; j < n; j++) a[j] = -a[j];
        return 0;
    }
    double *v = malloc((size_t)m * sizeof *v);
    if (!v) return -1;
    for (int64_t r = 0; r < m; r++) {
        double vv = 0;
        for (int64_t i = 0; i < m; i++) {
            v[i] = matgen_normal(seed, (uint64_t)(r * m + i));
            vv += v[i] * v[i];
        }
        if (vv == 0) continue;
        double beta = 2.0 / vv;
        for (int64_t j = 0; j < n; j++) {
            double w = 0;
            for (int64_t i = 0; i < m; i++) w += v[i] * a[i * n + j];
            w *= beta;
            if (w != 0)
                for (int64_t i = 0; i < m; i++) a[i * n + j] -= w * v[i];
        }
    }
    free(v);
    return 0;
}

/* a (m x n) := a H_0 ... H_{n-1}, v ~ N(0, I_n). */
static int reflect_right(double *a, int64_t m, int64_t n, uint64_t seed) {
    if (n < 2 || m < 1) {
        if (n == 1 && matgen_normal(seed, 0) < 0)
            for (int64_t i = 0; i < m; i++) a[i] = -a[i];
        return 0;
    }
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return -1;
    for (int64_t r = 0; r < n; r++) {
        double vv = 0;
        for (int64_t j = 0; j < n; j++) {
            v[j] = matgen_normal(seed, (uint64_t)(r * n + j));
            vv += v[j] * v[j];
        }
        if (vv == 0) continue;
        double beta = 2.0 / vv;
        for (int64_t i = 0; i < m; i++) {
            double *row = a + i * n;
            double w = 0;
            for (int64_t j = 0; j < n; j++) w += row[j] * v[j];
            w *= beta;
            if (w != 0)
                for (int64_t j = 0; j < n; j++) row[j] -= w * v[j];
        }
    }
    free(v);
    return 0;
}

/* a (m x n) := U diag(s) V^T, s of length min(m, n). */
static int with_singular_values(double *a, int64_t m, int64_t n, const double *s, uint64_t seed) {
    int64_t k = m < n ? m : n;
    memset(a, 0, (size_t)(m * n) * sizeof *a);
    for (int64_t i = 0; i < k; i++) a[i * n + i] = s[i];
    if (reflect_left(a, m, n, subseed(seed, 1))) return -1;
    if (reflect_right(a, m, n, subseed(seed, 2))) return -1;
    return 0;
}

/* Exact symmetry: a := (a + a^T) / 2 (n x n). */
static void symmetrize(double *a, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < i; j++) {
            double x = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = a[j * n + i] = x;
        }
}

/* a (n x n) := Q diag(d) Q^T, symmetric. */
static int symmetric_with_eigenvalues(double *a, int64_t n, const double *d, uint64_t seed) {
    memset(a, 0, (size_t)(n * n) * sizeof *a);
    for (int64_t i = 0; i < n; i++) a[i * n + i] = d[i];
    uint64_t q = subseed(seed, 3);
    if (reflect_left(a, n, n, q)) return -1;
    /* Q d Q^T: the right factor is the transpose of the same product */
    {
        /* a := a Q^T  <=>  a^T := Q a^T; apply via reflect on the transpose */
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < i; j++) {
                double t = a[i * n + j];
                a[i * n + j] = a[j * n + i];
                a[j * n + i] = t;
            }
        if (reflect_left(a, n, n, q)) return -1;
    }
    symmetrize(a, n);
    return 0;
}

static void singular_values(double *s, int64_t k, matgen_type type, double cond) {
    for (int64_t i = 0; i < k; i++) {
        double t = k > 1 ? (double)i / (double)(k - 1) : 0.0;
        switch (type) {
        case MATGEN_COND_ARITH: s[i] = 1.0 - t * (1.0 - 1.0 / cond); break;
        case MATGEN_COND_CLUSTER: s[i] = (k > 1 && i == k - 1) ? 1.0 / cond : 1.0; break;
        case MATGEN_COND_ONE_SMALL: s[i] = (k > 1 && i == k / 2) ? 1.0 / cond : 1.0; break;
        case MATGEN_SPD:
        case MATGEN_COND_GEOM:
        default: s[i] = pow(cond, -t); break;
        }
    }
}

static void fill_normal(double *a, int64_t count, uint64_t seed) {
    for (int64_t i = 0; i < count; i++) a[i] = matgen_normal(seed, (uint64_t)i);
}

/* Unit-ish triangular with diagonal in +-[1, 2] and small off-diagonal
 * entries N(0, 1)/n: condition O(1) for every n. lower: 1 = lower. */
static void fill_triangular(double *a, int64_t m, int64_t n, int lower, uint64_t seed) {
    int64_t big = m > n ? m : n;
    uint64_t s = subseed(seed, 4);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double z = matgen_normal(s, (uint64_t)(i * n + j));
            if (i == j)
                a[i * n + j] = (z < 0 ? -1.0 : 1.0) * (1.0 + fmin(fabs(z), 1.0));
            else if ((i > j) == (lower != 0))
                a[i * n + j] = z / (double)big;
            else
                a[i * n + j] = 0.0;
        }
}

/* ------------------------------------------------------------------ fill */

int matgen_fill(double *a, int64_t m, int64_t n, matgen_type type, double cond, bool single,
                uint64_t seed) {
    if (m < 0 || n < 0 || (int)type < 0 || type >= MATGEN_NTYPES) return -1;
    if (m == 0 || n == 0) return 0;
    if (!a) return -1;
    if (m > INT64_MAX / n || m * n > (int64_t)(SIZE_MAX / sizeof(double))) return -1;
    if (!(cond > 0) || isinf(cond)) cond = 1e3;
    if (cond < 1) cond = 1.0 / cond;

    const int64_t mn = m * n;
    const int64_t k = m < n ? m : n;
    const int64_t big = m > n ? m : n;
    int rc = 0;
    memset(a, 0, (size_t)mn * sizeof *a);

    switch (type) {
    case MATGEN_RANDOM:
        fill_normal(a, mn, subseed(seed, 10));
        break;

    case MATGEN_COND_GEOM:
    case MATGEN_COND_ARITH:
    case MATGEN_COND_CLUSTER:
    case MATGEN_COND_ONE_SMALL:
    case MATGEN_RANK_DEFICIENT: {
        double *s = malloc((size_t)k * sizeof *s);
        if (!s) return -1;
        if (type == MATGEN_RANK_DEFICIENT) {
            for (int64_t i = 0; i < k; i++) s[i] = i < k / 2 ? 1.0 : 0.0;
        } else {
            singular_values(s, k, type, cond);
        }
        rc = with_singular_values(a, m, n, s, seed);
        free(s);
        break;
    }

    case MATGEN_SPD: {
        double *d = malloc((size_t)k * sizeof *d);
        if (!d) return -1;
        singular_values(d, k, MATGEN_SPD, cond);
        /* spread the small eigenvalues over the spectrum order: no structure */
        double *t = malloc((size_t)(k * k) * sizeof *t);
        if (!t) { free(d); return -1; }
        rc = symmetric_with_eigenvalues(t, k, d, seed);
        for (int64_t i = 0; i < k; i++) memcpy(a + i * n, t + i * k, (size_t)k * sizeof *a);
        free(t);
        free(d);
        break;
    }

    case MATGEN_UNDERFLOW:
    case MATGEN_OVERFLOW: {
        /* a well-conditioned random matrix (cond 10), then scaled */
        double *s = malloc((size_t)k * sizeof *s);
        if (!s) return -1;
        singular_values(s, k, MATGEN_COND_GEOM, 10.0);
        rc = with_singular_values(a, m, n, s, seed);
        free(s);
        double scale = type == MATGEN_UNDERFLOW
                           ? (single ? (double)FLT_MIN : DBL_MIN) * 1e3
                           : (single ? (double)FLT_MAX : DBL_MAX) / (1e3 * (double)big);
        /* entries of an orthogonal-ish matrix are ~ 1/sqrt(n): bring the
         * largest to ~ 1 first so the scale is the magnitude of the entries */
        double amax = 0;
        for (int64_t i = 0; i < mn; i++) amax = fmax(amax, fabs(a[i]));
        if (amax > 0)
            for (int64_t i = 0; i < mn; i++) a[i] = (a[i] / amax) * scale;
        break;
    }

    case MATGEN_GRADED: {
        /* D S D with S SPD (cond 10) when square, D_m G D_n (G random) when
         * not; D spans 1e-30..1e30 (float: 1e-8..1e8) geometrically. */
        double e = single ? 8.0 : 30.0;
        if (m == n) {
            double *d = malloc((size_t)n * sizeof *d);
            if (!d) return -1;
            singular_values(d, n, MATGEN_SPD, 10.0);
            rc = symmetric_with_eigenvalues(a, n, d, seed);
            free(d);
        } else {
            fill_normal(a, mn, subseed(seed, 11));
        }
        for (int64_t i = 0; i < m; i++) {
            double di = m > 1 ? pow(10.0, -e + 2.0 * e * (double)i / (double)(m - 1)) : 1.0;
            for (int64_t j = 0; j < n; j++) {
                double dj = n > 1 ? pow(10.0, -e + 2.0 * e * (double)j / (double)(n - 1)) : 1.0;
                a[i * n + j] = (a[i * n + j] * di) * dj;
            }
        }
        if (m == n) symmetrize(a, n);
        break;
    }

    case MATGEN_ZERO_ROW_FIRST:
    case MATGEN_ZERO_ROW_MID:
    case MATGEN_ZERO_ROW_LAST: {
        fill_normal(a, mn, subseed(seed, 12));
        int64_t r = type == MATGEN_ZERO_ROW_FIRST ? 0 : type == MATGEN_ZERO_ROW_MID ? m / 2 : m - 1;
        for (int64_t j = 0; j < n; j++) a[r * n + j] = 0.0;
        break;
    }
    case MATGEN_ZERO_COL_FIRST:
    case MATGEN_ZERO_COL_MID:
    case MATGEN_ZERO_COL_LAST: {
        fill_normal(a, mn, subseed(seed, 13));
        int64_t c = type == MATGEN_ZERO_COL_FIRST ? 0 : type == MATGEN_ZERO_COL_MID ? n / 2 : n - 1;
        for (int64_t i = 0; i < m; i++) a[i * n + c] = 0.0;
        break;
    }

    case MATGEN_HILBERT:
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++) a[i * n + j] = 1.0 / (double)(i + j + 1);
        break;

    case MATGEN_PASCAL:
        /* P_ij = binomial(i + j, i), exact while it fits in 53 bits */
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++)
                a[i * n + j] = (i == 0 || j == 0) ? 1.0 : a[(i - 1) * n + j] + a[i * n + j - 1];
        break;

    case MATGEN_KAHAN: {
        /* gallery('kahan', k, theta, 25): diag(s^i) (I - c triu(ones, 1)) + 25 eps diag(k..1),
         * theta = 1.2 unless the inverse, which grows like ((1 + c) / s)^k, would
         * not be representable (e^60 for float32, e^600 for float64): then the
         * smallest theta that keeps it so */
        double theta = 1.2, lim = single ? 60.0 : 600.0;
        if ((double)k * (log1p(cos(theta)) - log(sin(theta))) > lim) {
            double lo = 1.2, hi = 1.5707963267948966;
            for (int it = 0; it < 60; it++) {
                double mid = (lo + hi) / 2;
                if ((double)k * (log1p(cos(mid)) - log(sin(mid))) > lim) lo = mid;
                else hi = mid;
            }
            theta = hi;
        }
        const double sn = sin(theta), cs = cos(theta);
        double si = 1.0;
        for (int64_t i = 0; i < k; i++) {
            for (int64_t j = i; j < k; j++) a[i * n + j] = (i == j ? 1.0 : -cs) * si;
            a[i * n + i] += 25.0 * DBL_EPSILON * (double)(k - i);
            si *= sn;
        }
        break;
    }

    case MATGEN_WILKINSON: {
        /* W_k^+: diag |(k-1)/2 - i|, ones on the off-diagonals (W21+ for k=21) */
        double mid = (double)(k - 1) / 2.0;
        for (int64_t i = 0; i < k; i++) {
            a[i * n + i] = fabs(mid - (double)i);
            if (i + 1 < k) a[i * n + i + 1] = a[(i + 1) * n + i] = 1.0;
        }
        break;
    }

    case MATGEN_LOWER: fill_triangular(a, m, n, 1, seed); break;
    case MATGEN_UPPER: fill_triangular(a, m, n, 0, seed); break;

    case MATGEN_NOT_SPD: {
        /* L D L^T with L unit lower (off-diagonal N(0,1)/k) and D in [1, 2]
         * except D_p = -1 at p = k/2: leading minors of order <= p are
         * positive, that of order p+1 is negative, so Cholesky fails with
         * info = k/2 + 1 (1-based). */
        double *l = malloc((size_t)(k * k) * sizeof *l);
        double *d = malloc((size_t)k * sizeof *d);
        if (!l || !d) { free(l); free(d); return -1; }
        fill_triangular(l, k, k, 1, seed);
        uint64_t ds = subseed(seed, 14);
        for (int64_t i = 0; i < k; i++) {
            l[i * k + i] = 1.0;
            d[i] = 1.0 + fmin(fabs(matgen_normal(ds, (uint64_t)i)), 1.0);
        }
        d[k / 2] = -1.0;
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j <= i; j++) {
                double sum = 0;
                for (int64_t p = 0; p <= j; p++) sum += l[i * k + p] * d[p] * l[j * k + p];
                a[i * n + j] = a[j * n + i] = sum;
            }
        free(l);
        free(d);
        break;
    }

    default:
        return -1;
    }
    return rc;
}

void matgen_inject(double *a, int64_t n, matgen_where where, double value) {
    if (!a || n <= 0) return;
    switch (where) {
    case MATGEN_AT_00: a[0] = value; break;
    case MATGEN_AT_LAST_DIAG: a[(n - 1) * n + (n - 1)] = value; break;
    case MATGEN_AT_OFFDIAG_LOWER: a[(n - 1) * n + 0] = value; break; /* (n-1, 0); (0,0) when n=1 */
    case MATGEN_AT_OFFDIAG_UPPER: a[0 * n + (n - 1)] = value; break; /* (0, n-1); (0,0) when n=1 */
    default: break;
    }
}

static const char *const k_names[MATGEN_NTYPES] = {
    [MATGEN_RANDOM] = "random",
    [MATGEN_SPD] = "spd",
    [MATGEN_COND_GEOM] = "cond_geom",
    [MATGEN_COND_ARITH] = "cond_arith",
    [MATGEN_COND_CLUSTER] = "cond_cluster",
    [MATGEN_COND_ONE_SMALL] = "cond_one_small",
    [MATGEN_UNDERFLOW] = "underflow",
    [MATGEN_OVERFLOW] = "overflow",
    [MATGEN_GRADED] = "graded",
    [MATGEN_ZERO_ROW_FIRST] = "zero_row_first",
    [MATGEN_ZERO_ROW_MID] = "zero_row_mid",
    [MATGEN_ZERO_ROW_LAST] = "zero_row_last",
    [MATGEN_ZERO_COL_FIRST] = "zero_col_first",
    [MATGEN_ZERO_COL_MID] = "zero_col_mid",
    [MATGEN_ZERO_COL_LAST] = "zero_col_last",
    [MATGEN_RANK_DEFICIENT] = "rank_deficient",
    [MATGEN_HILBERT] = "hilbert",
    [MATGEN_PASCAL] = "pascal",
    [MATGEN_KAHAN] = "kahan",
    [MATGEN_WILKINSON] = "wilkinson",
    [MATGEN_LOWER] = "lower",
    [MATGEN_UPPER] = "upper",
    [MATGEN_NOT_SPD] = "not_spd",
};

const char *matgen_name(matgen_type type) {
    if ((int)type < 0 || type >= MATGEN_NTYPES) return "unknown";
    return k_names[type];
}

int matgen_parse(const char *name) {
    if (!name) return -1;
    char buf[32];
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof buf) return -1;
    for (size_t i = 0; i <= len; i++) {
        char c = (char)tolower((unsigned char)name[i]);
        buf[i] = c == '-' ? '_' : c;
    }
    for (int t = 0; t < MATGEN_NTYPES; t++)
        if (strcmp(buf, k_names[t]) == 0) return t;
    /* a few aliases */
    if (strcmp(buf, "normal") == 0) return MATGEN_RANDOM;
    if (strcmp(buf, "cond") == 0 || strcmp(buf, "geometric") == 0) return MATGEN_COND_GEOM;
    if (strcmp(buf, "wilkinson_plus") == 0 || strcmp(buf, "w+") == 0) return MATGEN_WILKINSON;
    if (strcmp(buf, "rank") == 0) return MATGEN_RANK_DEFICIENT;
    return -1;
}
