#pragma once
// Copies between strided layouts: transpose, slice, concat and broadcast_to all reduce to this.
#include <cstdint>
#include <span>
#include <vector>

namespace gradlab::kernels {

/// For every index of `dims`, dst[index . dst_strides] = src[index . src_strides] (strides in
/// elements; a 0 source stride repeats an element, as broadcasting does).
template <typename T>
void strided_copy(const T* src, const std::vector<int64_t>& src_strides, T* dst,
                  const std::vector<int64_t>& dst_strides, std::span<const int64_t> dims);

}  // namespace gradlab::kernels
