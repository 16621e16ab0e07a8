#pragma once
/// Dropout: zeroes each input element with probability `rate` while training and scales the rest by
/// 1 / (1 - rate) (inverted dropout, Srivastava et al. 2014, as keras.layers.Dropout and
/// torch.nn.Dropout), so that the expected output equals the input; at inference it is the identity.
///
///   Dropout drop(0.5, {.seed = 7});
///   Tensor h = drop(dense(x), {.training = true});   // about half the elements 0, the rest doubled
///   Tensor y = drop(dense(x));                        // inference: h itself
///
/// Determinism: each layer owns a Philox generator (Rng). With `seed` set it is Rng(seed); otherwise
/// the layer draws its seed from its Rng (the thread's default_rng() unless set_rng() was called)
/// when it is built, so set_seed(s) before building a model fixes every mask. Each training call
/// draws one uniform value per element from the layer's generator (advancing it by the documented
/// amount, see rng.h) and keeps an element when its draw is at least `rate`; saving generator().state()
/// and restoring it reproduces the masks exactly. PyTorch draws its masks from its own generator, so
/// gradlab's masks are not PyTorch's for the same seed.

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/autograd/dropout_op.h"
#include "gradlab/nn/layer.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {

/// Options of Dropout.
struct DropoutOptions {
  /// Seed of the layer's mask generator; drawn from the layer's Rng at build time when unset.
  std::optional<uint64_t> seed;
  /// Layer name; "dropout", "dropout_1", ... when empty.
  std::string name;
};

/// The implementation of Dropout; see the file comment.
class DropoutImpl : public LayerImpl {
 public:
  /// Throws Error unless 0 <= rate < 1.
  DropoutImpl(double rate, DropoutOptions options);
  /// Seeds the mask generator (from options.seed, or one draw from the layer's Rng).
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// x * mask while training (and rate > 0); x itself otherwise.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "rate=0.5, seed=7" (or "seed=none").
  std::string config_summary() const override;

  /// The probability of dropping an element.
  double rate() const { return rate_; }
  /// The options the layer was made with.
  const DropoutOptions& options() const { return options_; }
  /// The mask generator: its state() is what a checkpoint saves to resume the same masks.
  Rng& generator() { return generator_; }

 private:
  double rate_;
  DropoutOptions options_;
  Rng generator_;
};

/// Handle to a DropoutImpl.
class Dropout : public Layer {
 public:
  /// A layer dropping each element with probability `rate` in training calls; see DropoutOptions.
  explicit Dropout(double rate, DropoutOptions options = {});
  /// The implementation.
  DropoutImpl& impl() const { return *as<DropoutImpl>(); }
  /// The probability of dropping an element.
  double rate() const { return impl().rate(); }
  /// The mask generator (see DropoutImpl::generator).
  Rng& generator() const { return impl().generator(); }
};

}  // namespace gradlab
