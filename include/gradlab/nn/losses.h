#pragma once
/// Losses with Keras 3's names, formulas and defaults: differentiable functions of (y_true, y_pred)
/// that return a scalar by default.
///
///   Tensor logits = model(x);                                        // [N, 10]
///   Tensor loss = sparse_categorical_crossentropy(labels, logits, {.from_logits = true});
///   Tensor per_sample = mean_squared_error(y, y_hat, Reduction::none);  // [N]
///   LossFn f = get_loss("binary_crossentropy", {.from_logits = true});
///
/// Each loss first computes one value per sample by reducing the last axis (the class axis for the
/// cross-entropies), as keras.losses.* functions do, and then applies the reduction:
/// `sum_over_batch_size` (Keras's default: the mean of the per-sample values), `sum`, or `none` (the
/// per-sample tensor, shaped like y_pred without its last axis). As in Keras, y_true of rank one less
/// than y_pred is expanded when y_pred's last dimension is 1 (labels [N] with predictions [N, 1]).
///
/// Numerical forms: from logits, the cross-entropies are fused ops that never take the log of a
/// probability (log-softmax, and max(x, 0) - x z + log(1 + exp(-|x|)) for the sigmoid); from
/// probabilities they clip to [epsilon, 1 - epsilon] with Keras's epsilon 1e-7 (the gradient is 0
/// where the clip holds), and the categorical ones first divide by the sum over the class axis.
/// PyTorch differs: nn.BCELoss clamps each log at -100 instead of clipping probabilities, and
/// nn.CrossEntropyLoss takes logits only; with from_logits the values agree with PyTorch's
/// BCEWithLogitsLoss and CrossEntropyLoss (label_smoothing spreads over all classes in both).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// How per-sample losses become the returned tensor (Keras's `reduction` argument).
enum class Reduction {
  sum_over_batch_size,  ///< the mean of the per-sample losses (Keras's default; PyTorch's "mean")
  sum,                  ///< their sum
  none,                 ///< the per-sample losses themselves
};

/// Parses "sum_over_batch_size" (also "mean"), "sum" or "none"; throws Error listing them.
Reduction parse_reduction(std::string_view name);
/// The Keras name of a reduction.
std::string_view reduction_name(Reduction reduction);

/// Keras's epsilon (keras.backend.epsilon()), the clip margin for probabilities.
inline constexpr double kLossEpsilon = 1e-7;

/// mean((y_pred - y_true)^2) over the last axis per sample. Shapes must agree.
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred,
                          Reduction reduction = Reduction::sum_over_batch_size);
/// mean(|y_pred - y_true|) over the last axis per sample; the gradient at y_pred == y_true is 0.
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred,
                           Reduction reduction = Reduction::sum_over_batch_size);

/// Options of the binary and categorical cross-entropies (keras.losses.BinaryCrossentropy,
/// CategoricalCrossentropy).
struct CrossentropyOptions {
  /// Whether y_pred holds logits (true) or probabilities (false, Keras's default).
  bool from_logits = false;
  /// In [0, 1]: targets become y (1 - s) + s / 2 (binary) or y (1 - s) + s / classes (categorical),
  /// where classes is y_true's last dimension, as in Keras.
  double label_smoothing = 0.0;
  /// The class axis the categorical cross-entropy sums over, or the axis the binary one averages.
  int64_t axis = -1;
  /// How the per-sample losses are combined.
  Reduction reduction = Reduction::sum_over_batch_size;
};

/// Binary cross-entropy -(z log p + (1 - z) log(1 - p)), averaged over `axis` per sample.
/// From logits x: max(x, 0) - x z + log(1 + exp(-|x|)) (tf.nn.sigmoid_cross_entropy_with_logits).
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                           const CrossentropyOptions& options = {});

/// Categorical cross-entropy -sum(z log p) over the class axis, for one-hot (or soft) targets of
/// y_pred's shape. From logits it is one fused op: forward log_softmax, backward softmax sum(z) - z.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                const CrossentropyOptions& options = {});

/// Options of the sparse categorical cross-entropy (keras.losses.SparseCategoricalCrossentropy).
struct SparseCrossentropyOptions {
  /// Whether y_pred holds logits (true) or probabilities (false, Keras's default).
  bool from_logits = false;
  /// Labels equal to this class contribute nothing, and sum_over_batch_size divides by the number of
  /// other labels plus Keras's epsilon (so a batch of ignored labels gives 0, not NaN).
  std::optional<int64_t> ignore_class;
  /// How the per-sample losses are combined.
  Reduction reduction = Reduction::sum_over_batch_size;
};

/// Categorical cross-entropy with integer class labels: y_true [N, ...] (or [N, ..., 1]) holds class
/// indices stored as floats, y_pred [N, ..., classes] (classes on the last axis, as Keras requires).
/// A label that is not an integer in [0, classes) is an Error naming it. From logits: one fused op,
/// -log_softmax(x)[label], backward softmax - onehot. No gradient flows to y_true.
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       const SparseCrossentropyOptions& options = {});

/// A loss as a function of (y_true, y_pred).
using LossFn = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

/// Settings that get_loss() passes on to the loss it returns.
struct LossSettings {
  /// For the cross-entropies only.
  bool from_logits = false;
  /// For the binary and categorical cross-entropies only.
  double label_smoothing = 0.0;
  /// How the per-sample losses are combined.
  Reduction reduction = Reduction::sum_over_batch_size;
};

/// The loss called `name`: "mean_squared_error" ("mse"), "mean_absolute_error" ("mae"),
/// "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy". Throws Error
/// listing the valid names, or when a setting does not apply (from_logits for mse).
LossFn get_loss(std::string_view name, const LossSettings& settings = {});
/// The canonical names get_loss() accepts.
const std::vector<std::string>& loss_names();

}  // namespace gradlab
