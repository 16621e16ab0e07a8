#include "gradlab/lab/kernel_variance.h"

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {

double kernel_variance(const KernelVarianceCase& c, Rng& rng) {
  if (c.fan_in < 1 || c.units < 1 || c.batch < 1) {
    fail("kernel_variance: fan_in, units and batch must be at least 1, got {}, {} and {}", c.fan_in, c.units,
         c.batch);
  }
  Tensor inputs = uniform({c.batch, c.fan_in}, rng);
  Dense layer(c.units, {.kernel_initializer = c.initializer, .name = "dense"});
  layer.impl().set_rng(&rng);
  layer(inputs);
  // numpy's .var() accumulates in double; so do we, whatever the kernel's dtype.
  return variance(layer.trainable_variables()[0].value().to(DType::float64)).item();
}

double theoretical_kernel_variance(std::string_view initializer, int64_t fan_in, int64_t fan_out) {
  if (fan_in < 1 || fan_out < 1) {
    fail("theoretical_kernel_variance: fans must be at least 1, got fan_in {} and fan_out {}", fan_in, fan_out);
  }
  auto in = static_cast<double>(fan_in);
  auto avg = static_cast<double>(fan_in + fan_out) / 2.0;
  if (initializer == "he_uniform" || initializer == "he_normal") return 2.0 / in;
  if (initializer == "glorot_uniform" || initializer == "glorot_normal") return 1.0 / avg;
  if (initializer == "lecun_uniform" || initializer == "lecun_normal") return 1.0 / in;
  fail("theoretical_kernel_variance: no formula for initializer '{}' (known: he_uniform, he_normal, "
       "glorot_uniform, glorot_normal, lecun_uniform, lecun_normal)",
       initializer);
}

}  // namespace gradlab
