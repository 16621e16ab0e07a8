#include "gradlab/lab/skip_network.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// The layers' own weights, applied with plain ops: the wiring written out by hand.
Tensor apply(const Dense& layer, const Tensor& x) {
  return get_activation(layer.impl().options().activation)(matmul(x, layer.kernel().value()) +
                                                           layer.bias().value());
}

double hand_written_gradient_norm(const SkipNetwork& net, const Tensor& inputs) {
  const auto& L = net.layers();
  GradientTape tape;
  tape.watch(inputs);
  std::vector<Tensor> l{inputs};
  for (std::size_t k = 1; k <= L.size(); ++k) {
    switch (net.options().skip) {
      case SkipConnection::none: l.push_back(apply(L[k - 1], l[k - 1])); break;
      case SkipConnection::residual:
        l.push_back(apply(L[k - 1], k >= 3 ? l[k - 1] + l[k - 2] : l[k - 1]));
        break;
      case SkipConnection::identity:
        l.push_back(k >= 2 ? l[k - 1] + apply(L[k - 1], l[k - 1]) : apply(L[0], l[0]));
        break;
      case SkipConnection::concat:
        if (k == 1) l.push_back(apply(L[0], l[0]));
        else if (k == 2) l.push_back(apply(L[1], concat({l[1], l[0]})));
        else l.push_back(apply(L[k - 1], concat({l[k - 1], l[k - 2], l[k - 3]})));
        break;
    }
  }
  return norm(tape.gradient(mean(l.back()), inputs)).item();
}

double network_gradient_norm(const SkipNetwork& net, const Tensor& inputs) {
  GradientTape tape;
  tape.watch(inputs);
  return norm(tape.gradient(mean(net(inputs)), inputs).to(DType::float64)).item();
}

class SkipNetworkWiring : public ::testing::TestWithParam<SkipConnection> {};

TEST_P(SkipNetworkWiring, MatchesTheWiringWrittenOut) {
  for (int depth : {1, 2, 3, 4, 6}) {
    Rng rng(depth);
    Tensor inputs = uniform({8, 12}, rng, 0.0, 1.0, DType::float64);
    SkipNetwork net({.skip = GetParam(), .depth = depth, .units = 5, .activation = "tanh"}, rng);
    const double through_network = network_gradient_norm(net, inputs);
    EXPECT_GT(through_network, 0.0);
    EXPECT_NEAR(through_network, hand_written_gradient_norm(net, inputs), 1e-12 * through_network)
        << skip_connection_key(GetParam()) << " depth " << depth;
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, SkipNetworkWiring,
                         ::testing::Values(SkipConnection::none, SkipConnection::residual, SkipConnection::concat,
                                           SkipConnection::identity),
                         [](const auto& info) { return std::string(skip_connection_key(info.param)); });

TEST(SkipNetwork, EveryKindHasWordsAndTheLessonsThreeComeFirst) {
  ASSERT_EQ(std::size(kSkipConnectionWords), 4u);
  for (std::size_t i = 0; i < std::size(kSkipConnections); ++i) EXPECT_EQ(kSkipConnectionWords[i].skip, kSkipConnections[i]);
  EXPECT_EQ(parse_skip_connection("identity"), SkipConnection::identity);
  EXPECT_EQ(skip_connection_key(SkipConnection::identity), "identity_skip");
  EXPECT_EQ(skip_connection_names(), (std::vector<std::string>{"none", "residual", "concat", "identity"}));
}

TEST(InputGradientNorm, IdentitySkipKeepsADeepSigmoidStacksGradientWhereThePlainStackLosesIt) {
  // Fixed seeds, one draw each. At depth 32 the plain sigmoid stack's input gradient is ~1e-22
  // (TinyFloat32GradientsAreNotRoundedToZero); x + F(x) adds dL/dl_k itself at every block (He et al.
  // 2016), so the depth-32 norm stays within a factor of 10 of the depth-2 one. The lesson's sum-skip
  // (residual) passes its sum through the sigmoid layer and has no such path.
  const auto norm_at = [](SkipConnection skip, int depth) {
    Rng rng = Rng(7).fork(static_cast<uint64_t>(depth));
    return input_gradient_norm({.skip = skip, .depth = depth, .activation = "sigmoid"}, rng);
  };
  const double plain = norm_at(SkipConnection::none, 32), identity = norm_at(SkipConnection::identity, 32);
  const double identity_shallow = norm_at(SkipConnection::identity, 2);
  EXPECT_LT(plain, 1e-12);
  EXPECT_GT(identity, 1e8 * plain);
  EXPECT_GT(identity, identity_shallow / 10) << identity << " vs depth 2: " << identity_shallow;
  EXPECT_LT(norm_at(SkipConnection::residual, 32), 1e-6 * identity);
}

TEST(SkipNetwork, ConcatKernelsSeeUpToThreeEarlierOutputs) {
  Rng rng(1);
  SkipNetwork net({.skip = SkipConnection::concat, .depth = 5}, rng);
  net(uniform({32, 128}, rng));
  const int64_t expected_fan_in[] = {128, 32 + 128, 32 + 32 + 128, 3 * 32, 3 * 32};
  ASSERT_EQ(net.layers().size(), 5u);
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_EQ(net.layers()[k].kernel().shape(), (Shape{expected_fan_in[k], 32})) << "layer " << k + 1;
    EXPECT_EQ(net.layers()[k].name(), "layer" + std::to_string(k + 1));
  }
}

TEST(SkipNetwork, RefusesBadOptions) {
  Rng rng(0);
  EXPECT_THROW(SkipNetwork({.depth = 0}, rng), Error);
  EXPECT_THROW(SkipNetwork({.units = 0}, rng), Error);
  EXPECT_THROW(SkipNetwork({.activation = "no_such_activation"}, rng), Error);
  EXPECT_THROW(input_gradient_norm({.batch = 0}, rng), Error);
}

TEST(InputGradientNorm, IsDeterministicInTheGeneratorAndDrawsInputsFirst) {
  SkipNetworkOptions o{.skip = SkipConnection::residual};
  Rng a = Rng(9).fork(1), b = Rng(9).fork(1), c = Rng(9).fork(2);
  const double g = input_gradient_norm(o, a);
  EXPECT_EQ(g, input_gradient_norm(o, b));
  EXPECT_NE(g, input_gradient_norm(o, c));

  // The same trial by hand, in the lesson's order: inputs, then the layers' kernels on first call.
  Rng d = Rng(9).fork(1);
  SkipNetwork net(o, d);
  Tensor inputs = uniform({32, 128}, d);
  EXPECT_EQ(g, network_gradient_norm(net, inputs));
}

TEST(InputGradientNorm, LessonNetworksGiveLessonSizedNorms) {
  // The lesson printed 0.020, 0.032 and 0.031; a single draw lies well within a factor of 4.
  for (SkipConnection skip : kSkipConnections) {
    Rng rng = Rng(2024).fork(static_cast<uint64_t>(skip));
    const double g = input_gradient_norm({.skip = skip}, rng);
    EXPECT_GT(g, 0.005) << skip_connection_key(skip);
    EXPECT_LT(g, 0.12) << skip_connection_key(skip);
  }
}

TEST(InputGradientNorm, TinyFloat32GradientsAreNotRoundedToZero) {
  // Around 1e-22 at depth 32: every element's square is below float32's smallest denormal.
  Rng rng(1);
  const double g = input_gradient_norm({.depth = 32, .activation = "sigmoid"}, rng);
  EXPECT_GT(g, 0.0);
  EXPECT_LT(g, 1e-15);
}

TEST(InputGradientNorm, AnOverflowedGradientIsInfiniteNotNaN) {
  // Residual sums of selu layers grow the signal every layer; at depth 1024 the forward pass
  // overflows float32 and the backward pass meets inf - inf.
  Rng rng(1);
  const double g =
      input_gradient_norm({.skip = SkipConnection::residual, .depth = 1024, .activation = "selu"}, rng);
  EXPECT_TRUE(std::isinf(g)) << g;
}

TEST(SkipNetwork, SequencesRunEveryPositionThroughTheSameLayers) {
  Rng rng(4);
  SkipNetwork net({.skip = SkipConnection::concat, .depth = 3, .units = 6, .activation = "tanh", .steps = 5,
                   .dtype = DType::float64},
                  rng);
  const Tensor x = uniform(probe_input_shape(net.options()), rng, 0.0, 1.0, DType::float64);
  ASSERT_EQ(x.shape(), (Shape{32, 5, 128}));
  const std::vector<double> y = net(x).to_vector();
  ASSERT_EQ(y.size(), 32u * 5 * 6);
  // Position 3 alone, as vectors [32, 128], through the same (already built) layers.
  const std::vector<double> xs = x.to_vector();
  std::vector<double> position;
  for (int64_t n = 0; n < 32; ++n) {
    for (int64_t f = 0; f < 128; ++f) position.push_back(xs[static_cast<std::size_t>((n * 5 + 3) * 128 + f)]);
  }
  const std::vector<double> alone = net(from_values({32, 128}, position, DType::float64)).to_vector();
  for (std::size_t n = 0; n < 32; ++n) {
    for (std::size_t u = 0; u < 6; ++u) EXPECT_NEAR(y[(n * 5 + 3) * 6 + u], alone[n * 6 + u], 1e-12);
  }
}

TEST(SkipNetwork, InstanceNormOnVectorsOutputsBetaAndPassesNoGradient) {
  for (int64_t steps : {0, 4}) {
    Rng rng(2);
    const SkipNetworkOptions o{.depth = 3, .units = 8, .activation = "sigmoid", .steps = steps,
                               .dtype = DType::float64, .normalization = SkipNormalization::instance};
    SkipNetwork net(o, rng);
    Tensor x = uniform(probe_input_shape(o), rng, 0.0, 1.0, DType::float64);
    GradientTape tape;
    tape.watch(x);
    const Tensor y = net(x, {.training = true});
    ASSERT_EQ(net.normalizations()[0].type(), "instance_normalization");
    const double grad = norm(tape.gradient(mean(y), x)).item();
    const std::vector<double> v = y.to_vector();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (steps == 0) {
      // Every unit normalizes to beta = 0, so every output is sigmoid(0) whatever the input.
      EXPECT_EQ(*lo, 0.5);
      EXPECT_EQ(*hi, 0.5);
      EXPECT_EQ(grad, 0.0);
    } else {
      EXPECT_LT(*lo, 0.4);
      EXPECT_GT(*hi, 0.6);
      EXPECT_GT(grad, 1e-4);
    }
  }
}

TEST(SkipNetwork, RefusesNegativeSteps) {
  Rng rng(0);
  EXPECT_THROW(SkipNetwork({.steps = -1}, rng), Error);
  EXPECT_EQ(probe_input_shape({.batch = 3, .input_features = 7}), (Shape{3, 7}));
  EXPECT_EQ(probe_input_shape({.batch = 3, .input_features = 7, .steps = 2}), (Shape{3, 2, 7}));
}

TEST(SkipNormalizationNames, RoundTripAndRejectTheUnknown) {
  for (SkipNormalization n : kSkipNormalizations) EXPECT_EQ(parse_skip_normalization(skip_normalization_name(n)), n);
  EXPECT_EQ(skip_normalization_name(SkipNormalization::instance), "instance");
  EXPECT_THROW(parse_skip_normalization("weight"), Error);
  EXPECT_THROW(parse_skip_normalization(""), Error);
}

TEST(SkipConnectionNames, AreDistinct) {
  EXPECT_EQ(skip_connection_key(SkipConnection::none), "no_skip");
  EXPECT_EQ(skip_connection_key(SkipConnection::concat), "concat_skip");
  EXPECT_EQ(skip_connection_label(SkipConnection::residual), "residual");
}

}  // namespace
}  // namespace gradlab
