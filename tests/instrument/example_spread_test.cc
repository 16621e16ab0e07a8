#include "gradlab/instrument/example_spread.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/instrument/probe.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

TEST(StdAcrossExamples, IsTheMeanOverUnitsOfEachUnitsStdOverTheBatch) {
  // Unit 0 over the examples: 1, 3 (std 1); unit 1: 5, 5 (std 0); unit 2: -2, 2 (std 2).
  const Tensor y = from_values({2, 3}, {1, 5, -2, 3, 5, 2}, DType::float64);
  EXPECT_DOUBLE_EQ(std_across_examples(y), (1.0 + 0.0 + 2.0) / 3);
  // Every example the same: no spread, however large the values.
  EXPECT_EQ(std_across_examples(from_values({3, 2}, {7, -9, 7, -9, 7, -9})), 0.0);
  // Sequences: each (step, unit) position is its own unit.
  EXPECT_DOUBLE_EQ(std_across_examples(from_values({2, 2, 1}, {0, 4, 2, 4}, DType::float64)), (1.0 + 0.0) / 2);
  EXPECT_EQ(std_across_examples(from_values({1, 3}, {1, 2, 3})), 0.0) << "one example";
}

TEST(StdAcrossExamples, TheProbeRecordsItPerLayerWhenAsked) {
  const auto pass_of = [](SkipNetworkOptions options, bool asked) {
    auto rng = Rng(3);
    SkipNetwork net(options, rng);
    const Tensor x = uniform({32, 128}, rng);
    const ProbeForward forward = [&](const std::vector<Tensor>& xs, const CallOptions& call) {
      return std::vector<Tensor>{net(xs[0], call)};
    };
    return probe_pass(forward, {x}, {.probe = {.across_examples = asked}});
  };
  EXPECT_FALSE(pass_of({.depth = 2}, false).layers[0].std_across_examples);
  // Seed 3, one draw: a 32-layer sigmoid stack maps the batch to nearly one output (the ordered phase
  // of Poole et al. 2016 and Schoenholz et al. 2017); its spread falls over 100x from layer 1 to the
  // output, while a 4-layer relu stack keeps its spread within a factor of 10.
  const PassRecord sigmoid = pass_of({.depth = 32, .activation = "sigmoid"}, true);
  const double first = *sigmoid.layers.front().std_across_examples, last = *sigmoid.layers.back().std_across_examples;
  EXPECT_GT(first, 0.0);
  EXPECT_LT(last, 1e-2 * first) << first << " -> " << last;
  const PassRecord relu = pass_of({.depth = 4}, true);
  EXPECT_GT(*relu.layers.back().std_across_examples, 0.1 * *relu.layers.front().std_across_examples);
}

}  // namespace
}  // namespace gradlab
