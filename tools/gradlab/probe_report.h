#pragma once
// What `gradlab probe` computed, as one plain struct, and the three ways it is printed. The command
// (probe_command.cc) fills a ProbeReport through run_probe (probe_run.cc); the printers only read it.

#include "data_inputs.h"
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/instrument/underflow.h"
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
  std::string input_dist = "uniform", dtype, mode = "training";
  // The scalar differentiated: a name of kProbeLossWords; its projection is drawn from `seed`.
  std::string probe_loss = "auto";
  uint64_t seed = 0;
  /// Inline network initialized by variances (--sigma-w2, --sigma-b2) instead of --init.
  std::optional<GaussianInit> gaussian_init;
  FlowThresholds thresholds;
  /// --data: the input taken from real examples instead of drawn or read from --input.
  DataInputSettings data;
  /// With `model`: the --init and --activation given, applied to the spec as a sweep does
  /// (apply_spec_overrides).
  SpecOverrides overrides;
  /// A model object to probe in place of `model` or the inline network (gradlab.probe from Python),
  /// and its inputs; empty inputs are drawn ([batch, input shape] from input_dist and seed), which
  /// needs a functional Model (its inputs have shapes).
  std::optional<Layer> layer;
  std::vector<Tensor> layer_inputs;
};

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
  /// The mean-field theory beside the measurement: set for the inline network initialized by
  /// variances (--sigma-w2) without skip connections or normalization, a fully connected network
  /// with Gaussian weights, which is what the theory describes.
  std::optional<MeanFieldComparison> mean_field;
};

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
/// (null when none). Non-finite numbers become null.
nlohmann::ordered_json probe_json(const ProbeReport& report);

/// The CSV form: a header line and one row per layer call (no summary; see the JSON form).
std::string probe_csv(const ProbeReport& report);

}  // namespace gradlab::cli
