#pragma once
/// Dense: the densely connected layer, y = activation(x @ kernel + bias), as keras.layers.Dense.
///
///   Dense layer(32, {.activation = "relu", .kernel_initializer = he_uniform()});
///   Tensor y = layer(x);                  // x [N, 128] -> y [N, 32]; kernel (128, 32), bias (32,)
///
/// Inputs of rank > 2 ([N, ..., in]) are applied on the last axis, as Keras does.
/// PyTorch's nn.Linear stores its weight transposed, (out, in), and initializes it differently
/// (see torch_linear_kernel); Keras's default kernel initializer is glorot_uniform.

#include <string>

#include "gradlab/autograd/activations.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Dense, with Keras's defaults.
struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  std::string name;
  std::optional<DType> dtype;
};

class DenseImpl : public LayerImpl {
 public:
  DenseImpl(int64_t units, DenseOptions options);
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  std::string config_summary() const override;

  int64_t units() const { return units_; }
  const DenseOptions& options() const { return options_; }
  /// The kernel, shaped (in, out); undefined before build.
  const Variable& kernel() const { return kernel_; }
  /// The bias, shaped (out,); undefined before build or without use_bias.
  const Variable& bias() const { return bias_; }

 private:
  int64_t units_;
  DenseOptions options_;
  ActivationFn activation_fn_;
  Variable kernel_;
  Variable bias_;
};

/// Handle to a DenseImpl.
class Dense : public Layer {
 public:
  explicit Dense(int64_t units, DenseOptions options = {});
  DenseImpl& impl() const { return *as<DenseImpl>(); }
  const Variable& kernel() const { return impl().kernel(); }
  const Variable& bias() const { return impl().bias(); }
};

}  // namespace gradlab
