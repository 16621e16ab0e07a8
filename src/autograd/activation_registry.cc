// Activation lookup by the names Keras uses in layer configs (activation="relu").
#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

struct NamedActivation {
  const char* name;
  Tensor (*fn)(const Tensor&);
  bool saturating;
};

const NamedActivation kActivations[] = {
    {"linear", linear, false},
    {"relu", relu, false},
    {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }, false},
    {"elu", [](const Tensor& x) { return elu(x); }, false},
    {"selu", selu, false},
    {"gelu", [](const Tensor& x) { return gelu(x); }, false},
    {"sigmoid", sigmoid, true},
    {"hard_sigmoid", hard_sigmoid, true},
    {"tanh", tanh, true},
    {"softplus", softplus, false},
    {"softsign", softsign, true},
    {"swish", swish, false},
    {"silu", silu, false},
    {"softmax", [](const Tensor& x) { return softmax(x); }, false},
    {"log_softmax", [](const Tensor& x) { return log_softmax(x); }, false},
};

const NamedActivation* find_activation(std::string_view name) {
  for (const NamedActivation& a : kActivations) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

}  // namespace

ActivationFn get_activation(std::string_view name) {
  const NamedActivation* found = find_activation(name);
  if (found == nullptr) {
    fail("unknown activation '{}'; valid names are: {}", name, fmt::join(activation_names(), ", "));
  }
  return found->fn;
}

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const NamedActivation& a : kActivations) v.emplace_back(a.name);
    return v;
  }();
  return names;
}

bool is_saturating(std::string_view name) {
  const NamedActivation* found = find_activation(name);
  return found != nullptr && found->saturating;
}

}  // namespace gradlab
