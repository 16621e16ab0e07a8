#include "gradlab/io/byte_rows.h"

#include <array>
#include <numeric>

#include "gradlab/error.h"

namespace gradlab {

int64_t ByteRows::row_size() const { return row_shape.numel(); }

Shape ByteRows::shape() const {
  std::vector<int64_t> dims{rows};
  for (int64_t d : row_shape.dims()) dims.push_back(d);
  return Shape(dims);
}

ByteRows ByteRows::slice(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > rows) {
    fail("byte rows: rows [{}, {}) are outside the {} rows", begin, begin + count, rows);
  }
  ByteRows out = *this;
  out.first = first + begin;
  out.rows = count;
  return out;
}

ByteRows ByteRows::gather(std::span<const int64_t> indexes) const {
  const int64_t width = row_size();
  auto copied = std::make_shared<std::vector<std::uint8_t>>(indexes.size() * static_cast<std::size_t>(width));
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    if (indexes[i] < 0 || indexes[i] >= rows) fail("dataset row {} is out of range [0, {})", indexes[i], rows);
    const std::uint8_t* src = bytes->data() + (first + indexes[i]) * width;
    std::copy(src, src + width, copied->data() + static_cast<int64_t>(i) * width);
  }
  return {.bytes = std::move(copied), .first = 0, .rows = static_cast<int64_t>(indexes.size()), .row_shape = row_shape,
          .scale = scale};
}

void ByteRows::read_rows(std::span<const int64_t> indexes, float* out) const {
  const int64_t width = row_size();
  std::array<float, 256> value{};
  for (int b = 0; b < 256; ++b) value[static_cast<std::size_t>(b)] = static_cast<float>(b * scale);
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    if (indexes[i] < 0 || indexes[i] >= rows) fail("dataset row {} is out of range [0, {})", indexes[i], rows);
    const std::uint8_t* src = bytes->data() + (first + indexes[i]) * width;
    float* dst = out + static_cast<int64_t>(i) * width;
    for (int64_t j = 0; j < width; ++j) dst[j] = value[src[j]];
  }
}

Tensor ByteRows::to_tensor() const {
  Tensor out = Tensor::empty(shape(), DType::float32);
  std::vector<int64_t> all(static_cast<std::size_t>(rows));
  std::iota(all.begin(), all.end(), int64_t{0});
  read_rows(all, out.data<float>());
  return out;
}

}  // namespace gradlab
