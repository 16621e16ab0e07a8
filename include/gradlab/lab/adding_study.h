#pragma once
/// The adding problem (train/adding_problem.h; Hochreiter & Schmidhuber 1997) trained with SimpleRNN,
/// LSTM and GRU as the sequence grows, and an exploding SimpleRNN with and without gradient clipping
/// (Pascanu et al. 2013): the study behind the recurrent part of `gradlab report`'s training section
/// (issue 17, item 6).
///
///   AddingStudyOptions options;                      // about a minute of CPU time
///   AddingStudyResult result = run_adding_study(options);
///   result.arm("lstm", 100).test_mse();              // SeedSpread over the seeds
///
/// Arms: for every T of options.time_steps and every cell (simple_rnn, lstm, gru), a network
/// cell(units) -> Dense(1) on the last state, Adam, MSE loss, trained on the same generated data (data
/// seed options.seed) once per seed; run i of every arm uses seed i (adding_run_seed), so the arms'
/// runs see the same batches. The clipping pair, at options.exploding_time_steps: a SimpleRNN with
/// relu and a recurrent kernel drawn orthogonal with gain options.exploding_gain (spectral radius
/// above 1, so the forward state and the gradient through time grow with T), trained with SGD; the two
/// arms differ in one thing, global_clipnorm = options.clipnorm on or off, and run i of both starts
/// from the same weights.
///
/// What each arm did is measured, never assumed: every run records each epoch's training MSE and test
/// MSE (the test set is the validation data) and stops at the first NaN or infinity, before that
/// step's update. The chance level is the test targets' own variance (the MSE of predicting their
/// mean), about 1/6 (adding_problem_chance_mse).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/lab/seed_spread.h"
#include "gradlab/lab/study_progress.h"
#include "gradlab/train/fit.h"

namespace gradlab {

/// Settings of the study; the defaults keep it to about a minute of CPU time (docs/report.md).
struct AddingStudyOptions {
  /// The sequence lengths T compared; each at least 2.
  std::vector<int64_t> time_steps = {50, 100, 200};
  /// Units of each recurrent layer.
  int64_t units = 32;
  /// Generated examples per T (training and test) and epochs of each run.
  int64_t train_examples = 2048;
  int64_t test_examples = 512;
  int64_t epochs = 2;
  int64_t batch_size = 32;
  /// Adam's learning rate for the cell comparison.
  double learning_rate = 0.01;
  /// The clipping pair: T, the recurrent kernel's orthogonal gain, SGD's learning rate, the clip.
  int64_t exploding_time_steps = 50;
  double exploding_gain = 1.5;
  double exploding_learning_rate = 0.1;
  double clipnorm = 1.0;
  /// Steps between instrument samples of every run (global gradient norm and loss; step 0 always).
  int64_t sample_every = 8;
  /// Runs per arm, each with its own seed; at least 1.
  int64_t seeds = 3;
  /// The study's seed: the data's seed and every run's seed derive from it.
  uint64_t seed = 0;
};

/// The seed of run `index` of every arm: Rng(study_seed).fork(index)'s seed.
uint64_t adding_run_seed(uint64_t study_seed, int64_t index);

/// One run: fit()'s history with the test set as validation data (each epoch's val_loss is the test MSE).
struct AddingRun {
  uint64_t seed = 0;
  History history;
  double seconds = 0;

  /// The last finished epoch's test MSE; NaN when no epoch finished (the anomaly check stopped it).
  double final_test_mse() const;
  /// True when the anomaly check stopped the run at a NaN or infinity.
  bool stopped_by_anomaly() const { return history.stop_reason == StopReason::anomaly; }
};

/// One arm: a network and optimizer at one T, trained once per seed.
struct AddingArm {
  /// "simple_rnn", "lstm", "gru", or for the clipping pair "exploding" and "exploding_clipped".
  std::string name;
  int64_t time_steps = 0;
  /// "LSTM(32) -> Dense(1); Adam(0.01)".
  std::string description;
  std::vector<AddingRun> runs;

  /// final_test_mse() over the runs.
  SeedSpread test_mse() const;
  /// Runs the anomaly check stopped.
  int64_t runs_stopped_by_anomaly() const;
};

/// What an arm's test MSE says against the chance level c (the test targets' variance), read from
/// every seed, so that a sentence is chosen from ranges that do not overlap:
enum class AddingReading {
  solved,        ///< every run below 0.01, issue 17's target for "solves the adding problem"
  learned,       ///< every run below c / 2, not all below 0.01
  at_chance,     ///< every run within [0.9 c, 1.1 c]: no better than predicting the mean
  worse,         ///< every run above 1.1 c: worse than predicting the mean
  mixed,         ///< the runs fall in different bands (or between c / 2 and 0.9 c), or some ended non-finite
  not_measured   ///< no run finished an epoch with a finite loss
};

/// Reads `mse` (over an arm's seeds) against `chance`; see AddingReading.
AddingReading read_adding(const SeedSpread& mse, double chance);

/// Everything the study measured.
struct AddingStudyResult {
  AddingStudyOptions options;
  /// adding_run_seed(options.seed, i) for each run index.
  std::vector<uint64_t> seeds;
  /// The chance MSE of each T's test set (in options.time_steps order), and the clipping pair's.
  std::vector<double> chance;
  double exploding_chance = 0;
  /// Cells for each T (T-major: T0's simple_rnn, lstm, gru, then T1's, ...), then exploding and
  /// exploding_clipped.
  std::vector<AddingArm> arms;
  double seconds = 0;

  /// The arm `name` at `time_steps`; an Error when there is none.
  const AddingArm& arm(std::string_view name, int64_t time_steps) const;
  /// The chance MSE at `time_steps` (one of options.time_steps or exploding_time_steps).
  double chance_at(int64_t time_steps) const;
};

/// Runs the study (file comment). Error for options out of range: no T or a T outside [2, 100000],
/// non-positive units, examples, epochs, batch size, learning rates, gain, clipnorm or sample_every,
/// seeds outside [1, 1000].
AddingStudyResult run_adding_study(const AddingStudyOptions& options, const StudyProgressCallback& progress = {});

}  // namespace gradlab
