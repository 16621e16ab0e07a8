#pragma once
/// FlowSummary: how the gradient norm changes over the depth of a probed pass, and a verdict —
/// vanishing, exploding, healthy, nonfinite or zero — with the layers where saturation and dead
/// units begin.
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
///   squared gain         g = G^2, the per-layer factor of the squared norm: what the mean-field
///                        theory's chi_1 predicts for a fully connected network (Poole et al. 2016,
///                        eq. 7; Schoenholz et al. 2017, eq. 9; theory/mean_field.h);
///   depth scale          xi = -1 / ln g when g < 1, the number of layers over which the squared norm
///                        shrinks by e (Schoenholz et al. 2017, eq. 13's xi_grad measured); 1 / ln g
///                        when g > 1, the layers over which it grows by e; +infinity at g = 1;
///   first/last ratio     R = g_1 / g_n;
///   verdict              nonfinite when some g_k is infinite or NaN (the gradient overflowed or a
///                        NaN reached it); zero when g_1 is exactly 0 (no gradient reaches the first
///                        layer: nothing below trains); otherwise, with L the number of layers on the
///                        depth axis, vanishing when g < 1 and L > k xi, exploding when g > 1 and
///                        L > k xi, healthy otherwise. k = FlowThresholds::trainable_depth_scales,
///                        6 by default: Schoenholz et al. 2017 (section 5, Fig. 5) find networks
///                        trainable up to a depth of about 6 xi. L > k xi is L |ln g| > k: the
///                        fitted squared norm changes by more than e^k (e^6 ~ 403, the norm by
///                        e^3 ~ 20) from the last layer to the first.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/probe.h"

namespace gradlab {

/// The verdict of a FlowSummary (see the file comment). kFlowVerdicts lists them in order.
enum class FlowVerdict { vanishing, exploding, healthy, nonfinite, zero };

/// Every FlowVerdict, in the order counts are printed.
inline constexpr FlowVerdict kFlowVerdicts[] = {FlowVerdict::vanishing, FlowVerdict::exploding, FlowVerdict::healthy,
                                                FlowVerdict::nonfinite, FlowVerdict::zero};

/// "vanishing", "exploding", "healthy", "nonfinite" or "zero".
const char* flow_verdict_name(FlowVerdict verdict);

/// Thresholds of summarize_flow(); see the file comment.
struct FlowThresholds {
  /// k: a network deeper than k depth scales is vanishing or exploding (Schoenholz et al. 2017
  /// find trainability up to about 6 xi).
  double trainable_depth_scales = 6;
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
  /// g = G^2, the per-layer gain of the squared norm (NaN with G).
  double squared_gain = 0;
  /// xi = 1 / |ln g| (+infinity at g = 1, NaN with g): layers over which the squared norm changes by e.
  double depth_scale = 0;
  /// L, the number of layers on the depth axis.
  int depth = 0;
  /// Per depth layer k, (g_k / g_{k+1})^2: the gain of the squared norm through layer k (the last
  /// layer's is NaN, as is a ratio with a zero or non-finite norm).
  std::vector<double> layer_gains;
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

/// The verdict of a network of `depth` layers whose squared gradient norm changes by `squared_gain`
/// per layer (the file comment's rule; healthy when the gain is NaN). For norms already known to be
/// finite with a non-zero first one.
FlowVerdict verdict_of_gain(double squared_gain, int depth, const FlowThresholds& thresholds = {});

/// The verdict rule in one sentence, with the thresholds' k, for captions and legends: "vanishing
/// (g < 1) or exploding (g > 1) when the network is deeper than 6 xi, ...".
std::string flow_verdict_rule(const FlowThresholds& thresholds = {});

/// The per-layer squared gain g = R^(2 / layers_apart) of a ratio R of gradient norms taken
/// `layers_apart` layers apart (the nearer the input over the nearer the output); NaN when
/// layers_apart < 1 or R is not a positive finite number.
double squared_gain_of_ratio(double ratio, int layers_apart);

/// xi = 1 / |ln g| for a squared gain g (+infinity at g = 1, NaN for NaN).
double gain_depth_scale(double squared_gain);

/// G of the file comment: exp(-slope) of the least-squares line through (k, ln norms[k]) over the
/// finite, positive norms; NaN when fewer than two.
double fitted_norm_gain(const std::vector<double>& norms);

/// Summarizes `pass`; see the file comment. A pass without layer calls is an Error.
FlowSummary summarize_flow(const PassRecord& pass, const FlowThresholds& thresholds = {});

}  // namespace gradlab
