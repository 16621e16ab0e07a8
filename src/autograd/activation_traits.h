#pragma once
// The element-wise activations as compile-time traits for fused ops (the Dense op, the recurrent
// cells): a forward f(z) and a derivative d(g, saved) = g * f'(z), with `saved` the output or the
// pre-activation as kSlopeFrom says. The formulas are the ones the unfused activation ops use
// (kernels/activation.h), so fused and unfused layers agree.
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "kernels/activation.h"

namespace gradlab::detail {

// What an activation's derivative is computed from. The output suffices where it determines the
// slope; otherwise the pre-activation z = x @ kernel + bias is kept for backward.
enum class SlopeFrom { nothing, output, pre_activation };

struct Linear {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::nothing;
  template <typename T> static T f(T z) { return z; }
  template <typename T> static T d(T g, T) { return g; }
};
struct Relu {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::output;
  template <typename T> static T f(T z) { return kernels::relu(z); }
  template <typename T> static T d(T g, T y) { return kernels::relu_grad(g, y); }
};
struct Sigmoid {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::output;
  template <typename T> static T f(T z) { return kernels::sigmoid(z); }
  template <typename T> static T d(T g, T y) { return kernels::sigmoid_grad(g, y); }
};
struct Tanh {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::output;
  template <typename T> static T f(T z) { return kernels::tanh(z); }
  template <typename T> static T d(T g, T y) { return kernels::tanh_grad(g, y); }
};
struct LeakyRelu {  // Keras's default slope, as get_activation("leaky_relu") uses it
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::leaky_relu(z, T(0.2)); }
  template <typename T> static T d(T g, T z) { return kernels::leaky_relu_grad(g, z, T(0.2)); }
};
struct Elu {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::elu(z, T(1)); }
  template <typename T> static T d(T g, T z) { return kernels::elu_grad(g, z, kernels::elu(z, T(1)), T(1)); }
};
struct Selu {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::selu(z); }
  template <typename T> static T d(T g, T z) { return kernels::selu_grad(g, z); }
};
struct Gelu {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::gelu(z); }
  template <typename T> static T d(T g, T z) { return kernels::gelu_grad(g, z); }
};
struct HardSigmoid {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::hard_sigmoid(z); }
  template <typename T> static T d(T g, T z) { return kernels::hard_sigmoid_grad(g, z); }
};
struct Softplus {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::softplus(z); }
  template <typename T> static T d(T g, T z) { return kernels::softplus_grad(g, z); }
};
struct Softsign {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::softsign(z); }
  template <typename T> static T d(T g, T z) { return kernels::softsign_grad(g, z); }
};
struct Swish {
  static constexpr SlopeFrom kSlopeFrom = SlopeFrom::pre_activation;
  template <typename T> static T f(T z) { return kernels::swish(z); }
  template <typename T> static T d(T g, T z) { return kernels::swish_grad(g, z); }
};

enum class Fused { linear, relu, sigmoid, tanh, leaky_relu, elu, selu, gelu, hard_sigmoid, softplus, softsign, swish };

// The element-wise activations; softmax and log_softmax normalize along an axis and stay unfused.
inline std::optional<Fused> fused_activation(std::string_view name) {
  static constexpr std::pair<std::string_view, Fused> kNames[] = {
      {"linear", Fused::linear},       {"relu", Fused::relu},
      {"sigmoid", Fused::sigmoid},     {"tanh", Fused::tanh},
      {"leaky_relu", Fused::leaky_relu}, {"elu", Fused::elu},
      {"selu", Fused::selu},           {"gelu", Fused::gelu},
      {"hard_sigmoid", Fused::hard_sigmoid}, {"softplus", Fused::softplus},
      {"softsign", Fused::softsign},   {"swish", Fused::swish},
      {"silu", Fused::swish},
  };
  for (const auto& [n, a] : kNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}

// Calls f with the traits type of `a`.
template <typename F>
void with_activation(Fused a, F&& f) {
  switch (a) {
    case Fused::linear: return f(Linear{});
    case Fused::relu: return f(Relu{});
    case Fused::sigmoid: return f(Sigmoid{});
    case Fused::tanh: return f(Tanh{});
    case Fused::leaky_relu: return f(LeakyRelu{});
    case Fused::elu: return f(Elu{});
    case Fused::selu: return f(Selu{});
    case Fused::gelu: return f(Gelu{});
    case Fused::hard_sigmoid: return f(HardSigmoid{});
    case Fused::softplus: return f(Softplus{});
    case Fused::softsign: return f(Softsign{});
    case Fused::swish: return f(Swish{});
  }
}

// How an activation's derivative is computed, known at run time.
inline SlopeFrom slope_from(Fused a) {
  SlopeFrom from = SlopeFrom::nothing;
  with_activation(a, [&](auto traits) { from = decltype(traits)::kSlopeFrom; });
  return from;
}

// y = f(z) for n elements (y may be z); one dispatch per call, so callers pass whole rows.
template <typename T>
void activate(Fused a, const T* z, T* y, int64_t n) {
  with_activation(a, [&](auto traits) {
    using A = decltype(traits);
    for (int64_t i = 0; i < n; ++i) y[i] = A::f(z[i]);
  });
}

// out = g * f'(z) for n elements, from the pre-activation z or the output y as the activation's
// kSlopeFrom says (the other may be null). out may be g.
template <typename T>
void activation_slope(Fused a, const T* g, const T* z, const T* y, T* out, int64_t n) {
  with_activation(a, [&](auto traits) {
    using A = decltype(traits);
    if constexpr (A::kSlopeFrom == SlopeFrom::nothing) {
      for (int64_t i = 0; i < n; ++i) out[i] = A::d(g[i], T(0));
    } else {
      const T* saved = A::kSlopeFrom == SlopeFrom::output ? y : z;
      for (int64_t i = 0; i < n; ++i) out[i] = A::d(g[i], saved[i]);
    }
  });
}

}  // namespace gradlab::detail
