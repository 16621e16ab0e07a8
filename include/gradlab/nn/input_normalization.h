#pragma once
/// Normalization: standardizes inputs with a mean and variance computed from data, as
/// keras.layers.Normalization. It centers the network's input around zero at initialization.
///
///   Normalization norm;                                      // one mean / variance per feature
///   norm.adapt(train_x);                                     // x [N, F]: statistics over N
///   Tensor y = norm(x);                                      // (x - mean) / max(sqrt(variance), 1e-7)
///
///   norm.reset_state();                                      // streamed: batches of a dataset
///   for (const Tensor& batch : batches) norm.update_state(batch);
///   norm.finalize_state();                                   // equal to adapt() on all of them
///
///   Normalization inverse({.invert = true});                 // mean + x * max(sqrt(variance), 1e-7)
///
/// `axis` names the axes that keep a separate mean and variance per index (the last one by default);
/// the statistics reduce over every other axis. An empty `axis` is Keras's axis=None: one mean and
/// one variance. Streamed batches merge exactly with Chan, Golub & LeVeque's parallel algorithm
/// (count, mean, sum of squared deviations, in double), so streaming equals a one-shot adapt() up
/// to rounding. The variance is the biased (population) one, as Keras. The statistics are the
/// non-trainable variables "<layer>/mean" and "<layer>/variance", shaped by the kept axes, so they
/// are saved and loaded with the model (Keras keeps given mean/variance values as constants instead).
/// Before adapt() the layer passes x through (mean 0, variance 1). The layer has no trainable
/// variables; its input gradient is dy / max(sqrt(variance), 1e-7) (dy times it when inverted).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Normalization, with Keras's defaults.
struct NormalizationOptions {
  /// The axes with their own statistics (negative counts from the end; never 0, the batch axis);
  /// empty for one mean and variance over everything (Keras's axis=None).
  std::vector<int64_t> axis = {-1};
  /// Given statistics instead of adapt(): one value (broadcast) or one per index of the kept axes;
  /// both or neither.
  std::vector<double> mean;
  std::vector<double> variance;
  /// Undo a normalization instead: y = mean + x * max(sqrt(variance), epsilon).
  bool invert = false;
  /// Layer name; "normalization", ... when empty.
  std::string name;
  /// Variable dtype; the first input's (or adapted data's) when unset.
  std::optional<DType> dtype;
};

/// The implementation of Normalization; see the file comment.
class NormalizationImpl : public LayerImpl {
 public:
  /// Keras's backend.epsilon(): the floor of the standard deviation.
  static constexpr double kEpsilon = 1e-7;

  /// Throws Error when only one of mean and variance is given.
  explicit NormalizationImpl(NormalizationOptions options);
  /// Creates mean and variance over the kept axes (given values, else 0 and 1).
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// (x - mean) / max(sqrt(variance), epsilon), or its inverse.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "axis=[-1], invert=false".
  std::string config_summary() const override;

  /// reset_state(), update_state(data), finalize_state(); builds the layer from data's shape if needed.
  void adapt(const Tensor& data);
  /// Forgets the streamed statistics (not the variables).
  void reset_state();
  /// Merges one batch into the streamed statistics; builds the layer from its shape if needed.
  void update_state(const Tensor& batch);
  /// Writes the streamed mean and variance into the variables; an Error when no data was seen.
  void finalize_state();

  const NormalizationOptions& options() const { return options_; }
  /// Undefined before build.
  const Variable& mean() const { return mean_; }
  const Variable& variance() const { return variance_; }

 private:
  void build_from(const Shape& shape, DType dtype);

  NormalizationOptions options_;
  int64_t rank_ = 0;
  std::vector<int64_t> kept_;  // resolved, sorted
  Variable mean_;
  Variable variance_;
  // Streamed statistics per kept index (Chan et al.): count, mean, sum of squared deviations.
  double count_ = 0;
  std::vector<double> stream_mean_;
  std::vector<double> stream_m2_;
};

/// Handle to a NormalizationImpl.
class Normalization : public Layer {
 public:
  explicit Normalization(NormalizationOptions options = {});
  NormalizationImpl& impl() const { return *as<NormalizationImpl>(); }
  /// See NormalizationImpl.
  void adapt(const Tensor& data) const { impl().adapt(data); }
  void reset_state() const { impl().reset_state(); }
  void update_state(const Tensor& batch) const { impl().update_state(batch); }
  void finalize_state() const { impl().finalize_state(); }
  /// The statistics, shaped by the kept axes; undefined before build.
  const Variable& mean() const { return impl().mean(); }
  const Variable& variance() const { return impl().variance(); }
};

}  // namespace gradlab
