// The statistics kernels (src/kernels/stats.h) against a plain loop in double: both tiers, lengths
// around the vector widths (8, 16 and 32 floats), and NaN, infinity, subnormal and signed-zero inputs.
#include "kernels/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace gradlab::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr float kInff = std::numeric_limits<float>::infinity();
constexpr bool kHasFastTier =
#if defined(__AVX2__) && defined(__FMA__)
    true;
#else
    false;
#endif

// Lengths below, at and around every width the scans step by, and a long one with a tail.
const std::vector<int64_t> kLengths = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 1000, 4099};

std::vector<float> random_floats(int64_t n, uint32_t seed, double low = -1.0, double high = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(low, high);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(u(gen));
  return v;
}

std::vector<double> as_doubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// The forward totals of the finite values, one element after another around the first finite one.
ForwardTotals reference_forward(const std::vector<float>& y, const SaturationBounds& b) {
  ForwardTotals t{.min = kInf, .max = -kInf};
  bool have_shift = false;
  for (float f : y) {
    const double v = f;
    if (!std::isfinite(v)) {
      ++t.nonfinite;
      continue;
    }
    if (!have_shift) {
      t.shift = v;
      have_shift = true;
    }
    t.sum += v - t.shift;
    t.sum_sq += (v - t.shift) * (v - t.shift);
    t.min = std::min(t.min, v);
    t.max = std::max(t.max, v);
    t.zeros += v == 0;
    t.saturated += std::abs(v) > b.symmetric || v < b.low || v > b.high;
  }
  return t;
}

GradientTotals reference_gradient(const std::vector<float>& g) {
  GradientTotals t;
  for (float f : g) {
    const double a = std::abs(static_cast<double>(f));
    if (!std::isfinite(a)) {
      ++t.nonfinite;
      continue;
    }
    t.sum_sq += a * a;
    t.max_abs = std::max(t.max_abs, a);
    t.zeros += a == 0;
    t.tiny += a > 0 && a < std::numeric_limits<float>::min();
  }
  return t;
}

// Sums in another order than the reference's differ by rounding only: within `relative` of the sum
// of the terms' magnitudes.
void expect_sums_near(const ForwardTotals& t, const ForwardTotals& ref, const std::vector<float>& y, double relative,
                      const char* what) {
  double magnitude = 0, squares = 0;
  for (float f : y) {
    const double d = f - ref.shift;
    magnitude += std::abs(d);
    squares += d * d;
  }
  // The fast tier shifts by another value; compare what does not depend on the shift.
  const double n = static_cast<double>(y.size());
  const double mean = t.shift + t.sum / n, ref_mean = ref.shift + ref.sum / n;
  EXPECT_NEAR(mean, ref_mean, relative * (magnitude / n + std::abs(ref_mean)) + 1e-300) << what << " n=" << y.size();
  const double var = t.sum_sq / n - (t.sum / n) * (t.sum / n), ref_var = ref.sum_sq / n - (ref.sum / n) * (ref.sum / n);
  EXPECT_NEAR(var, ref_var, relative * (squares / n) * 4 + 1e-300) << what << " n=" << y.size();
}

void expect_exact_parts(const ForwardTotals& t, const ForwardTotals& ref, const char* what, size_t n) {
  EXPECT_EQ(t.min + 0.0, ref.min + 0.0) << what << " n=" << n;
  EXPECT_EQ(t.max + 0.0, ref.max + 0.0) << what << " n=" << n;
  EXPECT_EQ(t.zeros, ref.zeros) << what << " n=" << n;
  EXPECT_EQ(t.saturated, ref.saturated) << what << " n=" << n;
}

// Every kind of saturation test the scans specialize on, and none.
const std::vector<SaturationBounds> kBounds = {
    {.symmetric = 0.9, .low = -kInf, .high = kInf},
    {.symmetric = kInf, .low = -0.8, .high = 0.7},
    {.symmetric = 0.95, .low = -0.5, .high = 0.5},
    {.symmetric = kInf, .low = -kInf, .high = kInf},
};

TEST(StatsKernels, CarefulForwardTotalsMatchThePlainLoopAndFloat64BitForBit) {
  for (int64_t n : kLengths) {
    std::vector<float> y = random_floats(n, 1 + static_cast<uint32_t>(n));
    // Exact zeros of both signs, and values on the bounds (not past them).
    for (size_t i = 3; i < y.size(); i += 11) y[i] = (i % 2) ? 0.0f : -0.0f;
    if (n > 5) {
      y[5] = 0.9f;
      y[2] = -0.8f;
    }
    for (const SaturationBounds& b : kBounds) {
      const ForwardTotals ref = reference_forward(y, b);
      const ForwardTotals f32 = careful_forward_totals(y.data(), n, b);
      const std::vector<double> d = as_doubles(y);
      const ForwardTotals f64 = careful_forward_totals(d.data(), n, b);
      EXPECT_EQ(f32.shift, ref.shift);
      expect_sums_near(f32, ref, y, 1e-13, "careful");
      expect_exact_parts(f32, ref, "careful", y.size());
      // The float32 scan (AVX2 where built with it) and the plain float64 loop assign and combine
      // lanes alike.
      EXPECT_EQ(f32.sum, f64.sum) << n;
      EXPECT_EQ(f32.sum_sq, f64.sum_sq) << n;
      EXPECT_EQ(f32.min + 0.0, f64.min + 0.0) << n;
      EXPECT_EQ(f32.zeros, f64.zeros) << n;
      EXPECT_EQ(f32.saturated, f64.saturated) << n;
    }
  }
}

TEST(StatsKernels, FastForwardTotalsAreWithinTheirBoundOrDecline) {
  for (int64_t n : kLengths) {
    // An offset mean: the shift must keep the variance from cancelling.
    const std::vector<float> y = random_floats(n, 100 + static_cast<uint32_t>(n), 2.0, 3.0);
    for (const SaturationBounds& b : {SaturationBounds{.symmetric = 2.9, .low = -kInf, .high = kInf},
                                      SaturationBounds{.symmetric = kInf, .low = 2.1, .high = 2.8}}) {
      ForwardTotals t;
      const bool vouched = fast_forward_totals(y.data(), n, b, t);
      EXPECT_EQ(vouched, kHasFastTier && n >= 32) << n;
      if (!vouched) continue;
      const ForwardTotals ref = reference_forward(y, b);
      expect_sums_near(t, ref, y, 1e-6, "fast");
      expect_exact_parts(t, ref, "fast", y.size());
    }
  }
}

TEST(StatsKernels, NonFiniteValuesSendTheForwardTotalsToTheFinitePass) {
  const SaturationBounds b{.symmetric = 0.9, .low = -kInf, .high = kInf};
  for (int64_t n : {1, 17, 33, 100}) {
    for (float bad : {kNaNf, kInff, -kInff}) {
      std::vector<float> y = random_floats(n, 200 + static_cast<uint32_t>(n));
      y[static_cast<size_t>(n / 2)] = bad;
      ForwardTotals fast;
      EXPECT_FALSE(fast_forward_totals(y.data(), n, b, fast)) << n << " " << bad;
      const ForwardTotals careful = careful_forward_totals(y.data(), n, b);
      EXPECT_FALSE(std::isfinite(careful.sum) && std::isfinite(careful.sum_sq)) << n << " " << bad;
      const ForwardTotals finite = finite_forward_totals(y.data(), n, b);
      const ForwardTotals ref = reference_forward(y, b);
      // The same order as the reference: equal bit for bit.
      EXPECT_EQ(finite.nonfinite, 1);
      EXPECT_EQ(finite.shift, ref.shift);
      EXPECT_EQ(finite.sum, ref.sum);
      EXPECT_EQ(finite.sum_sq, ref.sum_sq);
      expect_exact_parts(finite, ref, "finite", y.size());
    }
  }
  const std::vector<float> all_nan(40, kNaNf);
  const ForwardTotals none = finite_forward_totals(all_nan.data(), 40, b);
  EXPECT_EQ(none.nonfinite, 40);
  EXPECT_EQ(none.min, kInf);
  EXPECT_EQ(none.max, -kInf);
}

TEST(StatsKernels, GradientTotalsMatchThePlainLoop) {
  for (int64_t n : kLengths) {
    std::vector<float> g = random_floats(n, 300 + static_cast<uint32_t>(n));
    for (size_t i = 4; i < g.size(); i += 13) g[i] = 0.0f;
    for (size_t i = 6; i < g.size(); i += 17) g[i] = 1e-40f;  // subnormal in float32
    const GradientTotals ref = reference_gradient(g);
    const GradientTotals careful = careful_gradient_totals(g.data(), n);
    EXPECT_NEAR(careful.sum_sq, ref.sum_sq, 1e-13 * ref.sum_sq) << n;
    EXPECT_EQ(careful.max_abs, ref.max_abs) << n;
    EXPECT_EQ(careful.zeros, ref.zeros) << n;
    EXPECT_EQ(careful.tiny, ref.tiny) << n;
    const std::vector<double> d = as_doubles(g);
    EXPECT_EQ(careful_gradient_totals(d.data(), n).sum_sq, careful.sum_sq) << n;
    GradientTotals fast;
    const bool vouched = fast_gradient_totals(g.data(), n, fast);
    EXPECT_EQ(vouched, kHasFastTier && n >= 32) << n;
    if (vouched) {
      EXPECT_NEAR(fast.sum_sq, ref.sum_sq, 1e-6 * ref.sum_sq) << n;
      EXPECT_EQ(fast.max_abs, ref.max_abs) << n;
      EXPECT_EQ(fast.zeros, ref.zeros) << n;
      EXPECT_EQ(fast.tiny, ref.tiny) << n;
    }
    double sum = 0;
    if (fast_sum_of_squares(g.data(), n, sum)) {
      EXPECT_NEAR(sum, ref.sum_sq, 1e-6 * ref.sum_sq) << n;
    }
  }
}

TEST(StatsKernels, FastGradientTotalsScaleTinyAndHugeGradients) {
  // Largest |g| near 2^-70 and 2^100: squares would underflow or overflow float32 unscaled.
  for (double scale : {0x1p-70, 0x1p100}) {
    std::vector<float> g = random_floats(1000, 400);
    for (float& x : g) x = static_cast<float>(x * scale);
    g[7] = 1e-42f;  // a subnormal beside them
    const GradientTotals ref = reference_gradient(g);
    GradientTotals fast;
    ASSERT_EQ(fast_gradient_totals(g.data(), 1000, fast), kHasFastTier) << scale;
    if (!kHasFastTier) continue;
    EXPECT_NEAR(fast.sum_sq, ref.sum_sq, 1e-6 * ref.sum_sq) << scale;
    EXPECT_EQ(fast.max_abs, ref.max_abs) << scale;
    EXPECT_EQ(fast.tiny, ref.tiny) << scale;
  }
  // Every value subnormal: the fast tier declines rather than lose the norm.
  const std::vector<float> subnormal(64, 1e-40f);
  GradientTotals fast;
  EXPECT_FALSE(fast_gradient_totals(subnormal.data(), 64, fast));
  EXPECT_EQ(careful_gradient_totals(subnormal.data(), 64).tiny, 64);
}

TEST(StatsKernels, NonFiniteGradientsGoToTheFinitePass) {
  std::vector<float> g = random_floats(70, 500);
  g[3] = kNaNf;
  g[64] = -kInff;
  GradientTotals fast;
  EXPECT_FALSE(fast_gradient_totals(g.data(), 70, fast));
  EXPECT_FALSE(std::isfinite(careful_gradient_totals(g.data(), 70).sum_sq));
  const GradientTotals finite = finite_gradient_totals(g.data(), 70);
  const GradientTotals ref = reference_gradient(g);
  EXPECT_EQ(finite.nonfinite, 2);
  EXPECT_EQ(finite.sum_sq, ref.sum_sq);
  EXPECT_EQ(finite.max_abs, ref.max_abs);
}

TEST(StatsKernels, DeadUnitsAgreeInFloat32AndFloat64) {
  for (int64_t units : {1, 7, 8, 9, 31, 32, 33, 45, 70}) {
    const int64_t rows = 5;
    std::vector<float> y(static_cast<size_t>(rows * units), 0.0f);
    int64_t expected_dead = 0;
    for (int64_t c = 0; c < units; ++c) {
      // Every third unit dead; -0.0 is dead too, a NaN alive.
      const bool dead = c % 3 == 0;
      expected_dead += dead;
      for (int64_t r = 0; r < rows; ++r) y[static_cast<size_t>(r * units + c)] = dead ? (r % 2 ? -0.0f : 0.0f) : 0.0f;
      if (!dead) y[static_cast<size_t>(((c * 7) % rows) * units + c)] = c % 5 == 1 ? kNaNf : 0.5f;
    }
    EXPECT_EQ(dead_units(y.data(), rows, units), expected_dead) << units;
    const std::vector<double> d = as_doubles(y);
    EXPECT_EQ(dead_units(d.data(), rows, units), expected_dead) << units;
  }
}

}  // namespace
}  // namespace gradlab::kernels
