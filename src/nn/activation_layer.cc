#include "gradlab/nn/activation_layer.h"

#include <string_view>

#include "gradlab/error.h"

namespace gradlab {
namespace {

// Checked before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(const std::string& activation, const ActivationOptions& options) {
  try {
    get_activation(activation);
  } catch (const Error& e) {
    fail("{}: {}", options.name.empty() ? std::string_view("activation") : std::string_view(options.name),
         e.what());
  }
  return options.name;
}

}  // namespace

ActivationImpl::ActivationImpl(std::string activation, ActivationOptions options)
    : LayerImpl("activation", checked_name(activation, options)),
      activation_(std::move(activation)),
      fn_(get_activation(activation_)) {}

Tensor ActivationImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  return fn_(inputs.front());
}

Activation::Activation(std::string activation, ActivationOptions options)
    : Layer(std::make_shared<ActivationImpl>(std::move(activation), std::move(options))) {}

}  // namespace gradlab
