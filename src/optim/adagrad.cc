#include "gradlab/optim/adagrad.h"

#include <cmath>

#include "optim/update_common.h"

namespace gradlab {
namespace {

const AdagradOptions& checked(const AdagradOptions& o) {
  if (!(o.initial_accumulator_value >= 0 && std::isfinite(o.initial_accumulator_value))) {
    fail("{}: initial_accumulator_value must be >= 0, got {}", o.name, o.initial_accumulator_value);
  }
  if (!(o.epsilon >= 0 && std::isfinite(o.epsilon)))
    fail("{}: epsilon must be >= 0, got {}", o.name, o.epsilon);
  return o;
}

}  // namespace

Adagrad::Adagrad(AdagradOptions options)
    : Optimizer(detail::optimizer_config(checked(options)), {"accumulator"}), options_(std::move(options)) {}

double Adagrad::slot_initial_value(std::size_t) const { return options_.initial_accumulator_value; }

void Adagrad::update(Tensor& value, const Tensor& grad, std::span<Tensor> slots, const StepContext& context) {
  dispatch(value.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::adagrad_update(value.data<T>(), grad.data<T>(), slots[0].data<T>(), value.numel(),
                            detail::update_common<T>(context), static_cast<T>(options_.epsilon));
  });
}

std::string Adagrad::description() const {
  return fmt::format("{}({}, initial_accumulator_value={}, epsilon={})", name(),
                     detail::common_description(config()), options_.initial_accumulator_value,
                     options_.epsilon);
}

}  // namespace gradlab
