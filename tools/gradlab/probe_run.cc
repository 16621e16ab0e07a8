// run_probe: builds what `gradlab probe` was asked to probe — an inline SkipNetwork or a model spec —
// with its input, probes it, and, for float32, checks underflow against a float64 twin when the
// float32 gradients look underflowed.
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/io/weights.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/lab/spec_variant.h"
#include "gradlab/lab/sweep.h"
#include "gradlab/tensor/creation.h"
#include "model_files.h"
#include "probe_report.h"

namespace gradlab::cli {
namespace {

// What to probe: how to run it, on what, and how to make the same network in float64.
struct Subject {
  std::string description;
  std::string input_description;
  ProbeForward forward;
  std::vector<Tensor> inputs;
  std::function<Subject()> float64_twin;
};

Tensor drawn_input(const Shape& shape, const std::string& dist, Rng& rng, DType dtype) {
  return dist == "normal" ? normal(shape, rng, 0.0, 1.0, dtype) : uniform(shape, rng, 0.0, 1.0, dtype);
}

std::string dist_label(const std::string& dist) { return dist == "normal" ? "N(0, 1)" : "U[0, 1)"; }

// The inline network: the input is drawn first, then the kernels on the first call, as the lesson does.
Subject inline_subject(const ProbeSettings& s, DType dtype) {
  Tensor x;
  std::string input_description;
  auto rng = std::make_shared<Rng>(s.seed);
  if (!s.input.empty()) {
    const TensorFile file = as_bad_input([&] { return read_safetensors(s.input); });
    if (file.size() != 1) {
      throw UsageError(fmt::format("{}: expected one tensor [batch, features] for the inline network, found {}",
                                   s.input, file.size()));
    }
    const auto& [name, tensor] = file.tensors().front();
    if (tensor.rank() != 2 || tensor.dim(0) < 1 || tensor.dim(1) < 1) {
      throw UsageError(fmt::format("{}: tensor '{}' is {}, expected [batch, features]", s.input, name, tensor.description()));
    }
    check_finite_input(tensor, s.input, name);
    x = tensor.to(dtype);
    input_description = fmt::format("{} ('{}', {} x {})", s.input, name, x.dim(0), x.dim(1));
  } else {
    x = drawn_input({s.batch, s.features}, s.input_dist, *rng, dtype);
    input_description = fmt::format("{} x {} drawn from {}, seed {}", s.batch, s.features, dist_label(s.input_dist), s.seed);
  }
  const SkipNetworkOptions options{.skip = parse_sweep_skip(s.skip),
                                   .depth = s.depth,
                                   .units = s.width,
                                   .activation = s.activation,
                                   .kernel_initializer = s.init,
                                   .batch = x.dim(0),
                                   .input_features = x.dim(1),
                                   .dtype = dtype,
                                   .normalization = parse_skip_normalization(s.norm)};
  auto net = std::make_shared<SkipNetwork>(options, *rng);
  Subject subject;
  subject.description = fmt::format("inline: {} x Dense({}, {}), {}, {}, norm {}", s.depth, s.width, s.activation, s.init,
                                    skip_connection_label(options.skip), s.norm);
  subject.input_description = input_description;
  subject.inputs = {x};
  subject.forward = [net, rng](const std::vector<Tensor>& xs, const CallOptions& o) {
    return std::vector<Tensor>{(*net)(xs[0], o)};
  };
  subject.float64_twin = [net, rng, options, x, base = subject] {
    SkipNetworkOptions o64 = options;
    o64.dtype = DType::float64;
    auto rng64 = std::make_shared<Rng>(0);
    auto net64 = std::make_shared<SkipNetwork>(o64, *rng64);
    const Tensor x64 = x.to(DType::float64);
    (*net64)(x64);  // builds the layers; inference mode leaves moving statistics alone
    std::vector<Variable> from = net->trainable_variables(), to = net64->trainable_variables();
    for (std::size_t i = 0; i < from.size(); ++i) to[i].assign(from[i].value().to(DType::float64));
    Subject twin = base;
    twin.inputs = {x64};
    twin.forward = [net64, rng64](const std::vector<Tensor>& xs, const CallOptions& o) {
      return std::vector<Tensor>{(*net64)(xs[0], o)};
    };
    return twin;
  };
  return subject;
}

// Weights in another dtype than asked for are converted, so one checkpoint serves both.
TensorFile converted(const TensorFile& file, DType dtype) {
  TensorFile out;
  out.set_source(file.source());
  for (const auto& [name, tensor] : file.tensors()) out.add(name, tensor.to(dtype));
  return out;
}

void copy_variables(const Model& from, const Model& to) {
  std::vector<Variable> source = from.variables();
  for (Variable& v : to.variables()) {
    for (const Variable& w : source) {
      if (w.name() == v.name()) v.assign(w.value().to(v.dtype()));
    }
  }
}

Subject spec_subject(const ProbeSettings& s, const std::string& dtype_option) {
  check_one_stdin({{"--model", s.model}, {"--weights", s.weights}, {"--input", s.input}});
  // The variant `gradlab sweep --model` probes with the same --init and --activation.
  const ModelSpec spec = as_bad_input([&] { return apply_spec_overrides(read_model_spec(s.model), s.overrides); });
  TensorFile weights;
  if (!s.weights.empty()) weights = as_bad_input([&] { return read_safetensors(s.weights); });
  const DType dtype = dtype_for(dtype_option, weights);
  Rng rng(s.seed);
  auto model = std::make_shared<Model>(as_bad_input([&] { return build_model(spec, {.dtype = dtype, .rng = &rng}); }));
  if (!s.weights.empty()) as_bad_input([&] { load_weights(*model, converted(weights, dtype)); });

  Subject subject;
  std::string variant;
  if (s.overrides.kernel_initializer) variant += ", kernels " + *s.overrides.kernel_initializer;
  if (s.overrides.hidden_activation) variant += ", hidden activation " + *s.overrides.hidden_activation;
  subject.description = fmt::format("model {} ({}){}, {}", model->name(), s.model, variant,
                                    s.weights.empty() ? fmt::format("fresh weights, seed {}", s.seed) : "weights " + s.weights);
  if (!s.input.empty()) {
    for (const Tensor& x : read_spec_inputs(spec, s.input)) subject.inputs.push_back(x.to(dtype));
    subject.input_description = s.input;
  } else {
    subject.inputs = draw_spec_inputs(spec, s.batch, parse_input_distribution(s.input_dist), s.seed, dtype);
    subject.input_description = fmt::format("batch {} drawn from {}, seed {}", s.batch, dist_label(s.input_dist), s.seed);
  }
  subject.forward = [model](const std::vector<Tensor>& xs, const CallOptions& o) { return model->call_all(xs, o); };
  subject.float64_twin = [spec, model, base = subject] {
    auto model64 = std::make_shared<Model>(build_model(spec, {.dtype = DType::float64}));
    copy_variables(*model, *model64);
    Subject twin = base;
    twin.inputs.clear();
    for (const Tensor& x : base.inputs) twin.inputs.push_back(x.to(DType::float64));
    twin.forward = [model64](const std::vector<Tensor>& xs, const CallOptions& o) { return model64->call_all(xs, o); };
    return twin;
  };
  return subject;
}

}  // namespace

ProbeReport run_probe(const ProbeSettings& s) {
  const Subject subject = s.model.empty() ? inline_subject(s, s.dtype.empty() ? DType::float32 : parse_dtype(s.dtype))
                                          : spec_subject(s, s.dtype);
  const ProbePassOptions options{.training = s.mode == "training"};
  ProbeReport r;
  r.network = subject.description;
  r.input = subject.input_description;
  r.mode = s.mode;
  r.seed = s.seed;
  r.pass = probe_pass(subject.forward, subject.inputs, options);
  r.summary = summarize_flow(r.pass, s.thresholds);
  if (r.pass.dtype == DType::float32 && suspect_float32_underflow(r.pass)) {
    const Subject twin = subject.float64_twin();
    const PassRecord reference = probe_pass(twin.forward, twin.inputs, options);
    r.underflow = float32_underflow(r.pass, &reference);
    r.compared_with_float64 = true;
  } else {
    r.underflow = float32_underflow(r.pass);
  }
  return r;
}

}  // namespace gradlab::cli
