#include "kernels/copy.h"

#include <algorithm>

#include "kernels/indexing.h"

namespace gradlab::kernels {

template <typename T>
void strided_copy(const T* src, const std::vector<int64_t>& src_strides, T* dst,
                  const std::vector<int64_t>& dst_strides, std::span<const int64_t> dims) {
  for (int64_t d : dims) {
    if (d == 0) return;
  }
  std::vector<int64_t> loop_dims(dims.begin(), dims.end()), ss = src_strides, ds = dst_strides;
  collapse_dims(loop_dims, {&ss, &ds});
  const std::size_t last = loop_dims.size() - 1;
  const int64_t n = loop_dims[last], s = ss[last], d = ds[last];
  for_each_row<2>(loop_dims, {&ss, &ds}, [&](const auto& off) {
    const T* __restrict__ from = src + off[0];
    T* __restrict__ to = dst + off[1];
    if (s == 1 && d == 1) {
      std::copy(from, from + n, to);
    } else if (s == 0) {
      for (int64_t i = 0; i < n; ++i) to[i * d] = from[0];
    } else {
      for (int64_t i = 0; i < n; ++i) to[i * d] = from[i * s];
    }
  });
}

template void strided_copy<float>(const float*, const std::vector<int64_t>&, float*, const std::vector<int64_t>&,
                                  std::span<const int64_t>);
template void strided_copy<double>(const double*, const std::vector<int64_t>&, double*,
                                   const std::vector<int64_t>&, std::span<const int64_t>);

}  // namespace gradlab::kernels
