#include "gradlab/lab/study_progress.h"

#include <utility>

#include "gradlab/train/fit.h"

namespace gradlab {

StudyProgressReporter::StudyProgressReporter(const StudyProgressCallback& callback, StudyProgress run)
    : callback_(callback), progress_(std::move(run)) {}

void StudyProgressReporter::on_train_begin() { progress_.steps = run().epochs * run().steps_per_epoch; }

void StudyProgressReporter::on_batch_end(int64_t step, const BatchLogs&) {
  progress_.step = step + 1;
  callback_(progress_);
}

}  // namespace gradlab
