/* CPU orthogonal and spectral family: LAPACK prototypes and kernels. */
#ifndef LAPIS_CPU_SPECTRAL_H
#define LAPIS_CPU_SPECTRAL_H

#include "cpu.h"

/* Fortran ABI as in cpu.h: trailing hidden lengths of character arguments. */
#define LAPIS_SPECTRAL_DECL_REAL(ch, T)                                                        \
    void ch##geqrf_(const blas_int *, const blas_int *, T *, const blas_int *, T *, T *,       \
                    const blas_int *, blas_int *);                                             \
    void ch##orgqr_(const blas_int *, const blas_int *, const blas_int *, T *,                 \
                    const blas_int *, const T *, T *, const blas_int *, blas_int *);           \
    void ch##gesdd_(const char *, const blas_int *, const blas_int *, T *, const blas_int *,   \
                    T *, T *, const blas_int *, T *, const blas_int *, T *, const blas_int *,  \
                    blas_int *, blas_int *, size_t);                                           \
    void ch##gesvd_(const char *, const char *, const blas_int *, const blas_int *, T *,       \
                    const blas_int *, T *, T *, const blas_int *, T *, const blas_int *, T *,  \
                    const blas_int *, blas_int *, size_t, size_t);                             \
    void ch##syevd_(const char *, const char *, const blas_int *, T *, const blas_int *, T *,  \
                    T *, const blas_int *, blas_int *, const blas_int *, blas_int *, size_t,   \
                    size_t);                                                                   \
    void ch##geev_(const char *, const char *, const blas_int *, T *, const blas_int *, T *,   \
                   T *, T *, const blas_int *, T *, const blas_int *, T *, const blas_int *,   \
                   blas_int *, size_t, size_t);                                                \
    void ch##gelsd_(const blas_int *, const blas_int *, const blas_int *, T *,                 \
                    const blas_int *, T *, const blas_int *, T *, const T *, blas_int *, T *,  \
                    const blas_int *, blas_int *, blas_int *);                                 \
    void ch##larft_(const char *, const char *, const blas_int *, const blas_int *, const T *, \
                    const blas_int *, const T *, T *, const blas_int *, size_t, size_t);       \
    void ch##trmm_(const char *, const char *, const char *, const char *, const blas_int *,   \
                   const blas_int *, const T *, const T *, const blas_int *, T *,              \
                   const blas_int *, size_t, size_t, size_t, size_t);
#define LAPIS_SPECTRAL_DECL_COMPLEX(ch, T, RT)                                                 \
    void ch##geqrf_(const blas_int *, const blas_int *, T *, const blas_int *, T *, T *,       \
                    const blas_int *, blas_int *);                                             \
    void ch##ungqr_(const blas_int *, const blas_int *, const blas_int *, T *,                 \
                    const blas_int *, const T *, T *, const blas_int *, blas_int *);           \
    void ch##gesdd_(const char *, const blas_int *, const blas_int *, T *, const blas_int *,   \
                    RT *, T *, const blas_int *, T *, const blas_int *, T *, const blas_int *, \
                    RT *, blas_int *, blas_int *, size_t);                                     \
    void ch##gesvd_(const char *, const char *, const blas_int *, const blas_int *, T *,       \
                    const blas_int *, RT *, T *, const blas_int *, T *, const blas_int *, T *, \
                    const blas_int *, RT *, blas_int *, size_t, size_t);                       \
    void ch##heevd_(const char *, const char *, const blas_int *, T *, const blas_int *, RT *, \
                    T *, const blas_int *, RT *, const blas_int *, blas_int *,                 \
                    const blas_int *, blas_int *, size_t, size_t);                             \
    void ch##geev_(const char *, const char *, const blas_int *, T *, const blas_int *, T *,   \
                   T *, const blas_int *, T *, const blas_int *, T *, const blas_int *, RT *,  \
                   blas_int *, size_t, size_t);                                                \
    void ch##gelsd_(const blas_int *, const blas_int *, const blas_int *, T *,                 \
                    const blas_int *, T *, const blas_int *, RT *, const RT *, blas_int *,     \
                    T *, const blas_int *, RT *, blas_int *, blas_int *);
LAPIS_SPECTRAL_DECL_REAL(s, float)
LAPIS_SPECTRAL_DECL_REAL(d, double)
LAPIS_SPECTRAL_DECL_COMPLEX(c, float _Complex, float)
LAPIS_SPECTRAL_DECL_COMPLEX(z, double _Complex, double)
#undef LAPIS_SPECTRAL_DECL_REAL
#undef LAPIS_SPECTRAL_DECL_COMPLEX

lapis_status lapis_cpu_qr(const lapis_qr_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_svd(const lapis_svd_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_pinv(const lapis_pinv_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_lstsq(const lapis_lstsq_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_eigh(const lapis_eigh_args *p, const lapis_exec *ex);
lapis_status lapis_cpu_eig(const lapis_eig_args *p, const lapis_exec *ex);

#endif
