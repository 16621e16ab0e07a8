#include "gradlab/theory/critical_line.h"

#include <cmath>
#include <limits>

#include "gradlab/error.h"

namespace gradlab::theory {
namespace {

constexpr double kLargestSigmaW2 = 1e6;

// Gradients grow at a point without a fixed point of the length map, so it counts as above the line.
bool above_critical(const ScalarActivation& phi, double sigma_w2, double sigma_b2) {
  const GradientPropagation g = gradient_propagation(phi, {.sigma_w2 = sigma_w2, .sigma_b2 = sigma_b2});
  return g.phase == Phase::unbounded || g.chi_1 >= 1.0;
}

double axis_value(double min, double max, int points, int i) {
  return points == 1 ? min : min + (max - min) * i / (points - 1);
}

void check_axis(const char* name, double min, double max, int points, bool positive) {
  if (!std::isfinite(min) || !std::isfinite(max) || min < 0 || (positive && min == 0) || min > max) {
    fail("phase diagram: the {} axis must run over finite values {} 0 with min <= max, got {} to {}", name,
         positive ? ">" : ">=", min, max);
  }
  if (points < 1 || points > 1000) fail("phase diagram: the {} axis must have 1 to 1000 points, got {}", name, points);
  if (points == 1 && min != max) fail("phase diagram: the {} axis has 1 point but runs from {} to {}", name, min, max);
}

}  // namespace

double critical_sigma_w2(const ScalarActivation& phi, double sigma_b2) {
  check_variances({.sigma_w2 = 0.0, .sigma_b2 = sigma_b2});
  double lo = 0.0;
  double hi = 1.0;
  while (!above_critical(phi, hi, sigma_b2)) {
    lo = hi;
    hi *= 2.0;
    if (hi > kLargestSigmaW2) return std::numeric_limits<double>::quiet_NaN();
  }
  while (hi - lo > 1e-10 * hi) {
    const double mid = 0.5 * (lo + hi);
    if (above_critical(phi, mid, sigma_b2)) hi = mid; else lo = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<CriticalPoint> critical_line(const ScalarActivation& phi, double sigma_b2_max, int points) {
  check_variances({.sigma_w2 = 0.0, .sigma_b2 = sigma_b2_max});
  if (points < 2 || points > 1000) fail("critical_line: expected 2 to 1000 points, got {}", points);
  std::vector<CriticalPoint> line;
  for (int i = 0; i < points; ++i) {
    const double b2 = axis_value(0.0, sigma_b2_max, points, i);
    line.push_back({.sigma_b2 = b2, .sigma_w2 = critical_sigma_w2(phi, b2)});
  }
  return line;
}

void check_phase_grid(const PhaseGrid& grid) {
  check_axis("sigma_w2", grid.sigma_w2_min, grid.sigma_w2_max, grid.sigma_w2_points, true);
  check_axis("sigma_b2", grid.sigma_b2_min, grid.sigma_b2_max, grid.sigma_b2_points, false);
}

PhaseDiagram phase_diagram(const ScalarActivation& phi, const PhaseGrid& grid) {
  check_phase_grid(grid);
  PhaseDiagram d{.grid = grid};
  for (int j = 0; j < grid.sigma_b2_points; ++j) {
    const double b2 = axis_value(grid.sigma_b2_min, grid.sigma_b2_max, grid.sigma_b2_points, j);
    for (int i = 0; i < grid.sigma_w2_points; ++i) {
      const InitVariances v{.sigma_w2 = axis_value(grid.sigma_w2_min, grid.sigma_w2_max, grid.sigma_w2_points, i),
                            .sigma_b2 = b2};
      d.points.push_back({.variances = v, .propagation = gradient_propagation(phi, v)});
    }
    d.critical.push_back({.sigma_b2 = b2, .sigma_w2 = critical_sigma_w2(phi, b2)});
  }
  return d;
}

}  // namespace gradlab::theory
