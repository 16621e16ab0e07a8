#pragma once
/// Dead units over many examples: a unit (one position of a layer output's last axis) is dead when
/// it outputs exactly 0 for every example seen, as Lu et al. (2019, "Dying ReLU and Initialization:
/// Theory and Numerical Examples") define a dead ReLU: inactive over the data. ForwardStats's
/// silent_fraction (layer_stats.h) is the same test over one batch only; a unit active on a share p
/// of the examples is silent on a batch of n of them with probability (1 - p)^n (5% active, 32
/// rows: 0.19), so one batch flags live units that more examples do not (256 rows: 2e-6).
///
///   UnitActivity activity;
///   {
///     ObserveLayerCalls observe(activity);
///     for (const Tensor& batch : batches) {
///       model(batch);                 // the same layer calls each pass
///       activity.end_pass();
///     }
///   }
///   std::optional<double> dead = activity.dead_fraction(3);  // the fourth layer call of each pass
///
/// Counted for the activations whose units can output exact zeros on a half-line (relu:
/// ActivationFacts::dead_units); other layer calls have no figure. Calls are matched across passes
/// by their position in the pass, as GradientProbe numbers them (Model and Sequential calls are
/// skipped: their layers are counted).

#include <cstdint>
#include <optional>
#include <vector>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Records, per layer call of a pass, which units were ever non-zero over several passes; see the
/// file comment.
class UnitActivity : public LayerCallObserver {
 public:
  /// Marks the units of `output` that are non-zero for some example (NaN counts as non-zero).
  /// Throws Error when the call at this position had another number of units in an earlier pass.
  void on_layer_call(const LayerImpl& layer, const std::vector<Tensor>& inputs, const Tensor& output,
                     const CallOptions& options) override;

  /// Ends a pass: the next call is the first layer call of the next pass.
  void end_pass();

  /// Examples seen by the layer call at `call` (0-based position in the pass): the sum of its
  /// outputs' first dimension (1 for a rank-0 output) over the passes.
  int64_t examples(std::size_t call) const;

  /// Share of the units of layer call `call` that were 0 for every example of every pass; nullopt
  /// when the call's activation has no dead units (not relu) or no such call was seen.
  std::optional<double> dead_fraction(std::size_t call) const;

  /// Layer calls per pass (the most seen in one pass).
  std::size_t calls() const { return units_.size(); }

 private:
  struct Units {
    bool counted = false;          // the activation can have dead units
    int64_t examples = 0;
    std::vector<uint8_t> active;   // one flag per unit
  };
  std::vector<Units> units_;
  std::size_t next_ = 0;
};

}  // namespace gradlab
