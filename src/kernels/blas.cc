#include "kernels/blas.h"

#include <cblas.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif

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

#if defined(__AVX__)
// dst (8 x 8, row stride ldd) = src (8 x 8, row stride lds) transposed, in registers.
void transpose_8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  // r[i] (i < 4) holds columns i and 4 + i of rows 0-3 in its two 128-bit halves, r[4 + i] of rows 4-7.
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[4 + i], 0x20));
    _mm256_storeu_ps(dst + (4 + i) * ldd, _mm256_permute2f128_ps(r[i], r[4 + i], 0x31));
  }
}

// OpenBLAS 0.3.21 sends small row-major float products A * B^T with more than 32 outputs to its
// packing path, about 1.3x slower than its small-matrix NN kernel on the same shape (32 x 128 x 32:
// 3.7 us against 2.8 us including this transpose). Copying B^T into a per-thread scratch buffer
// first pays whenever that copy is cheap: 8 x 8 register tiles. Measured on float only; for double
// the gain is small and turns into a loss at k = 128, so double keeps the direct call. Without AVX
// the scalar transpose costs more than it saves, so such builds keep the direct call too.
bool transposed_copy_pays(int64_t m, int64_t n, int64_t k) {
  return n % 8 == 0 && k % 8 == 0 && n * k <= 32768 && m * n * k <= (int64_t{1} << 20);
}

// c = alpha * a * b^T + beta * c through b^T copied to scratch (b stored [n, k]).
void gemm_nt_via_transpose(int64_t m, int64_t n, int64_t k, float alpha, const float* a, blasint lda,
                           const float* b, int64_t ldb, float beta, float* c, blasint ldc) {
  thread_local std::vector<float> scratch;
  scratch.resize(static_cast<std::size_t>(n * k));
  float* bt = scratch.data();
  for (int64_t i = 0; i < n; i += 8) {
    for (int64_t j = 0; j < k; j += 8) transpose_8x8(b + i * ldb + j, ldb, bt + j * n + i, n);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, lda, bt, static_cast<blasint>(n), beta, c, ldc);
}
#endif

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
#if defined(__AVX__)
    if (!transpose_a && transpose_b && transposed_copy_pays(m, n, k)) {
      gemm_nt_via_transpose(m, n, k, alpha, a, blda, b, ldb, beta, c, bldc);
      return;
    }
#endif
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

namespace gradlab::kernels {

int blas_threads() { return openblas_get_num_threads(); }

void set_blas_threads(int threads) { openblas_set_num_threads(std::max(threads, 1)); }

}  // namespace gradlab::kernels
