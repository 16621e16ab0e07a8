// The input-output Jacobian through the tape and its spectrum, against closed forms: a single Dense
// layer's Jacobian is diag(phi'(h)) Wᵀ, whose singular values are checked against the eigenvalues of
// JJᵀ found by a symmetric (two-sided) cyclic Jacobi written here, independent of the library's
// one-sided Jacobi; a linear stack of orthogonal square layers is an isometry.
#include "gradlab/instrument/jacobian_spectrum.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/lab/dynamical_isometry.h"
#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

// Eigenvalues of the symmetric n x n matrix `a` (row-major) by cyclic two-sided Jacobi rotations
// (Golub & Van Loan, Algorithm 8.5.3), descending.
std::vector<double> symmetric_eigenvalues(std::vector<double> a, int n) {
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-30) break;
    for (int p = 0; p < n; ++p) {
      for (int q = p + 1; q < n; ++q) {
        if (a[p * n + q] == 0) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
        const double t = std::copysign(1.0, theta) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // A <- Jᵀ A (rows p, q)
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  std::vector<double> values(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) values[k] = a[k * n + k];
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

TEST(JacobianSpectrum, SingleDenseLayerIsDiagSlopeTimesKernelTranspose) {
  Rng rng(5);
  const int64_t in = 12, out = 9;
  Dense layer(out, {.activation = "tanh", .kernel_initializer = "glorot_normal", .bias_initializer = random_normal(0, 0.3)});
  layer.impl().set_rng(&rng);
  const Tensor x = normal({1, in}, rng, 0.0, 1.0, DType::float64);
  GradientTape tape({.persistent = true});
  tape.watch(x);
  const Tensor y = layer(x);
  const Tensor j = input_output_jacobian(tape, y, x);
  ASSERT_EQ(j.shape(), Shape({out, in}));

  // The closed form, computed off the tape: J_ij = tanh'(h_i) W_ji with h = x W + b.
  const std::vector<double> w = layer.kernel().value().to_vector(), b = layer.bias().value().to_vector();
  const std::vector<double> xv = x.to_vector();
  std::vector<double> expected(static_cast<std::size_t>(out * in));
  for (int64_t i = 0; i < out; ++i) {
    double h = b[i];
    for (int64_t k = 0; k < in; ++k) h += xv[k] * w[k * out + i];
    const double slope = 1 - std::tanh(h) * std::tanh(h);
    for (int64_t k = 0; k < in; ++k) expected[i * in + k] = slope * w[k * out + i];
  }
  for (int64_t i = 0; i < out; ++i)
    for (int64_t k = 0; k < in; ++k) EXPECT_NEAR(j.at({i, k}), expected[i * in + k], 1e-14);

  // Its singular values: square roots of the eigenvalues of J Jᵀ (out x out, out < in).
  std::vector<double> jjt(static_cast<std::size_t>(out * out), 0.0);
  for (int64_t a = 0; a < out; ++a)
    for (int64_t c = 0; c < out; ++c)
      for (int64_t k = 0; k < in; ++k) jjt[a * out + c] += expected[a * in + k] * expected[c * in + k];
  const std::vector<double> eigen = symmetric_eigenvalues(jjt, static_cast<int>(out));
  const JacobianSpectrum s = jacobian_spectrum(j);
  ASSERT_EQ(s.singular_values.size(), static_cast<std::size_t>(out));
  double mean = 0;
  for (int64_t k = 0; k < out; ++k) {
    EXPECT_NEAR(s.singular_values[k], std::sqrt(eigen[k]), 1e-12 * std::sqrt(eigen[0])) << k;
    mean += eigen[k] / out;
  }
  double variance = 0;
  for (const double e : eigen) variance += (e - mean) * (e - mean) / out;
  EXPECT_NEAR(s.mean_squared, mean, 1e-13 * mean);
  EXPECT_NEAR(s.variance_squared, variance, 1e-10 * mean * mean);
  EXPECT_EQ(s.largest, s.singular_values.front());
  EXPECT_NEAR(s.condition_number, std::sqrt(eigen.front() / eigen.back()), 1e-9 * s.condition_number);
}

// Q_L ... Q_1 with every Q orthogonal is orthogonal: every singular value is 1 at every depth.
TEST(JacobianSpectrum, LinearStackOfOrthogonalSquareLayersIsAnIsometry) {
  Rng rng(11);
  const int64_t width = 24;
  std::vector<Dense> layers;
  Tensor h = normal({1, width}, rng, 0.0, 1.0, DType::float64);
  const Tensor example = h;
  for (int k = 0; k < 6; ++k) {
    Dense layer(width, {.activation = "linear", .kernel_initializer = orthogonal(1.0)});
    layer.impl().set_rng(&rng);
    h = layer(h);
    layers.push_back(layer);
  }
  const std::vector<int> depths = {1, 3, 6};
  const std::vector<IsometryDepth> spectra = dense_stack_jacobians(layers, example, depths);
  ASSERT_EQ(spectra.size(), 3u);
  for (const IsometryDepth& d : spectra) {
    ASSERT_EQ(d.spectrum.singular_values.size(), static_cast<std::size_t>(width));
    for (const double v : d.spectrum.singular_values) EXPECT_NEAR(v, 1.0, 1e-12) << "depth " << d.depth;
    EXPECT_NEAR(d.spectrum.mean_squared, 1.0, 1e-12);
    EXPECT_NEAR(d.spectrum.variance_squared, 0.0, 1e-12);
    EXPECT_NEAR(d.spectrum.condition_number, 1.0, 1e-12);
  }
}

TEST(JacobianSpectrum, RelusRankDeficiencyGivesAnInfiniteConditionNumber) {
  // Two units of a relu layer off: their rows of J are 0.
  const Tensor x = from_values({1, 2}, {1, -1}, DType::float64);
  GradientTape tape({.persistent = true});
  tape.watch(x);
  const Tensor y = relu(matmul(x, eye(2, 2, DType::float64)));
  const JacobianSpectrum s = jacobian_spectrum(input_output_jacobian(tape, y, x));
  EXPECT_EQ(s.singular_values, (std::vector<double>{1, 0}));
  EXPECT_TRUE(std::isinf(s.condition_number));
  EXPECT_DOUBLE_EQ(s.mean_squared, 0.5);
  EXPECT_DOUBLE_EQ(s.variance_squared, 0.25);
}

TEST(JacobianSpectrum, RefusesWhatItCannotMeasure) {
  const Tensor x = from_values({1, 2}, {1, 2}, DType::float64);
  GradientTape once;
  once.watch(x);
  const Tensor y = mul(x, 2.0);
  EXPECT_THROW(input_output_jacobian(once, y, x), Error);  // not persistent
  EXPECT_THROW(jacobian_spectrum(zeros({2, 2, 2}, DType::float64)), Error);
  EXPECT_THROW(jacobian_spectrum(zeros({2, 2}, DType::float32)), Error);
}

}  // namespace
}  // namespace gradlab
