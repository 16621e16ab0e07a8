#pragma once
/// GradientProbe: per-layer forward and backward statistics of a pass through any model, collected by
/// watching its layer calls and asking the tape, in its single backward pass, for the gradients with
/// respect to every layer's output and input as well.
///
///   GradientProbe probe;
///   GradientTape tape;
///   tape.watch(x);
///   Tensor loss;
///   {
///     ObserveLayerCalls observe(probe);               // forward statistics of every layer call
///     loss = mean(model(x));
///   }
///   auto grads = probe.gradient(tape, loss, model.trainable_variables());   // also backward stats
///   PassRecord pass = probe.take();                   // one LayerCallRecord per layer call
///   optimizer.apply(grads);                           // the gradients are the tape's, unchanged
///
/// or, for one probe of a network on a batch (watching the inputs, loss = mean of every output
/// element unless ProbePassOptions::loss says otherwise, anomaly detection on):
///
///   PassRecord pass = probe_pass(model, {x}, {.training = true});
///
/// Only leaf layers are recorded (a Model or Sequential call is not, its layers are). The gradient of
/// a layer's input is recorded when the tape tracks that input (for the first layer: when the model's
/// input is watched); of its output when the output was recorded on the tape. A layer called twice
/// has two records; its variables' gradients (the total over both calls) appear in the first.
/// Not installed, a probe costs nothing; installed, it reads every output once in the forward pass
/// and every gradient once as the tape completes it in the backward pass (GradientTape::gradient
/// with observed tensors), so no gradient is kept longer than without the probe
/// (bench/instrument_overhead.cc).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/instrument/anomaly.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/instrument/signal_stats.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Everything recorded about one layer call in one pass.
struct LayerCallRecord {
  std::string layer;       ///< "dense_3"
  std::string type;        ///< "dense"
  std::string activation;  ///< layer_activation(): "tanh", or "linear" for layers without one
  std::string output_shape;  ///< "[64, 256]"
  /// The layer has a variable named "kernel" (a weight layer, such as Dense): summarize_flow's
  /// depth axis. Set whether or not variables are recorded.
  bool has_kernel = false;
  /// The layer has variables of its own (the depth axis of a pass without weight layers).
  bool has_variables = false;
  ForwardStats output;
  /// std_across_examples(output) (example_spread.h): how much the output differs between examples;
  /// set when GradientProbeOptions::across_examples asks and the output has 2 or more examples.
  std::optional<double> std_across_examples;
  /// Share of the output's units that were 0 for every one of PassRecord::dead_unit_examples
  /// examples (UnitActivity, dead_units.h: dead over the data in Lu et al. 2019's sense); set for
  /// relu layer calls when the pass's caller measured it (probe_subject does), unset otherwise.
  /// output.silent_fraction is the same test on this pass's batch alone.
  std::optional<double> dead_fraction;
  /// q and c of the pre-activation x @ kernel + bias of a Dense call (signal_stats.h); set when
  /// GradientProbeOptions::signal asks.
  std::optional<SignalStats> pre_activation;
  /// Statistics of dL/d(output); unset when the output was not recorded on the tape.
  std::optional<GradientStats> output_grad;
  /// Statistics of dL/d(input), all inputs taken together (see combine()); unset when the tape does
  /// not track every input.
  std::optional<GradientStats> input_grad;
  /// One entry per trainable variable of the layer, on the layer's first call of the pass.
  std::vector<VariableGradientStats> variables;
};

/// The scalar probe_pass() differentiates. kProbeLossWords is the one table of their names.
///   mean               L = mean(y) over every output element: the lesson's tf.reduce_mean(output).
///   random_projection  L = mean(y * R), R a fixed tensor of N(0, 1) draws shaped like y (drawn from
///                      ProbePassOptions::projection_seed, one stream per output). dL/dy = R / n has
///                      the same expected squared norm as mean's 1 / n, but varies across examples.
///   automatic          random_projection when a batch normalization layer ran in training mode
///                      during the pass, mean otherwise.
/// Why: in training mode batch normalization's backward subtracts the batch mean of its upstream
/// gradient (Ioffe & Szegedy 2015, section 3, the backward formulas), so when its output reaches
/// the loss through a map that is the same for every example (a linear activation, another linear
/// layer) mean's constant dL/dy is removed and every gradient below it is 0 up to rounding. The same
/// reason makes grad_check project its outputs with a random tensor (DESIGN.md section 6).
enum class ProbeLoss { automatic, mean, random_projection };

/// The names of one ProbeLoss (Keras-style snake_case values for CLI options and JSON).
struct ProbeLossWords {
  ProbeLoss loss;
  std::string_view name;  ///< "auto", "mean" or "random_projection"
  /// For people: "mean(output)" or "mean(output * R), R ~ N(0, 1) fixed by the seed".
  std::string_view label;
};

/// Every ProbeLoss's words.
inline constexpr ProbeLossWords kProbeLossWords[] = {
    {ProbeLoss::automatic, "auto", "random_projection with batch normalization in training mode, mean otherwise"},
    {ProbeLoss::mean, "mean", "mean(output)"},
    {ProbeLoss::random_projection, "random_projection", "mean(output * R), R ~ N(0, 1) fixed by the seed"},
};

/// "auto", "mean" or "random_projection" (kProbeLossWords).
std::string_view probe_loss_name(ProbeLoss loss);
/// The label of kProbeLossWords for people.
std::string_view probe_loss_label(ProbeLoss loss);
/// Every name of kProbeLossWords, in its order (for CLI checks).
std::vector<std::string> probe_loss_names();
/// The ProbeLoss probe_loss_name() calls `name`; an Error listing the names otherwise.
ProbeLoss parse_probe_loss(std::string_view name);

/// One forward and backward pass, layer call by layer call.
struct PassRecord {
  int64_t step = 0;
  DType dtype = DType::float32;
  /// The differentiated scalar.
  double loss = 0;
  /// Which scalar probe_pass differentiated (never automatic: the choice it made). A pass recorded
  /// with GradientProbe directly says mean, whatever the caller differentiated.
  ProbeLoss loss_kind = ProbeLoss::mean;
  /// Layer calls in the order they ran.
  std::vector<LayerCallRecord> layers;
  /// ||dL/d input||_2 over all the model's inputs (the lesson's measure), when probe_pass ran it.
  std::optional<GradientStats> input_grad;
  /// q and c of the first input (signal_stats.h), when probe_pass ran with GradientProbeOptions::signal:
  /// where the mean-field theory's iteration starts.
  std::optional<SignalStats> input_signal;
  /// The first NaN or infinity of the pass, when probe_pass ran with anomaly detection.
  std::optional<Anomaly> anomaly;
  /// The examples and forward passes (batches) the layers' dead_fraction was measured over; 0 when
  /// it was not measured.
  int64_t dead_unit_examples = 0;
  int64_t dead_unit_batches = 0;
};

/// True for the layer calls probes do not record (Model and Sequential: their layers are recorded).
bool is_container_layer(const LayerImpl& layer);

/// Options of GradientProbe.
struct GradientProbeOptions {
  SaturationThresholds saturation;
  /// Step recorded in the PassRecord.
  int64_t step = 0;
  /// Record each trainable variable's gradient statistics. The tape is then asked for those
  /// gradients too: free when the caller wants them anyway (a training step), one more matrix product
  /// per Dense layer when it would not (the lesson's input-gradient probe).
  bool variables = true;
  /// Record each call's std_across_examples (one more read of every output).
  bool across_examples = false;
  /// Record each Dense call's pre_activation signal (one more matrix product per Dense layer with a
  /// non-linear activation, off the tape, and one more read).
  bool signal = false;
};

/// Records layer calls while installed with ObserveLayerCalls; see the file comment.
class GradientProbe : public LayerCallObserver {
 public:
  explicit GradientProbe(GradientProbeOptions options = {});

  /// Forward statistics of the call, computed now; inputs and output are kept for gradient().
  void on_layer_call(const LayerImpl& layer, const std::vector<Tensor>& inputs, const Tensor& output,
                     const CallOptions& options) override;

  /// tape.gradient(loss, sources) — computed in the same backward pass as the gradients of every
  /// recorded layer's output, inputs and variables, whose statistics are added to the records.
  /// Returns exactly what tape.gradient would (one per source; undefined where unconnected).
  std::vector<Tensor> gradient(GradientTape& tape, const Tensor& loss, const std::vector<Tensor>& sources);
  std::vector<Tensor> gradient(GradientTape& tape, const Tensor& loss, const std::vector<Variable>& sources);

  /// The pass recorded so far.
  const PassRecord& pass() const { return pass_; }
  /// Returns the pass and starts a new one (step + 1), forgetting the kept tensors.
  PassRecord take();

 private:
  struct Call {
    const LayerImpl* layer;
    std::size_t inputs_begin, inputs_end;  // in call_inputs_
    Tensor output;
    bool first_of_layer;
  };
  std::span<const Tensor> call_inputs(const Call& call) const {
    return std::span<const Tensor>(call_inputs_).subspan(call.inputs_begin, call.inputs_end - call.inputs_begin);
  }
  GradientProbeOptions options_;
  PassRecord pass_;
  std::vector<Call> calls_;
  std::vector<Tensor> call_inputs_;  // every call's inputs, one after another
};

/// Options of probe_pass().
struct ProbePassOptions {
  /// Keras's training= argument for every layer call (batch statistics in normalization layers).
  bool training = false;
  /// Check every op and backward rule for NaN and infinity (AnomalyDetector), recording the first.
  bool detect_anomalies = true;
  GradientProbeOptions probe;
  /// The differentiated scalar; mean, the lesson's, unless asked (see ProbeLoss).
  ProbeLoss loss = ProbeLoss::mean;
  /// Seed of random_projection's R: Rng(projection_seed).fork(i) draws R for output i.
  uint64_t projection_seed = 0;
};

/// A network as probe_pass runs it: inputs and call options to outputs.
using ProbeForward = std::function<std::vector<Tensor>(const std::vector<Tensor>&, const CallOptions&)>;

/// One probed pass: watches `inputs`, runs `forward` under a GradientProbe, differentiates
/// options.loss (the mean of every output element by default; see ProbeLoss) with respect to the inputs, every trainable variable and every layer
/// call, and returns the record (dtype: the first input's).
PassRecord probe_pass(const ProbeForward& forward, const std::vector<Tensor>& inputs,
                      const ProbePassOptions& options = {});
/// The same for a layer or model (a functional Model's call_all, so several outputs count).
PassRecord probe_pass(const Layer& model, const std::vector<Tensor>& inputs, const ProbePassOptions& options = {});

}  // namespace gradlab
