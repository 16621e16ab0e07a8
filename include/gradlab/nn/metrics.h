#pragma once
/// Accuracy metrics as Keras's metric functions: one value per sample, 1 for a hit and 0 for a miss,
/// not differentiable (nothing is recorded on tapes). The training loop averages them.
///
///   Tensor hits = sparse_categorical_accuracy(labels, logits);   // [N] of 0 and 1
///   double accuracy = mean(hits).item();
///
/// Ties go to the first maximal class, as argmax does in Keras and PyTorch.

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// 1 where argmax(y_pred, last axis) equals the integer label in y_true ([N, ...] or [N, ..., 1]),
/// else 0; shaped like y_pred without its last axis. Works on logits or probabilities alike.
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// 1 where argmax(y_pred) equals argmax(y_true) along the last axis (one-hot targets), else 0.
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// Element-wise 1 where (y_pred > threshold ? 1 : 0) equals y_true (0 or 1), averaged over the last axis per
/// sample (keras.metrics.binary_accuracy; pass threshold 0 for logits).
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);

}  // namespace gradlab
