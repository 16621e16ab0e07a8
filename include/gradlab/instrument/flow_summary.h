#pragma once
/// FlowSummary: how the gradient norm changes over the depth of a probed pass, and a verdict —
/// vanishing, exploding or healthy — with the layers where saturation and dead units begin.
///
///   PassRecord pass = probe_pass(model, {x}, {.training = true});
///   FlowSummary s = summarize_flow(pass);
///   if (s.verdict == FlowVerdict::vanishing) std::cout << s.reason << "\n";
///
/// The depth axis is the sequence of weight layers (calls of layers with a "kernel" variable, such
/// as Dense: LayerCallRecord::has_kernel), in call order, whether or not the pass recorded variable
/// statistics; when a pass has none, every call of a layer with variables of its own, and failing
/// that every call. Layer k's gradient norm g_k is ||dL/d input of layer k||_2 when the
/// pass recorded every such input gradient (so g_1 is the lesson's input-gradient norm), otherwise
/// ||dL/d output of layer k||_2.
///
///   mean per-layer gain  G = exp(-b), with b the least-squares slope of ln g_k against k over the
///                        layers with a finite, non-zero norm: the factor by which the norm changes
///                        per layer as the gradient flows back from the output toward the input
///                        (G < 1 shrinks, G > 1 grows);
///   first/last ratio     R = g_1 / g_n;
///   verdict              exploding when some g_k is infinite or NaN, or R > exploding_ratio;
///                        vanishing when g_1 is 0 (nothing reaches the first layer) or
///                        R < vanishing_ratio; healthy otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/probe.h"

namespace gradlab {

/// The verdict of a FlowSummary.
enum class FlowVerdict { vanishing, exploding, healthy };

/// "vanishing", "exploding" or "healthy".
const char* flow_verdict_name(FlowVerdict verdict);

/// Thresholds of summarize_flow(); see the file comment.
struct FlowThresholds {
  /// R = g_1 / g_n below this is vanishing: the first layer gets less than 1% of the last's gradient.
  double vanishing_ratio = 1e-2;
  /// R above this is exploding: the first layer gets more than 100 times the last's gradient.
  double exploding_ratio = 1e2;
  /// A layer call whose saturated_fraction exceeds this is where saturation begins.
  double saturated_fraction = 0.1;
  /// A layer call whose dead_fraction (over PassRecord::dead_unit_examples examples) exceeds this is
  /// where dead units begin.
  double dead_fraction = 0.1;
};

/// Which gradient a FlowSummary's norms measure.
enum class FlowMeasure { input_grad, output_grad };

/// The summary of one pass over its depth.
struct FlowSummary {
  FlowMeasure measure = FlowMeasure::input_grad;
  /// Indices into PassRecord::layers of the depth axis, and their gradient norms g_k.
  std::vector<std::size_t> depth_layers;
  std::vector<double> grad_norms;
  /// G; NaN when fewer than two layers have a finite, non-zero norm.
  double mean_gain = 0;
  /// R = g_1 / g_n (NaN when g_n is 0 or either is not finite; 1 for a single layer).
  double first_to_last_ratio = 0;
  FlowVerdict verdict = FlowVerdict::healthy;
  /// One sentence saying why, with the figures.
  std::string reason;
  /// The first layer call (in call order) whose saturated fraction exceeds the threshold.
  std::optional<std::string> saturation_begins;
  /// The first layer call whose dead fraction over the examples (LayerCallRecord::dead_fraction)
  /// exceeds the threshold; unset when none does or it was not measured.
  std::optional<std::string> dead_units_begin;
  FlowThresholds thresholds;
};

/// Summarizes `pass`; see the file comment. A pass without layer calls is an Error.
FlowSummary summarize_flow(const PassRecord& pass, const FlowThresholds& thresholds = {});

}  // namespace gradlab
