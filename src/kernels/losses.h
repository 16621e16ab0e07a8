#pragma once
// Loss loops: fused cross-entropies, forward and backward, over raw buffers. A class axis is seen as
// [outer, n, inner] (n classes, a stride of inner between neighbouring classes); per-row results
// (one loss per line) are laid out [outer, inner].
#include <cstdint>

namespace gradlab::kernels {

/// log_probs = log_softmax(logits) along the class axis; loss = -sum(labels * log_probs) per line.
template <typename T>
void softmax_cross_entropy(const T* logits, const T* labels, T* log_probs, T* loss, int64_t outer, int64_t n,
                           int64_t inner);
/// g_logits = g * (softmax * sum(labels) - labels) and g_labels = -g * log_probs, where g holds one
/// value per line. Either output may be null.
template <typename T>
void softmax_cross_entropy_backward(const T* log_probs, const T* labels, const T* g, T* g_logits, T* g_labels,
                                    int64_t outer, int64_t n, int64_t inner);

/// log_probs = log_softmax(logits) per row of n classes (contiguous); loss = -log_probs[label]. A
/// negative label marks an ignored row, whose loss is 0.
template <typename T>
void sparse_softmax_cross_entropy(const T* logits, const int64_t* labels, T* log_probs, T* loss, int64_t rows,
                                  int64_t n);
/// g_logits = g * (softmax - onehot(label)) per row; 0 on ignored rows.
template <typename T>
void sparse_softmax_cross_entropy_backward(const T* log_probs, const int64_t* labels, const T* g, T* g_logits,
                                           int64_t rows, int64_t n);

/// out = max(x, 0) - x * z + log(1 + exp(-|x|)): binary cross-entropy of labels z and logits x.
template <typename T>
void sigmoid_cross_entropy(const T* x, const T* z, T* out, int64_t n);
/// gx = g * (sigmoid(x) - z), gz = -g * x. Either output may be null.
template <typename T>
void sigmoid_cross_entropy_backward(const T* x, const T* z, const T* g, T* gx, T* gz, int64_t n);

/// out = -(z log(q) + (1 - z) log(1 - q)) with q = p clipped to [epsilon, 1 - epsilon].
template <typename T>
void binary_crossentropy(const T* p, const T* z, T* out, int64_t n, double epsilon);
/// gp = g * ((1 - z) / (1 - q) - z / q) where p is inside the clip range (0 outside);
/// gz = -g * (log(q) - log(1 - q)). Either output may be null.
template <typename T>
void binary_crossentropy_backward(const T* p, const T* z, const T* g, T* gp, T* gz, int64_t n,
                                  double epsilon);

/// loss = -sum(z * log(q)) per line with q = p / sum(p) clipped to [epsilon, 1 - epsilon].
template <typename T>
void categorical_crossentropy(const T* p, const T* z, T* loss, int64_t outer, int64_t n, int64_t inner,
                              double epsilon);
/// The gradients of categorical_crossentropy for one value of g per line. Either output may be null.
template <typename T>
void categorical_crossentropy_backward(const T* p, const T* z, const T* g, T* gp, T* gz, int64_t outer,
                                       int64_t n, int64_t inner, double epsilon);

}  // namespace gradlab::kernels
