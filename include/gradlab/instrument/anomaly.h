#pragma once
/// AnomalyDetector: finds the first NaN or infinity a pass produces — in an op's forward result or in
/// a gradient a backward rule returns — and names its layer, op and step, as PyTorch's
/// torch.autograd.detect_anomaly does, but without keeping stack traces: a check is one pass over
/// each result.
///
///   AnomalyDetector detector;                 // checks while in scope, on this thread
///   for (int64_t step = 0; step < steps; ++step) {
///     detector.set_step(step);
///     GradientTape tape;
///     Tensor loss = mean(model(x));
///     auto grads = tape.gradient(loss, model.trainable_variables());
///     if (detector.first()) { std::cerr << detector.first()->describe() << "\n"; break; }
///   }
///
/// "step 3, forward: layer 'dense_7', op 'matmul' produced 12 non-finite values (first inf at flat
/// index 40) in float32[64, 256]". Forward results are checked for every op recorded on a tape
/// (ops outside any tape, or on tensors no tape watches, are not); backward gradients for every rule
/// gradient() runs. Only the first anomaly is kept (later ones usually follow from it); with
/// `raise_error` the detector instead throws an AnomalyError at the first one. Without a detector
/// installed, nothing is checked and nothing is paid.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/error.h"

namespace gradlab {

/// Where an anomaly was found.
enum class PassPhase { forward, backward };

/// "forward" or "backward".
const char* pass_phase_name(PassPhase phase);

/// The first non-finite value of a pass.
struct Anomaly {
  PassPhase phase = PassPhase::forward;
  /// The step counter set by the caller (AnomalyDetector::set_step) when it was found.
  int64_t step = 0;
  /// The layer the op ran in ("" outside layers).
  std::string layer;
  /// The op: the one that produced the value (forward) or whose backward rule did (backward).
  std::string op;
  /// Backward only: which input of the op the bad gradient is for (0-based).
  int64_t input_index = -1;
  /// "float32[64, 256]": the tensor holding the value.
  std::string tensor;
  int64_t nonfinite_count = 0;
  /// Flat index and value of the first non-finite element (NaN, inf or -inf).
  int64_t first_index = 0;
  double first_value = 0;
  /// One line naming everything above (see the file comment).
  std::string describe() const;
};

/// Thrown at the first anomaly by a detector with raise_error set.
class AnomalyError : public Error {
 public:
  explicit AnomalyError(Anomaly anomaly);
  const Anomaly& anomaly() const { return anomaly_; }

 private:
  Anomaly anomaly_;
};

/// Options of AnomalyDetector.
struct AnomalyOptions {
  /// Check forward results of recorded ops.
  bool forward = true;
  /// Check gradients returned by backward rules.
  bool backward = true;
  /// Throw AnomalyError at the first anomaly instead of recording it and carrying on.
  bool raise_error = false;
};

/// Number of NaN or infinite elements of `t`, and the first one (index and value) if any; 0 for an
/// undefined tensor.
struct NonFinite {
  int64_t count = 0;
  int64_t first_index = -1;
  double first_value = 0;
};
NonFinite find_non_finite(const Tensor& t);

/// Checks every recorded op and backward rule on the constructing thread while it lives; see the
/// file comment.
class AnomalyDetector : public TapeObserver {
 public:
  explicit AnomalyDetector(AnomalyOptions options = {});
  ~AnomalyDetector() override = default;
  AnomalyDetector(const AnomalyDetector&) = delete;
  AnomalyDetector& operator=(const AnomalyDetector&) = delete;

  /// The step reported with anomalies found from now on (an iteration counter, say).
  void set_step(int64_t step) { step_ = step; }
  int64_t step() const { return step_; }
  /// The first anomaly seen, if any.
  const std::optional<Anomaly>& first() const { return first_; }
  /// Forgets the anomaly seen, to watch for the next one.
  void clear() { first_.reset(); }

  void on_forward(const char* op, const std::string& layer, const Tensor& output) override;
  void on_backward(const TapeNode& node, const Tensor& output_grad, std::span<const Tensor> input_grads) override;

 private:
  void found(Anomaly anomaly);

  AnomalyOptions options_;
  int64_t step_ = 0;
  std::optional<Anomaly> first_;
  ObserveTape installed_;
};

}  // namespace gradlab
