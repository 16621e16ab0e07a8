#pragma once
/// The edge of chaos: the critical line chi_1 = 1 in the (sigma_w2, sigma_b2) plane and the phase
/// diagram around it (Poole et al. 2016, Fig. 2; Schoenholz et al. 2017, Fig. 1).
///
///   double w2 = critical_sigma_w2(scalar_activation("tanh"), 0.05);   // about 1.76
///   PhaseDiagram d = phase_diagram(scalar_activation("relu"), {});

#include <vector>

#include "gradlab/theory/mean_field.h"

namespace gradlab::theory {

/// The sigma_w2 at which chi_1 = 1 for this sigma_b2, to 1e-10 relative, found by bisection on
/// sigma_w2 in (0, 1e6] (points without a fixed point of the length map count as chi_1 > 1: their
/// signal grows). NaN when chi_1 stays below 1 up to 1e6. Throws Error for a negative or non-finite
/// sigma_b2.
double critical_sigma_w2(const ScalarActivation& phi, double sigma_b2);

/// One point of the critical line.
struct CriticalPoint {
  double sigma_b2 = 0;
  double sigma_w2 = 0;  ///< critical_sigma_w2 at sigma_b2
};

/// The critical line at `points` evenly spaced sigma_b2 from 0 to sigma_b2_max inclusive (points >= 2).
std::vector<CriticalPoint> critical_line(const ScalarActivation& phi, double sigma_b2_max, int points);

/// The grid of a phase diagram: sigma_w2 and sigma_b2 evenly spaced, ends included.
struct PhaseGrid {
  double sigma_w2_min = 0.5;
  double sigma_w2_max = 4.0;
  int sigma_w2_points = 36;
  double sigma_b2_min = 0.0;
  double sigma_b2_max = 0.3;
  int sigma_b2_points = 16;
};

/// Throws Error naming the bad field unless the grid's ends are finite, min >= 0 (sigma_w2_min > 0),
/// min <= max, and each axis has 1 to 1000 points (max == min when it has 1).
void check_phase_grid(const PhaseGrid& grid);

/// One point of a phase diagram.
struct PhasePoint {
  InitVariances variances;
  GradientPropagation propagation;
};

/// gradient_propagation() at every grid point (sigma_b2 outer, sigma_w2 inner) and the critical line
/// at the grid's sigma_b2 values.
struct PhaseDiagram {
  PhaseGrid grid;
  std::vector<PhasePoint> points;
  std::vector<CriticalPoint> critical;
};
PhaseDiagram phase_diagram(const ScalarActivation& phi, const PhaseGrid& grid);

}  // namespace gradlab::theory
