#pragma once
/// One figure measured over several seeds of a study arm, and how two arms' figures compare: the
/// statistics behind the training study's wording (lesson_training.h). The spread is the range,
/// min to max, over the seeds: with 3 seeds a standard deviation says little, and the range shows
/// every run.
///
///   SeedSpread a = seed_spread({0.81, 0.84, 0.83}), b = seed_spread({0.70, 0.72, 0.69});
///   read_gap(a, b);   // GapReading::above: every run of a above every run of b
///
/// A gap is read as above or below only when the two ranges do not overlap; otherwise the seeds
/// cannot tell the arms apart at this setting (which is not evidence that they are the same).

#include <cstdint>
#include <vector>

namespace gradlab {

/// Mean and range of the finite values among one figure's measurements over an arm's seeds.
struct SeedSpread {
  int64_t runs = 0;    ///< measurements given, finite or not
  int64_t count = 0;   ///< finite ones, over which the rest is computed
  double mean = 0;     ///< NaN when count is 0
  double min = 0;      ///< NaN when count is 0
  double max = 0;      ///< NaN when count is 0
};

/// The spread of `values`, leaving out NaN and infinities (a run stopped before its first epoch).
SeedSpread seed_spread(const std::vector<double>& values);

/// How an arm's figure compares with its baseline's.
enum class GapReading {
  above,        ///< every finite value of the arm above every finite value of the baseline
  below,        ///< every finite value of the arm below every one of the baseline
  overlapping,  ///< the ranges overlap (or touch): not distinguishable with these seeds
  not_measured  ///< either side has no finite value
};

/// Reads `arm` against `baseline`; see GapReading.
GapReading read_gap(const SeedSpread& arm, const SeedSpread& baseline);

}  // namespace gradlab
