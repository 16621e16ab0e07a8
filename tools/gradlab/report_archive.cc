// Every field of every struct a report unit returns, in declaration order; a struct is listed before
// the structs that hold it, so each io() below sees the ones it uses. A field left out here would
// reach rank 0 as its default and make the page depend on the number of ranks, which the mpi_report
// test (tests/mpi/) and report_archive_test catch.
#include "report_archive.h"

#include <cstring>

#include <fmt/format.h>

namespace gradlab::cli {

void Archive::raw(void* data, std::size_t size) {
  if (!reading_) {
    out_.append(static_cast<const char*>(data), size);
    return;
  }
  if (size > in_.size() - at_) throw Error(fmt::format("{}: the bytes end {} short of a whole result", what_, size - (in_.size() - at_)));
  std::memcpy(data, in_.data() + at_, size);
  at_ += size;
}

std::size_t Archive::length(std::size_t length, std::size_t min_item_bytes) {
  uint64_t n = length;
  raw(&n, sizeof n);
  if (reading_ && n > (in_.size() - at_) / std::max<std::size_t>(1, min_item_bytes)) {
    throw Error(fmt::format("{}: a length of {} runs past the {} bytes left", what_, n, in_.size() - at_));
  }
  return static_cast<std::size_t>(n);
}

void Archive::finish() const {
  if (reading_ && at_ != in_.size()) throw Error(fmt::format("{}: {} bytes after a whole result", what_, in_.size() - at_));
}

void io(Archive& a, std::string& text) {
  text.resize(a.length(text.size(), 1));
  if (!text.empty()) a.raw(text.data(), text.size());
}

// Instruments (instrument/).
void io(Archive& a, ForwardStats& x) {
  a(x.count, x.mean, x.std, x.min, x.max, x.zero_fraction, x.silent_fraction, x.saturated_fraction, x.nonfinite_count);
}
void io(Archive& a, GradientStats& x) {
  a(x.count, x.l2_norm, x.rms, x.max_abs, x.zero_count, x.below_float32_normal_count, x.nonfinite_count);
}
void io(Archive& a, VariableGradientStats& x) {
  a(x.name, x.role, x.grad_norm, x.max_abs_grad, x.weight_norm, x.grad_to_weight_ratio);
}
void io(Archive& a, SignalStats& x) { a(x.mean_square, x.correlation); }
void io(Archive& a, Anomaly& x) {
  a(x.phase, x.step, x.layer, x.op, x.input_index, x.tensor, x.nonfinite_count, x.first_index, x.first_value);
}
void io(Archive& a, LayerCallRecord& x) {
  a(x.layer, x.type, x.activation, x.output_shape, x.has_kernel, x.has_variables, x.output, x.std_across_examples,
    x.dead_fraction, x.pre_activation, x.output_grad, x.input_grad, x.variables);
}
void io(Archive& a, PassRecord& x) {
  a(x.step, x.dtype, x.loss, x.loss_kind, x.layers, x.input_grad, x.input_signal, x.anomaly, x.dead_unit_examples,
    x.dead_unit_batches);
}
void io(Archive& a, FlowThresholds& x) { a(x.trainable_depth_scales, x.saturated_fraction, x.dead_fraction); }
void io(Archive& a, FlowSummary& x) {
  a(x.measure, x.depth_layers, x.grad_norms, x.mean_gain, x.squared_gain, x.depth_scale, x.depth, x.layer_gains,
    x.first_to_last_ratio, x.verdict, x.reason, x.saturation_begins, x.dead_units_begin, x.thresholds);
}
void io(Archive& a, SampleSummary& x) {
  a(x.count, x.mean, x.min, x.p5, x.median, x.p95, x.max, x.zero_fraction, x.infinite_fraction);
}
void io(Archive& a, StateGradients& x) { a(x.layer, x.grad_norm, x.gain_per_step); }
void io(Archive& a, GateSpectrum& x) { a(x.gate, x.largest_singular_value, x.spectral_radius); }
void io(Archive& a, KernelSpectrum& x) { a(x.layer, x.gates, x.pascanu_bound, x.vanishing_guaranteed); }
void io(Archive& a, GateSaturation& x) { a(x.gate, x.near_zero, x.near_one); }
void io(Archive& a, RecurrentLayerThroughTime& x) {
  a(x.layer, x.cell, x.time_steps, x.layer_norm, x.grad_norm, x.gain_per_step, x.first_to_last_ratio, x.verdict,
    x.spectrum, x.gates);
}
void io(Archive& a, ThroughTimeRecord& x) { a(x.layers, x.first_to_last_ratio, x.verdict, x.reason); }
void io(Archive& a, JacobianSpectrum& x) {
  a(x.rows, x.cols, x.singular_values, x.mean_squared, x.variance_squared, x.largest, x.smallest, x.condition_number);
}

// The theory (theory/).
void io(Archive& a, theory::InitVariances& x) { a(x.sigma_w2, x.sigma_b2); }
void io(Archive& a, theory::GradientPropagation& x) { a(x.q_star, x.chi_1, x.depth_gradient, x.phase); }
void io(Archive& a, theory::PhaseGrid& x) {
  a(x.sigma_w2_min, x.sigma_w2_max, x.sigma_w2_points, x.sigma_b2_min, x.sigma_b2_max, x.sigma_b2_points);
}
void io(Archive& a, theory::CriticalPoint& x) { a(x.sigma_b2, x.sigma_w2); }

// Training (train/).
void io(Archive& a, EpochLogs& x) { a(x.epoch, x.loss, x.accuracy, x.val_loss, x.val_accuracy, x.learning_rate, x.seconds); }
void io(Archive& a, LayerSample& x) {
  a(x.layer, x.grad_norm, x.update_ratio, x.has_variables, x.output_grad_norm, x.update_norm, x.dead_fraction,
    x.saturated_fraction);
}
void io(Archive& a, TrainingSample& x) { a(x.step, x.epoch, x.loss, x.global_grad_norm, x.layers); }
void io(Archive& a, TrainingProgress& x) {
  a(x.epoch, x.step_in_epoch, x.global_step, x.loss_sum, x.correct, x.examples, x.seconds, x.seed, x.batch_size, x.train_size);
}
void io(Archive& a, History& x) { a(x.epochs, x.samples, x.progress, x.stop_reason, x.anomaly); }

// The depth sweep's cells (report_study.h).
void io(Archive& a, RemedyConfig& x) { a(x.initializer, x.activation, x.skip, x.normalization, x.model); }
void io(Archive& a, FlowRun& x) { a(x.label, x.config, x.pass, x.summary); }
void io(Archive& a, RemedyCell& x) {
  a(x.config, x.depth, x.verdict, x.verdict_trials, x.input_grad_median, x.ratio_median, x.first);
}

// The lesson's tables (lab/lesson_study.h, normalization_study.h, recurrent_depth_study.h).
void io(Archive& a, LessonStudyOptions& x) {
  a(x.seed, x.trials, x.grid_trials, x.depths, x.activations, x.grid_initializer, x.dtype, x.normalization_trials,
    x.normalization_depths, x.recurrent_trials, x.recurrent_time_steps);
}
void io(Archive& a, KernelVarianceCase& x) { a(x.initializer, x.fan_in, x.units, x.batch); }
void io(Archive& a, KernelVarianceResult& x) { a(x.layer, x.theory, x.lesson, x.measured, x.lesson_percentile); }
void io(Archive& a, GradientNormResult& x) { a(x.skip, x.depth, x.activation, x.measured, x.lesson, x.lesson_percentile); }
void io(Archive& a, InitializerTheoryRow& x) { a(x.initializer, x.activation, x.variances, x.propagation); }
void io(Archive& a, InputRange& x) { a(x.low, x.high); }
void io(Archive& a, NormalizationStudyOptions& x) {
  a(x.seed, x.trials, x.depths, x.activations, x.initializers, x.width, x.batch, x.dtype, x.input_ranges, x.sequence_batch,
    x.steps);
}
void io(Archive& a, NormalizationCell& x) {
  a(x.activation, x.initializer, x.depth, x.normalization, x.steps, x.input_grad_norm, x.layer_grad_norms, x.first_to_last,
    x.output_std_across_examples);
}
void io(Archive& a, InputNormalizationRow& x) {
  a(x.activation, x.input, x.adapted, x.input_grad_norm, x.first_to_last, x.output_std_across_examples);
}
void io(Archive& a, BatchNormModes& x) {
  a(x.training_input_grad_norm, x.inference_input_grad_norm, x.training_output_std, x.inference_output_std,
    x.max_output_difference);
}
void io(Archive& a, SmallBatchRow& x) { a(x.batch, x.normalization, x.input_grad_norm, x.output_std_across_examples); }
void io(Archive& a, NormalizationStudy& x) {
  a(x.options, x.cells, x.batch_norm_modes, x.small_batches, x.input_normalization, x.instance_cells);
}
void io(Archive& a, RecurrentDepthStudyOptions& x) {
  a(x.time_steps, x.layers, x.layers_time_steps, x.trials, x.units, x.batch, x.dtype, x.seed, x.workers);
}
void io(Archive& a, RecurrentDepthCase& x) { a(x.label, x.cell, x.recurrent_initializer, x.layer_norm); }
void io(Archive& a, RecurrentDepthPoint& x) { a(x.layers, x.time_steps, x.ratio, x.gain_per_step); }
void io(Archive& a, RecurrentDepthCaseResult& x) { a(x.network, x.over_time, x.over_layers); }
void io(Archive& a, RecurrentFinding& x) { a(x.text, x.figures); }
void io(Archive& a, RecurrentDepthStudy& x) { a(x.options, x.cases, x.heatmap, x.heatmap_label, x.findings); }
void io(Archive& a, LessonStudy& x) {
  a(x.options, x.kernel_variance, x.initializer_theory, x.skip_connections, x.depth_grid, x.normalization, x.recurrent);
}

// Edge of chaos and dynamical isometry (lab/edge_of_chaos.h, dynamical_isometry.h).
void io(Archive& a, EdgeOfChaosOptions& x) { a(x.activations, x.grid, x.depth, x.width, x.batch, x.seed, x.workers); }
void io(Archive& a, EdgeCell& x) { a(x.activation, x.variances, x.measured_gain, x.verdict, x.theory); }
void io(Archive& a, EdgeOfChaos& x) { a(x.options, x.cells, x.critical_lines, x.initializers); }
void io(Archive& a, DynamicalIsometryOptions& x) { a(x.width, x.depths, x.activations, x.sigma_b2, x.seed); }
void io(Archive& a, IsometryDepth& x) { a(x.depth, x.spectrum, x.predicted_mean_squared); }
void io(Archive& a, IsometryArm& x) { a(x.activation, x.weights, x.variances, x.propagation, x.q_in, x.depths); }
void io(Archive& a, DynamicalIsometry& x) { a(x.options, x.arms); }

// The lesson's cases trained (lab/lesson_training.h).
void io(Archive& a, LessonTrainingOptions& x) {
  a(x.data_dir, x.train_examples, x.test_examples, x.epochs, x.batch_size, x.depth, x.width, x.sgd_learning_rate,
    x.sgd_momentum, x.exploding_stddev, x.clipnorm, x.sample_every, x.seeds, x.seed);
}
void io(Archive& a, LessonRun& x) { a(x.name, x.description, x.seed, x.seed_index, x.dense_layers, x.history, x.seconds); }
void io(Archive& a, LessonArm& x) { a(x.name, x.description, x.baseline, x.change, x.runs); }
void io(Archive& a, LessonTrainingResult& x) { a(x.options, x.data, x.classes, x.seeds, x.arms, x.seconds); }

// Trainability (lab/trainability_study.h).
void io(Archive& a, TrainabilitySettings& x) {
  a(x.data_dir, x.steps, x.train_examples, x.test_examples, x.batch_size, x.learning_rate);
}
void io(Archive& a, TrainabilityStudyOptions& x) {
  a(x.depths, x.sigma_w2s, x.sigma_b2, x.activation, x.width, x.training, x.seed, x.workers);
}
void io(Archive& a, TrainingOutcome& x) {
  a(x.steps_run, x.train_loss, x.train_accuracy, x.test_accuracy, x.diverged, x.xi_c, x.xi_grad);
}
void io(Archive& a, TrainabilityCell& x) { a(x.depth, x.sigma_w2, x.outcome, x.trained, x.within); }
void io(Archive& a, TrainedCount& x) { a(x.trained, x.cells); }
void io(Archive& a, DepthScalePoint& x) { a(x.sigma_w2, x.xi_c); }
void io(Archive& a, TrainabilityStudy& x) { a(x.options, x.cells, x.within, x.beyond, x.xi_c_curve); }

// The adding problem (lab/adding_study.h).
void io(Archive& a, AddingStudyOptions& x) {
  a(x.time_steps, x.units, x.train_examples, x.test_examples, x.epochs, x.batch_size, x.learning_rate,
    x.exploding_time_steps, x.exploding_gain, x.exploding_learning_rate, x.clipnorm, x.sample_every, x.seeds, x.seed);
}
void io(Archive& a, AddingRun& x) { a(x.seed, x.history, x.seconds); }
void io(Archive& a, AddingArm& x) { a(x.name, x.time_steps, x.description, x.runs); }
void io(Archive& a, AddingStudyResult& x) { a(x.options, x.seeds, x.chance, x.exploding_chance, x.arms, x.seconds); }

// The convolutional study (lab/conv_study.h).
void io(Archive& a, ConvStudyOptions& x) {
  a(x.skips, x.normalizations, x.depths, x.filters, x.groups, x.activation, x.kernel_initializer, x.batch, x.seeds,
    x.training_depth, x.training_steps, x.training_batch, x.training_examples, x.training_seeds, x.learning_rate,
    x.momentum, x.sample_every, x.seed);
}
void io(Archive& a, ConvArm& x) { a(x.skip, x.normalization); }
void io(Archive& a, ConvProbeTrial& x) { a(x.seed, x.grad_norms, x.ratio, x.verdict); }
void io(Archive& a, ConvProbeCell& x) { a(x.arm, x.depth, x.trials, x.first_pass, x.first_summary); }
void io(Archive& a, ConvTrainingRun& x) {
  a(x.seed, x.losses, x.sample_steps, x.first_layer_grad_norms, x.stopped_by_anomaly, x.stopped_at, x.seconds);
}
void io(Archive& a, ConvTrainingArm& x) { a(x.arm, x.runs); }
void io(Archive& a, ConvFinding& x) { a(x.text, x.figures); }
void io(Archive& a, ConvStudy& x) { a(x.options, x.inputs, x.cells, x.training, x.findings, x.seconds); }

}  // namespace gradlab::cli
