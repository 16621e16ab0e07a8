#include "gradlab/nn/input_normalization.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"
#include "autograd/normalize_ops.h"
#include "nn/normalization/input_checks.h"

namespace gradlab {
namespace {

const std::string& checked_name(const NormalizationOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view("normalization") : std::string_view(o.name);
  if (o.mean.empty() != o.variance.empty()) {
    fail("{}: mean and variance must be given together (got {} mean and {} variance values)", label, o.mean.size(),
         o.variance.size());
  }
  return o.name;
}

std::string axes_text(const std::vector<int64_t>& axes) { return fmt::format("[{}]", fmt::join(axes, ", ")); }

// The kept axes of an input of this shape, resolved and sorted; an Error naming the layer when invalid.
std::vector<int64_t> kept_axes(const std::string& layer, const std::vector<int64_t>& axis, const Shape& shape) {
  detail::check_rank(layer, shape);
  std::vector<int64_t> kept;
  for (int64_t a : axis) kept.push_back(detail::resolve_axis(layer, a, shape.rank()));
  std::sort(kept.begin(), kept.end());
  if (std::adjacent_find(kept.begin(), kept.end()) != kept.end()) {
    fail("{}: axis {} names the same axis twice", layer, axes_text(axis));
  }
  return kept;
}

// Whether the kept axes form one block of consecutive axes (or none), so x is [outer, kept, inner].
bool consecutive(const std::vector<int64_t>& kept) {
  for (std::size_t i = 1; i < kept.size(); ++i) {
    if (kept[i] != kept[i - 1] + 1) return false;
  }
  return true;
}

Tensor filled(const std::vector<double>& values, const Variable& like) {
  Tensor t = Tensor::empty(like.shape(), like.dtype());
  dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

}  // namespace

NormalizationImpl::NormalizationImpl(NormalizationOptions options)
    : LayerImpl("normalization", checked_name(options), options.dtype), options_(std::move(options)) {}

void NormalizationImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  std::vector<int64_t> kept = kept_axes(name(), options_.axis, shape);
  std::vector<int64_t> dims;
  for (int64_t a : kept) dims.push_back(shape[a]);
  const Shape stats_shape(dims);
  const auto size = static_cast<std::size_t>(stats_shape.numel());
  auto expand = [&](const std::vector<double>& given, const char* what) {
    if (given.size() == 1) return std::vector<double>(size, given.front());
    if (given.size() != size) {
      fail("{}: {} has {} values but the kept axes {} of input shape {} need 1 or {}", name(), what, given.size(),
           axes_text(options_.axis), shape.to_string(), size);
    }
    return given;
  };
  std::vector<double> mean, variance;
  if (!options_.mean.empty()) {
    mean = expand(options_.mean, "mean");
    variance = expand(options_.variance, "variance");
  }
  rank_ = shape.rank();
  kept_ = std::move(kept);
  mean_ = add_weight("mean", stats_shape, "zeros", false);
  variance_ = add_weight("variance", stats_shape, "ones", false);
  if (!mean.empty()) {
    mean_.assign(filled(mean, mean_));
    variance_.assign(filled(variance, variance_));
  }
}

void NormalizationImpl::build_from(const Shape& shape, DType dtype) {
  kept_axes(name(), options_.axis, shape);  // validates before the layer counts as built
  mark_built(this->dtype().value_or(dtype));
  build({shape}, *this->dtype());
}

Tensor NormalizationImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() != rank_) {
    fail("{}: expected an input of rank {} (the layer was built for it), got shape {}", name(), rank_,
         x.shape().to_string());
  }
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    if (x.dim(kept_[i]) != mean_.shape()[static_cast<int64_t>(i)]) {
      fail("{}: input shape {} does not match the statistics' shape {} on axes {}", name(), x.shape().to_string(),
           mean_.shape().to_string(), axes_text(kept_));
    }
  }
  const std::vector<double> mean = mean_.value().to_vector(), variance = variance_.value().to_vector();
  std::vector<double> center(mean.size()), scale(mean.size()), offset(mean.size());
  for (std::size_t c = 0; c < mean.size(); ++c) {
    // Keras: (x - mean) / max(sqrt(variance), epsilon); invert: mean + x * max(sqrt(variance), epsilon).
    const double deviation = std::max(std::sqrt(variance[c]), kEpsilon);
    center[c] = options_.invert ? 0.0 : mean[c];
    scale[c] = options_.invert ? deviation : 1.0 / deviation;
    offset[c] = options_.invert ? mean[c] : 0.0;
  }
  const auto channels = static_cast<int64_t>(mean.size());
  if (consecutive(kept_)) {
    const int64_t begin = kept_.empty() ? rank_ : kept_.front();
    const int64_t end = kept_.empty() ? rank_ : kept_.back() + 1;
    return detail::channel_affine("normalization", x, detail::dims_product(x.shape(), 0, begin), channels,
                                  detail::dims_product(x.shape(), end, rank_), std::move(center), std::move(scale),
                                  std::move(offset));
  }
  // Kept axes apart from each other: bring them last, apply, and put them back (differentiably).
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < rank_; ++i) {
    if (!std::binary_search(kept_.begin(), kept_.end(), i)) perm.push_back(i);
  }
  perm.insert(perm.end(), kept_.begin(), kept_.end());
  const Tensor moved = transpose(x, perm);
  const Tensor y = detail::channel_affine("normalization", moved, moved.numel() / std::max<int64_t>(channels, 1),
                                          channels, 1, std::move(center), std::move(scale), std::move(offset));
  return transpose(y, detail::inverse_permutation(perm));
}

std::string NormalizationImpl::config_summary() const {
  return fmt::format("axis={}, invert={}", options_.axis.empty() ? std::string("None") : axes_text(options_.axis),
                     options_.invert);
}

void NormalizationImpl::adapt(const Tensor& data) {
  reset_state();
  update_state(data);
  finalize_state();
}

void NormalizationImpl::reset_state() {
  count_ = 0;
  stream_mean_.clear();
  stream_m2_.clear();
}

void NormalizationImpl::update_state(const Tensor& batch) {
  if (!batch.defined()) fail("{}: update_state() got an undefined tensor", name());
  if (!built()) build_from(batch.shape(), batch.dtype());
  if (batch.rank() != rank_) {
    fail("{}: adapt data must have rank {} (the layer was built for it), got shape {}", name(), rank_,
         batch.shape().to_string());
  }
  const auto channels = mean_.shape().numel();
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    if (batch.dim(kept_[i]) != mean_.shape()[static_cast<int64_t>(i)]) {
      fail("{}: adapt data shape {} does not match the statistics' shape {} on axes {}", name(),
           batch.shape().to_string(), mean_.shape().to_string(), axes_text(kept_));
    }
  }
  const int64_t rows = batch.numel() / std::max<int64_t>(channels, 1);
  if (batch.numel() == 0) return;
  // View the batch as [rows, channels] with the kept axes last.
  Tensor view = batch;
  const bool trailing = kept_.empty() || (consecutive(kept_) && kept_.back() == rank_ - 1);
  if (!trailing) {
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < rank_; ++i) {
      if (!std::binary_search(kept_.begin(), kept_.end(), i)) perm.push_back(i);
    }
    perm.insert(perm.end(), kept_.begin(), kept_.end());
    view = detail::permuted(batch, perm);
  }
  // Two passes in double for the batch (mean, then squared deviations), then Chan et al.'s exact merge.
  std::vector<double> mean(static_cast<std::size_t>(channels), 0.0), m2(static_cast<std::size_t>(channels), 0.0);
  dispatch(view.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = view.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < channels; ++c) mean[c] += static_cast<double>(p[r * channels + c]);
    }
    for (double& m : mean) m /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < channels; ++c) {
        const double d = static_cast<double>(p[r * channels + c]) - mean[c];
        m2[c] += d * d;
      }
    }
  });
  const double n_b = static_cast<double>(rows);
  if (count_ == 0) {
    count_ = n_b;
    stream_mean_ = std::move(mean);
    stream_m2_ = std::move(m2);
    return;
  }
  const double n_a = count_, n = n_a + n_b;
  for (int64_t c = 0; c < channels; ++c) {
    const double delta = mean[c] - stream_mean_[c];
    stream_mean_[c] += delta * (n_b / n);
    stream_m2_[c] += m2[c] + delta * delta * (n_a * n_b / n);
  }
  count_ = n;
}

void NormalizationImpl::finalize_state() {
  if (count_ == 0) fail("{}: adapt() saw no data; give it at least one example", name());
  std::vector<double> variance(stream_m2_.size());
  for (std::size_t c = 0; c < variance.size(); ++c) variance[c] = stream_m2_[c] / count_;
  mean_.assign(filled(stream_mean_, mean_));
  variance_.assign(filled(variance, variance_));
}

Normalization::Normalization(NormalizationOptions options)
    : Layer(std::make_shared<NormalizationImpl>(std::move(options))) {}

}  // namespace gradlab
