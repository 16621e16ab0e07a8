#include "gradlab/lab/lesson_study.h"

#include <algorithm>

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/theory/initializer_variances.h"
#include "gradlab/theory/scalar_activation.h"

namespace gradlab {
namespace {

constexpr int kMaxTrials = 10'000'000;

enum class Experiment : uint64_t { kernel_variance = 1, input_gradient = 2 };

// FNV-1a, folded to 16 bits: a stable stream component for an activation name that does not depend
// on the position of the name in activation_names().
uint64_t name_key(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return (h ^ (h >> 16)) & 0xffffu;
}

// Layout of a stream: experiment (4 bits) | activation (16) | skip (2) | depth - 1 (10) | trial (32).
uint64_t stream(Experiment experiment, uint64_t activation, uint64_t skip, uint64_t depth, uint64_t trial) {
  return (static_cast<uint64_t>(experiment) << 60) | (activation << 44) | (skip << 42) | ((depth - 1) << 32) |
         trial;
}

KernelVarianceResult measure_kernel_cell(const LessonKernelCell& cell, uint64_t cell_index,
                                         const LessonStudyOptions& options) {
  Rng root(options.seed);
  std::vector<double> samples(static_cast<std::size_t>(options.trials));
  for (int t = 0; t < options.trials; ++t) {
    Rng rng = root.fork(stream(Experiment::kernel_variance, 0, 0, cell_index + 1, static_cast<uint64_t>(t)));
    samples[static_cast<std::size_t>(t)] = kernel_variance(cell.layer, rng);
  }
  KernelVarianceResult r;
  r.layer = cell.layer;
  r.theory = theoretical_kernel_variance(cell.layer.initializer, cell.layer.fan_in, cell.layer.units);
  r.lesson = cell.printed_variance;
  r.measured = summarize(samples);
  r.lesson_percentile = percentile_of_score(samples, cell.printed_variance);
  return r;
}

std::vector<double> gradient_norm_samples(const SkipNetworkOptions& net, int trials, uint64_t seed) {
  Rng root(seed);
  std::vector<double> samples(static_cast<std::size_t>(trials));
  for (int t = 0; t < trials; ++t) {
    Rng rng = root.fork(stream(Experiment::input_gradient, name_key(net.activation),
                               static_cast<uint64_t>(net.skip), static_cast<uint64_t>(net.depth),
                               static_cast<uint64_t>(t)));
    samples[static_cast<std::size_t>(t)] = input_gradient_norm(net, rng);
  }
  return samples;
}

GradientNormResult measure_network(SkipConnection skip, int depth, const std::string& activation, int trials,
                                   const LessonStudyOptions& options, bool beside_lesson) {
  SkipNetworkOptions net{.skip = skip, .depth = depth, .activation = activation, .dtype = options.dtype};
  // The 4-layer table (beside_lesson) reproduces the lesson's cell, which used Keras's default.
  if (!beside_lesson) net.kernel_initializer = Initializer(options.grid_initializer);
  std::vector<double> samples = gradient_norm_samples(net, trials, options.seed);
  GradientNormResult r;
  r.skip = skip;
  r.depth = depth;
  r.activation = activation;
  r.measured = summarize(samples);
  if (beside_lesson) {
    r.lesson = lesson_printed_gradient_norm(skip);
    r.lesson_percentile = percentile_of_score(samples, *r.lesson);
  }
  return r;
}

}  // namespace

const std::vector<LessonKernelCell>& lesson_kernel_cells() {
  static const std::vector<LessonKernelCell> cells = {
      {{.initializer = "he_uniform", .fan_in = 10, .units = 32}, 0.19253153},
      {{.initializer = "he_uniform", .fan_in = 100, .units = 128}, 0.019861732},
      {{.initializer = "glorot_uniform", .fan_in = 10, .units = 32}, 0.04799015},
      {{.initializer = "glorot_uniform", .fan_in = 100, .units = 128}, 0.008802493},
  };
  return cells;
}

double lesson_printed_gradient_norm(SkipConnection skip) {
  switch (skip) {
    case SkipConnection::none: return 0.0202007275;
    case SkipConnection::residual: return 0.0324114449;
    case SkipConnection::concat: return 0.0306733567;
    case SkipConnection::identity: fail("lesson_printed_gradient_norm: the lesson has no network with an identity skip");
  }
  fail("lesson_printed_gradient_norm: unknown SkipConnection {}", static_cast<int>(skip));
}

namespace {

// The layers axis at the middle of the time axis (T = 100 of 10, 100, 1000), so a short time axis
// makes the whole section short.
RecurrentDepthStudyOptions recurrent_options(const LessonStudyOptions& options) {
  const std::vector<int64_t>& steps = options.recurrent_time_steps;
  return {.time_steps = steps,
          .layers_time_steps = steps.empty() ? RecurrentDepthStudyOptions{}.layers_time_steps : steps[steps.size() / 2],
          .trials = options.recurrent_trials,
          .seed = options.seed};
}

}  // namespace

void validate(const LessonStudyOptions& options) {
  if (options.trials < 1 || options.trials > kMaxTrials) {
    fail("lesson: trials must be in [1, {}], got {}", kMaxTrials, options.trials);
  }
  if (options.grid_trials < 1 || options.grid_trials > kMaxTrials) {
    fail("lesson: grid trials must be in [1, {}], got {}", kMaxTrials, options.grid_trials);
  }
  if (options.normalization_trials < 0 || options.normalization_trials > kMaxTrials) {
    fail("lesson: normalization trials must be in [0, {}], got {}", kMaxTrials, options.normalization_trials);
  }
  for (int depth : options.normalization_depths) {
    if (depth < 1 || depth > kMaxStudyDepth) fail("lesson: each normalization depth must be in [1, {}], got {}", kMaxStudyDepth, depth);
  }
  for (int depth : options.depths) {
    if (depth < 1 || depth > kMaxStudyDepth) {
      fail("lesson: each depth must be in [1, {}], got {}", kMaxStudyDepth, depth);
    }
  }
  if (options.recurrent_trials < 0 || options.recurrent_trials > kMaxTrials) {
    fail("lesson: recurrent trials must be in [0, {}], got {}", kMaxTrials, options.recurrent_trials);
  }
  if (options.recurrent_trials > 0) validate(recurrent_options(options));
  Initializer check(options.grid_initializer);  // an unknown name is an Error listing the valid ones
  const std::vector<std::string>& known = activation_names();
  for (const std::string& a : options.activations) {
    if (std::find(known.begin(), known.end(), a) == known.end()) {
      fail("lesson: unknown activation '{}' (known: {})", a, fmt::join(known, ", "));
    }
  }
}

std::vector<InitializerTheoryRow> lesson_initializer_theory(int64_t units) {
  const Fans square{.fan_in = static_cast<double>(units), .fan_out = static_cast<double>(units)};
  std::vector<InitializerTheoryRow> rows;
  for (const char* initializer : kLessonTheoryInitializers) {
    const theory::InitVariances v{.sigma_w2 = theory::kernel_sigma_w2(Initializer(initializer), square), .sigma_b2 = 0.0};
    for (const char* activation : kLessonTheoryActivations) {
      rows.push_back({.initializer = initializer,
                      .activation = activation,
                      .variances = v,
                      .propagation = theory::gradient_propagation(theory::scalar_activation(activation), v)});
    }
  }
  return rows;
}

LessonStudy run_lesson_study(const LessonStudyOptions& options) {
  validate(options);
  LessonStudy study;
  study.options = options;
  const std::vector<LessonKernelCell>& cells = lesson_kernel_cells();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    study.kernel_variance.push_back(measure_kernel_cell(cells[i], i, options));
  }
  study.initializer_theory = lesson_initializer_theory();
  for (SkipConnection skip : kSkipConnections) {
    study.skip_connections.push_back(measure_network(skip, 4, "relu", options.trials, options, true));
  }
  for (const std::string& activation : options.activations) {
    for (int depth : options.depths) {
      for (SkipConnection skip : kSkipConnections) {
        study.depth_grid.push_back(measure_network(skip, depth, activation, options.grid_trials, options, false));
      }
    }
  }
  if (options.normalization_trials > 0) {
    study.normalization = run_normalization_study(
        {.seed = options.seed, .trials = options.normalization_trials, .depths = options.normalization_depths,
         .dtype = options.dtype});
  }
  if (options.recurrent_trials > 0) study.recurrent = run_recurrent_depth_study(recurrent_options(options));
  return study;
}

}  // namespace gradlab
