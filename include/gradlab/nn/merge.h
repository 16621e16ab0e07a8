#pragma once
/// Merge layers: Add (the residual connection) and Concatenate (the concat skip connection).
///
///   Tensor r = Add()({layer2_out, layer1_out});                    // shapes must be equal
///   Tensor c = Concatenate()({layer1_out, inputs});                // along the last axis by default
///
/// Both take two or more inputs and work the same on SymbolicTensors (model.h).

#include <cstdint>
#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Add.
struct AddOptions {
  /// Layer name; "add", "add_1", ... when empty.
  std::string name;
};

/// Sums two or more inputs element-wise (keras.layers.Add). Shapes must be equal: an Error names
/// them otherwise ("add: input 1 has shape [32, 16] but input 0 has [32, 32]").
class AddImpl : public LayerImpl {
 public:
  explicit AddImpl(AddOptions options);
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 1 << 20; }
  /// inputs[0] + inputs[1] + ...
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
};

/// Handle to an AddImpl.
class Add : public Layer {
 public:
  /// A new Add layer.
  explicit Add(AddOptions options = {});
};

/// Options of Concatenate.
struct ConcatenateOptions {
  /// The axis to join along, batch axis included (negative counts from the end).
  int64_t axis = -1;
  /// Layer name; "concatenate", "concatenate_1", ... when empty.
  std::string name;
};

/// Joins two or more inputs along `axis` (keras.layers.Concatenate). Inputs must have one rank and
/// agree on every other dimension; an Error names the shapes otherwise.
/// Example: [32, 32] and [32, 128] along -1 give [32, 160].
class ConcatenateImpl : public LayerImpl {
 public:
  explicit ConcatenateImpl(ConcatenateOptions options);
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 1 << 20; }
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "axis=-1".
  std::string config_summary() const override;
  /// The axis as given in the options.
  int64_t axis() const { return axis_; }

 private:
  int64_t axis_;
};

/// Handle to a ConcatenateImpl.
class Concatenate : public Layer {
 public:
  /// A new Concatenate layer.
  explicit Concatenate(ConcatenateOptions options = {});
};

}  // namespace gradlab
