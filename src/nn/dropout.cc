#include "gradlab/nn/dropout.h"

#include <limits>
#include <span>
#include <string_view>

#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "kernels/dropout.h"

namespace gradlab {
namespace {

void check_rate(double rate, std::string_view who) {
  if (!(rate >= 0.0 && rate < 1.0)) fail("{}: rate must be in [0, 1), got {}", who, rate);
}

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(double rate, const DropoutOptions& options) {
  check_rate(rate, options.name.empty() ? std::string_view("dropout") : std::string_view(options.name));
  return options.name;
}

}  // namespace

Tensor dropout(const Tensor& x, double rate, Rng& rng) {
  check_rate(rate, "dropout");
  if (!x.defined()) fail("dropout: input is an undefined tensor");
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    rng.uniform(mask.data<T>(), mask.numel(), 0.0, 1.0);
    kernels::dropout_mask(mask.data<T>(), mask.numel(), rate);
  });
  // The product with a constant mask records one node whose backward is g * mask.
  Tensor y;
  {
    NoRecording untracked;
    y = mul(x, mask);
  }
  if (should_record({x})) {
    record("dropout", {x}, y, [mask](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? mul(g, mask) : Tensor()};
    });
  }
  return y;
}

DropoutImpl::DropoutImpl(double rate, DropoutOptions options)
    : LayerImpl("dropout", checked_name(rate, options)), rate_(rate), options_(std::move(options)) {
  if (options_.seed) generator_ = Rng(*options_.seed);
}

void DropoutImpl::build(const std::vector<Shape>&, DType) {
  if (!options_.seed) generator_ = Rng(rng().next_below(std::numeric_limits<uint64_t>::max()));
}

Tensor DropoutImpl::forward(const std::vector<Tensor>& inputs, const CallOptions& options) {
  const Tensor& x = inputs.front();
  if (!options.training || rate_ == 0.0) return x;
  return dropout(x, rate_, generator_);
}

std::string DropoutImpl::config_summary() const {
  return options_.seed ? fmt::format("rate={}, seed={}", rate_, *options_.seed)
                       : fmt::format("rate={}, seed=none", rate_);
}

Dropout::Dropout(double rate, DropoutOptions options)
    : Layer(std::make_shared<DropoutImpl>(rate, std::move(options))) {}

}  // namespace gradlab
