#pragma once
/// Dense: the densely connected layer, y = activation(x @ kernel + bias), as keras.layers.Dense.
///
///   Dense layer(32, {.activation = "relu", .kernel_initializer = he_uniform()});
///   Tensor y = layer(x);                  // x [N, 128] -> y [N, 32]; kernel (128, 32), bias (32,)
///
/// Inputs of rank > 2 ([N, ..., in]) are applied on the last axis, as Keras does. The layer is built
/// once, from its first input's last dimension; a later input with another one is an Error
/// ("dense_2: input has 64 features but the kernel was built for 32").
/// The kernel initializer sees compute_fans((in, units)); the bias initializer sees its own fans
/// (units) with layer_fan_in = in. PyTorch's nn.Linear stores its weight transposed, (out, in), and
/// initializes it differently (see torch_linear_kernel); Keras's default kernel initializer is
/// glorot_uniform.

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/autograd/activations.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Dense, with Keras's defaults.
struct DenseOptions {
  /// A name from activation_names(); checked when the layer is constructed.
  std::string activation = "linear";
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  /// Layer name; "dense", "dense_1", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of Dense; see the file comment.
class DenseImpl : public LayerImpl {
 public:
  /// Throws Error when units <= 0 or the activation is unknown.
  DenseImpl(int64_t units, DenseOptions options);
  /// Creates kernel (in, units) and bias (units,) from the last dimension of input_shapes[0].
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// activation(x @ kernel + bias) on the last axis of x [N, ..., in] -> [N, ..., units].
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "units=32, activation=relu, use_bias=true, kernel_initializer=..., bias_initializer=zeros".
  std::string config_summary() const override;

  /// Number of output features.
  int64_t units() const { return units_; }
  const DenseOptions& options() const { return options_; }
  /// The kernel, shaped (in, out); undefined before build.
  const Variable& kernel() const { return kernel_; }
  /// The bias, shaped (out,); undefined before build or without use_bias.
  const Variable& bias() const { return bias_; }

 private:
  int64_t units_;
  DenseOptions options_;
  Variable kernel_;
  Variable bias_;
};

/// Handle to a DenseImpl.
class Dense : public Layer {
 public:
  /// A layer with `units` outputs; see DenseOptions.
  explicit Dense(int64_t units, DenseOptions options = {});
  /// The implementation.
  DenseImpl& impl() const { return *as<DenseImpl>(); }
  /// The kernel, shaped (in, units); undefined before the first call.
  const Variable& kernel() const { return impl().kernel(); }
  /// The bias, shaped (units,); undefined before the first call or without use_bias.
  const Variable& bias() const { return impl().bias(); }
};

}  // namespace gradlab
