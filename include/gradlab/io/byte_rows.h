#pragma once
/// ByteRows: examples kept as the bytes a file stores them in (an image's pixels), one row per
/// example, read as float32 `byte * scale` only when a batch needs them. Fashion-MNIST's 70,000
/// images take 55 MB this way instead of 220 MB as float32.
///
///   ByteRows images = ...;                     // [60000] rows of shape [784], scale 1/255
///   ByteRows first_half = images.slice(0, 30000);   // shares the bytes, copies nothing
///   images.read_rows(rows, out.data<float>());       // rows at `rows`, as float32, one after another
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gradlab/tensor/shape.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Rows of bytes shared between views: rows [first, first + rows) of `bytes`, each `row_shape`.
struct ByteRows {
  /// Every row of the source, row after row; shared by slices of it.
  std::shared_ptr<const std::vector<std::uint8_t>> bytes;
  /// The first row of this view within `bytes`.
  int64_t first = 0;
  /// Rows in this view.
  int64_t rows = 0;
  /// The shape of one row (Fashion-MNIST: [784]).
  Shape row_shape;
  /// A feature's value is float(byte * scale), the product taken in double as IdxArray::to_tensor
  /// does (Fashion-MNIST: 1/255, so pixels lie in [0, 1]).
  double scale = 1;

  /// Whether this view holds rows from a source (a default ByteRows holds none).
  bool defined() const { return bytes != nullptr; }
  /// Elements per row: the product of row_shape.
  int64_t row_size() const;
  /// [rows, row_shape...]: the shape of the float32 tensor these rows stand for.
  Shape shape() const;
  /// Rows [begin, begin + count) of this view, sharing the bytes. Error when out of range.
  ByteRows slice(int64_t begin, int64_t count) const;
  /// The rows at `rows` (indexes into this view, in that order) as a new view with bytes of its own.
  ByteRows gather(std::span<const int64_t> rows) const;
  /// Writes the rows at `rows` as float32, one after another, to `out` (rows.size() * row_size()
  /// floats). Error naming the row when an index is out of range.
  void read_rows(std::span<const int64_t> rows, float* out) const;
  /// Every row as a float32 tensor of shape().
  Tensor to_tensor() const;
};

}  // namespace gradlab
