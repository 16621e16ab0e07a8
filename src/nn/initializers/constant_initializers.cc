// Keras's constant initializers (keras/src/initializers/constant_initializers.py).
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "gradlab/error.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/creation.h"
#include "nn/initializers/draw.h"

namespace gradlab {
namespace {

class ConstantImpl : public InitializerImpl {
 public:
  // `name` is "zeros", "ones" or "constant"; only "constant" shows its value.
  ConstantImpl(double value, std::string name) : value_(value), name_(std::move(name)) {}
  Tensor generate(const Shape& shape, DType dtype, Rng&, const Fans&) const override {
    return full(shape, value_, dtype);
  }
  std::string name() const override { return name_; }
  std::optional<double> variance(const Fans&) const override {
    return value_ == 0.0 ? std::optional<double>(0.0) : std::nullopt;
  }
  std::string arguments() const override {
    return name_ == "constant" ? "value=" + detail::format_number(value_) : "";
  }

 private:
  double value_;
  std::string name_;
};

class IdentityImpl : public InitializerImpl {
 public:
  explicit IdentityImpl(double gain) : gain_(gain) {}
  Tensor generate(const Shape& shape, DType dtype, Rng&, const Fans&) const override {
    if (shape.rank() != 2) {
      fail("identity: the identity initializer makes 2D matrices only; got shape {} of rank {}",
           shape.to_string(), shape.rank());
    }
    Tensor t = eye(shape[0], shape[1], dtype);
    if (gain_ != 1.0) {
      dispatch(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        for (int64_t i = 0; i < shape[0] && i < shape[1]; ++i) p[i * shape[1] + i] = static_cast<T>(gain_);
      });
    }
    return t;
  }
  std::string name() const override { return "identity"; }
  std::string arguments() const override { return "gain=" + detail::format_number(gain_); }

 private:
  double gain_;
};

}  // namespace

Initializer zeros_initializer() { return Initializer(std::make_shared<ConstantImpl>(0.0, "zeros")); }
Initializer ones_initializer() { return Initializer(std::make_shared<ConstantImpl>(1.0, "ones")); }
Initializer constant(double value) { return Initializer(std::make_shared<ConstantImpl>(value, "constant")); }

Initializer identity(double gain) {
  if (!std::isfinite(gain)) fail("identity: gain must be finite, got {}", gain);
  return Initializer(std::make_shared<IdentityImpl>(gain));
}

}  // namespace gradlab
