#pragma once
// The printers of `gradlab theory`: the theory's figures at one point, its critical line and its
// phase diagram, as terminal text, JSON and CSV. Each figure is printed with the paper it comes from.
#include <string>
#include <vector>

#include "gradlab/theory/critical_line.h"
#include "gradlab/theory/initializer_variances.h"

namespace gradlab::cli {

/// What `gradlab theory` computed at one point.
struct TheoryPoint {
  std::string activation;
  theory::InitVariances variances;
  std::string initializer;  ///< the kernel initializer sigma_w2 came from, or empty
  Fans fans;                ///< the Dense layer the initializers are placed on
  theory::SignalPropagation figures;
  double critical_sigma_w2 = 0;  ///< on the critical line at this sigma_b2
  std::vector<theory::InitializerPlacement> initializers;
};

/// The figures, the critical sigma_w2 and the initializer table as terminal text.
std::string theory_point_text(const TheoryPoint& point);
/// The same as one JSON object (non-finite figures as null).
std::string theory_point_json(const TheoryPoint& point);

/// The critical line as a table (text) or a JSON object.
std::string critical_line_text(const std::string& activation, const std::vector<theory::CriticalPoint>& line);
std::string critical_line_json(const std::string& activation, const std::vector<theory::CriticalPoint>& line);

/// The phase diagram as CSV (one row per grid point, with the critical sigma_w2 of its sigma_b2) or
/// as a JSON object ({"activation", "grid", "points": [...], "critical_line": [...]}).
std::string phase_diagram_csv(const std::string& activation, const theory::PhaseDiagram& diagram);
std::string phase_diagram_json(const std::string& activation, const theory::PhaseDiagram& diagram);

}  // namespace gradlab::cli
