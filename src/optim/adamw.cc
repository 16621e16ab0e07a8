#include "gradlab/optim/adamw.h"

#include <cmath>

#include "gradlab/error.h"

namespace gradlab {
namespace {

AdamOptions as_adam(const AdamWOptions& o) {
  if (!(o.weight_decay >= 0 && std::isfinite(o.weight_decay))) {
    fail("{}: weight_decay must be a non-negative number, got {}", o.name, o.weight_decay);
  }
  return AdamOptions{.learning_rate = o.learning_rate,
                     .beta_1 = o.beta_1,
                     .beta_2 = o.beta_2,
                     .epsilon = o.epsilon,
                     .amsgrad = o.amsgrad,
                     .weight_decay = o.weight_decay,
                     .clipnorm = o.clipnorm,
                     .clipvalue = o.clipvalue,
                     .global_clipnorm = o.global_clipnorm,
                     .name = o.name};
}

}  // namespace

AdamW::AdamW(AdamWOptions options) : Adam(as_adam(options)) {}

}  // namespace gradlab
