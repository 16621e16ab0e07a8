#pragma once
/// Layer: the base of every layer and model, with Keras's semantics.
///
///   Dense layer1(32, {.activation = "relu"});       // a handle; copies share the same layer
///   Tensor y = layer1(x);                            // built on first call from x's last dimension
///   layer1.trainable_variables();                    // {dense/kernel (128, 32), dense/bias (32,)}
///   Tensor z = bn(y, {.training = true});            // Keras's training= argument
///   Tensor r = Add()({y, y2});                       // several inputs: a braced list
///
/// A layer is used through a handle (`Layer`, or a typed one such as `Dense`) that shares one
/// implementation (`LayerImpl`), as Python references share one Keras layer. Calling a layer on a
/// SymbolicTensor (model.h) adds it to a functional graph instead of computing.
///
/// Names are unique automatically ("dense", "dense_1", ...) unless given; variables are named
/// "<layer>/<variable>" ("dense/kernel"). A layer's variables take the dtype of its first input unless
/// its options set one (Keras would cast inputs to float32 instead); later inputs must match it.
/// While a layer's forward() runs, the ops it records on a GradientTape carry its name.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/autograd/variable.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/batch_shard.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

class SymbolicTensor;

/// Per-call arguments (Keras's call keyword arguments).
struct CallOptions {
  /// Training mode: batch statistics in normalization layers, dropout active.
  bool training = false;
  /// The rows of the batch this call holds, when a data-parallel replica holds part of it
  /// (train/replicas.h): layers that draw random values per example draw that part's.
  BatchShard shard;
};

/// The implementation behind every layer. Subclasses override build() and forward().
class LayerImpl {
 public:
  /// `type` is the Keras snake_case class name ("dense"), used for automatic names and in specs.
  /// An empty `name` picks the next unique one from `type`. A set `dtype` fixes the variables' dtype
  /// instead of taking the first input's.
  LayerImpl(std::string type, const std::string& name, std::optional<DType> dtype = std::nullopt);
  virtual ~LayerImpl() = default;
  LayerImpl(const LayerImpl&) = delete;
  LayerImpl& operator=(const LayerImpl&) = delete;

  /// The layer's unique name, e.g. "dense_1".
  const std::string& name() const { return name_; }
  /// The Keras snake_case class name, e.g. "dense".
  const std::string& type() const { return type_; }
  /// Whether build() has run (on the first call).
  bool built() const { return built_; }
  /// The dtype of the variables, once built (or as set in the options).
  std::optional<DType> dtype() const { return dtype_; }

  /// Whether the layer's variables are trained. A frozen normalization layer runs in inference mode.
  /// set_trainable(false) marks every variable non-trainable (tapes stop watching them);
  /// set_trainable(true) restores the ones created trainable. Models pass it to every sublayer.
  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool trainable);

  /// Every variable, trainable first, in creation order (sublayers' for models, each once).
  virtual std::vector<Variable> variables() const;
  /// The variables this layer created itself in build() (a model's are its layers'), in creation
  /// order, trainable or not; no copy, for callers that look at every layer call.
  const std::vector<Variable>& own_variables() const { return weights_; }
  /// The variables that are currently trainable / not trainable.
  std::vector<Variable> trainable_variables() const;
  std::vector<Variable> non_trainable_variables() const;
  /// Total number of elements over variables() (Keras's count_params()).
  int64_t count_params() const;

  /// Runs the layer: checks the input count and dtypes, builds on first use, records ops under
  /// this layer's name, and calls forward().
  Tensor call(const std::vector<Tensor>& inputs, const CallOptions& options);

  /// How many inputs the layer takes: 1 for most, 2 or more for merge layers.
  virtual int min_inputs() const { return 1; }
  virtual int max_inputs() const { return 1; }

  /// Builds the variables for inputs of these shapes (batch dimension included) and dtype. Called
  /// once, by call(); subclasses call add_weight() here. The default creates nothing.
  virtual void build(const std::vector<Shape>& input_shapes, DType dtype);
  /// The layer's computation on concrete tensors, after build().
  virtual Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) = 0;

  /// A one-line description of the configuration, e.g. "units=32, activation=relu".
  virtual std::string config_summary() const { return ""; }

  /// Rng used for initial values; the thread's default_rng() unless set. The generator must outlive
  /// the layer's build.
  void set_rng(Rng* rng) { rng_ = rng; }

 protected:
  /// Creates, initializes and registers a variable named "<layer>/<name>" of the layer's dtype.
  /// `fans` overrides compute_fans(shape) (a Dense bias passes its layer's fan-in).
  Variable add_weight(const std::string& name, const Shape& shape, const Initializer& initializer,
                      bool trainable = true, const Fans* fans = nullptr);
  Rng& rng() const;
  /// Checks inputs once their count is known to be right: by default each must have the layer's
  /// dtype, "dense: input is float64 but the layer was built for float32". Models check their
  /// Inputs' shapes and dtypes instead.
  virtual void check_inputs(const std::vector<Tensor>& inputs) const;
  /// Marks a layer built without a call (a functional model is built when constructed).
  void mark_built(DType dtype);

 private:
  std::string type_;
  std::string name_;
  std::optional<DType> dtype_;
  bool built_ = false;
  bool trainable_ = true;
  Rng* rng_ = nullptr;
  std::vector<Variable> weights_;
  std::vector<bool> created_trainable_;  // parallel to weights_
};

/// A handle to a layer; the common interface of Dense, Add, Model, etc. Copies share one layer.
class Layer {
 public:
  /// An undefined handle.
  Layer() = default;
  explicit Layer(std::shared_ptr<LayerImpl> impl) : impl_(std::move(impl)) {}

  /// Calls the layer on one tensor.
  Tensor operator()(const Tensor& x, CallOptions options = {}) const;
  /// Calls a layer that takes several inputs (Add, Concatenate): `Add()({a, b})`.
  Tensor operator()(const std::vector<Tensor>& xs, CallOptions options = {}) const;
  /// Adds a call of this layer to a functional graph (see model.h); the layer is built right away.
  SymbolicTensor operator()(const SymbolicTensor& x) const;
  /// The same for several placeholders: `Add()({l2, l1})`.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs) const;

  /// False for a default-constructed handle.
  bool defined() const { return impl_ != nullptr; }
  const std::string& name() const { return impl().name(); }
  const std::string& type() const { return impl().type(); }
  bool built() const { return impl().built(); }
  bool trainable() const { return impl().trainable(); }
  void set_trainable(bool trainable) const { impl().set_trainable(trainable); }
  std::vector<Variable> variables() const { return impl().variables(); }
  std::vector<Variable> trainable_variables() const { return impl().trainable_variables(); }
  std::vector<Variable> non_trainable_variables() const { return impl().non_trainable_variables(); }
  int64_t count_params() const { return impl().count_params(); }

  /// The implementation; throws Error for an undefined handle.
  LayerImpl& impl() const;
  const std::shared_ptr<LayerImpl>& shared_impl() const { return impl_; }
  /// The implementation as a T, or nullptr if it is another kind of layer.
  template <typename T>
  T* as() const {
    return dynamic_cast<T*>(impl_.get());
  }

 private:
  std::shared_ptr<LayerImpl> impl_;
};

/// Receives every layer call made on this thread while installed with ObserveLayerCalls; the
/// instruments use it to see each layer's inputs and output (models are layers too, so a model's
/// call is reported after those of its layers).
class LayerCallObserver {
 public:
  virtual ~LayerCallObserver() = default;
  virtual void on_layer_call(const LayerImpl& layer, const std::vector<Tensor>& inputs, const Tensor& output,
                             const CallOptions& options) = 0;
};

/// Installs `observer` on the calling thread while in scope. Several may be installed at once.
///
///   ObserveLayerCalls observe(my_observer);
///   model(x);                               // my_observer.on_layer_call(...) for every layer
class ObserveLayerCalls {
 public:
  explicit ObserveLayerCalls(LayerCallObserver& observer);
  ~ObserveLayerCalls();
  ObserveLayerCalls(const ObserveLayerCalls&) = delete;
  ObserveLayerCalls& operator=(const ObserveLayerCalls&) = delete;

 private:
  LayerCallObserver* observer_;
};

/// Forgets the automatic-name counters, so the next Dense is "dense" again (keras.backend.clear_session).
void clear_session();
/// The next unique name for a layer of this type on this process: "dense", "dense_1", ...
/// Thread-safe.
std::string unique_layer_name(const std::string& type);

}  // namespace gradlab
