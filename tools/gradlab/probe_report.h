#pragma once
// What `gradlab probe` computed, as one plain struct, and the three ways it is printed. The command
// (probe_command.cc) fills a ProbeReport through run_probe (probe_run.cc); the printers only read it.

#include "data_inputs.h"
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/instrument/underflow.h"
#include "gradlab/lab/conv_network.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/dynamical_isometry.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/mean_field_comparison.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/lab/spec_variant.h"

namespace gradlab::cli {

/// The network and input options of `gradlab probe`, as parsed.
struct ProbeSettings {
  // A model spec, its weights (fresh initialization from `seed` when empty) and an input file.
  std::string model, weights, input;
  // The inline network: SkipNetworkOptions in the command's words, with its defaults (the lesson's).
  int depth = SkipNetworkOptions{}.depth;
  int64_t width = SkipNetworkOptions{}.units, batch = SkipNetworkOptions{}.batch,
          features = SkipNetworkOptions{}.input_features;
  std::string activation = SkipNetworkOptions{}.activation, init = SkipNetworkOptions{}.kernel_initializer.name(),
              norm = "none", skip = "none";
  // The inline recurrent network (--cell): depth layers of `width` units over time_steps steps, with
  // `activation` (tanh unless given), `init` for the kernels and recurrent_init for the recurrent
  // kernels; norm "layer" makes layer-normalized cells. Empty: the Dense network.
  std::string cell;
  int64_t time_steps = RecurrentNetworkOptions{}.time_steps;
  std::string recurrent_init = RecurrentNetworkOptions{}.recurrent_initializer.name();
  // The inline convolutional network (--conv, lab/conv_network.h): depth blocks of `filters`
  // kernel_size x kernel_size convolutions on [batch, image] inputs, with activation, init, norm and
  // skip as for Dense.
  bool conv = false;
  int64_t filters = ConvNetworkOptions{}.filters, kernel_size = ConvNetworkOptions{}.kernel_size;
  std::array<int64_t, 3> image = ConvNetworkOptions{}.image;
  std::string input_dist = "uniform", dtype, mode = "training";
  // The scalar differentiated: a name of kProbeLossWords; its projection is drawn from `seed`.
  std::string probe_loss = "auto";
  uint64_t seed = 0;
  /// Batches of drawn inputs the dead-unit measurement runs over (probe_subject); with --input or
  /// --data it runs over the given examples instead.
  int dead_batches = kDefaultDeadUnitBatches;
  /// Inline network initialized by variances (--sigma-w2, --sigma-b2) instead of --init.
  std::optional<GaussianInit> gaussian_init;
  FlowThresholds thresholds;
  /// --data: the input taken from real examples instead of drawn or read from --input; with --cell the
  /// examples set the time steps and features, with --conv the image (they replace time_steps, image).
  DataInputSettings data;
  /// With `model`: the --init and --activation given, applied to the spec as a sweep does
  /// (apply_spec_overrides).
  SpecOverrides overrides;
  /// A model object to probe in place of `model` or the inline network (gradlab.probe from Python),
  /// and its inputs; empty inputs are drawn ([batch, input shape] from input_dist and seed), which
  /// needs a functional Model (its inputs have shapes).
  std::optional<Layer> layer;
  std::vector<Tensor> layer_inputs;
  /// --jacobian-spectrum: the singular values of the input-output Jacobian of the inline Dense
  /// network for the input's first example (Pennington et al. 2017), at depths 1, 2, 4, ... and the
  /// network's depth.
  bool jacobian_spectrum = false;
};

/// The most units (and input features) --jacobian-spectrum accepts: each depth costs that many
/// backward passes and a singular value decomposition of that size.
inline constexpr int64_t kMaxJacobianSpectrumUnits = kMaxIsometryWidth;

/// The spectrum of the probed network's Jacobian for one example (ProbeSettings::jacobian_spectrum).
struct ProbeJacobian {
  /// One per depth, ascending; predicted_mean_squared is set when the report has the mean-field
  /// theory (NaN otherwise): width / min(width, features) times the product of the theory's chi(q^l)
  /// over the first `depth` layers, the expectation of ||J||_F^2 / min(m, n).
  std::vector<IsometryDepth> depths;
  int64_t example = 0;  ///< the row of the input it was taken for
};

/// The inline convolutional network the settings describe (--conv).
ConvNetworkOptions conv_network_options(const ProbeSettings& s);

/// One probe: what ran, the pass, its summary over depth and the float32 underflow check.
struct ProbeReport {
  /// "inline: 50 x Dense(256, tanh), glorot_uniform, no skip, norm none" or "model net (net.json)".
  std::string network;
  /// "64 x 256 drawn from U[0, 1), seed 0" or "x.safetensors".
  std::string input;
  std::string mode;  ///< "training" or "inference"
  uint64_t seed = 0;
  /// The variances the inline network was initialized by, when --sigma-w2 was given.
  std::optional<GaussianInit> gaussian_init;
  PassRecord pass;
  FlowSummary summary;
  Float32Underflow underflow;
  /// True when a float64 twin of a float32 network was probed to confirm underflow.
  bool compared_with_float64 = false;
  /// The time axis of the recurrent layers (empty without one).
  ThroughTimeRecord through_time;
  /// The mean-field theory beside the measurement: set for the inline network initialized by
  /// variances (--sigma-w2) without skip connections or normalization, a fully connected network
  /// with Gaussian weights, which is what the theory describes.
  std::optional<MeanFieldComparison> mean_field;
  /// Set when asked (ProbeSettings::jacobian_spectrum).
  std::optional<ProbeJacobian> jacobian;
};

/// The depths --jacobian-spectrum measures for a network of `depth` layers: 1, 2, 4, ... below it,
/// then `depth`.
std::vector<int> jacobian_spectrum_depths(int depth);

/// The Jacobian spectrum as text: a table with one row per depth (mean squared singular value, the
/// theory's when known, variance of the squared singular values, sigma_max, sigma_min, their ratio)
/// and a reading chosen from the figures; "" without one.
std::string jacobian_text(const ProbeReport& report);

/// The Jacobian spectrum as JSON: "example", "depths" (depth, mean_squared, predicted_mean_squared,
/// variance_squared, largest, smallest, condition_number, singular_values); null without one.
nlohmann::ordered_json jacobian_json(const ProbeReport& report);

/// One weight layer's forward signal and gradient gain (the summary's depth axis), measured and,
/// when the report has the theory, predicted.
struct SignalRow {
  std::string layer;
  /// q and c of the layer's pre-activations (LayerCallRecord::pre_activation); unset for layers
  /// that are not Dense.
  std::optional<SignalStats> measured;
  /// (g_k / g_{k+1})^2, FlowSummary::layer_gains; NaN for the last layer.
  double gain = 0;
  std::optional<MeanFieldLayer> theory;
};

/// The rows of the report's depth axis, in order.
std::vector<SignalRow> signal_rows(const ProbeReport& report);

/// The sentence that says how the measured mean gain compares with chi_1, or why it does not
/// (with the probe loss that breaks the theory's assumption); empty without the theory.
std::string mean_field_sentence(const ProbeReport& report);

/// Builds the network and input of `settings`, probes them (anomaly detection on) and summarizes.
/// Bad files or options are UsageErrors; failures while running are gradlab::Errors.
ProbeReport run_probe(const ProbeSettings& settings);

/// The terminal form: a heading, one row per layer call with a log-scale bar of its gradient norm,
/// then the summary, the verdict, float32 underflow and the anomaly check.
std::string probe_text(const ProbeReport& report);

/// The JSON form: "command", "version", "network", "sigma_w2", "sigma_b2" (null unless the inline
/// network was initialized by variances), "input", "dtype", "mode", "seed", "loss",
/// "input_grad", "layers" (every statistic of every layer call), "summary", "underflow", "anomaly"
/// (null when none), "through_time" (null without a recurrent layer: through_time_json). Non-finite
/// numbers become null.
nlohmann::ordered_json probe_json(const ProbeReport& report);

/// The CSV form: a header line and one row per layer call (no summary; see the JSON form); a
/// recurrent layer's row also carries its time axis in brief (steps, gain per step, first/last
/// ratio, verdict in time, σ_max of its first gate block, Pascanu bound, forget gate saturation).
std::string probe_csv(const ProbeReport& report);

/// The layers × time grid as CSV: "layer,cell,step,state_grad_norm", one row per layer and step
/// (bottom layer first, step 0 first); only the header without a measured recurrent layer.
std::string through_time_csv(const ThroughTimeRecord& record);

/// The header fields probe_csv adds for the time axis, and one layer's values (empty fields for a
/// layer without one).
std::string through_time_csv_columns();
std::string through_time_csv_fields(const ThroughTimeRecord& record, const std::string& layer);

/// The time axis as JSON: "verdict", "reason", "first_to_last_ratio" and "layers", each with "layer",
/// "cell", "time_steps", "layer_norm", "state_grad_norm" (one per step), "gain_per_step",
/// "first_to_last_ratio", "verdict", "spectrum" ("gates": gate, largest_singular_value,
/// spectral_radius; "pascanu_bound", "vanishing_guaranteed") and "gates" (gate, near_zero, near_one);
/// null for an empty record.
nlohmann::ordered_json through_time_json(const ThroughTimeRecord& record);

/// The time axis as text: a table of the recurrent layers (gain per step, first/last ratio, verdict in
/// time, σ_max and ρ beside the Pascanu bound, saturated gates), the layers × time grid at up to
/// `columns` evenly spaced steps, and the verdict over layers × time; "" for an empty record.
std::string through_time_text(const ThroughTimeRecord& record, int columns = 10);

}  // namespace gradlab::cli
