#include "gradlab/optim/rmsprop.h"

#include <cmath>

#include "optim/update_common.h"

namespace gradlab {
namespace {

const RMSpropOptions& checked(const RMSpropOptions& o) {
  detail::require_range(o.rho, 0.0, 1.0, true, o.name, "rho");
  detail::require_range(o.momentum, 0.0, 1.0, true, o.name, "momentum");
  if (!(o.epsilon >= 0 && std::isfinite(o.epsilon)))
    fail("{}: epsilon must be >= 0, got {}", o.name, o.epsilon);
  return o;
}

std::vector<std::string> slots(const RMSpropOptions& o) {
  std::vector<std::string> names = {"velocity"};
  if (o.momentum > 0) names.push_back("momentum");
  if (o.centered) names.push_back("average_gradient");
  return names;
}

}  // namespace

RMSprop::RMSprop(RMSpropOptions options)
    : Optimizer(detail::optimizer_config(checked(options)), slots(options)), options_(std::move(options)) {
  int next = 1;
  if (options_.momentum > 0) momentum_slot_ = next++;
  if (options_.centered) average_slot_ = next++;
}

void RMSprop::update(Tensor& value, const Tensor& grad, std::span<Tensor> slots, const StepContext& context) {
  dispatch(value.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* buffer = momentum_slot_ >= 0 ? slots[static_cast<std::size_t>(momentum_slot_)].data<T>() : nullptr;
    T* average = average_slot_ >= 0 ? slots[static_cast<std::size_t>(average_slot_)].data<T>() : nullptr;
    kernels::rmsprop_update(value.data<T>(), grad.data<T>(), slots[0].data<T>(), average, buffer,
                            value.numel(), detail::update_common<T>(context), static_cast<T>(options_.rho),
                            static_cast<T>(1.0 - options_.rho), static_cast<T>(options_.momentum),
                            static_cast<T>(options_.epsilon));
  });
}

std::string RMSprop::description() const {
  return fmt::format("{}({}, rho={}, momentum={}, epsilon={}, centered={})", name(),
                     detail::common_description(config()), options_.rho, options_.momentum, options_.epsilon,
                     options_.centered);
}

}  // namespace gradlab
