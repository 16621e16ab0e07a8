#pragma once
/// Merge layers: Add (the residual connection) and Concatenate (the concat skip connection).
///
///   Tensor r = Add()({layer2_out, layer1_out});                    // shapes must match (or broadcast)
///   Tensor c = Concatenate()({layer1_out, inputs});                // along the last axis by default

#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

struct AddOptions {
  std::string name;
};

/// Sums two or more inputs element-wise (keras.layers.Add).
class AddImpl : public LayerImpl {
 public:
  explicit AddImpl(AddOptions options);
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 1 << 20; }
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
};

class Add : public Layer {
 public:
  explicit Add(AddOptions options = {});
};

struct ConcatenateOptions {
  int64_t axis = -1;
  std::string name;
};

/// Joins two or more inputs along `axis` (keras.layers.Concatenate).
class ConcatenateImpl : public LayerImpl {
 public:
  explicit ConcatenateImpl(ConcatenateOptions options);
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 1 << 20; }
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  std::string config_summary() const override;
  int64_t axis() const { return axis_; }

 private:
  int64_t axis_;
};

class Concatenate : public Layer {
 public:
  explicit Concatenate(ConcatenateOptions options = {});
};

}  // namespace gradlab
