#include "gradlab/theory/mean_field.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "gradlab/error.h"
#include "gradlab/theory/gaussian_expectation.h"

namespace gradlab::theory {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A length so small that every activation is its one-sided linearization there, yet whose squares
// stay far from underflow: the q -> 0 limits are evaluated at it.
constexpr double kVanishingLength = 1e-100;
// Beyond this length the length map is taken to have no fixed point.
constexpr double kLargestLength = 1e30;
constexpr double kCriticalTolerance = 1e-9;

void check_length(double q, const char* what) {
  if (!std::isfinite(q) || q < 0) fail("{}: the length q must be finite and >= 0, got {}", what, q);
}

NormalVariable pre_activation(const ScalarActivation& phi, double q) {
  return {.mean = 0.0, .stddev = std::sqrt(q), .kinks = phi.kinks};
}

double second_moment(const ScalarActivation& phi, double q) {
  return gaussian_expectation([&](double x) { const double y = phi.value(x); return y * y; }, pre_activation(phi, q));
}

double joint_moment(const ScalarActivation& phi, double q, double c, bool derivatives) {
  const auto f = derivatives ? phi.derivative : phi.value;
  return bivariate_gaussian_expectation([f](double x) { return f(x); }, [f](double x) { return f(x); },
                                        {.variance = q, .correlation = c, .f_kinks = phi.kinks, .g_kinks = phi.kinks});
}

// The length at which chi_1 and the correlation map are evaluated: q* itself, or its limit when q*
// is 0 or infinite (NaN where no limit exists).
double evaluation_length(const ScalarActivation& phi, double q_star) {
  if (q_star == 0.0) return kVanishingLength;
  if (std::isinf(q_star)) return phi.positively_homogeneous ? 1.0 : kNaN;
  return q_star;
}

// c -> a E[phi(u1) phi(u2)] + b with u of variance q, and its slope a q E[phi'(u1) phi'(u2)].
struct CorrelationMap {
  const ScalarActivation& phi;
  double q, a, b;
  double operator()(double c) const { return a * joint_moment(phi, q, c, false) + b; }
  double slope(double c) const { return a * q * joint_moment(phi, q, c, true); }
};

// In the chaotic phase the correlation map has a stable fixed point below 1: g(c) = C(c) - c is >= 0
// at c = -1 (C is a correlation) and negative just below 1 (its slope at 1 is chi_1 - 1 > 0), so
// Newton's method kept inside that bracket finds it.
double chaotic_fixed_point(const CorrelationMap& map) {
  double hi = kNaN;
  for (double gap : {1e-2, 1e-4, 1e-6, 1e-8}) {
    if (map(1.0 - gap) - (1.0 - gap) < 0) {
      hi = 1.0 - gap;
      break;
    }
  }
  if (std::isnan(hi)) return 1.0;
  double lo = -1.0;
  double c = hi;
  for (int iteration = 0; iteration < 100; ++iteration) {
    const double g = map(c) - c;
    if (g >= 0) lo = c; else hi = c;
    const double slope = map.slope(c) - 1.0;
    double next = slope != 0.0 ? c - g / slope : kNaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - c) <= 1e-12 || hi - lo <= 1e-12) return next;
    c = next;
  }
  return c;
}

}  // namespace

void check_variances(const InitVariances& v) {
  if (!std::isfinite(v.sigma_w2) || v.sigma_w2 < 0) {
    fail("sigma_w2 (the weight variance times fan_in) must be finite and >= 0, got {}", v.sigma_w2);
  }
  if (!std::isfinite(v.sigma_b2) || v.sigma_b2 < 0) {
    fail("sigma_b2 (the bias variance) must be finite and >= 0, got {}", v.sigma_b2);
  }
}

double length_map(const ScalarActivation& phi, const InitVariances& v, double q) {
  check_variances(v);
  check_length(q, "length_map");
  return v.sigma_w2 * second_moment(phi, q) + v.sigma_b2;
}

double length_slope(const ScalarActivation& phi, const InitVariances& v, double q) {
  check_variances(v);
  check_length(q, "length_slope");
  const double at = q == 0.0 ? kVanishingLength : q;
  const double moment = gaussian_expectation([&](double x) { return x * phi.value(x) * phi.derivative(x); },
                                             pre_activation(phi, at));
  return v.sigma_w2 * moment / at;
}

double length_fixed_point(const ScalarActivation& phi, const InitVariances& v) {
  check_variances(v);
  const auto excess = [&](double q) { return length_map(phi, v, q) - q; };
  // excess(0) >= 0; the first place it turns negative going up from 0 is the attracting fixed point.
  if (excess(0.0) == 0.0 && length_slope(phi, v, 0.0) <= 1.0) return 0.0;
  double lo = 0.0;
  double hi = 1e-6;
  while (excess(hi) > 0) {
    lo = hi;
    hi *= 4.0;
    if (hi > kLargestLength) return kInfinity;
  }
  for (int iteration = 0; iteration < 200 && hi - lo > 1e-13 * hi; ++iteration) {
    const double mid = 0.5 * (lo + hi);
    if (excess(mid) > 0) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

double gradient_gain(const ScalarActivation& phi, const InitVariances& v, double q) {
  check_variances(v);
  check_length(q, "gradient_gain");
  const double at = q == 0.0 ? kVanishingLength : q;
  return v.sigma_w2 * gaussian_expectation([&](double x) { const double d = phi.derivative(x); return d * d; },
                                           pre_activation(phi, at));
}

double correlation_map(const ScalarActivation& phi, const InitVariances& v, double q, double c) {
  check_variances(v);
  check_length(q, "correlation_map");
  if (q == 0.0) fail("correlation_map: the length q must be > 0");
  return (v.sigma_w2 * joint_moment(phi, q, c, false) + v.sigma_b2) / q;
}

double correlation_slope(const ScalarActivation& phi, const InitVariances& v, double q, double c) {
  check_variances(v);
  check_length(q, "correlation_slope");
  return v.sigma_w2 * joint_moment(phi, q, c, true);
}

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::ordered: return "ordered";
    case Phase::critical: return "critical";
    case Phase::chaotic: return "chaotic";
    case Phase::unbounded: return "unbounded";
  }
  return "?";
}

double depth_scale(double chi) {
  if (std::isnan(chi) || chi < 0) return kNaN;
  if (chi == 1.0) return kInfinity;
  return -1.0 / std::log(chi);
}

GradientPropagation gradient_propagation(const ScalarActivation& phi, const InitVariances& v) {
  GradientPropagation g;
  g.q_star = length_fixed_point(phi, v);
  const double q = evaluation_length(phi, g.q_star);
  g.chi_1 = std::isnan(q) ? kNaN : gradient_gain(phi, v, q);
  g.depth_gradient = depth_scale(g.chi_1);
  if (std::isnan(g.chi_1)) {
    g.phase = Phase::unbounded;
  } else if (std::abs(g.chi_1 - 1.0) <= kCriticalTolerance) {
    // Within the quadrature's accuracy of 1: the depth scale is infinite, not 1e15 layers of rounding.
    g.phase = Phase::critical;
    g.depth_gradient = kInfinity;
  } else {
    g.phase = g.chi_1 < 1.0 ? Phase::ordered : Phase::chaotic;
  }
  return g;
}

SignalPropagation signal_propagation(const ScalarActivation& phi, const InitVariances& v) {
  SignalPropagation s;
  s.gradient = gradient_propagation(phi, v);
  const double q = evaluation_length(phi, s.gradient.q_star);
  if (std::isnan(q)) {
    s.chi_q = s.depth_length = s.c_star = s.chi_c = s.depth_correlation = kNaN;
    return s;
  }
  s.chi_q = std::isinf(s.gradient.q_star) ? s.gradient.chi_1 : length_slope(phi, v, s.gradient.q_star);
  s.depth_length = depth_scale(s.chi_q);
  const bool limit = q != s.gradient.q_star;
  const CorrelationMap map = limit ? CorrelationMap{phi, q, 1.0 / second_moment(phi, q), 0.0}
                                   : CorrelationMap{phi, q, v.sigma_w2 / q, v.sigma_b2 / q};
  s.c_star = s.gradient.phase == Phase::chaotic ? chaotic_fixed_point(map) : 1.0;
  s.chi_c = map.slope(s.c_star);
  s.depth_correlation = depth_scale(s.chi_c);
  return s;
}

}  // namespace gradlab::theory
