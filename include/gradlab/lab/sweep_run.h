#pragma once
/// Running a sweep: each configuration of a grid (sweep_grid.h) probed as `gradlab probe --seed`
/// probes it (probe_configuration.h), in parallel, one configuration per worker thread, with results
/// that do not depend on the number of workers or on which configurations ran before.
///
///   std::vector<SweepConfig> configs = expand_grid({.depths = {8, 16, 32}, .trials = 3});
///   run_sweep(configs, {.workers = 2},
///             [](const SweepResult& r) { std::cout << r.config.id << " " << r.input_grad_norm << "\n"; });

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/instrument/through_time.h"
#include "gradlab/lab/sweep_grid.h"

namespace gradlab {

/// The time axis of one configuration with recurrent layers (through_time.h), in a few figures: the
/// lesson's "number of layers times the number of time-steps" crossed from the top layer's last step
/// to the bottom layer's first.
struct SweepTimeAxis {
  /// Time steps T of the bottom recurrent layer call.
  int64_t time_steps = 0;
  /// Recurrent layer calls measured (a Bidirectional's two count as two).
  int64_t recurrent_layers = 0;
  /// ‖∂L/∂h_0‖ of the bottom layer: the gradient reaching the first time step.
  double first_step_grad_norm = 0;
  /// ‖∂L/∂h_{T-1}‖ of the top layer: the gradient the loss gives its last step.
  double last_step_grad_norm = 0;
  /// Their ratio (ThroughTimeRecord::first_to_last_ratio; NaN when not measured).
  double first_to_last_ratio = 0;
  /// The bottom layer's gain per step back in time (StateGradients::gain_per_step).
  double gain_per_step = 0;
  /// The verdict over layers × time (ThroughTimeRecord::verdict).
  FlowVerdict verdict = FlowVerdict::healthy;
  /// The bottom layer's recurrent kernel: the largest spectral radius and largest singular value over
  /// its gate blocks, and Pascanu et al. 2013's bound 1/γ (NaN for gated or layer-normalized cells).
  double spectral_radius = 0;
  double largest_singular_value = 0;
  double pascanu_bound = 0;
  /// σ_max below the bound: vanishing guaranteed (KernelSpectrum::vanishing_guaranteed).
  bool vanishing_guaranteed = false;
  /// The bottom layer's LSTM forget gate: shares near 0 and near 1 (NaN without a measured forget gate).
  double forget_gate_near_zero = 0;
  double forget_gate_near_one = 0;
};

/// The figures of `record`; nullopt when it measured no recurrent layer call.
std::optional<SweepTimeAxis> sweep_time_axis(const ThroughTimeRecord& record);

/// What one configuration measured.
struct SweepResult {
  SweepConfig config;
  /// ||dL / d input||_2 (0 when nothing reaches the input); with L = mean(output), the lesson's measure.
  double input_grad_norm = 0;
  /// g_k of the summary, one per Dense layer from the input side (see flow_summary.h).
  std::vector<double> layer_grad_norms;
  double first_to_last_ratio = 0;
  double mean_gain = 0;
  /// The summary's squared gain g and depth scale xi, on which the verdict rests.
  double squared_gain = 0;
  double depth_scale = 0;
  FlowVerdict verdict = FlowVerdict::healthy;
  std::optional<std::string> saturation_begins;
  std::optional<std::string> dead_units_begin;
  /// The differentiated scalar (mean of the output unless probe_loss says otherwise).
  double loss = 0;
  /// Which scalar was differentiated (ProbeLoss, resolved: never automatic).
  ProbeLoss probe_loss = ProbeLoss::mean;
  /// Anomaly::describe() of the first NaN or infinity, when there was one.
  std::optional<std::string> anomaly;
  /// The time axis, for a configuration with recurrent layers. For an inline recurrent network
  /// (SweepConfig::recurrent) `verdict` and `first_to_last_ratio` above are this axis's, over layers × time.
  std::optional<SweepTimeAxis> time_axis;
  /// The whole time axis (‖∂L/∂h_t‖ of every layer and step), kept only with SweepOptions::keep_pass.
  std::shared_ptr<const ThroughTimeRecord> through_time;
  /// The whole probed pass, kept only when asked (SweepOptions::keep_pass), for charts.
  std::shared_ptr<const PassRecord> pass;
};

/// Probes one configuration on the calling thread (see the file comment); keeps the pass in the
/// result when `keep_pass`.
SweepResult run_sweep_config(const SweepConfig& config, const FlowThresholds& thresholds = {}, bool keep_pass = false);

/// The CPUs this process may run on (its affinity mask: fewer than the machine's under taskset, a
/// cpuset, or an MPI launcher binding each rank to cores); at least 1.
int usable_cpus();

/// Options of run_sweep().
struct SweepOptions {
  /// Worker threads; 0 means usable_cpus(). Never more than the configurations.
  int workers = 0;
  FlowThresholds thresholds;
  /// Keep each configuration's PassRecord in its result (SweepResult::pass): about a kilobyte per
  /// layer call, for reports.
  bool keep_pass = false;
};

/// Called with each result, on the thread that called run_sweep, in the order they finish.
using SweepResultCallback = std::function<void(const SweepResult&)>;
/// Asked before each configuration starts, by the worker about to start it, one call at a time;
/// true stops the sweep. Must be safe to call from any thread (interrupt_requested is).
using SweepStopPredicate = std::function<bool()>;

/// Runs `configs` on `options.workers` threads, one configuration per thread at a time, with
/// BLAS single-threaded for the duration (BlasThreadsScope), and passes each result to `on_result`
/// as it finishes. Once `should_stop` returns true no configuration is started; those running finish
/// and are delivered: a predicate that says true on its (k+1)-th call runs exactly k configurations. Returns the number delivered. An exception from a configuration or from
/// `on_result` stops the sweep the same way and is rethrown once the workers have finished.
int64_t run_sweep(const std::vector<SweepConfig>& configs, const SweepOptions& options,
                  const SweepResultCallback& on_result, const SweepStopPredicate& should_stop = {});

}  // namespace gradlab
