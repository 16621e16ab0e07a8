#include "progress_bar.h"

#include <csignal>

#include <gtest/gtest.h>

#include "interrupt.h"
#include "train_output.h"

namespace gradlab::cli {
namespace {

TEST(ProgressBar, LineShowsBarCountsDetailAndTimeLeft) {
  const ProgressBar bar("epoch 1/2", 200, ProgressMode::never);
  EXPECT_EQ(bar.line(50, "loss 0.5", 10.0), "epoch 1/2 [#####---------------] 50/200  loss 0.5  0:30 left");
  EXPECT_EQ(bar.line(0, "", 0.0), "epoch 1/2 [--------------------] 0/200");
  // Finished: the elapsed time instead of time left; counts past the total are clamped.
  EXPECT_EQ(bar.line(250, "", 75.0), "epoch 1/2 [####################] 200/200  1:15");
}

// Item 8 of issue 15: the first redraw of an epoch divided one batch by a few nanoseconds
// ("800000000 ex/s"); no rate is stated before a measurable interval.
TEST(ProgressBar, NoRateBeforeAMeasurableInterval) {
  EXPECT_EQ(throughput_text(64, 8e-8), "");
  EXPECT_EQ(throughput_text(64, 0), "");
  EXPECT_EQ(throughput_text(0, 5), "");
  EXPECT_EQ(throughput_text(6400, 0.5), "  12800 ex/s");
}

TEST(ProgressBar, FormatsDurationsForPeople) {
  EXPECT_EQ(ProgressBar::format_duration(0.4), "0:00");
  EXPECT_EQ(ProgressBar::format_duration(42), "0:42");
  EXPECT_EQ(ProgressBar::format_duration(725), "12:05");
  EXPECT_EQ(ProgressBar::format_duration(10930), "3:02:10");
  EXPECT_EQ(ProgressBar::format_duration(-1), "?");
}

TEST(Interrupt, FirstSignalSetsTheFlagAndTheStatusFollowsTheSignal) {
  {
    InterruptGuard guard;
    EXPECT_FALSE(interrupt_requested());
    std::raise(SIGTERM);
    EXPECT_TRUE(interrupt_requested());
    EXPECT_EQ(interrupt_signal(), SIGTERM);
    EXPECT_EQ(Interrupted("stopped").status(), 143);
  }
  EXPECT_FALSE(interrupt_requested());
  InterruptGuard guard;
  std::raise(SIGINT);
  EXPECT_EQ(Interrupted("stopped").status(), 130);
}

}  // namespace
}  // namespace gradlab::cli
