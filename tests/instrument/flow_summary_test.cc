#include "gradlab/instrument/flow_summary.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "gradlab/lab/skip_network.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// A pass whose depth layers d1..dn have these input-gradient norms (and output norms twice them).
PassRecord pass_with_norms(const std::vector<double>& norms) {
  PassRecord pass;
  for (std::size_t k = 0; k < norms.size(); ++k) {
    LayerCallRecord call;
    call.layer = "d" + std::to_string(k + 1);
    call.type = "dense";
    call.input_grad = GradientStats{.count = 4, .l2_norm = norms[k]};
    call.output_grad = GradientStats{.count = 4, .l2_norm = 2 * norms[k]};
    call.has_kernel = call.has_variables = true;
    call.variables.push_back({.name = call.layer + "/kernel"});
    pass.layers.push_back(call);
    // A merge layer between weight layers is not on the depth axis.
    LayerCallRecord add;
    add.layer = "add" + std::to_string(k + 1);
    add.type = "add";
    add.input_grad = GradientStats{.l2_norm = 1e9};
    pass.layers.push_back(add);
  }
  return pass;
}

TEST(SummarizeFlow, GeometricDecayGivesItsGainAndIsVanishing) {
  const FlowSummary s = summarize_flow(pass_with_norms({1e-3, 1e-2, 1e-1, 1}));
  EXPECT_EQ(s.measure, FlowMeasure::input_grad);
  EXPECT_EQ(s.depth_layers, (std::vector<std::size_t>{0, 2, 4, 6}));
  EXPECT_NEAR(s.mean_gain, 0.1, 1e-12);
  EXPECT_NEAR(s.squared_gain, 0.01, 1e-14);
  EXPECT_NEAR(s.depth_scale, 1 / std::log(100.0), 1e-12);
  EXPECT_EQ(s.depth, 4);
  ASSERT_EQ(s.layer_gains.size(), 4u);
  EXPECT_NEAR(s.layer_gains[0], 0.01, 1e-14);
  EXPECT_TRUE(std::isnan(s.layer_gains[3]));
  EXPECT_NEAR(s.first_to_last_ratio, 1e-3, 1e-15);
  EXPECT_EQ(s.verdict, FlowVerdict::vanishing);
  EXPECT_NE(s.reason.find("changes by 0.01 per layer"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("4 layers exceed 6 x 0.217 = 1.3 layers"), std::string::npos) << s.reason;
}

TEST(SummarizeFlow, GeometricGrowthIsExploding) {
  const FlowSummary s = summarize_flow(pass_with_norms({1e3, 1e2, 1e1, 1}));
  EXPECT_NEAR(s.mean_gain, 10, 1e-9);
  EXPECT_NEAR(s.depth_scale, 1 / std::log(100.0), 1e-12);
  EXPECT_EQ(s.verdict, FlowVerdict::exploding);
}

// Norms whose squared gain per layer is exactly `squared_gain` over `depth` layers (g_n = 1).
PassRecord pass_with_gain(double squared_gain, int depth) {
  std::vector<double> norms;
  for (int k = 0; k < depth; ++k) norms.push_back(std::pow(squared_gain, 0.5 * (depth - 1 - k)));
  return pass_with_norms(norms);
}

// The verdict's boundary is L |ln g| = 6 (L > 6 xi, Schoenholz et al. 2017): 1% inside it is
// healthy, 1% outside it is vanishing or exploding, at depth 4 and at depth 64. Both "outside"
// cases were healthy under the old fixed bounds (first/last norm ratio within [0.01, 100]): at
// depth 64 the norm ratio g^(63/2) is exp(-0.0947 x 63 / 2) = 0.05, at depth 4 exp(-1.515 x 3 / 2) = 0.10.
TEST(SummarizeFlow, VerdictBoundaryIsSixDepthScalesAtDepthsFourAndSixtyFour) {
  for (int depth : {4, 64}) {
    const double edge = 6.0 / depth;  // |ln g| at the boundary
    const FlowSummary inside_low = summarize_flow(pass_with_gain(std::exp(-0.99 * edge), depth));
    const FlowSummary outside_low = summarize_flow(pass_with_gain(std::exp(-1.01 * edge), depth));
    const FlowSummary inside_high = summarize_flow(pass_with_gain(std::exp(0.99 * edge), depth));
    const FlowSummary outside_high = summarize_flow(pass_with_gain(std::exp(1.01 * edge), depth));
    EXPECT_EQ(inside_low.verdict, FlowVerdict::healthy) << depth << ": " << inside_low.reason;
    EXPECT_EQ(outside_low.verdict, FlowVerdict::vanishing) << depth << ": " << outside_low.reason;
    EXPECT_EQ(inside_high.verdict, FlowVerdict::healthy) << depth << ": " << inside_high.reason;
    EXPECT_EQ(outside_high.verdict, FlowVerdict::exploding) << depth << ": " << outside_high.reason;
    EXPECT_NEAR(outside_low.depth_scale, depth / 6.06, 1e-9 * depth);
    EXPECT_GT(outside_low.first_to_last_ratio, 0.01) << depth;  // the old bound's healthy range
  }
  // A steady gradient has an infinite depth scale and is healthy at any depth.
  const FlowSummary steady = summarize_flow(pass_with_gain(1.0, 64));
  EXPECT_EQ(steady.verdict, FlowVerdict::healthy);
  EXPECT_TRUE(std::isinf(steady.depth_scale));
}

TEST(SummarizeFlow, ThresholdsAreTheUsers) {
  const PassRecord pass = pass_with_gain(std::exp(-1.0), 4);  // L |ln g| = 4
  EXPECT_EQ(summarize_flow(pass).verdict, FlowVerdict::healthy);
  EXPECT_EQ(summarize_flow(pass, {.trainable_depth_scales = 3.9}).verdict, FlowVerdict::vanishing);
  EXPECT_EQ(verdict_of_gain(std::exp(1.0), 4, {.trainable_depth_scales = 3.9}), FlowVerdict::exploding);
}

TEST(SummarizeFlow, NonFiniteAndZeroGradientsHaveVerdictsOfTheirOwn) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const FlowSummary overflow = summarize_flow(pass_with_norms({1, inf, 1}));
  EXPECT_EQ(overflow.verdict, FlowVerdict::nonfinite);
  EXPECT_NE(overflow.reason.find("not finite at d2"), std::string::npos) << overflow.reason;
  // A NaN norm used to fall through every comparison to "healthy".
  const FlowSummary not_a_number = summarize_flow(pass_with_norms({nan, 1, 1}));
  EXPECT_EQ(not_a_number.verdict, FlowVerdict::nonfinite);
  EXPECT_NE(not_a_number.reason.find("not finite at d1"), std::string::npos) << not_a_number.reason;
  EXPECT_EQ(summarize_flow(pass_with_norms({1, 1, nan})).verdict, FlowVerdict::nonfinite);

  const FlowSummary first_zero = summarize_flow(pass_with_norms({0, 1e-3, 1}));
  EXPECT_EQ(first_zero.verdict, FlowVerdict::zero);
  EXPECT_NE(first_zero.reason.find("no gradient reaches d1"), std::string::npos) << first_zero.reason;
  // The gain is fitted over the layers with a usable norm.
  EXPECT_NEAR(first_zero.mean_gain, 1e-3, 1e-12);
  const FlowSummary all_zero = summarize_flow(pass_with_norms({0, 0, 0}));
  EXPECT_EQ(all_zero.verdict, FlowVerdict::zero);
  EXPECT_NE(all_zero.reason.find("every layer's gradient norm is exactly 0"), std::string::npos) << all_zero.reason;
  EXPECT_TRUE(std::isnan(all_zero.squared_gain));
  EXPECT_EQ(summarize_flow(pass_with_norms({0})).verdict, FlowVerdict::zero);
  EXPECT_EQ(summarize_flow(pass_with_norms({2})).verdict, FlowVerdict::healthy);
}

TEST(SummarizeFlow, FallsBackToOutputGradientsWhenAnInputGradientIsMissing) {
  PassRecord pass = pass_with_norms({1, 1, 1});
  pass.layers[0].input_grad.reset();
  const FlowSummary s = summarize_flow(pass);
  EXPECT_EQ(s.measure, FlowMeasure::output_grad);
  EXPECT_EQ(s.grad_norms, (std::vector<double>{2, 2, 2}));
}

TEST(SummarizeFlow, NamesWhereSaturationAndDeadUnitsBegin) {
  PassRecord pass = pass_with_norms({1, 1, 1, 1});
  pass.layers[2].output.saturated_fraction = 0.05;  // d2, below the threshold
  pass.layers[4].output.saturated_fraction = 0.3;   // d3
  pass.layers[6].dead_fraction = 0.5;               // d4
  const FlowSummary s = summarize_flow(pass);
  EXPECT_EQ(s.saturation_begins, "d3");
  EXPECT_EQ(s.dead_units_begin, "d4");
  EXPECT_EQ(summarize_flow(pass, {.saturated_fraction = 0.5, .dead_fraction = 0.6}).saturation_begins, std::nullopt);
  EXPECT_THROW(summarize_flow(PassRecord{}), Error);
}

// The verdicts on real networks, with fixed seeds (deterministic: no false failures).
PassRecord probe_stack(const SkipNetworkOptions& options, uint64_t seed) {
  Rng rng(seed);
  SkipNetwork net(options, rng);
  const Tensor x = uniform({options.batch, options.input_features}, rng, 0, 1, options.dtype);
  return probe_pass([&](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{net(xs[0], o)}; },
                    {x});
}

// The depth axis is the Dense layers whether or not the probe recorded variable statistics (a sweep
// does not), so normalization layers between them never count as depth.
TEST(SummarizeFlow, DepthAxisDoesNotDependOnVariableStatistics) {
  const SkipNetworkOptions options{.depth = 3, .normalization = SkipNormalization::batch};
  FlowSummary with[2];
  for (bool variables : {false, true}) {
    Rng rng(5);
    SkipNetwork net(options, rng);
    const Tensor x = uniform({options.batch, options.input_features}, rng);
    const ProbeForward forward = [&net](const std::vector<Tensor>& xs, const CallOptions& o) {
      return std::vector<Tensor>{net(xs[0], o)};
    };
    with[variables] = summarize_flow(probe_pass(forward, {x}, {.training = true, .probe = {.variables = variables}}));
  }
  EXPECT_EQ(with[0].depth_layers.size(), 3u);
  EXPECT_EQ(with[0].depth_layers, with[1].depth_layers);
  EXPECT_EQ(with[0].grad_norms, with[1].grad_norms);
  EXPECT_EQ(with[0].mean_gain, with[1].mean_gain);
}

TEST(SummarizeFlow, DeepSigmoidGlorotStackVanishes) {
  const PassRecord pass = probe_stack({.depth = 30, .units = 64, .activation = "sigmoid", .dtype = DType::float64}, 1);
  const FlowSummary s = summarize_flow(pass);
  EXPECT_EQ(s.verdict, FlowVerdict::vanishing) << s.reason;
  EXPECT_LT(s.mean_gain, 0.5);
  // The first weight layer's input gradient is the lesson's input-gradient norm.
  EXPECT_DOUBLE_EQ(s.grad_norms.front(), pass.input_grad->l2_norm);
  EXPECT_EQ(s.depth_layers.size(), 30u);
}

TEST(SummarizeFlow, UnitNormalInitExplodesInDeepReluAndLinearStacks) {
  for (const char* activation : {"relu", "linear"}) {
    const PassRecord pass = probe_stack(
        {.depth = 20, .units = 64, .activation = activation, .kernel_initializer = random_normal(0.0, 1.0), .dtype = DType::float64}, 2);
    const FlowSummary s = summarize_flow(pass);
    EXPECT_EQ(s.verdict, FlowVerdict::exploding) << activation << ": " << s.reason;
    EXPECT_GT(s.mean_gain, 2) << activation;
  }
}

TEST(SummarizeFlow, ReluWithHeInitAtModerateDepthIsHealthy) {
  const PassRecord pass =
      probe_stack({.depth = 10, .units = 128, .activation = "relu", .kernel_initializer = "he_uniform", .dtype = DType::float64}, 3);
  const FlowSummary s = summarize_flow(pass);
  EXPECT_EQ(s.verdict, FlowVerdict::healthy) << s.reason;
  EXPECT_NEAR(s.mean_gain, 1.0, 0.3);
}

TEST(SummarizeFlow, SaturatedTanhIsNamedAtTheFirstLayer) {
  const PassRecord pass = probe_stack(
      {.depth = 6, .units = 64, .activation = "tanh", .kernel_initializer = random_normal(0.0, 1.0), .dtype = DType::float64}, 4);
  EXPECT_EQ(summarize_flow(pass).saturation_begins, "layer1");
}

}  // namespace
}  // namespace gradlab
