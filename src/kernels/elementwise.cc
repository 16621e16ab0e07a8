#include "kernels/elementwise.h"

namespace gradlab::kernels {

std::vector<int64_t> broadcast_strides(std::span<const int64_t> out, std::span<const int64_t> in) {
  std::vector<int64_t> strides(out.size(), 0);
  const std::vector<int64_t> own = contiguous_strides(in);
  const std::size_t offset = out.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d) {
    if (in[d] != 1) strides[offset + d] = own[d];
  }
  return strides;
}

BroadcastPlan make_broadcast_plan(std::span<const int64_t> out, std::span<const int64_t> a,
                                  std::span<const int64_t> b) {
  BroadcastPlan plan{{out.begin(), out.end()}, broadcast_strides(out, a), broadcast_strides(out, b), contiguous_strides(out)};
  collapse_dims(plan.dims, {&plan.a_strides, &plan.b_strides, &plan.out_strides});
  return plan;
}

}  // namespace gradlab::kernels
