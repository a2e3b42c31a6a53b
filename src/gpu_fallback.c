/*
 * The GPU fallback policy (SPEC §4): the switch and the counters. Compiled in
 * every build so that the public API exists without CUDA; the CUDA backend
 * (src/cuda/fallback.cu) does the work.
 */
#include <stdatomic.h>

#include "lapis.h"

static atomic_bool fallback_on;
static atomic_llong n_retried, n_fixed;

void lapis_set_gpu_fallback(bool enable) { atomic_store(&fallback_on, enable); }
bool lapis_gpu_fallback(void) { return atomic_load(&fallback_on); }

void lapis_gpu_fallback_counts(int64_t *retried, int64_t *fixed) {
    if (retried) *retried = (int64_t)atomic_load(&n_retried);
    if (fixed) *fixed = (int64_t)atomic_load(&n_fixed);
}

void lapis_gpu_fallback_reset_counts(void) {
    atomic_store(&n_retried, 0);
    atomic_store(&n_fixed, 0);
}

/* Called by the CUDA backend's host callbacks. */
void lapis_gpu_fallback_count_add(int64_t retried, int64_t fixed) {
    atomic_fetch_add(&n_retried, retried);
    atomic_fetch_add(&n_fixed, fixed);
}
