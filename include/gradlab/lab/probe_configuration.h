#pragma once
/// Probing one configuration, written once: the lesson's network (a SkipNetwork) or a model spec,
/// with its input, in one probed pass (probe_pass), summarized over depth (summarize_flow), with
/// float32 underflow checked against a float64 twin when the float32 gradients look underflowed.
/// `gradlab probe` (tools/gradlab/probe_run.cc), every row of a sweep (run_sweep_config, sweep_run.h)
/// and the report's study (tools/gradlab/report_study.cc) build their networks here, so a sweep row
/// and `gradlab probe --seed` of the same configuration agree bit for bit.
///
///   auto rng = std::make_shared<Rng>(seed);
///   SkipNetworkOptions network{.depth = 16, .activation = "tanh"};
///   Tensor x = draw_probe_input(network, InputDistribution::uniform, *rng);  // the input first,
///   ProbeSubject subject = skip_network_subject(network, x, rng);           // then the kernels
///   ConfigurationProbe probe = probe_subject(subject, {});
///
/// Draws, as the lesson makes them: a SkipNetwork's input from the generator first, then its kernels
/// from the same generator as the first call builds the layers; a spec's kernels from Rng(seed) as
/// its model is built, its input from a stream of its own (draw_spec_inputs, spec_variant_inputs).

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/instrument/through_time.h"
#include "gradlab/instrument/underflow.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/lab/spec_variant.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The largest lesson network a probe, sweep or report accepts: Dense layers.
inline constexpr int kMaxProbeDepth = 10000;
/// The most units per Dense layer, rows per input batch and input features.
inline constexpr int64_t kMaxProbeUnits = int64_t{1} << 20;
/// The most trials of one configuration in a sweep.
inline constexpr int kMaxSweepTrials = 1000000;
/// The most configurations of one sweep.
inline constexpr int64_t kMaxSweepConfigurations = 10000000;
/// Batches the dead-unit measurement runs over by default (ConfigurationProbeOptions), and the most.
inline constexpr int kDefaultDeadUnitBatches = 8;
inline constexpr int kMaxDeadUnitBatches = 10000;

/// A network ready to probe: how to run it, its inputs, and how to make the same network in float64.
struct ProbeSubject {
  ProbeForward forward;
  std::vector<Tensor> inputs;
  /// The same network with the same weights in float64, run on `inputs` in float64 (called only
  /// to confirm float32 underflow, after the float32 pass).
  std::function<ProbeForward()> float64_forward;
  /// Batch b (b >= 1) of inputs drawn as `inputs` were, from a stream of its own (more_inputs_seed),
  /// for the dead-unit measurement; unset when the inputs were given (a file, a data set): dead
  /// units are then measured over those examples.
  std::function<std::vector<Tensor>(int64_t b)> more_inputs;
  /// The network itself when the subject is a SkipNetwork (skip_network_subject), for measurements
  /// of its layers beyond the probed pass (the Jacobian's spectrum, lab/dynamical_isometry.h);
  /// null otherwise. Its layers are built once the subject has run.
  std::shared_ptr<const SkipNetwork> skip_network;
};

/// The seed of batch b of a subject's more_inputs, for a subject drawn from `seed`: a stream of
/// its own, so the probed pass is the same whether or not more batches are drawn.
uint64_t more_inputs_seed(uint64_t seed, int64_t b);

/// more_inputs for a SkipNetwork probed on an input drawn with draw_probe_input(network,
/// distribution, ...): batch b is draw_probe_input from Rng(more_inputs_seed(seed, b)).
std::function<std::vector<Tensor>(int64_t)> more_probe_inputs(const SkipNetworkOptions& network,
                                                              InputDistribution distribution, uint64_t seed);

/// The probe's input of `network` (probe_input_shape(), in network.dtype), drawn from
/// `distribution` (U[0, 1) or N(0, 1)) with `rng`.
Tensor draw_probe_input(const SkipNetworkOptions& network, InputDistribution distribution, Rng& rng);

/// `network` as a SkipNetwork on `input`, its kernels drawn from `rng` on the first call (the subject
/// keeps `rng` alive until then).
ProbeSubject skip_network_subject(const SkipNetworkOptions& network, const Tensor& input, std::shared_ptr<Rng> rng);

/// `spec` built in `dtype` with its kernels drawn from Rng(seed), then `weights` (if given) loaded,
/// converted to `dtype`. Its inputs are left empty: the caller gives them (draw_spec_inputs, a file).
/// Throws Error when the spec cannot be built or the weights do not fit it.
ProbeSubject spec_subject(const ModelSpec& spec, DType dtype, uint64_t seed, const TensorFile* weights = nullptr);

/// A spec variant with configuration seed `seed`: apply_spec_overrides, spec_subject in the variant's
/// dtype, and spec_variant_inputs(variant, seed); when the variant draws its inputs, more_inputs
/// draws batch b with spec_variant_inputs(variant, more_inputs_seed(seed, b)). Throws Error for a variant without a spec.
ProbeSubject spec_variant_subject(const SpecVariant& variant, uint64_t seed);

/// How probe_subject() probes.
struct ConfigurationProbeOptions {
  /// Training mode, anomaly detection and what the GradientProbe records.
  ProbePassOptions pass{.training = true};
  FlowThresholds thresholds;
  /// Check float32 underflow (float32_underflow), probing the float64 twin when the float32
  /// gradients look underflowed (suspect_float32_underflow); off, `underflow` stays empty.
  bool check_underflow = true;
  /// Forward passes (batches) the dead-unit measurement runs over when the subject draws its inputs
  /// (ProbeSubject::more_inputs): the probed pass's batch again, then batches 1 .. n-1 (8 batches
  /// of 32: 256 examples). With given inputs it runs once, over them. 0 leaves it out. Only passes
  /// with a relu layer call pay for it: forward passes after the probed one, in the same mode.
  int dead_unit_batches = kDefaultDeadUnitBatches;
  /// Measure the time axis (probe_through_time, a second pass in inference mode) when the pass has
  /// a recurrent layer call; off, or without one, `through_time` stays empty.
  bool through_time = true;
};

/// What probing one configuration found.
struct ConfigurationProbe {
  PassRecord pass;
  FlowSummary summary;
  Float32Underflow underflow;
  /// True when the float64 twin was probed to confirm underflow.
  bool compared_with_float64 = false;
  /// The recurrent layers' state gradients through time, kernel spectra and gates (see
  /// ConfigurationProbeOptions::through_time).
  ThroughTimeRecord through_time;
};

/// Whether `pass` called a recurrent layer (SimpleRNN, LSTM, GRU).
bool has_recurrent_layer(const PassRecord& pass);

/// One probed pass of `subject`, its dead units over options.dead_unit_batches batches (recorded in
/// the pass: LayerCallRecord::dead_fraction), its summary over depth and (when asked) the underflow
/// check and the time axis.
ConfigurationProbe probe_subject(const ProbeSubject& subject, const ConfigurationProbeOptions& options);

}  // namespace gradlab
