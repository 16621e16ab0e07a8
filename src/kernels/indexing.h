#pragma once
// Iteration over strided n-dimensional layouts, shared by the copy, broadcast and reduction kernels.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace gradlab::kernels {

/// Row-major element strides of a dense tensor with `dims`.
std::vector<int64_t> contiguous_strides(std::span<const int64_t> dims);

/// Drops size-1 dimensions and merges neighbouring dimensions that are contiguous with each other in
/// every operand, so that loops run over as few and as long rows as possible. `strides` holds one
/// stride vector per operand, each as long as `dims`. Leaves at least one dimension.
void collapse_dims(std::vector<int64_t>& dims, std::vector<std::vector<int64_t>*> strides);

/// Calls `fn(offsets)` once per row of an n-dimensional loop: for every index of dims[0 .. rank-1)
/// in row-major order, with offsets[j] the element offset of that index in operand j. The caller
/// runs the innermost dimension itself, which keeps that loop free for the vectorizer.
template <std::size_t N, typename Fn>
void for_each_row(const std::vector<int64_t>& dims, const std::array<const std::vector<int64_t>*, N>& strides,
                  Fn&& fn) {
  const std::size_t outer_rank = dims.empty() ? 0 : dims.size() - 1;
  int64_t rows = 1;
  for (std::size_t d = 0; d < outer_rank; ++d) rows *= dims[d];
  std::array<int64_t, N> offsets{};
  if (outer_rank == 0) {
    if (rows > 0) fn(offsets);
    return;
  }
  std::vector<int64_t> index(outer_rank, 0);
  for (int64_t row = 0; row < rows; ++row) {
    fn(offsets);
    for (std::size_t d = outer_rank; d-- > 0;) {
      if (++index[d] < dims[d]) {
        for (std::size_t j = 0; j < N; ++j) offsets[j] += (*strides[j])[d];
        break;
      }
      index[d] = 0;
      for (std::size_t j = 0; j < N; ++j) offsets[j] -= (*strides[j])[d] * (dims[d] - 1);
    }
  }
}

}  // namespace gradlab::kernels
