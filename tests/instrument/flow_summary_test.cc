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
  EXPECT_NEAR(s.first_to_last_ratio, 1e-3, 1e-15);
  EXPECT_EQ(s.verdict, FlowVerdict::vanishing);
  EXPECT_NE(s.reason.find("d1 gets 0.001 times the gradient norm of d4"), std::string::npos) << s.reason;
}

TEST(SummarizeFlow, GeometricGrowthIsExploding) {
  const FlowSummary s = summarize_flow(pass_with_norms({1e3, 1e2, 1e1, 1}));
  EXPECT_NEAR(s.mean_gain, 10, 1e-9);
  EXPECT_EQ(s.verdict, FlowVerdict::exploding);
}

TEST(SummarizeFlow, ThresholdsAreTheUsers) {
  const PassRecord pass = pass_with_norms({0.5, 0.7, 1});
  EXPECT_EQ(summarize_flow(pass).verdict, FlowVerdict::healthy);
  EXPECT_EQ(summarize_flow(pass, {.vanishing_ratio = 0.6}).verdict, FlowVerdict::vanishing);
  EXPECT_EQ(summarize_flow(pass_with_norms({2, 1}), {.exploding_ratio = 1.5}).verdict, FlowVerdict::exploding);
}

TEST(SummarizeFlow, OverflowAndTotalLossAreNamed) {
  const FlowSummary inf = summarize_flow(pass_with_norms({1, std::numeric_limits<double>::infinity(), 1}));
  EXPECT_EQ(inf.verdict, FlowVerdict::exploding);
  EXPECT_NE(inf.reason.find("not finite at d2"), std::string::npos) << inf.reason;
  const FlowSummary zero = summarize_flow(pass_with_norms({0, 1e-3, 1}));
  EXPECT_EQ(zero.verdict, FlowVerdict::vanishing);
  EXPECT_NE(zero.reason.find("no gradient reaches d1"), std::string::npos) << zero.reason;
  // The gain is fitted over the layers with a usable norm.
  EXPECT_NEAR(zero.mean_gain, 1e-3, 1e-12);
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
