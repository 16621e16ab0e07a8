#pragma once
/// The lesson's experiments as one study: every cell reproduced over many seeds, then extended to
/// deeper networks and saturating activations. Returns plain results; printing is the caller's job.
///
///   LessonStudy study = run_lesson_study({.seed = 7, .trials = 1000});
///   for (const GradientNormResult& r : study.skip_connections)
///     std::cout << skip_connection_label(r.skip) << " " << r.measured.median << "\n";
///
/// Reproducibility: trial t of a configuration draws everything (inputs, kernels) from
/// Rng(seed).fork(stream), where the stream is fixed by the experiment, the configuration's content
/// (initializer case; or skip, activation and depth) and t. So results do not depend on the order of
/// the trials, nor on which other depths or activations were asked for, and the depth-grid row for
/// (relu, depth 4) uses the same first trials as the lesson table.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/statistics.h"
#include "gradlab/lab/kernel_variance.h"
#include "gradlab/lab/normalization_study.h"
#include "gradlab/lab/recurrent_depth_study.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/tensor/dtype.h"

namespace gradlab {

/// An initializer cell of the lesson and the variance it printed.
struct LessonKernelCell {
  KernelVarianceCase layer;
  double printed_variance;
};

/// The lesson's four initializer cells (In [15] and In [16]): he_uniform and glorot_uniform,
/// 10 -> 32 and 100 -> 128, printed 0.19253153, 0.019861732, 0.04799015, 0.008802493.
const std::vector<LessonKernelCell>& lesson_kernel_cells();

/// The input-gradient norm the lesson printed for a 4-layer relu network with this wiring (In [192]-[194]):
/// 0.0202007275 (no skip), 0.0324114449 (residual), 0.0306733567 (concat skip).
double lesson_printed_gradient_norm(SkipConnection skip);

/// Options of run_lesson_study().
struct LessonStudyOptions {
  /// Seed of every draw (see the file comment).
  uint64_t seed = 0;
  /// Trials per configuration for the initializer table and the 4-layer table (each at least 1).
  int trials = 1000;
  /// Trials per configuration for the depth grid (at least 1).
  int grid_trials = 100;
  /// Depths of the grid, each in [1, kMaxStudyDepth].
  std::vector<int> depths = {4, 8, 16, 32, 64};
  /// Activations of the grid, each a name get_activation() accepts.
  std::vector<std::string> activations = {"relu", "sigmoid", "tanh"};
  /// Kernel initializer of the depth grid's Dense layers (a name Initializer accepts); the 4-layer
  /// table keeps the lesson's glorot_uniform so it stays comparable with the lesson's figures.
  std::string grid_initializer = "glorot_uniform";
  /// Element type of inputs and variables (the lesson's TensorFlow uses float32).
  DType dtype = DType::float32;
  /// Trials per configuration of the normalization section (0 skips the section).
  int normalization_trials = 5;
  /// Depths of the normalization section's table, each in [1, kMaxStudyDepth].
  std::vector<int> normalization_depths = {16, 32, 64};
  /// Seeds per point of the recurrent section (run_recurrent_depth_study; 0 skips the section).
  int recurrent_trials = 3;
  /// Time steps of the recurrent section's time axis (RecurrentDepthStudyOptions::time_steps).
  std::vector<int64_t> recurrent_time_steps = {10, 100, 1000};
};

/// Deepest network the study builds.
inline constexpr int kMaxStudyDepth = 1024;

/// Measured kernel variances of one initializer cell, beside theory and the lesson's figure.
struct KernelVarianceResult {
  KernelVarianceCase layer;
  /// theoretical_kernel_variance(initializer, fan_in, units).
  double theory = 0;
  /// What the lesson printed for its single draw.
  double lesson = 0;
  /// Over the trials.
  SampleSummary measured;
  /// Where the lesson's figure falls among the trials, in percent (percentile_of_score).
  double lesson_percentile = 0;
};

/// Input-gradient norms of one network configuration over its trials.
struct GradientNormResult {
  SkipConnection skip = SkipConnection::none;
  int depth = 4;
  std::string activation = "relu";
  /// ||d mean(output) / d input||_2 over the trials.
  SampleSummary measured;
  /// The lesson's printed figure and where it falls among the trials (4-layer relu table only).
  std::optional<double> lesson;
  std::optional<double> lesson_percentile;
};

/// Everything run_lesson_study() measured.
struct LessonStudy {
  LessonStudyOptions options;
  /// The lesson's four initializer cells, in its order.
  std::vector<KernelVarianceResult> kernel_variance;
  /// The lesson's three 4-layer relu networks: no skip, residual, concat skip.
  std::vector<GradientNormResult> skip_connections;
  /// Every (activation, depth, skip) of the options, activation-major, then depth, then skip.
  std::vector<GradientNormResult> depth_grid;
  /// The lesson's normalization section (run_normalization_study with the lesson's seed and dtype,
  /// relu, tanh and sigmoid, Glorot and He); empty cells when normalization_trials is 0.
  NormalizationStudy normalization;
  /// The lesson's "layers times time-steps" measured (run_recurrent_depth_study with the lesson's seed,
  /// recurrent_trials and recurrent_time_steps, its layers axis at the middle one of those time steps,
  /// in float64); empty when recurrent_trials is 0.
  std::optional<RecurrentDepthStudy> recurrent;
};

/// Checks `options` and throws Error naming the first bad value (trials, depths, activations).
void validate(const LessonStudyOptions& options);

/// Runs every experiment of the study (validating the options first). Deterministic in the options.
LessonStudy run_lesson_study(const LessonStudyOptions& options);

}  // namespace gradlab
