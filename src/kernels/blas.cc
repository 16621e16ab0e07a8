#include "kernels/blas.h"

#include <cblas.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "gradlab/error.h"

namespace gradlab::kernels {
namespace {

blasint checked_int(int64_t v, const char* what) {
  if (v > std::numeric_limits<blasint>::max()) {
    fail("matmul: {} = {} exceeds the BLAS integer range", what, v);
  }
  return static_cast<blasint>(v);
}

template <typename T>
void scale_output(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  // BLAS rejects a zero-sized inner dimension's leading dimension; the product is then beta * c.
  if (k == 0) {
    scale_output(m, n, beta, c, ldc);
    return;
  }
  const auto ta = transpose_a ? CblasTrans : CblasNoTrans;
  const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
  const blasint bm = checked_int(m, "m"), bn = checked_int(n, "n"), bk = checked_int(k, "k");
  const blasint blda = checked_int(std::max<int64_t>(lda, 1), "lda");
  const blasint bldb = checked_int(std::max<int64_t>(ldb, 1), "ldb");
  const blasint bldc = checked_int(std::max<int64_t>(ldc, 1), "ldc");
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, bm, bn, bk, alpha, a, blda, b, bldb, beta, c, bldc);
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, bm, bn, bk, alpha, a, blda, b, bldb, beta, c, bldc);
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                          int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace gradlab::kernels
