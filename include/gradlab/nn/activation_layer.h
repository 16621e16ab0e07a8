#pragma once
/// Activation: applies a named activation as a layer (keras.layers.Activation).
///
///   Activation act("tanh");  Tensor y = act(x);

#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

struct ActivationOptions {
  std::string name;
};

class ActivationImpl : public LayerImpl {
 public:
  ActivationImpl(std::string activation, ActivationOptions options);
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  std::string config_summary() const override { return "activation=" + activation_; }
  const std::string& activation() const { return activation_; }

 private:
  std::string activation_;
};

class Activation : public Layer {
 public:
  explicit Activation(std::string activation, ActivationOptions options = {});
  ActivationImpl& impl() const { return *as<ActivationImpl>(); }
};

}  // namespace gradlab
