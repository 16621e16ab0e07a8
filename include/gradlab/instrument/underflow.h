#pragma once
/// Float32Underflow: whether float32 could not hold a pass's gradients. Float32's smallest normal
/// number is 2^-126 = 1.18e-38 (kFloat32MinNormal); below it values lose precision (subnormals) and
/// below 1.4e-45 they become 0. A gradient that vanishes over a deep sigmoid stack gets there, and
/// float32 then reports "no gradient" where there is a tiny one.
///
///   PassRecord f32 = probe_pass(model32, {x32});
///   PassRecord f64 = probe_pass(model64, {x64});                // same weights, in float64
///   Float32Underflow u = float32_underflow(f32, &f64);          // zeros where float64 has values
///   if (u.underflowed) std::cout << u.message << "\n";
///
/// A layer call underflowed in float32 when its output or input gradient has subnormal elements, or
/// — with a float64 reference of the same network and weights — more exact zeros than the float64
/// gradient has. In a float64 pass alone, a layer call would underflow in float32 when its gradient
/// has non-zero elements below 2^-126.

#include <string>
#include <vector>

#include "gradlab/instrument/probe.h"

namespace gradlab {

/// Where float32 could not hold the gradients of a pass.
struct Float32Underflow {
  /// True when some layer call's gradients underflowed (or would, for a float64 pass).
  bool underflowed = false;
  /// Whether the pass was float64 (the figures say what float32 would do) or float32 (what it did).
  bool measured_in_float64 = false;
  /// The layer calls concerned, in call order.
  std::vector<std::string> layers;
  /// Gradient elements concerned over those calls (subnormal, lost to zero, or below 2^-126).
  int64_t elements = 0;
  /// The smallest float64 gradient norm among the concerned calls, when float64 figures are known
  /// (0 otherwise).
  double float64_min_norm = 0;
  /// One or two sentences for people; empty when nothing underflowed.
  std::string message;
};

/// Checks `pass` (float32 or float64) for float32 underflow; `float64_reference` is an optional
/// float64 pass of the same network, weights and inputs (same layer calls in the same order),
/// used to tell zeros that underflowed from zeros that are exact (dead ReLUs). A reference with
/// other layer calls is an Error.
Float32Underflow float32_underflow(const PassRecord& pass, const PassRecord* float64_reference = nullptr);

/// True when a float32 pass shows signs of underflow worth confirming with a float64 reference:
/// subnormal gradient elements, or a layer call whose output or input gradient norm is below
/// 2^-126 (including exactly 0).
bool suspect_float32_underflow(const PassRecord& pass);

}  // namespace gradlab
