/* A program outside the lapis tree, built against the installed library
 * (see CMakeLists.txt and Makefile beside it). */
#include <math.h>
#include <stdio.h>

#include <lapis.h>

int main(void) {
    /* A 3x3 singular PSD matrix: plain Cholesky fails, the jittered one
     * succeeds and reports the shift it needed. */
    double a[9] = {1, 1, 0, 1, 1, 0, 0, 0, 1};
    int64_t shape[2] = {3, 3};
    lapis_array A = NULL, L = NULL, J = NULL, info = NULL;
    double delta = NAN;
    int rc = 1;
    lapis_status st = lapis_array_from_data(&A, a, shape, 2, LAPIS_FLOAT64);
    if (!st) st = lapis_linalg_cholesky_jitter(&L, &J, &info, A, false, 0, NULL);
    if (!st) st = lapis_array_read(J, &delta, sizeof delta);
    if (st) {
        fprintf(stderr, "%s: %s\n", lapis_status_string(st), lapis_last_error());
    } else {
        printf("lapis %s: cholesky of a singular PSD matrix needed delta = %.3g\n",
               LAPIS_VERSION_STRING, delta);
        rc = delta > 0 && delta < 1e-6 ? 0 : 1;
    }
    lapis_array_free(A), lapis_array_free(L), lapis_array_free(J), lapis_array_free(info);
    return rc;
}
