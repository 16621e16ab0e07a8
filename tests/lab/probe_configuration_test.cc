#include "gradlab/lab/probe_configuration.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

// One relu layer on one feature x ~ U[0, 1): unit 0 is relu(x - 0.95) (active on 5% of examples),
// unit 1 relu(-x - 1) (dead), units 2 and 3 relu(x + 0.01) (always active).
ProbeSubject constructed_subject(uint64_t seed, bool drawn) {
  auto d = std::make_shared<Dense>(4, DenseOptions{.activation = "relu"});
  (*d)(zeros({1, 1}));
  Variable(d->kernel()).assign(from_values({1, 4}, {1, -1, 1, 1}));
  Variable(d->bias()).assign(from_values({4}, {-0.95, -1, 0.01, 0.01}));
  ProbeSubject s;
  s.forward = [d](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{(*d)(xs[0], o)}; };
  Rng rng(seed);
  s.inputs = {uniform({32, 1}, rng)};
  if (drawn) {
    s.more_inputs = [seed](int64_t b) {
      Rng r(more_inputs_seed(seed, b));
      return std::vector<Tensor>{uniform({32, 1}, r)};
    };
  }
  return s;
}

TEST(ProbeSubject, MeasuresDeadUnitsOverSeveralDrawnBatchesAfterThePass) {
  // The first seed whose probed batch leaves unit 0 silent (probability 0.95^32 = 0.19 per seed; none
  // among 100 seeds: 0.81^100 = 7e-10), so that the one-batch figure is 2/4.
  uint64_t seed = 0;
  while (seed < 100 &&
         probe_subject(constructed_subject(seed, true), {.check_underflow = false, .dead_unit_batches = 0})
                 .pass.layers[0]
                 .output.silent_fraction != 0.5) {
    ++seed;
  }
  ASSERT_LT(seed, 100u);
  const ProbeSubject subject = constructed_subject(seed, true);
  const ConfigurationProbe one = probe_subject(subject, {.check_underflow = false, .dead_unit_batches = 1});
  ASSERT_EQ(one.pass.layers.size(), 1u);
  EXPECT_EQ(one.pass.layers[0].output.silent_fraction, 0.5);
  EXPECT_EQ(one.pass.layers[0].dead_fraction, 0.5);
  EXPECT_EQ(one.pass.dead_unit_examples, 32);

  // Over 8 batches (256 examples) only the dead unit is left: 0.95^256 = 2e-6 for unit 0.
  const ConfigurationProbe eight = probe_subject(subject, {.check_underflow = false});
  EXPECT_EQ(eight.pass.layers[0].output.silent_fraction, 0.5);  // the probed pass is unchanged
  EXPECT_EQ(eight.pass.loss, one.pass.loss);
  EXPECT_EQ(eight.pass.layers[0].dead_fraction, 0.25);
  EXPECT_EQ(eight.pass.dead_unit_examples, 256);
  EXPECT_EQ(eight.pass.dead_unit_batches, 8);
  EXPECT_EQ(eight.summary.dead_units_begin, eight.pass.layers[0].layer);  // 25% > 10%
  // Above a threshold of 30% only the one-batch figure says dead units begin.
  EXPECT_EQ(probe_subject(subject, {.thresholds = {.dead_fraction = 0.3}, .check_underflow = false}).summary.dead_units_begin,
            std::nullopt);
  EXPECT_TRUE(probe_subject(subject, {.thresholds = {.dead_fraction = 0.3}, .check_underflow = false, .dead_unit_batches = 1})
                  .summary.dead_units_begin.has_value());

  // Left out: no figure, no summary line.
  const ConfigurationProbe none = probe_subject(subject, {.check_underflow = false, .dead_unit_batches = 0});
  EXPECT_EQ(none.pass.layers[0].dead_fraction, std::nullopt);
  EXPECT_EQ(none.pass.dead_unit_examples, 0);
  EXPECT_EQ(none.summary.dead_units_begin, std::nullopt);
}

TEST(ProbeSubject, MeasuresDeadUnitsOverGivenInputsOnce) {
  const ConfigurationProbe given = probe_subject(constructed_subject(0, false), {.check_underflow = false});
  EXPECT_EQ(given.pass.dead_unit_examples, 32);
  EXPECT_EQ(given.pass.dead_unit_batches, 1);
  EXPECT_EQ(given.pass.layers[0].dead_fraction, given.pass.layers[0].output.silent_fraction);
}

TEST(ProbeSubject, MoreInputsComeFromStreamsOfTheirOwn) {
  EXPECT_NE(more_inputs_seed(0, 1), more_inputs_seed(0, 2));
  EXPECT_NE(more_inputs_seed(0, 1), more_inputs_seed(1, 1));
  EXPECT_EQ(more_inputs_seed(3, 4), more_inputs_seed(3, 4));
  const SkipNetworkOptions network{.depth = 2, .units = 3, .batch = 4, .input_features = 5};
  const auto more = more_probe_inputs(network, InputDistribution::uniform, 0);
  Rng first(0);
  const Tensor x0 = draw_probe_input(network, InputDistribution::uniform, first);
  const Tensor x1 = more(1)[0];
  EXPECT_EQ(x1.shape(), x0.shape());
  EXPECT_NE(x1.at({0, 0}), x0.at({0, 0}));
}

}  // namespace
}  // namespace gradlab
