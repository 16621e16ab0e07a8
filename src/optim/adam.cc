#include "gradlab/optim/adam.h"

#include <cmath>

#include "optim/update_common.h"

namespace gradlab {
namespace {

const AdamOptions& checked(const AdamOptions& o) {
  detail::require_range(o.beta_1, 0.0, 1.0, false, o.name, "beta_1");
  detail::require_range(o.beta_2, 0.0, 1.0, false, o.name, "beta_2");
  if (!(o.epsilon >= 0 && std::isfinite(o.epsilon)))
    fail("{}: epsilon must be >= 0, got {}", o.name, o.epsilon);
  return o;
}

std::vector<std::string> slots(const AdamOptions& o) {
  std::vector<std::string> names = {"momentum", "velocity"};
  if (o.amsgrad) names.push_back("velocity_hat");
  return names;
}

}  // namespace

Adam::Adam(AdamOptions options)
    : Optimizer(detail::optimizer_config(checked(options)), slots(options)), options_(std::move(options)) {}

void Adam::update(Tensor& value, const Tensor& grad, std::span<Tensor> slots, const StepContext& context) {
  dispatch(value.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Keras computes the bias corrections in the variable's dtype, from 1 - beta formed in double.
    const T step = static_cast<T>(context.step);
    const T beta_1_power = std::pow(static_cast<T>(options_.beta_1), step);
    const T beta_2_power = std::pow(static_cast<T>(options_.beta_2), step);
    const T alpha =
        static_cast<T>(context.learning_rate) * std::sqrt(T(1) - beta_2_power) / (T(1) - beta_1_power);
    kernels::adam_update(value.data<T>(), grad.data<T>(), slots[0].data<T>(), slots[1].data<T>(),
                         options_.amsgrad ? slots[2].data<T>() : nullptr, value.numel(),
                         detail::update_common<T>(context), alpha, static_cast<T>(1.0 - options_.beta_1),
                         static_cast<T>(1.0 - options_.beta_2), static_cast<T>(options_.epsilon));
  });
}

std::string Adam::description() const {
  return fmt::format("{}({}, beta_1={}, beta_2={}, epsilon={}, amsgrad={})", name(),
                     detail::common_description(config()), options_.beta_1, options_.beta_2, options_.epsilon,
                     options_.amsgrad);
}

}  // namespace gradlab
