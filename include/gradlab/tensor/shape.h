#pragma once
/// Shape: the dimensions of a tensor, outermost first (row-major, batch first).
///
///   Shape s{32, 128};   s.rank() == 2, s[1] == 128, s.numel() == 4096, s.to_string() == "[32, 128]"
///
/// The dimensions live inline (up to kMaxRank of them), so making, copying and comparing shapes
/// never touches the heap.

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace gradlab {

/// The dimensions of a tensor. A rank-0 shape `{}` is a scalar with one element.
class Shape {
 public:
  /// Most dimensions a shape can have; a larger rank is an Error.
  static constexpr int64_t kMaxRank = 8;

  Shape() = default;
  /// Throws Error for a negative dimension or more than kMaxRank dimensions.
  Shape(std::initializer_list<int64_t> dims) { assign(std::span<const int64_t>(dims.begin(), dims.size())); }
  explicit Shape(std::span<const int64_t> dims) { assign(dims); }
  explicit Shape(const std::vector<int64_t>& dims) { assign(dims); }

  /// Number of dimensions.
  int64_t rank() const { return rank_; }
  /// Size of dimension `axis`; negative axes count from the end (-1 is the last).
  int64_t operator[](int64_t axis) const { return dims_[static_cast<std::size_t>(normalize_axis(axis))]; }
  /// Number of elements: the product of the dimensions (1 for a scalar).
  int64_t numel() const;
  /// Maps a possibly negative axis into [0, rank); throws Error when out of range.
  int64_t normalize_axis(int64_t axis) const;
  /// The dimensions, outermost first.
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<std::size_t>(rank_)}; }
  /// The dimensions as a vector, for code that edits them into a new shape.
  std::vector<int64_t> to_vector() const { return {begin(), end()}; }
  /// "[32, 128]".
  std::string to_string() const;

  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }
  bool operator==(const Shape& other) const {
    return rank_ == other.rank_ && std::equal(begin(), end(), other.begin());
  }

 private:
  void assign(std::span<const int64_t> dims);
  std::array<int64_t, kMaxRank> dims_{};
  int64_t rank_ = 0;
};

}  // namespace gradlab
