/* Solve a batch of linear systems and check the residual. */
#include <math.h>
#include <stdio.h>

#include "lapis.h"

#define CHECK(call)                                                                  \
    do {                                                                             \
        lapis_status st_ = (call);                                                   \
        if (st_) {                                                                   \
            fprintf(stderr, "%s: %s\n", lapis_status_string(st_), lapis_last_error()); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

int main(void) {
    /* Two 3x3 systems A x = b. */
    double a[2][3][3] = {{{4, 1, 0}, {1, 3, 1}, {0, 1, 2}}, {{2, -1, 0}, {-1, 2, -1}, {0, -1, 2}}};
    double b[2][3][1] = {{{1}, {2}, {3}}, {{1}, {0}, {1}}};
    int64_t sa[3] = {2, 3, 3}, sb[3] = {2, 3, 1};
    lapis_array A, B, X, AX;
    CHECK(lapis_array_from_data(&A, a, sa, 3, LAPIS_FLOAT64));
    CHECK(lapis_array_from_data(&B, b, sb, 3, LAPIS_FLOAT64));
    CHECK(lapis_linalg_solve(&X, A, B, NULL));
    CHECK(lapis_matmul(&AX, A, X, NULL));
    double x[6], ax[6];
    CHECK(lapis_array_read(X, x, sizeof x));
    CHECK(lapis_array_read(AX, ax, sizeof ax));
    double worst = 0;
    for (int i = 0; i < 6; i++) worst = fmax(worst, fabs(ax[i] - ((double *)b)[i]));
    printf("x = [%g %g %g], [%g %g %g]; max |Ax - b| = %.2e\n", x[0], x[1], x[2], x[3], x[4],
           x[5], worst);
    lapis_array_free(A);
    lapis_array_free(B);
    lapis_array_free(X);
    lapis_array_free(AX);
    return worst < 1e-12 ? 0 : 1;
}
