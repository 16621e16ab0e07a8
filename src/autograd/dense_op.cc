#include "gradlab/autograd/dense_op.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "autograd/op_checks.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/record.h"
#include "kernels/activation.h"
#include "kernels/blas.h"
#include "kernels/elementwise.h"

namespace gradlab {
namespace {

// What an activation's derivative is computed from. The output suffices where it determines the
// slope; otherwise the pre-activation z = x @ kernel + bias is kept for backward.
enum class SlopeFrom { nothing, output, pre_activation };

// Each element-wise activation as a forward function and a derivative d(g, saved) = g * f'(z),
// with `saved` the output or the pre-activation as kSlopeFrom says. The formulas are the ones the
// unfused activation ops use (kernels/activation.h), so fused and unfused layers agree.
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
std::optional<Fused> fused_activation(std::string_view name) {
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

void check_operands(const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  detail::require_defined(x, "dense", "input");
  detail::require_defined(kernel, "dense", "kernel");
  if (x.rank() != 2 || kernel.rank() != 2) {
    fail("dense: expected a rank-2 input [N, in] and kernel [in, out], got input {} and kernel {}",
         x.shape().to_string(), kernel.shape().to_string());
  }
  detail::require_same_dtype(x, kernel, "dense");
  if (x.dim(1) != kernel.dim(0)) {
    fail("dense: input has {} features but the kernel is {} (expected [{}, out])", x.dim(1),
         kernel.shape().to_string(), x.dim(1));
  }
  if (bias.defined()) {
    detail::require_same_dtype(x, bias, "dense");
    if (bias.rank() != 1 || bias.dim(0) != kernel.dim(1)) {
      fail("dense: bias is {} but the kernel has {} outputs (expected [{}])", bias.shape().to_string(),
           kernel.dim(1), kernel.dim(1));
    }
  }
}

// y = f(z + bias) row by row in one pass over the product z; z += bias as well when it is kept
// for backward (keep_z), otherwise z and y are the same buffer and the pass runs in place.
template <typename A, typename T, bool kHasBias>
void bias_activation(T* z, const T* bias, T* y, int64_t m, int64_t n, bool keep_z) {
  if (!kHasBias && A::kSlopeFrom == SlopeFrom::nothing) return;  // linear without bias: y is z
  for (int64_t row = 0; row < m; ++row) {
    T* zr = z + row * n;
    T* yr = y + row * n;
    if (keep_z) {
      for (int64_t j = 0; j < n; ++j) {
        if constexpr (kHasBias) zr[j] += bias[j];
        yr[j] = A::f(zr[j]);
      }
    } else {
      for (int64_t j = 0; j < n; ++j) yr[j] = A::f(kHasBias ? yr[j] + bias[j] : yr[j]);
    }
  }
}

// Backward of the fused op for activation traits A: dz = d(g, saved), then the three products.
template <typename A, typename T>
std::vector<Tensor> dense_backward(const Tensor& g, const Tensor& x, const Tensor& kernel, const Tensor& saved,
                                   std::span<const bool> needs) {
  const int64_t m = x.dim(0), k = x.dim(1), n = kernel.dim(1);
  Tensor dz = g;
  if constexpr (A::kSlopeFrom != SlopeFrom::nothing) {
    dz = Tensor::empty(g.shape(), g.dtype());
    kernels::map(g.data<T>(), saved.data<T>(), dz.data<T>(), g.numel(), [](T a, T b) { return A::d(a, b); });
  }
  const T* pdz = dz.data<T>();
  std::vector<Tensor> grads(3);
  if (needs[0]) {
    grads[0] = Tensor::empty(x.shape(), x.dtype());
    kernels::gemm<T>(false, true, m, k, n, pdz, kernel.data<T>(), grads[0].data<T>());
  }
  if (needs[1]) {
    grads[1] = Tensor::empty(kernel.shape(), kernel.dtype());
    kernels::gemm<T>(true, false, k, n, m, x.data<T>(), pdz, grads[1].data<T>());
  }
  if (needs[2]) {
    grads[2] = Tensor::empty(Shape{n}, g.dtype());
    T* gb = grads[2].data<T>();
    std::fill(gb, gb + n, T(0));
    for (int64_t row = 0; row < m; ++row) {
      const T* r = pdz + row * n;
      for (int64_t j = 0; j < n; ++j) gb[j] += r[j];
    }
  }
  return grads;
}

}  // namespace

Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, std::string_view activation) {
  check_operands(x, kernel, bias);
  const std::optional<Fused> fused = fused_activation(activation);
  if (!fused) {
    // get_activation names the valid activations when `activation` is unknown.
    const ActivationFn f = get_activation(activation);
    const Tensor z = matmul(x, kernel);
    return f(bias.defined() ? add(z, bias) : z);
  }
  const int64_t m = x.dim(0), k = x.dim(1), n = kernel.dim(1);
  const bool recording = should_record({x, kernel, bias});
  Tensor y = Tensor::empty(Shape{m, n}, x.dtype());
  with_activation(*fused, [&](auto traits) {
    using A = decltype(traits);
    // The pre-activation gets its own buffer only when backward will need it.
    const bool keep_z = recording && A::kSlopeFrom == SlopeFrom::pre_activation;
    Tensor z = keep_z ? Tensor::empty(Shape{m, n}, x.dtype()) : y;
    dispatch(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      kernels::gemm<T>(false, false, m, n, k, x.data<T>(), kernel.data<T>(), z.data<T>());
      if (bias.defined()) {
        bias_activation<A, T, true>(z.data<T>(), bias.data<T>(), y.data<T>(), m, n, keep_z);
      } else {
        bias_activation<A, T, false>(z.data<T>(), nullptr, y.data<T>(), m, n, keep_z);
      }
    });
    if (recording) {
      const Tensor saved = A::kSlopeFrom == SlopeFrom::output ? y : (keep_z ? z : Tensor());
      record("dense", {x, kernel, bias}, y, [x, kernel, saved](const Tensor& g, std::span<const bool> needs) {
        std::vector<Tensor> grads;
        dispatch(g.dtype(), [&](auto tag) { grads = dense_backward<A, decltype(tag)>(g, x, kernel, saved, needs); });
        return grads;
      });
    }
  });
  return y;
}

}  // namespace gradlab
