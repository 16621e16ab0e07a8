#include "gradlab/lab/normalization_study.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/instrument/example_spread.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/nn/input_normalization.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

constexpr int kMaxTrials = 1'000'000;
constexpr int64_t kInputFeatures = 128;
// The fixed network of the train/inference and small-batch comparisons.
constexpr int kComparisonDepth = 16;
// The input-normalization table probes the lesson's own 4-layer stacks.
constexpr int kInputNormalizationDepth = 4;
// Rows a Normalization is adapted on: "the training data", drawn apart from the probed batch.
constexpr int64_t kAdaptRows = 1024;

// FNV-1a over a configuration's description: a stream that depends on what is measured, not on the
// order of the loops or on which other configurations were asked for.
uint64_t stream_of(const std::string& description, int trial) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : description) h = (h ^ c) * 1099511628211ull;
  return (h & ~uint64_t{0xffffffff}) | static_cast<uint32_t>(trial);
}

struct Trial {
  double input_grad_norm = 0;
  std::vector<double> layer_grad_norms;
  double output_std_across_examples = 0;
  // Layer 1's gradient norm over the last layer's.
  double first_to_last = 0;
};

// What the probe is fed: U[low, high), raw or through a Normalization adapted on the distribution.
struct ProbeInput {
  InputRange range;
  bool adapted = false;
};

double finite_or_inf(double v) { return std::isnan(v) ? std::numeric_limits<double>::infinity() : v; }

Trial probe_trial(const SkipNetworkOptions& options, Rng& rng, const ProbeInput& input = {}) {
  SkipNetwork network(options, rng);
  const Shape shape = probe_input_shape(options);
  const Tensor x = uniform(shape, rng, input.range.low, input.range.high, options.dtype);
  std::optional<Normalization> front;
  if (input.adapted) {
    front.emplace(NormalizationOptions{.name = "input_normalization"});
    std::vector<int64_t> data_shape = shape.to_vector();
    data_shape[0] = kAdaptRows;
    front->adapt(uniform(Shape(data_shape), rng, input.range.low, input.range.high, options.dtype));
  }
  Tensor output;
  const ProbeForward forward = [&](const std::vector<Tensor>& in, const CallOptions& call) {
    output = network(front ? (*front)(in[0], call) : in[0], call);
    return std::vector<Tensor>{output};
  };
  const PassRecord pass =
      probe_pass(forward, {x}, {.training = true, .detect_anomalies = false, .probe = {.variables = false}});
  Trial t;
  t.input_grad_norm = pass.input_grad ? finite_or_inf(pass.input_grad->l2_norm) : 0.0;
  for (const LayerCallRecord& layer : pass.layers) {
    if (layer.type == "dense") t.layer_grad_norms.push_back(layer.input_grad ? finite_or_inf(layer.input_grad->l2_norm) : 0.0);
  }
  const double last = t.layer_grad_norms.back();
  t.first_to_last = last > 0 ? t.layer_grad_norms.front() / last : 0.0;
  t.output_std_across_examples = std_across_examples(output);
  return t;
}

SkipNetworkOptions network_options(const NormalizationStudyOptions& o, const std::string& activation,
                                   const std::string& initializer, int depth, SkipNormalization norm,
                                   int64_t batch, int64_t steps = 0) {
  return {.depth = depth, .units = o.width, .activation = activation, .kernel_initializer = initializer,
          .batch = batch, .input_features = kInputFeatures, .steps = steps, .dtype = o.dtype, .normalization = norm};
}

// The tables that existed before steps and input ranges keep their descriptions, so their streams
// (and figures) do not change.
std::string describe(const SkipNetworkOptions& n, const char* experiment, const ProbeInput& input) {
  std::string d = fmt::format("{}/{}/{}/{}/{}/{}", experiment, n.activation, n.kernel_initializer.name(), n.depth,
                              skip_normalization_name(n.normalization), n.batch);
  if (n.steps > 0) d += fmt::format("/steps{}", n.steps);
  if (input.range.low != 0 || input.range.high != 1 || input.adapted) {
    d += fmt::format("/U[{},{})/{}", input.range.low, input.range.high, input.adapted ? "adapted" : "raw");
  }
  return d;
}

std::vector<Trial> run_trials(const NormalizationStudyOptions& o, const SkipNetworkOptions& net, const char* experiment,
                              const ProbeInput& input = {}) {
  Rng root(o.seed);
  std::vector<Trial> trials;
  for (int t = 0; t < o.trials; ++t) {
    Rng rng = root.fork(stream_of(describe(net, experiment, input), t));
    trials.push_back(probe_trial(net, rng, input));
  }
  return trials;
}

SampleSummary summarize_field(const std::vector<Trial>& trials, double Trial::*field) {
  std::vector<double> v;
  for (const Trial& t : trials) v.push_back(t.*field);
  return summarize(v);
}

NormalizationCell measure_cell(const NormalizationStudyOptions& o, const SkipNetworkOptions& net, const char* experiment) {
  const std::vector<Trial> trials = run_trials(o, net, experiment);
  return {.activation = net.activation,
          .initializer = net.kernel_initializer.name(),
          .depth = net.depth,
          .normalization = net.normalization,
          .steps = net.steps,
          .input_grad_norm = summarize_field(trials, &Trial::input_grad_norm),
          .layer_grad_norms = trials.front().layer_grad_norms,
          .first_to_last = summarize_field(trials, &Trial::first_to_last),
          .output_std_across_examples = summarize_field(trials, &Trial::output_std_across_examples).mean};
}

BatchNormModes measure_batch_norm_modes(const NormalizationStudyOptions& o) {
  const SkipNetworkOptions net =
      network_options(o, "relu", "he_uniform", kComparisonDepth, SkipNormalization::batch, o.batch);
  Rng rng = Rng(o.seed).fork(stream_of(describe(net, "modes", {}), 0));
  SkipNetwork network(net, rng);
  const Tensor x = uniform({net.batch, net.input_features}, rng, 0.0, 1.0, net.dtype);
  BatchNormModes m;
  // Inference first: a training pass would move the moving statistics.
  Tensor inference_out, training_out;
  for (bool training : {false, true}) {
    Tensor& out = training ? training_out : inference_out;
    const ProbeForward forward = [&](const std::vector<Tensor>& in, const CallOptions& call) {
      out = network(in[0], call);
      return std::vector<Tensor>{out};
    };
    const PassRecord pass =
        probe_pass(forward, {x}, {.training = training, .detect_anomalies = false, .probe = {.variables = false}});
    (training ? m.training_input_grad_norm : m.inference_input_grad_norm) =
        pass.input_grad ? finite_or_inf(pass.input_grad->l2_norm) : 0.0;
  }
  m.training_output_std = std_across_examples(training_out);
  m.inference_output_std = std_across_examples(inference_out);
  const std::vector<double> a = training_out.to_vector(), b = inference_out.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) m.max_output_difference = std::max(m.max_output_difference, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace

void validate(const NormalizationStudyOptions& o) {
  if (o.trials < 1 || o.trials > kMaxTrials) fail("lesson: normalization trials must be in [1, {}], got {}", kMaxTrials, o.trials);
  for (int depth : o.depths) {
    if (depth < 1 || depth > kMaxStudyDepth) fail("lesson: each normalization depth must be in [1, {}], got {}", kMaxStudyDepth, depth);
  }
  const std::vector<std::string>& known = activation_names();
  for (const std::string& a : o.activations) {
    if (std::find(known.begin(), known.end(), a) == known.end()) fail("lesson: unknown activation '{}'", a);
  }
  for (const std::string& i : o.initializers) Initializer{i};
  if (o.width < 1 || o.batch < 1 || o.sequence_batch < 1) {
    fail("lesson: width, batch and sequence batch must be at least 1, got {}, {} and {}", o.width, o.batch,
         o.sequence_batch);
  }
  for (const InputRange& r : o.input_ranges) {
    if (!std::isfinite(r.low) || !std::isfinite(r.high) || !(r.low < r.high)) {
      fail("lesson: each input range U[low, high) needs finite low < high, got U[{}, {})", r.low, r.high);
    }
  }
  if (o.steps < 2) fail("lesson: instance normalization needs sequences of at least 2 steps, got {}", o.steps);
}

NormalizationStudy run_normalization_study(const NormalizationStudyOptions& o) {
  validate(o);
  NormalizationStudy study;
  study.options = o;
  for (const std::string& activation : o.activations) {
    for (const std::string& initializer : o.initializers) {
      for (int depth : o.depths) {
        for (SkipNormalization norm : o.normalizations) {
          study.cells.push_back(measure_cell(o, network_options(o, activation, initializer, depth, norm, o.batch), "depth"));
        }
      }
    }
  }
  study.batch_norm_modes = measure_batch_norm_modes(o);
  for (int64_t batch : {int64_t{1}, int64_t{2}, o.batch}) {
    for (SkipNormalization norm : {SkipNormalization::batch, SkipNormalization::layer}) {
      const SkipNetworkOptions net = network_options(o, "relu", "he_uniform", kComparisonDepth, norm, batch);
      const std::vector<Trial> trials = run_trials(o, net, "small_batch");
      study.small_batches.push_back({batch, norm, summarize_field(trials, &Trial::input_grad_norm),
                                     summarize_field(trials, &Trial::output_std_across_examples).mean});
    }
  }
  for (const std::string& activation : o.activations) {
    for (const InputRange& range : o.input_ranges) {
      for (bool adapted : {false, true}) {
        const SkipNetworkOptions net =
            network_options(o, activation, "glorot_uniform", kInputNormalizationDepth, SkipNormalization::none, o.batch);
        const std::vector<Trial> trials = run_trials(o, net, "input_norm", {range, adapted});
        study.input_normalization.push_back({activation, range, adapted, summarize_field(trials, &Trial::input_grad_norm),
                                             summarize_field(trials, &Trial::first_to_last),
                                             summarize_field(trials, &Trial::output_std_across_examples).mean});
      }
    }
  }
  for (const std::string& activation : o.activations) {
    for (int64_t steps : {int64_t{0}, o.steps}) {
      for (SkipNormalization norm : kSkipNormalizations) {
        const int64_t batch = steps == 0 ? o.batch : o.sequence_batch;
        study.instance_cells.push_back(measure_cell(
            o, network_options(o, activation, "glorot_uniform", kComparisonDepth, norm, batch, steps), "instance"));
      }
    }
  }
  return study;
}

}  // namespace gradlab
