#pragma once
/// The trainability study of `gradlab report` (Schoenholz et al. 2017, "Deep Information
/// Propagation", Fig. 5): a grid of depth x sigma_w2 of tanh networks at sigma_b2 = 0.05, each
/// trained briefly on Fashion-MNIST (trainability.h), against the theory's correlation depth scale
/// xi_c. Schoenholz et al. found that networks train when depth < about 6 xi_c.
///
///   TrainabilityStudyOptions options;                 // the report's default grid
///   auto data = std::make_shared<const DataSplits>(load_trainability_data(options.training));
///   TrainabilityStudy study = run_trainability_study(options, data);
///   // study.within (depth <= 6 xi_c) and study.beyond: cells that trained of cells
///
/// The grid is a `gradlab sweep --train` grid (sweep_grid.h: expand_grid with SweepGrid::training), so
/// each cell is the row of that sweep with the same options, seed included, and runs on one worker
/// thread as a sweep's configurations do.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/trainability.h"

namespace gradlab {

/// Settings of the study. The default grid (8 depths x 9 variances, 72 short runs) keeps the study
/// to about 11 s of CPU time (docs/report.md).
struct TrainabilityStudyOptions {
  std::vector<int> depths{4, 8, 12, 16, 24, 32, 48, 64};
  std::vector<double> sigma_w2s{0.5, 0.9, 1.2, 1.5, 1.76, 2.2, 3, 4, 5};
  double sigma_b2 = 0.05;
  std::string activation = "tanh";
  int64_t width = 32;
  TrainabilitySettings training;
  uint64_t seed = 0;
  /// Worker threads (0: one per usable CPU).
  int workers = 0;
};

/// A cell "trained" when its test accuracy is at least this: three times chance (0.1 on Fashion-MNIST's
/// ten balanced classes), which a network that maps every image to the same output cannot reach.
inline constexpr double kTrainedAccuracy = 0.3;

/// The number of correlation depth scales within which Schoenholz et al. 2017 found networks trainable.
inline constexpr double kTrainableDepthScales = 6;

/// One cell of the grid.
struct TrainabilityCell {
  int depth = 0;
  double sigma_w2 = 0;
  TrainingOutcome outcome;
  /// outcome.test_accuracy >= kTrainedAccuracy (false when the run diverged).
  bool trained = false;
  /// depth <= kTrainableDepthScales x xi_c (true where xi_c is infinite: at criticality).
  bool within = false;
};

/// Cells that trained out of cells.
struct TrainedCount {
  int64_t trained = 0;
  int64_t cells = 0;
};

/// The theory's xi_c at one sigma_w2, for the curves drawn over the heatmap.
struct DepthScalePoint {
  double sigma_w2 = 0;
  double xi_c = 0;
};

/// Everything the study measured.
struct TrainabilityStudy {
  TrainabilityStudyOptions options;
  /// Depth-major, sigma_w2 fastest (expand_grid's order).
  std::vector<TrainabilityCell> cells;
  TrainedCount within, beyond;
  /// xi_c over the grid's sigma_w2 range, in increasing sigma_w2: 100 evenly spaced points on the
  /// ordered side, +infinity at the critical sigma_w2, then the grid's points on the chaotic side.
  std::vector<DepthScalePoint> xi_c_curve;
};

/// The study's sweep grid (see the file comment); `training` carries the data.
SweepGrid trainability_grid(const TrainabilityStudyOptions& options, std::shared_ptr<const TrainabilityTask> training);

/// Runs the study on `data` (load_trainability_data(options.training)), calling `progress(done,
/// total)` after each cell on the calling thread (it may throw to stop the study). Throws Error for
/// a grid validate_grid refuses or bad training settings.
TrainabilityStudy run_trainability_study(const TrainabilityStudyOptions& options, std::shared_ptr<const DataSplits> data,
                                         const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace gradlab
