#include "kernels/indexing.h"

namespace gradlab::kernels {

std::vector<int64_t> contiguous_strides(std::span<const int64_t> dims) {
  std::vector<int64_t> strides(dims.size());
  int64_t s = 1;
  for (std::size_t d = dims.size(); d-- > 0;) {
    strides[d] = s;
    s *= dims[d];
  }
  return strides;
}

void collapse_dims(std::vector<int64_t>& dims, std::vector<std::vector<int64_t>*> strides) {
  std::vector<int64_t> out_dims;
  std::vector<std::vector<int64_t>> out_strides(strides.size());
  // Walk from the innermost dimension outward, merging each into the current innermost group when
  // every operand steps over the group exactly (or broadcasts over both).
  for (std::size_t d = dims.size(); d-- > 0;) {
    if (dims[d] == 1) continue;
    bool merge = !out_dims.empty();
    for (std::size_t j = 0; merge && j < strides.size(); ++j) {
      merge = (*strides[j])[d] == out_strides[j].back() * out_dims.back();
    }
    if (merge) {
      out_dims.back() *= dims[d];
    } else {
      out_dims.push_back(dims[d]);
      for (std::size_t j = 0; j < strides.size(); ++j) out_strides[j].push_back((*strides[j])[d]);
    }
  }
  if (out_dims.empty()) {
    out_dims.push_back(1);
    for (auto& s : out_strides) s.push_back(0);
  }
  dims.assign(out_dims.rbegin(), out_dims.rend());
  for (std::size_t j = 0; j < strides.size(); ++j) strides[j]->assign(out_strides[j].rbegin(), out_strides[j].rend());
}

}  // namespace gradlab::kernels
