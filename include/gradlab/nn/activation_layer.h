#pragma once
/// Activation: applies a named activation as a layer (keras.layers.Activation).
///
///   Activation act("tanh");  Tensor y = act(x);        // same shape as x

#include <string>

#include "gradlab/autograd/activations.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Activation.
struct ActivationOptions {
  /// Layer name; "activation", "activation_1", ... when empty.
  std::string name;
};

/// The implementation of Activation; it has no variables.
class ActivationImpl : public LayerImpl {
 public:
  /// Throws Error naming the layer when `activation` is not in activation_names().
  ActivationImpl(std::string activation, ActivationOptions options);
  /// The activation applied element-wise (softmax along the last axis).
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "activation=tanh".
  std::string config_summary() const override { return "activation=" + activation_; }
  /// The activation's name.
  const std::string& activation() const { return activation_; }

 private:
  std::string activation_;
  ActivationFn fn_;
};

/// Handle to an ActivationImpl.
class Activation : public Layer {
 public:
  /// A layer applying `activation` (a name from activation_names()).
  explicit Activation(std::string activation, ActivationOptions options = {});
  /// The implementation.
  ActivationImpl& impl() const { return *as<ActivationImpl>(); }
};

}  // namespace gradlab
