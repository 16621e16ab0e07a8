#include "gradlab/instrument/dead_units.h"

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/error.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/instrument/probe.h"
#include "kernels/stats.h"

namespace gradlab {

void UnitActivity::on_layer_call(const LayerImpl& layer, const std::vector<Tensor>&, const Tensor& output,
                                 const CallOptions&) {
  if (is_container_layer(layer)) return;
  if (next_ == units_.size()) units_.emplace_back();
  Units& u = units_[next_++];
  const ActivationFacts* facts = find_activation_facts(layer_activation(layer));
  if (facts == nullptr || !facts->dead_units) return;
  const int64_t n = output.numel();
  const int64_t width = output.rank() == 0 ? 1 : output.dim(output.rank() - 1);
  if (!u.counted) {
    u.counted = true;
    u.active.assign(static_cast<std::size_t>(width), 0);
  } else if (static_cast<int64_t>(u.active.size()) != width) {
    fail("{}: layer call {} has {} units, but {} in an earlier pass", layer.name(), next_ - 1, width, u.active.size());
  }
  u.examples += output.rank() == 0 ? 1 : output.dim(0);
  if (width == 0) return;
  if (output.dtype() == DType::float64) {
    kernels::mark_active_units(output.data<double>(), n / width, width, u.active.data());
  } else {
    const Tensor y = output.dtype() == DType::float32 ? output : output.to(DType::float32);
    kernels::mark_active_units(y.data<float>(), n / width, width, u.active.data());
  }
}

void UnitActivity::end_pass() { next_ = 0; }

int64_t UnitActivity::examples(std::size_t call) const {
  return call < units_.size() ? units_[call].examples : 0;
}

std::optional<double> UnitActivity::dead_fraction(std::size_t call) const {
  if (call >= units_.size() || !units_[call].counted) return std::nullopt;
  const std::vector<uint8_t>& active = units_[call].active;
  if (active.empty()) return 0.0;
  int64_t dead = 0;
  for (uint8_t a : active) dead += a == 0;
  return static_cast<double>(dead) / static_cast<double>(active.size());
}

}  // namespace gradlab
