// run_report_study: the lesson's tables, then every remedy configuration probed at every depth.
#include "report_study.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gradlab/instrument/statistics.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/spec_variant.h"
#include "gradlab/nn/initializers.h"

namespace gradlab::cli {
namespace {

constexpr int kMaxTrials = 100'000;

// FNV-1a: a stream number that depends only on what is measured, not on the grid around it.
uint64_t stream_of(const RemedyConfig& c, int depth, int trial) {
  const std::string key = c.model.empty()
                              ? fmt::format("{}|{}|{}|{}|{}|{}", c.initializer, c.activation, skip_connection_key(c.skip),
                                            skip_normalization_name(c.normalization), depth, trial)
                              : fmt::format("model|{}|{}|{}|{}", c.model, c.initializer, c.activation, trial);
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char ch : key) h = (h ^ ch) * 1099511628211ull;
  return h;
}

double median(std::vector<double> values) {
  // NaN ratios (a last layer with no gradient) would make the order undefined; count them as 0.
  for (double& v : values) {
    if (std::isnan(v)) v = 0;
  }
  return percentile(values, 50);
}

ProbeSubject subject_of(const RemedyConfig& config, int depth, int trial, const ReportStudyOptions& options) {
  if (options.model) {
    // The same variant `sweep --model --init I --activation A` builds, with a seed of its own per trial.
    const SpecVariant variant{.spec = options.model,
                              .overrides = {.kernel_initializer = config.initializer, .hidden_activation = config.activation}};
    return spec_variant_subject(variant, Rng(options.seed).fork(stream_of(config, depth, trial)).seed());
  }
  const uint64_t rng_seed = Rng(options.seed).fork(stream_of(config, depth, trial)).seed();
  auto rng = std::make_shared<Rng>(Rng(options.seed).fork(stream_of(config, depth, trial)));
  const SkipNetworkOptions net_options{.skip = config.skip,
                                       .depth = depth,
                                       .activation = config.activation,
                                       .kernel_initializer = config.initializer,
                                       .normalization = config.normalization};
  // The input first, then the kernels on the first call, as the lesson draws them.
  const Tensor x = draw_probe_input(net_options, InputDistribution::uniform, *rng);
  ProbeSubject subject = skip_network_subject(net_options, x, rng);
  subject.more_inputs = more_probe_inputs(net_options, InputDistribution::uniform, rng_seed);
  return subject;
}

RemedyCell measure_cell(const RemedyConfig& config, int depth, const ReportStudyOptions& options) {
  RemedyCell cell{.config = config, .depth = depth};
  // Indexed by kVoteOrder: ties go to the first, the unhealthy verdicts before healthy.
  constexpr std::array<FlowVerdict, 5> kVoteOrder{FlowVerdict::nonfinite, FlowVerdict::zero, FlowVerdict::exploding,
                                                  FlowVerdict::vanishing, FlowVerdict::healthy};
  std::array<int, 5> votes{};
  std::vector<double> input_norms, ratios;
  for (int t = 0; t < options.trials; ++t) {
    // Variable statistics stay on: summarize_flow finds the depth axis (the Dense layers, by their
    // kernels) through them.
    const uint64_t projection_seed = Rng(options.seed).fork(stream_of(config, depth, t)).seed();
    ConfigurationProbe probe = probe_subject(
        subject_of(config, depth, t, options),
        {.pass = {.training = true, .loss = options.probe_loss, .projection_seed = projection_seed},
         .check_underflow = false,
         // Only the first trial's pass is shown layer by layer (cell.first), dead units included.
         .dead_unit_batches = t == 0 ? options.dead_unit_batches : 0});
    PassRecord& pass = probe.pass;
    FlowSummary& summary = probe.summary;
    ++votes[static_cast<std::size_t>(std::find(kVoteOrder.begin(), kVoteOrder.end(), summary.verdict) - kVoteOrder.begin())];
    input_norms.push_back(pass.input_grad ? pass.input_grad->l2_norm : summary.grad_norms.front());
    ratios.push_back(summary.first_to_last_ratio);
    if (options.model) cell.depth = static_cast<int>(summary.grad_norms.size());
    if (t == 0) cell.first = FlowRun{remedy_label(config), remedy_pairs(config), std::move(pass), std::move(summary)};
  }
  const auto best = std::max_element(votes.begin(), votes.end()) - votes.begin();
  cell.verdict = kVoteOrder[static_cast<std::size_t>(best)];
  cell.verdict_trials = votes[static_cast<std::size_t>(best)];
  cell.input_grad_median = median(input_norms);
  cell.ratio_median = median(ratios);
  cell.first.label = config.model.empty() ? fmt::format("{}, depth {}", remedy_label(config), depth) : remedy_label(config);
  return cell;
}

}  // namespace

std::string remedy_label(const RemedyConfig& c) {
  if (!c.model.empty()) return fmt::format("{}, {}, model {}", c.activation, c.initializer, c.model);
  return fmt::format("{}, {}, {}, {}", c.activation, c.initializer, skip_connection_label(c.skip),
                     c.normalization == SkipNormalization::none
                         ? std::string("no norm")
                         : fmt::format("{} norm", skip_normalization_name(c.normalization)));
}

std::vector<std::pair<std::string, std::string>> remedy_pairs(const RemedyConfig& c) {
  if (!c.model.empty()) return {{"activation", c.activation}, {"initializer", c.initializer}, {"model", c.model}};
  return {{"activation", c.activation},
          {"initializer", c.initializer},
          {"skip", std::string(skip_connection_label(c.skip))},
          {"normalization", std::string(skip_normalization_name(c.normalization))}};
}

std::vector<const RemedyCell*> ReportStudy::deepest() const {
  std::vector<const RemedyCell*> out;
  // A model has one depth, its own: every cell is "the deepest".
  if (options.model) {
    for (const RemedyCell& cell : cells) out.push_back(&cell);
    return out;
  }
  const int depth = options.depths.empty() ? 0 : *std::max_element(options.depths.begin(), options.depths.end());
  for (const RemedyCell& cell : cells) {
    if (cell.depth == depth) out.push_back(&cell);
  }
  return out;
}

void validate(const ReportStudyOptions& options) {
  if (options.trials < 1 || options.trials > kMaxTrials) {
    throw Error(fmt::format("report: --trials must be in [1, {}], got {}", kMaxTrials, options.trials));
  }
  if (options.lesson_trials < 1 || options.lesson_trials > kMaxTrials) {
    throw Error(fmt::format("report: --lesson-trials must be in [1, {}], got {}", kMaxTrials, options.lesson_trials));
  }
  if (options.depths.empty()) throw Error("report: --depth needs at least one depth");
  for (const int depth : options.depths) {
    if (depth < 1 || depth > kMaxStudyDepth) {
      throw Error(fmt::format("report: every depth must be in [1, {}], got {}", kMaxStudyDepth, depth));
    }
  }
  if (options.recurrent_trials > 0) {
    validate(RecurrentDepthStudyOptions{.time_steps = options.recurrent_time_steps, .trials = options.recurrent_trials});
  }
  if (options.initializers.empty() || options.activations.empty() || options.skips.empty() ||
      options.normalizations.empty()) {
    throw Error("report: every remedy (initializer, activation, skip, normalization) needs at least one choice");
  }
}

ReportStudyOptions with_sorted_depths(ReportStudyOptions options) {
  std::sort(options.depths.begin(), options.depths.end());
  options.depths.erase(std::unique(options.depths.begin(), options.depths.end()), options.depths.end());
  return options;
}

std::vector<std::pair<RemedyConfig, int>> report_cells(const ReportStudyOptions& options) {
  std::vector<std::pair<RemedyConfig, int>> cells;
  if (options.model) {
    for (const std::string& initializer : options.initializers) {
      for (const std::string& activation : options.activations) {
        cells.push_back({{.initializer = initializer, .activation = activation, .model = options.model->name}, 0});
      }
    }
    return cells;
  }
  const std::vector<int> depths = with_sorted_depths(options).depths;
  for (const std::string& initializer : options.initializers) {
    for (const std::string& activation : options.activations) {
      for (const SkipConnection skip : options.skips) {
        for (const SkipNormalization normalization : options.normalizations) {
          for (const int depth : depths) cells.push_back({{initializer, activation, skip, normalization}, depth});
        }
      }
    }
  }
  return cells;
}

RemedyCell measure_report_cell(const RemedyConfig& config, int depth, const ReportStudyOptions& options) {
  return measure_cell(config, depth, options);
}

LessonStudy run_report_lesson(const ReportStudyOptions& options) {
  return run_lesson_study({.seed = options.seed,
                           .trials = options.lesson_trials,
                           .grid_trials = 1,
                           .depths = {4},
                           .activations = {"relu"},
                           .normalization_trials = 0,
                           .recurrent_trials = options.recurrent_trials,
                           .recurrent_time_steps = options.recurrent_time_steps});
}

ReportStudy run_report_study(const ReportStudyOptions& options, const std::function<void(int64_t, int64_t)>& progress) {
  validate(options);
  ReportStudy study{.options = with_sorted_depths(options), .lesson = run_report_lesson(options)};
  const std::vector<std::pair<RemedyConfig, int>> cells = report_cells(options);
  for (const auto& [config, depth] : cells) {
    study.cells.push_back(measure_cell(config, depth, options));
    if (progress) progress(static_cast<int64_t>(study.cells.size()), static_cast<int64_t>(cells.size()));
  }
  return study;
}

}  // namespace gradlab::cli
