#pragma once
// What small_product.cc hands to the code compiled for one instruction set (small_product_avx2.cc,
// small_product_avx512.cc): plain data and one function each, so that no inline code compiled with
// wider instructions is shared with the rest of the library.
#include <cstdint>

namespace gradlab::kernels {

// c[m, n] = alpha * A B + beta * c, where A[i, p] = a[i * a_row + p * a_step] and B[p, j] =
// b[p * ldb + j] (a transposed b already copied to that layout).
struct SmallProductArgs {
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t a_row, a_step;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

void small_product_avx2(const SmallProductArgs& args);
void small_product_avx512(const SmallProductArgs& args);

// out[p * n + j] = b[j * ldb + p] for j < n, p < k.
void transpose_avx2(const float* b, int64_t ldb, int64_t n, int64_t k, float* out);

}  // namespace gradlab::kernels
