#include "gradlab/theory/gaussian_expectation.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "gradlab/error.h"

namespace gradlab::theory {
namespace {

// Beyond |z| = 37.5 the standard normal density is below 1e-300, so nothing an activation of
// polynomial growth does there reaches a double's resolution of the integral.
constexpr double kZLimit = 37.5;
// Fixed cuts between the kinks: the density changes scale near the centre much faster than in the
// tails, so the first rule applied to each piece is already accurate and the adaptive step only
// confirms it. The tails past 9 hold less than 1e-18 of the mass.
constexpr double kCuts[] = {1.5, 3.0, 4.5, 6.0, 8.0, 11.0, 16.0, 24.0};
constexpr int kRulePoints = 20;
// Relative to the integral of |h|: the 1e-8 the theory promises with four orders to spare for the
// fixed-point solvers that difference these values.
constexpr double kRelativeTolerance = 1e-13;
// Each piece's tolerance is not halved on splitting: a bivariate integrand carries the inner
// quadrature's rounding noise, which a halved tolerance would chase down to the depth limit. The
// limit bounds the work (2^8 halvings of a piece of width <= 13.5 reach the scale of 0.05).
constexpr int kMaxDepth = 8;

const QuadratureRule& rule() {
  static const QuadratureRule r = gauss_legendre_rule(kRulePoints);
  return r;
}

struct Piece {
  double value = 0.0;
  double magnitude = 0.0;  // the same rule applied to |h|
};

template <typename H>
Piece apply_rule(const H& h, double a, double b) {
  const QuadratureRule& r = rule();
  const double half = 0.5 * (b - a);
  const double centre = 0.5 * (a + b);
  Piece p;
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    const double v = h(centre + half * r.nodes[i]);
    p.value += r.weights[i] * v;
    p.magnitude += r.weights[i] * std::abs(v);
  }
  p.value *= half;
  p.magnitude *= half;
  return p;
}

template <typename H>
double refine(const H& h, double a, double b, double whole, double tolerance, int depth) {
  const double mid = 0.5 * (a + b);
  const double left = apply_rule(h, a, mid).value;
  const double right = apply_rule(h, mid, b).value;
  if (std::abs(left + right - whole) <= tolerance || depth >= kMaxDepth) return left + right;
  return refine(h, a, mid, left, tolerance, depth + 1) + refine(h, mid, b, right, tolerance, depth + 1);
}

// ∫ h(z) dz over [-kZLimit, kZLimit], with pieces cut at `breaks` (z values) and the fixed cuts.
template <typename H>
double integrate(const H& h, std::vector<double> breaks) {
  breaks.push_back(-kZLimit);
  breaks.push_back(kZLimit);
  breaks.push_back(0.0);
  for (double c : kCuts) {
    breaks.push_back(c);
    breaks.push_back(-c);
  }
  std::erase_if(breaks, [](double z) { return !(std::abs(z) <= kZLimit); });
  std::sort(breaks.begin(), breaks.end());
  breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());

  std::vector<Piece> pieces;
  double magnitude = 0.0;
  for (std::size_t i = 0; i + 1 < breaks.size(); ++i) {
    pieces.push_back(apply_rule(h, breaks[i], breaks[i + 1]));
    magnitude += pieces.back().magnitude;
  }
  if (magnitude == 0.0) return 0.0;
  const double tolerance = kRelativeTolerance * magnitude / static_cast<double>(pieces.size());
  double total = 0.0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    // A piece whose whole absolute integral is within the tolerance (the far tails) needs no check.
    total += pieces[i].magnitude <= tolerance ? pieces[i].value
                                              : refine(h, breaks[i], breaks[i + 1], pieces[i].value, tolerance, 0);
  }
  return total;
}

double standard_normal_density(double z) { return std::exp(-0.5 * z * z) * (0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2); }

}  // namespace

QuadratureRule gauss_legendre_rule(int n) {
  if (n < 1 || n > 1000) fail("gauss_legendre_rule: n must be in [1, 1000], got {}", n);
  QuadratureRule r;
  r.nodes.resize(static_cast<std::size_t>(n));
  r.weights.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < (n + 1) / 2; ++i) {
    // Tricomi's approximation of the i-th largest root, then Newton on P_n.
    double x = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));
    double derivative = 0.0;
    for (int iteration = 0; iteration < 100; ++iteration) {
      double p0 = 1.0;
      double p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      derivative = n * (x * p1 - p0) / (x * x - 1.0);
      const double step = p1 / derivative;
      x -= step;
      if (std::abs(step) <= 1e-16) break;
    }
    const double w = 2.0 / ((1.0 - x * x) * derivative * derivative);
    r.nodes[static_cast<std::size_t>(i)] = -x;
    r.nodes[static_cast<std::size_t>(n - 1 - i)] = x;
    r.weights[static_cast<std::size_t>(i)] = w;
    r.weights[static_cast<std::size_t>(n - 1 - i)] = w;
  }
  return r;
}

double gaussian_expectation(const RealFunction& f, const NormalVariable& x) {
  if (!std::isfinite(x.mean) || !std::isfinite(x.stddev) || x.stddev < 0) {
    fail("gaussian_expectation: expected a finite mean and a finite stddev >= 0, got mean={}, stddev={}", x.mean,
         x.stddev);
  }
  if (x.stddev == 0.0) return f(x.mean);
  std::vector<double> breaks;
  for (double k : x.kinks) breaks.push_back((k - x.mean) / x.stddev);
  return integrate([&](double z) { return f(x.mean + x.stddev * z) * standard_normal_density(z); },
                   std::move(breaks));
}

double bivariate_gaussian_expectation(const RealFunction& f, const RealFunction& g, const BivariateNormal& u) {
  if (!std::isfinite(u.variance) || u.variance < 0 || !(std::abs(u.correlation) <= 1.0)) {
    fail(
        "bivariate_gaussian_expectation: expected a finite variance >= 0 and a correlation in [-1, 1], got "
        "variance={}, correlation={}",
        u.variance, u.correlation);
  }
  const double stddev = std::sqrt(u.variance);
  const double c = u.correlation;
  const double s = std::sqrt(std::max(0.0, 1.0 - c * c));
  // Given u1, u2 is normal with mean c u1 and stddev sqrt(variance) s; the outer integrand is smooth
  // except at f's kinks and, as s -> 0, near g's kinks seen through u2 = c u1, so both are cuts.
  std::vector<double> outer_kinks(u.f_kinks.begin(), u.f_kinks.end());
  if (c != 0.0) {
    for (double k : u.g_kinks) outer_kinks.push_back(k / c);
  }
  const auto inner = [&](double u1) {
    const double fu = f(u1);
    if (fu == 0.0) return 0.0;
    return fu * gaussian_expectation(g, {.mean = c * u1, .stddev = stddev * s, .kinks = u.g_kinks});
  };
  return gaussian_expectation(inner, {.mean = 0.0, .stddev = stddev, .kinks = outer_kinks});
}

}  // namespace gradlab::theory
