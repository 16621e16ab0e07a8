#include "gradlab/autograd/dropout_op.h"

#include <span>

#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "kernels/dropout.h"

namespace gradlab {

void check_dropout_rate(double rate, std::string_view who) {
  if (!(rate >= 0.0 && rate < 1.0)) fail("{}: rate must be in [0, 1), got {}", who, rate);
}

Tensor dropout(const Tensor& x, double rate, Rng& rng) {
  check_dropout_rate(rate, "dropout");
  if (!x.defined()) fail("dropout: input is an undefined tensor");
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    rng.uniform(mask.data<T>(), mask.numel(), 0.0, 1.0);
    kernels::dropout_mask(mask.data<T>(), mask.numel(), rate);
  });
  // The product with a constant mask records one node whose backward is g * mask.
  Tensor y;
  {
    NoRecording untracked;
    y = mul(x, mask);
  }
  if (should_record({x})) {
    record("dropout", {x}, y, [mask](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? mul(g, mask) : Tensor()};
    });
  }
  return y;
}

}  // namespace gradlab
