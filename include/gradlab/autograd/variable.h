#pragma once
/// Variable: a named, mutable tensor owned by a layer (tf.Variable). Trainable variables are watched
/// automatically by every recording GradientTape, as in TensorFlow.
///
///   Variable w("dense/kernel", he_uniform()(Shape{10, 32}, DType::float32, rng));
///   Tensor y = matmul(x, w.value());          // recorded, since w is trainable
///   w.assign(new_value);                       // in place: same identity, same storage

#include <memory>
#include <string>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// A named tensor with a trainable flag. Copies share the same variable.
class Variable {
 public:
  Variable() = default;
  /// Wraps `value` (not copied) under `name`, e.g. "dense/kernel".
  Variable(std::string name, Tensor value, bool trainable = true);

  bool defined() const { return impl_ != nullptr; }
  const std::string& name() const;
  /// The current value. Ops that read it are recorded on tapes when the variable is trainable.
  const Tensor& value() const;
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  bool trainable() const;
  void set_trainable(bool trainable);
  /// Overwrites the value in place with `new_value` (same shape and dtype); the tape identity stays.
  void assign(const Tensor& new_value);

  struct Impl;  ///< implementation detail

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gradlab
