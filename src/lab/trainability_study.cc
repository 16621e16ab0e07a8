// The report's trainability study: a --train sweep over depth x sigma_w2, tallied against 6 xi_c.
#include "gradlab/lab/trainability_study.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "gradlab/error.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/theory/critical_line.h"
#include "gradlab/theory/mean_field.h"
#include "gradlab/theory/scalar_activation.h"

namespace gradlab {

SweepGrid trainability_grid(const TrainabilityStudyOptions& o, std::shared_ptr<const TrainabilityTask> training) {
  return {.depths = o.depths,
          .widths = {o.width},
          .activations = {o.activation},
          .sigma_w2s = o.sigma_w2s,
          .sigma_b2s = {o.sigma_b2},
          .seed = o.seed,
          .training = std::move(training)};
}

TrainabilityStudy run_trainability_study(const TrainabilityStudyOptions& o, std::shared_ptr<const DataSplits> data,
                                         const std::function<void(int64_t, int64_t)>& progress) {
  if (!data) fail("the trainability study needs its data (load_trainability_data)");
  auto task = std::make_shared<const TrainabilityTask>(TrainabilityTask{.settings = o.training, .data = std::move(data)});
  const std::vector<SweepConfig> configs = expand_grid(trainability_grid(o, task));

  std::map<std::string, SweepResult> results;
  const auto total = static_cast<int64_t>(configs.size());
  run_sweep(configs, {.workers = o.workers}, [&](const SweepResult& r) {
    results.emplace(r.config.id, r);
    if (progress) progress(static_cast<int64_t>(results.size()), total);
  });

  TrainabilityStudy study;
  study.options = o;
  for (const SweepConfig& c : configs) {
    TrainabilityCell cell{.depth = c.network.depth, .sigma_w2 = c.network.gaussian_init->sigma_w2,
                          .outcome = *results.at(c.id).training};
    cell.trained = !cell.outcome.diverged && cell.outcome.test_accuracy >= kTrainedAccuracy;
    // NaN (no theory) compares false: such a cell counts as beyond.
    cell.within = cell.depth <= kTrainableDepthScales * cell.outcome.xi_c;
    TrainedCount& count = cell.within ? study.within : study.beyond;
    ++count.cells;
    count.trained += cell.trained ? 1 : 0;
    study.cells.push_back(cell);
  }

  // The curve: dense on the ordered side, where xi_c = xi_grad needs only one-dimensional quadrature;
  // on the chaotic side through the grid's own points (already computed), since each costs seconds.
  const auto [low, high] = std::minmax_element(o.sigma_w2s.begin(), o.sigma_w2s.end());
  const double critical = theory::critical_sigma_w2(theory::scalar_activation(o.activation), o.sigma_b2);
  const double ordered_end = std::isnan(critical) ? *high : std::min(*high, critical);
  constexpr int kCurvePoints = 100;
  for (int i = 0; i < kCurvePoints; ++i) {
    const double sigma_w2 = *low + (ordered_end - *low) * i / (kCurvePoints - 1);
    if (sigma_w2 >= critical) break;
    study.xi_c_curve.push_back({sigma_w2, depth_scales(o.activation, {.sigma_w2 = sigma_w2, .sigma_b2 = o.sigma_b2}).xi_c});
  }
  if (!std::isnan(critical) && critical <= *high) {
    study.xi_c_curve.push_back({critical, std::numeric_limits<double>::infinity()});
    std::vector<double> chaotic(o.sigma_w2s);
    std::sort(chaotic.begin(), chaotic.end());
    for (const double sigma_w2 : chaotic) {
      if (sigma_w2 > critical) {
        study.xi_c_curve.push_back({sigma_w2, depth_scales(o.activation, {.sigma_w2 = sigma_w2, .sigma_b2 = o.sigma_b2}).xi_c});
      }
    }
  }
  return study;
}

}  // namespace gradlab
