#pragma once
/// The lesson's claim about recurrent networks, measured: "the effective depth is not just the number
/// of layers but the number of layers times the number of time-steps". For SimpleRNN (tanh; glorot vs
/// orthogonal recurrent kernel; with and without layer norm, Ba et al. 2016), LSTM and GRU, the
/// gradient reaching the first time step against T (one layer) and against layers (T fixed), over
/// several seeds, run as one sweep of recurrent networks (sweep_grid.h, run_sweep) in parallel; then
/// one layers × time grid of ‖∂L/∂h_t‖, and what the numbers say.
///
///   RecurrentDepthStudy s = run_recurrent_depth_study({.time_steps = {10, 100, 1000}, .trials = 3});
///   s.cases[0].over_time.back().ratio.median;   // SimpleRNN (glorot) at T = 1000: h_0's share
///   for (const RecurrentFinding& f : s.findings) std::cout << f.text << "\n";
///
/// The measure is ThroughTimeRecord::first_to_last_ratio: ‖∂L/∂h_0‖ of the bottom layer over
/// ‖∂L/∂h_{T-1}‖ of the top layer, with L the mean of the output, in float64 by default (float32
/// flushes a ratio below about 1e-45 to 0, which would hide how fast it falls).

#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/instrument/statistics.h"
#include "gradlab/instrument/through_time.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/tensor/dtype.h"

namespace gradlab {

/// Options of run_recurrent_depth_study().
struct RecurrentDepthStudyOptions {
  /// T of the time axis (one layer), each 2 to kMaxProbeTimeSteps, increasing.
  std::vector<int64_t> time_steps = {10, 30, 100, 300, 1000};
  /// Layers of the layers axis, each 1 to 64, increasing.
  std::vector<int> layers = {1, 2, 4};
  /// T of the layers axis and of the heatmap.
  int64_t layers_time_steps = 100;
  /// Seeds (trials) per point, at least 1.
  int trials = 3;
  int64_t units = 32;
  int64_t batch = 8;
  DType dtype = DType::float64;
  uint64_t seed = 0;
  /// Worker threads of the sweep (0: one per usable CPU).
  int workers = 0;
};

/// One network of the study: a cell with its recurrent initializer and normalization.
struct RecurrentDepthCase {
  /// "SimpleRNN, glorot_uniform recurrent", "LSTM", ...
  std::string label;
  RecurrentCell cell = RecurrentCell::simple_rnn;
  std::string recurrent_initializer = "orthogonal";
  bool layer_norm = false;
};

/// The cases the study measures: SimpleRNN (tanh) with glorot_uniform and orthogonal recurrent
/// kernels, each without and with layer norm; then LSTM and GRU with Keras's defaults.
const std::vector<RecurrentDepthCase>& recurrent_depth_cases();

/// One point of an axis: the ratio over the trials.
struct RecurrentDepthPoint {
  int layers = 1;
  int64_t time_steps = 0;
  /// first_to_last_ratio over the trials (median and range; zero_fraction: ratios that were exactly 0).
  SampleSummary ratio;
  /// The bottom layer's gain per step, over the trials.
  SampleSummary gain_per_step;
};

/// One case measured along both axes.
struct RecurrentDepthCaseResult {
  RecurrentDepthCase network;
  /// One layer, each of options.time_steps.
  std::vector<RecurrentDepthPoint> over_time;
  /// options.layers_time_steps steps, each of options.layers.
  std::vector<RecurrentDepthPoint> over_layers;
};

/// A sentence the measurements chose, and the figures it rests on (shown beside it).
struct RecurrentFinding {
  std::string text;
  std::string figures;
};

/// What run_recurrent_depth_study() measured.
struct RecurrentDepthStudy {
  RecurrentDepthStudyOptions options;
  /// recurrent_depth_cases(), in order.
  std::vector<RecurrentDepthCaseResult> cases;
  /// The layers × time grid of ‖∂L/∂h_t‖ of one network: the first case (SimpleRNN, glorot_uniform)
  /// with the most layers of options.layers over options.layers_time_steps steps, trial 0.
  ThroughTimeRecord heatmap;
  /// recurrent_network_label() of the heatmap's network.
  std::string heatmap_label;
  /// Sentences chosen by comparing the measured medians (each with its figures).
  std::vector<RecurrentFinding> findings;
};

/// Throws Error naming the first bad option.
void validate(const RecurrentDepthStudyOptions& options);

/// Runs the study (validating first). Deterministic in the options, whatever the workers: each
/// configuration draws from its own seed (sweep_config_seed of options.seed and its id).
RecurrentDepthStudy run_recurrent_depth_study(const RecurrentDepthStudyOptions& options);

}  // namespace gradlab
