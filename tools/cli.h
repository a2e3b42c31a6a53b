/*
 * Shared pieces of the `lapis` command-line tool: host tensors, file
 * readers and writers, host reference arithmetic, timing.
 */
#ifndef LAPIS_CLI_H
#define LAPIS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lapis.h"

/* A host tensor: row-major values held in double (complex: interleaved re,
 * im), tagged with the dtype they came from or will become. */
typedef struct tensor {
    int ndim;
    int64_t shape[LAPIS_MAX_NDIM];
    lapis_dtype dtype;
    double *v;
} tensor;

bool dtype_is_complex(lapis_dtype dt);
int64_t tensor_size(const tensor *t);            /* elements (not doubles) */
int64_t tensor_nvals(const tensor *t);           /* doubles in v           */
/* Zero-filled; 0, or -1 when out of memory or the shape is bad. */
int tensor_alloc(tensor *t, const int64_t *shape, int ndim, lapis_dtype dt);
void tensor_free(tensor *t);
/* Rounds every value to dt (float32: to the nearest float), in place. */
void tensor_round(tensor *t, lapis_dtype dt);
/* A new lapis array of dtype dt holding t's values. */
lapis_status tensor_to_array(lapis_array *out, const tensor *t, lapis_dtype dt);
/* Reads a (waiting for it) into a new tensor. A numerical failure recorded
 * on `a` is returned, but the data is still read. */
lapis_status tensor_from_array(tensor *t, lapis_array a);
/* "(2, 3, 4)" */
void shape_str(char *buf, size_t cap, const int64_t *shape, int ndim);

/* ---- files (io.c); 0 on success, else -1 with a message in err --------- */
int npy_read(const char *path, tensor *t, char *err, size_t errcap);
int npy_write(const char *path, const tensor *t, char *err, size_t errcap);
int mtx_read(const char *path, tensor *t, char *err, size_t errcap);
/* .npy or .mtx by the file name's extension. */
int io_read(const char *path, tensor *t, char *err, size_t errcap);

/* ---- host reference arithmetic (check.c), long double inside ------------ */
/* Matrices are row-major. op(x) is x (xt = false, m x k stored) or xᵀ
 * (xt = true, k x m stored). */
/* ||a - op(x) op(y)||_1, a (m x n); a NULL stands for the identity. */
double resid_prod(const double *a, const double *x, bool xt, const double *y, bool yt,
                  int64_t m, int64_t k, int64_t n);
/* ||a||_1 (largest column sum) of an m x n matrix. */
double norm1(const double *a, int64_t m, int64_t n);
/* Copies the `upper` or lower triangle of the n x n a into t, zeroing the
 * other; `sym` mirrors it instead of zeroing. */
void take_triangle(double *t, const double *a, int64_t n, bool upper, bool sym);
/* log|det a| and its sign (0 when singular) by long double LU with partial
 * pivoting; *cond1 (may be NULL) gets ||a||_1 ||a^-1||_1 (inf if singular). */
void ref_slogdet(const double *a, int64_t n, double *sign, long double *logabs, double *cond1);
/* Complex versions: matrices hold interleaved (re, im) doubles, row-major;
 * op is 'N' (as stored), 'T' (transposed) or 'C' (conjugate transposed), and
 * op(x) is m x k, op(y) k x n. 0, or -1 when out of memory. */
/* c = a - op(x) op(y) (m x n); a NULL stands for the identity. */
int zresid(double *c, const double *a, const double *x, char xop, const double *y, char yop,
           int64_t m, int64_t k, int64_t n);
/* c = op(x) op(y) (m x n). */
int zprod(double *c, const double *x, char xop, const double *y, char yop, int64_t m, int64_t k,
          int64_t n);
/* ||a||_1 of an m x n complex matrix (largest column sum of |a_ij|). */
double znorm1(const double *a, int64_t m, int64_t n);
/* The min(m, n) singular values of a complex m x n matrix, descending, by
 * one-sided Jacobi in long double (a reference for checks). 0 or -1. */
int zsingular_values(long double *s, const double *a, int64_t m, int64_t n);
/* Machine epsilon of a real or complex dtype (2^-23 or 2^-52). */
double dtype_eps(lapis_dtype dt);

/* ---- misc --------------------------------------------------------------- */
double now_seconds(void);
int cmp_double(const void *a, const void *b);
/* "cpu" / "gpu" / "gpu:1" */
const char *device_str(lapis_device d);
/* Parses cpu | gpu | gpu:N. 0 or -1. */
int parse_device(const char *s, lapis_device *d);
/* f32 | f64 | c64 | c128 (or float32, float64, complex64, complex128). 0 or -1. */
int parse_dtype(const char *s, lapis_dtype *dt);
/* A one-line reason a device cannot run, for messages. */
const char *device_unavailable_reason(lapis_device d);

/* ---- commands ----------------------------------------------------------- */
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
