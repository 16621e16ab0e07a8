// The lesson's "layers times time-steps", measured with a sweep of recurrent networks.
#include "gradlab/lab/recurrent_depth_study.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "gradlab/error.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_run.h"

namespace gradlab {
namespace {

constexpr int kMaxStudyLayers = 64;
// A ratio that moved by less than an order of magnitude between two settings is not called a fall or
// a rise: the sentences speak of changes the seeds' spread does not blur.
constexpr double kSameWithin = 10.0;

RecurrentSweepGrid case_grid(const RecurrentDepthStudyOptions& o, const RecurrentDepthCase& c, std::vector<int> layers,
                             std::vector<int64_t> time_steps) {
  return {.cells = {c.cell},
          .layers = std::move(layers),
          .units = {o.units},
          .time_steps = std::move(time_steps),
          .recurrent_initializers = {c.recurrent_initializer},
          .layer_norms = {c.layer_norm},
          .batches = {o.batch},
          .dtypes = {o.dtype},
          .trials = o.trials,
          .seed = o.seed};
}

// The measured values (NaN: not measured, e.g. a gain with fewer than two non-zero steps) over the
// trials; a median of NaN when none was measured.
SampleSummary summary_of(std::vector<double> values) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty()) {
    const double nan = std::nan("");
    return {.count = 0, .mean = nan, .min = nan, .p5 = nan, .median = nan, .p95 = nan, .max = nan};
  }
  return summarize(values);
}

std::string figure(double v) {
  if (v == 0) return "0";
  if (std::isnan(v)) return "not measured";
  return fmt::format("{:.2g}", v);
}

// "1.2e-05 (9.8e-06 to 1.5e-05)": the median and the range over the trials.
std::string spread(const SampleSummary& s) {
  if (s.count < 2 || s.min == s.max) return figure(s.median);
  return fmt::format("{} ({} to {})", figure(s.median), figure(s.min), figure(s.max));
}

// How `after` compares with `before`, both ratios: fell, grew, or within kSameWithin of each other.
enum class Change { fell, same, grew };
Change change(double before, double after) {
  if (after * kSameWithin < before) return Change::fell;
  if (after > before * kSameWithin) return Change::grew;
  return Change::same;
}

std::vector<RecurrentFinding> findings_of(const RecurrentDepthStudy& s) {
  const RecurrentDepthStudyOptions& o = s.options;
  std::vector<RecurrentFinding> out;
  int both_fell = 0;
  std::vector<std::string> not_both;
  for (const RecurrentDepthCaseResult& c : s.cases) {
    const RecurrentDepthPoint& short_run = c.over_time.front();
    const RecurrentDepthPoint& long_run = c.over_time.back();
    const RecurrentDepthPoint& one = c.over_layers.front();
    const RecurrentDepthPoint& most = c.over_layers.back();
    const Change in_time = change(short_run.ratio.median, long_run.ratio.median);
    const Change in_layers = change(one.ratio.median, most.ratio.median);
    static constexpr const char* kTime[] = {"fell by more than a factor of 10 as T grew",
                                            "stayed within a factor of 10 as T grew",
                                            "grew by more than a factor of 10 as T grew"};
    static constexpr const char* kLayers[] = {"more layers shrank it further", "more layers changed it by less than a factor of 10",
                                              "more layers let more of it through"};
    out.push_back({fmt::format("{}: the gradient reaching the first time step {}; {}.", c.network.label,
                               kTime[static_cast<int>(in_time)], kLayers[static_cast<int>(in_layers)]),
                   fmt::format("|dL/dh_0| / |dL/dh_T-1|, median (range) of {} seeds: {} at T = {}, {} at T = {} (1 layer); "
                               "{} with 1 layer, {} with {} layers (T = {})",
                               o.trials, spread(short_run.ratio), short_run.time_steps, spread(long_run.ratio),
                               long_run.time_steps, spread(one.ratio), spread(most.ratio), most.layers, o.layers_time_steps)});
    if (in_time == Change::fell && in_layers == Change::fell) {
      ++both_fell;
    } else {
      not_both.push_back(c.network.label);
    }
  }
  const int n = static_cast<int>(s.cases.size());
  if (o.layers.size() > 1) {
    out.push_back(
        {both_fell == n ? "In every network measured the gradient reaching the first time step fell both with the time steps and "
                          "with the layers: both multiply the depth it crosses, as the lesson says."
         : both_fell == 0 ? "In no network measured did the gradient reaching the first time step fall by more than a factor of 10 "
                            "both with the time steps and with the layers."
                          : fmt::format("In {} of {} networks the gradient reaching the first time step fell both with the time "
                                        "steps and with the layers; not in: {}.",
                                        both_fell, n, fmt::join(not_both, "; ")),
         fmt::format("a fall: a median ratio more than 10 times smaller at T = {} than at T = {}, and with {} layers than "
                     "with 1",
                     o.time_steps.back(), o.time_steps.front(), o.layers.back())});
  }
  // Which networks kept the most and the least of the gradient over the longest sequence.
  const auto at_longest = [](const RecurrentDepthCaseResult& c) { return c.over_time.back().ratio.median; };
  const auto [least, most] = std::minmax_element(s.cases.begin(), s.cases.end(), [&](const auto& a, const auto& b) {
    return at_longest(a) < at_longest(b);
  });
  out.push_back({fmt::format("At T = {} the most gradient reached the first time step in {}, the least in {}.",
                             o.time_steps.back(), most->network.label, least->network.label),
                 fmt::format("median ratio {} against {}", figure(at_longest(*most)), figure(at_longest(*least)))});
  // One change at a time: the recurrent initializer, then layer norm, each against the plain SimpleRNN.
  const auto compare = [&](const RecurrentDepthCaseResult& a, const RecurrentDepthCaseResult& b, const std::string& what) {
    const Change c = change(at_longest(a), at_longest(b));
    static constexpr const char* kWords[] = {"less", "about as much (within a factor of 10)", "more"};
    out.push_back({fmt::format("{} let {} of the gradient reach the first of {} steps.", what, kWords[static_cast<int>(c)],
                               o.time_steps.back()),
                   fmt::format("{}: {}; {}: {}", b.network.label, spread(b.over_time.back().ratio), a.network.label,
                               spread(a.over_time.back().ratio))});
  };
  compare(s.cases[0], s.cases[2], "An orthogonal recurrent kernel, against glorot_uniform,");
  compare(s.cases[0], s.cases[1], "Layer norm in a SimpleRNN with a glorot_uniform recurrent kernel");
  compare(s.cases[2], s.cases[3], "Layer norm in a SimpleRNN with an orthogonal recurrent kernel");
  return out;
}

}  // namespace

const std::vector<RecurrentDepthCase>& recurrent_depth_cases() {
  static const std::vector<RecurrentDepthCase> cases{
      {"SimpleRNN, glorot_uniform recurrent kernel", RecurrentCell::simple_rnn, "glorot_uniform", false},
      {"SimpleRNN, glorot_uniform recurrent kernel, layer norm", RecurrentCell::simple_rnn, "glorot_uniform", true},
      {"SimpleRNN, orthogonal recurrent kernel", RecurrentCell::simple_rnn, "orthogonal", false},
      {"SimpleRNN, orthogonal recurrent kernel, layer norm", RecurrentCell::simple_rnn, "orthogonal", true},
      {"LSTM", RecurrentCell::lstm, "orthogonal", false},
      {"GRU", RecurrentCell::gru, "orthogonal", false}};
  return cases;
}

void validate(const RecurrentDepthStudyOptions& o) {
  if (o.time_steps.empty()) fail("recurrent study: give at least one number of time steps");
  for (std::size_t i = 0; i < o.time_steps.size(); ++i) {
    if (o.time_steps[i] < 2 || o.time_steps[i] > kMaxProbeTimeSteps) {
      fail("recurrent study: time steps must be in [2, {}], got {}", kMaxProbeTimeSteps, o.time_steps[i]);
    }
    if (i > 0 && o.time_steps[i] <= o.time_steps[i - 1]) fail("recurrent study: time steps must increase, got {} after {}", o.time_steps[i], o.time_steps[i - 1]);
  }
  if (o.layers.empty()) fail("recurrent study: give at least one number of layers");
  for (std::size_t i = 0; i < o.layers.size(); ++i) {
    if (o.layers[i] < 1 || o.layers[i] > kMaxStudyLayers) fail("recurrent study: layers must be in [1, {}], got {}", kMaxStudyLayers, o.layers[i]);
    if (i > 0 && o.layers[i] <= o.layers[i - 1]) fail("recurrent study: layers must increase, got {} after {}", o.layers[i], o.layers[i - 1]);
  }
  if (o.layers_time_steps < 2 || o.layers_time_steps > kMaxProbeTimeSteps) {
    fail("recurrent study: the layers axis's time steps must be in [2, {}], got {}", kMaxProbeTimeSteps, o.layers_time_steps);
  }
  if (o.trials < 1 || o.trials > kMaxSweepTrials) fail("recurrent study: trials must be in [1, {}], got {}", kMaxSweepTrials, o.trials);
  if (o.units < 1 || o.units > kMaxProbeUnits) fail("recurrent study: units must be in [1, {}], got {}", kMaxProbeUnits, o.units);
  if (o.batch < 1 || o.batch > kMaxProbeUnits) fail("recurrent study: batch must be in [1, {}], got {}", kMaxProbeUnits, o.batch);
  if (o.workers < 0) fail("recurrent study: workers must be at least 0, got {}", o.workers);
}

RecurrentDepthStudy run_recurrent_depth_study(const RecurrentDepthStudyOptions& options) {
  validate(options);
  RecurrentDepthStudy study;
  study.options = options;
  // Both axes of every case in one sweep; a point on both axes (1 layer at layers_time_steps) runs once.
  std::vector<std::pair<std::vector<SweepConfig>, std::vector<SweepConfig>>> axes;
  std::vector<SweepConfig> all;
  std::map<std::string, std::size_t> index;
  const auto add = [&](const std::vector<SweepConfig>& configs) {
    for (const SweepConfig& c : configs) {
      if (index.emplace(c.id, all.size()).second) all.push_back(c);
    }
  };
  for (const RecurrentDepthCase& c : recurrent_depth_cases()) {
    axes.emplace_back(expand_recurrent_grid(case_grid(options, c, {1}, options.time_steps)),
                      expand_recurrent_grid(case_grid(options, c, options.layers, {options.layers_time_steps})));
    add(axes.back().first);
    add(axes.back().second);
  }
  std::vector<SweepResult> results(all.size());
  run_sweep(all, {.workers = options.workers}, [&](const SweepResult& r) { results[index.at(r.config.id)] = r; });

  // Trials of one point are consecutive in a grid's expansion (trial varies fastest).
  const auto points = [&](const std::vector<SweepConfig>& configs) {
    std::vector<RecurrentDepthPoint> out;
    for (std::size_t i = 0; i < configs.size(); i += static_cast<std::size_t>(options.trials)) {
      std::vector<double> ratios, gains;
      for (int t = 0; t < options.trials; ++t) {
        const SweepResult& r = results[index.at(configs[i + static_cast<std::size_t>(t)].id)];
        ratios.push_back(r.time_axis ? r.time_axis->first_to_last_ratio : std::nan(""));
        gains.push_back(r.time_axis ? r.time_axis->gain_per_step : std::nan(""));
      }
      out.push_back({.layers = configs[i].recurrent->layers,
                     .time_steps = configs[i].recurrent->time_steps,
                     .ratio = summary_of(ratios),
                     .gain_per_step = summary_of(gains)});
    }
    return out;
  };
  for (std::size_t k = 0; k < axes.size(); ++k) {
    study.cases.push_back({recurrent_depth_cases()[k], points(axes[k].first), points(axes[k].second)});
  }
  // The heatmap: the plain SimpleRNN at the most layers, trial 0, probed again with its grid kept.
  const SweepConfig& heat = axes.front().second[(options.layers.size() - 1) * static_cast<std::size_t>(options.trials)];
  const SweepResult kept = run_sweep_config(heat, {}, true);
  if (kept.through_time) study.heatmap = *kept.through_time;
  study.heatmap_label = recurrent_network_label(*heat.recurrent);
  study.findings = findings_of(study);
  return study;
}

}  // namespace gradlab
