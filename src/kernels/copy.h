#pragma once
// Copies between strided layouts: transpose, slice, concat and broadcast_to all reduce to this.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace gradlab::kernels {

/// For every index of `dims`, dst[index . dst_strides] = src[index . src_strides] (strides in
/// elements; a 0 source stride repeats an element, as broadcasting does).
template <typename T>
void strided_copy(const T* src, const std::vector<int64_t>& src_strides, T* dst,
                  const std::vector<int64_t>& dst_strides, std::span<const int64_t> dims);

/// Copies `rows` runs of `length` contiguous elements, row r from src + r * src_stride to
/// dst + r * dst_stride: concatenation along an axis and its backward, with no set-up per call.
template <typename T>
void copy_rows(const T* src, int64_t src_stride, T* dst, int64_t dst_stride, int64_t rows, int64_t length) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* from = src + r * src_stride;
    std::copy(from, from + length, dst + r * dst_stride);
  }
}

}  // namespace gradlab::kernels
