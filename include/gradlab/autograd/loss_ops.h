#pragma once
/// The fused cross-entropy ops the losses (nn/losses.h) are built from: each is one tape node whose
/// backward rule is the closed form, so no log of a probability is differentiated.
///
///   Tensor per_row = softmax_cross_entropy(onehot, logits, -1);   // [N] from [N, classes]
///   Tensor per_element = sigmoid_cross_entropy(targets, logits);  // shaped like logits
///
/// The targets (labels) come first, as y_true does in the losses. `loss` names the calling loss in
/// error messages. Most users call the losses of nn/losses.h, which add Keras's checks, label
/// smoothing and reductions.

#include <cstdint>
#include <vector>

#include "gradlab/tensor/shape.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// `axis` of predictions of shape `shape` resolved to [0, rank); an Error naming `loss` when the
/// predictions are a scalar or the axis is out of range.
int64_t loss_axis(const Shape& shape, int64_t axis, const char* loss);

/// -sum(z * log_softmax(x)) along `axis` (tf.nn.softmax_cross_entropy_with_logits): z and x of one
/// shape, the result x's shape without the axis. Backward: dx = softmax(x) sum(z) - z, dz = -log_softmax(x).
Tensor softmax_cross_entropy(const Tensor& z, const Tensor& x, int64_t axis,
                             const char* loss = "softmax_cross_entropy");

/// -sum(z * log(clip(p / sum(p), epsilon, 1 - epsilon))) along `axis` (Keras's categorical
/// cross-entropy from probabilities); the gradient is 0 where the clip holds.
Tensor probability_cross_entropy(const Tensor& z, const Tensor& p, int64_t axis, double epsilon,
                                 const char* loss = "categorical_crossentropy");

/// Element-wise max(x, 0) - x z + log(1 + exp(-|x|)) (tf.nn.sigmoid_cross_entropy_with_logits).
Tensor sigmoid_cross_entropy(const Tensor& z, const Tensor& x);

/// Element-wise -(z log p + (1 - z) log(1 - p)) with p clipped to [epsilon, 1 - epsilon] (Keras's
/// binary cross-entropy from probabilities); the gradient is 0 where the clip holds.
Tensor binary_cross_entropy(const Tensor& z, const Tensor& p, double epsilon);

/// -log_softmax(x)[label] for each row of x viewed as [labels.size(), classes] (classes = x's last
/// dimension; tf.nn.sparse_softmax_cross_entropy_with_logits); a label < 0 is an ignored row with
/// loss 0 and gradient 0. The result has shape `out_shape` (labels.size() elements). Labels must be
/// < classes (the caller checks them). No gradient flows to the labels.
Tensor sparse_softmax_cross_entropy(const std::vector<int64_t>& labels, const Tensor& x, const Shape& out_shape);

}  // namespace gradlab
