#pragma once
/// make_optimizer: an optimizer by its Keras name, with the options the command line and the
/// training helpers pass around.
///
///   std::unique_ptr<Optimizer> opt = make_optimizer("sgd", {.learning_rate = 0.1, .momentum = 0.9,
///                                                            .nesterov = true, .global_clipnorm = 1.0});
///   auto adam = make_optimizer("adam", {.learning_rate = parse_schedule("cosine:decay_steps=4000", 1e-3)});
///
/// Names (case-insensitive): "sgd", "adam", "adamw", "rmsprop", "adagrad". An option the optimizer
/// does not take (momentum for adam, nesterov for anything but sgd) is an Error naming it and
/// listing the optimizer's options; an unknown name lists the valid names. Options left unset keep
/// Keras's defaults (see each optimizer's header).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/optim/optimizer.h"
#include "gradlab/optim/schedules.h"

namespace gradlab {

/// The options make_optimizer() passes on; unset ones keep the optimizer's defaults.
struct OptimizerSettings {
  /// A constant or a schedule.
  std::optional<LearningRate> learning_rate;
  /// sgd and rmsprop only.
  std::optional<double> momentum;
  /// sgd only.
  std::optional<bool> nesterov;
  /// Decoupled weight decay (every optimizer; adamw's default is 0.004).
  std::optional<double> weight_decay;
  /// At most one of the three clipping options (see clipping.h).
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
};

/// The optimizer called `name`; see the file comment.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, const OptimizerSettings& settings = {});

/// The names make_optimizer() accepts, in lower case.
const std::vector<std::string>& optimizer_names();

/// A learning-rate schedule from text, with `learning_rate` as its initial rate:
///   "constant"                                          the rate itself
///   "exponential:decay_steps=1000,decay_rate=0.96[,staircase=true]"
///   "step:step_size=1000,gamma=0.5"
///   "cosine:decay_steps=5000[,alpha=0.0][,warmup_steps=500,warmup_target=0.01]"
/// An unknown kind or key, a missing required key, or a value that is not a number is an Error listing
/// the valid ones.
LearningRate parse_schedule(std::string_view text, double learning_rate);

}  // namespace gradlab
