#pragma once
// gradlab's one table of activations. Every place that needs the list of activations expands the
// X-macros below: the fused Dense and recurrent ops (one traits struct per row, dispatched by a
// switch), the unfused ops of activations.cc, the name registry (get_activation,
// activation_names), the instruments' saturation and dead-unit statistics, the Pascanu bound of
// instrument/through_time and the mean-field theory's scalar functions. Adding an activation is
// adding a row here, its scalar formula to kernels/activation.h and its public op to
// gradlab/autograd/activations.h.
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "gradlab/autograd/activations.h"
#include "kernels/activation.h"

// One row per element-wise activation, in the order activation_names() lists them:
//   X(name, slope_from, f(z), d(g, s), saturation, dead_units, kinks, homogeneous, inverse_max_slope)
// name:        Keras's name (activation="name"), also the public op gradlab::name(x) (Keras's defaults)
// slope_from:  what the derivative reads: nothing, the output y, or the pre_activation z
// f(z):        the forward, of z of type T
// d(g, s):     g f'(z), with s = y or z as slope_from says
// saturation:  none, symmetric (|y| near 1) or unit_interval (y near 0 or 1); SaturationThresholds
// dead_units:  whether the instruments count units that output exact zeros for every example
// kinks:       the z where f or a derivative of it jumps (softsign's second at 0), as a parenthesized list
// homogeneous: f(a z) = a f(z) for a > 0
// inverse_max_slope: 1 / max |f'| (Pascanu et al. 2013's 1/gamma), or NaN where the bound is not used
#define GRADLAB_ELEMENTWISE_ACTIVATIONS(X)                                                                          \
  X(linear, nothing, z, g, none, false, (), true, 1.0)                                                             \
  X(relu, output, kernels::relu(z), kernels::relu_grad(g, s), none, true, (0.0), true, 1.0)                        \
  X(leaky_relu, pre_activation, kernels::leaky_relu(z, T(kLeakyReluSlope)),                                        \
    kernels::leaky_relu_grad(g, s, T(kLeakyReluSlope)), none, false, (0.0), true, 1.0)                             \
  X(elu, pre_activation, kernels::elu(z, T(kEluAlpha)),                                                            \
    kernels::elu_grad(g, s, kernels::elu(s, T(kEluAlpha)), T(kEluAlpha)), none, false, (0.0), false, 1.0)          \
  X(selu, pre_activation, kernels::selu(z), kernels::selu_grad(g, s), none, false, (0.0), false, kNaN)             \
  X(gelu, pre_activation, kernels::gelu(z), kernels::gelu_grad(g, s), none, false, (), false, kNaN)                \
  X(sigmoid, output, kernels::sigmoid(z), kernels::sigmoid_grad(g, s), unit_interval, false, (), false, 4.0)       \
  X(hard_sigmoid, pre_activation, kernels::hard_sigmoid(z), kernels::hard_sigmoid_grad(g, s), unit_interval, false, \
    (-3.0, 3.0), false, 6.0)                                                                                       \
  X(tanh, output, kernels::tanh(z), kernels::tanh_grad(g, s), symmetric, false, (), false, 1.0)                    \
  X(softplus, pre_activation, kernels::softplus(z), kernels::softplus_grad(g, s), none, false, (), false, kNaN)    \
  X(softsign, pre_activation, kernels::softsign(z), kernels::softsign_grad(g, s), symmetric, false, (0.0), false,  \
    1.0)                                                                                                           \
  X(swish, pre_activation, kernels::swish(z), kernels::swish_grad(g, s), none, false, (), false, kNaN)

// Other names of a row above, listed after them by activation_names(): X(alias, name).
#define GRADLAB_ACTIVATION_ALIASES(X) X(silu, swish)

// Activations along an axis: not element-wise, never fused, no saturation; listed last: X(name).
#define GRADLAB_AXIS_ACTIVATIONS(X) X(softmax) X(log_softmax)

// A parenthesized list without its parentheses, for the kinks column.
#define GRADLAB_UNPARENTHESIZE(...) __VA_ARGS__

namespace gradlab::detail {

// What an activation's derivative is computed from. The output suffices where it determines the
// slope; otherwise the pre-activation z = x @ kernel + bias is kept for backward.
enum class SlopeFrom { nothing, output, pre_activation };

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The traits of each row: a forward f(z) and a derivative d(g, s) = g f'(z), inlined into the
// loops that instantiate them.
namespace activation_traits {
#define GRADLAB_ACTIVATION_TRAITS(name, slope_from, forward, slope, ...) \
  struct name {                                                         \
    static constexpr SlopeFrom kSlopeFrom = SlopeFrom::slope_from;      \
    template <typename T>                                               \
    static T f(T z) {                                                   \
      return forward;                                                   \
    }                                                                   \
    template <typename T>                                               \
    static T d(T g, [[maybe_unused]] T s) {                             \
      return slope;                                                     \
    }                                                                   \
  };
GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_ACTIVATION_TRAITS)
#undef GRADLAB_ACTIVATION_TRAITS
}  // namespace activation_traits

// The element-wise activations, as fused ops know them; an alias is its row's value.
enum class Fused {
#define GRADLAB_FUSED_ENUMERATOR(name, ...) name,
  GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_FUSED_ENUMERATOR)
#undef GRADLAB_FUSED_ENUMERATOR
};

// The fused activation called `name`; none for softmax, log_softmax and unknown names.
inline std::optional<Fused> fused_activation(std::string_view name) {
  static constexpr std::pair<std::string_view, Fused> kNames[] = {
#define GRADLAB_FUSED_NAME(name, ...) {#name, Fused::name},
      GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_FUSED_NAME)
#undef GRADLAB_FUSED_NAME
#define GRADLAB_FUSED_ALIAS(alias, name) {#alias, Fused::name},
      GRADLAB_ACTIVATION_ALIASES(GRADLAB_FUSED_ALIAS)
#undef GRADLAB_FUSED_ALIAS
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
#define GRADLAB_FUSED_CASE(name, ...) \
  case Fused::name:                   \
    return f(activation_traits::name{});
    GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_FUSED_CASE)
#undef GRADLAB_FUSED_CASE
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
