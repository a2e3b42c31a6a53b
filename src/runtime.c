/* Devices, default-device scopes, streams, failure records, the op context. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* ---- devices ------------------------------------------------------------ */

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static lapis_device global_default;
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

#define SCOPE_DEPTH 64
static _Thread_local lapis_device scope[SCOPE_DEPTH];
static _Thread_local int scope_top;

static void init_default(void) {
    lapis_device gpu = {LAPIS_GPU, 0};
    global_default = lapis_device_is_available(gpu) ? gpu : (lapis_device){LAPIS_CPU, 0};
}

bool lapis_device_is_available(lapis_device d) {
    if (d.index < 0 || d.index >= lapis_device_count(d.type)) return false;
    return lapis_backend_for(d) != NULL;
}

static const char *device_name(lapis_device d) { return d.type == LAPIS_GPU ? "gpu" : "cpu"; }

static lapis_status check_available(const char *op, lapis_device d) {
    if (lapis_device_is_available(d)) return LAPIS_OK;
    return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] Device %s:%d is not available%s.", op,
                      device_name(d), d.index,
                      d.type == LAPIS_GPU ? " (no CUDA device, or built without CUDA)" : "");
}

lapis_status lapis_set_default_device(lapis_device d) {
    lapis_status st = check_available("set_default_device", d);
    if (st) return st;
    pthread_once(&default_once, init_default);
    pthread_mutex_lock(&global_lock);
    global_default = d;
    pthread_mutex_unlock(&global_lock);
    return LAPIS_OK;
}

lapis_device lapis_default_device(void) {
    if (scope_top > 0) return scope[scope_top - 1];
    pthread_once(&default_once, init_default);
    pthread_mutex_lock(&global_lock);
    lapis_device d = global_default;
    pthread_mutex_unlock(&global_lock);
    return d;
}

lapis_status lapis_push_default_device(lapis_device d) {
    lapis_status st = check_available("push_default_device", d);
    if (st) return st;
    if (scope_top == SCOPE_DEPTH)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT,
                          "[push_default_device] Scope stack is full (depth %d).", SCOPE_DEPTH);
    scope[scope_top++] = d;
    return LAPIS_OK;
}

lapis_status lapis_pop_default_device(void) {
    if (scope_top == 0)
        return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT,
                          "[pop_default_device] No default-device scope to pop.");
    scope_top--;
    return LAPIS_OK;
}

/* ---- streams ------------------------------------------------------------- */

#define MAX_GPUS 16
static struct lapis_stream_s cpu_default = {.device = {LAPIS_CPU, 0},
                                            .be = &lapis_cpu_backend,
                                            .is_default = true,
                                            .lock = PTHREAD_MUTEX_INITIALIZER};
static struct lapis_stream_s gpu_default[MAX_GPUS];
static pthread_mutex_t gpu_default_lock = PTHREAD_MUTEX_INITIALIZER;

static lapis_status stream_init(struct lapis_stream_s *s, lapis_device d, const char *op) {
    memset(s, 0, sizeof *s);
    s->device = d;
    s->be = lapis_backend_for(d);
    pthread_mutex_init(&s->lock, NULL);
    if (s->be->stream_new) {
        lapis_status st = s->be->stream_new(&s->native);
        if (st) return lapis_fail(st, "[%s] Cannot create a stream: %s", op, lapis_last_error());
    }
    return LAPIS_OK;
}

static lapis_status default_stream(lapis_device d, const char *op, lapis_stream *out) {
    lapis_status st = check_available(op, d);
    if (st) return st;
    if (d.type == LAPIS_CPU) {
        *out = &cpu_default;
        return LAPIS_OK;
    }
    if (d.index >= MAX_GPUS) return lapis_fail(LAPIS_ERR_UNSUPPORTED, "[%s] GPU index too large.", op);
    pthread_mutex_lock(&gpu_default_lock);
    struct lapis_stream_s *s = &gpu_default[d.index];
    if (!s->be) {
        st = stream_init(s, d, op);
        if (st) s->be = NULL;
        else s->is_default = true;
    }
    pthread_mutex_unlock(&gpu_default_lock);
    if (st) return st;
    *out = s;
    return LAPIS_OK;
}

lapis_status lapis_stream_resolve(lapis_stream s, const char *op, lapis_stream *out) {
    if (s) {
        *out = s;
        return LAPIS_OK;
    }
    return default_stream(lapis_default_device(), op, out);
}

lapis_status lapis_stream_new(lapis_stream *out, lapis_device d) {
    if (!out) return lapis_fail(LAPIS_ERR_INVALID_ARGUMENT, "[stream_new] out is NULL.");
    lapis_status st = check_available("stream_new", d);
    if (st) return st;
    struct lapis_stream_s *s = malloc(sizeof *s);
    if (!s) return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[stream_new] Out of memory.");
    st = stream_init(s, d, "stream_new");
    if (st) {
        free(s);
        return st;
    }
    *out = s;
    return LAPIS_OK;
}

static void drop_checks(lapis_stream s) {
    for (int i = 0; i < s->nchecks; i++) lapis_check_release(s->checks[i]);
    s->nchecks = 0;
}

void lapis_stream_free(lapis_stream s) {
    if (!s || s->is_default) return;
    if (s->be->stream_synchronize) (void)s->be->stream_synchronize(s->native);
    if (s->be->stream_free) s->be->stream_free(s->native);
    drop_checks(s);
    free(s->checks);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

lapis_device lapis_stream_device(lapis_stream s) { return s ? s->device : lapis_default_device(); }

lapis_status lapis_synchronize(lapis_stream s) {
    lapis_status st = lapis_stream_resolve(s, "synchronize", &s);
    if (st) return st;
    if (s->be->stream_synchronize) {
        st = s->be->stream_synchronize(s->native);
        if (st) return lapis_fail(st, "[synchronize] %s", lapis_last_error());
    }
    pthread_mutex_lock(&s->lock);
    lapis_check **checks = s->checks;
    int n = s->nchecks;
    s->checks = NULL;
    s->nchecks = s->cap = 0;
    pthread_mutex_unlock(&s->lock);
    lapis_status first = LAPIS_OK;
    char msg[sizeof checks[0]->msg];
    for (int i = 0; i < n; i++) {
        lapis_status cs = lapis_check_resolve(checks[i]);
        if (cs && !first && !atomic_exchange(&checks[i]->reported, true)) {
            first = cs;
            memcpy(msg, checks[i]->msg, sizeof msg);
        }
        lapis_check_release(checks[i]);
    }
    free(checks);
    if (first) return lapis_fail(first, "%s", msg);
    return LAPIS_OK;
}

/* ---- failure records ----------------------------------------------------- */

void lapis_check_release(lapis_check *c) {
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    if (c->event) {
        (void)c->be->event_synchronize(c->event);
        c->be->event_free(c->event);
    }
    lapis_mem_free(c->info);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void batch_index_str(char *buf, size_t cap, const lapis_check *c, int64_t i) {
    if (c->batch_ndim <= 1) {
        snprintf(buf, cap, "%lld", (long long)i);
        return;
    }
    int64_t idx[LAPIS_MAX_NDIM];
    for (int d = c->batch_ndim - 1; d >= 0; d--) {
        idx[d] = i % c->batch_shape[d];
        i /= c->batch_shape[d];
    }
    lapis_shape_str(buf, cap, idx, c->batch_ndim);
}

lapis_status lapis_check_resolve(lapis_check *c) {
    pthread_mutex_lock(&c->lock);
    if (c->resolved) {
        pthread_mutex_unlock(&c->lock);
        return c->status;
    }
    lapis_status st = LAPIS_OK;
    if (c->event) st = c->be->event_synchronize(c->event);
    if (st) {
        c->status = st;
        snprintf(c->msg, sizeof c->msg, "[%s] %s", c->op, lapis_last_error());
    }
    for (int64_t i = 0; !st && i < c->batch; i++) {
        int32_t k = c->info[i];
        if (k == 0 || (k > 0 && c->kind == LAPIS_FAIL_NONFINITE)) continue;
        char where[160];
        batch_index_str(where, sizeof where, c, i);
        const char *pre = c->batch_ndim ? "(batch element " : "";
        const char *post = c->batch_ndim ? ") " : "";
        if (k == LAPIS_INFO_NON_FINITE) {
            st = LAPIS_ERR_NON_FINITE;
            snprintf(c->msg, sizeof c->msg, "[%s] %s%s%sThe input matrix contains NaN or Inf.",
                     c->op, pre, c->batch_ndim ? where : "", post);
        } else if (k == LAPIS_INFO_NO_CONVERGENCE) {
            st = LAPIS_ERR_NO_CONVERGENCE;
            snprintf(c->msg, sizeof c->msg, "[%s] %s%s%sThe algorithm did not converge.", c->op,
                     pre, c->batch_ndim ? where : "", post);
        } else if (c->kind == LAPIS_FAIL_CHOLESKY) {
            st = LAPIS_ERR_NOT_POSITIVE_DEFINITE;
            snprintf(c->msg, sizeof c->msg,
                     "[%s] %s%s%sThe factorization could not be completed because the input is "
                     "not positive-definite (the leading minor of order %d is not "
                     "positive-definite).",
                     c->op, pre, c->batch_ndim ? where : "", post, (int)k);
        } else if (c->kind == LAPIS_FAIL_PIVOT) {
            st = LAPIS_ERR_SINGULAR;
            snprintf(c->msg, sizeof c->msg,
                     "[%s] %s%s%sThe matrix is singular: U(%d,%d) of its LU factorization is "
                     "exactly zero.",
                     c->op, pre, c->batch_ndim ? where : "", post, (int)k, (int)k);
        } else {
            st = LAPIS_ERR_SINGULAR;
            snprintf(c->msg, sizeof c->msg,
                     "[%s] %s%s%sThe triangular matrix is singular: its diagonal element %d is "
                     "zero.",
                     c->op, pre, c->batch_ndim ? where : "", post, (int)k);
        }
    }
    c->status = st;
    c->resolved = true;
    pthread_mutex_unlock(&c->lock);
    return st;
}

/* ---- the op context ------------------------------------------------------ */

lapis_status lapis_op_begin(lapis_op *op, const char *name, lapis_stream s) {
    op->name = name;
    lapis_status st = lapis_stream_resolve(s, name, &op->stream);
    if (st) return st;
    if (!lapis_device_is_available(op->stream->device)) return check_available(name, op->stream->device);
    op->be = op->stream->be;
    op->nmade = 0;
    op->ex.stream = op->stream->native;
    op->ex.nthreads = lapis_threads();
    return LAPIS_OK;
}

void lapis_op_fall_back_to_cpu(lapis_op *op) {
    op->be = &lapis_cpu_backend;
    op->ex.stream = NULL;
}

lapis_status lapis_op_use(lapis_op *op, lapis_array a) {
    if (!a->nbytes) return LAPIS_OK;
    lapis_status st = LAPIS_OK;
    if (op->be->event_wait) {
        /* GPU op: order after the last writer, move pages here. */
        if (a->write_event) {
            if (a->write_be == op->be) st = op->be->event_wait(op->ex.stream, a->write_event);
            else st = a->write_be->event_synchronize(a->write_event);
        }
        if (!st && op->be->prefetch) st = op->be->prefetch(a->data, a->nbytes, op->ex.stream);
    } else {
        st = lapis_array_host_wait(a, false);
    }
    if (st) return lapis_fail(st, "[%s] %s", op->name, lapis_last_error());
    return LAPIS_OK;
}

lapis_status lapis_op_new_output(lapis_op *op, lapis_array *out, const int64_t *shape, int ndim,
                                 lapis_dtype dt) {
    lapis_status st = lapis_array_alloc(out, shape, ndim, dt);
    if (st) return lapis_fail(st, "[%s] Cannot allocate the output: %s", op->name,
                              lapis_last_error());
    if (op->nmade == LAPIS_OP_MAX_MADE) {
        lapis_array_free(*out);
        return lapis_fail(LAPIS_ERR_INTERNAL, "[%s] Too many arrays in one op.", op->name);
    }
    if (op->be->prefetch && (*out)->nbytes) {
        st = op->be->prefetch((*out)->data, (*out)->nbytes, op->ex.stream);
        if (st) {
            lapis_array_free(*out);
            return lapis_fail(st, "[%s] %s", op->name, lapis_last_error());
        }
    }
    op->made[op->nmade++] = *out;
    return LAPIS_OK;
}

lapis_status lapis_op_end(lapis_op *op, lapis_array *outs, int nouts, lapis_array *ins, int nins) {
    if (!op->be->event_record) return LAPIS_OK;
    lapis_status st = LAPIS_OK;
    for (int i = 0; !st && i < nouts + op->nmade; i++) {
        lapis_array o = i < nouts ? outs[i] : op->made[i - nouts];
        if (!o || !o->nbytes) continue;
        o->write_be = op->be;
        st = op->be->event_record(&o->write_event, op->ex.stream);
    }
    for (int i = 0; !st && i < nins; i++) {
        if (!ins[i] || !ins[i]->nbytes) continue;
        if (ins[i]->use_event && ins[i]->use_be != op->be) {
            (void)ins[i]->use_be->event_synchronize(ins[i]->use_event);
            ins[i]->use_be->event_free(ins[i]->use_event);
            ins[i]->use_event = NULL;
        }
        ins[i]->use_be = op->be;
        st = op->be->event_record(&ins[i]->use_event, op->ex.stream);
    }
    if (st) return lapis_fail(st, "[%s] %s", op->name, lapis_last_error());
    return LAPIS_OK;
}

lapis_status lapis_op_attach_check(lapis_op *op, lapis_array info, lapis_fail_kind kind,
                                   lapis_array *outs, int nouts) {
    lapis_check *c = calloc(1, sizeof *c);
    if (!c) {
        lapis_array_free(info);
        return lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "[%s] Out of memory.", op->name);
    }
    snprintf(c->op, sizeof c->op, "%s", op->name);
    c->kind = kind;
    c->batch = info->size;
    c->batch_ndim = info->ndim;
    memcpy(c->batch_shape, info->shape, sizeof c->batch_shape);
    c->be = op->be;
    pthread_mutex_init(&c->lock, NULL);
    /* Steal the info storage and its write event. */
    c->info = info->data;
    c->event = info->write_event;
    info->data = NULL;
    info->nbytes = 0;
    info->write_event = NULL;
    if (info->use_event) {
        info->use_be->event_free(info->use_event);
        info->use_event = NULL;
    }
    lapis_array_free(info);
    if (!c->event) {
        /* CPU: resolve now, nothing is in flight. */
        (void)lapis_check_resolve(c);
        if (c->status == LAPIS_OK) {
            lapis_mem_free(c->info);
            c->info = NULL;
            pthread_mutex_destroy(&c->lock);
            free(c);
            return LAPIS_OK;
        }
    }
    atomic_init(&c->refs, 1 + nouts);
    for (int i = 0; i < nouts; i++) outs[i]->check = c;
    lapis_stream s = op->stream;
    pthread_mutex_lock(&s->lock);
    if (s->nchecks == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        lapis_check **p = realloc(s->checks, (size_t)cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&s->lock);
            atomic_fetch_sub(&c->refs, 1); /* the outputs keep it */
            return LAPIS_OK;
        }
        s->checks = p;
        s->cap = cap;
    }
    s->checks[s->nchecks++] = c;
    pthread_mutex_unlock(&s->lock);
    return LAPIS_OK;
}
