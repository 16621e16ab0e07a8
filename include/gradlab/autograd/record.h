#pragma once
/// How a differentiable op puts itself on the active tapes. Every op in ops.h follows one pattern:
///
///   Tensor out = <kernel computes the forward result>;
///   if (should_record({a, b})) {
///     record("mul", {a, b}, out, [a, b](const Tensor& g, std::span<const bool> needs) {
///       return std::vector<Tensor>{needs[0] ? mul(g, b) : Tensor(), needs[1] ? mul(g, a) : Tensor()};
///     });
///   }
///   return out;
///
/// The backward rule captures only what it needs. Backward rules may call other ops: recording is
/// paused on the whole thread while a tape computes gradients.

#include <initializer_list>
#include <string>

#include "gradlab/autograd/gradient_tape.h"

namespace gradlab {

/// True when some tape on this thread is recording and tracks one of `inputs`. Cheap when no tape is
/// active, so ops pay nothing for autodiff outside a tape.
bool should_record(std::initializer_list<Tensor> inputs);

/// Appends a node to every recording tape that tracks one of `inputs`, and marks `output` as tracked
/// by those tapes.
void record(const char* op, std::initializer_list<Tensor> inputs, const Tensor& output, BackwardRule rule);
void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output, BackwardRule rule);
bool should_record(const std::vector<Tensor>& inputs);

/// Names the layer whose ops are being recorded while in scope (nodes carry it for instruments).
class LayerScope {
 public:
  explicit LayerScope(const std::string& layer_name);
  ~LayerScope();
  LayerScope(const LayerScope&) = delete;
  LayerScope& operator=(const LayerScope&) = delete;

 private:
  const std::string* previous_;
};

/// The innermost active layer's name on this thread, or "".
const std::string& current_layer();

/// Pauses all recording on this thread while in scope (used while computing gradients).
class NoRecording {
 public:
  NoRecording();
  ~NoRecording();
  NoRecording(const NoRecording&) = delete;
  NoRecording& operator=(const NoRecording&) = delete;
};

}  // namespace gradlab
