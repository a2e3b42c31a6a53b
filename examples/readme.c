/* The README's example: factor a batch of SPD matrices and solve with them. */
#include <stdio.h>

#include "lapis.h"

int main(void) {
    /* Two 2x2 SPD matrices (a batch of 2) and one right-hand side each. */
    double a[2][2][2] = {{{4, 2}, {2, 3}}, {{9, 3}, {3, 5}}}, b[2][2][1] = {{{6}, {5}}, {{12}, {8}}};
    int64_t sa[3] = {2, 2, 2}, sb[3] = {2, 2, 1};
    lapis_array A = NULL, B = NULL, L = NULL, X = NULL;
    double l[8], x[4];
    lapis_status st;
    if ((st = lapis_array_from_data(&A, a, sa, 3, LAPIS_FLOAT64)) ||
        (st = lapis_array_from_data(&B, b, sb, 3, LAPIS_FLOAT64)) ||
        (st = lapis_linalg_cholesky(&L, A, false, NULL)) ||  /* A = L Lᵀ      */
        (st = lapis_linalg_solve(&X, A, B, NULL)) ||         /* X = A⁻¹ B     */
        (st = lapis_array_read(L, l, sizeof l)) ||           /* waits; reports */
        (st = lapis_array_read(X, x, sizeof x)))             /* failures here  */
        fprintf(stderr, "%s: %s\n", lapis_status_string(st), lapis_last_error());
    else
        printf("L[0] = [%g 0; %g %g], x = [%g %g], [%g %g]\n", l[0], l[2], l[3], x[0], x[1],
               x[2], x[3]);
    lapis_array_free(A), lapis_array_free(B), lapis_array_free(L), lapis_array_free(X);
    return st == LAPIS_OK ? 0 : 1;
}
