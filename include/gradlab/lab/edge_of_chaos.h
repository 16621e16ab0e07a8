#pragma once
/// The edge of chaos measured: the per-layer gain of the squared gradient norm of deep Dense stacks
/// over a grid of (sigma_w2, sigma_b2), beside the mean-field theory's chi_1 and its critical line
/// (Poole et al. 2016, "Exponential expressivity in deep neural networks through transient chaos",
/// Fig. 2; Schoenholz et al. 2017, "Deep Information Propagation", Fig. 1).
///
///   EdgeOfChaos e = run_edge_of_chaos({.grid = {.sigma_w2_points = 16, .sigma_b2_points = 8}});
///   EdgeAgreement a = edge_agreement(e, "tanh");   // how many cells fall on the theory's side
///
/// Every cell is one configuration of the sweep engine (sweep_grid.h, run_sweep: in parallel, one
/// configuration per worker): a SkipNetwork of `depth` Dense layers of `width` units initialized by
/// variances (weights N(0, sigma_w2 / fan_in), biases N(0, sigma_b2)), input U[0, 1) of `batch` x 128,
/// probe loss random_projection (its upstream gradient is independent of the forward pass, as the
/// theory's gradient independence assumption requires: mean_field_comparison.h), no dead-unit
/// batches. The measured gain is the summary's squared gain g (FlowSummary::squared_gain, the
/// least-squares fit over the layers that `gradlab probe` reports as "squared gain g"); the theory's
/// is chi_1 at the same point.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/theory/critical_line.h"
#include "gradlab/theory/mean_field.h"

namespace gradlab {

/// Options of run_edge_of_chaos().
struct EdgeOfChaosOptions {
  /// Activations measured, each with a mean-field map (theory::scalar_activation).
  std::vector<std::string> activations = {"tanh", "relu"};
  /// The (sigma_w2, sigma_b2) grid (theory::check_phase_grid): by default sigma_w2 in [0.5, 4],
  /// sigma_b2 in [0, 0.3], the ranges of Schoenholz et al. 2017's Fig. 1.
  theory::PhaseGrid grid{.sigma_w2_points = 40, .sigma_b2_points = 20};
  /// Dense layers of every network.
  int depth = 50;
  /// Units of every layer and rows of the input batch.
  int64_t width = 64;
  int64_t batch = 16;
  uint64_t seed = 0;
  /// Worker threads of the sweep (0: every usable CPU).
  int workers = 0;
};

/// One measured point.
struct EdgeCell {
  std::string activation;
  theory::InitVariances variances;
  /// The measured squared gain g per layer (NaN when the pass had fewer than two finite, non-zero
  /// layer norms).
  double measured_gain = 0;
  FlowVerdict verdict = FlowVerdict::healthy;
  /// The theory at the same point: q*, chi_1, xi_grad, phase.
  theory::GradientPropagation theory;
};

/// Everything run_edge_of_chaos() computed.
struct EdgeOfChaos {
  EdgeOfChaosOptions options;
  /// Activation-major, then sigma_w2, then sigma_b2 (the sweep's order).
  std::vector<EdgeCell> cells;
  /// Per activation (in options order), the critical line at 16 sigma_b2 values over the grid's range.
  std::vector<std::vector<theory::CriticalPoint>> critical_lines;
  /// The lesson's initializers on a square layer with zero biases (lesson_initializer_theory()),
  /// for the activations measured.
  std::vector<InitializerTheoryRow> initializers;
};

/// Throws Error naming the bad option: an activation without a mean-field map or listed twice, a
/// bad grid (check_phase_grid), a depth below 2 or above kMaxProbeDepth, a width or batch below 1
/// or above kMaxProbeUnits, negative workers.
void validate(const EdgeOfChaosOptions& options);

/// Measures every cell (see the file comment). `progress(done, total)` is called on the calling
/// thread after each cell and may throw to stop.
EdgeOfChaos run_edge_of_chaos(const EdgeOfChaosOptions& options,
                              const std::function<void(int64_t, int64_t)>& progress = {});

/// How the measurement of one activation agrees with the theory's phase.
struct EdgeAgreement {
  int measured = 0;  ///< cells with a finite positive measured gain, off the critical line
  int agreeing = 0;  ///< of those, cells with ln g of the same sign as ln chi_1
  /// The largest |ln chi_1| among the cells that disagree (0 when none do): how far from the
  /// critical line a disagreement reaches.
  double largest_disagreeing_log_chi = 0;
};

/// The agreement of `activation`'s cells (all cells for an activation not measured: none).
EdgeAgreement edge_agreement(const EdgeOfChaos& edge, std::string_view activation);

}  // namespace gradlab
