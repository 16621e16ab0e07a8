#include "gradlab/instrument/normalization_study.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/instrument/lesson_study.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

constexpr int kMaxTrials = 1'000'000;
constexpr int64_t kInputFeatures = 128;
// The fixed network of the train/inference and small-batch comparisons.
constexpr int kComparisonDepth = 16;

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
};

double finite_or_inf(double v) { return std::isnan(v) ? std::numeric_limits<double>::infinity() : v; }

// Mean over units of the standard deviation over the batch (axis 0).
double std_across_examples(const Tensor& output) {
  const int64_t n = output.dim(0), units = output.numel() / std::max<int64_t>(n, 1);
  if (n < 2) return 0;
  const std::vector<double> y = output.to_vector();
  double total = 0;
  for (int64_t u = 0; u < units; ++u) {
    double m = 0, s = 0;
    for (int64_t i = 0; i < n; ++i) m += y[static_cast<std::size_t>(i * units + u)];
    m /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) s += std::pow(y[static_cast<std::size_t>(i * units + u)] - m, 2);
    total += std::sqrt(s / static_cast<double>(n));
  }
  return total / static_cast<double>(units);
}

Trial probe_trial(const SkipNetworkOptions& options, Rng& rng, bool training) {
  SkipNetwork network(options, rng);
  const Tensor x = uniform({options.batch, options.input_features}, rng, 0.0, 1.0, options.dtype);
  Tensor output;
  const ProbeForward forward = [&](const std::vector<Tensor>& in, const CallOptions& call) {
    output = network(in[0], call);
    return std::vector<Tensor>{output};
  };
  const PassRecord pass =
      probe_pass(forward, {x}, {.training = training, .detect_anomalies = false, .probe = {.variables = false}});
  Trial t;
  t.input_grad_norm = pass.input_grad ? finite_or_inf(pass.input_grad->l2_norm) : 0.0;
  for (const LayerCallRecord& layer : pass.layers) {
    if (layer.type == "dense") t.layer_grad_norms.push_back(layer.input_grad ? finite_or_inf(layer.input_grad->l2_norm) : 0.0);
  }
  t.output_std_across_examples = std_across_examples(output);
  return t;
}

SkipNetworkOptions network_options(const NormalizationStudyOptions& o, const std::string& activation,
                                   const std::string& initializer, int depth, SkipNormalization norm,
                                   int64_t batch) {
  return {.depth = depth, .units = o.width, .activation = activation, .kernel_initializer = initializer,
          .batch = batch, .input_features = kInputFeatures, .dtype = o.dtype, .normalization = norm};
}

std::string describe(const SkipNetworkOptions& n, const char* experiment) {
  return fmt::format("{}/{}/{}/{}/{}/{}", experiment, n.activation, n.kernel_initializer.name(), n.depth,
                     skip_normalization_name(n.normalization), n.batch);
}

std::vector<Trial> run_trials(const NormalizationStudyOptions& o, const SkipNetworkOptions& net, const char* experiment) {
  Rng root(o.seed);
  std::vector<Trial> trials;
  for (int t = 0; t < o.trials; ++t) {
    Rng rng = root.fork(stream_of(describe(net, experiment), t));
    trials.push_back(probe_trial(net, rng, true));
  }
  return trials;
}

SampleSummary summarize_field(const std::vector<Trial>& trials, double Trial::*field) {
  std::vector<double> v;
  for (const Trial& t : trials) v.push_back(t.*field);
  return summarize(v);
}

BatchNormModes measure_batch_norm_modes(const NormalizationStudyOptions& o) {
  const SkipNetworkOptions net =
      network_options(o, "relu", "he_uniform", kComparisonDepth, SkipNormalization::batch, o.batch);
  Rng rng = Rng(o.seed).fork(stream_of(describe(net, "modes"), 0));
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
  if (o.width < 1 || o.batch < 1) fail("lesson: width and batch must be at least 1, got {} and {}", o.width, o.batch);
}

NormalizationStudy run_normalization_study(const NormalizationStudyOptions& o) {
  validate(o);
  NormalizationStudy study;
  study.options = o;
  for (const std::string& activation : o.activations) {
    for (const std::string& initializer : o.initializers) {
      for (int depth : o.depths) {
        for (SkipNormalization norm : o.normalizations) {
          const SkipNetworkOptions net = network_options(o, activation, initializer, depth, norm, o.batch);
          const std::vector<Trial> trials = run_trials(o, net, "depth");
          NormalizationCell cell{activation, initializer, depth, norm, summarize_field(trials, &Trial::input_grad_norm),
                                 trials.front().layer_grad_norms, {}};
          std::vector<double> ratios;
          for (const Trial& t : trials) {
            const double last = t.layer_grad_norms.back();
            ratios.push_back(last > 0 ? t.layer_grad_norms.front() / last : 0.0);
          }
          cell.first_to_last = summarize(ratios);
          study.cells.push_back(std::move(cell));
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
  return study;
}

}  // namespace gradlab
