#include "gradlab/lab/skip_network.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/normalization_layers.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {

namespace {

const SkipConnectionWords& words_of(SkipConnection skip) {
  for (const SkipConnectionWords& w : kSkipConnectionWords) {
    if (w.skip == skip) return w;
  }
  fail("unknown SkipConnection {}", static_cast<int>(skip));
}

}  // namespace

std::string_view skip_connection_name(SkipConnection skip) { return words_of(skip).name; }
std::string_view skip_connection_key(SkipConnection skip) { return words_of(skip).key; }
std::string_view skip_connection_label(SkipConnection skip) { return words_of(skip).label; }

std::vector<std::string> skip_connection_names() {
  std::vector<std::string> names;
  for (const SkipConnectionWords& w : kSkipConnectionWords) names.emplace_back(w.name);
  return names;
}

SkipConnection parse_skip_connection(std::string_view name) {
  for (const SkipConnectionWords& w : kSkipConnectionWords) {
    if (w.name == name) return w.skip;
  }
  fail("unknown skip connection '{}' (known: {})", name, fmt::join(skip_connection_names(), ", "));
}

std::string_view skip_normalization_name(SkipNormalization normalization) {
  switch (normalization) {
    case SkipNormalization::none: return "none";
    case SkipNormalization::batch: return "batch";
    case SkipNormalization::layer: return "layer";
    case SkipNormalization::group: return "group";
    case SkipNormalization::instance: return "instance";
  }
  fail("skip_normalization_name: unknown SkipNormalization {}", static_cast<int>(normalization));
}

SkipNormalization parse_skip_normalization(std::string_view name) {
  for (SkipNormalization n : kSkipNormalizations) {
    if (skip_normalization_name(n) == name) return n;
  }
  std::vector<std::string> names = skip_normalization_names();
  const std::string last = names.back();
  names.pop_back();
  fail("unknown normalization '{}'; expected {} or {}", name, fmt::join(names, ", "), last);
}

std::vector<std::string> skip_normalization_names(std::span<const SkipNormalization> kinds) {
  std::vector<std::string> names;
  for (const SkipNormalization n : kinds) names.emplace_back(skip_normalization_name(n));
  return names;
}

bool is_swept(SkipNormalization normalization) {
  return std::ranges::find(kSweptNormalizations, normalization) != std::end(kSweptNormalizations);
}

int64_t group_normalization_groups(int64_t units) {
  const int64_t most = std::max<int64_t>(1, std::min<int64_t>(32, units / 8));
  for (int64_t groups = most; groups > 1; --groups) {
    if (units % groups == 0) return groups;
  }
  return 1;
}

namespace {

Layer make_normalization(SkipNormalization normalization, int64_t units, const std::string& name) {
  switch (normalization) {
    case SkipNormalization::batch: return BatchNormalization({.name = name});
    case SkipNormalization::layer: return LayerNormalization({.name = name});
    case SkipNormalization::group:
      return GroupNormalization({.groups = group_normalization_groups(units), .name = name});
    case SkipNormalization::instance: return InstanceNormalization({.name = name});
    case SkipNormalization::none: break;
  }
  fail("SkipNetwork: no normalization layer for '{}'", skip_normalization_name(normalization));
}

}  // namespace

SkipNetwork::SkipNetwork(SkipNetworkOptions options, Rng& rng) : options_(std::move(options)) {
  if (options_.depth < 1) fail("SkipNetwork: depth must be at least 1, got {}", options_.depth);
  if (options_.units < 1) fail("SkipNetwork: units must be at least 1, got {}", options_.units);
  if (options_.batch < 1) fail("SkipNetwork: batch must be at least 1, got {}", options_.batch);
  if (options_.input_features < 1) {
    fail("SkipNetwork: input_features must be at least 1, got {}", options_.input_features);
  }
  if (options_.steps < 0) fail("SkipNetwork: steps must be 0 (vectors) or more, got {}", options_.steps);
  const Initializer kernel = options_.gaussian_init ? gaussian_kernel(*options_.gaussian_init) : options_.kernel_initializer;
  const Initializer bias = options_.gaussian_init ? gaussian_bias(*options_.gaussian_init) : zeros_initializer();
  layers_.reserve(static_cast<std::size_t>(options_.depth));
  for (int k = 1; k <= options_.depth; ++k) {
    // Explicit names keep thousands of trials from inflating the automatic name counters.
    const bool normalized = options_.normalization != SkipNormalization::none;
    Dense layer(options_.units, {.activation = normalized ? "linear" : options_.activation,
                                 .kernel_initializer = kernel,
                                 .bias_initializer = bias,
                                 .name = fmt::format("layer{}", k)});
    layer.impl().set_rng(&rng);
    layers_.push_back(std::move(layer));
    if (normalized) {
      normalizations_.push_back(make_normalization(options_.normalization, options_.units, fmt::format("norm{}", k)));
      activations_.push_back(Activation(options_.activation, {.name = fmt::format("act{}", k)}));
    }
  }
}

std::vector<Variable> SkipNetwork::trainable_variables() const {
  std::vector<Variable> out;
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    for (const Variable& v : layers_[k].trainable_variables()) out.push_back(v);
    if (k < normalizations_.size()) {
      for (const Variable& v : normalizations_[k].trainable_variables()) out.push_back(v);
    }
  }
  return out;
}

Tensor SkipNetwork::block(std::size_t k, const Tensor& x, const CallOptions& options) const {
  const Tensor h = layers_[k - 1](x, options);
  if (normalizations_.empty()) return h;
  return activations_[k - 1](normalizations_[k - 1](h, options), options);
}

Tensor SkipNetwork::operator()(const Tensor& inputs, CallOptions options) const {
  // outs[k] is l_k of the file comment; outs[0] is the input.
  std::vector<Tensor> outs{inputs};
  outs.reserve(layers_.size() + 1);
  for (std::size_t k = 1; k <= layers_.size(); ++k) {
    const auto layer = [&](const Tensor& x) { return block(k, x, options); };
    switch (options_.skip) {
      case SkipConnection::none:
        outs.push_back(layer(outs[k - 1]));
        break;
      case SkipConnection::residual:
        outs.push_back(k >= 3 ? layer(outs[k - 1] + outs[k - 2]) : layer(outs[k - 1]));
        break;
      case SkipConnection::identity:
        // The input is not added to the first block's output: its features need not match the units.
        outs.push_back(k >= 2 ? outs[k - 1] + layer(outs[k - 1]) : layer(outs[k - 1]));
        break;
      case SkipConnection::concat: {
        std::vector<Tensor> parts;
        for (std::size_t back = 1; back <= std::min<std::size_t>(3, k); ++back) parts.push_back(outs[k - back]);
        outs.push_back(parts.size() == 1 ? layer(parts[0]) : layer(concat(parts, -1)));
        break;
      }
    }
  }
  return outs.back();
}

Shape probe_input_shape(const SkipNetworkOptions& options) {
  if (options.steps == 0) return {options.batch, options.input_features};
  return {options.batch, options.steps, options.input_features};
}

double input_gradient_norm(const SkipNetworkOptions& options, Rng& rng) {
  SkipNetwork network(options, rng);
  // The lesson draws the inputs first; the kernels follow when the layers are built on first call.
  Tensor inputs = uniform(probe_input_shape(options), rng, 0.0, 1.0, options.dtype);
  GradientTape tape;
  tape.watch(inputs);
  Tensor target = mean(network(inputs));
  Tensor grad = tape.gradient(target, inputs);
  if (!grad.defined()) return 0.0;
  // Squares of float32 gradients below ~1e-19 underflow, so a float32 norm (like tf.norm) would
  // report 0 for a gradient that is tiny but still there; the norm is taken in double instead.
  double grad_norm = norm(grad.to(DType::float64)).item();
  // NaN here comes from inf - inf inside an overflowed backward pass: it exploded, so say so.
  return std::isnan(grad_norm) ? std::numeric_limits<double>::infinity() : grad_norm;
}

}  // namespace gradlab
