#include "gradlab/nn/metrics.h"

#include <vector>

#include "gradlab/error.h"

namespace gradlab {
namespace {

std::vector<int64_t> without_last(const Shape& s) { return {s.dims().begin(), s.dims().end() - 1}; }

void require_inputs(const Tensor& y_true, const Tensor& y_pred, const char* metric) {
  if (!y_true.defined() || !y_pred.defined()) fail("{}: y_true and y_pred must be defined tensors", metric);
  if (y_pred.rank() == 0) fail("{}: y_pred must have rank 1 or more ([..., classes]), got a scalar", metric);
}

template <typename T>
int64_t argmax(const T* row, int64_t n) {
  int64_t best = 0;
  for (int64_t c = 1; c < n; ++c) {
    if (row[c] > row[best]) best = c;
  }
  return best;
}

int64_t argmax_of(const Tensor& t, int64_t row, int64_t n) {
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return argmax(t.data<T>() + row * n, n);
  });
}

}  // namespace

Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  require_inputs(y_true, y_pred, "sparse_categorical_accuracy");
  std::vector<int64_t> label_dims = y_true.shape().to_vector();
  if (y_true.rank() == y_pred.rank() && y_true.dim(-1) == 1) label_dims.pop_back();
  const std::vector<int64_t> rows_shape = without_last(y_pred.shape());
  if (label_dims != rows_shape) {
    fail("sparse_categorical_accuracy: y_true of shape {} does not match y_pred of shape {}",
         y_true.shape().to_string(), y_pred.shape().to_string());
  }
  const int64_t n = y_pred.dim(-1);
  const std::vector<double> labels = y_true.to_vector();
  Tensor out = Tensor::empty(Shape(rows_shape), y_pred.dtype());
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (std::size_t r = 0; r < labels.size(); ++r) {
      o[r] = static_cast<double>(argmax_of(y_pred, static_cast<int64_t>(r), n)) == labels[r] ? T(1) : T(0);
    }
  });
  return out;
}

Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  require_inputs(y_true, y_pred, "categorical_accuracy");
  if (y_true.shape() != y_pred.shape()) {
    fail("categorical_accuracy: y_true has shape {} but y_pred has shape {}", y_true.shape().to_string(),
         y_pred.shape().to_string());
  }
  const int64_t n = y_pred.dim(-1);
  Tensor out = Tensor::empty(Shape(without_last(y_pred.shape())), y_pred.dtype());
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (int64_t r = 0; r < out.numel(); ++r)
      o[r] = argmax_of(y_pred, r, n) == argmax_of(y_true, r, n) ? T(1) : T(0);
  });
  return out;
}

Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  require_inputs(y_true, y_pred, "binary_accuracy");
  std::vector<int64_t> true_dims = y_true.shape().to_vector();
  if (y_pred.rank() == y_true.rank() + 1 && y_pred.dim(-1) == 1) true_dims.push_back(1);
  if (true_dims != y_pred.shape().to_vector()) {
    fail("binary_accuracy: y_true has shape {} but y_pred has shape {}", y_true.shape().to_string(),
         y_pred.shape().to_string());
  }
  const int64_t n = y_pred.dim(-1);
  const std::vector<double> truth = y_true.to_vector();
  const std::vector<double> pred = y_pred.to_vector();
  Tensor out = Tensor::empty(Shape(without_last(y_pred.shape())), y_pred.dtype());
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (int64_t r = 0; r < out.numel(); ++r) {
      int64_t hits = 0;
      for (int64_t c = 0; c < n; ++c) {
        const std::size_t k = static_cast<std::size_t>(r * n + c);
        hits += (pred[k] > threshold ? 1.0 : 0.0) == truth[k];
      }
      o[r] = static_cast<T>(static_cast<double>(hits) / static_cast<double>(n));
    }
  });
  return out;
}

}  // namespace gradlab
