#include "gradlab/instrument/anomaly.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

namespace gradlab {
namespace {

// A value is NaN or infinite exactly when its exponent bits are all ones. Testing the bits with an
// OR-reduction lets the compiler vectorize the scan, which a floating-point test would not.
template <typename T>
bool any_non_finite(const T* x, int64_t n) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr Bits kExponent = static_cast<Bits>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
  Bits found = 0;
  for (int64_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, x + i, sizeof b);
    found |= static_cast<Bits>((b & kExponent) == kExponent);
  }
  return found != 0;
}

template <typename T>
NonFinite locate(const T* x, int64_t n) {
  NonFinite r;
  if (!any_non_finite(x, n)) return r;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isfinite(x[i])) continue;
    if (r.count++ == 0) {
      r.first_index = i;
      r.first_value = static_cast<double>(x[i]);
    }
  }
  return r;
}

}  // namespace

const char* pass_phase_name(PassPhase phase) { return phase == PassPhase::forward ? "forward" : "backward"; }

std::string Anomaly::describe() const {
  const std::string where = layer.empty() ? "outside any layer" : fmt::format("layer '{}'", layer);
  const std::string what = phase == PassPhase::forward
                               ? fmt::format("op '{}' produced", op)
                               : fmt::format("the backward rule of op '{}' produced, for its input {},", op, input_index);
  return fmt::format("step {}, {}: {}, {} {} non-finite value{} (first {} at flat index {}) in {}", step,
                     pass_phase_name(phase), where, what, nonfinite_count, nonfinite_count == 1 ? "" : "s",
                     first_value, first_index, tensor);
}

AnomalyError::AnomalyError(Anomaly anomaly) : Error(anomaly.describe()), anomaly_(std::move(anomaly)) {}

NonFinite find_non_finite(const Tensor& t) {
  if (!t.defined()) return {};
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return locate(t.data<T>(), t.numel());
  });
}

AnomalyDetector::AnomalyDetector(AnomalyOptions options) : options_(options), installed_(*this) {}

void AnomalyDetector::on_forward(const char* op, const std::string& layer, const Tensor& output) {
  if (!options_.forward || first_) return;
  const NonFinite bad = find_non_finite(output);
  if (bad.count == 0) return;
  found({PassPhase::forward, step_, layer, op, -1, output.description(), bad.count, bad.first_index, bad.first_value});
}

void AnomalyDetector::on_backward(const TapeNode& node, const Tensor&, std::span<const Tensor> input_grads) {
  if (!options_.backward || first_) return;
  for (std::size_t i = 0; i < input_grads.size(); ++i) {
    const NonFinite bad = find_non_finite(input_grads[i]);
    if (bad.count == 0) continue;
    found({PassPhase::backward, step_, node.layer, node.op, static_cast<int64_t>(i), input_grads[i].description(),
           bad.count, bad.first_index, bad.first_value});
    return;
  }
}

void AnomalyDetector::found(Anomaly anomaly) {
  if (options_.raise_error) throw AnomalyError(std::move(anomaly));
  first_ = std::move(anomaly);
}

}  // namespace gradlab
