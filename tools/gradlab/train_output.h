#pragma once
// What `gradlab train` shows: a progress bar per epoch (a fit() callback), the gradient-flow table of
// the instrument samples, and the summary as text or JSON. Computing lives in gradlab/train; this file
// only presents.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gradlab/train/fit.h"
#include "progress_bar.h"

namespace gradlab::cli {

/// Shortest interval a progress line states a rate over, in seconds.
inline constexpr double kMinRateSeconds = 0.2;

/// "  10512 ex/s", or "" for an interval too short to measure (under kMinRateSeconds) or no examples.
std::string throughput_text(int64_t examples, double seconds);

/// Draws one ProgressBar per epoch: step/total, running loss and accuracy, examples per second, time
/// left; the epoch's final line adds the validation metrics and, when `checkpoint_path` is set,
/// "checkpoint saved".
class ProgressCallback : public Callback {
 public:
  ProgressCallback(std::string checkpoint_path, ProgressMode mode = ProgressMode::automatic);
  void on_batch_end(int64_t step, const BatchLogs& logs) override;
  void on_epoch_end(int64_t epoch, const EpochLogs& logs) override;
  void on_train_end() override;

 private:
  void start_bar();
  std::string checkpoint_path_;
  ProgressMode mode_;
  std::unique_ptr<ProgressBar> bar_;
  std::string last_detail_;
  int64_t examples_ = 0;
  int64_t timed_examples_ = 0;  // after the epoch's first batch, when the clock started
  std::chrono::steady_clock::time_point start_;
};

/// The instrument samples per layer: gradient norm at the first and last sample, the last update
/// ratio, dead and saturated fractions; "" when there are no samples.
std::string gradient_flow_table(const History& history);

/// What the run was, for the summary.
struct TrainSummary {
  std::string model;
  int64_t parameters = 0;
  std::string data;
  int64_t train_examples = 0;
  int64_t validation_examples = 0;
  std::string optimizer;
  std::optional<EvalResult> test;
  std::string checkpoint;  ///< "" when none was written
};

/// A few lines for people: what ran, how it ended, the last epoch's metrics, the test result, and the
/// gradient-flow table.
std::string summary_text(const TrainSummary& summary, const History& history);

/// The same as JSON, with the whole history (History::to_json()) under "history".
nlohmann::ordered_json summary_json(const TrainSummary& summary, const History& history);

}  // namespace gradlab::cli
