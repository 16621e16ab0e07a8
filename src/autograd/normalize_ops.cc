#include "autograd/normalize_ops.h"

#include <cmath>
#include <memory>
#include <utility>

#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "kernels/copy.h"
#include "kernels/indexing.h"

namespace gradlab::detail {
namespace {

using Stats = std::shared_ptr<const std::vector<double>>;

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Forward through the kernel and one tape node; `xin` is x in the plan's layout (a permuted copy or x).
Tensor normalize(const char* op, const Tensor& x, const Tensor& xin, const Tensor& gamma, const Tensor& beta,
                 const NormPlan& plan, Stats mean, Stats rstd, bool batch_statistics) {
  Tensor yin = Tensor::empty(xin.shape(), xin.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::norm_forward<T>(xin.data<T>(), plan.layout, mean->data(), rstd->data(), data_or_null<T>(gamma),
                             data_or_null<T>(beta), yin.data<T>());
  });
  const std::vector<int64_t> inverse = inverse_permutation(plan.permutation);
  Tensor y = plan.permutation.empty() ? yin : permuted(yin, inverse);

  std::vector<Tensor> inputs{x};
  if (gamma.defined()) inputs.push_back(gamma);
  if (beta.defined()) inputs.push_back(beta);
  if (!should_record(inputs)) return y;
  const bool has_gamma = gamma.defined(), has_beta = beta.defined();
  // Backward keeps x (in the kernel's layout), gamma and the statistics: never the output.
  record(op, inputs, y,
         [xin, gamma, beta_shape = has_beta ? beta.shape() : Shape{}, plan, inverse, mean, rstd, batch_statistics,
          has_gamma, has_beta](const Tensor& g, std::span<const bool> needs) {
           const std::size_t gamma_index = 1, beta_index = has_gamma ? 2 : 1;
           const bool need_dx = needs[0];
           const bool need_dgamma = has_gamma && needs[gamma_index];
           const bool need_dbeta = has_beta && needs[beta_index];
           const Tensor gin = plan.permutation.empty() ? g : permuted(g, plan.permutation);
           Tensor dx = need_dx ? Tensor::empty(xin.shape(), xin.dtype()) : Tensor();
           Tensor dgamma = need_dgamma ? Tensor::empty(gamma.shape(), gamma.dtype()) : Tensor();
           Tensor dbeta = need_dbeta ? Tensor::empty(beta_shape, xin.dtype()) : Tensor();
           dispatch(xin.dtype(), [&](auto tag) {
             using T = decltype(tag);
             kernels::norm_backward<T>(xin.data<T>(), gin.data<T>(), plan.layout, mean->data(), rstd->data(),
                                       data_or_null<T>(gamma), batch_statistics, dx.defined() ? dx.data<T>() : nullptr,
                                       dgamma.defined() ? dgamma.data<T>() : nullptr,
                                       dbeta.defined() ? dbeta.data<T>() : nullptr);
           });
           if (dx.defined() && !plan.permutation.empty()) dx = permuted(dx, inverse);
           std::vector<Tensor> grads{dx};
           if (has_gamma) grads.push_back(dgamma);
           if (has_beta) grads.push_back(dbeta);
           return grads;
         });
  return y;
}

std::shared_ptr<std::vector<double>> reciprocal_sqrt(const std::vector<double>& variance, double epsilon) {
  auto rstd = std::make_shared<std::vector<double>>(variance.size());
  double* __restrict__ out = rstd->data();
  const double* __restrict__ in = variance.data();
  const std::size_t n = variance.size();
  for (std::size_t i = 0; i < n; ++i) out[i] = 1.0 / std::sqrt(in[i] + epsilon);
  return rstd;
}

}  // namespace

std::vector<int64_t> inverse_permutation(const std::vector<int64_t>& permutation) {
  std::vector<int64_t> inverse(permutation.size());
  for (std::size_t i = 0; i < permutation.size(); ++i) inverse[static_cast<std::size_t>(permutation[i])] = static_cast<int64_t>(i);
  return inverse;
}

Tensor permuted(const Tensor& x, const std::vector<int64_t>& permutation) {
  const std::vector<int64_t> in_strides = kernels::contiguous_strides(x.shape().dims());
  std::vector<int64_t> dims(permutation.size()), src_strides(permutation.size());
  for (std::size_t i = 0; i < permutation.size(); ++i) {
    dims[i] = x.dim(permutation[i]);
    src_strides[i] = in_strides[static_cast<std::size_t>(permutation[i])];
  }
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  if (out.numel() == 0) return out;
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::strided_copy<T>(x.data<T>(), src_strides, out.data<T>(), kernels::contiguous_strides(dims), dims);
  });
  return out;
}

Tensor normalize_with_batch_statistics(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       const NormPlan& plan, double epsilon, NormStatistics* statistics) {
  const Tensor xin = plan.permutation.empty() ? x : permuted(x, plan.permutation);
  const auto count = static_cast<std::size_t>(plan.layout.n * plan.layout.groups);
  auto mean = std::make_shared<std::vector<double>>(count);
  std::vector<double> variance(count);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::norm_moments<T>(xin.data<T>(), plan.layout, mean->data(), variance.data());
  });
  Stats rstd = reciprocal_sqrt(variance, epsilon);
  if (statistics) {
    statistics->mean = *mean;
    statistics->variance = std::move(variance);
  }
  return normalize(op, x, xin, gamma, beta, plan, std::move(mean), std::move(rstd), true);
}

Tensor normalize_with_fixed_statistics(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       const NormPlan& plan, const std::vector<double>& mean,
                                       const std::vector<double>& variance, double epsilon) {
  const Tensor xin = plan.permutation.empty() ? x : permuted(x, plan.permutation);
  return normalize(op, x, xin, gamma, beta, plan, std::make_shared<const std::vector<double>>(mean),
                   reciprocal_sqrt(variance, epsilon), false);
}

Tensor channel_affine(const char* op, const Tensor& x, int64_t outer, int64_t channels, int64_t inner,
                      std::vector<double> center, std::vector<double> scale, std::vector<double> offset) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::channel_affine<T>(x.data<T>(), outer, channels, inner, center.data(), scale.data(), offset.data(),
                               y.data<T>());
  });
  if (should_record({x})) {
    record(op, {x}, y,
           [outer, channels, inner, scale = std::move(scale)](const Tensor& g, std::span<const bool> needs) {
             if (!needs[0]) return std::vector<Tensor>{Tensor()};
             Tensor dx = Tensor::empty(g.shape(), g.dtype());
             dispatch(g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               kernels::channel_scale<T>(g.data<T>(), outer, channels, inner, scale.data(), dx.data<T>());
             });
             return std::vector<Tensor>{dx};
           });
  }
  return y;
}

}  // namespace gradlab::detail
