// The phase diagram measured on the sweep engine, beside the theory's chi_1 and critical line.
#include "gradlab/lab/edge_of_chaos.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "gradlab/error.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/theory/scalar_activation.h"

namespace gradlab {
namespace {

std::vector<double> axis(double min, double max, int points) {
  std::vector<double> values;
  for (int i = 0; i < points; ++i) values.push_back(points == 1 ? min : min + (max - min) * i / (points - 1));
  return values;
}

}  // namespace

void validate(const EdgeOfChaosOptions& o) {
  if (o.activations.empty()) fail("edge of chaos: needs at least one activation");
  for (std::size_t i = 0; i < o.activations.size(); ++i) {
    theory::scalar_activation(o.activations[i]);
    if (std::find(o.activations.begin(), o.activations.begin() + static_cast<std::ptrdiff_t>(i), o.activations[i]) !=
        o.activations.begin() + static_cast<std::ptrdiff_t>(i)) {
      fail("edge of chaos: activation {} is listed twice", o.activations[i]);
    }
  }
  theory::check_phase_grid(o.grid);
  if (o.depth < 2 || o.depth > kMaxProbeDepth) fail("edge of chaos: depth must be in [2, {}], got {}", kMaxProbeDepth, o.depth);
  if (o.width < 1 || o.width > kMaxProbeUnits) fail("edge of chaos: width must be in [1, {}], got {}", kMaxProbeUnits, o.width);
  if (o.batch < 1 || o.batch > kMaxProbeUnits) fail("edge of chaos: batch must be in [1, {}], got {}", kMaxProbeUnits, o.batch);
  if (o.workers < 0) fail("edge of chaos: workers must be 0 (every CPU) or more, got {}", o.workers);
}

EdgeOfChaos run_edge_of_chaos(const EdgeOfChaosOptions& o, const std::function<void(int64_t, int64_t)>& progress) {
  validate(o);
  EdgeOfChaos edge{.options = o};
  const theory::PhaseGrid& g = o.grid;
  const SweepGrid grid{.depths = {o.depth},
                       .widths = {o.width},
                       .activations = o.activations,
                       .sigma_w2s = axis(g.sigma_w2_min, g.sigma_w2_max, g.sigma_w2_points),
                       .sigma_b2s = axis(g.sigma_b2_min, g.sigma_b2_max, g.sigma_b2_points),
                       .batches = {o.batch},
                       .trials = 1,
                       .seed = o.seed,
                       .probe_loss = ProbeLoss::random_projection};
  const std::vector<SweepConfig> configs = expand_grid(grid);
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    index[configs[i].id] = i;
    const SkipNetworkOptions& n = configs[i].network;
    const theory::InitVariances v{.sigma_w2 = n.gaussian_init->sigma_w2, .sigma_b2 = n.gaussian_init->sigma_b2};
    edge.cells.push_back({.activation = n.activation,
                          .variances = v,
                          .measured_gain = std::nan(""),
                          .theory = theory::gradient_propagation(theory::scalar_activation(n.activation), v)});
  }
  int64_t done = 0;
  const auto total = static_cast<int64_t>(configs.size());
  run_sweep(configs, {.workers = o.workers, .dead_unit_batches = 0}, [&](const SweepResult& r) {
    EdgeCell& cell = edge.cells[index.at(r.config.id)];
    cell.measured_gain = r.squared_gain;
    cell.verdict = r.verdict;
    if (progress) progress(++done, total);
  });
  for (const std::string& activation : o.activations) {
    edge.critical_lines.push_back(theory::critical_line(theory::scalar_activation(activation), g.sigma_b2_max, 16));
  }
  for (const InitializerTheoryRow& row : lesson_initializer_theory()) {
    if (std::find(o.activations.begin(), o.activations.end(), row.activation) != o.activations.end()) {
      edge.initializers.push_back(row);
    }
  }
  return edge;
}

EdgeAgreement edge_agreement(const EdgeOfChaos& edge, std::string_view activation) {
  EdgeAgreement a;
  for (const EdgeCell& c : edge.cells) {
    if (c.activation != activation || !(c.measured_gain > 0) || !std::isfinite(c.measured_gain)) continue;
    const double log_chi = std::log(c.theory.chi_1);
    if (!std::isfinite(log_chi) || c.theory.phase == theory::Phase::critical) continue;
    ++a.measured;
    if ((std::log(c.measured_gain) > 0) == (log_chi > 0)) {
      ++a.agreeing;
    } else {
      a.largest_disagreeing_log_chi = std::max(a.largest_disagreeing_log_chi, std::abs(log_chi));
    }
  }
  return a;
}

}  // namespace gradlab
