/*
 * lapis.h — batched dense linear algebra on the CPU and on NVIDIA GPUs.
 *
 * This header is the manual. Everything outside include/ is private.
 *
 * Conventions
 * -----------
 * - Arrays are opaque handles to row-major, contiguous, n-dimensional data
 *   (rank 0..LAPIS_MAX_NDIM). Every call that creates an array hands one
 *   reference to the caller, released with lapis_array_free(); freeing NULL is
 *   a no-op. Arrays are not tied to a device: with a GPU present the storage
 *   is CUDA managed memory, prefetched to wherever an op runs.
 * - Matrix ops act on the last two axes; all leading axes are batch axes.
 * - Argument order: outputs (pointers, marked OUT), inputs, options, stream.
 *   On success each output pointer receives a new array. On any error the
 *   output pointers are left untouched and no array is created.
 * - Every fallible call returns lapis_status; the detail is in the
 *   thread-local lapis_last_error(), starting with the op's name, e.g.
 *   "[linalg::cholesky] Cholesky decomposition is only defined for square
 *   matrices.". Argument checks run in MLX's order: device, dtype, ndim,
 *   square, the rest.
 * - Numerical failures (not positive definite, zero pivot, non-finite input,
 *   no convergence) never stop an op half-way and never synchronise the GPU:
 *     1. the `_ex` variants return an int32 `info` array of the batch shape:
 *        0 success, k > 0 the LAPACK meaning (order of the failing leading
 *        minor, 1-based index of the zero pivot or zero diagonal element),
 *        k < 0 one of the LAPIS_INFO_* codes below;
 *     2. the plain variants record the failure on the stream; it is returned
 *        by the next lapis_synchronize() of that stream or lapis_array_read()
 *        of a result, with a message naming the op, the batch element and the
 *        cause;
 *     3. a failed matrix's outputs are NaN, never half-written.
 *   As in MLX, lu, lu_factor, det and slogdet of a singular matrix are not
 *   failures (det 0; slogdet sign 0, logabsdet -inf). lu/lu_factor still
 *   report the zero pivot in `info` of lapis_linalg_lu_factor_ex.
 * - Streams: NULL means the default stream of the current default device.
 *   GPU work is asynchronous; CPU work runs in the calling thread.
 */
#ifndef LAPIS_H
#define LAPIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPIS_VERSION_MAJOR 0
#define LAPIS_VERSION_MINOR 1
#define LAPIS_VERSION_PATCH 0
#define LAPIS_VERSION_STRING "0.1.0"

#define LAPIS_MAX_NDIM 8

#if defined(__GNUC__) || defined(__clang__)
#define LAPIS_NODISCARD __attribute__((warn_unused_result))
#else
#define LAPIS_NODISCARD
#endif

#if defined(_WIN32)
#define LAPIS_API
#else
#define LAPIS_API __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

typedef enum lapis_status {
    LAPIS_OK = 0,
    LAPIS_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, bad option value        */
    LAPIS_ERR_SHAPE = 2,            /* ndim, non-square, mismatch, broadcast */
    LAPIS_ERR_DTYPE = 3,            /* dtype the op does not take            */
    LAPIS_ERR_UNSUPPORTED = 4,      /* device unavailable or op not built    */
    LAPIS_ERR_OUT_OF_MEMORY = 5,
    LAPIS_ERR_SINGULAR = 6,         /* exact zero pivot / zero diagonal      */
    LAPIS_ERR_NOT_POSITIVE_DEFINITE = 7,
    LAPIS_ERR_NO_CONVERGENCE = 8,
    LAPIS_ERR_NON_FINITE = 9,       /* NaN or Inf in an input matrix         */
    LAPIS_ERR_INTERNAL = 10         /* a bug or a CUDA/BLAS failure          */
} lapis_status;

/* Negative `info` values of the _ex variants. */
#define LAPIS_INFO_NON_FINITE (-1)     /* input held NaN or Inf            */
#define LAPIS_INFO_NO_CONVERGENCE (-2) /* an iteration hit its cap         */

/* A static, never-NULL name for a status ("LAPIS_ERR_SHAPE", ...). */
LAPIS_API const char *lapis_status_string(lapis_status st);

/* The message of the last failed call on this thread ("" if none). Valid
 * until the next lapis call on this thread. */
LAPIS_API const char *lapis_last_error(void);

/* ------------------------------------------------------------------------ */
/* Data types                                                                */
/* ------------------------------------------------------------------------ */

typedef enum lapis_dtype {
    LAPIS_BOOL = 0,
    LAPIS_INT32 = 1,
    LAPIS_UINT32 = 2,
    LAPIS_INT64 = 3,
    LAPIS_FLOAT32 = 4,
    LAPIS_FLOAT64 = 5,
    LAPIS_COMPLEX64 = 6,  /* interleaved (re, im) float32 */
    LAPIS_COMPLEX128 = 7  /* interleaved (re, im) float64 */
} lapis_dtype;

/* Bytes per element, or 0 for a value outside the enum. */
LAPIS_API size_t lapis_dtype_size(lapis_dtype dt);
/* "float32", ...; "unknown" for a value outside the enum. */
LAPIS_API const char *lapis_dtype_name(lapis_dtype dt);

/* ------------------------------------------------------------------------ */
/* Devices and streams                                                       */
/* ------------------------------------------------------------------------ */

typedef enum lapis_device_type { LAPIS_CPU = 0, LAPIS_GPU = 1 } lapis_device_type;

typedef struct lapis_device {
    lapis_device_type type;
    int index;
} lapis_device;

typedef struct lapis_stream_s *lapis_stream;

/* True when the device exists in this build and on this machine. */
LAPIS_API bool lapis_device_is_available(lapis_device d);
/* Number of devices of a type (CPU: 1). */
LAPIS_API int lapis_device_count(lapis_device_type type);

/* The process-wide default device: the GPU when one is available, else the
 * CPU. A thread-local scope pushed with lapis_push_default_device overrides
 * it on that thread until popped.
 * Errors: LAPIS_ERR_UNSUPPORTED (device not available). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_set_default_device(lapis_device d);
LAPIS_API lapis_device lapis_default_device(void);
/* Errors: LAPIS_ERR_UNSUPPORTED; LAPIS_ERR_INVALID_ARGUMENT when the scope
 * stack (depth 64) is full or, for pop, empty. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_push_default_device(lapis_device d);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_pop_default_device(void);

/* A new ordered queue on device d.
 * Errors: LAPIS_ERR_INVALID_ARGUMENT (out NULL), LAPIS_ERR_UNSUPPORTED,
 * LAPIS_ERR_OUT_OF_MEMORY, LAPIS_ERR_INTERNAL (CUDA failure). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_stream_new(lapis_stream *out, lapis_device d);
/* Waits for the stream's work, then releases it. NULL is a no-op; default
 * streams are never freed. */
LAPIS_API void lapis_stream_free(lapis_stream s);
/* The device a stream runs on (NULL: the default device). */
LAPIS_API lapis_device lapis_stream_device(lapis_stream s);
/* Waits for all work queued on s (NULL: the default stream of the default
 * device) and returns the first numerical failure recorded on it since the
 * last synchronize that has not already been returned, or LAPIS_OK. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_synchronize(lapis_stream s);

/* ------------------------------------------------------------------------ */
/* Arrays                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct lapis_array_s *lapis_array;

/* A new array holding a copy of `data` (row-major, shape[0..ndim), dtype).
 * `data` may be NULL only when the size is 0.
 * Errors: LAPIS_ERR_INVALID_ARGUMENT (out NULL, data NULL, shape NULL with
 * ndim > 0), LAPIS_ERR_SHAPE (ndim outside 0..8, negative dimension, size
 * overflowing int64 or size_t), LAPIS_ERR_DTYPE, LAPIS_ERR_OUT_OF_MEMORY. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_array_from_data(lapis_array *out, const void *data,
                                                             const int64_t *shape, int ndim,
                                                             lapis_dtype dtype);
/* A new zero-filled array. Errors as lapis_array_from_data. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_array_zeros(lapis_array *out, const int64_t *shape,
                                                         int ndim, lapis_dtype dtype);
/* Copies the array's data to dst (dst_bytes >= lapis_array_nbytes(a)),
 * waiting first for every pending write to it. If the op that produced `a`
 * recorded a numerical failure, the data (NaN in the failed matrices) is
 * still copied and that failure's status is returned with its message.
 * Errors: LAPIS_ERR_INVALID_ARGUMENT (NULL, dst too small; nothing copied). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_array_read(lapis_array a, void *dst, size_t dst_bytes);
LAPIS_API void lapis_array_free(lapis_array a);
LAPIS_API int lapis_array_ndim(lapis_array a);
LAPIS_API const int64_t *lapis_array_shape(lapis_array a);
LAPIS_API int64_t lapis_array_size(lapis_array a);
LAPIS_API size_t lapis_array_nbytes(lapis_array a);
LAPIS_API lapis_dtype lapis_array_dtype(lapis_array a);

/* ------------------------------------------------------------------------ */
/* Helpers to build inputs and check outputs                                 */
/* ------------------------------------------------------------------------ */

/* out = a @ b with NumPy matmul rules: 1-D operands are promoted and the
 * added axis removed; batch axes broadcast. Inputs are promoted to a common
 * float or complex dtype (integers and bool become float32).
 * Errors: LAPIS_ERR_INVALID_ARGUMENT, LAPIS_ERR_SHAPE (rank 0, inner
 * dimensions or batch broadcast mismatch), LAPIS_ERR_UNSUPPORTED. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_matmul(lapis_array *out, lapis_array a, lapis_array b,
                                                    lapis_stream s);
/* out = a with its last two axes swapped (ndim >= 2). Any dtype. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_transpose(lapis_array *out, lapis_array a,
                                                       lapis_stream s);
/* out = the n x m identity (m < 0 means m = n) of a float or complex dtype. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_eye(lapis_array *out, int64_t n, int64_t m,
                                                 lapis_dtype dtype);
/* out = a converted to dtype (C casts; complex to real keeps the real part). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_astype(lapis_array *out, lapis_array a,
                                                    lapis_dtype dtype, lapis_stream s);
/* out = standard normal samples (complex: re and im each of variance 1/2),
 * reproducible from `seed` on every device and machine. Float or complex. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_random_normal(lapis_array *out, const int64_t *shape,
                                                           int ndim, lapis_dtype dtype,
                                                           uint64_t seed);
/* *out = true when a and b broadcast together and every pair satisfies
 * |a - b| <= atol + rtol * |b| (NaN equal to nothing, as NumPy's default).
 * Waits for pending writes. Errors: LAPIS_ERR_INVALID_ARGUMENT. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_allclose(bool *out, lapis_array a, lapis_array b,
                                                      double rtol, double atol);

/* ------------------------------------------------------------------------ */
/* Linear algebra: the Cholesky / LU / triangular family                     */
/* ------------------------------------------------------------------------ */
/*
 * Common rules for the functions below:
 * - dtypes: float32, float64, complex64 and complex128 (an integer or bool
 *   input gives LAPIS_ERR_DTYPE, "Arrays must have type float32, float64,
 *   complex64 or complex128. Received array with type <dtype>."). Complex
 *   inputs run on the CPU even on a GPU stream (no GPU kernels yet); for
 *   them Lᵀ, Uᵀ and "symmetric" below read Lᴴ, Uᴴ and "Hermitian".
 * - `a` has ndim >= 2 (else LAPIS_ERR_SHAPE, "... Arrays must have >= 2
 *   dimensions. Received array with <n> dimensions.").
 * - Batch size 0 and n = 0 are valid and give empty outputs (det: 1).
 * - `s`: stream, NULL for the default. LAPIS_ERR_UNSUPPORTED when the
 *   stream's device is not available.
 * - LAPIS_ERR_OUT_OF_MEMORY when outputs or workspace cannot be allocated.
 */

/* Cholesky: A = L Lᵀ (upper = false) or A = Uᵀ U (upper = true).
 * a (..., N, N) symmetric positive definite; only the chosen triangle is
 * read. l (..., N, N): the factor, other triangle exactly 0.
 * info (..., N) int32 (batch shape): k > 0 the leading minor of order k is
 * not positive definite; LAPIS_INFO_NON_FINITE.
 * Plain variant: LAPIS_ERR_NOT_POSITIVE_DEFINITE / LAPIS_ERR_NON_FINITE are
 * recorded on the stream. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_cholesky(lapis_array *l, lapis_array a,
                                                             bool upper, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_cholesky_ex(lapis_array *l, lapis_array *info,
                                                                lapis_array a, bool upper,
                                                                lapis_stream s);

/* Inverse from a Cholesky factor: the input is L (upper = false, A = L Lᵀ)
 * or U (upper = true, A = Uᵀ U), only that triangle is read; ainv = A⁻¹,
 * full and symmetric. Complex: A = L Lᴴ (Uᴴ U), ainv Hermitian; the factor's
 * diagonal may be any nonzero complex numbers (lapis_linalg_cholesky gives
 * real ones). info: k > 0 the factor's diagonal element k is zero;
 * LAPIS_INFO_NON_FINITE. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_cholesky_inv(lapis_array *ainv, lapis_array l,
                                                                 bool upper, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_cholesky_inv_ex(lapis_array *ainv,
                                                                    lapis_array *info,
                                                                    lapis_array l, bool upper,
                                                                    lapis_stream s);

/* Cholesky with diagonal jitter, per matrix (SPEC §4), float32/float64 only
 * (complex: LAPIS_ERR_DTYPE): matrices whose
 * factorization fails are retried as A + δI with δ = 10^j · eps · mean|diag A|
 * (at least eps), j = 0, 1, ... up to `max_tries` tries (0: until δ passes
 * mean|diag A| / 10, i.e. 16 tries in float64 and 8 in float32); the
 * δ that succeeded is written to `jitter` (batch shape, the dtype of a; 0 for
 * matrices that needed none, NaN where every try failed, and then `info`
 * holds the last failure). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_cholesky_jitter(lapis_array *l,
                                                                    lapis_array *jitter,
                                                                    lapis_array *info,
                                                                    lapis_array a, bool upper,
                                                                    int max_tries,
                                                                    lapis_stream s);

/* Inverse of a square matrix, through LU with partial pivoting.
 * info: k > 0 U(k,k) is exactly zero (singular); LAPIS_INFO_NON_FINITE.
 * Plain variant records LAPIS_ERR_SINGULAR / LAPIS_ERR_NON_FINITE. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_inv(lapis_array *ainv, lapis_array a,
                                                        lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_inv_ex(lapis_array *ainv, lapis_array *info,
                                                           lapis_array a, lapis_stream s);

/* Inverse of a triangular matrix: reads only the chosen triangle, the other
 * triangle of ainv is exactly 0. info: k > 0 diagonal element k is zero. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_tri_inv(lapis_array *ainv, lapis_array a,
                                                            bool upper, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_tri_inv_ex(lapis_array *ainv,
                                                               lapis_array *info, lapis_array a,
                                                               bool upper, lapis_stream s);

/* x = A⁻¹ b by LU with partial pivoting and two triangular solves.
 * a (..., N, N); b (N,) is one vector shared by every matrix of a (x has
 * shape (..., N), as NumPy 2) or (..., N, K); the batch axes of a and b broadcast NumPy-style and x has the
 * broadcast batch shape. dtype: a float or complex, b promoted with a
 * (a real a with a complex b gives a complex x).
 * info has x's batch shape: k > 0 U(k,k) of the matching A is zero.
 * Errors as MLX: "[linalg::solve] First input must have >= 2 dimensions.",
 * "Second input must have >= 1 dimensions.", "First input must be a square
 * matrix.", "Last dimension of first input with shape ... must match second
 * to last dimension of second input with shape ...", "Input arrays must
 * promote to float32, float64, complex64 or complex128." (LAPIS_ERR_DTYPE), broadcast mismatch
 * (LAPIS_ERR_SHAPE). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_solve(lapis_array *x, lapis_array a,
                                                          lapis_array b, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_solve_ex(lapis_array *x, lapis_array *info,
                                                             lapis_array a, lapis_array b,
                                                             lapis_stream s);

/* x = A⁻¹ b for triangular A (only the chosen triangle is read), by forward
 * or back substitution. Shapes, broadcasting and errors as solve.
 * info: k > 0 diagonal element k of A is zero. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_solve_triangular(lapis_array *x,
                                                                     lapis_array a, lapis_array b,
                                                                     bool upper, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_solve_triangular_ex(
    lapis_array *x, lapis_array *info, lapis_array a, lapis_array b, bool upper, lapis_stream s);

/* LU with partial pivoting of a (..., M, N), any M and N, K = min(M, N):
 * p (..., M) uint32 row indices, l (..., M, K) unit lower, u (..., K, N)
 * upper, with A = L[P] @ U as MLX: row i of A is row p[i] of L times U
 * (take_along_axis(L, P[..., None], -2) @ U == A).
 * Singular matrices are not errors. NaN/Inf input: LAPIS_ERR_NON_FINITE
 * recorded, outputs NaN. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_lu(lapis_array *p, lapis_array *l,
                                                       lapis_array *u, lapis_array a,
                                                       lapis_stream s);

/* Packed LU: lu (..., M, N) with unit L below the diagonal and U on and
 * above it; pivots (..., K) uint32 0-based LAPACK ipiv: for i = 0..K-1 in
 * order, row i was swapped with row pivots[i].
 * info (_ex): k > 0 U(k,k) is exactly zero (the factorization is complete,
 * as LAPACK); LAPIS_INFO_NON_FINITE (outputs NaN). The plain variant
 * records only non-finite input. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_lu_factor(lapis_array *lu,
                                                              lapis_array *pivots, lapis_array a,
                                                              lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_lu_factor_ex(lapis_array *lu,
                                                                 lapis_array *pivots,
                                                                 lapis_array *info, lapis_array a,
                                                                 lapis_stream s);

/* Determinant, and sign with log|det|, of square a (..., N, N); outputs of
 * the batch shape. Integer and bool inputs are computed in float32. Complex
 * a (NumPy semantics): det and sign have a's dtype, sign = det / |det| a
 * complex number of modulus 1, logabsdet the real dtype.
 * Singular: det 0, sign 0, logabsdet -inf. N = 0: det 1, sign 1, logabs 0. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_det(lapis_array *d, lapis_array a,
                                                        lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_slogdet(lapis_array *sign,
                                                            lapis_array *logabsdet, lapis_array a,
                                                            lapis_stream s);

/* ------------------------------------------------------------------------ */
/* Linear algebra: the orthogonal and spectral family                        */
/* ------------------------------------------------------------------------ */
/*
 * Common rules for the functions below (besides those of the family above):
 * - dtypes: float32, float64, complex64 and complex128 unless a function
 *   says otherwise; anything else gives LAPIS_ERR_DTYPE ("[linalg::<op>]
 *   Arrays must have type float32, float64, complex64 or complex128.
 *   Received array with type <dtype>."). The "real dtype" of a dtype is
 *   float32 for float32/complex64 and float64 for float64/complex128.
 * - Batch axes: every matrix of the batch is independent. Batch size 0 and
 *   zero-size matrices are valid and follow NumPy (see each function).
 * - `info` (the _ex variants; int32, batch shape): 0 success,
 *   LAPIS_INFO_NON_FINITE (the matrix holds NaN or Inf; checked before any
 *   iterative LAPACK routine runs), LAPIS_INFO_NO_CONVERGENCE (the iteration
 *   failed, after a fallback to a second algorithm where there is one).
 *   Every output of a failed matrix is NaN. The plain variants record
 *   LAPIS_ERR_NON_FINITE / LAPIS_ERR_NO_CONVERGENCE on the stream instead.
 * - Devices: these ops have no GPU kernels yet. On a GPU stream they run
 *   on the CPU kernels over the same (managed) arrays: the call first waits
 *   for pending GPU writes to its inputs and returns when the results are
 *   written; failures are still recorded on the given stream.
 */

/* Reduced QR: A = Q R, K = min(M, N).
 * a (..., M, N), any M and N. q (..., M, K) with orthonormal columns
 * (Qᴴ Q = I); r (..., K, N) upper triangular (trapezoidal when M < N) with
 * exact zeros below the diagonal. LAPACK's sign convention: the diagonal of
 * R may be negative (also in the CPU's batched kernel for M, N <= 32). q may
 * be NULL: only R is computed (cheaper).
 * M or N = 0: empty Q and R of those shapes.
 * Errors: LAPIS_ERR_INVALID_ARGUMENT (r, a or info NULL), LAPIS_ERR_DTYPE,
 * LAPIS_ERR_SHAPE ("Arrays must have >= 2 dimensions. ..."). info:
 * LAPIS_INFO_NON_FINITE only. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_qr(lapis_array *q, lapis_array *r,
                                                       lapis_array a, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_qr_ex(lapis_array *q, lapis_array *r,
                                                          lapis_array *info, lapis_array a,
                                                          lapis_stream s);

/* Singular value decomposition A = U diag(S) Vᴴ (Vᴴ = Vᵀ for real dtypes),
 * through LAPACK's divide and conquer (gesdd) with QR iteration (gesvd) as
 * the fallback; on the CPU, real batches with max(M, N) <= 32 (float32) or
 * 24 (float64) use batched one-sided Jacobi instead (same contract; the
 * signs of singular vectors may differ from LAPACK's, as they are not
 * unique). a (..., M, N), any M and N, K = min(M, N).
 * sv (..., K) of the real dtype, descending. With full_matrices:
 * u (..., M, M), vt (..., N, N) (MLX's only form); without: u (..., M, K),
 * vt (..., K, N). u and vt NULL: values only (cheaper); one of them NULL:
 * both are computed and that one is dropped.
 * Zero-size (K = 0), as NumPy: sv empty; with full_matrices u = I_M and
 * vt = I_N (e.g. a (4, 0) gives U = I₄), else empty.
 * Errors: LAPIS_ERR_INVALID_ARGUMENT (sv or a NULL), LAPIS_ERR_DTYPE,
 * LAPIS_ERR_SHAPE ("Input array must have >= 2 dimensions. ..."). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_svd(lapis_array *u, lapis_array *sv,
                                                        lapis_array *vt, lapis_array a,
                                                        bool full_matrices, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_svd_ex(lapis_array *u, lapis_array *sv,
                                                           lapis_array *vt, lapis_array *info,
                                                           lapis_array a, bool full_matrices,
                                                           lapis_stream s);

/* Eigenvalues and eigenvectors of a real symmetric or complex Hermitian
 * matrix (syevd / heevd; on the CPU, real N <= 32 by batched kernels: Jacobi to
 * N = 6, Householder tridiagonalisation and implicit QR above):
 * A = V diag(W) Vᴴ.
 * a (..., N, N); only the lower (upper = false, NumPy's UPLO='L', the
 * default) or upper triangle is read, as NumPy; the imaginary parts of the
 * diagonal are ignored. w (..., N) of the real dtype, ascending; v (..., N,
 * N) of a's dtype, orthonormal eigenvectors as columns (A v[:, j] =
 * w[j] v[:, j]). N = 0: empty outputs.
 * Errors: LAPIS_ERR_INVALID_ARGUMENT, LAPIS_ERR_DTYPE, LAPIS_ERR_SHAPE
 * ("Arrays must have >= 2 dimensions. ...", "Only defined for square
 * matrices."). Non-finite input is looked for in the triangle read only. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eigh(lapis_array *w, lapis_array *v,
                                                         lapis_array a, bool upper,
                                                         lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eigh_ex(lapis_array *w, lapis_array *v,
                                                            lapis_array *info, lapis_array a,
                                                            bool upper, lapis_stream s);
/* Eigenvalues only (cheaper); as eigh. */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eigvalsh(lapis_array *w, lapis_array a,
                                                             bool upper, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eigvalsh_ex(lapis_array *w,
                                                                lapis_array *info,
                                                                lapis_array a, bool upper,
                                                                lapis_stream s);

/* Eigenvalues and right eigenvectors of a general square matrix (geev):
 * A v[:, j] = w[j] v[:, j]. a (..., N, N) real or complex. w (..., N) and
 * v (..., N, N) are complex: complex64 for float32/complex64 input,
 * complex128 for float64/complex128 (MLX always gives complex64). The
 * eigenvalues come in no particular order (LAPACK's; the two of a complex
 * conjugate pair of a real matrix are adjacent, positive imaginary part
 * first); each eigenvector has unit 2-norm and its largest component real.
 * v may be NULL in eig_ex (values only). N = 0: empty outputs.
 * Errors: as eigh ("[linalg::eig] Only defined for square matrices.",
 * "[linalg::eigvals] ..." for eigvals). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eig(lapis_array *w, lapis_array *v,
                                                        lapis_array a, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eig_ex(lapis_array *w, lapis_array *v,
                                                           lapis_array *info, lapis_array a,
                                                           lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_eigvals(lapis_array *w, lapis_array a,
                                                            lapis_stream s);

/* Moore-Penrose pseudo-inverse through the SVD, with MLX's cutoff: singular
 * values <= 10 * max(M, N) * eps * max(S) count as zero (eps of the real
 * dtype; not NumPy's default rcond). a (..., M, N) -> ainv (..., N, M).
 * Zero-size: an empty ainv of shape (..., N, M).
 * Errors: LAPIS_ERR_INVALID_ARGUMENT, LAPIS_ERR_DTYPE, LAPIS_ERR_SHAPE
 * ("Arrays must have >= 2 dimensions. ..."). Records non-finite input and
 * non-convergence as the _ex rules above (outputs NaN). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_pinv(lapis_array *ainv, lapis_array a,
                                                         lapis_stream s);

/* Least squares (MLX lacks it): the minimum-norm x minimizing ||A x - b||₂
 * for each column of b, through the SVD (gelsd), so any M and N, rank
 * deficient included.
 * a (..., M, N); b (M,) is one vector shared by every matrix of a (x has
 * shape (..., N)) or (..., M, K) (x (..., N, K)); the batch axes of a and b
 * broadcast NumPy-style, as in lapis_linalg_solve. dtypes: a and b promote to a float or complex dtype
 * (LAPIS_ERR_DTYPE otherwise).
 * lstsq_ex adds NumPy's other results, each optional (NULL: not computed):
 *   residuals (..., K) of the real dtype, the squared 2-norm of each column
 *             of b - A x, when M > N (for every matrix, rank deficient
 *             included, where NumPy gives an empty array); shape (..., 0)
 *             when M <= N. K = 1 for a vector b.
 *   rank      (...) int32, the effective rank: the number of singular
 *             values > rcond * max(S) (0 for a failed matrix).
 *   sv        (..., min(M, N)) of the real dtype, descending.
 *   info      (...) int32, as the rules above; NULL: failures are recorded
 *             on the stream as by lapis_linalg_lstsq.
 * rcond < 0 selects NumPy's default, eps * max(M, N); lapis_linalg_lstsq
 * uses it.
 * Errors: as solve, with prefix "[linalg::lstsq]": "First input must have
 * >= 2 dimensions.", "Second input must have >= 1 dimensions.", "Second
 * to last dimension of first input with shape ... must match ...", batch
 * broadcast mismatch (LAPIS_ERR_SHAPE), dtype (LAPIS_ERR_DTYPE). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_lstsq(lapis_array *x, lapis_array a,
                                                          lapis_array b, lapis_stream s);
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_lstsq_ex(lapis_array *x,
                                                             lapis_array *residuals,
                                                             lapis_array *rank, lapis_array *sv,
                                                             lapis_array *info, lapis_array a,
                                                             lapis_array b, double rcond,
                                                             lapis_stream s);

/* Which norm lapis_linalg_norm computes (MLX's `ord`). */
typedef enum lapis_norm_ord {
    LAPIS_NORM_DEFAULT = 0, /* ord=None: 2-norm of a vector, Frobenius of a
                               matrix, 2-norm of the flattened array when
                               no axes are given                          */
    LAPIS_NORM_P = 1,       /* the number p. Vector: 0 (count of nonzeros),
                               ±inf (max/min |x|), any other p
                               (sum |x|^p)^(1/p). Matrix: p = 1 / -1 max /
                               min column sum of |a|, 2 / -2 largest /
                               smallest singular value, ±inf max / min row
                               sum; any other p is an error              */
    LAPIS_NORM_FRO = 2,     /* 'fro': Frobenius (matrix only)             */
    LAPIS_NORM_NUC = 3,     /* 'nuc': sum of singular values (matrix only) */
    LAPIS_NORM_INF = 4,     /* same as LAPIS_NORM_P with p = +inf         */
    LAPIS_NORM_NEG_INF = 5  /* same as LAPIS_NORM_P with p = -inf         */
} lapis_norm_ord;

/* Vector or matrix norm, as MLX's linalg.norm (NumPy's rules).
 * axes[0..naxes) select the reduced axes (negative counts from the end);
 * axes NULL or naxes 0 means None: with LAPIS_NORM_DEFAULT the 2-norm of
 * the flattened array (any ndim), otherwise all axes, so `a` must be 1-D
 * (vector norm) or 2-D (matrix norm). One axis: a vector norm; two (in
 * either order; the first indexes rows): a matrix norm.
 * out: the remaining axes, or all axes with size 1 where reduced when
 * keepdims. dtype: the real dtype of a (integers and bool: float32).
 * Computed on the host without overflow or underflow: 2-norms and
 * Frobenius use a scaled sum of squares, p-norms scale by the largest (p >
 * 0) or smallest (p < 0) |x|; matrix ±2 and nuc use lapis_linalg_svd (on
 * the CPU when the stream's device has no SVD). NaN propagates; a NaN/Inf
 * matrix gives NaN for ±2 and nuc.
 * Empty vectors and matrices give 0 (nuc, fro, sums; p < 0 gives +inf),
 * except a max or min over an empty set (vector ±inf, matrix ±1 with no
 * columns, ±inf with no rows, ±2 with M or N = 0), which is an error as in
 * NumPy when the output is not empty.
 * Errors (LAPIS_ERR_INVALID_ARGUMENT unless said): "[linalg::norm] Received
 * too many axes for norm." (LAPIS_ERR_SHAPE), "Invalid ord <p> for matrix
 * norm.", "Norm 'fro' only supported for matrices, but received <k>
 * axis/axes." (also 'nuc'), axis out of bounds or repeated
 * (LAPIS_ERR_SHAPE), ord outside the enum, the empty max/min above
 * (LAPIS_ERR_SHAPE). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_norm(lapis_array *out, lapis_array a,
                                                         lapis_norm_ord ord, double p,
                                                         const int *axes, int naxes,
                                                         bool keepdims, lapis_stream s);

/* Cross product along `axis` (negative counts from the end, normalized for
 * each input) of vectors of size 2 or 3; a missing third component is 0, so
 * two 2-vectors give (0, 0, a0 b1 - a1 b0). As NumPy: the other axes of a
 * and b broadcast, and out has size 3 at position `axis` of the result.
 * dtype: promote(a, b), any dtype but bool (LAPIS_ERR_DTYPE); float32 is
 * computed in float64 and rounded, integers wrap around as NumPy's.
 * Errors: "[linalg::cross] Axis <ax> is out of bounds for array with <n>
 * dimensions." (LAPIS_ERR_SHAPE), "The specified axis must have size 2 or
 * 3." (LAPIS_ERR_SHAPE), broadcast mismatch (LAPIS_ERR_SHAPE). */
LAPIS_API LAPIS_NODISCARD lapis_status lapis_linalg_cross(lapis_array *out, lapis_array a,
                                                          lapis_array b, int axis,
                                                          lapis_stream s);

/* ------------------------------------------------------------------------ */
/* GPU: CPU float64 fallback for failed matrices (SPEC §4)                    */
/* ------------------------------------------------------------------------ */
/*
 * When enabled (process-wide, off by default), every GPU cholesky,
 * cholesky_inv, tri_inv, inv, solve and solve_triangular queues, on the same
 * stream right after its kernels, a host step that re-runs only the matrices
 * whose info is k > 0 (not positive definite, zero pivot or zero diagonal) on
 * the CPU in float64, from the original input, and writes the result back
 * (converted to the op's dtype) with info = 0 when the float64 run succeeds.
 * Matrices with NaN/Inf input (info < 0) are not retried. The op itself never
 * waits: the host step runs when the stream reaches it, and later work on the
 * stream, a lapis_synchronize() or a read of the outputs waits for it. For a
 * float32 batch this rescues matrices that are SPD or nonsingular in exact
 * arithmetic but fail in float32 rounding; for float64 it reports LAPACK's
 * verdict. The CPU-only build accepts the calls and never retries.
 */
LAPIS_API void lapis_set_gpu_fallback(bool enable);
LAPIS_API bool lapis_gpu_fallback(void);
/* Matrices re-run on the CPU since the last reset (retried) and those of them
 * that succeeded there (fixed). Either pointer may be NULL. Counts include
 * only host steps that have run (synchronize first for exact numbers). */
LAPIS_API void lapis_gpu_fallback_counts(int64_t *retried, int64_t *fixed);
LAPIS_API void lapis_gpu_fallback_reset_counts(void);

/* ------------------------------------------------------------------------ */
/* Build and runtime information                                             */
/* ------------------------------------------------------------------------ */

/* A static multi-line description: version, compiler, BLAS/LAPACK, CUDA,
 * devices, threads. */
LAPIS_API const char *lapis_build_info(void);
/* Freed array storage is cached for reuse (up to LAPIS_CACHE_MB megabytes,
 * default 1024; 0 disables the cache): fresh pages cost page faults on the
 * host and a device synchronisation (cudaFree) on the GPU. The CPU backend
 * also keeps its last large workspace (a big matrix's LAPACK copy), and the
 * GPU ops' workspaces come from a stream-ordered pool a device that keeps up
 * to the same limit of freed memory (the default pool gives it back at every
 * synchronisation). These return the cached blocks to the system and report
 * how many bytes are cached. */
LAPIS_API void lapis_memory_cache_clear(void);
LAPIS_API size_t lapis_memory_cache_bytes(void);
/* Threads used for CPU batches: LAPIS_NUM_THREADS, else the core count. */
LAPIS_API int lapis_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* LAPIS_H */
