#pragma once
/// The mean-field theory's prediction beside a probe's measurement, layer by layer, for a fully
/// connected network with Gaussian weights N(0, sigma_w2 / fan_in) and biases N(0, sigma_b2) (Poole et
/// al. 2016, "Exponential expressivity in deep neural networks through transient chaos"; Schoenholz
/// et al. 2017, "Deep Information Propagation"; theory/mean_field.h).
///
///   ConfigurationProbe p = probe_subject(subject, {.pass = {.training = true,
///       .probe = {.signal = true}, .loss = ProbeLoss::random_projection}});
///   MeanFieldComparison m = compare_with_mean_field(p.pass, p.summary, "tanh", {.sigma_w2 = 1.5, .sigma_b2 = 0.05});
///   // m.layers[k].q beside p.pass.layers[p.summary.depth_layers[k]].pre_activation->mean_square
///
/// The prediction starts from the measured input (PassRecord::input_signal: q^0 = mean(x^2) and
/// its correlation c^0 between examples): the first layer's pre-activations have
/// q^1 = sigma_w2 q^0 + sigma_b2 and q^1_12 = sigma_w2 q^0 c^0 + sigma_b2; every later layer follows
/// the length map (q^l from q^{l-1}) and the correlation map (q^l_12 from q^{l-1} and c^{l-1}),
/// c^l = q^l_12 / q^l. The predicted gain of layer l is chi(q^l) = sigma_w2 E[phi'(sqrt(q^l) z)^2],
/// which tends to chi_1 (at q*) as q^l reaches q*.
///
/// The gain the theory predicts is a mean over weight draws under the gradient independence
/// assumption (the backward pass's weights treated as independent of the forward pass's:
/// Schoenholz et al. 2017, section 4). The probe loss mean(output) breaks it: its upstream gradient
/// is the same for every example and aligned with the forward signal, and a ReLU stack of width 512
/// measured 0-10% above chi_1 with it. Compare with ProbeLoss::random_projection, whose upstream
/// gradient is independent of the forward pass.

#include <optional>
#include <string_view>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/nn/gaussian_init.h"
#include "gradlab/theory/mean_field.h"

namespace gradlab {

/// The theory's figures for one weight layer l (the depth axis of FlowSummary).
struct MeanFieldLayer {
  double q = 0;     ///< q^l, the mean squared pre-activation
  double c = 0;     ///< c^l, the correlation between two inputs' pre-activations (NaN when q^l is 0)
  double gain = 0;  ///< chi(q^l), the gain of the squared gradient norm through layer l
};

/// The theory beside a probed pass.
struct MeanFieldComparison {
  /// q*, chi_1, the depth scales and the phase at (sigma_w2, sigma_b2).
  theory::SignalPropagation fixed_point;
  /// One per layer of the summary's depth axis.
  std::vector<MeanFieldLayer> layers;
  /// The first layer (0-based on the depth axis) from which every predicted gain is within 0.1% of
  /// chi_1: the end of the transient; the depth when there is none.
  int transient = 0;
  /// The mean of FlowSummary::layer_gains over the layers from `transient` on that have one (the
  /// last layer has none); NaN when there is no such layer or chi_1 is not defined.
  double measured_mean_gain = 0;
  /// How many layers that mean is over.
  int gain_layers = 0;
};

/// The theory's figures beside `pass` and its `summary`, for a network whose every weight layer is
/// Dense(activation) initialized by `init`; nullopt when the pass has no input_signal (recorded with
/// GradientProbeOptions::signal). Throws Error for an activation without a mean-field map.
std::optional<MeanFieldComparison> compare_with_mean_field(const PassRecord& pass, const FlowSummary& summary,
                                                           std::string_view activation, const GaussianInit& init);

}  // namespace gradlab
