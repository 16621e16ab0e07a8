#pragma once
/// The lesson's initializer cells: the variance of a Dense kernel right after it is built, and the
/// variance its initializer promises.
///
///   Rng rng = Rng(seed).fork(trial);
///   double v = kernel_variance({.initializer = "he_uniform", .fan_in = 10, .units = 32}, rng);
///   double t = theoretical_kernel_variance("he_uniform", 10, 32);    // limit^2 / 3 = 2 / 10

#include <cstdint>
#include <string>
#include <string_view>

#include "gradlab/tensor/rng.h"

namespace gradlab {

/// One Dense layer of the lesson's initializer cells.
struct KernelVarianceCase {
  /// Kernel initializer name, e.g. "he_uniform" or "glorot_uniform".
  std::string initializer = "glorot_uniform";
  /// Features of the input, so the kernel's fan_in (rows).
  int64_t fan_in = 10;
  /// Units of the layer, so the kernel's fan_out (columns).
  int64_t units = 32;
  /// Rows of the input batch the layer is built on (the lesson's 32).
  int64_t batch = 32;
};

/// One trial of the lesson's cell: draws an input U[0, 1) shaped [batch, fan_in] from `rng`, calls
/// Dense(units, kernel_initializer) on it (the kernel is drawn from `rng`) and returns the population
/// variance of layer.trainable_variables()[0], as numpy's .var().
double kernel_variance(const KernelVarianceCase& c, Rng& rng);

/// The variance of the distribution an initializer draws a (fan_in, fan_out) kernel from. The
/// variance-scaling family gives scale / fan: he_* 2 / fan_in, glorot_* 2 / (fan_in + fan_out),
/// lecun_* 1 / fan_in. For the uniform ones this is limit^2 / 3 with limit = sqrt(3 scale / fan); the
/// truncated-normal ones reach it through Keras's stddev correction. Throws Error for another name.
double theoretical_kernel_variance(std::string_view initializer, int64_t fan_in, int64_t fan_out);

}  // namespace gradlab
