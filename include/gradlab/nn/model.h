#pragma once
/// Models: Sequential stacks and functional graphs (keras.Model(inputs, outputs)), themselves layers.
///
/// The lesson's residual network, as directly as its Python:
///
///   SymbolicTensor inputs = Input({128});
///   Dense layer1(32, {.activation = "relu"}), layer2(32, {.activation = "relu"}),
///         layer3(32, {.activation = "relu"}), layer4(32, {.activation = "relu"});
///   SymbolicTensor l1 = layer1(inputs), l2 = layer2(l1);
///   SymbolicTensor l3 = layer3(Add()({l2, l1}));                   // residual connection
///   SymbolicTensor l4 = layer4(Add()({l3, l2}));
///   Model model({inputs}, {l4}, "lesson_residual");
///   Tensor y = model(x);                                            // x [32, 128] -> y [32, 32]
///
///   Sequential mlp({Dense(256, {.activation = "relu"}), Dense(10)});
///
/// Calling a layer on a SymbolicTensor builds it right away (its output shape is found by running it
/// on an empty batch), so a model's variables exist as soon as it is constructed.

#include <memory>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// A placeholder in a functional graph: the output of Input() or of a layer called on placeholders.
class SymbolicTensor {
 public:
  /// One step of the graph: a layer applied to earlier placeholders (no layer for an Input).
  struct Node {
    Layer layer;
    std::vector<SymbolicTensor> inputs;
    Shape shape;  ///< without the batch dimension
    DType dtype;
    std::string name;  ///< the Input's name, or the layer's
  };

  SymbolicTensor() = default;
  explicit SymbolicTensor(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  /// Shape without the batch dimension.
  const Shape& shape() const { return node().shape; }
  DType dtype() const { return node().dtype; }
  const std::string& name() const { return node().name; }
  const Node& node() const;
  const std::shared_ptr<const Node>& shared_node() const { return node_; }

 private:
  std::shared_ptr<const Node> node_;
};

/// Options of Input().
struct InputOptions {
  std::string name;  ///< unique automatic name ("input", "input_1", ...) if empty
  DType dtype = DType::float32;
};

/// A model input of `shape` (without the batch dimension), as keras.Input.
SymbolicTensor Input(const Shape& shape, InputOptions options = {});

/// A functional graph of layers; see the file comment.
class ModelImpl : public LayerImpl {
 public:
  ModelImpl(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, const std::string& name);

  int min_inputs() const override { return static_cast<int>(inputs_.size()); }
  int max_inputs() const override { return static_cast<int>(inputs_.size()); }
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  void set_trainable(bool trainable) override;
  std::vector<Variable> variables() const override;

  /// Runs the graph and returns every output, in the order given at construction.
  std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, const CallOptions& options);

  /// Each distinct layer, in the order the graph runs them.
  const std::vector<Layer>& layers() const { return layers_; }
  /// The layer called `name`; throws Error listing the names if there is none.
  Layer get_layer(const std::string& name) const;
  const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
  const std::vector<SymbolicTensor>& outputs() const { return outputs_; }
  /// A table of layers, output shapes and parameter counts (model.summary()).
  std::string summary() const;

 private:
  std::vector<SymbolicTensor> inputs_;
  std::vector<SymbolicTensor> outputs_;
  std::vector<std::shared_ptr<const SymbolicTensor::Node>> order_;  // topological
  std::vector<Layer> layers_;
};

/// Handle to a ModelImpl.
class Model : public Layer {
 public:
  Model(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, const std::string& name = "");
  ModelImpl& impl() const { return *as<ModelImpl>(); }
  using Layer::operator();
  /// Every output for several inputs (multi-input or multi-output models).
  std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, CallOptions options = {}) const {
    return impl().call_all(inputs, options);
  }
  const std::vector<Layer>& layers() const { return impl().layers(); }
  Layer get_layer(const std::string& name) const { return impl().get_layer(name); }
  std::string summary() const { return impl().summary(); }
};

/// A plain stack of single-input layers (keras.Sequential).
class SequentialImpl : public LayerImpl {
 public:
  SequentialImpl(std::vector<Layer> layers, const std::string& name);
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  void set_trainable(bool trainable) override;
  std::vector<Variable> variables() const override;
  void add(Layer layer);
  const std::vector<Layer>& layers() const { return layers_; }
  std::string summary() const;

 private:
  std::vector<Layer> layers_;
};

/// Handle to a SequentialImpl.
class Sequential : public Layer {
 public:
  explicit Sequential(std::vector<Layer> layers = {}, const std::string& name = "");
  SequentialImpl& impl() const { return *as<SequentialImpl>(); }
  void add(Layer layer) const { impl().add(std::move(layer)); }
  const std::vector<Layer>& layers() const { return impl().layers(); }
  std::string summary() const { return impl().summary(); }
};

}  // namespace gradlab
