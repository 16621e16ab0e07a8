#include "gradlab/theory/scalar_activation.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "kernels/activation.h"

namespace gradlab::theory {
namespace {

namespace k = gradlab::kernels;

// Each derivative goes through the kernel's backward rule with an upstream gradient of 1, so the
// theory's phi' is the slope gradlab's backward pass uses, kink conventions included.
const std::vector<ScalarActivation>& table() {
  static const std::vector<ScalarActivation> entries = {
      {"linear", [](double x) { return x; }, [](double) { return 1.0; }, {}, true},
      {"relu", [](double x) { return k::relu(x); }, [](double x) { return k::relu_grad(1.0, k::relu(x)); }, {0.0}, true},
      {"leaky_relu", [](double x) { return k::leaky_relu(x, kLeakyReluSlope); },
       [](double x) { return k::leaky_relu_grad(1.0, x, kLeakyReluSlope); }, {0.0}, true},
      {"elu", [](double x) { return k::elu(x, kEluAlpha); },
       [](double x) { return k::elu_grad(1.0, x, k::elu(x, kEluAlpha), kEluAlpha); }, {0.0}, false},
      {"selu", [](double x) { return k::selu(x); }, [](double x) { return k::selu_grad(1.0, x); }, {0.0}, false},
      {"gelu", [](double x) { return k::gelu(x); }, [](double x) { return k::gelu_grad(1.0, x); }, {}, false},
      {"sigmoid", [](double x) { return k::sigmoid(x); }, [](double x) { return k::sigmoid_grad(1.0, k::sigmoid(x)); },
       {}, false},
      {"hard_sigmoid", [](double x) { return k::hard_sigmoid(x); },
       [](double x) { return k::hard_sigmoid_grad(1.0, x); }, {-3.0, 3.0}, false},
      {"tanh", [](double x) { return k::tanh(x); }, [](double x) { return k::tanh_grad(1.0, k::tanh(x)); }, {}, false},
      {"softplus", [](double x) { return k::softplus(x); }, [](double x) { return k::softplus_grad(1.0, x); }, {},
       false},
      // softsign's second derivative jumps at 0.
      {"softsign", [](double x) { return k::softsign(x); }, [](double x) { return k::softsign_grad(1.0, x); }, {0.0},
       false},
      {"swish", [](double x) { return k::swish(x); }, [](double x) { return k::swish_grad(1.0, x); }, {}, false},
      {"silu", [](double x) { return k::swish(x); }, [](double x) { return k::swish_grad(1.0, x); }, {}, false},
  };
  return entries;
}

}  // namespace

const ScalarActivation& scalar_activation(std::string_view name) {
  for (const ScalarActivation& a : table()) {
    if (a.name == name) return a;
  }
  const bool known = std::find(activation_names().begin(), activation_names().end(), name) != activation_names().end();
  fail("unknown activation '{}'{}; the theory covers the elementwise activations: {}", name,
       known ? " for the mean-field theory (it is not elementwise)" : "", fmt::join(scalar_activation_names(), ", "));
}

std::vector<std::string> scalar_activation_names() {
  std::vector<std::string> names;
  for (const ScalarActivation& a : table()) names.push_back(a.name);
  return names;
}

}  // namespace gradlab::theory
