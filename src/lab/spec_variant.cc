// Spec variants: overriding a spec's initializers and hidden activations, and drawing its inputs.
#include "gradlab/lab/spec_variant.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

bool is_nonlinear_activation(const nlohmann::ordered_json& value) {
  // A mistyped value stays as it is, so building the spec still reports it.
  return value.is_string() && value.get<std::string>() != "linear";
}

}  // namespace

std::string_view input_distribution_name(InputDistribution distribution) {
  switch (distribution) {
    case InputDistribution::uniform: return "uniform";
    case InputDistribution::normal: return "normal";
  }
  fail("input_distribution_name: unknown InputDistribution {}", static_cast<int>(distribution));
}

InputDistribution parse_input_distribution(std::string_view name) {
  for (const InputDistribution d : {InputDistribution::uniform, InputDistribution::normal}) {
    if (input_distribution_name(d) == name) return d;
  }
  fail("unknown input distribution '{}' (known: uniform, normal)", name);
}

ModelSpec apply_spec_overrides(const ModelSpec& spec, const SpecOverrides& overrides) {
  const std::string model = fmt::format("{} (model '{}')", spec.source, spec.name);
  if (overrides.kernel_initializer) {
    const auto& known = initializer_names();
    if (std::find(known.begin(), known.end(), *overrides.kernel_initializer) == known.end()) {
      fail("{}: unknown kernel initializer '{}' (known: {})", model, *overrides.kernel_initializer, fmt::join(known, ", "));
    }
  }
  if (overrides.hidden_activation) {
    const auto& known = activation_names();
    if (std::find(known.begin(), known.end(), *overrides.hidden_activation) == known.end()) {
      fail("{}: unknown activation '{}' (known: {})", model, *overrides.hidden_activation, fmt::join(known, ", "));
    }
  }
  ModelSpec out = spec;
  const std::set<std::string> outputs(spec.outputs.begin(), spec.outputs.end());
  int weight_layers = 0, hidden_activations = 0;
  for (LayerSpec& layer : out.layers) {
    // The layers with a kernel: Dense and the convolutions (a depthwise kernel is Keras's
    // depthwise_initializer's).
    const bool is_dense = layer.type == "dense";
    const bool is_conv = layer.type == "conv2d" || layer.type == "conv1d" || layer.type == "depthwise_conv2d";
    if (is_dense || is_conv) ++weight_layers;
    if ((is_dense || is_conv) && overrides.kernel_initializer) {
      const char* key = layer.type == "depthwise_conv2d" ? "depthwise_initializer" : "kernel_initializer";
      layer.options[key] = Initializer(*overrides.kernel_initializer).name();
    }
    const bool hidden = !outputs.count(layer.name) && (is_dense || is_conv || layer.type == "activation") &&
                        is_nonlinear_activation(layer.options["activation"]);
    if (hidden) ++hidden_activations;
    if (hidden && overrides.hidden_activation) layer.options["activation"] = *overrides.hidden_activation;
  }
  if (overrides.kernel_initializer && weight_layers == 0) {
    fail("{}: has no Dense or convolution layer, so there is no kernel_initializer for the initializer '{}' to "
         "replace",
         model, *overrides.kernel_initializer);
  }
  if (overrides.hidden_activation && hidden_activations == 0) {
    fail("{}: has no hidden activation for '{}' to replace: every Dense or convolution layer that is not an output "
         "is linear, and no 'activation' layer is a hidden one",
         model, *overrides.hidden_activation);
  }
  return out;
}

std::vector<Tensor> draw_spec_inputs(const ModelSpec& spec, int64_t batch, InputDistribution distribution,
                                     uint64_t seed, DType dtype) {
  Rng rng = Rng(seed).fork(1);
  std::vector<Tensor> xs;
  for (const auto& [name, shape] : spec.inputs) {
    std::vector<int64_t> dims{batch};
    dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
    xs.push_back(distribution == InputDistribution::normal ? normal(Shape(dims), rng, 0.0, 1.0, dtype)
                                                           : uniform(Shape(dims), rng, 0.0, 1.0, dtype));
  }
  return xs;
}

std::vector<Tensor> spec_variant_inputs(const SpecVariant& variant, uint64_t seed) {
  if (!variant.spec) fail("spec_variant_inputs: the variant has no spec");
  const DType dtype = variant.dtype_or_default();
  if (!variant.inputs) {
    return draw_spec_inputs(*variant.spec, variant.batch_or_default(), variant.input_distribution_or_default(), seed,
                            dtype);
  }
  // Copies: each configuration watches its own tensors, whichever thread runs it.
  std::vector<Tensor> xs;
  for (const Tensor& x : *variant.inputs) xs.push_back(x.to(dtype));
  return xs;
}

}  // namespace gradlab
