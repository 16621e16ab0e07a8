#pragma once
/// SkipNetwork: the lesson's stacks of Dense layers — plain, with residual additions, or with
/// concatenated skip connections — generalized to any depth, and the probe the lesson runs on them:
/// the Euclidean norm of the gradient of mean(output) with respect to the input.
///
///   Rng rng = Rng(seed).fork(trial);
///   double g = input_gradient_norm({.skip = SkipConnection::residual, .depth = 16}, rng);
///
/// Wiring, with l_0 the input and l_k = layer_k(...) for k = 1..depth:
///
///   none:      l_k = layer_k(l_{k-1})
///   residual:  l_1 = layer_1(l_0),  l_2 = layer_2(l_1),  l_k = layer_k(l_{k-1} + l_{k-2}) for k >= 3
///              (the input itself is never added: its features need not match the layers' units).
///              The lesson's sum-skip: the sum passes through layer_k, so there is no identity path.
///   identity:  l_1 = layer_1(l_0),  l_k = l_{k-1} + layer_k(l_{k-1}) for k >= 2: a true identity
///              skip, x + F(x) (He et al. 2016, "Identity Mappings in Deep Residual Networks"), whose
///              backward adds dL/dl_k itself to what layer_k passes back. Not one of the lesson's.
///   concat:    l_k = layer_k(concat[l_{k-1}, l_{k-2}, l_{k-3}]), keeping only indices >= 0
///
/// At depth 4 none, residual and concat are exactly the lesson's three networks. The output is l_depth.
///
/// With a normalization (options.normalization), layer_k is a block instead of one Dense layer:
/// Dense(units, linear) named "layer<k>", then the normalization named "norm<k>", then
/// Activation(activation) named "act<k>" — the lesson's normalization remedy, placed as is usual
/// between the affine map and the non-linearity.
///
/// The input is [batch, input_features] vectors, or with options.steps = T > 0 [batch, T,
/// input_features] sequences, every Dense layer then applied at each of the T positions (as Keras
/// does on the last axis). Instance normalization needs the sequences: it normalizes each (example,
/// channel) over the positions, and on vectors there is one value to normalize, so every unit
/// outputs beta (0) and no gradient passes.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/nn/dense.h"
#include "gradlab/nn/gaussian_init.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// How the layers of a SkipNetwork are connected (see the file comment).
enum class SkipConnection { none, residual, concat, identity };

/// The lesson's three kinds, in the order the lesson presents them (identity is gradlab's addition).
inline constexpr SkipConnection kSkipConnections[] = {SkipConnection::none, SkipConnection::residual,
                                                      SkipConnection::concat};

/// The words for one SkipConnection; kSkipConnectionWords is the one table of them.
struct SkipConnectionWords {
  SkipConnection skip;
  /// For a value given or written by a machine: CLI options, sweep ids, grids and results files.
  std::string_view name;
  /// For a key of the lesson's JSON.
  std::string_view key;
  /// For people: table headings and descriptions.
  std::string_view label;
};

/// Every SkipConnection's words: the lesson's three in its order, then identity. "residual" is the
/// lesson's sum-skip (see the file comment), not He et al.'s identity skip.
inline constexpr SkipConnectionWords kSkipConnectionWords[] = {
    {SkipConnection::none, "none", "no_skip", "no skip"},
    {SkipConnection::residual, "residual", "residual", "residual"},
    {SkipConnection::concat, "concat", "concat_skip", "concat skip"},
    {SkipConnection::identity, "identity", "identity_skip", "identity skip"},
};

/// "none", "residual", "concat" or "identity" (kSkipConnectionWords).
std::string_view skip_connection_name(SkipConnection skip);
/// "no_skip", "residual", "concat_skip" or "identity_skip": JSON keys (kSkipConnectionWords).
std::string_view skip_connection_key(SkipConnection skip);
/// Names for people, such as "concat skip" (kSkipConnectionWords).
std::string_view skip_connection_label(SkipConnection skip);
/// Every name of kSkipConnectionWords, in its order (for CLI checks).
std::vector<std::string> skip_connection_names();
/// The SkipConnection skip_connection_name() calls `name`; an Error listing the names otherwise.
SkipConnection parse_skip_connection(std::string_view name);

/// The normalization inside each block of a SkipNetwork (see the file comment).
enum class SkipNormalization {
  none,   ///< plain Dense layers
  batch,  ///< BatchNormalization (Keras defaults)
  layer,  ///< LayerNormalization over the units
  group,  ///< GroupNormalization with group_normalization_groups(units) groups
  /// InstanceNormalization: each (example, unit) over the positions of a sequence; on vectors
  /// (steps = 0) every unit becomes beta and no gradient passes (see the file comment)
  instance,
};

/// Every kind, in the order the lesson presents them.
inline constexpr SkipNormalization kSkipNormalizations[] = {SkipNormalization::none, SkipNormalization::batch,
                                                            SkipNormalization::layer, SkipNormalization::group,
                                                            SkipNormalization::instance};

/// The kinds a sweep and the report's study take: every kind but instance, which passes no gradient
/// on their [batch, features] vectors. `gradlab probe` takes every kind.
inline constexpr SkipNormalization kSweptNormalizations[] = {SkipNormalization::none, SkipNormalization::batch,
                                                             SkipNormalization::layer, SkipNormalization::group};

/// "none", "batch", "layer", "group" or "instance": names for machines (CLI values, JSON).
std::string_view skip_normalization_name(SkipNormalization normalization);
/// The kind skip_normalization_name() calls `name`; an Error listing the names for any other.
///   parse_skip_normalization("instance") == SkipNormalization::instance
SkipNormalization parse_skip_normalization(std::string_view name);
/// skip_normalization_name() of each of `kinds`, in order: the values a command line takes.
///   skip_normalization_names(kSweptNormalizations) == {"none", "batch", "layer", "group"}
std::vector<std::string> skip_normalization_names(std::span<const SkipNormalization> kinds = kSkipNormalizations);
/// Whether a sweep (and the report's study) takes `normalization` (kSweptNormalizations).
bool is_swept(SkipNormalization normalization);

/// Groups used for GroupNormalization over `units` channels: the largest divisor of `units` that is
/// at most min(32, units / 8), and at least 1, so each group has at least 8 channels when it can
/// (Keras's default of 32 groups would leave 1 channel per group, normalized to 0, at 32 units).
int64_t group_normalization_groups(int64_t units);

/// Options of a SkipNetwork and of its probe; the defaults are the lesson's.
struct SkipNetworkOptions {
  SkipConnection skip = SkipConnection::none;
  /// Number of Dense layers, at least 1.
  int depth = 4;
  /// Units of every Dense layer.
  int64_t units = 32;
  /// Activation of every Dense layer (a name get_activation() accepts).
  std::string activation = "relu";
  /// Kernel initializer of every Dense layer; Keras's default. Biases start at zero.
  Initializer kernel_initializer = "glorot_uniform";
  /// When set, every Dense layer is initialized by variances instead (Poole et al. 2016): kernels
  /// gaussian_kernel(N(0, sigma_w2 / fan_in)) and biases gaussian_bias (N(0, sigma_b2)), drawn layer
  /// by layer, kernel then bias; kernel_initializer is then not used.
  std::optional<GaussianInit> gaussian_init;
  /// Rows of the probe's input batch.
  int64_t batch = 32;
  /// Features of the probe's input.
  int64_t input_features = 128;
  /// Positions per example: 0 for vector inputs [batch, input_features], T >= 1 for sequences
  /// [batch, T, input_features] (see the file comment).
  int64_t steps = 0;
  /// Element type of the input, and so of the variables.
  DType dtype = DType::float32;
  /// Normalization inside each block; none gives the lesson's plain Dense layers.
  SkipNormalization normalization = SkipNormalization::none;
};

/// A stack of Dense layers wired as options.skip says.
class SkipNetwork {
 public:
  /// Creates `options.depth` Dense layers named "layer1", "layer2", ... They are built, drawing their
  /// kernels from `rng` in layer order, on the first call, so `rng` must outlive that call.
  /// Throws Error for a depth, units, batch or feature count below 1, or negative steps.
  SkipNetwork(SkipNetworkOptions options, Rng& rng);

  /// Runs the network on `inputs` ([N, features] or [N, T, features]) and returns the last layer's
  /// output ([N, units] or [N, T, units]).
  /// `options.training` reaches the normalization layers (batch statistics).
  Tensor operator()(const Tensor& inputs, CallOptions options = {}) const;

  /// The options the network was made with.
  const SkipNetworkOptions& options() const { return options_; }
  /// layer1 ... layer<depth>, in order; built (kernels drawn) after the first call.
  const std::vector<Dense>& layers() const { return layers_; }
  /// With a normalization: norm1 ... norm<depth> and act1 ... act<depth>; empty otherwise.
  const std::vector<Layer>& normalizations() const { return normalizations_; }
  const std::vector<Layer>& activations() const { return activations_; }
  /// Every trainable variable of the network, block by block.
  std::vector<Variable> trainable_variables() const;

 private:
  Tensor block(std::size_t k, const Tensor& x, const CallOptions& options) const;

  SkipNetworkOptions options_;
  std::vector<Dense> layers_;
  std::vector<Layer> normalizations_;
  std::vector<Layer> activations_;
};

/// The shape of the probe's input: [batch, input_features], or [batch, steps, input_features].
Shape probe_input_shape(const SkipNetworkOptions& options);

/// One trial of the lesson's probe: draws inputs U[0, 1) shaped probe_input_shape() from `rng`,
/// builds a SkipNetwork (kernels from `rng`), and returns ||d mean(network(inputs)) / d inputs||_2,
/// as the lesson's tf.norm(tape.gradient(mean, inputs), ord="euclidean"). The gradient is computed in
/// options.dtype; its norm is accumulated in double, so squares of tiny float32 gradients do not
/// underflow. Returns 0 when no gradient reaches the input (every path blocked by inactive ReLUs, or
/// the gradient itself underflowed), and +infinity when it overflowed (an infinite or NaN norm).
double input_gradient_norm(const SkipNetworkOptions& options, Rng& rng);

}  // namespace gradlab
