#pragma once
// The built-in study of `gradlab report`: the lesson's three networks and initializer table
// (lesson_study.h), then a depth sweep of every remedy the lesson names — initializer, activation,
// skip connections, normalization — each configuration probed layer by layer (probe_pass on a
// SkipNetwork). Computing lives here; report_sections.cc turns the results into page sections and
// report_text.cc into the terminal summary.
//
//   ReportStudy study = run_report_study({.seed = 0, .trials = 10});
//   HtmlReport page("gradlab report");
//   add_glance_section(page, study);
//   add_lesson_section(page, study.lesson);
//   add_depth_section(page, study);

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/io/model_spec.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/lab/probe_configuration.h"
#include "html_report.h"
#include "report_charts.h"

namespace gradlab::cli {

/// One network of the depth sweep: a choice for each of the lesson's remedies.
struct RemedyConfig {
  std::string initializer = "glorot_uniform";  ///< kernel initializer of every Dense layer
  std::string activation = "relu";             ///< activation of every block
  SkipConnection skip = SkipConnection::none;  ///< how blocks are wired (skip_network.h)
  SkipNormalization normalization = SkipNormalization::none;  ///< inside each block
  /// The name of the user's model (`report --model`) when the cell probes that spec with this
  /// initializer and activation swapped in (spec_variant.h); skip and normalization are then unused.
  /// Empty for the built-in Dense(32) stacks.
  std::string model;
};

/// "relu, he_uniform, residual, layer norm".
std::string remedy_label(const RemedyConfig& config);
/// (initializer, activation, skip, normalization) pairs for FlowRun::config.
std::vector<std::pair<std::string, std::string>> remedy_pairs(const RemedyConfig& config);

/// Options of run_report_study().
struct ReportStudyOptions {
  /// Seed of every draw; trial t of a configuration at a depth draws from Rng(seed).fork(stream) with
  /// the stream fixed by the configuration, the depth and t (results do not depend on the grid).
  uint64_t seed = 0;
  /// Probed passes per configuration and depth (the verdict is the most common one; ties go to the
  /// unhealthy verdict).
  int trials = 10;
  /// Depths of the sweep, each in [1, kMaxStudyDepth]; the deepest is the one "at a glance" shows.
  std::vector<int> depths = {4, 8, 16, 32, 64};
  /// Initializers, activations, skips and normalizations swept (every combination).
  std::vector<std::string> initializers = {"glorot_uniform", "he_uniform"};
  std::vector<std::string> activations = {"sigmoid", "tanh", "relu"};
  /// The lesson's three skip kinds, then He et al.'s identity skip (every kSkipConnectionWords kind).
  std::vector<SkipConnection> skips = {SkipConnection::none, SkipConnection::residual, SkipConnection::concat,
                                       SkipConnection::identity};
  std::vector<SkipNormalization> normalizations{std::begin(kSweptNormalizations), std::end(kSweptNormalizations)};
  /// The scalar each probed pass differentiates (ProbeLoss): by default random_projection where the
  /// network has batch normalization (mean's gradient is removed there), mean elsewhere. The lesson's
  /// tables always use mean, the lesson's own.
  ProbeLoss probe_loss = ProbeLoss::automatic;
  /// Batches each configuration's first trial measures dead units over (probe_subject's
  /// dead_unit_batches: the probed batch of 32 and more drawn alike; 0 leaves it out).
  int dead_unit_batches = kDefaultDeadUnitBatches;
  /// Trials of the lesson's tables (initializer variances and the three 4-layer networks).
  int lesson_trials = 1000;
  /// Seeds per point of the recurrent section (LessonStudyOptions::recurrent_trials; 0 leaves it out).
  int recurrent_trials = 3;
  /// Time steps of the recurrent section's time axis (LessonStudyOptions::recurrent_time_steps).
  std::vector<int64_t> recurrent_time_steps = {10, 30, 100, 300, 1000};
  /// The user's spec (`report --model net.json`): when set, the matrix probes it instead of the
  /// built-in stacks, once per initializer and activation, with every Dense kernel drawn from the
  /// initializer and its hidden activations replaced, as `sweep --model` does (apply_spec_overrides);
  /// depths, skips and normalizations are not used. Its input is drawn U[0, 1), 32 rows, float32.
  std::shared_ptr<const ModelSpec> model;
};

/// One configuration at one depth over its trials.
struct RemedyCell {
  RemedyConfig config;
  int depth = 0;  ///< Dense layers (with a model: the layers with kernels its probe found)
  /// The most common verdict over the trials and how many trials gave it.
  FlowVerdict verdict = FlowVerdict::healthy;
  int verdict_trials = 0;
  /// Medians over the trials of ||dL/dx|| (the lesson's input-gradient norm) and of g_1 / g_n.
  double input_grad_median = 0;
  double ratio_median = 0;
  /// The first trial's pass, for the per-layer charts.
  FlowRun first;
};

/// Everything run_report_study() measured.
struct ReportStudy {
  /// The options, with depths sorted and deduplicated.
  ReportStudyOptions options;
  /// The lesson's initializer table and three 4-layer networks (no depth grid, no normalization), and
  /// its recurrent section (LessonStudy::recurrent).
  LessonStudy lesson;
  /// Every configuration (initializer-major, then activation, skip, normalization) at every depth.
  std::vector<RemedyCell> cells;
  /// The cells at the deepest depth, in configuration order.
  std::vector<const RemedyCell*> deepest() const;
};

/// Throws Error naming the first bad option (trials, depths, names).
void validate(const ReportStudyOptions& options);

/// The depth sweep's cells run_report_study() measures, in its order: every configuration
/// (initializer-major, then activation, skip, normalization) at every depth of `options` (sorted,
/// without repeats), or with a model every initializer and activation at depth 0.
std::vector<std::pair<RemedyConfig, int>> report_cells(const ReportStudyOptions& options);
/// One cell of the depth sweep over options.trials passes; its seeds come from the configuration,
/// depth and trial alone (an FNV-1a hash of them forks options.seed), so a cell measures the same
/// wherever and whenever it runs.
RemedyCell measure_report_cell(const RemedyConfig& config, int depth, const ReportStudyOptions& options);
/// The lesson's tables and its recurrent section (ReportStudy::lesson).
LessonStudy run_report_lesson(const ReportStudyOptions& options);
/// `options` with its depths sorted and without repeats (ReportStudy::options).
ReportStudyOptions with_sorted_depths(ReportStudyOptions options);

/// Runs the lesson's tables and the depth sweep. `progress(done, total)` is called after each
/// configuration-depth cell (for a progress bar and interrupt checks; it may throw to stop).
ReportStudy run_report_study(const ReportStudyOptions& options,
                             const std::function<void(int64_t, int64_t)>& progress = {});

/// At a glance: the deepest depth's verdicts as a coloured matrix (rows: skip and normalization;
/// columns: activation and initializer), with the reading in one paragraph.
void add_glance_section(HtmlReport& page, const ReportStudy& study);
/// The lesson's initializer variance table and its three 4-layer networks.
void add_lesson_section(HtmlReport& page, const LessonStudy& lesson);
/// The recurrent section: the gradient reaching the first time step against T and against layers,
/// a layers x time heatmap of |dL/dh_t| and the findings (report_recurrent.cc).
void add_recurrent_section(HtmlReport& page, const RecurrentDepthStudy& study);
/// The depth sweep: heatmap of the median ||dL/dx|| over depth x configuration, then the standard
/// flow section (report_charts.h) for the deepest networks.
void add_depth_section(HtmlReport& page, const ReportStudy& study);

/// With a model (`report --model`): the first trial of every variant, layer by layer (the standard
/// flow section); there is no depth to sweep.
void add_model_section(HtmlReport& page, const ReportStudy& study);

/// The terminal summary: the study's settings, the at-a-glance matrix and the verdicts in words.
std::string report_text(const ReportStudy& study, const std::string& html_path);
/// The summary as JSON: settings, and one object per cell (configuration, depth, verdict, medians).
nlohmann::ordered_json report_json(const ReportStudy& study, const std::string& html_path);

}  // namespace gradlab::cli
