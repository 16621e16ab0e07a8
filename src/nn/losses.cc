#include "gradlab/nn/losses.h"

#include <cmath>

#include "gradlab/autograd/loss_ops.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

void require_defined(const Tensor& y_true, const Tensor& y_pred, const char* loss) {
  if (!y_true.defined()) fail("{}: y_true is an undefined tensor", loss);
  if (!y_pred.defined()) fail("{}: y_pred is an undefined tensor", loss);
}

// Keras casts y_true to y_pred's dtype; the cast is differentiable, so gradients still reach y_true.
Tensor as_pred_dtype(const Tensor& y_true, const Tensor& y_pred) {
  return y_true.dtype() == y_pred.dtype() ? y_true : cast(y_true, y_pred.dtype());
}

// Keras's squeeze_or_expand_to_same_rank: a trailing dimension of 1 on one side is dropped (or, when
// the other side is rank 1, added to it), then the shapes must agree.
std::pair<Tensor, Tensor> same_rank(const Tensor& y_true_in, const Tensor& y_pred_in, const char* loss) {
  require_defined(y_true_in, y_pred_in, loss);
  Tensor y_true = as_pred_dtype(y_true_in, y_pred_in);
  Tensor y_pred = y_pred_in;
  auto fix = [](Tensor& high, Tensor& low) {
    if (high.rank() != low.rank() + 1 || high.dim(-1) != 1) return;
    if (low.rank() == 1) {
      low = reshape(low, {low.dim(0), 1});
    } else {
      std::vector<int64_t> dims(high.shape().dims().begin(), high.shape().dims().end() - 1);
      high = reshape(high, dims);
    }
  };
  fix(y_true, y_pred);
  fix(y_pred, y_true);
  if (y_true.shape() != y_pred.shape()) {
    fail("{}: y_true has shape {} but y_pred has shape {}; they must agree", loss, y_true.shape().to_string(),
         y_pred.shape().to_string());
  }
  if (y_pred.rank() == 0) fail("{}: y_pred must have rank 1 or more, got a scalar", loss);
  return {y_true, y_pred};
}

Tensor reduce(const Tensor& per_sample, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return per_sample;
    case Reduction::sum:
      return sum(per_sample);
    case Reduction::sum_over_batch_size:
      break;
  }
  return mean(per_sample);
}

void check_smoothing(double s, const char* loss) {
  if (!(s >= 0.0 && s <= 1.0)) fail("{}: label_smoothing must be in [0, 1], got {}", loss, s);
}

}  // namespace

Reduction parse_reduction(std::string_view name) {
  if (name == "sum_over_batch_size" || name == "mean") return Reduction::sum_over_batch_size;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  fail("unknown loss reduction '{}'; expected sum_over_batch_size (or mean), sum or none", name);
}

std::string_view reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::sum:
      return "sum";
    case Reduction::none:
      return "none";
    case Reduction::sum_over_batch_size:
      break;
  }
  return "sum_over_batch_size";
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred, Reduction reduction) {
  auto [t, p] = same_rank(y_true, y_pred, "mean_squared_error");
  return reduce(mean(square(p - t), {-1}), reduction);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred, Reduction reduction) {
  auto [t, p] = same_rank(y_true, y_pred, "mean_absolute_error");
  return reduce(mean(abs(p - t), {-1}), reduction);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, const CrossentropyOptions& options) {
  check_smoothing(options.label_smoothing, "binary_crossentropy");
  auto [t, p] = same_rank(y_true, y_pred, "binary_crossentropy");
  loss_axis(p.shape(), options.axis, "binary_crossentropy");
  if (options.label_smoothing > 0) t = t * (1.0 - options.label_smoothing) + 0.5 * options.label_smoothing;
  const Tensor per_element =
      options.from_logits ? sigmoid_cross_entropy(t, p) : binary_cross_entropy(t, p, kLossEpsilon);
  return reduce(mean(per_element, {options.axis}), options.reduction);
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                const CrossentropyOptions& options) {
  check_smoothing(options.label_smoothing, "categorical_crossentropy");
  auto [t, p] = same_rank(y_true, y_pred, "categorical_crossentropy");
  if (options.label_smoothing > 0) {
    const double classes = static_cast<double>(t.dim(-1));
    t = t * (1.0 - options.label_smoothing) + options.label_smoothing / classes;
  }
  Tensor per_sample = options.from_logits
                          ? softmax_cross_entropy(t, p, options.axis, "categorical_crossentropy")
                          : probability_cross_entropy(t, p, options.axis, kLossEpsilon, "categorical_crossentropy");
  return reduce(per_sample, options.reduction);
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       const SparseCrossentropyOptions& options) {
  const char* name = "sparse_categorical_crossentropy";
  require_defined(y_true, y_pred, name);
  if (y_pred.rank() == 0) fail("{}: y_pred must have rank 1 or more ([..., classes]), got a scalar", name);
  std::vector<int64_t> label_dims = y_true.shape().to_vector();
  if (y_true.rank() == y_pred.rank() && y_true.dim(-1) == 1) label_dims.pop_back();
  const std::vector<int64_t> pred_dims(y_pred.shape().dims().begin(), y_pred.shape().dims().end() - 1);
  if (label_dims != pred_dims) {
    fail(
        "{}: y_true of shape {} does not match y_pred of shape {}; expected labels of shape {} (or with a "
        "trailing 1)",
        name, y_true.shape().to_string(), y_pred.shape().to_string(), Shape(pred_dims).to_string());
  }
  const int64_t classes = y_pred.dim(-1);
  const std::vector<double> raw = y_true.to_vector();
  std::vector<int64_t> labels(raw.size());
  int64_t valid = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const double v = raw[i];
    if (options.ignore_class && v == static_cast<double>(*options.ignore_class)) {
      labels[i] = -1;
      continue;
    }
    if (!(v >= 0 && v < static_cast<double>(classes)) || v != std::floor(v)) {
      fail("{}: label {} at index {} is not a class index in [0, {})", name, v, i, classes);
    }
    labels[i] = static_cast<int64_t>(v);
    ++valid;
  }
  const Shape out_shape(pred_dims);
  Tensor per_sample;
  if (options.from_logits) {
    per_sample = sparse_softmax_cross_entropy(labels, y_pred, out_shape);
  } else {
    // Keras's probability path is the categorical one on one-hot targets (zero rows for ignored labels).
    Tensor onehot = zeros(y_pred.shape(), y_pred.dtype());
    dispatch(y_pred.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* o = onehot.data<T>();
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= 0) o[static_cast<int64_t>(i) * classes + labels[i]] = T(1);
      }
    });
    per_sample = probability_cross_entropy(onehot, y_pred, -1, kLossEpsilon, name);
  }
  if (options.ignore_class && options.reduction == Reduction::sum_over_batch_size) {
    return sum(per_sample) * (1.0 / (static_cast<double>(valid) + kLossEpsilon));
  }
  return reduce(per_sample, options.reduction);
}

LossFn get_loss(std::string_view name, const LossSettings& s) {
  auto no_logits = [&](const char* loss) {
    if (s.from_logits || s.label_smoothing != 0.0) {
      fail("{}: from_logits and label_smoothing apply only to the cross-entropies", loss);
    }
  };
  if (name == "mean_squared_error" || name == "mse") {
    no_logits("mean_squared_error");
    return [r = s.reduction](const Tensor& t, const Tensor& p) { return mean_squared_error(t, p, r); };
  }
  if (name == "mean_absolute_error" || name == "mae") {
    no_logits("mean_absolute_error");
    return [r = s.reduction](const Tensor& t, const Tensor& p) { return mean_absolute_error(t, p, r); };
  }
  const CrossentropyOptions ce{
      .from_logits = s.from_logits, .label_smoothing = s.label_smoothing, .reduction = s.reduction};
  if (name == "binary_crossentropy") {
    return [ce](const Tensor& t, const Tensor& p) { return binary_crossentropy(t, p, ce); };
  }
  if (name == "categorical_crossentropy") {
    return [ce](const Tensor& t, const Tensor& p) { return categorical_crossentropy(t, p, ce); };
  }
  if (name == "sparse_categorical_crossentropy") {
    if (s.label_smoothing != 0.0)
      fail("sparse_categorical_crossentropy: label_smoothing is not supported (as in Keras)");
    const SparseCrossentropyOptions sparse{.from_logits = s.from_logits, .reduction = s.reduction};
    return
        [sparse](const Tensor& t, const Tensor& p) { return sparse_categorical_crossentropy(t, p, sparse); };
  }
  std::string valid;
  for (const std::string& n : loss_names()) valid += (valid.empty() ? "" : ", ") + n;
  fail("unknown loss '{}'; valid names: {} (also mse, mae)", name, valid);
}

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = {"mean_squared_error", "mean_absolute_error",
                                                 "binary_crossentropy", "categorical_crossentropy",
                                                 "sparse_categorical_crossentropy"};
  return names;
}

}  // namespace gradlab
