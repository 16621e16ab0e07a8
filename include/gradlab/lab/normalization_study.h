#pragma once
/// The lesson's normalization section, measured: deep Dense stacks with and without batch, layer and
/// group normalization, batch normalization's training and inference modes on one batch, batch
/// normalization with batches of 1 and 2, where its statistics break down and layer normalization's
/// do not, input normalization (a Normalization layer adapted on the data in front of a stack fed
/// inputs far from zero mean and unit scale), and instance normalization on vectors, where it has
/// nothing to normalize over, and on sequences, where it does. Returns plain results; printing is the
/// caller's job.
///
///   NormalizationStudy s = run_normalization_study({.seed = 7, .trials = 5});
///   for (const NormalizationCell& c : s.cells) ... c.input_grad_norm.median ...
///
/// Every network is a SkipNetwork without skips: depth blocks of Dense(width, linear), the
/// normalization, then the activation (no normalization: Dense(width, activation)), on inputs
/// U[0, 1) [batch, 128] (sequences: [batch, steps, 128]; the input-normalization rows: U[low, high)),
/// probed in training mode (batch statistics, as a training step sees them).
/// Trial t of a configuration draws everything from Rng(seed).fork(stream), the stream fixed by the
/// configuration's content and t.

#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/instrument/statistics.h"
#include "gradlab/lab/skip_network.h"

namespace gradlab {

/// U[low, high): the distribution of a probe's input.
struct InputRange {
  double low = 0;
  double high = 1;
};

/// Options of run_normalization_study().
struct NormalizationStudyOptions {
  uint64_t seed = 0;
  /// Trials per configuration (at least 1).
  int trials = 5;
  std::vector<int> depths = {16, 32, 64};
  std::vector<std::string> activations = {"relu", "tanh", "sigmoid"};
  std::vector<std::string> initializers = {"glorot_uniform", "he_uniform"};
  /// Normalizations compared in the depth table.
  std::vector<SkipNormalization> normalizations = {SkipNormalization::none, SkipNormalization::batch,
                                                   SkipNormalization::layer, SkipNormalization::group};
  /// Units of every Dense layer.
  int64_t width = 32;
  /// Rows of the input batch of the depth table and the train/inference comparison.
  int64_t batch = 32;
  DType dtype = DType::float32;
  /// Input distributions U[low, high) of the input-normalization table, each probed raw and through
  /// a Normalization adapted on data from the same distribution; low < high, both finite.
  std::vector<InputRange> input_ranges = {{0, 1}, {0, 255}};
  /// The instance-normalization table's sequences: [sequence_batch, steps, 128], steps at least 2
  /// (fewer rows than the vectors' batch, so that the 8 positions do not make the table 8 times dearer).
  int64_t sequence_batch = 8;
  int64_t steps = 8;
};

/// One (activation, initializer, depth, normalization) of the depth table, or (activation, input
/// shape, normalization) of the instance-normalization table.
struct NormalizationCell {
  std::string activation;
  std::string initializer;
  int depth = 0;
  SkipNormalization normalization = SkipNormalization::none;
  /// 0: inputs [batch, 128] (the depth table); T: sequences [sequence_batch, T, 128].
  int64_t steps = 0;
  /// ||d mean(output) / d input||_2 over the trials.
  SampleSummary input_grad_norm;
  /// ||d mean(output) / d input of Dense layer k||_2 for k = 1..depth, in the first trial: the
  /// per-layer gradient norms (layer 1's is the input-gradient norm).
  std::vector<double> layer_grad_norms;
  /// Over the trials: layer 1's gradient norm divided by the last layer's (1 = no loss with depth;
  /// 0 when no gradient reached the last layer's input).
  SampleSummary first_to_last;
  /// Mean over the trials of the output's standard deviation across the examples of the batch
  /// (0: every example gets the same output, the network no longer sees its input).
  double output_std_across_examples = 0;
};

/// One row of the input-normalization table: the lesson's plain stack (depth 4, glorot_uniform, no
/// normalization inside) fed U[low, high) inputs, raw or through a Normalization adapted on 1024 other
/// draws from the same distribution.
struct InputNormalizationRow {
  std::string activation;
  InputRange input;
  /// Whether a Normalization adapted on the data sits in front of the stack.
  bool adapted = false;
  /// ||d mean(output) / d raw input||_2 over the trials: through the Normalization when adapted, so
  /// scaled by 1 / (the input's standard deviation) on top of what the stack does.
  SampleSummary input_grad_norm;
  /// Layer 1's gradient norm over the last layer's, over the trials: free of the input's units.
  SampleSummary first_to_last;
  /// As NormalizationCell::output_std_across_examples.
  double output_std_across_examples = 0;
};

/// Batch normalization's two modes on the same batch and the same weights (depth 16, relu, He).
struct BatchNormModes {
  /// Input-gradient norm with batch statistics (training) and with the moving statistics, which
  /// right after initialization are mean 0 and variance 1 (inference): a different function.
  double training_input_grad_norm = 0;
  double inference_input_grad_norm = 0;
  /// Standard deviation of the network's output over the batch in each mode.
  double training_output_std = 0;
  double inference_output_std = 0;
  /// Largest |training output - inference output|.
  double max_output_difference = 0;
};

/// One batch size of the small-batch comparison (depth 16, relu, He, training mode).
struct SmallBatchRow {
  int64_t batch = 0;
  SkipNormalization normalization = SkipNormalization::batch;
  /// Input-gradient norm over the trials.
  SampleSummary input_grad_norm;
  /// Mean over the trials of the output's standard deviation across the examples of the batch
  /// (0 when every example gets the same output: the network no longer sees its input).
  double output_std_across_examples = 0;
};

/// Everything run_normalization_study() measured.
struct NormalizationStudy {
  NormalizationStudyOptions options;
  /// Activation-major, then initializer, depth, normalization.
  std::vector<NormalizationCell> cells;
  BatchNormModes batch_norm_modes;
  /// Batches of 1, 2 and options.batch, batch norm then layer norm for each.
  std::vector<SmallBatchRow> small_batches;
  /// Activation-major, then input range, raw before adapted.
  std::vector<InputNormalizationRow> input_normalization;
  /// Depth 16, glorot_uniform: activation-major, then vectors (steps 0) before sequences
  /// (options.steps), then every SkipNormalization in kSkipNormalizations order.
  std::vector<NormalizationCell> instance_cells;
};

/// Throws Error naming the first bad option.
void validate(const NormalizationStudyOptions& options);
/// Runs the study (validating the options first). Deterministic in the options.
NormalizationStudy run_normalization_study(const NormalizationStudyOptions& options);

}  // namespace gradlab
