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
#include <unordered_set>
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
  std::vector<uint64_t> inputs;    ///< tape identities of the inputs
  uint64_t output;                 ///< tape identity of the result
  Shape output_shape;
  DType output_dtype;
  std::shared_ptr<const BackwardRule> backward;
};

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
  void append(TapeNode node);

 private:
  TapeOptions options_;
  bool recording_ = true;
  bool used_ = false;
  std::vector<TapeNode> nodes_;
  std::unordered_set<uint64_t> tracked_;
};

}  // namespace gradlab
