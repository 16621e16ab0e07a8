#include "kernels/small_product.h"

#include <cmath>
#include <vector>

#include "kernels/small_product_isa.h"

namespace gradlab::kernels {
namespace {

// The same chains as small_product_tile.h, one element at a time, for CPUs without AVX2 and FMA:
// std::fma rounds once, as the vector instructions do, so the bits match theirs.
void small_product_scalar(const SmallProductArgs& o) {
  for (int64_t i = 0; i < o.m; ++i) {
    for (int64_t j = 0; j < o.n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < o.k; ++p) sum = std::fma(o.a[i * o.a_row + p * o.a_step], o.b[p * o.ldb + j], sum);
      float& out = o.c[i * o.ldc + j];
      out = o.beta != 0.0f ? std::fma(o.beta, out, o.alpha * sum) : o.alpha * sum;
    }
  }
}

SmallProductIsa widest_isa() {
  static const SmallProductIsa isa = [] {
    for (const SmallProductIsa candidate : {SmallProductIsa::avx512, SmallProductIsa::avx2}) {
      if (cpu_runs(candidate)) return candidate;
    }
    return SmallProductIsa::scalar;
  }();
  return isa;
}

// b stored [n, k] copied to [k, n], so that the tiles read b's rows as vectors. The buffer belongs to
// the calling thread and only grows.
const float* transposed(const float* b, int64_t ldb, int64_t n, int64_t k) {
  thread_local std::vector<float> scratch;
  if (scratch.size() < static_cast<size_t>(n * k)) scratch.resize(static_cast<size_t>(n * k));
  float* out = scratch.data();
  static const bool avx2 = cpu_runs(SmallProductIsa::avx2);
  if (avx2) {
    transpose_avx2(b, ldb, n, k, out);
  } else {
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t j = 0; j < n; ++j) out[p * n + j] = b[j * ldb + p];
    }
  }
  return out;
}

}  // namespace

bool cpu_runs(SmallProductIsa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case SmallProductIsa::avx512:
      return __builtin_cpu_supports("avx512f") != 0;
    case SmallProductIsa::avx2:
      return __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
    case SmallProductIsa::scalar:
    case SmallProductIsa::best:
      return true;
  }
  return false;
}

void small_product(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, SmallProductIsa isa) {
  if (m == 0 || n == 0) return;
  const SmallProductArgs args{.m = m,
                              .n = n,
                              .k = k,
                              .alpha = alpha,
                              .a = a,
                              .a_row = transpose_a ? 1 : lda,
                              .a_step = transpose_a ? lda : 1,
                              .b = transpose_b ? transposed(b, ldb, n, k) : b,
                              .ldb = transpose_b ? n : ldb,
                              .beta = beta,
                              .c = c,
                              .ldc = ldc};
  switch (isa == SmallProductIsa::best ? widest_isa() : isa) {
    case SmallProductIsa::avx512:
      small_product_avx512(args);
      return;
    case SmallProductIsa::avx2:
      small_product_avx2(args);
      return;
    case SmallProductIsa::scalar:
    case SmallProductIsa::best:
      small_product_scalar(args);
      return;
  }
}

}  // namespace gradlab::kernels
