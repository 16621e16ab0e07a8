#pragma once
/// Where a training study (lesson_training.h, adding_study.h) is after each training step: for a
/// progress bar, and a place to interrupt it.
///
///   run_adding_study(options, [&](const StudyProgress& p) { bar.update(p.run_index, p.step, p.steps); });

#include <cstdint>
#include <functional>
#include <string>

#include "gradlab/train/callbacks.h"

namespace gradlab {

/// One step of one run of a study.
struct StudyProgress {
  /// The run in progress ("deep_sigmoid", "lstm T=100"), its seed index, its index (0-based) over
  /// the study and the number of runs.
  std::string run;
  int64_t seed_index = 0;
  int run_index = 0;
  int runs = 0;
  /// Steps done in this run, and the run's steps if it completes (epochs x steps per epoch).
  int64_t step = 0;
  int64_t steps = 0;
};

/// Called after every training step of a study. It may throw to abandon the study (the CLI throws
/// its Interrupted on Ctrl-C); the exception passes through the study's run function unchanged.
using StudyProgressCallback = std::function<void(const StudyProgress&)>;

/// A fit() callback that reports each step of one run to a study's progress callback, with the
/// run's fields as given and step and steps filled in.
class StudyProgressReporter : public Callback {
 public:
  /// `callback` must outlive the reporter.
  StudyProgressReporter(const StudyProgressCallback& callback, StudyProgress run);
  void on_train_begin() override;
  void on_batch_end(int64_t step, const BatchLogs& logs) override;

 private:
  const StudyProgressCallback& callback_;
  StudyProgress progress_;
};

}  // namespace gradlab
