#include "gradlab/lab/mean_field_comparison.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The transient ends where the predicted gain is this close to chi_1, relatively: well below the
// statistical spread of a measured mean gain at any width a probe runs (docs/theory.md).
constexpr double kSettled = 1e-3;

}  // namespace

std::optional<MeanFieldComparison> compare_with_mean_field(const PassRecord& pass, const FlowSummary& summary,
                                                           std::string_view activation, const GaussianInit& init) {
  if (!pass.input_signal) return std::nullopt;
  const theory::ScalarActivation& phi = theory::scalar_activation(activation);
  const theory::InitVariances v{.sigma_w2 = init.sigma_w2, .sigma_b2 = init.sigma_b2};
  MeanFieldComparison m;
  m.fixed_point = theory::signal_propagation(phi, v);
  const double q0 = pass.input_signal->mean_square, c0 = pass.input_signal->correlation.value_or(kNaN);
  double q = v.sigma_w2 * q0 + v.sigma_b2;
  double c = q > 0 ? (v.sigma_w2 * q0 * c0 + v.sigma_b2) / q : kNaN;
  for (std::size_t l = 0; l < summary.depth_layers.size(); ++l) {
    if (l > 0) {
      const double q_before = q;
      q = std::isfinite(q_before) ? theory::length_map(phi, v, q_before) : kNaN;
      const bool defined = q_before > 0 && q > 0 && std::isfinite(q) && std::isfinite(c);
      c = defined ? theory::correlation_map(phi, v, q_before, std::clamp(c, -1.0, 1.0)) * q_before / q : kNaN;
    }
    const double gain = std::isfinite(q) ? theory::gradient_gain(phi, v, q) : kNaN;
    m.layers.push_back({.q = q, .c = c, .gain = gain});
  }
  const double chi_1 = m.fixed_point.gradient.chi_1;
  m.transient = static_cast<int>(m.layers.size());
  while (m.transient > 0 && std::abs(m.layers[static_cast<std::size_t>(m.transient - 1)].gain / chi_1 - 1) <= kSettled) {
    --m.transient;
  }
  double total = 0;
  for (std::size_t l = static_cast<std::size_t>(m.transient); l < summary.layer_gains.size(); ++l) {
    if (!std::isfinite(summary.layer_gains[l])) continue;
    total += summary.layer_gains[l];
    ++m.gain_layers;
  }
  m.measured_mean_gain = m.gain_layers > 0 && std::isfinite(chi_1) ? total / m.gain_layers : kNaN;
  return m;
}

}  // namespace gradlab
