#pragma once
/// Shape: the dimensions of a tensor, outermost first (row-major, batch first).
///
///   Shape s{32, 128};   s.rank() == 2, s[1] == 128, s.numel() == 4096, s.to_string() == "[32, 128]"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace gradlab {

/// The dimensions of a tensor. A rank-0 shape `{}` is a scalar with one element.
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) { check(); }
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) { check(); }

  /// Number of dimensions.
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  /// Size of dimension `axis`; negative axes count from the end (-1 is the last).
  int64_t operator[](int64_t axis) const { return dims_[normalize_axis(axis)]; }
  /// Number of elements: the product of the dimensions (1 for a scalar).
  int64_t numel() const;
  /// Maps a possibly negative axis into [0, rank); throws Error when out of range.
  int64_t normalize_axis(int64_t axis) const;
  /// The dimensions as a vector.
  const std::vector<int64_t>& dims() const { return dims_; }
  /// "[32, 128]".
  std::string to_string() const;

  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  bool operator==(const Shape&) const = default;

 private:
  void check() const;
  std::vector<int64_t> dims_;
};

}  // namespace gradlab
