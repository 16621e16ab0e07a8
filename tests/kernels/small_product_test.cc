// small_product (src/kernels/small_product.h): the same bits from every instruction set this CPU
// runs as from the scalar chains, on shapes that end inside a vector and a tile of rows; its values
// against a plain loop are checked with every other product in products_test.cc.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/blas.h"
#include "kernels/small_product.h"

namespace gradlab::kernels {
namespace {

std::vector<float> random_floats(size_t count, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = u(gen);
  return v;
}

bool same_bits(float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; }

// Every transpose, padded leading dimensions, beta 0 (over a NaN output) and not: `isa`'s output is
// bit for bit the scalar chains'.
void expect_same_bits_as_scalar(SmallProductIsa isa, int64_t m, int64_t n, int64_t k) {
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, {-0.75f, 0.5f}}) {
        const int64_t pad = 5, lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        const std::vector<float> a = random_floats(static_cast<size_t>((ta ? k : m) * lda), 11);
        const std::vector<float> b = random_floats(static_cast<size_t>((tb ? n : k) * ldb), 12);
        std::vector<float> expected = random_floats(static_cast<size_t>(m * ldc), 13);
        if (beta == 0.0f) std::fill(expected.begin(), expected.end(), std::numeric_limits<float>::quiet_NaN());
        std::vector<float> c = expected;
        small_product(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, expected.data(), ldc,
                      SmallProductIsa::scalar);
        small_product(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc, isa);
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < ldc; ++j) {
            // Inside the product: the same bits; in the padding: untouched.
            const size_t at = static_cast<size_t>(i * ldc + j);
            ASSERT_TRUE(same_bits(c[at], expected[at]) || (j >= n && std::isnan(c[at]) && std::isnan(expected[at])))
                << m << "x" << n << "x" << k << " transpose " << ta << tb << " beta " << beta << " at " << i << ","
                << j << ": " << c[at] << " against " << expected[at];
          }
        }
      }
    }
  }
}

TEST(SmallProduct, EveryInstructionSetGivesTheScalarChainsBits) {
  int checked = 0;
  for (const SmallProductIsa isa : {SmallProductIsa::avx2, SmallProductIsa::avx512}) {
    if (!cpu_runs(isa)) continue;
    // Row counts around the tiles' (4, 6 and 8 rows), column counts around the vectors' (8 and 16
    // floats) and the column blocks' (24 and 64), the lesson's 32 x 32 x 128, and k = 1.
    for (const auto& [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {1, 70, 3}, {5, 7, 9}, {6, 16, 1},
                                  {7, 17, 33}, {9, 40, 4}, {13, 24, 5}, {12, 64, 20}, {25, 65, 8}, {32, 32, 128}, {3, 130, 2}}) {
      expect_same_bits_as_scalar(isa, m, n, k);
      ++checked;
    }
  }
  // Every machine of the project's kind has AVX2 and FMA, so the comparison above always runs.
  EXPECT_GT(checked, 0);
}

TEST(SmallProduct, EachElementIsOneChainOfFusedMultiplyAddsInOrder) {
  // op(a) = [-1, 1 + e], op(b) = [1 + 2e, 1 + e]^T with e = 2^-12. In order and fused: -(1 + 2e), then
  // (1 + e)^2 - (1 + 2e) = e^2 exactly. A separate multiply rounds (1 + e)^2 = 1 + 2e + 2^-24 (half an
  // ulp, to even) to 1 + 2e and gives 0; so does the other order (fma(-1, 1 + 2e, 1 + 2e)).
  const float e = std::ldexp(1.0f, -12);
  const std::vector<float> a{-1.0f, 1.0f + e}, b{1.0f + 2 * e, 1.0f + e};
  for (const SmallProductIsa isa : {SmallProductIsa::scalar, SmallProductIsa::avx2, SmallProductIsa::avx512}) {
    if (!cpu_runs(isa)) continue;
    float c = 0.0f;
    small_product(false, false, 1, 1, 2, 1.0f, a.data(), 2, b.data(), 1, 0.0f, &c, 1, isa);
    EXPECT_EQ(c, e * e) << static_cast<int>(isa);
  }
}

TEST(SmallProduct, GemmComputesSmallFloatProductsWithIt) {
  // Up to the boundary gemm's result is small_product's, bit for bit, for every transpose.
  for (const auto& [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{64, 64, 64}, {32, 128, 32}, {3, 5, 7}}) {
    ASSERT_LE(m * n * k, kSmallProductMultiplyAdds);
    for (const bool ta : {false, true}) {
      for (const bool tb : {false, true}) {
        const std::vector<float> a = random_floats(static_cast<size_t>(m * k), 1);
        const std::vector<float> b = random_floats(static_cast<size_t>(k * n), 2);
        std::vector<float> c(static_cast<size_t>(m * n)), own(static_cast<size_t>(m * n));
        gemm<float>(ta, tb, m, n, k, a.data(), b.data(), c.data());
        small_product(ta, tb, m, n, k, 1.0f, a.data(), ta ? m : k, b.data(), tb ? k : n, 0.0f, own.data(), n);
        EXPECT_EQ(std::memcmp(c.data(), own.data(), c.size() * sizeof(float)), 0) << m << "x" << n << "x" << k;
      }
    }
  }
}

}  // namespace
}  // namespace gradlab::kernels
