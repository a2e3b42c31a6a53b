/*
 * Private front-end types: arrays, streams, failure records, the op context.
 */
#ifndef LAPIS_CORE_H
#define LAPIS_CORE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "lapis.h"

/* ---- errors ------------------------------------------------------------ */

/* Sets the thread-local message (printf format) and returns st. */
lapis_status lapis_fail(lapis_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lapis_clear_error(void);

/* ---- memory (registry.c: managed memory with a GPU, aligned host else) -- */

void *lapis_mem_alloc(size_t bytes);
/* Host memory, 64-byte aligned; from 4 MiB on, whole 2 MiB pages that the
 * kernel is asked to back with huge pages (madvise); free() releases it. */
void *lapis_host_alloc(size_t bytes);
void lapis_mem_free(void *p);
/* LAPIS_CACHE_MB in bytes (0: no caching). */
size_t lapis_mem_cache_limit(void);
/* The CPU backend's kept workspace (src/cpu/backend.c): bytes held, release. */
size_t lapis_cpu_workspace_kept(void);
void lapis_cpu_workspace_release(void);

/* ---- backends (registry.c) --------------------------------------------- */

const lapis_backend *lapis_backend_for(lapis_device d);
extern const lapis_backend lapis_cpu_backend;
/* "BLAS/LAPACK: ..." line for lapis_build_info (src/cpu). */
const char *lapis_cpu_blas_info(void);

/* ---- numerical failure records ---------------------------------------- */

typedef enum lapis_fail_kind {
    LAPIS_FAIL_CHOLESKY,   /* info k: leading minor of order k not PD      */
    LAPIS_FAIL_PIVOT,      /* info k: U(k,k) exactly zero                   */
    LAPIS_FAIL_TRIANGULAR, /* info k: diagonal element k of A is zero      */
    LAPIS_FAIL_NONFINITE   /* only info < 0 is a failure (lu, lu_factor)   */
} lapis_fail_kind;

/*
 * The info of one plain-variant op, checked lazily: held by the stream and by
 * every output until resolved and released. `info` is an owned buffer that
 * may still be written by in-flight GPU work until `event` completes.
 */
typedef struct lapis_check {
    atomic_int refs;
    char op[40];
    lapis_fail_kind kind;
    int32_t *info;
    int64_t batch;
    int batch_ndim;
    int64_t batch_shape[LAPIS_MAX_NDIM];
    const lapis_backend *be;
    void *event;
    pthread_mutex_t lock;
    bool resolved;
    atomic_bool reported; /* returned by a synchronize or a read already */
    lapis_status status;
    char msg[384];
} lapis_check;

void lapis_check_release(lapis_check *c);
/* Waits for the info and computes status/msg once. */
lapis_status lapis_check_resolve(lapis_check *c);

/* ---- arrays and streams ------------------------------------------------ */

struct lapis_array_s {
    lapis_dtype dtype;
    int ndim;
    int64_t shape[LAPIS_MAX_NDIM];
    int64_t size;
    size_t nbytes;
    void *data;
    /* pending GPU work: the last write and the last read of the data */
    const lapis_backend *write_be;
    void *write_event;
    const lapis_backend *use_be;
    void *use_event;
    lapis_check *check;
};

struct lapis_stream_s {
    lapis_device device;
    const lapis_backend *be;
    void *native;
    bool is_default;
    pthread_mutex_t lock;
    lapis_check **checks;
    int nchecks, cap;
};

/* Resolves NULL to the default stream of the default device; fails with
 * "[op] ..." when the device is not available. */
lapis_status lapis_stream_resolve(lapis_stream s, const char *op, lapis_stream *out);

/* Allocates an uninitialised array (size 0 allocates nothing). */
lapis_status lapis_array_alloc(lapis_array *out, const int64_t *shape, int ndim, lapis_dtype dt);
/* Host access: waits for pending GPU writes (and, if for_write, reads). */
lapis_status lapis_array_host_wait(lapis_array a, bool for_write);

/* ---- the op context ------------------------------------------------------ */

/*
 * Every op: begin (resolve the stream), use (order inputs after their
 * writers, prefetch), new_output (allocate), end (record the outputs'
 * write event, attach a check). ctx.ex is what kernels receive.
 */
#define LAPIS_OP_MAX_MADE 32
typedef struct lapis_op {
    const char *name; /* "linalg::cholesky" */
    lapis_stream stream;
    const lapis_backend *be;
    lapis_exec ex;
    /* every array new_output allocated: lapis_op_end marks all of them
     * written by the op, temporaries and info included, so that freeing one
     * or reading its info waits for the kernels that use it */
    lapis_array made[LAPIS_OP_MAX_MADE];
    int nmade;
} lapis_op;

lapis_status lapis_op_begin(lapis_op *op, const char *name, lapis_stream s);
/* For ops without a kernel on the stream's device yet: run on the CPU
 * backend instead, after the inputs' pending GPU writes (lapis_op_use then
 * waits on the host). Failure records still go to the caller's stream. */
void lapis_op_fall_back_to_cpu(lapis_op *op);
lapis_status lapis_op_use(lapis_op *op, lapis_array a);
lapis_status lapis_op_new_output(lapis_op *op, lapis_array *out, const int64_t *shape, int ndim,
                                 lapis_dtype dt);
/* Called after the kernels were queued: marks the outputs and every array
 * the op allocated as written by it, and the inputs as used by it. No array
 * the op allocated may be freed between new_output and end. */
lapis_status lapis_op_end(lapis_op *op, lapis_array *outs, int nouts, lapis_array *ins, int nins);
/*
 * Plain variants: takes ownership of the int32 `info` array's reference and
 * attaches a failure record to the stream and to each output.
 */
lapis_status lapis_op_attach_check(lapis_op *op, lapis_array info, lapis_fail_kind kind,
                                   lapis_array *outs, int nouts);

/* ---- small shared helpers ------------------------------------------------ */

bool lapis_dtype_valid(lapis_dtype dt);
bool lapis_dtype_is_float(lapis_dtype dt);   /* float32 or float64 */
bool lapis_dtype_is_complex(lapis_dtype dt);
bool lapis_dtype_is_inexact(lapis_dtype dt); /* float or complex */
/* NumPy-like promotion restricted to lapis dtypes. */
lapis_dtype lapis_dtype_promote(lapis_dtype a, lapis_dtype b);
/* Number of threads for CPU loops. */
int lapis_threads(void);
/* "(2, 3, 4)" into buf. */
const char *lapis_shape_str(char *buf, size_t cap, const int64_t *shape, int ndim);
/* Product of shape[0..ndim), 1 for ndim 0. */
int64_t lapis_shape_prod(const int64_t *shape, int ndim);

/*
 * NumPy batch broadcasting of two batch shapes into out; builds the two
 * operand maps. Returns false when they do not broadcast.
 */
bool lapis_broadcast_batch(const int64_t *sa, int na, const int64_t *sb, int nb,
                           int64_t *out, int *nout, lapis_bmap *ma, lapis_bmap *mb);

#endif /* LAPIS_CORE_H */
