#pragma once
/// recurrent_sequence: the fused differentiable op behind SimpleRNN, LSTM and GRU — a whole
/// sequence through one cell, recorded as one tape node whose backward rule is backpropagation
/// through time (BPTT).
///
///   // x [N, T, F], h0 [N, U], kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U,)
///   Tensor states = recurrent_sequence(x, h0, c0, kernel, recurrent_kernel, bias,
///                                      {.cell = RecurrentCell::lstm});
///   // states [2, N, T, U]: states[0] holds h_t, states[1] holds c_t for every step t
///
/// Cells, with Keras's definitions, weight layouts and gate orders (x_t W + h_{t-1} U + b split
/// into gates along the last axis; f = activation, s = recurrent_activation):
///   simple_rnn (Elman 1990):          h_t = f(x_t W + h_{t-1} U + b)
///   lstm (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), gates i, f, c, o:
///     i, f, o = s(.), g = f(.), c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ f(c_t)
///   gru (Cho et al. 2014), gates z, r, h:
///     z, r = s(x W_{z,r} + b_x + h_{t-1} U_{z,r} + b_h)
///     reset_after:  hh = f(x W_h + b_x + r ⊙ (h_{t-1} U_h + b_h)), bias (2, 3U): input, recurrent
///     reset before: hh = f(x W_h + (r ⊙ h_{t-1}) U_h + b), bias (3U,)
///     h_t = z ⊙ h_{t-1} + (1 - z) ⊙ hh
///
/// The input products of all steps are one matrix product; each step adds one product with the
/// recurrent kernel. Backward walks the steps in reverse in a loop (no recursion), keeping the
/// gates of every step (memory linear in T), then forms the kernel, recurrent-kernel and input
/// gradients as single products over all steps.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The recurrent cells recurrent_sequence runs.
enum class RecurrentCell { simple_rnn, lstm, gru };

/// Gates per cell: 1 (simple_rnn), 4 (lstm: i, f, c, o), 3 (gru: z, r, h).
int64_t gate_count(RecurrentCell cell);
/// "simple_rnn", "lstm", "gru".
std::string_view cell_name(RecurrentCell cell);
/// Every cell, in the enum's order.
inline constexpr RecurrentCell kRecurrentCells[] = {RecurrentCell::simple_rnn, RecurrentCell::lstm, RecurrentCell::gru};
/// cell_name() of every cell: the values a command line takes.
std::vector<std::string> recurrent_cell_names();
/// The cell cell_name() calls `name`; an Error listing the names for any other.
RecurrentCell parse_recurrent_cell(std::string_view name);

/// Options of recurrent_sequence, with Keras's defaults.
struct RecurrentSequenceOptions {
  RecurrentCell cell = RecurrentCell::simple_rnn;
  /// The cell activation f (an element-wise name from activation_names()).
  std::string_view activation = "tanh";
  /// The gate activation s (lstm, gru).
  std::string_view recurrent_activation = "sigmoid";
  /// gru only: apply the reset gate after the recurrent product (Keras's default, and PyTorch's GRU).
  bool reset_after = true;
  /// Process the time steps last to first; the states come out in processing order, as Keras's
  /// go_backwards returns them (step 0 of the result belongs to the last input step).
  bool go_backwards = false;
  /// The name errors carry ("lstm_1").
  std::string_view name = "recurrent_sequence";
};

/// Runs `options.cell` over x [N, T, F] from the initial state h0 [N, U] (and c0 [N, U] for lstm;
/// undefined otherwise) with kernel (F, G·U), recurrent_kernel (U, G·U) and bias (G·U,) — (2, 3U)
/// for gru with reset_after — or undefined for no bias. Returns the states of every step,
/// [S, N, T, U]: S = 1 (h_t) for simple_rnn and gru, S = 2 (h_t, then c_t) for lstm. Throws Error
/// naming `options.name` on wrong ranks, shapes, gate counts, dtypes, T = 0 or an activation that is
/// not element-wise.
Tensor recurrent_sequence(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                          const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentSequenceOptions& options);

/// Sees, while a tape computes gradients through recurrent_sequence on this thread, the full
/// gradient of the target with respect to every step's state, ∂L/∂h_t — from the outputs at t and
/// after, through the recurrent path included — which the fused backward forms anyway and does not
/// keep. Installed with ObserveRecurrentSteps; with none installed BPTT pays one empty-list check
/// per step. The layer-normalized cells run on unfused ops and are not reported here.
class RecurrentStepObserver {
 public:
  virtual ~RecurrentStepObserver() = default;
  /// ‖∂L/∂h_t‖ (Euclidean, over the batch and the units) of processing step `step` of `steps`
  /// (step 0 is the first step the cell ran: the last input step under go_backwards) of the layer
  /// `layer` (the layer whose call recorded the op; "" outside layers). Steps arrive last to first.
  virtual void on_state_gradient(const std::string& layer, int64_t step, int64_t steps, double grad_norm) = 0;
};

/// Installs `observer` on the calling thread while in scope.
class ObserveRecurrentSteps {
 public:
  explicit ObserveRecurrentSteps(RecurrentStepObserver& observer);
  ~ObserveRecurrentSteps();
  ObserveRecurrentSteps(const ObserveRecurrentSteps&) = delete;
  ObserveRecurrentSteps& operator=(const ObserveRecurrentSteps&) = delete;

 private:
  RecurrentStepObserver* observer_;
};

}  // namespace gradlab
