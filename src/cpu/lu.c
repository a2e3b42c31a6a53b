/* CPU LU family: getrf/getri plus row-major triangular solves (complex
 * types: LAPACK works in per-thread workspace only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "small.h"

/* getrf_rows's panel widths, where lapis_cpu_lu_panels set them (tests) */
static int lu_panels_nb, lu_panels_nbi;
void lapis_cpu_lu_panels(int nb, int nbi) {
    lu_panels_nb = nb > 0 ? nb : 0;
    lu_panels_nbi = nbi > 0 ? nbi : 0;
}

/* Elements of a panel's row interchanges from which getrf_rows spreads them
 * over threads: a thread costs ~26 us to start here, worth it from about
 * 2^18 (n = 4000, panels of 192: 7.3e5; n = 2000, panels of 64: 1.2e5). */
#define LU_SWAPS_PAR_MIN ((int64_t)1 << 18)
static int64_t lu_swaps_par_min = LU_SWAPS_PAR_MIN;
void lapis_cpu_lu_swaps_par_min(int64_t elems) {
    lu_swaps_par_min = elems > 0 ? elems : LU_SWAPS_PAR_MIN;
}

#define LAPIS_FAMILY_BODY "lu_t.h"
#include "family_types.h"

#define DISPATCH(fn, p, ex) LAPIS_FAMILY_DISPATCH(fn, p, ex)

lapis_status lapis_cpu_lu_factor(const lapis_factor_args *p, const lapis_exec *ex) {
    if (p->m == p->n && lapis_small_fits(LAPIS_SMALL_LU_FACTOR, p->dtype, p->n))
        return lapis_small_lu_factor(p, ex);
    DISPATCH(lu_factor, p, ex)
}
lapis_status lapis_cpu_lu_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_LU_SOLVE, p->dtype, p->n)) return lapis_small_lu_solve(p, ex);
    DISPATCH(lu_solve, p, ex)
}
lapis_status lapis_cpu_inv(const lapis_factor_args *p, const lapis_exec *ex) {
    if (lapis_small_fits(LAPIS_SMALL_INV, p->dtype, p->n)) return lapis_small_inv(p, ex);
    DISPATCH(inv, p, ex)
}
lapis_status lapis_cpu_det(const lapis_det_args *p, const lapis_exec *ex) { DISPATCH(det, p, ex) }
lapis_status lapis_cpu_lu_unpack(const lapis_lu_unpack_args *p, const lapis_exec *ex) {
    DISPATCH(lu_unpack, p, ex)
}

/* Fused solve (the backend's `solve` slot): small orders factor and solve each
 * group of matrices in registers-sized lanes; larger distinct matrices go
 * through getrf + getrs on Aᵀ (no transposes of A); when A is broadcast,
 * lu_factor each distinct A once, then lu_solve. */
lapis_status lapis_cpu_solve(const lapis_solve_args *p, const lapis_exec *ex) {
    if (p->amap.ndim == 0 && lapis_small_fits(LAPIS_SMALL_SOLVE, p->dtype, p->n))
        return lapis_small_solve(p, ex);
    if (p->amap.ndim == 0) {
        DISPATCH(solve, p, ex)
    }
    int64_t na = p->batch, n = p->n;
    if (p->amap.ndim) {
        na = 1;
        for (int d = 0; d < p->amap.ndim; d++)
            if (p->amap.stride[d]) na *= p->amap.dim[d];
    }
    size_t es = lapis_dtype_size(p->dtype);
    void *lu = malloc((size_t)(na * n * n) * es + 1);
    uint32_t *ipiv = malloc((size_t)(na * n) * sizeof *ipiv + 1);
    int32_t *ainfo = malloc((size_t)na * sizeof *ainfo + 1);
    lapis_status st = LAPIS_OK;
    if (!lu || !ipiv || !ainfo) {
        st = lapis_fail(LAPIS_ERR_OUT_OF_MEMORY, "Cannot allocate the LU of the solve.");
        goto done;
    }
    lapis_factor_args f = {.dtype = p->dtype, .m = n, .n = n, .batch = na, .a = p->a, .out = lu,
                           .ipiv = ipiv, .info = ainfo};
    if ((st = lapis_cpu_lu_factor(&f, ex))) goto done;
    lapis_solve_args s = *p;
    s.a = lu;
    s.ipiv = ipiv;
    s.ainfo = ainfo;
    st = lapis_cpu_lu_solve(&s, ex);
done:
    free(ainfo);
    free(ipiv);
    free(lu);
    return st;
}
