#include "gradlab/lab/probe_configuration.h"

#include <algorithm>
#include <utility>

#include "gradlab/error.h"
#include "gradlab/instrument/dead_units.h"
#include "gradlab/io/weights.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// Weights in another dtype than the model's are converted, so one checkpoint serves both.
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

// After the probed pass, so that it is the same with or without this measurement; forward only, in
// the pass's mode, so batch normalization sees batch statistics as the probed pass did.
void measure_dead_units(const ProbeSubject& subject, const ConfigurationProbeOptions& options, PassRecord& pass) {
  bool any = false;
  for (const LayerCallRecord& call : pass.layers) any |= call.output.silent_fraction.has_value();
  if (!any || pass.anomaly) return;
  const int64_t batches = subject.more_inputs ? options.dead_unit_batches : 1;
  UnitActivity activity;
  {
    ObserveLayerCalls observe(activity);
    const CallOptions call{.training = options.pass.training};
    for (int64_t b = 0; b < batches; ++b) {
      subject.forward(b == 0 ? subject.inputs : subject.more_inputs(b), call);
      activity.end_pass();
    }
  }
  for (std::size_t i = 0; i < pass.layers.size(); ++i) {
    pass.layers[i].dead_fraction = activity.dead_fraction(i);
    if (pass.layers[i].dead_fraction) pass.dead_unit_examples = activity.examples(i);
  }
  pass.dead_unit_batches = batches;
}

}  // namespace

Tensor draw_probe_input(const SkipNetworkOptions& network, InputDistribution distribution, Rng& rng) {
  const Shape shape = probe_input_shape(network);
  return distribution == InputDistribution::normal ? normal(shape, rng, 0.0, 1.0, network.dtype)
                                                   : uniform(shape, rng, 0.0, 1.0, network.dtype);
}

ProbeSubject skip_network_subject(const SkipNetworkOptions& network, const Tensor& input, std::shared_ptr<Rng> rng) {
  SkipNetworkOptions options = network;
  options.batch = input.dim(0);
  options.input_features = input.dim(input.rank() - 1);
  auto net = std::make_shared<SkipNetwork>(options, *rng);
  ProbeSubject subject;
  subject.skip_network = net;
  subject.inputs = {input.to(options.dtype)};
  subject.forward = [net, rng](const std::vector<Tensor>& xs, const CallOptions& o) {
    return std::vector<Tensor>{(*net)(xs[0], o)};
  };
  subject.float64_forward = [net, options, x = subject.inputs[0]] {
    SkipNetworkOptions o64 = options;
    o64.dtype = DType::float64;
    // The twin's own kernels are replaced by the float32 network's, so its generator does not matter.
    auto rng64 = std::make_shared<Rng>(0);
    auto net64 = std::make_shared<SkipNetwork>(o64, *rng64);
    (*net64)(x.to(DType::float64));  // builds the layers; inference mode leaves moving statistics alone
    std::vector<Variable> from = net->trainable_variables(), to = net64->trainable_variables();
    for (std::size_t i = 0; i < from.size(); ++i) to[i].assign(from[i].value().to(DType::float64));
    return ProbeForward([net64, rng64](const std::vector<Tensor>& xs, const CallOptions& o) {
      return std::vector<Tensor>{(*net64)(xs[0], o)};
    });
  };
  return subject;
}

ProbeSubject spec_subject(const ModelSpec& spec, DType dtype, uint64_t seed, const TensorFile* weights) {
  Rng rng(seed);
  auto model = std::make_shared<Model>(build_model(spec, {.dtype = dtype, .rng = &rng}));
  if (weights) load_weights(*model, converted(*weights, dtype));
  ProbeSubject subject;
  subject.forward = [model](const std::vector<Tensor>& xs, const CallOptions& o) { return model->call_all(xs, o); };
  subject.float64_forward = [spec, model] {
    auto model64 = std::make_shared<Model>(build_model(spec, {.dtype = DType::float64}));
    copy_variables(*model, *model64);
    return ProbeForward(
        [model64](const std::vector<Tensor>& xs, const CallOptions& o) { return model64->call_all(xs, o); });
  };
  return subject;
}

ProbeSubject spec_variant_subject(const SpecVariant& variant, uint64_t seed) {
  if (!variant.spec) fail("spec_variant_subject: the variant has no model spec");
  ProbeSubject subject =
      spec_subject(apply_spec_overrides(*variant.spec, variant.overrides), variant.dtype_or_default(), seed);
  subject.inputs = spec_variant_inputs(variant, seed);
  if (!variant.inputs) {
    subject.more_inputs = [variant, seed](int64_t b) { return spec_variant_inputs(variant, more_inputs_seed(seed, b)); };
  }
  return subject;
}

bool has_recurrent_layer(const PassRecord& pass) {
  const std::vector<std::string> cells = recurrent_cell_names();
  for (const LayerCallRecord& call : pass.layers) {
    if (std::find(cells.begin(), cells.end(), call.type) != cells.end()) return true;
  }
  return false;
}

uint64_t more_inputs_seed(uint64_t seed, int64_t b) {
  // 0x64656164 spells "dead": a stream no other draw of a probe uses.
  return Rng(seed).fork(0x64656164).fork(static_cast<uint64_t>(b)).seed();
}

std::function<std::vector<Tensor>(int64_t)> more_probe_inputs(const SkipNetworkOptions& network,
                                                              InputDistribution distribution, uint64_t seed) {
  return [network, distribution, seed](int64_t b) {
    Rng rng(more_inputs_seed(seed, b));
    return std::vector<Tensor>{draw_probe_input(network, distribution, rng)};
  };
}

ConfigurationProbe probe_subject(const ProbeSubject& subject, const ConfigurationProbeOptions& options) {
  ConfigurationProbe r;
  r.pass = probe_pass(subject.forward, subject.inputs, options.pass);
  if (options.dead_unit_batches > 0) measure_dead_units(subject, options, r.pass);
  r.summary = summarize_flow(r.pass, options.thresholds);
  if (options.through_time && has_recurrent_layer(r.pass)) {
    r.through_time = probe_through_time(subject.forward, subject.inputs, options.thresholds, options.pass.probe.saturation);
  }
  if (!options.check_underflow) return r;
  if (r.pass.dtype == DType::float32 && suspect_float32_underflow(r.pass) && subject.float64_forward) {
    std::vector<Tensor> inputs64;
    for (const Tensor& x : subject.inputs) inputs64.push_back(x.to(DType::float64));
    const PassRecord reference = probe_pass(subject.float64_forward(), inputs64, options.pass);
    r.underflow = float32_underflow(r.pass, &reference);
    r.compared_with_float64 = true;
  } else {
    r.underflow = float32_underflow(r.pass);
  }
  return r;
}

}  // namespace gradlab
