/*
 * Test harness: checks and counters, per-op worst ratios, the device list
 * (one stream per available device), host conversions, cached generated
 * matrices, LAPACK-style residual ratios in long double, a watchdog, and
 * the case lattice (dtype x size x matrix type x batch shape).
 *
 * Every test binary ends with h_finish(), which prints one summary line per
 * (op, dtype) and the closing line "N passed, M failed".
 */
#ifndef LAPIS_TEST_HARNESS_H
#define LAPIS_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lapis.h"
#include "matgen.h"

/* LAPACK's threshold for the residual ratios of the LU/Cholesky family. */
#define H_THRESHOLD 30.0

/* A sentinel for output pointers that must stay untouched on error. */
#define H_SENTINEL ((lapis_array)(uintptr_t)0x5e5e5e5e5e5e5e50ull)

/* ---- setup, checks, summary -------------------------------------------- */

void h_init(const char *binary);
/* LAPIS_TEST_FULL=1: the full lattice. */
bool h_full(void);
/* Records one check; prints the message when it fails. Returns ok. */
bool h_check_(bool ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define H_CHECK(cond, ...) h_check_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* A status check: st == want, and when want != OK the message starts with
 * prefix (if prefix is not NULL). */
bool h_status_(lapis_status st, lapis_status want, const char *prefix, const char *file,
               int line, const char *what);
#define H_STATUS(st, want, prefix, what) h_status_((st), (want), (prefix), __FILE__, __LINE__, (what))
/* A call that must succeed. */
#define H_OK(call) h_status_((call), LAPIS_OK, NULL, __FILE__, __LINE__, #call)

/* Records a ratio for (op, dtype): a check that passes when ratio < limit
 * (NaN fails); `what` describes the case for the failure message. */
bool h_ratio(const char *op, lapis_dtype dt, double ratio, double limit, const char *what);
/* Counts a case for (op, dtype) without a ratio (failure tests, ...). */
void h_count(const char *op, lapis_dtype dt);
/* Prints the per-op summary and "N passed, M failed"; returns the exit code. */
int h_finish(void);

/* ---- devices ------------------------------------------------------------ */

typedef struct h_dev {
    lapis_device dev;
    lapis_stream stream; /* a stream made with lapis_stream_new */
    char name[16];       /* "cpu", "gpu0" */
} h_dev;
int h_ndev(void);
const h_dev *h_dev_at(int i);

/* ---- watchdog ------------------------------------------------------------ */

/* Kills the process with a message when not disarmed within `seconds`. */
void h_watchdog(int seconds, const char *what);
void h_watchdog_off(void);

/* ---- dtypes and host data ------------------------------------------------ */

double h_eps(lapis_dtype dt);
const char *h_dtname(lapis_dtype dt);
/* Rounds count doubles to the dtype's precision in place (float32: through float). */
void h_round(double *x, int64_t count, lapis_dtype dt);
/* A new array of dtype dt from doubles (converted); NULL on failure (a
 * failed check is recorded). */
lapis_array h_array(const double *x, const int64_t *shape, int ndim, lapis_dtype dt);
/* Reads any real or integer array into doubles (n = lapis_array_size);
 * returns the read's status. The data is converted even when the read
 * reports a recorded failure. */
lapis_status h_read(lapis_array a, double *out);
/* malloc that records a failed check (and returns NULL) on failure. */
void *h_alloc(size_t bytes);

/* ---- matrices ------------------------------------------------------------ */

/* Cond presets used by the lattice. */
#define H_COND_SQRT (-1.0)  /* 1/sqrt(eps) of the dtype */
#define H_COND_BIG (-2.0)   /* 0.1/eps of the dtype     */
double h_cond(double preset, lapis_dtype dt);

/* A generated n x n matrix (double, row-major), cached for the run: do not
 * free or modify. Extra scaling: 0 none, 1 near underflow, 2 near overflow
 * (for types that matgen does not scale itself, e.g. SPD). */
const double *h_gen(matgen_type type, int64_t n, double cond, bool single, int scale,
                    uint64_t seed);

/* ---- residual ratios (long double, row-major, n x n unless said) ------- */

long double h_norm1(const double *a, int64_t m, int64_t n); /* max column sum */
/* ||A - L L^T|| / (n ||A|| eps) with L lower (upper: ||A - U^T U||). */
double h_ratio_chol(const double *a, const double *l, int64_t n, bool upper, double eps);
/* ||A - P L U|| / (n ||A|| eps) from MLX's (perm, L (m x k), U (k x n)). */
double h_ratio_lu(const double *a, const double *perm, const double *l, const double *u,
                  int64_t m, int64_t n, double eps);
/* The same from a packed LU (m x n) and 0-based LAPACK ipiv. */
double h_ratio_lu_packed(const double *a, const double *lu, const double *ipiv, int64_t m,
                         int64_t n, double eps);
/* ||I - A X|| / (n ||A|| ||X|| eps) */
double h_ratio_inv(const double *a, const double *x, int64_t n, double eps);
/* max over columns of ||b - A x|| / (n ||A|| ||x|| eps), b and x n x k. */
double h_ratio_solve(const double *a, const double *x, const double *b, int64_t n, int64_t k,
                     double eps);
/* log|det| and sign of A by long-double LU with partial pivoting; the
 * 1-norm condition number (exact, through the inverse) in *cond and
 * sum |log|u_ii|| in *sumabslog (the scale of the rounding in a log sum). */
void h_ref_slogdet(const double *a, int64_t n, long double *sign, long double *logabs,
                   long double *cond, long double *sumabslog);

bool h_all_finite(const double *x, int64_t n);
bool h_all_nan(const double *x, int64_t n);
/* The referenced triangle: copy of a with the other triangle zeroed. */
void h_triangle(const double *a, double *out, int64_t n, bool upper);

/* ---- the lattice ------------------------------------------------------- */

typedef struct h_mtype {
    const char *name;
    matgen_type type;
    double cond;     /* > 0, 0 (default), H_COND_SQRT or H_COND_BIG */
    int scale;       /* h_gen scale */
    int64_t max_n;   /* 0: no limit */
    int64_t max_n_f32;
    bool all_batches;/* crossed with every batch shape, else one rotating */
} h_mtype;

typedef struct h_case {
    const h_dev *dev;
    lapis_dtype dt;
    int64_t n;
    int bnd;              /* batch ndim */
    int64_t bshape[4];
    int64_t batch;        /* product of bshape */
    const h_mtype *mt;
    double *a;            /* batch x n x n, rounded to dt */
    char desc[160];
} h_case;

typedef void (*h_runner)(const h_case *c, void *ctx);
/* Runs `run` on every available device x {float32, float64} x sizes x types
 * x batch shapes. */
void h_lattice(const h_mtype *types, int ntypes, h_runner run, void *ctx);
/* The sizes of the lattice (quick or full). */
const int64_t *h_sizes(int *count);
/* Runs `run` on one n x n matrix (batch 1) of each type without a size cap
 * (max_n == 0), float32 and float64, on `dev`: the single-large-matrix
 * paths the lattice's sizes stop short of. seed + type index seeds h_gen. */
void h_single_large(const h_dev *dev, const h_mtype *types, int ntypes, int64_t n,
                    uint64_t seed, h_runner run, void *ctx);

#endif
