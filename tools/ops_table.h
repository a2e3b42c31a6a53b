/*
 * The table of ops `lapis run` knows. A row names the op and gives four
 * functions: the flop count of one matrix, an input builder, the runner and
 * the per-matrix checker. Adding an op is adding a row in ops_table.c.
 */
#ifndef LAPIS_OPS_TABLE_H
#define LAPIS_OPS_TABLE_H

#include "cli.h"

#define OP_MAX_IN 3
#define OP_MAX_OUT 4

/* Which matrices the generator should produce for an op's first input. */
typedef enum op_shape_kind {
    OP_GENERAL, /* m x n as generated                                */
    OP_SQUARE,  /* n x n as generated                                */
    OP_SPD,     /* n x n symmetric positive definite (G Gᵀ if needed)  */
    OP_SYM,     /* n x n symmetric ((G + Gᵀ)/2 if needed)              */
    OP_TRI,     /* n x n triangle (lower, or upper with --upper)      */
    OP_HERM,    /* n x n symmetric, Hermitian when complex            */
    OP_VEC3,    /* vectors of size 3 as rows: generated n x 3; a file's
                   m x 2 or m x 3 (the count is m, the size n)         */
} op_shape_kind;

typedef struct op_case {
    const struct op_entry *op;
    lapis_dtype dtype;
    lapis_stream stream;
    bool upper;
    bool full;        /* svd: full_matrices                               */
    bool values_only; /* svd: S only; qr: R only                          */
    bool vector;      /* norm: vector norms along the last axis            */
    lapis_norm_ord ord; /* norm                                           */
    double p;           /* norm: the number of LAPIS_NORM_P               */
    /* Sizes of one problem: a is m x n (square ops: n x n), k = right-hand
     * sides (solve) or inner dimension (matmul). */
    int64_t m, n, k;
    int bndim;                       /* batch axes of the inputs           */
    int64_t bshape[LAPIS_MAX_NDIM];
    int64_t batch;                   /* number of matrices                 */
    uint64_t seed;
    int type;                        /* matgen type, -1 for a loaded file  */
    double cond;
    /* Inputs: host copies hold exactly the values the op receives. */
    int nin;
    tensor in[OP_MAX_IN];
    lapis_array a[OP_MAX_IN];
    /* Extra host data a checker needs (e.g. A for cholesky_inv). */
    tensor ref;
} op_case;

typedef struct op_entry {
    const char *name;
    const char *summary;
    const char *out_names[OP_MAX_OUT]; /* NULL-terminated; --output FILE gets the first,
                                          FILE_<name>.npy the others */
    op_shape_kind shape;               /* what the first input must look like */
    int default_type;                  /* matgen type for generated input */
    /* Flops of one matrix (standard LAPACK counts, LAWN 41). */
    double (*flops)(const op_case *c);
    /* Builds c->in[1..] (and c->ref) once c->in[0] holds the first input;
     * NULL when the op takes one matrix as it is. 0, or -1 with err. */
    int (*build)(op_case *c, char *err, size_t cap);
    /* Runs the op once on c->a[], creating the outputs (plain variant). */
    lapis_status (*run)(const op_case *c, lapis_array *out);
    /* Ratio of matrix `i` of the batch from the host copies of the
     * outputs; what it measures is `check_what`. NaN for a failed matrix. */
    double (*check)(const op_case *c, const tensor *out, int64_t i);
    const char *check_what;
    bool complex_ok;                /* takes complex64 / complex128 input      */
    const char *check_what_values;  /* check_what with --values-only, if any   */
    bool cpu_only; /* no GPU kernel yet: on a GPU stream lapis runs it on the host */
} op_entry;

extern const op_entry lapis_ops[];
extern const int lapis_nops;
const op_entry *ops_find(const char *name);

#endif
