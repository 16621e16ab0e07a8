// One-sided Jacobi singular values (src/kernels/singular_values.h) against matrices whose singular
// values are known by construction.
#include "kernels/singular_values.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace gradlab::kernels {
namespace {

// A Householder reflection I - 2 v vᵀ / vᵀv of size n: orthogonal, from a random v.
std::vector<double> reflection(int64_t n, std::mt19937_64& gen) {
  std::normal_distribution<double> normal;
  std::vector<double> v(static_cast<std::size_t>(n));
  double vv = 0;
  for (double& x : v) {
    x = normal(gen);
    vv += x * x;
  }
  std::vector<double> h(static_cast<std::size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) h[i * n + j] = (i == j ? 1.0 : 0.0) - 2 * v[i] * v[j] / vv;
  return h;
}

// U diag(s) Vᵀ for rows x cols, U and V reflections, s of length min(rows, cols).
std::vector<double> with_singular_values(int64_t rows, int64_t cols, const std::vector<double>& s, uint64_t seed) {
  std::mt19937_64 gen(seed);
  const std::vector<double> u = reflection(rows, gen), v = reflection(cols, gen);
  std::vector<double> a(static_cast<std::size_t>(rows * cols), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      for (std::size_t k = 0; k < s.size(); ++k) a[i * cols + j] += u[i * rows + k] * s[k] * v[j * cols + k];
  return a;
}

TEST(SingularValues, DiagonalMatrixGivesItsAbsoluteEntriesInDescendingOrder) {
  const std::vector<double> a = {0.5, 0, 0, 0, 0, -3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const std::vector<double> s = singular_values(a.data(), 4, 4);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], 3.0);
  EXPECT_EQ(s[1], 2.0);
  EXPECT_EQ(s[2], 0.5);
  EXPECT_EQ(s[3], 0.0);
}

// Tall and wide, with values spread over 12 orders of magnitude: one-sided Jacobi keeps each to
// high relative accuracy (forming AᵀA would lose everything below 1e-8 of the largest).
TEST(SingularValues, RecoversPrescribedValuesOfTallAndWideMatrices) {
  const std::vector<double> expected = {7.5, 3, 1, 0.25, 1e-3, 1e-6, 1e-9, 1e-12};
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{11, 8}, {8, 13}, {8, 8}}) {
    const std::vector<double> a = with_singular_values(rows, cols, expected, 17 + rows * cols);
    const std::vector<double> s = singular_values(a.data(), rows, cols);
    ASSERT_EQ(s.size(), expected.size());
    for (std::size_t k = 0; k < s.size(); ++k) {
      EXPECT_NEAR(s[k], expected[k], 1e-10 * expected[k] + 1e-15 * expected[0]) << rows << "x" << cols << " k=" << k;
    }
  }
}

TEST(SingularValues, RankOneMatrixHasOneNonzeroValue) {
  const std::vector<double> u = {1, 2, 2}, v = {3, 0, 4, 0, 0};  // norms 3 and 5
  std::vector<double> a;
  for (double x : u)
    for (double y : v) a.push_back(x * y);
  const std::vector<double> s = singular_values(a.data(), 3, 5);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NEAR(s[0], 15.0, 1e-13);
  EXPECT_LT(s[1], 1e-13);
  EXPECT_LT(s[2], 1e-13);
}

TEST(SingularValues, NonFiniteEntriesGiveNaN) {
  const std::vector<double> a = {1, NAN, 0, 1};
  const std::vector<double> s = singular_values(a.data(), 2, 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(std::isnan(s[0]) && std::isnan(s[1]));
  EXPECT_TRUE(singular_values(a.data(), 0, 2).empty());
}

}  // namespace
}  // namespace gradlab::kernels
