#include "gradlab/nn/dropout.h"

#include <limits>
#include <string_view>

#include "gradlab/autograd/dropout_op.h"

namespace gradlab {
namespace {

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(double rate, const DropoutOptions& options) {
  check_dropout_rate(rate, options.name.empty() ? std::string_view("dropout") : std::string_view(options.name));
  return options.name;
}

}  // namespace

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
  return dropout(x, rate_, generator_, options.shard);
}

std::string DropoutImpl::config_summary() const {
  return options_.seed ? fmt::format("rate={}, seed={}", rate_, *options_.seed)
                       : fmt::format("rate={}, seed=none", rate_);
}

Dropout::Dropout(double rate, DropoutOptions options)
    : Layer(std::make_shared<DropoutImpl>(rate, std::move(options))) {}

}  // namespace gradlab
