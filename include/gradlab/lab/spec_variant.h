#pragma once
/// Spec variants: a user's model spec with the lesson's remedies swapped in — another kernel
/// initializer for every Dense and convolution layer, another activation for the hidden layers — and the input a
/// probe of it draws. `gradlab probe --model` and `gradlab sweep --model` (sweep_grid.h) build the same
/// network and input from the same variant and seed, so any sweep row can be probed again.
///
///   ModelSpec spec = read_model_spec("net.json");
///   ModelSpec tanh_he = apply_spec_overrides(spec, {.kernel_initializer = "he_uniform",
///                                                   .hidden_activation = "tanh"});
///   Rng rng(seed);
///   Model model = build_model(tanh_he, {.rng = &rng});                   // kernels from Rng(seed)
///   std::vector<Tensor> xs = draw_spec_inputs(tanh_he, 32, InputDistribution::uniform, seed);
///
/// Which layers change (docs/instruments.md, "Sweeping your own model"):
///   - kernel_initializer: every "dense", "conv2d" and "conv1d" layer, outputs included, and the
///     depthwise_initializer of every "depthwise_conv2d";
///   - hidden_activation: every layer that is not one of the spec's outputs and has a non-linear
///     activation: a Dense or convolution layer whose activation is not "linear", and every
///     "activation" layer. Linear Dense and convolution layers stay linear (a projection in front of a normalization or an "activation"
///     layer), and an output keeps its activation (softmax, or none: the user's choice of loss).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/io/model_spec.h"
#include "gradlab/tensor/dtype.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The distribution a probe draws its input from.
enum class InputDistribution {
  uniform,  ///< U[0, 1), the lesson's input
  normal,   ///< N(0, 1)
};

/// "uniform" or "normal".
std::string_view input_distribution_name(InputDistribution distribution);
/// The InputDistribution named `name` ("uniform", "normal"); Error otherwise.
InputDistribution parse_input_distribution(std::string_view name);

/// What a variant changes in a spec; an absent field leaves the spec as it is.
struct SpecOverrides {
  /// An initializer name (initializer_names()) for the kernel of every Dense and convolution layer.
  std::optional<std::string> kernel_initializer;
  /// An activation name (activation_names()) for every non-linear hidden activation (file comment).
  std::optional<std::string> hidden_activation;
};

/// `spec` with `overrides` applied (see the file comment). Throws Error naming the spec's source
/// and model for an unknown initializer or activation, a kernel_initializer when the spec has no
/// Dense or convolution layer, and a hidden_activation when it has no hidden activation to replace.
ModelSpec apply_spec_overrides(const ModelSpec& spec, const SpecOverrides& overrides);

/// One tensor per spec input, in the spec's order, each [batch, its shape...], drawn from
/// `distribution` in `dtype` with Rng(seed).fork(1): a stream of its own, so the inputs do not
/// depend on how many numbers the kernels drew from Rng(seed) (what `gradlab probe --model` does).
std::vector<Tensor> draw_spec_inputs(const ModelSpec& spec, int64_t batch, InputDistribution distribution,
                                     uint64_t seed, DType dtype = DType::float32);

/// One variant of a spec as a sweep probes it. An absent field is an axis the sweep does not vary:
/// the spec's own setting, or the default named beside it.
struct SpecVariant {
  /// The user's spec, shared by every variant of a sweep.
  std::shared_ptr<const ModelSpec> spec;
  SpecOverrides overrides;
  /// Rows of the drawn inputs; 32 when absent. Absent when `inputs` are given.
  std::optional<int64_t> batch;
  /// Distribution of the drawn inputs; uniform when absent. Absent when `inputs` are given.
  std::optional<InputDistribution> input_distribution;
  /// Element type of the model and its inputs; float32 when absent.
  std::optional<DType> dtype;
  /// Inputs used instead of drawn ones: one per spec input, in the spec's order, converted to
  /// `dtype`; null to draw them.
  std::shared_ptr<const std::vector<Tensor>> inputs;
  /// Where `inputs` came from ("x.safetensors"), for the results; empty when they are drawn.
  std::string inputs_source;

  /// The batch, distribution and dtype in use, defaults filled in.
  int64_t batch_or_default() const { return batch.value_or(32); }
  InputDistribution input_distribution_or_default() const {
    return input_distribution.value_or(InputDistribution::uniform);
  }
  DType dtype_or_default() const { return dtype.value_or(DType::float32); }
};

/// The inputs of `variant` for a configuration with seed `seed`: copies of the given inputs in the
/// variant's dtype, or draw_spec_inputs() of the (overridden) spec.
std::vector<Tensor> spec_variant_inputs(const SpecVariant& variant, uint64_t seed);

}  // namespace gradlab
