#pragma once
/// GradientTape: reverse-mode automatic differentiation with tf.GradientTape's semantics.
///
///   Tensor x = uniform({32, 128}, rng);
///   GradientTape tape;                    // records while in scope (RAII)
///   tape.watch(x);                        // trainable variables are watched automatically
///   Tensor loss = mean(layer4(layer3(layer2(layer1(x)))));
///   Tensor dx = tape.gradient(loss, x);   // undefined if loss does not depend on x
///
/// The tape is a Wengert list: each differentiable op with a watched input appends one node (op,
/// layer, inputs, what backward needs, backward rule). `gradient()` walks the list once in reverse,
/// so depth (a 1,000-step RNN) never recurses. Only gradients on a path from a requested source to
/// the target are computed. Gradients accumulate where a tensor fans out (a residual branch).
/// A non-scalar target is summed first, as in TensorFlow. Gradient computations are not themselves
/// recorded, so higher-order gradients are not supported.
///
/// Several tapes may record at once (nested scopes); each records the ops that touch what it
/// watches. A tape records on the thread that created it.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gradlab/autograd/variable.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Computes the gradients of an op's inputs from the gradient of its output. `needs[i]` says whether
/// input i's gradient is wanted; the rule returns one tensor per input, undefined where not wanted.
using BackwardRule = std::function<std::vector<Tensor>(const Tensor& output_grad, std::span<const bool> needs)>;

/// One recorded op.
struct TapeNode {
  const char* op;                  ///< op name, e.g. "matmul"
  std::string layer;               ///< the layer that was running, "" outside layers
  std::vector<uint64_t> inputs;    ///< tape identities of the inputs (0 for an undefined input)
  uint64_t output;                 ///< tape identity of the result
  Shape output_shape;
  DType output_dtype;
  BackwardRule backward;
};

namespace detail {

/// Open-addressing hash map from tensor identity to a tape slot (the index of the tensor's gradient
/// while a tape computes gradients). Grows by doubling; an insert allocates nothing until then.
class SlotMap {
 public:
  /// The slot of `id`, or -1 when absent.
  int32_t find(uint64_t id) const;
  /// Maps `id` to `slot`, replacing an earlier mapping.
  void assign(uint64_t id, int32_t slot);
  void clear();

 private:
  void grow();
  std::vector<uint64_t> keys_;  // 0 marks an empty cell: tensor identities start at 1
  std::vector<int32_t> slots_;
  std::size_t size_ = 0;
};

}  // namespace detail

/// Options of a GradientTape (tf.GradientTape's constructor arguments).
struct TapeOptions {
  /// A persistent tape can compute gradients several times; otherwise once.
  bool persistent = false;
  /// Watch every trainable variable that an op reads while the tape records.
  bool watch_accessed_variables = true;
};

/// What `gradient()` returns for a watched source that the target does not depend on.
enum class UnconnectedGradients {
  none,  ///< an undefined Tensor (TensorFlow's None)
  zero,  ///< zeros shaped like the source
};

/// Records differentiable ops while in scope; see the file comment.
class GradientTape {
 public:
  explicit GradientTape(TapeOptions options = {});
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  /// Watches `x` so that gradients can be taken with respect to it and ops on it are recorded.
  void watch(const Tensor& x);
  void watch(const Variable& v) { watch(v.value()); }

  /// Gradients of `target` (summed if not a scalar) with respect to each source, shaped like it.
  /// A source that was never watched (nor computed while recording) is an Error; a watched source
  /// the target does not depend on gives an undefined tensor (or zeros, see UnconnectedGradients).
  /// A non-persistent tape can be asked once.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::none);
  Tensor gradient(const Tensor& target, const Tensor& source,
                  UnconnectedGradients unconnected = UnconnectedGradients::none);
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::none);

  /// Called by gradient() with the final gradient of observed tensor `index` (undefined when no
  /// gradient reaches it), once, as soon as nothing more can add to it, and before the tape reuses or
  /// frees its buffer. The tensor is valid only during the call: read it, do not keep it.
  using GradientVisitor = std::function<void(std::size_t index, const Tensor& grad)>;
  /// gradient(target, sources) that also shows `visit` the gradient of every `observed` tensor as it
  /// is completed, in the same backward pass, without keeping it: a layer output's gradient is shown
  /// when the backward walk reaches the op that produced it, a watched input's or variable's at the
  /// end. Every observed tensor must be tracked, as a source must. The returned gradients are
  /// exactly gradient(target, sources)'s. This is how GradientProbe reads every layer's gradient.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               const std::vector<Tensor>& observed, const GradientVisitor& visit,
                               UnconnectedGradients unconnected = UnconnectedGradients::none);

  /// Pauses recording on this tape while the returned guard lives (tape.stop_recording()).
  class Pause {
   public:
    explicit Pause(GradientTape& tape) : tape_(tape), was_(tape.recording_) { tape_.recording_ = false; }
    ~Pause() { tape_.recording_ = was_; }
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;

   private:
    GradientTape& tape_;
    bool was_;
  };
  [[nodiscard]] Pause stop_recording() { return Pause(*this); }

  /// Forgets every recorded node and watched tensor (tape.reset()).
  void reset();
  /// The recorded nodes, in the order the ops ran.
  const std::vector<TapeNode>& nodes() const { return nodes_; }
  bool persistent() const { return options_.persistent; }

  // Used by `record()`; not for users.
  bool tracks(const Tensor& t) const;
  bool recording() const { return recording_; }
  /// Appends `node` (its `inputs` are filled from `inputs`) and starts tracking its output.
  void append(TapeNode node, std::span<const Tensor> inputs);

 private:
  // Where a node's gradients live while gradient() runs: every tracked tensor has a slot (its
  // index in the flat gradient arrays); an input that needs no gradient has slot -1.
  struct NodeSlots {
    int32_t output;
    uint32_t first_input;  // index into input_slots_
  };
  int32_t new_slot(uint64_t id);

  TapeOptions options_;
  bool recording_ = true;
  bool used_ = false;
  std::vector<TapeNode> nodes_;
  std::vector<NodeSlots> node_slots_;
  std::vector<int32_t> input_slots_;
  detail::SlotMap slots_;
  int32_t slot_count_ = 0;
};

/// Sees every op recorded on a tape and every backward rule a tape runs on this thread, while
/// installed with ObserveTape; anomaly detection (instrument/anomaly.h) is one. With none installed,
/// recording and gradient() pay one empty-list check.
class TapeObserver {
 public:
  virtual ~TapeObserver() = default;
  /// After an op was recorded on at least one tape: its name, the layer it ran in ("" outside
  /// layers) and its result.
  virtual void on_forward(const char* op, const std::string& layer, const Tensor& output) = 0;
  /// After `node`'s backward rule ran in gradient(): the gradient it received and the ones it
  /// returned (one per input, undefined where not needed).
  virtual void on_backward(const TapeNode& node, const Tensor& output_grad, std::span<const Tensor> input_grads) = 0;
};

/// Installs `observer` on the calling thread while in scope. Several may be installed at once.
class ObserveTape {
 public:
  explicit ObserveTape(TapeObserver& observer);
  ~ObserveTape();
  ObserveTape(const ObserveTape&) = delete;
  ObserveTape& operator=(const ObserveTape&) = delete;

 private:
  TapeObserver* observer_;
};

}  // namespace gradlab
