#pragma once
/// Models: Sequential stacks and functional graphs (keras.Model(inputs, outputs)), themselves layers.
///
/// The lesson's residual network, as directly as its Python:
///
///   SymbolicTensor inputs = Input({128});
///   Dense layer1(32, {.activation = "relu"}), layer2(32, {.activation = "relu"}),
///         layer3(32, {.activation = "relu"}), layer4(32, {.activation = "relu"});
///   SymbolicTensor l1 = layer1(inputs), l2 = layer2(l1);
///   SymbolicTensor l3 = layer3(l2 + l1);                            // residual connection (an Add)
///   SymbolicTensor l4 = layer4(Add()({l3, l2}));                    // the same, spelled as a layer
///   Model model(inputs, l4, "lesson_residual");
///   Tensor y = model(x);                                            // x [32, 128] -> y [32, 32]
///
/// and its concat skips: `layer3(Concatenate()({l2, l1, inputs}))`.
///
///   Sequential mlp({Dense(256, {.activation = "relu"}), Dense(10)});
///
/// Calling a layer on a SymbolicTensor builds it right away (its output shape is found by running it
/// on an empty batch, shape [0, ...]), so a model's variables exist as soon as it is constructed.
/// A layer used twice in a graph shares its weights. Graphs are walked without recursion, so a
/// model thousands of layers deep is fine.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// A placeholder in a functional graph: the output of Input() or of a layer called on placeholders.
/// Copies share one node.
class SymbolicTensor {
 public:
  /// One step of the graph: a layer applied to earlier placeholders (no layer for an Input).
  struct Node {
    Layer layer;                         ///< undefined for an Input
    std::vector<SymbolicTensor> inputs;  ///< the placeholders the layer was called on
    Shape shape;                         ///< without the batch dimension
    DType dtype = DType::float32;
    std::string name;  ///< the Input's name, or the layer's
    /// Releases a long chain of nodes iteratively, so dropping a deep graph cannot overflow the stack.
    ~Node();
  };

  /// An undefined placeholder.
  SymbolicTensor() = default;
  explicit SymbolicTensor(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }
  /// Shape without the batch dimension.
  const Shape& shape() const { return node().shape; }
  DType dtype() const { return node().dtype; }
  /// The Input's name or the producing layer's.
  const std::string& name() const { return node().name; }
  /// True for a placeholder made by Input().
  bool is_input() const { return !node().layer.defined(); }
  /// The node; throws Error for an undefined placeholder.
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
/// Example: `Input({128})` stands for batches [N, 128].
SymbolicTensor Input(const Shape& shape, InputOptions options = {});

/// a + b as a new Add layer in the graph (Keras's `+` on symbolic tensors): `layer3(l2 + l1)`.
SymbolicTensor operator+(const SymbolicTensor& a, const SymbolicTensor& b);

/// A functional graph of layers; see the file comment. Its type is "functional".
class ModelImpl : public LayerImpl {
 public:
  /// Orders the graph from `inputs` to `outputs`. Throws Error when an output depends on an Input
  /// that is not in `inputs` (naming it), when two different layers share a name, or when inputs or
  /// outputs are empty or undefined.
  ModelImpl(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, const std::string& name);

  /// One tensor per Input.
  int min_inputs() const override { return static_cast<int>(inputs_.size()); }
  int max_inputs() const override { return static_cast<int>(inputs_.size()); }
  /// The single output; Error for a model with several outputs (use call_all()).
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// Sets the flag on the model and on every layer in it.
  void set_trainable(bool trainable) override;
  /// The variables of every layer, each once, trainable first.
  std::vector<Variable> variables() const override;

  /// Runs the graph and returns every output, in the order given at construction. Each input must
  /// have its Input's shape (after the batch dimension) and dtype.
  std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, const CallOptions& options);

  /// Each distinct layer, in the order the graph runs them.
  const std::vector<Layer>& layers() const { return layers_; }
  /// The layer called `name`; throws Error listing the names if there is none.
  Layer get_layer(const std::string& name) const;
  /// The placeholders given at construction.
  const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
  const std::vector<SymbolicTensor>& outputs() const { return outputs_; }
  /// A table of layers, output shapes and parameter counts (model.summary()).
  std::string summary() const;

 protected:
  /// Checks each tensor against its Input's shape and dtype.
  void check_inputs(const std::vector<Tensor>& inputs) const override;

 private:
  /// One layer call in run order: which value slots it reads and which it may free afterwards.
  struct Step {
    Layer layer;
    std::vector<std::size_t> input_slots;
    std::size_t output_slot;
    std::vector<std::size_t> release;
  };

  std::vector<Tensor> run(const std::vector<Tensor>& inputs, const CallOptions& options);

  std::vector<SymbolicTensor> inputs_;
  std::vector<SymbolicTensor> outputs_;
  std::vector<std::shared_ptr<const SymbolicTensor::Node>> order_;  // topological, layers only
  std::vector<Step> steps_;                                         // parallel to order_
  std::vector<std::size_t> output_slots_;
  std::size_t slot_count_ = 0;
  std::vector<Layer> layers_;
};

/// Handle to a ModelImpl.
class Model : public Layer {
 public:
  /// A model from `inputs` to `outputs`; an empty `name` gives "functional", "functional_1", ...
  Model(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
        const std::string& name = "");
  /// A single-input, single-output model: `Model(inputs, l4, "lesson_residual")`.
  Model(const SymbolicTensor& input, const SymbolicTensor& output, const std::string& name = "");
  /// The implementation.
  ModelImpl& impl() const { return *as<ModelImpl>(); }
  /// Calls on tensors (the single output) or on placeholders, as for any layer.
  using Layer::operator();
  /// Every output for several inputs (multi-input or multi-output models).
  std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, CallOptions options = {}) const {
    return impl().call_all(inputs, options);
  }
  /// See ModelImpl.
  const std::vector<Layer>& layers() const { return impl().layers(); }
  Layer get_layer(const std::string& name) const { return impl().get_layer(name); }
  std::string summary() const { return impl().summary(); }
};

/// A plain stack of single-input layers (keras.Sequential). Its type is "sequential".
class SequentialImpl : public LayerImpl {
 public:
  /// Throws Error if a layer is undefined or takes more than one input.
  SequentialImpl(std::vector<Layer> layers, const std::string& name);
  /// Runs each layer on the previous one's output, passing `options` (training) to each.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// Sets the flag on the stack and on every layer in it.
  void set_trainable(bool trainable) override;
  /// The variables of every layer, each once, trainable first.
  std::vector<Variable> variables() const override;
  /// Appends a layer (keras Sequential.add).
  void add(Layer layer);
  /// The layers in run order.
  const std::vector<Layer>& layers() const { return layers_; }
  /// A table of layers, output shapes (from the latest call; "?" before one) and parameter counts.
  std::string summary() const;

 private:
  std::vector<Layer> layers_;
  std::vector<std::optional<Shape>> output_shapes_;  // parallel to layers_, without the batch
};

/// Handle to a SequentialImpl.
class Sequential : public Layer {
 public:
  /// A stack of `layers`; an empty `name` gives "sequential", "sequential_1", ...
  explicit Sequential(std::vector<Layer> layers = {}, const std::string& name = "");
  /// The implementation.
  SequentialImpl& impl() const { return *as<SequentialImpl>(); }
  /// See SequentialImpl.
  void add(Layer layer) const { impl().add(std::move(layer)); }
  const std::vector<Layer>& layers() const { return impl().layers(); }
  std::string summary() const { return impl().summary(); }
};

}  // namespace gradlab
