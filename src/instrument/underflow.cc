#include "gradlab/instrument/underflow.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

using GradOf = const std::optional<GradientStats> LayerCallRecord::*;
constexpr GradOf kGradients[] = {&LayerCallRecord::output_grad, &LayerCallRecord::input_grad};

void check_reference(const PassRecord& pass, const PassRecord& reference) {
  if (reference.dtype != DType::float64) {
    fail("float32_underflow: the reference pass is {}, expected float64", dtype_name(reference.dtype));
  }
  if (reference.layers.size() != pass.layers.size()) {
    fail("float32_underflow: the reference pass has {} layer calls, the pass {}", reference.layers.size(),
         pass.layers.size());
  }
  for (std::size_t i = 0; i < pass.layers.size(); ++i) {
    if (reference.layers[i].layer != pass.layers[i].layer) {
      fail("float32_underflow: layer call {} is '{}' in the pass but '{}' in the reference", i, pass.layers[i].layer,
           reference.layers[i].layer);
    }
  }
}

std::string span_of(const std::vector<std::string>& layers) {
  if (layers.size() == 1) return "in " + layers.front();
  return fmt::format("in {} layer calls ({} to {})", layers.size(), layers.front(), layers.back());
}

}  // namespace

Float32Underflow float32_underflow(const PassRecord& pass, const PassRecord* float64_reference) {
  if (float64_reference) check_reference(pass, *float64_reference);
  Float32Underflow u;
  u.measured_in_float64 = pass.dtype == DType::float64;
  double min_norm = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < pass.layers.size(); ++i) {
    int64_t concerned = 0;
    for (GradOf grad : kGradients) {
      const std::optional<GradientStats>& g = pass.layers[i].*grad;
      if (!g) continue;
      int64_t here = g->below_float32_normal_count;
      const GradientStats* f64 = u.measured_in_float64 ? &*g : nullptr;
      if (!u.measured_in_float64 && float64_reference) {
        const std::optional<GradientStats>& r = float64_reference->layers[i].*grad;
        if (r) {
          here += std::max<int64_t>(0, g->zero_count - r->zero_count);
          f64 = &*r;
        }
      }
      concerned += here;
      if (here > 0 && f64) min_norm = std::min(min_norm, f64->l2_norm);
    }
    if (concerned > 0) {
      u.layers.push_back(pass.layers[i].layer);
      u.elements += concerned;
    }
  }
  u.underflowed = !u.layers.empty();
  if (!u.underflowed) return u;
  if (std::isfinite(min_norm)) u.float64_min_norm = min_norm;
  const std::string norms =
      u.float64_min_norm > 0 ? fmt::format("; in float64 their gradient norms go down to {:.3e}", u.float64_min_norm) : "";
  if (u.measured_in_float64) {
    u.message = fmt::format(
        "float32 would underflow: {} gradient values {} are below {:.3e}, float32's smallest normal number "
        "(float32 would hold them as subnormals or 0){}.",
        u.elements, span_of(u.layers), kFloat32MinNormal, norms);
  } else {
    u.message = fmt::format("float32 underflowed: {} gradient values {} are subnormal or were lost to 0{}{}.", u.elements,
                            span_of(u.layers), float64_reference ? " where float64 gives non-zero values" : "", norms);
  }
  return u;
}

bool suspect_float32_underflow(const PassRecord& pass) {
  for (const LayerCallRecord& call : pass.layers) {
    for (GradOf grad : kGradients) {
      const std::optional<GradientStats>& g = call.*grad;
      if (g && (g->below_float32_normal_count > 0 || g->l2_norm < kFloat32MinNormal)) return true;
    }
  }
  return false;
}

}  // namespace gradlab
