#pragma once
// Shared by the optimizers' update(): the base class's step context as the kernels' typed options,
// and the argument checks every optimizer makes.
#include <cmath>
#include <string>

#include "gradlab/error.h"
#include "gradlab/optim/optimizer.h"
#include "kernels/optim.h"

namespace gradlab::detail {

template <typename T, typename Context>
kernels::UpdateCommon<T> update_common(const Context& c) {
  kernels::UpdateCommon<T> out;
  out.learning_rate = static_cast<T>(c.learning_rate);
  out.grad_scale = static_cast<T>(c.grad_scale);
  out.clip_value = static_cast<T>(c.clip_value);
  out.weight_decay = static_cast<T>(c.weight_decay);
  return out;
}

/// The common Keras options of an optimizer's options struct.
template <typename Options>
OptimizerConfig optimizer_config(const Options& o) {
  return OptimizerConfig{.learning_rate = o.learning_rate,
                         .weight_decay = o.weight_decay,
                         .clipnorm = o.clipnorm,
                         .clipvalue = o.clipvalue,
                         .global_clipnorm = o.global_clipnorm,
                         .name = o.name};
}

/// Throws "<optimizer>: <what> must be in [low, high), got v" (or a closed upper end).
inline void require_range(double v, double low, double high, bool high_included, const std::string& optimizer,
                          const char* what) {
  const bool ok = v >= low && (high_included ? v <= high : v < high);
  if (!ok)
    fail("{}: {} must be in [{}, {}{}, got {}", optimizer, what, low, high, high_included ? "]" : ")", v);
}

/// ", weight_decay=0.004, clipnorm=1" for the options that are set.
inline std::string common_description(const OptimizerConfig& c) {
  std::string s = fmt::format("learning_rate={}", c.learning_rate.description());
  if (c.weight_decay) s += fmt::format(", weight_decay={}", *c.weight_decay);
  if (c.clipnorm) s += fmt::format(", clipnorm={}", *c.clipnorm);
  if (c.clipvalue) s += fmt::format(", clipvalue={}", *c.clipvalue);
  if (c.global_clipnorm) s += fmt::format(", global_clipnorm={}", *c.global_clipnorm);
  return s;
}

}  // namespace gradlab::detail
