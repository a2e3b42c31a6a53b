/* Status names and the thread-local last-error message. */
#include <stdio.h>
#include <string.h>

#include "core.h"

static _Thread_local char last_error[512];

lapis_status lapis_fail(lapis_status st, const char *fmt, ...) {
    /* Callers often pass lapis_last_error() as an argument to prefix it:
     * format into a copy, as vsnprintf's source and destination may not overlap. */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return st;
}

void lapis_clear_error(void) { last_error[0] = '\0'; }

const char *lapis_last_error(void) { return last_error; }

const char *lapis_status_string(lapis_status st) {
    switch (st) {
    case LAPIS_OK: return "LAPIS_OK";
    case LAPIS_ERR_INVALID_ARGUMENT: return "LAPIS_ERR_INVALID_ARGUMENT";
    case LAPIS_ERR_SHAPE: return "LAPIS_ERR_SHAPE";
    case LAPIS_ERR_DTYPE: return "LAPIS_ERR_DTYPE";
    case LAPIS_ERR_UNSUPPORTED: return "LAPIS_ERR_UNSUPPORTED";
    case LAPIS_ERR_OUT_OF_MEMORY: return "LAPIS_ERR_OUT_OF_MEMORY";
    case LAPIS_ERR_SINGULAR: return "LAPIS_ERR_SINGULAR";
    case LAPIS_ERR_NOT_POSITIVE_DEFINITE: return "LAPIS_ERR_NOT_POSITIVE_DEFINITE";
    case LAPIS_ERR_NO_CONVERGENCE: return "LAPIS_ERR_NO_CONVERGENCE";
    case LAPIS_ERR_NON_FINITE: return "LAPIS_ERR_NON_FINITE";
    case LAPIS_ERR_INTERNAL: return "LAPIS_ERR_INTERNAL";
    }
    return "LAPIS_ERR_UNKNOWN";
}
