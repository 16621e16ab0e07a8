#include "gradlab/autograd/dense_op.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "autograd/activation_table.h"
#include "autograd/op_checks.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/record.h"
#include "kernels/activation.h"
#include "kernels/blas.h"
#include "kernels/elementwise.h"

namespace gradlab {
namespace {

using detail::Fused;
using detail::SlopeFrom;
using detail::fused_activation;
using detail::with_activation;

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
