#include "gradlab/autograd/variable.h"

namespace gradlab {

struct Variable::Impl {
  std::string name;
  Tensor value;
  bool trainable;
};

Variable::Variable(std::string name, Tensor value, bool trainable)
    : impl_(std::make_shared<Impl>(Impl{std::move(name), std::move(value), trainable})) {
  if (!impl_->value.defined()) fail("variable '{}': value is undefined", impl_->name);
  impl_->value.set_trainable_variable(trainable);
}

static const Variable::Impl& checked(const std::shared_ptr<Variable::Impl>& impl) {
  if (!impl) fail("use of an undefined Variable");
  return *impl;
}

const std::string& Variable::name() const { return checked(impl_).name; }
const Tensor& Variable::value() const { return checked(impl_).value; }
bool Variable::trainable() const { return checked(impl_).trainable; }

void Variable::set_trainable(bool trainable) {
  checked(impl_);
  impl_->trainable = trainable;
  impl_->value.set_trainable_variable(trainable);
}

void Variable::assign(const Tensor& new_value) {
  checked(impl_);
  if (new_value.shape() != impl_->value.shape() || new_value.dtype() != impl_->value.dtype()) {
    fail("variable '{}': cannot assign {} to a variable of {}", impl_->name, new_value.description(),
         impl_->value.description());
  }
  impl_->value.copy_from(new_value);
}

}  // namespace gradlab
