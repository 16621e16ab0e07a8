#pragma once
/// Tensor: an n-dimensional array of float32 or float64, the value every gradlab op takes and returns.
///
/// Layout: row-major and contiguous, batch first and channels last, as in Keras (the lesson's
/// framework): a Dense input is [N, features], an image batch [N, H, W, C], a sequence batch
/// [N, T, features]. A Tensor is a cheap handle: copying it shares the same storage and the same
/// identity on a GradientTape. Differentiable ops never modify their inputs.
///
///   Tensor x = uniform({32, 128}, rng);          // creation.h
///   Tensor y = x;                                // same storage, same tape identity
///   float* p = x.data<float>();                  // raw access; throws if x is float64
///   double first = x.at({0, 0});                 // element access for tests and printing

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/tensor/dtype.h"
#include "gradlab/tensor/shape.h"

namespace gradlab {

/// The 64-byte aligned bytes behind a tensor (and its views). Buffers up to 1 MiB are recycled
/// through a bounded per-thread cache, so a warm loop that makes tensors of the same sizes again and
/// again does not go to the heap for their bytes.
class Storage {
 public:
  /// Allocates `bytes` bytes (uninitialized). Throws Error when the request cannot be met.
  explicit Storage(std::size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Largest tensor gradlab will allocate, in elements; larger requests are refused with an Error
/// before any memory is touched (hostile files cannot make gradlab allocate terabytes).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 34;

/// An n-dimensional array. See the file comment for layout and sharing rules.
class Tensor {
 public:
  /// An undefined tensor: `defined()` is false. Gradients of unconnected sources come back this way.
  Tensor() = default;

  /// A tensor of the given shape with uninitialized contents.
  static Tensor empty(const Shape& shape, DType dtype = DType::float32);

  /// A tensor over memory someone else owns (a NumPy array's buffer), without a copy: it reads and
  /// writes `data`, which must hold shape.numel() row-major elements of `dtype` aligned to the
  /// element size, and holds `owner` until its last handle or view is gone. Such a tensor never
  /// owns its storage exclusively, so nothing modifies it in place behind the owner's back.
  static Tensor wrap(void* data, const Shape& shape, DType dtype, std::shared_ptr<const void> owner);

  /// False for a default-constructed tensor (for example an unconnected gradient).
  bool defined() const { return impl_ != nullptr; }
  explicit operator bool() const { return defined(); }

  const Shape& shape() const;
  DType dtype() const;
  int64_t rank() const { return shape().rank(); }
  int64_t numel() const { return shape().numel(); }
  /// Size of `axis` (negative counts from the end).
  int64_t dim(int64_t axis) const { return shape()[axis]; }

  /// Typed pointer to the first element; throws Error if T does not match dtype().
  template <typename T>
  T* data();
  template <typename T>
  const T* data() const;
  void* raw_data() const;

  /// The element at a multi-index, converted to double (slow; for tests and printing).
  double at(std::initializer_list<int64_t> index) const;
  /// The single element of a tensor with numel() == 1; throws otherwise.
  double item() const;
  /// All elements, converted to double, in row-major order.
  std::vector<double> to_vector() const;

  /// A deep copy with a new identity.
  Tensor clone() const;
  /// A copy converted to `dtype` (a plain copy if it already has that dtype). Not recorded on tapes;
  /// use `cast()` from ops.h for a differentiable conversion.
  Tensor to(DType dtype) const;
  /// Same storage seen with another shape of equal numel(); a new identity. Not recorded on tapes;
  /// use `reshape()` from ops.h for a differentiable reshape.
  Tensor view(const Shape& shape) const;
  /// Copies the values of `source` (same shape and dtype) into this tensor's storage, in place.
  void copy_from(const Tensor& source);
  /// Sets every element to `value`, in place.
  void fill(double value);

  /// True when no other handle, copy or view shares this tensor's storage, so that modifying it in
  /// place can be seen by no one else (gradient accumulation uses this). False for `wrap`'s tensors.
  bool owns_storage_exclusively() const;

  /// Identity on a GradientTape: shared by copies of this handle, new for every op result.
  uint64_t id() const;
  /// True when this tensor is the value of a trainable Variable, which tapes watch automatically.
  bool is_trainable_variable() const;
  /// Used by Variable; marks or unmarks this tensor as a trainable variable's value.
  void set_trainable_variable(bool trainable) const;

  /// "float32[2, 3]".
  std::string description() const;
  /// Shape, dtype and (up to `max_elements`) values, for debugging.
  std::string to_string(int64_t max_elements = 64) const;

 private:
  struct Impl;
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl() const;
  std::shared_ptr<Impl> impl_;
};

/// Throws Error("<what>: expected <expected>, got <actual>") when shapes differ.
void check_same_shape(const Tensor& a, const Tensor& b, const std::string& what);
/// Throws Error when dtypes differ.
void check_same_dtype(const Tensor& a, const Tensor& b, const std::string& what);

}  // namespace gradlab
