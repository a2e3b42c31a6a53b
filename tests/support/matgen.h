/*
 * Test-matrix generators (LAPACK/MAGMA style), shared by the tests and by
 * `lapis run --type`. Everything is generated in double, row-major, and is
 * reproducible from the seed. No dependency on the harness or on lapis.
 */
#ifndef LAPIS_MATGEN_H
#define LAPIS_MATGEN_H

#include <stdbool.h>
#include <stdint.h>

typedef enum matgen_type {
    MATGEN_RANDOM,        /* entries N(0,1)                                    */
    MATGEN_SPD,           /* symmetric positive definite, condition `cond`     */
    MATGEN_COND_GEOM,     /* singular values geometric from 1 to 1/cond        */
    MATGEN_COND_ARITH,    /* singular values arithmetic from 1 to 1/cond       */
    MATGEN_COND_CLUSTER,  /* all 1 but the last, 1/cond                        */
    MATGEN_COND_ONE_SMALL,/* all 1 but one in the middle, 1/cond               */
    MATGEN_UNDERFLOW,     /* random, scaled to ~ DBL/FLT_MIN * 1e3 (per dtype) */
    MATGEN_OVERFLOW,      /* random, scaled to ~ DBL/FLT_MAX / (1e3 n)         */
    MATGEN_GRADED,        /* D A D with D spanning 1e-30..1e30 (float: 1e-8..) */
    MATGEN_ZERO_ROW_FIRST, MATGEN_ZERO_ROW_MID, MATGEN_ZERO_ROW_LAST,
    MATGEN_ZERO_COL_FIRST, MATGEN_ZERO_COL_MID, MATGEN_ZERO_COL_LAST,
    MATGEN_RANK_DEFICIENT,/* rank n/2                                          */
    MATGEN_HILBERT,
    MATGEN_PASCAL,        /* symmetric Pascal (SPD)                           */
    MATGEN_KAHAN,         /* Kahan's upper triangular matrix                  */
    MATGEN_WILKINSON,     /* W_n^+ (symmetric tridiagonal)                    */
    MATGEN_LOWER,         /* well-conditioned lower triangular (unit-ish diag) */
    MATGEN_UPPER,         /* well-conditioned upper triangular                 */
    MATGEN_NOT_SPD,       /* symmetric, leading minor of order n/2+1 indefinite */
    MATGEN_NTYPES
} matgen_type;

/* Where matgen_inject puts a non-finite value. */
typedef enum matgen_where {
    MATGEN_AT_00, MATGEN_AT_LAST_DIAG, MATGEN_AT_OFFDIAG_LOWER, MATGEN_AT_OFFDIAG_UPPER
} matgen_where;

/*
 * Fills a (m x n, row-major) with one matrix of the type. `cond` is used by
 * the COND_* and SPD types (<= 0: a default of 1e3). `single` selects the
 * float32 scaling for UNDERFLOW/OVERFLOW/GRADED and KAHAN's angle. Types that need a square
 * matrix use min(m, n) and zero the rest. Returns 0, or -1 on bad input.
 */
int matgen_fill(double *a, int64_t m, int64_t n, matgen_type type, double cond, bool single,
                uint64_t seed);
/* Sets one element to value (NaN, +Inf, -Inf) at a named place (n x n). */
void matgen_inject(double *a, int64_t n, matgen_where where, double value);
const char *matgen_name(matgen_type type);
/* Name -> type, or -1 when unknown. */
int matgen_parse(const char *name);
/* Deterministic N(0,1) stream: element i of stream seed. */
double matgen_normal(uint64_t seed, uint64_t i);

#endif
