#include "gradlab/lab/adding_study.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

AddingStudyOptions tiny() {
  return {.time_steps = {4, 6},
          .units = 4,
          .train_examples = 64,
          .test_examples = 32,
          .epochs = 1,
          .batch_size = 32,
          .exploding_time_steps = 4,
          .sample_every = 1,
          .seeds = 2,
          .seed = 5};
}

TEST(AddingStudy, EveryCellAtEveryTAndTheClippingPairOverTheSeeds) {
  const AddingStudyResult r = run_adding_study(tiny());
  ASSERT_EQ(r.arms.size(), 2u * 3 + 2);
  EXPECT_EQ(r.seeds, (std::vector<uint64_t>{adding_run_seed(5, 0), adding_run_seed(5, 1)}));
  EXPECT_NE(r.seeds[0], r.seeds[1]);
  for (int64_t t : {4, 6}) {
    for (const char* cell : {"simple_rnn", "lstm", "gru"}) {
      const AddingArm& a = r.arm(cell, t);
      ASSERT_EQ(a.runs.size(), 2u);
      EXPECT_EQ(a.runs[1].seed, r.seeds[1]);
      EXPECT_EQ(a.runs[0].history.epochs.size(), 1u);
      EXPECT_TRUE(std::isfinite(a.runs[0].final_test_mse()));
    }
    // The chance level is the test targets' variance, near 1/6 (32 examples: a loose bound).
    EXPECT_NEAR(r.chance_at(t), 1.0 / 6.0, 0.1);
  }
  EXPECT_EQ(r.arm("lstm", 6).description, "LSTM(4) -> Dense(1); Adam(0.01)");
  // One change between the clipping pair: the same initial weights and batches, so the first step's loss
  // (measured before any update) is the same.
  const AddingRun& e = r.arm("exploding", 4).runs[0];
  const AddingRun& c = r.arm("exploding_clipped", 4).runs[0];
  ASSERT_FALSE(e.history.samples.empty());
  ASSERT_FALSE(c.history.samples.empty());
  EXPECT_EQ(e.history.samples[0].loss, c.history.samples[0].loss);
  EXPECT_THROW(r.arm("lstm", 5), Error);
}

TEST(AddingStudy, ReadingsComeFromEveryRunsBand) {
  const double c = 0.16;
  EXPECT_EQ(read_adding(seed_spread({0.001, 0.009}), c), AddingReading::solved);
  EXPECT_EQ(read_adding(seed_spread({0.001, 0.02}), c), AddingReading::learned);
  EXPECT_EQ(read_adding(seed_spread({0.15, 0.17}), c), AddingReading::at_chance);
  EXPECT_EQ(read_adding(seed_spread({0.2, 60}), c), AddingReading::worse);
  EXPECT_EQ(read_adding(seed_spread({0.001, 0.17}), c), AddingReading::mixed);
  EXPECT_EQ(read_adding(seed_spread({0.15, 60}), c), AddingReading::mixed);
  EXPECT_EQ(read_adding(seed_spread({0.001, NAN}), c), AddingReading::mixed);
  EXPECT_EQ(read_adding(seed_spread({NAN}), c), AddingReading::not_measured);
}

TEST(AddingStudy, BadOptionsAreRefused) {
  AddingStudyOptions o = tiny();
  o.time_steps = {};
  EXPECT_EQ(error_of([&] { run_adding_study(o); }), "adding study: no time steps to compare (expected at least one T)");
  o.time_steps = {1};
  EXPECT_EQ(error_of([&] { run_adding_study(o); }), "adding study: time_steps = 1 is out of range (expected in [2, 100000])");
  o = tiny();
  o.seeds = 0;
  EXPECT_EQ(error_of([&] { run_adding_study(o); }), "adding study: seeds = 0 is out of range (expected in [1, 1000])");
  o = tiny();
  o.clipnorm = 0;
  EXPECT_EQ(error_of([&] { run_adding_study(o); }), "adding study: clipnorm = 0 is out of range (expected > 0)");
}

}  // namespace
}  // namespace gradlab
