#include <functional>
#include <utility>

#include "gradlab/error.h"
#include "gradlab/nn/initializer_names.h"
#include "gradlab/nn/initializers.h"

namespace gradlab {
namespace {

using Factory = std::function<Initializer()>;

struct NamedFactory {
  std::string name;
  Factory make;
};

// Keras's snake_case names first (what the error message lists), then the Keras class names and the
// aliases keras.initializers.get accepts.
const std::vector<NamedFactory>& registry() {
  static const std::vector<NamedFactory> entries = [] {
    const Factory zeros_f = [] { return zeros_initializer(); };
    const Factory ones_f = [] { return ones_initializer(); };
    const Factory constant_f = [] { return constant(0.0); };
    const Factory uniform_f = [] { return random_uniform(); };
    const Factory normal_f = [] { return random_normal(); };
    const Factory truncated_f = [] { return truncated_normal_initializer(); };
    const Factory variance_f = [] { return variance_scaling(); };
    const Factory orthogonal_f = [] { return orthogonal(); };
    const Factory identity_f = [] { return identity(); };
    const Factory delta_orthogonal_f = [] { return delta_orthogonal(); };
    return std::vector<NamedFactory>{
        {"zeros", zeros_f},
        {"ones", ones_f},
        {"constant", constant_f},
        {"random_uniform", uniform_f},
        {"random_normal", normal_f},
        {"truncated_normal", truncated_f},
        {"variance_scaling", variance_f},
        {"glorot_uniform", glorot_uniform},
        {"glorot_normal", glorot_normal},
        {"he_uniform", he_uniform},
        {"he_normal", he_normal},
        {"lecun_uniform", lecun_uniform},
        {"lecun_normal", lecun_normal},
        {"orthogonal", orthogonal_f},
        {"delta_orthogonal", delta_orthogonal_f},
        {"identity", identity_f},
        {"torch_linear_kernel", torch_linear_kernel},
        {"torch_linear_bias", torch_linear_bias},
        {"Zeros", zeros_f},
        {"Ones", ones_f},
        {"Constant", constant_f},
        {"RandomUniform", uniform_f},
        {"RandomNormal", normal_f},
        {"TruncatedNormal", truncated_f},
        {"VarianceScaling", variance_f},
        {"GlorotUniform", glorot_uniform},
        {"GlorotNormal", glorot_normal},
        {"HeUniform", he_uniform},
        {"HeNormal", he_normal},
        {"LecunUniform", lecun_uniform},
        {"LecunNormal", lecun_normal},
        {"Orthogonal", orthogonal_f},
        {"OrthogonalInitializer", orthogonal_f},
        {"orthogonal_initializer", orthogonal_f},
        {"Identity", identity_f},
        {"IdentityInitializer", identity_f},
        {"identity_initializer", identity_f},
        {"uniform", uniform_f},
        {"normal", normal_f},
        {"one", ones_f},
        {"zero", zeros_f},
    };
  }();
  return entries;
}

constexpr std::size_t kCanonicalNames = 18;

Initializer from_name(std::string_view name) {
  for (const auto& entry : registry()) {
    if (entry.name == name) return entry.make();
  }
  std::string valid;
  for (std::size_t i = 0; i < kCanonicalNames; ++i) {
    if (i > 0) valid += ", ";
    valid += registry()[i].name;
  }
  fail(
      "unknown initializer '{}': expected one of {} (Keras class names such as HeUniform and the "
      "aliases uniform, normal, one, zero are accepted too)",
      name, valid);
}

}  // namespace

Fans compute_fans(const Shape& shape) {
  Fans fans;
  const int64_t rank = shape.rank();
  if (rank == 1) {
    fans.fan_in = fans.fan_out = static_cast<double>(shape[0]);
  } else if (rank == 2) {
    fans.fan_in = static_cast<double>(shape[0]);
    fans.fan_out = static_cast<double>(shape[1]);
  } else if (rank >= 3) {
    double receptive_field = 1;
    for (int64_t axis = 0; axis < rank - 2; ++axis) receptive_field *= static_cast<double>(shape[axis]);
    fans.fan_in = static_cast<double>(shape[-2]) * receptive_field;
    fans.fan_out = static_cast<double>(shape[-1]) * receptive_field;
  }
  fans.layer_fan_in = fans.fan_in;
  return fans;
}

Initializer::Initializer(const char* name)
    : Initializer(from_name(name == nullptr ? std::string_view() : std::string_view(name))) {}
Initializer::Initializer(std::string_view name) : Initializer(from_name(name)) {}
Initializer::Initializer(const std::string& name) : Initializer(from_name(name)) {}

Initializer::Initializer(std::shared_ptr<const InitializerImpl> impl) : impl_(std::move(impl)) {
  if (!impl_) fail("Initializer: the implementation is null");
}

Tensor Initializer::operator()(const Shape& shape, DType dtype, Rng& rng) const {
  return impl_->generate(shape, dtype, rng, compute_fans(shape));
}

Tensor Initializer::operator()(const Shape& shape, DType dtype, Rng& rng, const Fans& fans) const {
  return impl_->generate(shape, dtype, rng, fans);
}

std::string Initializer::description() const {
  const std::string args = impl_->arguments();
  return args.empty() ? impl_->name() : impl_->name() + "(" + args + ")";
}

const std::vector<std::string>& initializer_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : registry()) out.push_back(entry.name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& canonical_initializer_names() {
  static const std::vector<std::string> names(initializer_names().begin(),
                                              initializer_names().begin() + static_cast<std::ptrdiff_t>(kCanonicalNames));
  return names;
}

}  // namespace gradlab
