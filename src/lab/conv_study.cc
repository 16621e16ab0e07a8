#include "gradlab/lab/conv_study.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "gradlab/error.h"
#include "gradlab/lab/conv_network.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/nn/model.h"
#include "gradlab/optim/sgd.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/train/callbacks.h"
#include "gradlab/train/fit.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kSide = 28;
constexpr int64_t kPixels = kSide * kSide;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ConvNetworkOptions network_of(const ConvStudyOptions& o, const ConvArm& arm, int depth) {
  return {.depth = depth,
          .filters = o.filters,
          .kernel_size = 3,
          .image = {kSide, kSide, 1},
          .activation = o.activation,
          .kernel_initializer = o.kernel_initializer,
          .skip = arm.skip,
          .normalization = arm.normalization,
          .groups = o.groups};
}

// Fashion-MNIST rows of 784 pixels (or images already) as images [count, 28, 28, 1].
Tensor images_at(const Dataset& d, int64_t begin, int64_t count) {
  std::vector<int64_t> rows(static_cast<std::size_t>(count));
  std::iota(rows.begin(), rows.end(), begin);
  return d.feature_rows(rows).view({count, kSide, kSide, 1});
}

void check_images(const Dataset& d, int64_t needed, const char* what) {
  const Shape shape = d.feature_shape();
  int64_t per_example = 1;
  for (int64_t i = 1; i < shape.rank(); ++i) per_example *= shape[i];
  if (per_example != kPixels) {
    fail("conv study: {} has {} values per example; the study's images are 28 x 28 x 1 (Fashion-MNIST's)", d.name,
         per_example);
  }
  if (d.size() < needed) fail("conv study: {} has {} examples, {} needs {}", d.name, d.size(), what, needed);
}

double log10_or_nan(double v) { return std::isfinite(v) && v > 0 ? std::log10(v) : kNaN; }

ConvProbeTrial trial_of(const FlowSummary& summary, const PassRecord& pass) {
  ConvProbeTrial t;
  for (std::size_t k = 0; k < summary.depth_layers.size(); ++k) {
    if (pass.layers[summary.depth_layers[k]].type == "conv2d") t.grad_norms.push_back(summary.grad_norms[k]);
  }
  const int depth = static_cast<int>(t.grad_norms.size());
  if (depth == 0) fail("conv study: the probed pass has no conv2d layer on its depth axis");
  const double first = t.grad_norms.front(), last = t.grad_norms.back();
  const bool finite = std::all_of(t.grad_norms.begin(), t.grad_norms.end(), [](double g) { return std::isfinite(g); });
  t.ratio = finite && last > 0 ? first / last : kNaN;
  t.verdict = !finite      ? FlowVerdict::nonfinite
              : first == 0 ? FlowVerdict::zero
                           : verdict_of_gain(squared_gain_of_ratio(t.ratio, depth - 1), depth, summary.thresholds);
  return t;
}

class StepRecorder : public Callback {
 public:
  StepRecorder(ConvTrainingRun& run, const std::function<void()>& after_step) : run_(run), after_step_(after_step) {}
  void on_batch_end(int64_t, const BatchLogs& logs) override {
    run_.losses.push_back(logs.batch_loss);
    if (after_step_) after_step_();
  }

 private:
  ConvTrainingRun& run_;
  const std::function<void()>& after_step_;
};

ConvTrainingRun train_once(const ConvStudyOptions& o, const ConvArm& arm, const Dataset& data, uint64_t seed,
                           const std::function<void()>& after_step) {
  ConvTrainingRun run{.seed = seed};
  const auto start = std::chrono::steady_clock::now();
  Rng rng(seed);
  const Model model = build_model(conv_network_spec(network_of(o, arm, o.training_depth)), {.rng = &rng});
  StepRecorder recorder(run, after_step);
  const int64_t per_epoch = (data.size() + o.training_batch - 1) / o.training_batch;
  const History history =
      fit(model, data,
          {.optimizer = std::make_shared<SGD>(SGDOptions{.learning_rate = o.learning_rate, .momentum = o.momentum}),
           .metrics = {},
           .epochs = (o.training_steps + per_epoch - 1) / per_epoch,
           .batch_size = o.training_batch,
           .seed = seed,
           .callbacks = {&recorder},
           .max_steps = o.training_steps,
           .sample_every = o.sample_every,
           .detect_anomalies = true});
  for (const TrainingSample& s : history.samples) {
    for (const LayerSample& l : s.layers) {
      if (l.layer != "conv1") continue;
      run.sample_steps.push_back(s.step);
      run.first_layer_grad_norms.push_back(l.grad_norm);
    }
  }
  run.stopped_by_anomaly = history.stop_reason == StopReason::anomaly;
  if (run.stopped_by_anomaly) run.stopped_at = history.progress.global_step;
  run.seconds = seconds_since(start);
  return run;
}

// ---- wording -------------------------------------------------------------------------------------

enum class Difference { higher, lower, indistinct, not_measured };

// A difference counts when the ranges over the seeds do not overlap and the means are min_effect apart.
Difference compare(const SeedSpread& a, const SeedSpread& b, double min_effect) {
  switch (read_gap(a, b)) {
    case GapReading::not_measured: return Difference::not_measured;
    case GapReading::above: return a.mean - b.mean >= min_effect ? Difference::higher : Difference::indistinct;
    case GapReading::below: return b.mean - a.mean >= min_effect ? Difference::lower : Difference::indistinct;
    case GapReading::overlapping: break;
  }
  return Difference::indistinct;
}

// A spread of log10 values shown as values: geometric mean (range).
std::string decades_text(const SeedSpread& s) {
  if (s.count == 0) return "not measured";
  return fmt::format("{:.1e} ({:.1e}-{:.1e}, {} of {} seeds)", std::pow(10.0, s.mean), std::pow(10.0, s.min),
                     std::pow(10.0, s.max), s.count, s.runs);
}

std::string loss_text(const SeedSpread& s) {
  if (s.count == 0) return fmt::format("no run reached the end (0 of {})", s.runs);
  return fmt::format("{:.3f} ({:.3f}-{:.3f}, {} of {} runs)", s.mean, s.min, s.max, s.count, s.runs);
}

std::string verdict_text(const std::optional<FlowVerdict>& v) {
  return v ? flow_verdict_name(*v) : std::string("mixed verdicts");
}

std::string norm_words(SkipNormalization n) {
  return n == SkipNormalization::none ? std::string("no normalization")
                                      : fmt::format("{} norm", skip_normalization_name(n));
}

std::string skip_words(SkipConnection s) {
  return s == SkipConnection::identity ? std::string("the identity shortcut") : std::string("the plain stack");
}

// |log10 R| over the seeds: how far g_1 / g_L is from 1, in decades.
SeedSpread distance_from_one(const ConvProbeCell& c) {
  std::vector<double> d;
  for (const ConvProbeTrial& t : c.trials) {
    const double l = log10_or_nan(t.ratio);
    d.push_back(std::isfinite(l) ? std::fabs(l) : kNaN);
  }
  return seed_spread(d);
}

bool has(const std::vector<SkipNormalization>& v, SkipNormalization n) { return std::find(v.begin(), v.end(), n) != v.end(); }
bool has(const std::vector<SkipConnection>& v, SkipConnection s) { return std::find(v.begin(), v.end(), s) != v.end(); }

void probe_findings(const ConvStudy& s, const ConvWordingThresholds& th, std::vector<ConvFinding>& out) {
  const ConvStudyOptions& o = s.options;
  const int deep = o.depths.back();
  const std::string effect = fmt::format("a difference counts when the ranges over the seeds do not overlap and the "
                                         "geometric means are at least {:g} decade(s) apart", th.min_decades);
  // The identity shortcut, one normalization at a time.
  if (has(o.skips, SkipConnection::none) && has(o.skips, SkipConnection::identity)) {
    for (SkipNormalization n : o.normalizations) {
      const ConvProbeCell& plain = s.cell(SkipConnection::none, n, deep);
      const ConvProbeCell& identity = s.cell(SkipConnection::identity, n, deep);
      const SeedSpread a = identity.log_ratio(), b = plain.log_ratio();
      std::string text = fmt::format("With {} at depth {}, ", norm_words(n), deep);
      switch (compare(a, b, th.min_decades)) {
        case Difference::higher:
          text += fmt::format("the identity shortcut raises g_1/g_L {:.1f} decades above the plain stack's", a.mean - b.mean);
          break;
        case Difference::lower:
          text += fmt::format("the identity shortcut lowers g_1/g_L {:.1f} decades below the plain stack's", b.mean - a.mean);
          break;
        case Difference::indistinct: text += "the identity shortcut and the plain stack give g_1/g_L not distinguishable here"; break;
        case Difference::not_measured: text += "g_1/g_L was not measured for one of the two (a zero or non-finite norm)"; break;
      }
      text += fmt::format(" (verdicts: identity {}, plain {}).", verdict_text(identity.verdict()), verdict_text(plain.verdict()));
      out.push_back({text, fmt::format("g_1/g_L, geometric mean (range): identity {}; plain {}; {}", decades_text(a),
                                       decades_text(b), effect)});
    }
  }
  // Each normalization against none, one skip at a time.
  if (has(o.normalizations, SkipNormalization::none)) {
    for (SkipConnection k : o.skips) {
      const ConvProbeCell& bare = s.cell(k, SkipNormalization::none, deep);
      for (SkipNormalization n : o.normalizations) {
        if (n == SkipNormalization::none) continue;
        const ConvProbeCell& normed = s.cell(k, n, deep);
        const std::optional<FlowVerdict> vn = normed.verdict(), vb = bare.verdict();
        std::string text;
        const bool healthy_n = vn == FlowVerdict::healthy, healthy_b = vb == FlowVerdict::healthy;
        if (healthy_n && !healthy_b) {
          text = fmt::format("In {} at depth {}, {} keeps g_1/g_L healthy where no normalization gives {}", skip_words(k),
                             deep, norm_words(n), verdict_text(vb));
        } else if (healthy_n && healthy_b) {
          text = fmt::format("In {} at depth {}, {} and no normalization both keep g_1/g_L healthy", skip_words(k), deep,
                             norm_words(n));
        } else {
          text = fmt::format("In {} at depth {}, {} gives {} (no normalization: {})", skip_words(k), deep, norm_words(n),
                             verdict_text(vn), verdict_text(vb));
        }
        const SeedSpread dn = distance_from_one(normed), db = distance_from_one(bare);
        switch (compare(db, dn, th.min_decades)) {
          case Difference::higher: text += fmt::format("; it brings g_1/g_L {:.1f} decades closer to 1", db.mean - dn.mean); break;
          case Difference::lower: text += fmt::format("; it moves g_1/g_L {:.1f} decades farther from 1", dn.mean - db.mean); break;
          case Difference::indistinct: text += "; its distance from 1 is not distinguishable from no normalization's"; break;
          case Difference::not_measured: break;
        }
        out.push_back({text + ".", fmt::format("g_1/g_L: {} {}; no normalization {}; {}", norm_words(n),
                                               decades_text(normed.log_ratio()), decades_text(bare.log_ratio()), effect)});
      }
    }
  }
  // Where instance and group norm stand against batch and layer norm.
  for (SkipConnection k : o.skips) {
    for (SkipNormalization n : {SkipNormalization::instance, SkipNormalization::group}) {
      if (!has(o.normalizations, n)) continue;
      std::vector<std::string> parts;
      std::string figures = fmt::format("|log10 g_1/g_L| mean (range): {} {:.2f} ({:.2f}-{:.2f})", norm_words(n),
                                        distance_from_one(s.cell(k, n, deep)).mean, distance_from_one(s.cell(k, n, deep)).min,
                                        distance_from_one(s.cell(k, n, deep)).max);
      for (SkipNormalization other : {SkipNormalization::batch, SkipNormalization::layer}) {
        if (!has(o.normalizations, other)) continue;
        const SeedSpread a = distance_from_one(s.cell(k, n, deep)), b = distance_from_one(s.cell(k, other, deep));
        static constexpr const char* kWords[] = {"farther from 1 than", "closer to 1 than", "not distinguishable from",
                                                 "not comparable with"};
        parts.push_back(fmt::format("{} {}", kWords[static_cast<int>(compare(a, b, th.min_decades))], norm_words(other)));
        figures += fmt::format("; {} {:.2f} ({:.2f}-{:.2f})", norm_words(other), b.mean, b.min, b.max);
      }
      if (parts.empty()) continue;
      out.push_back({fmt::format("In {} at depth {}, {} keeps g_1/g_L {}.", skip_words(k), deep, norm_words(n),
                                 fmt::join(parts, " and ")),
                     figures + "; " + effect});
    }
  }
  // Depth: which arms' g_1/g_L moved by more than the stated effect from the shallowest to the deepest.
  if (o.depths.size() > 1) {
    const int shallow = o.depths.front();
    std::vector<std::string> moved, kept;
    for (const ConvArm& arm : s.arms()) {
      const Difference d = compare(s.cell(arm.skip, arm.normalization, deep).log_ratio(),
                                   s.cell(arm.skip, arm.normalization, shallow).log_ratio(), th.min_decades);
      (d == Difference::higher || d == Difference::lower ? moved : kept).push_back(arm.label());
    }
    std::string text;
    if (moved.empty()) {
      text = fmt::format("From depth {} to {}, no arm's g_1/g_L changed by the stated effect.", shallow, deep);
    } else if (kept.empty()) {
      text = fmt::format("From depth {} to {}, every arm's g_1/g_L changed by the stated effect.", shallow, deep);
    } else {
      text = fmt::format("From depth {} to {}, g_1/g_L changed by the stated effect in {}; not in {}.", shallow, deep,
                         fmt::join(moved, "; "), fmt::join(kept, "; "));
    }
    out.push_back({text, effect});
  }
}

void training_findings(const ConvStudy& s, const ConvWordingThresholds& th, std::vector<ConvFinding>& out) {
  const ConvStudyOptions& o = s.options;
  if (s.training.empty()) return;
  const int64_t steps = o.training_steps;
  const std::string effect = fmt::format("final loss: the mean batch loss of the last quarter of the {} steps; a difference "
                                         "counts when the ranges over the runs do not overlap and the means are at least "
                                         "{:g} apart", steps, th.min_loss_gap);
  std::vector<std::string> stopped;
  for (const ConvTrainingArm& a : s.training) {
    if (a.runs_stopped_by_anomaly() > 0) {
      stopped.push_back(fmt::format("{} ({} of {})", a.arm.label(), a.runs_stopped_by_anomaly(), a.runs.size()));
    }
  }
  out.push_back({stopped.empty() ? fmt::format("Every training run at depth {} completed its {} steps without a NaN or "
                                               "infinity.", o.training_depth, steps)
                                 : fmt::format("At depth {} the anomaly check stopped runs at a NaN or infinity in: {}.",
                                               o.training_depth, fmt::join(stopped, "; ")),
                 "runs stopped before the step that would have made a non-finite value"});
  const auto say = [&](const ConvTrainingArm& a, const ConvTrainingArm& b, const std::string& what) {
    const SeedSpread la = a.final_loss(steps), lb = b.final_loss(steps);
    std::string text = what;
    switch (compare(la, lb, th.min_loss_gap)) {
      case Difference::higher: text += fmt::format(" ended {:.3f} higher in final loss than {}", la.mean - lb.mean, b.arm.label()); break;
      case Difference::lower: text += fmt::format(" ended {:.3f} lower in final loss than {}", lb.mean - la.mean, b.arm.label()); break;
      case Difference::indistinct: text += fmt::format(" ended with a final loss not distinguishable from {}'s", b.arm.label()); break;
      case Difference::not_measured:
        text += la.count > 0 ? fmt::format(" finished {} of {} runs where {} finished none", la.count, la.runs, b.arm.label())
                : lb.count > 0 ? fmt::format(" finished no run where {} finished {} of {}", b.arm.label(), lb.count, lb.runs)
                               : fmt::format(" and {} finished no run", b.arm.label());
        break;
    }
    out.push_back({fmt::format("{} (depth {}).", text, o.training_depth),
                   fmt::format("{}: {}; {}: {}; {}", a.arm.label(), loss_text(la), b.arm.label(), loss_text(lb), effect)});
  };
  if (has(o.skips, SkipConnection::none) && has(o.skips, SkipConnection::identity)) {
    for (SkipNormalization n : o.normalizations) {
      say(s.trained(SkipConnection::identity, n), s.trained(SkipConnection::none, n),
          fmt::format("With {}, the identity shortcut", norm_words(n)));
    }
  }
  if (has(o.normalizations, SkipNormalization::none)) {
    for (SkipConnection k : o.skips) {
      for (SkipNormalization n : o.normalizations) {
        if (n == SkipNormalization::none) continue;
        say(s.trained(k, n), s.trained(k, SkipNormalization::none),
            fmt::format("In {}, {}", skip_words(k), norm_words(n)));
      }
    }
  }
  if (has(o.normalizations, SkipNormalization::batch)) {
    for (SkipConnection k : o.skips) {
      for (SkipNormalization n : {SkipNormalization::instance, SkipNormalization::group}) {
        if (!has(o.normalizations, n)) continue;
        say(s.trained(k, n), s.trained(k, SkipNormalization::batch), fmt::format("In {}, {}", skip_words(k), norm_words(n)));
      }
    }
  }
}

}  // namespace

uint64_t conv_trial_seed(uint64_t study_seed, int trial) {
  // 0x636f6e76 spells "conv": a stream of its own, apart from the report's other studies.
  return Rng(study_seed).fork(0x636f6e76).fork(static_cast<uint64_t>(trial)).seed();
}

uint64_t conv_training_seed(uint64_t study_seed, int index) {
  // 0x7472 spells "tr".
  return Rng(study_seed).fork(0x636f6e76).fork(0x7472).fork(static_cast<uint64_t>(index)).seed();
}

std::string ConvArm::label() const {
  return fmt::format("{}, {}", skip == SkipConnection::identity ? "identity skip" : std::string(skip_connection_label(skip)),
                     normalization == SkipNormalization::none ? std::string("no norm")
                                                              : fmt::format("{} norm", skip_normalization_name(normalization)));
}

SeedSpread ConvProbeCell::log_input_grad() const {
  std::vector<double> v;
  for (const ConvProbeTrial& t : trials) v.push_back(t.grad_norms.empty() ? kNaN : log10_or_nan(t.grad_norms.front()));
  return seed_spread(v);
}

SeedSpread ConvProbeCell::log_ratio() const {
  std::vector<double> v;
  for (const ConvProbeTrial& t : trials) v.push_back(log10_or_nan(t.ratio));
  return seed_spread(v);
}

std::optional<FlowVerdict> ConvProbeCell::verdict() const {
  if (trials.empty()) return std::nullopt;
  for (const ConvProbeTrial& t : trials) {
    if (t.verdict != trials.front().verdict) return std::nullopt;
  }
  return trials.front().verdict;
}

double ConvTrainingRun::final_loss(int64_t training_steps) const {
  const int64_t tail = std::max<int64_t>(1, training_steps / 4);
  if (stopped_by_anomaly || static_cast<int64_t>(losses.size()) < training_steps) return kNaN;
  double sum = 0;
  for (int64_t i = training_steps - tail; i < training_steps; ++i) sum += losses[static_cast<std::size_t>(i)];
  return sum / static_cast<double>(tail);
}

SeedSpread ConvTrainingArm::final_loss(int64_t training_steps) const {
  std::vector<double> v;
  for (const ConvTrainingRun& r : runs) v.push_back(r.final_loss(training_steps));
  return seed_spread(v);
}

int64_t ConvTrainingArm::runs_stopped_by_anomaly() const {
  return std::count_if(runs.begin(), runs.end(), [](const ConvTrainingRun& r) { return r.stopped_by_anomaly; });
}

std::vector<ConvArm> ConvStudy::arms() const {
  std::vector<ConvArm> out;
  for (SkipConnection k : options.skips) {
    for (SkipNormalization n : options.normalizations) out.push_back({k, n});
  }
  return out;
}

const ConvProbeCell& ConvStudy::cell(SkipConnection skip, SkipNormalization normalization, int depth) const {
  for (const ConvProbeCell& c : cells) {
    if (c.arm.skip == skip && c.arm.normalization == normalization && c.depth == depth) return c;
  }
  fail("conv study: no cell '{}' at depth {}", ConvArm{skip, normalization}.label(), depth);
}

const ConvTrainingArm& ConvStudy::trained(SkipConnection skip, SkipNormalization normalization) const {
  for (const ConvTrainingArm& a : training) {
    if (a.arm.skip == skip && a.arm.normalization == normalization) return a;
  }
  fail("conv study: no training arm '{}'", ConvArm{skip, normalization}.label());
}

void validate(const ConvStudyOptions& o) {
  if (o.skips.empty() || o.normalizations.empty()) fail("conv study: no skip or no normalization to compare");
  for (SkipConnection k : o.skips) {
    if (k != SkipConnection::none && k != SkipConnection::identity) {
      fail("conv study: skip '{}' is not studied (none or identity)", skip_connection_name(k));
    }
  }
  if (o.depths.empty()) fail("conv study: no depth to probe");
  for (std::size_t i = 0; i < o.depths.size(); ++i) {
    if (o.depths[i] < 2 || o.depths[i] > kMaxConvStudyDepth) {
      fail("conv study: depth {} is out of range (expected 2 to {})", o.depths[i], kMaxConvStudyDepth);
    }
    if (i > 0 && o.depths[i] <= o.depths[i - 1]) fail("conv study: depths must increase, got {} after {}", o.depths[i], o.depths[i - 1]);
  }
  if (o.filters < 1 || o.filters > 1024) fail("conv study: filters = {} is out of range (expected 1 to 1024)", o.filters);
  if (o.groups < 1 || o.filters % o.groups != 0) fail("conv study: {} groups do not divide {} filters", o.groups, o.filters);
  if (o.batch < 1 || o.batch > 4096) fail("conv study: batch = {} is out of range (expected 1 to 4096)", o.batch);
  if (o.seeds < 1 || o.seeds > 1000) fail("conv study: seeds = {} is out of range (expected 1 to 1000)", o.seeds);
  if (o.training_depth < 0 || o.training_depth > kMaxConvStudyDepth) {
    fail("conv study: training depth {} is out of range (expected 0 to {})", o.training_depth, kMaxConvStudyDepth);
  }
  if (o.training_depth > 0) {
    if (o.training_steps < 1) fail("conv study: training steps = {} (expected at least 1)", o.training_steps);
    if (o.training_batch < 1) fail("conv study: training batch = {} (expected at least 1)", o.training_batch);
    if (o.training_examples < o.training_batch) {
      fail("conv study: {} training examples are fewer than one batch of {}", o.training_examples, o.training_batch);
    }
    if (o.training_seeds < 1 || o.training_seeds > 1000) {
      fail("conv study: training seeds = {} is out of range (expected 1 to 1000)", o.training_seeds);
    }
    if (!(o.learning_rate > 0) || !(o.momentum >= 0 && o.momentum < 1)) {
      fail("conv study: learning rate {} and momentum {} (expected > 0 and in [0, 1))", o.learning_rate, o.momentum);
    }
    if (o.sample_every < 1) fail("conv study: sample_every = {} (expected at least 1)", o.sample_every);
  }
}

std::vector<ConvFinding> conv_findings(const ConvStudy& study, const ConvWordingThresholds& thresholds) {
  std::vector<ConvFinding> out;
  probe_findings(study, thresholds, out);
  training_findings(study, thresholds, out);
  return out;
}

ConvStudy run_conv_study(const ConvStudyOptions& options, const Dataset* images, const ConvStudyCallback& progress) {
  validate(options);
  const auto start = std::chrono::steady_clock::now();
  ConvStudy s;
  s.options = options;
  const ConvStudyOptions& o = s.options;
  if (images) {
    check_images(*images, o.seeds * o.batch, "the probes (seeds x batch)");
    if (o.training_depth > 0) check_images(*images, o.training_examples, "training");
    s.inputs = fmt::format("{} (the first {} images)", images->name, std::max(o.seeds * o.batch,
                                                                             o.training_depth > 0 ? o.training_examples : 0));
  } else {
    s.inputs = "images drawn from U[0, 1)";
  }
  const std::vector<ConvArm> arms = s.arms();
  const bool training = images && o.training_depth > 0;
  const int64_t probes = static_cast<int64_t>(arms.size() * o.depths.size()) * o.seeds;
  const int64_t steps = training ? static_cast<int64_t>(arms.size()) * o.training_seeds * o.training_steps : 0;
  int64_t done = 0;
  const auto tick = [&](const char* stage, int64_t total) {
    ++done;
    if (progress) progress({.stage = stage, .done = done, .total = total});
  };

  for (const ConvArm& arm : arms) {
    for (int depth : o.depths) {
      ConvProbeCell cell{.arm = arm, .depth = depth};
      const ModelSpec spec = conv_network_spec(network_of(o, arm, depth));
      for (int t = 0; t < o.seeds; ++t) {
        const uint64_t seed = conv_trial_seed(o.seed, t);
        ProbeSubject subject = spec_subject(spec, DType::float32, seed);
        if (images) {
          subject.inputs = {images_at(*images, t * o.batch, o.batch)};
        } else {
          Rng rng(seed);
          subject.inputs = {uniform(Shape{o.batch, kSide, kSide, 1}, rng, 0.0, 1.0, DType::float32)};
        }
        // Underflow needs a float64 twin and dead units more passes: neither enters the ratio, and both
        // would double the cost.
        ConfigurationProbe probe = probe_subject(
            subject, {.pass = {.training = true, .loss = ProbeLoss::random_projection, .projection_seed = seed},
                      .check_underflow = false,
                      .dead_unit_batches = 0,
                      .through_time = false});
        ConvProbeTrial trial = trial_of(probe.summary, probe.pass);
        trial.seed = seed;
        cell.trials.push_back(std::move(trial));
        if (t == 0) {
          cell.first_pass = std::move(probe.pass);
          cell.first_summary = std::move(probe.summary);
        }
        tick("probe", probes);
      }
      s.cells.push_back(std::move(cell));
    }
  }

  if (training) {
    Dataset data = images->slice(0, o.training_examples);
    data.features = images_at(*images, 0, o.training_examples);
    data.feature_bytes = {};
    done = 0;
    const std::function<void()> after_step = [&] { tick("training", steps); };
    for (const ConvArm& arm : arms) {
      ConvTrainingArm trained{.arm = arm};
      for (int i = 0; i < o.training_seeds; ++i) {
        trained.runs.push_back(train_once(o, arm, data, conv_training_seed(o.seed, i), after_step));
        // A run the anomaly check stopped made fewer steps; the bar still moves by the whole run.
        const int64_t missing = o.training_steps - static_cast<int64_t>(trained.runs.back().losses.size());
        for (int64_t k = 0; k < missing; ++k) tick("training", steps);
      }
      s.training.push_back(std::move(trained));
    }
  }
  s.findings = conv_findings(s);
  s.seconds = seconds_since(start);
  return s;
}

}  // namespace gradlab
