#pragma once
/// SimpleRNN, LSTM and GRU: recurrent layers over sequences [batch, time, features], with Keras's
/// options, defaults, weight names, shapes and gate orders.
///
///   LSTM lstm(64, {.return_sequences = true});
///   Tensor y = lstm(x);                          // x [N, T, F] -> y [N, T, 64]
///   lstm.variables();                            // lstm/kernel (F, 256), lstm/recurrent_kernel (64, 256),
///                                                // lstm/bias (256,), gates i, f, c, o
///   GRU gru(32, {.return_state = true});
///   std::vector<Tensor> out = gru.call(x, {h0}); // {last output [N, 32], final state h [N, 32]}
///
/// The cells and their formulas are in autograd/recurrent_op.h; each call is one tape node whose
/// backward rule is backpropagation through time. Weights: kernel (features, G·units),
/// recurrent_kernel (units, G·units) and bias (G·units,), G = 1 (SimpleRNN), 4 (LSTM: i, f, c, o),
/// 3 (GRU: z, r, h); a GRU with reset_after (the default) has bias (2, 3·units): input and recurrent
/// biases, as Keras (and PyTorch's two biases) keep them.
///
/// Initial states are extra inputs after the sequence, as in Keras's initial_state: one [N, units]
/// tensor (SimpleRNN, GRU) or two, h then c (LSTM); zeros when not given. With return_state, call()
/// returns [output, h] (LSTM: [output, h, c]) as Keras returns a list; operator() returns the output.
///
/// layer_norm = true makes a layer-normalized cell (Ba, Kiros & Hinton 2016, "Layer
/// Normalization", section 3.1 and the LSTM of their appendix): the input and recurrent products are
/// normalized separately before the bias is added (z = LN(x W) + LN(h U) + b; LayerNormalization's
/// epsilon 1e-3), and an LSTM also normalizes the cell state inside its output, h = o ⊙ f(LN(c)),
/// while carrying c itself. Its gains and offsets are kernel_norm/gamma, kernel_norm/beta (G·units),
/// recurrent_norm/gamma, recurrent_norm/beta and, for LSTM, state_norm/gamma, state_norm/beta
/// (units). A layer-normalized cell runs step by step on the differentiable ops (T tape nodes per
/// op), so it is slower than the fused cells; a GRU with layer_norm needs reset_after.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/autograd/recurrent_op.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of SimpleRNN, LSTM and GRU, with Keras's defaults.
struct RecurrentOptions {
  /// The cell activation (an element-wise name from activation_names()).
  std::string activation = "tanh";
  /// The gate activation of LSTM and GRU; SimpleRNN has no gates and ignores it.
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  /// Saxe et al. (2014)'s orthogonal initialization, as Keras.
  Initializer recurrent_initializer = "orthogonal";
  Initializer bias_initializer = "zeros";
  /// LSTM: the forget gate's bias starts at 1 (Jozefowicz et al. 2015), the rest from bias_initializer.
  bool unit_forget_bias = true;
  /// GRU: apply the reset gate after the recurrent product (Keras's default; PyTorch's GRU does).
  bool reset_after = true;
  /// Return the output of every step [N, T, units] instead of the last [N, units].
  bool return_sequences = false;
  /// call() also returns the final states.
  bool return_state = false;
  /// Process the sequence last step first; outputs come in processing order, as in Keras.
  bool go_backwards = false;
  /// A layer-normalized cell (Ba et al. 2016); see the file comment.
  bool layer_norm = false;
  /// Layer name; "simple_rnn", "lstm", "gru" (then "_1", ...) when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation shared by SimpleRNN, LSTM and GRU; see the file comment.
class RecurrentImpl : public LayerImpl {
 public:
  /// Throws Error when units <= 0, an activation is unknown or not element-wise, or a GRU asks for
  /// layer_norm without reset_after.
  RecurrentImpl(RecurrentCell cell, int64_t units, RecurrentOptions options);
  /// The sequence, then optional initial states (1, or 2 for LSTM).
  int min_inputs() const override { return 1; }
  int max_inputs() const override { return 1 + state_count(); }
  /// Creates kernel, recurrent_kernel and bias (and the layer-norm gains) from the input [N, T, F].
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// The output: [N, T, units] with return_sequences, else [N, units]. Keeps the final states for
  /// call(); a layer called from several threads at once must use call() on each.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "units=32, activation=tanh, ...".
  std::string config_summary() const override;

  /// Runs the layer and returns [output] or, with return_state, [output, h] ([output, h, c] for LSTM).
  std::vector<Tensor> call_with_states(const std::vector<Tensor>& inputs, const CallOptions& options);

  RecurrentCell cell() const { return cell_; }
  int64_t units() const { return units_; }
  /// 1 (h) or 2 (LSTM: h, c).
  int state_count() const { return cell_ == RecurrentCell::lstm ? 2 : 1; }
  const RecurrentOptions& options() const { return options_; }
  /// kernel (features, G·units), recurrent_kernel (units, G·units), bias; undefined before build.
  const Variable& kernel() const { return kernel_; }
  const Variable& recurrent_kernel() const { return recurrent_kernel_; }
  const Variable& bias() const { return bias_; }

 private:
  // Every step's states [S, N, T, U], by the fused op or by the layer-normalized cell.
  Tensor run_cell(const Tensor& x, const Tensor& h0, const Tensor& c0);
  Tensor run_layer_norm_cell(const Tensor& x, const Tensor& h0, const Tensor& c0);

  RecurrentCell cell_;
  int64_t units_;
  RecurrentOptions options_;
  Variable kernel_, recurrent_kernel_, bias_;
  Variable kernel_gamma_, kernel_beta_, recurrent_gamma_, recurrent_beta_, state_gamma_, state_beta_;
  std::vector<Tensor> last_states_;
};

/// Sees, on the calling thread while installed with ObserveLayerNormStates, the state tensors h_t
/// [N, units] of every step of a layer-normalized cell as it runs (processing order), so an
/// instrument can ask the tape for ∂L/∂h_t: the fused cells report their state gradients through
/// RecurrentStepObserver instead, from inside their backward rule.
class LayerNormStateObserver {
 public:
  virtual ~LayerNormStateObserver() = default;
  virtual void on_states(const RecurrentImpl& layer, const std::vector<Tensor>& states) = 0;
};

/// Installs `observer` on the calling thread while in scope.
class ObserveLayerNormStates {
 public:
  explicit ObserveLayerNormStates(LayerNormStateObserver& observer);
  ~ObserveLayerNormStates();
  ObserveLayerNormStates(const ObserveLayerNormStates&) = delete;
  ObserveLayerNormStates& operator=(const ObserveLayerNormStates&) = delete;

 private:
  LayerNormStateObserver* observer_;
};

/// Handle shared by the three recurrent layers.
class Recurrent : public Layer {
 public:
  explicit Recurrent(std::shared_ptr<RecurrentImpl> impl) : Layer(std::move(impl)) {}
  RecurrentImpl& impl() const { return *as<RecurrentImpl>(); }
  /// Keras's layer(x, initial_state=[...]): [output], or [output, states...] with return_state.
  std::vector<Tensor> call(const Tensor& x, const std::vector<Tensor>& initial_state = {},
                           CallOptions options = {}) const;
  const Variable& kernel() const { return impl().kernel(); }
  const Variable& recurrent_kernel() const { return impl().recurrent_kernel(); }
  const Variable& bias() const { return impl().bias(); }
};

/// keras.layers.SimpleRNN: h_t = activation(x_t W + h_{t-1} U + b) (Elman 1990).
class SimpleRNN : public Recurrent {
 public:
  explicit SimpleRNN(int64_t units, RecurrentOptions options = {});
};

/// keras.layers.LSTM (Hochreiter & Schmidhuber 1997; forget gate of Gers et al. 2000), gates i, f, c, o.
class LSTM : public Recurrent {
 public:
  explicit LSTM(int64_t units, RecurrentOptions options = {});
};

/// keras.layers.GRU (Cho et al. 2014), gates z, r, h.
class GRU : public Recurrent {
 public:
  explicit GRU(int64_t units, RecurrentOptions options = {});
};

}  // namespace gradlab
