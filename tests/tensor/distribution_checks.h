#pragma once
// Statistical checks shared by the generator and initializer tests.
//
// Each check compares a sample of n values with a distribution known exactly:
//   - mean within 6 standard errors: |mean - mu| <= 6 sqrt(var / n);
//   - sample variance within 6 standard errors of its estimator, whose variance is
//     (mu4 - var^2) / n for large n (mu4 the fourth central moment);
//   - Kolmogorov-Smirnov: sqrt(n) * sup |F_n(x) - F(x)| <= 2.7.
// For a correct generator the first two fail with probability about 2e-9 each (normal
// approximation) and the third with probability 2 exp(-2 * 2.7^2) = 9.3e-7 (Kolmogorov's limit
// law), so a check with a fixed seed fails by chance about once in a million seeds. A wrong limit, a
// wrong variance or a wrong shape of more than about 1% at n = 10^6 fails all of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

namespace gradlab::testing {

/// Kolmogorov-Smirnov bound on sqrt(n) * D_n; see the file comment.
inline constexpr double kKsCritical = 2.7;
/// Standard errors allowed for the mean and the variance.
inline constexpr double kSigmas = 6.0;

/// A distribution known exactly: its mean, variance, fourth central moment and CDF.
struct Expected {
  std::string name;
  double mean = 0;
  double variance = 0;
  double fourth_moment = 0;
  std::function<double(double)> cdf;
};

inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

inline Expected uniform_expected(double low, double high) {
  const double w = high - low;
  return {"U[" + std::to_string(low) + ", " + std::to_string(high) + ")", (low + high) / 2, w * w / 12,
          w * w * w * w / 80, [=](double x) { return std::clamp((x - low) / w, 0.0, 1.0); }};
}

inline Expected normal_expected(double mean, double stddev) {
  const double v = stddev * stddev;
  return {"N(" + std::to_string(mean) + ", " + std::to_string(stddev) + "^2)", mean, v, 3 * v * v,
          [=](double x) { return normal_cdf((x - mean) / stddev); }};
}

/// A normal N(mean, stddev^2) conditioned on |x - mean| < 2 stddev.
inline Expected truncated_normal_expected(double mean, double stddev) {
  constexpr double a = 2.0;
  const double z = normal_cdf(a) - normal_cdf(-a);
  const double phi = std::exp(-a * a / 2) / std::sqrt(2 * std::numbers::pi);
  const double v = stddev * stddev;
  // Integrating x^2 phi and x^4 phi by parts over [-a, a].
  const double m2 = 1 - 2 * a * phi / z;
  const double m4 = 3 - (2 * a * a * a + 6 * a) * phi / z;
  return {"TN(" + std::to_string(mean) + ", " + std::to_string(stddev) + "^2, +-2)", mean, v * m2, v * v * m4,
          [=](double x) {
            const double t = std::clamp((x - mean) / stddev, -a, a);
            return (normal_cdf(t) - normal_cdf(-a)) / z;
          }};
}

inline double sample_mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

inline double sample_variance(const std::vector<double>& x) {
  const double m = sample_mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

/// sqrt(n) * sup_x |F_n(x) - F(x)|.
inline double ks_statistic(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return std::sqrt(n) * d;
}

/// Checks mean, variance and KS distance of `x` against `e`; `what` names the draw in failures.
inline void expect_distribution(const std::vector<double>& x, const Expected& e, const std::string& what) {
  ASSERT_GT(x.size(), 1000u) << what << ": sample too small for the stated bounds";
  const double n = static_cast<double>(x.size());
  const double mean = sample_mean(x);
  const double var = sample_variance(x);
  const double mean_bound = kSigmas * std::sqrt(e.variance / n);
  const double var_bound = kSigmas * std::sqrt((e.fourth_moment - e.variance * e.variance) / n);
  EXPECT_NEAR(mean, e.mean, mean_bound) << what << " vs " << e.name << ": sample mean";
  EXPECT_NEAR(var, e.variance, var_bound) << what << " vs " << e.name << ": sample variance";
  EXPECT_LE(ks_statistic(x, e.cdf), kKsCritical) << what << " vs " << e.name << ": KS sqrt(n) D_n";
}

}  // namespace gradlab::testing
