// run_probe: builds what `gradlab probe` was asked to probe — an inline SkipNetwork, an inline
// recurrent network (recurrent_network.h) or a model spec —
// with its input, and probes it with the library's probe_configuration.h (which, for float32, checks
// underflow against a float64 twin when the float32 gradients look underflowed).
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/lab/dynamical_isometry.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/lab/conv_network.h"
#include "gradlab/lab/spec_variant.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"
#include "model_files.h"
#include "probe_report.h"

namespace gradlab::cli {
namespace {

// What to probe, and how the report names it and its input.
struct Subject {
  std::string description;
  std::string input_description;
  ProbeSubject probe;
};

std::string dist_label(const std::string& dist) { return dist == "normal" ? "N(0, 1)" : "U[0, 1)"; }

// The --input of an inline network: one finite tensor of `rank` dimensions, each at least 1 (`layout`
// names them), with its name; a UsageError naming the file, and the tensor, otherwise.
std::pair<std::string, Tensor> read_inline_input(const std::string& path, int rank, const std::string& layout,
                                                 const std::string& network, const std::string& expected) {
  const TensorFile file = as_bad_input([&] { return read_safetensors(path); });
  if (file.size() != 1) {
    throw UsageError(fmt::format("{}: expected one tensor {} for the {}, found {}", path, layout, network, file.size()));
  }
  const auto& [name, tensor] = file.tensors().front();
  bool fits = tensor.rank() == rank;
  for (int d = 0; fits && d < rank; ++d) fits = tensor.dim(d) >= 1;
  if (!fits) throw UsageError(fmt::format("{}: tensor '{}' is {}, expected {}", path, name, tensor.description(), expected));
  check_finite_input(tensor, path, name);
  return {name, tensor};
}

// The inline network: the input is drawn first, then the kernels on the first call, as the lesson does.
Subject inline_subject(const ProbeSettings& s, DType dtype) {
  SkipNetworkOptions options{.skip = parse_skip_connection(s.skip),
                             .depth = s.depth,
                             .units = s.width,
                             .activation = s.activation,
                             .kernel_initializer = s.init,
                             .gaussian_init = s.gaussian_init,
                             .batch = s.batch,
                             .input_features = s.features,
                             .dtype = dtype,
                             .normalization = parse_skip_normalization(s.norm)};
  Subject subject;
  Tensor x;
  bool drawn = false;
  auto rng = std::make_shared<Rng>(s.seed);
  if (!s.data.data.empty()) {
    const Tensor features = read_data_features(s.data);
    check_inline_data_rank(s.data, features, 1, "the inline Dense network", "[features]");
    options.input_features = features.dim(1);
    options.batch = features.dim(0);
    x = features.to(dtype);
    subject.input_description = data_description(s.data, features);
  } else if (!s.input.empty()) {
    const auto [name, tensor] = read_inline_input(s.input, 2, "[batch, features]", "inline network", "[batch, features]");
    x = tensor.to(dtype);
    subject.input_description = fmt::format("{} ('{}', {} x {})", s.input, name, x.dim(0), x.dim(1));
  } else {
    x = draw_probe_input(options, parse_input_distribution(s.input_dist), *rng);
    drawn = true;
    subject.input_description =
        fmt::format("{} x {} drawn from {}, seed {}", s.batch, s.features, dist_label(s.input_dist), s.seed);
  }
  subject.probe = skip_network_subject(options, x, rng);
  if (drawn) subject.probe.more_inputs = more_probe_inputs(options, parse_input_distribution(s.input_dist), s.seed);
  const std::string init = s.gaussian_init ? fmt::format("weights N(0, {}/fan_in), biases N(0, {})", s.gaussian_init->sigma_w2,
                                                         s.gaussian_init->sigma_b2)
                                           : s.init;
  subject.description = fmt::format("inline: {} x Dense({}, {}), {}, {}, norm {}", s.depth, s.width, s.activation, init,
                                    skip_connection_label(options.skip), s.norm);
  return subject;
}

// The inline recurrent network: the sequence is drawn (or read) first, then the kernels, as for Dense.
Subject recurrent_subject(const ProbeSettings& s, DType dtype) {
  RecurrentNetworkOptions options{.cell = parse_recurrent_cell(s.cell),
                                  .layers = s.depth,
                                  .units = s.width,
                                  .time_steps = s.time_steps,
                                  .activation = s.activation,
                                  .kernel_initializer = s.init,
                                  .recurrent_initializer = s.recurrent_init,
                                  .layer_norm = s.norm == "layer",
                                  .batch = s.batch,
                                  .input_features = s.features,
                                  .dtype = dtype};
  Subject subject;
  Tensor x;
  auto rng = std::make_shared<Rng>(s.seed);
  if (!s.data.data.empty()) {
    // The examples set the batch, the time steps and the features per step (recurrent_network_subject;
    // the time steps here for the label).
    const Tensor features = read_data_features(s.data);
    check_inline_data_rank(s.data, features, 2, "the inline recurrent network (--cell)", "[time, features]");
    x = features.to(dtype);
    options.time_steps = x.dim(1);
    subject.input_description = data_description(s.data, features);
  } else if (!s.input.empty()) {
    const auto [name, tensor] = read_inline_input(s.input, 3, "[batch, time, features]", "inline recurrent network",
                                                  "a sequence [batch, time, features] with each at least 1");
    x = tensor.to(dtype);
    options.time_steps = x.dim(1);
    subject.input_description = fmt::format("{} ('{}', {} x {} x {})", s.input, name, x.dim(0), x.dim(1), x.dim(2));
  } else {
    x = as_bad_input([&] { return draw_recurrent_input(options, parse_input_distribution(s.input_dist), *rng); });
    subject.input_description = fmt::format("{} x {} steps x {} drawn from {}, seed {}", s.batch, s.time_steps, s.features,
                                            dist_label(s.input_dist), s.seed);
  }
  subject.probe = as_bad_input([&] { return recurrent_network_subject(options, x, rng); });
  subject.description = "inline: " + recurrent_network_label(options);
  return subject;
}

// A spec (from --model, or the inline --conv network) with its weights and input as the options say;
// `features` are the --data examples, read by the caller (undefined without --data).
Subject spec_network_subject(const ModelSpec& spec, const ProbeSettings& s, const std::string& dtype_option,
                             const Tensor& features) {
  TensorFile weights;
  if (!s.weights.empty()) weights = as_bad_input([&] { return read_safetensors(s.weights); });
  const DType dtype = dtype_for(dtype_option, weights);
  Subject subject;
  subject.probe = as_bad_input(
      [&] { return gradlab::spec_subject(spec, dtype, s.seed, s.weights.empty() ? nullptr : &weights); });

  if (features.defined()) {
    data_input_name(spec, s.data, features);
    subject.probe.inputs = {features.to(dtype)};
    subject.input_description = data_description(s.data, features);
  } else if (!s.input.empty()) {
    for (const Tensor& x : read_spec_inputs(spec, s.input)) subject.probe.inputs.push_back(x.to(dtype));
    subject.input_description = s.input;
  } else {
    subject.probe.inputs = draw_spec_inputs(spec, s.batch, parse_input_distribution(s.input_dist), s.seed, dtype);
    subject.probe.more_inputs = [spec, s, dtype](int64_t b) {
      return draw_spec_inputs(spec, s.batch, parse_input_distribution(s.input_dist), more_inputs_seed(s.seed, b), dtype);
    };
    subject.input_description = fmt::format("batch {} drawn from {}, seed {}", s.batch, dist_label(s.input_dist), s.seed);
  }
  return subject;
}

Subject spec_subject(const ProbeSettings& s, const std::string& dtype_option) {
  check_one_stdin({{"--model", s.model}, {"--weights", s.weights}, {"--input", s.input}});
  // The variant `gradlab sweep --model` probes with the same --init and --activation.
  const ModelSpec spec = as_bad_input([&] { return apply_spec_overrides(read_model_spec(s.model), s.overrides); });
  const Tensor features = s.data.data.empty() ? Tensor() : read_data_features(s.data);
  Subject subject = spec_network_subject(spec, s, dtype_option, features);
  std::string variant;
  if (s.overrides.kernel_initializer) variant += ", kernels " + *s.overrides.kernel_initializer;
  if (s.overrides.hidden_activation) variant += ", hidden activation " + *s.overrides.hidden_activation;
  subject.description = fmt::format("model {} ({}){}, {}", spec.name, s.model, variant,
                                    s.weights.empty() ? fmt::format("fresh weights, seed {}", s.seed) : "weights " + s.weights);
  return subject;
}

// The inline convolutional network (--conv): its spec (lab/conv_network.h) probed as a spec is.
Subject conv_subject(const ProbeSettings& s) {
  ConvNetworkOptions options = conv_network_options(s);
  Tensor features;
  if (!s.data.data.empty()) {
    // The network is built for the examples' images, as it is for the --image it would draw.
    features = read_data_features(s.data);
    check_inline_data_rank(s.data, features, 3, "the inline convolutional network (--conv)", "[height, width, channels]");
    options.image = {features.dim(1), features.dim(2), features.dim(3)};
  }
  const ModelSpec spec = as_bad_input([&] { return conv_network_spec(options); });
  Subject subject = spec_network_subject(spec, s, s.dtype, features);
  subject.description = fmt::format("inline: {}, fresh weights, seed {}", conv_network_label(options), s.seed);
  return subject;
}

// A model object as it is, with its own weights; there is no float64 twin of an object, so float32
// underflow is judged from the float32 pass alone.
Subject object_subject(const ProbeSettings& s) {
  auto layer = std::make_shared<const Layer>(*s.layer);
  Subject subject;
  subject.description = fmt::format("model {} '{}' (its own weights)", layer->type(), layer->name());
  subject.probe.inputs = s.layer_inputs;
  if (!s.data.data.empty()) {
    const Tensor features = read_data_features(s.data);
    check_data_fits_model(*layer, s.data, features);
    subject.probe.inputs = {features.to(s.dtype.empty() ? DType::float32 : parse_dtype(s.dtype))};
    subject.input_description = data_description(s.data, features);
  } else if (subject.probe.inputs.empty()) {
    const auto* model = layer->as<ModelImpl>();
    if (model == nullptr) {
      throw UsageError(fmt::format("{} '{}' has no declared input shape to draw an input for; give its input",
                                   layer->type(), layer->name()));
    }
    const DType dtype = s.dtype.empty() ? DType::float32 : parse_dtype(s.dtype);
    Rng rng(s.seed);
    for (const SymbolicTensor& input : model->inputs()) {
      std::vector<int64_t> dims{s.batch};
      for (int64_t d : input.shape()) dims.push_back(d);
      subject.probe.inputs.push_back(s.input_dist == "normal" ? normal(Shape(dims), rng, 0, 1, dtype)
                                                              : uniform(Shape(dims), rng, 0, 1, dtype));
    }
    subject.input_description = fmt::format("batch {} drawn from {}, seed {}", s.batch, dist_label(s.input_dist), s.seed);
    std::vector<Shape> shapes;
    for (const Tensor& x : subject.probe.inputs) shapes.push_back(x.shape());
    subject.probe.more_inputs = [shapes, s, dtype](int64_t b) {
      Rng more(more_inputs_seed(s.seed, b));
      std::vector<Tensor> xs;
      for (const Shape& shape : shapes) {
        xs.push_back(s.input_dist == "normal" ? normal(shape, more, 0, 1, dtype) : uniform(shape, more, 0, 1, dtype));
      }
      return xs;
    };
  } else {
    std::vector<std::string> shapes;
    for (const Tensor& x : subject.probe.inputs) shapes.push_back(x.description());
    subject.input_description = fmt::format("{}", fmt::join(shapes, ", "));
  }
  subject.probe.forward = [layer](const std::vector<Tensor>& xs, const CallOptions& o) {
    if (auto* model = layer->as<ModelImpl>()) return model->call_all(xs, o);
    return std::vector<Tensor>{xs.size() == 1 ? (*layer)(xs.front(), o) : (*layer)(xs, o)};
  };
  return subject;
}

// The Jacobian spectrum of the inline Dense network's first example, with the probe's own weights
// (the layers were built by the probed pass), and the theory's mean where the report has it.
ProbeJacobian measure_jacobian(const ProbeReport& r, const ProbeSubject& subject) {
  const SkipNetwork& net = *subject.skip_network;
  const Tensor& x = subject.inputs.front();
  const Tensor example = x.to(DType::float64).view({x.dim(0), x.dim(1)});
  std::vector<double> first = example.to_vector();
  first.resize(static_cast<std::size_t>(x.dim(1)));
  ProbeJacobian j;
  const std::vector<int> depths = jacobian_spectrum_depths(net.options().depth);
  j.depths = dense_stack_jacobians(net.layers(), from_values({1, x.dim(1)}, first, DType::float64), depths);
  const double rows = static_cast<double>(net.options().units);
  const double share = rows / std::min(rows, static_cast<double>(x.dim(1)));
  for (IsometryDepth& d : j.depths) {
    d.predicted_mean_squared = std::nan("");
    if (!r.mean_field) continue;
    double product = share;
    for (int l = 0; l < d.depth; ++l) product *= r.mean_field->layers[static_cast<std::size_t>(l)].gain;
    d.predicted_mean_squared = product;
  }
  return j;
}

}  // namespace

ConvNetworkOptions conv_network_options(const ProbeSettings& s) {
  return {.depth = s.depth,
          .filters = s.filters,
          .kernel_size = s.kernel_size,
          .image = s.image,
          .activation = s.activation,
          .kernel_initializer = s.init,
          .skip = parse_skip_connection(s.skip),
          .normalization = parse_skip_normalization(s.norm)};
}

std::vector<int> jacobian_spectrum_depths(int depth) {
  std::vector<int> depths;
  for (int d = 1; d < depth; d *= 2) depths.push_back(d);
  depths.push_back(depth);
  return depths;
}

ProbeReport run_probe(const ProbeSettings& s) {
  if (s.jacobian_spectrum) {
    if (s.layer || !s.model.empty() || !s.cell.empty() || s.conv || s.skip != "none" || s.norm != "none") {
      throw UsageError(
          "--jacobian-spectrum: measured for the inline Dense network only, without --model, --cell, --conv, --skip or --norm "
          "(a plain stack, whose Jacobian is the product of its layers' diag(phi'(h)) W)");
    }
    if (s.width > kMaxJacobianSpectrumUnits || s.depth > kMaxIsometryDepth) {
      throw UsageError(fmt::format("--jacobian-spectrum: at most {} units and {} layers (each depth costs one backward pass "
                                   "per unit and a singular value decomposition), got --width {} and --depth {}",
                                   kMaxJacobianSpectrumUnits, kMaxIsometryDepth, s.width, s.depth));
    }
  }
  if (!s.cell.empty() && s.norm != "none" && s.norm != "layer") {
    throw UsageError(fmt::format("--norm {}: a recurrent network takes --norm layer (layer-normalized cells, Ba et al. 2016) or none", s.norm));
  }
  if (!s.cell.empty() && s.skip != "none") {
    throw UsageError(fmt::format("--skip {}: the inline recurrent network (--cell) has no skip connections", s.skip));
  }
  const DType inline_dtype = s.dtype.empty() ? DType::float32 : parse_dtype(s.dtype);
  const Subject subject = s.layer            ? object_subject(s)
                          : !s.model.empty() ? spec_subject(s, s.dtype)
                          : s.conv           ? conv_subject(s)
                          : s.cell.empty()   ? inline_subject(s, inline_dtype)
                                             : recurrent_subject(s, inline_dtype);
  ConfigurationProbe probe =
      probe_subject(subject.probe, {.pass = {.training = s.mode == "training",
                                             .probe = {.across_examples = true, .signal = true},
                                             .loss = parse_probe_loss(s.probe_loss),
                                             .projection_seed = s.seed},
                                    .thresholds = s.thresholds,
                                    // A model object is the caller's own: more passes in training mode would
                                    // move its batch normalization statistics further, so it is measured only
                                    // in inference mode.
                                    .dead_unit_batches = s.layer && s.mode == "training" ? 0 : s.dead_batches});
  ProbeReport r;
  if (s.jacobian_spectrum && subject.probe.inputs.front().dim(1) > kMaxJacobianSpectrumUnits) {
    throw UsageError(fmt::format("--jacobian-spectrum: at most {} input features, got {}", kMaxJacobianSpectrumUnits,
                                 subject.probe.inputs.front().dim(1)));
  }
  r.network = subject.description;
  r.input = subject.input_description;
  r.mode = s.mode;
  r.seed = s.seed;
  if (s.model.empty()) r.gaussian_init = s.gaussian_init;
  r.pass = std::move(probe.pass);
  r.summary = std::move(probe.summary);
  r.underflow = std::move(probe.underflow);
  r.compared_with_float64 = probe.compared_with_float64;
  r.through_time = std::move(probe.through_time);
  // The theory describes a plain stack of Dense layers with Gaussian weights and biases.
  if (!s.layer && s.model.empty() && !s.conv && s.cell.empty() && s.gaussian_init && s.skip == "none" && s.norm == "none") {
    r.mean_field = compare_with_mean_field(r.pass, r.summary, s.activation, *s.gaussian_init);
  }
  if (s.jacobian_spectrum) r.jacobian = measure_jacobian(r, subject.probe);
  return r;
}

}  // namespace gradlab::cli
