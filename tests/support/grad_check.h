#pragma once
/// Finite-difference gradient checks for differentiable ops and layers.
///
///   Tensor x = test::random_tensor({4, 3}, 1);                      // float64, U[-1, 1)
///   EXPECT_TRUE(test::check_gradients(
///       [](const std::vector<Tensor>& in) { return relu(in[0]) * in[1]; },
///       {test::away_from_kinks(x, {0.0}), test::random_tensor({3}, 2)}));
///
/// The check runs in float64. The function's output is reduced to the scalar L = sum(r * f(x)) with
/// r a fixed random projection (seeded), since a plain sum hides softmax and normalization bugs
/// whose gradients sum to zero along an axis. The analytic gradient of L comes from a GradientTape;
/// the numeric one from central differences (L(x + eps) - L(x - eps)) / (2 eps) per element of
/// every input and every given variable (perturbed in place). An element passes when
/// |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|); a failure names the worst
/// element with both values and its index. Anchors: flashlight's jacobianTestImpl and ggml's
/// test-backend-ops grad mode.

#include <cstdint>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/autograd/variable.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab::test {

/// Settings of check_gradients.
struct GradCheckOptions {
  /// Central-difference step. With float64 the truncation error is about eps^2 |f'''| and the
  /// rounding error about 1e-16 |L| / eps, both far below the tolerances for eps = 1e-6.
  double epsilon = 1e-6;
  /// Relative tolerance: a wrong derivative rule is off by O(1) relative, numerical noise by ~1e-9.
  double rtol = 1e-6;
  /// Absolute tolerance, for elements whose true gradient is (near) zero.
  double atol = 1e-8;
  /// Seed of the projection r.
  uint64_t seed = 7;
  /// Reduce with the random projection (true) or with a plain sum (false; only to show what a
  /// plain sum misses).
  bool random_projection = true;
};

/// The function under test: tensors in (float64 copies of `inputs`), one tensor out.
using GradCheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares the tape's gradients of sum(r * f(inputs)) with central differences for every element
/// of every input and of every variable in `variables` (which must be float64). Inputs are copied
/// to float64 first; f must return float64.
::testing::AssertionResult check_gradients(const GradCheckFn& f, const std::vector<Tensor>& inputs,
                                           GradCheckOptions options = {},
                                           const std::vector<Variable>& variables = {});

/// Uniform draws in [low, high) from a seeded generator independent of gradlab's Rng, so op tests
/// do not depend on the generator they might be testing.
Tensor random_tensor(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0,
                     DType dtype = DType::float64);

/// Checks that `actual` has `shape` and elements `expected` (row-major) within
/// tolerance * max(1, |expected|); a negative tolerance picks one for the dtype (1e-12 for float64,
/// 2e-6 for float32). A failure names the first wrong element and its index.
::testing::AssertionResult all_close(const Tensor& actual, const Shape& shape, const std::vector<double>& expected,
                                     double tolerance = -1.0);

/// A copy of `x` with every element closer than `margin` to one of `kinks` moved to kink +- margin
/// (on its own side), so that finite differences never straddle a kink (relu and abs at 0,
/// hard_sigmoid at +-3). `margin` must exceed the check's epsilon.
Tensor away_from_kinks(const Tensor& x, const std::vector<double>& kinks, double margin = 1e-3);

}  // namespace gradlab::test
