#pragma once
/// Bidirectional: runs a recurrent layer forward and a copy of it backward over the same sequence
/// and merges the two outputs, as keras.layers.Bidirectional (Schuster & Paliwal 1997).
///
///   Bidirectional bi(LSTM(32, {.return_sequences = true}));       // merge_mode "concat"
///   Tensor y = bi(x);                                               // x [N, T, F] -> y [N, T, 64]
///   bi.variables();   // forward_lstm/kernel, ..., backward_lstm/kernel, ...
///
/// As in Keras the wrapped layer is a template: two new layers are made from its cell, units and
/// options, named "forward_<name>" and "backward_<name>", the second with go_backwards flipped. The
/// backward layer's sequence output is reversed in time before merging, so step t of both halves
/// belongs to input step t. Merge modes: "concat" (last axis), "sum", "mul", "ave". The wrapped
/// layer must be SimpleRNN, LSTM or GRU (an Error otherwise); initial states and return_state are
/// not supported by the wrapper.

#include <string>
#include <vector>

#include "gradlab/nn/recurrent.h"

namespace gradlab {

/// Options of Bidirectional, with Keras's defaults.
struct BidirectionalOptions {
  /// "concat", "sum", "mul" or "ave".
  std::string merge_mode = "concat";
  /// Layer name; "bidirectional", "bidirectional_1", ... when empty.
  std::string name;
};

/// The merge modes Bidirectional accepts, in Keras's spelling.
const std::vector<std::string>& bidirectional_merge_modes();

/// The implementation of Bidirectional; see the file comment.
class BidirectionalImpl : public LayerImpl {
 public:
  /// Throws Error when `layer` is not a recurrent layer, is already built, or merge_mode is unknown.
  BidirectionalImpl(const Layer& layer, BidirectionalOptions options);
  /// Merges forward(x) and the time-ordered backward(x).
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// The forward layer's variables, then the backward layer's.
  std::vector<Variable> variables() const override;
  void set_trainable(bool trainable) override;
  /// "merge_mode=concat, layer=lstm(units=...)".
  std::string config_summary() const override;

  const Recurrent& forward_layer() const { return forward_; }
  const Recurrent& backward_layer() const { return backward_; }
  const BidirectionalOptions& options() const { return options_; }

 private:
  BidirectionalOptions options_;
  Recurrent forward_;
  Recurrent backward_;
};

/// Handle to a BidirectionalImpl.
class Bidirectional : public Layer {
 public:
  explicit Bidirectional(const Layer& layer, BidirectionalOptions options = {});
  BidirectionalImpl& impl() const { return *as<BidirectionalImpl>(); }
};

}  // namespace gradlab
