/* Test harness (see harness.h). */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- counters ----------------------------------------------------------- */

static const char *g_binary = "test";
static long g_passed, g_failed;
static bool g_full;
static int g_printed;

typedef struct op_stat {
    char op[48];
    lapis_dtype dt;
    long cases, failed;
    double worst;
    bool has_ratio;
} op_stat;
static op_stat g_stats[128];
static int g_nstats;

static op_stat *stat_for(const char *op, lapis_dtype dt) {
    for (int i = 0; i < g_nstats; i++)
        if (g_stats[i].dt == dt && strcmp(g_stats[i].op, op) == 0) return &g_stats[i];
    if (g_nstats == (int)(sizeof g_stats / sizeof g_stats[0])) return &g_stats[0];
    op_stat *s = &g_stats[g_nstats++];
    memset(s, 0, sizeof *s);
    snprintf(s->op, sizeof s->op, "%s", op);
    s->dt = dt;
    return s;
}

bool h_full(void) { return g_full; }

static void vreport(const char *file, int line, const char *fmt, va_list ap) {
    if (g_printed++ >= 200) {
        if (g_printed == 202) fprintf(stderr, "%s: (further failures not printed)\n", g_binary);
        return;
    }
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

bool h_check_(bool ok, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        g_passed++;
        return true;
    }
    g_failed++;
    va_list ap;
    va_start(ap, fmt);
    vreport(file, line, fmt, ap);
    va_end(ap);
    return false;
}

bool h_status_(lapis_status st, lapis_status want, const char *prefix, const char *file,
               int line, const char *what) {
    if (st != want)
        return h_check_(false, file, line, "%s: got %s (%s), want %s", what,
                        lapis_status_string(st), st ? lapis_last_error() : "",
                        lapis_status_string(want));
    if (want != LAPIS_OK && prefix) {
        const char *msg = lapis_last_error();
        return h_check_(strncmp(msg, prefix, strlen(prefix)) == 0, file, line,
                        "%s: message \"%s\" does not start with \"%s\"", what, msg, prefix);
    }
    return h_check_(true, file, line, "%s", what);
}

bool h_ratio(const char *op, lapis_dtype dt, double ratio, double limit, const char *what) {
    op_stat *s = stat_for(op, dt);
    s->cases++;
    s->has_ratio = true;
    bool ok = ratio < limit; /* NaN fails */
    if (!(ratio <= s->worst)) s->worst = ratio; /* keeps NaN */
    if (!ok) s->failed++;
    return h_check_(ok, __FILE__, __LINE__, "%s %s: ratio %.3g >= %.0f (%s)", op, h_dtname(dt),
                    ratio, limit, what);
}

void h_count(const char *op, lapis_dtype dt) { stat_for(op, dt)->cases++; }

/* ---- devices --------------------------------------------------------------- */

static h_dev g_devs[8];
static int g_ndev;

int h_ndev(void) { return g_ndev; }
const h_dev *h_dev_at(int i) { return &g_devs[i]; }

void h_init(const char *binary) {
    g_binary = binary;
    const char *f = getenv("LAPIS_TEST_FULL");
    g_full = f && *f && strcmp(f, "0") != 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    lapis_device cpu = {LAPIS_CPU, 0};
    if (lapis_stream_new(&g_devs[0].stream, cpu) == LAPIS_OK) {
        g_devs[0].dev = cpu;
        snprintf(g_devs[0].name, sizeof g_devs[0].name, "cpu");
        g_ndev = 1;
    } else {
        H_CHECK(false, "lapis_stream_new(cpu): %s", lapis_last_error());
    }
    int ngpu = lapis_device_count(LAPIS_GPU);
    for (int i = 0; i < ngpu && g_ndev < 8; i++) {
        lapis_device d = {LAPIS_GPU, i};
        if (!lapis_device_is_available(d)) continue;
        h_dev *h = &g_devs[g_ndev];
        if (lapis_stream_new(&h->stream, d) != LAPIS_OK) {
            H_CHECK(false, "lapis_stream_new(gpu%d): %s", i, lapis_last_error());
            continue;
        }
        h->dev = d;
        snprintf(h->name, sizeof h->name, "gpu%d", i);
        g_ndev++;
    }
    printf("%s: %s lattice, devices:", binary, g_full ? "full" : "quick");
    for (int i = 0; i < g_ndev; i++) printf(" %s", g_devs[i].name);
    printf("\n");
}

/* ---- the matrix cache ------------------------------------------------------ */

typedef struct gen_entry {
    struct gen_entry *next;
    matgen_type type;
    int64_t n;
    double cond;
    bool single;
    int scale;
    uint64_t seed;
    double a[];
} gen_entry;
#define GEN_BUCKETS 4096
static gen_entry *g_gen[GEN_BUCKETS];

int h_finish(void) {
    for (int i = 0; i < g_ndev; i++) lapis_stream_free(g_devs[i].stream);
    g_ndev = 0;
    for (int b = 0; b < GEN_BUCKETS; b++) {
        for (gen_entry *e = g_gen[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
        g_gen[b] = NULL;
    }
    for (int i = 0; i < g_nstats; i++) {
        op_stat *s = &g_stats[i];
        if (s->has_ratio)
            printf("summary %-22s %-7s cases %6ld  worst ratio %9.3g  failed %ld\n", s->op,
                   h_dtname(s->dt), s->cases, s->worst, s->failed);
        else
            printf("summary %-22s %-7s cases %6ld\n", s->op, h_dtname(s->dt), s->cases);
    }
    printf("%s: %ld passed, %ld failed\n", g_binary, g_passed, g_failed);
    return g_failed ? 1 : 0;
}

/* ---- watchdog ---------------------------------------------------------------- */

static char g_wd_what[200];

static void on_alarm(int sig) {
    (void)sig;
    static const char pre[] = "FAIL watchdog: no return within the time limit: ";
    ssize_t r = write(2, pre, sizeof pre - 1);
    r = write(2, g_wd_what, strlen(g_wd_what));
    r = write(2, "\n", 1);
    (void)r;
    _exit(3);
}

void h_watchdog(int seconds, const char *what) {
    snprintf(g_wd_what, sizeof g_wd_what, "%s", what);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)seconds);
}

void h_watchdog_off(void) { alarm(0); }

/* ---- dtypes and host data ---------------------------------------------------- */

double h_eps(lapis_dtype dt) { return dt == LAPIS_FLOAT32 ? FLT_EPSILON : DBL_EPSILON; }

const char *h_dtname(lapis_dtype dt) {
    return dt == LAPIS_FLOAT32 ? "f32" : dt == LAPIS_FLOAT64 ? "f64" : "-";
}

void h_round(double *x, int64_t count, lapis_dtype dt) {
    if (dt != LAPIS_FLOAT32) return;
    for (int64_t i = 0; i < count; i++) x[i] = (double)(float)x[i];
}

void *h_alloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) H_CHECK(false, "out of host memory (%zu bytes)", bytes);
    return p;
}

static void to_dtype(void *dst, const double *x, int64_t n, lapis_dtype dt) {
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case LAPIS_FLOAT32: ((float *)dst)[i] = (float)x[i]; break;
        case LAPIS_FLOAT64: ((double *)dst)[i] = x[i]; break;
        case LAPIS_INT32: ((int32_t *)dst)[i] = (int32_t)x[i]; break;
        case LAPIS_UINT32: ((uint32_t *)dst)[i] = (uint32_t)x[i]; break;
        case LAPIS_INT64: ((int64_t *)dst)[i] = (int64_t)x[i]; break;
        case LAPIS_BOOL: ((uint8_t *)dst)[i] = x[i] != 0; break;
        case LAPIS_COMPLEX64: ((float *)dst)[2 * i] = (float)x[i]; ((float *)dst)[2 * i + 1] = 0; break;
        case LAPIS_COMPLEX128: ((double *)dst)[2 * i] = x[i]; ((double *)dst)[2 * i + 1] = 0; break;
        }
    }
}

lapis_array h_array(const double *x, const int64_t *shape, int ndim, lapis_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    void *buf = h_alloc((size_t)n * lapis_dtype_size(dt) + 1);
    if (!buf) return NULL;
    to_dtype(buf, x, n, dt);
    lapis_array a = NULL;
    lapis_status st = lapis_array_from_data(&a, buf, shape, ndim, dt);
    free(buf);
    if (st) {
        H_CHECK(false, "lapis_array_from_data: %s", lapis_last_error());
        return NULL;
    }
    return a;
}

lapis_status h_read(lapis_array a, double *out) {
    size_t nb = lapis_array_nbytes(a);
    int64_t n = lapis_array_size(a);
    void *buf = malloc(nb ? nb : 1);
    if (!buf) return LAPIS_ERR_OUT_OF_MEMORY;
    lapis_status st = lapis_array_read(a, buf, nb);
    lapis_dtype dt = lapis_array_dtype(a);
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case LAPIS_FLOAT32: out[i] = ((float *)buf)[i]; break;
        case LAPIS_FLOAT64: out[i] = ((double *)buf)[i]; break;
        case LAPIS_INT32: out[i] = ((int32_t *)buf)[i]; break;
        case LAPIS_UINT32: out[i] = ((uint32_t *)buf)[i]; break;
        case LAPIS_INT64: out[i] = (double)((int64_t *)buf)[i]; break;
        case LAPIS_BOOL: out[i] = ((uint8_t *)buf)[i]; break;
        default: out[i] = NAN; break;
        }
    }
    free(buf);
    return st;
}

/* ---- matrices ------------------------------------------------------------------ */

double h_cond(double preset, lapis_dtype dt) {
    if (preset == H_COND_SQRT) return 1.0 / sqrt(h_eps(dt));
    if (preset == H_COND_BIG) return 0.1 / h_eps(dt);
    return preset;
}

const double *h_gen(matgen_type type, int64_t n, double cond, bool single, int scale,
                    uint64_t seed) {
    uint64_t h = (uint64_t)type * 0x9E3779B97F4A7C15ull ^ (uint64_t)n * 0xC2B2AE3D27D4EB4Full ^
                 seed * 0x165667B19E3779F9ull ^ (uint64_t)(cond * 1024) ^ (uint64_t)single << 7 ^
                 (uint64_t)scale << 9;
    gen_entry **bucket = &g_gen[h % GEN_BUCKETS];
    for (gen_entry *e = *bucket; e; e = e->next)
        if (e->type == type && e->n == n && e->cond == cond && e->single == single &&
            e->scale == scale && e->seed == seed)
            return e->a;
    gen_entry *e = malloc(sizeof *e + (size_t)(n * n + 1) * sizeof(double));
    if (!e) {
        H_CHECK(false, "out of memory generating a matrix");
        exit(2);
    }
    e->type = type;
    e->n = n;
    e->cond = cond;
    e->single = single;
    e->scale = scale;
    e->seed = seed;
    if (matgen_fill(e->a, n, n, type, cond, single, seed) != 0) {
        H_CHECK(false, "matgen_fill(%s, %lld) failed", matgen_name(type), (long long)n);
        memset(e->a, 0, (size_t)(n * n) * sizeof(double));
    }
    if (scale && n > 0) {
        double amax = 0;
        for (int64_t i = 0; i < n * n; i++) amax = fmax(amax, fabs(e->a[i]));
        double target = scale == 1 ? (single ? (double)FLT_MIN : DBL_MIN) * 1e3
                                   : (single ? (double)FLT_MAX : DBL_MAX) / (1e3 * (double)n);
        if (amax > 0)
            for (int64_t i = 0; i < n * n; i++) e->a[i] = e->a[i] / amax * target;
    }
    e->next = *bucket;
    *bucket = e;
    return e->a;
}

/* ---- residual ratios --------------------------------------------------------- */

typedef long double ld;

static ld norm1_ld(const ld *a, int64_t m, int64_t n) {
    ld best = 0;
    for (int64_t j = 0; j < n; j++) {
        ld s = 0;
        for (int64_t i = 0; i < m; i++) s += fabsl(a[i * n + j]);
        if (!(s <= best)) best = s; /* NaN propagates */
    }
    return best;
}

long double h_norm1(const double *a, int64_t m, int64_t n) {
    ld best = 0;
    for (int64_t j = 0; j < n; j++) {
        ld s = 0;
        for (int64_t i = 0; i < m; i++) s += fabsl((ld)a[i * n + j]);
        if (!(s <= best)) best = s;
    }
    return best;
}

static double ratio_of(ld resid, ld denom) {
    if (resid != resid || denom != denom) return NAN;
    if (denom == 0) return resid == 0 ? 0.0 : INFINITY;
    return (double)(resid / denom);
}

static ld *ld_alloc(int64_t count) {
    ld *p = calloc((size_t)(count > 0 ? count : 1), sizeof(ld));
    if (!p) {
        H_CHECK(false, "out of memory in a residual");
        exit(2);
    }
    return p;
}

double h_ratio_chol(const double *a, const double *l, int64_t n, bool upper, double eps) {
    if (n == 0) return 0;
    ld *r = ld_alloc(n * n);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            ld s = 0;
            /* lower: (L L^T)_ij = sum_p L_ip L_jp; upper: (U^T U)_ij = sum_p U_pi U_pj */
            for (int64_t p = 0; p < n; p++)
                s += upper ? (ld)l[p * n + i] * l[p * n + j] : (ld)l[i * n + p] * l[j * n + p];
            r[i * n + j] = (ld)a[i * n + j] - s;
        }
    ld res = norm1_ld(r, n, n);
    free(r);
    return ratio_of(res, (ld)n * h_norm1(a, n, n) * eps);
}

double h_ratio_lu(const double *a, const double *perm, const double *l, const double *u,
                  int64_t m, int64_t n, double eps) {
    int64_t k = m < n ? m : n;
    if (m == 0 || n == 0) return 0;
    ld *r = ld_alloc(m * n);
    for (int64_t i = 0; i < m; i++) {
        double pi = perm[i];
        if (!(pi >= 0 && pi < (double)m)) {
            free(r);
            return NAN;
        }
        const double *lrow = l + (int64_t)pi * k;
        for (int64_t j = 0; j < n; j++) {
            ld s = 0;
            for (int64_t p = 0; p < k; p++) s += (ld)lrow[p] * u[p * n + j];
            r[i * n + j] = (ld)a[i * n + j] - s;
        }
    }
    ld res = norm1_ld(r, m, n);
    free(r);
    int64_t big = m > n ? m : n;
    return ratio_of(res, (ld)big * h_norm1(a, m, n) * eps);
}

double h_ratio_lu_packed(const double *a, const double *lu, const double *ipiv, int64_t m,
                         int64_t n, double eps) {
    int64_t k = m < n ? m : n;
    if (m == 0 || n == 0) return 0;
    ld *r = ld_alloc(m * n);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            ld s = 0;
            int64_t top = i < j ? i : j;
            if (top > k - 1) top = k - 1;
            for (int64_t p = 0; p <= top; p++) {
                ld lv = p == i ? 1.0L : (ld)lu[i * n + p];
                s += lv * lu[p * n + j];
            }
            r[i * n + j] = s;
        }
    /* A = P^T (L U): undo the swaps in reverse order */
    for (int64_t i = k - 1; i >= 0; i--) {
        double pv = ipiv[i];
        if (!(pv >= (double)i && pv < (double)m)) {
            free(r);
            return NAN;
        }
        int64_t p = (int64_t)pv;
        if (p == i) continue;
        for (int64_t j = 0; j < n; j++) {
            ld t = r[i * n + j];
            r[i * n + j] = r[p * n + j];
            r[p * n + j] = t;
        }
    }
    for (int64_t i = 0; i < m * n; i++) r[i] = (ld)a[i] - r[i];
    ld res = norm1_ld(r, m, n);
    free(r);
    int64_t big = m > n ? m : n;
    return ratio_of(res, (ld)big * h_norm1(a, m, n) * eps);
}

double h_ratio_inv(const double *a, const double *x, int64_t n, double eps) {
    if (n == 0) return 0;
    ld *r = ld_alloc(n * n);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            ld s = 0;
            for (int64_t p = 0; p < n; p++) s += (ld)a[i * n + p] * x[p * n + j];
            r[i * n + j] = (i == j ? 1.0L : 0.0L) - s;
        }
    ld res = norm1_ld(r, n, n);
    free(r);
    return ratio_of(res, (ld)n * h_norm1(a, n, n) * h_norm1(x, n, n) * eps);
}

double h_ratio_solve(const double *a, const double *x, const double *b, int64_t n, int64_t k,
                     double eps) {
    if (n == 0 || k == 0) return 0;
    ld an = h_norm1(a, n, n);
    double worst = 0;
    for (int64_t c = 0; c < k; c++) {
        ld rn = 0, xn = 0;
        for (int64_t i = 0; i < n; i++) {
            ld s = 0;
            for (int64_t p = 0; p < n; p++) s += (ld)a[i * n + p] * x[p * k + c];
            rn += fabsl((ld)b[i * k + c] - s);
            xn += fabsl((ld)x[i * k + c]);
        }
        double r = ratio_of(rn, (ld)n * an * xn * eps);
        if (!(r <= worst)) worst = r;
    }
    return worst;
}

void h_ref_slogdet(const double *a, int64_t n, long double *sign, long double *logabs,
                   long double *cond, long double *sumabslog) {
    ld *w = ld_alloc(n * n), *inv = ld_alloc(n * n);
    int64_t *piv = calloc((size_t)(n > 0 ? n : 1), sizeof *piv);
    for (int64_t i = 0; i < n * n; i++) w[i] = a[i];
    ld s = 1, la = 0, sal = 0;
    bool singular = false;
    for (int64_t k = 0; k < n; k++) {
        int64_t p = k;
        for (int64_t i = k + 1; i < n; i++)
            if (fabsl(w[i * n + k]) > fabsl(w[p * n + k])) p = i;
        piv[k] = p;
        if (p != k) {
            s = -s;
            for (int64_t j = 0; j < n; j++) {
                ld t = w[k * n + j];
                w[k * n + j] = w[p * n + j];
                w[p * n + j] = t;
            }
        }
        ld d = w[k * n + k];
        if (d == 0) {
            singular = true;
            continue;
        }
        if (d < 0) s = -s;
        la += logl(fabsl(d));
        sal += fabsl(logl(fabsl(d)));
        for (int64_t i = k + 1; i < n; i++) {
            ld f = w[i * n + k] / d;
            w[i * n + k] = f;
            for (int64_t j = k + 1; j < n; j++) w[i * n + j] -= f * w[k * n + j];
        }
    }
    *sign = singular ? 0 : s;
    *logabs = singular ? -INFINITY : la;
    *cond = INFINITY;
    *sumabslog = sal;
    if (!singular) {
        /* inverse by rows: X = U^-1 L^-1 P, row operations on contiguous rows */
        for (int64_t i = 0; i < n * n; i++) inv[i] = 0;
        for (int64_t i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int64_t k = 0; k < n; k++)
            if (piv[k] != k)
                for (int64_t j = 0; j < n; j++) {
                    ld t = inv[k * n + j];
                    inv[k * n + j] = inv[piv[k] * n + j];
                    inv[piv[k] * n + j] = t;
                }
        for (int64_t i = 0; i < n; i++)
            for (int64_t p = 0; p < i; p++) {
                ld f = w[i * n + p];
                if (f != 0)
                    for (int64_t j = 0; j < n; j++) inv[i * n + j] -= f * inv[p * n + j];
            }
        for (int64_t i = n - 1; i >= 0; i--) {
            for (int64_t p = i + 1; p < n; p++) {
                ld f = w[i * n + p];
                if (f != 0)
                    for (int64_t j = 0; j < n; j++) inv[i * n + j] -= f * inv[p * n + j];
            }
            for (int64_t j = 0; j < n; j++) inv[i * n + j] /= w[i * n + i];
        }
        ld an = h_norm1(a, n, n);
        *cond = an * norm1_ld(inv, n, n);
    }
    free(w);
    free(inv);
    free(piv);
}

bool h_all_finite(const double *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return false;
    return true;
}

bool h_all_nan(const double *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (x[i] == x[i]) return false;
    return true;
}

void h_triangle(const double *a, double *out, int64_t n, bool upper) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            out[i * n + j] = (upper ? j >= i : j <= i) ? a[i * n + j] : 0.0;
}

/* ---- the lattice ------------------------------------------------------------ */

static const int64_t k_quick[] = {0, 1, 2, 3, 5, 16, 33, 64, 129};
static const int64_t k_full[] = {0, 1, 2, 3, 5, 10, 16, 31, 32, 33, 64, 127, 128, 129, 257};

const int64_t *h_sizes(int *count) {
    if (g_full) {
        *count = (int)(sizeof k_full / sizeof k_full[0]);
        return k_full;
    }
    *count = (int)(sizeof k_quick / sizeof k_quick[0]);
    return k_quick;
}

static const struct {
    int nd;
    int64_t s[2];
} k_bshapes[] = {{0, {0, 0}}, {1, {1, 0}}, {1, {3, 0}}, {2, {2, 3}}};

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

void h_single_large(const h_dev *dev, const h_mtype *types, int ntypes, int64_t n,
                    uint64_t seed, h_runner run, void *ctx) {
    for (int t = 0; t < ntypes; t++) {
        const h_mtype *mt = &types[t];
        if (mt->max_n) continue;
        for (int di = 0; di < 2; di++) {
            h_case c = {.dev = dev, .dt = di ? LAPIS_FLOAT64 : LAPIS_FLOAT32, .n = n, .bnd = 0,
                        .batch = 1, .mt = mt};
            int64_t nn = n * n;
            c.a = h_alloc((size_t)nn * sizeof(double));
            memcpy(c.a, h_gen(mt->type, n, h_cond(mt->cond, c.dt), c.dt == LAPIS_FLOAT32,
                              mt->scale, seed + (uint64_t)t),
                   (size_t)nn * sizeof(double));
            h_round(c.a, nn, c.dt);
            snprintf(c.desc, sizeof c.desc, "%s %s n=%lld single %s", dev->name, h_dtname(c.dt),
                     (long long)n, mt->name);
            run(&c, ctx);
            free(c.a);
        }
    }
}

void h_lattice(const h_mtype *types, int ntypes, h_runner run, void *ctx) {
    int nsizes;
    const int64_t *sizes = h_sizes(&nsizes);
    static const lapis_dtype dts[2] = {LAPIS_FLOAT32, LAPIS_FLOAT64};
    for (int d = 0; d < h_ndev(); d++)
        for (int di = 0; di < 2; di++)
            for (int si = 0; si < nsizes; si++)
                for (int ti = 0; ti < ntypes; ti++) {
                    const h_mtype *mt = &types[ti];
                    lapis_dtype dt = dts[di];
                    int64_t n = sizes[si];
                    if (mt->max_n && n > mt->max_n) continue;
                    if (dt == LAPIS_FLOAT32 && mt->max_n_f32 && n > mt->max_n_f32) continue;
                    for (int bi = 0; bi < 4; bi++) {
                        if (!g_full && !mt->all_batches && bi != (si + ti) % 4) continue;
                        h_case c;
                        memset(&c, 0, sizeof c);
                        c.dev = h_dev_at(d);
                        c.dt = dt;
                        c.n = n;
                        c.bnd = k_bshapes[bi].nd;
                        c.batch = 1;
                        for (int k = 0; k < c.bnd; k++) {
                            c.bshape[k] = k_bshapes[bi].s[k];
                            c.batch *= c.bshape[k];
                        }
                        c.mt = mt;
                        int64_t nn = n * n;
                        c.a = h_alloc((size_t)(c.batch * nn + 1) * sizeof(double));
                        if (!c.a) continue;
                        double cond = h_cond(mt->cond, dt);
                        for (int64_t j = 0; j < c.batch; j++) {
                            uint64_t seed = name_hash(mt->name) ^ (uint64_t)(j + 1) * 7919u;
                            const double *g = h_gen(mt->type, n, cond, dt == LAPIS_FLOAT32,
                                                    mt->scale, seed);
                            memcpy(c.a + j * nn, g, (size_t)nn * sizeof(double));
                        }
                        h_round(c.a, c.batch * nn, dt);
                        char bs[32] = "()";
                        if (c.bnd == 1) snprintf(bs, sizeof bs, "(%lld,)", (long long)c.bshape[0]);
                        if (c.bnd == 2)
                            snprintf(bs, sizeof bs, "(%lld,%lld)", (long long)c.bshape[0],
                                     (long long)c.bshape[1]);
                        snprintf(c.desc, sizeof c.desc, "%s %s n=%lld batch=%s type=%s",
                                 c.dev->name, h_dtname(dt), (long long)n, bs, mt->name);
                        run(&c, ctx);
                        free(c.a);
                    }
                }
}
