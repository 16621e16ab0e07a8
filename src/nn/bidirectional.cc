#include "gradlab/nn/bidirectional.h"

#include <algorithm>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

const std::string& checked_name(const Layer& layer, const BidirectionalOptions& o) {
  const std::string label = o.name.empty() ? "bidirectional" : o.name;
  if (!layer.defined()) fail("{}: the wrapped layer is an undefined handle", label);
  if (layer.as<RecurrentImpl>() == nullptr) {
    fail("{}: wraps a recurrent layer (simple_rnn, lstm or gru), got {} '{}'", label, layer.type(), layer.name());
  }
  if (layer.built()) {
    fail("{}: the wrapped layer '{}' is already built; Bidirectional makes its two layers from an unbuilt one",
         label, layer.name());
  }
  const auto& modes = bidirectional_merge_modes();
  if (std::find(modes.begin(), modes.end(), o.merge_mode) == modes.end()) {
    fail("{}: unknown merge_mode '{}' (expected concat, sum, mul or ave)", label, o.merge_mode);
  }
  return o.name;
}

// A new layer of the same cell, units and options as `like`, renamed and with go_backwards as given.
Recurrent copy_of(const RecurrentImpl& like, const std::string& prefix, bool go_backwards) {
  RecurrentOptions o = like.options();
  o.name = prefix + like.name();
  o.go_backwards = go_backwards;
  return Recurrent(std::make_shared<RecurrentImpl>(like.cell(), like.units(), std::move(o)));
}

}  // namespace

const std::vector<std::string>& bidirectional_merge_modes() {
  static const std::vector<std::string> modes = {"concat", "sum", "mul", "ave"};
  return modes;
}

BidirectionalImpl::BidirectionalImpl(const Layer& layer, BidirectionalOptions options)
    : LayerImpl("bidirectional", checked_name(layer, options)),
      options_(std::move(options)),
      forward_(copy_of(*layer.as<RecurrentImpl>(), "forward_", layer.as<RecurrentImpl>()->options().go_backwards)),
      backward_(copy_of(*layer.as<RecurrentImpl>(), "backward_", !layer.as<RecurrentImpl>()->options().go_backwards)) {}

Tensor BidirectionalImpl::forward(const std::vector<Tensor>& inputs, const CallOptions& options) {
  const Tensor y_forward = forward_(inputs.front(), options);
  Tensor y_backward = backward_(inputs.front(), options);
  if (backward_.impl().options().return_sequences) y_backward = reverse(y_backward, 1);
  const std::string& mode = options_.merge_mode;
  if (mode == "concat") return concat({y_forward, y_backward}, -1);
  if (mode == "sum") return y_forward + y_backward;
  if (mode == "mul") return y_forward * y_backward;
  return (y_forward + y_backward) * 0.5;
}

std::vector<Variable> BidirectionalImpl::variables() const {
  std::vector<Variable> out = forward_.variables();
  const std::vector<Variable> back = backward_.variables();
  out.insert(out.end(), back.begin(), back.end());
  // Trainable first, as every layer lists them.
  std::stable_partition(out.begin(), out.end(), [](const Variable& v) { return v.trainable(); });
  return out;
}

void BidirectionalImpl::set_trainable(bool trainable) {
  LayerImpl::set_trainable(trainable);
  forward_.set_trainable(trainable);
  backward_.set_trainable(trainable);
}

std::string BidirectionalImpl::config_summary() const {
  return fmt::format("merge_mode={}, layer={}({})", options_.merge_mode, forward_.type(),
                     forward_.impl().config_summary());
}

Bidirectional::Bidirectional(const Layer& layer, BidirectionalOptions options)
    : Layer(std::make_shared<BidirectionalImpl>(layer, std::move(options))) {}

}  // namespace gradlab
