#pragma once
// Matrix products on CBLAS (OpenBLAS): row-major, transposes passed as flags so no operand is copied.
#include <cstdint>

namespace gradlab::kernels {

/// c[m, n] = alpha * op(a) op(b) + beta * c, row-major. op(a) is [m, k] (a stored [k, m] when
/// transpose_a), op(b) is [k, n] (b stored [n, k] when transpose_b). Leading dimensions are the
/// stored row lengths. k == 0 gives beta * c; m == 0 or n == 0 does nothing.
template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

/// Convenience for dense row-major operands: leading dimensions follow from the shapes.
template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const T* a, const T* b,
          T* c, T beta = T(0)) {
  gemm<T>(transpose_a, transpose_b, m, n, k, T(1), a, transpose_a ? m : k, b, transpose_b ? k : n, beta, c,
          n);
}

}  // namespace gradlab::kernels

namespace gradlab::kernels {

/// Threads OpenBLAS uses for one product (process-wide; openblas_get_num_threads).
int blas_threads();
/// Sets them (openblas_set_num_threads); at least 1.
void set_blas_threads(int threads);

}  // namespace gradlab::kernels
