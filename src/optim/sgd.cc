#include "gradlab/optim/sgd.h"

#include "optim/update_common.h"

namespace gradlab {
namespace {

const SGDOptions& checked(const SGDOptions& o) {
  detail::require_range(o.momentum, 0.0, 1.0, true, o.name, "momentum");
  return o;
}

std::vector<std::string> slots(const SGDOptions& o) {
  return o.momentum != 0.0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
}

}  // namespace

SGD::SGD(SGDOptions options)
    : Optimizer(detail::optimizer_config(checked(options)), slots(options)), options_(std::move(options)) {}

void SGD::update(Tensor& value, const Tensor& grad, std::span<Tensor> slots, const StepContext& context) {
  dispatch(value.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::sgd_update(value.data<T>(), grad.data<T>(), slots.empty() ? nullptr : slots[0].data<T>(),
                        value.numel(), detail::update_common<T>(context), static_cast<T>(options_.momentum),
                        options_.nesterov);
  });
}

std::string SGD::description() const {
  return fmt::format("{}({}, momentum={}, nesterov={})", name(), detail::common_description(config()),
                     options_.momentum, options_.nesterov);
}

}  // namespace gradlab
