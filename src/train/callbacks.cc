#include "gradlab/train/callbacks.h"

#include <cmath>

#include "gradlab/error.h"
#include "gradlab/train/fit.h"

namespace gradlab {

TrainingRun& Callback::run() const {
  if (!run_) fail("callback: run() is only available while fit() runs");
  return *run_;
}

void TerminateOnNaN::on_batch_end(int64_t, const BatchLogs& logs) {
  if (!std::isfinite(logs.batch_loss)) run().stop_training = true;
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  const std::string& m = options_.monitor;
  if (m != "loss" && m != "val_loss" && m != "accuracy" && m != "val_accuracy") {
    fail("EarlyStopping: unknown monitor '{}'; valid ones are loss, val_loss, accuracy, val_accuracy", m);
  }
  if (options_.patience < 0) fail("EarlyStopping: patience must be >= 0, got {}", options_.patience);
}

void EarlyStopping::on_train_begin() {
  best_.reset();
  wait_ = 0;
}

void EarlyStopping::on_epoch_end(int64_t, const EpochLogs& logs) {
  const std::string& m = options_.monitor;
  const std::optional<double> value = m == "loss"       ? std::optional<double>(logs.loss)
                                      : m == "val_loss" ? logs.val_loss
                                      : m == "accuracy" ? logs.accuracy
                                                        : logs.val_accuracy;
  if (!value) fail("EarlyStopping: the run does not measure '{}'", m);
  const double sign = m.find("accuracy") != std::string::npos ? 1.0 : -1.0;
  if (!best_ || sign * (*value - *best_) > options_.min_delta) {
    best_ = value;
    wait_ = 0;
    return;
  }
  if (++wait_ > options_.patience) run().stop_training = true;
}

}  // namespace gradlab
