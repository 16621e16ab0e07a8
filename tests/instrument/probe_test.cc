#include "gradlab/instrument/probe.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/instrument/learning_variable.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/nn/batch_normalization.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/merge.h"
#include "gradlab/nn/model.h"
#include "gradlab/nn/recurrent.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

double l2(const Tensor& t) { return norm(t).item(); }

// Three layers and a residual Add, in float64, so every norm can be compared to 1e-12.
struct Net {
  Dense d1{6, {.activation = "tanh", .name = "d1"}};
  Dense d2{6, {.activation = "relu", .name = "d2"}};
  Add add{AddOptions{.name = "plus"}};
  Dense d3{3, {.activation = "sigmoid", .name = "d3"}};
  Model model = wire();
  Model wire() {
    SymbolicTensor in = Input({5}, {.dtype = DType::float64});
    SymbolicTensor h1 = d1(in), h2 = d2(h1);
    return Model(in, d3(add({h2, h1})), "net");
  }
};

TEST(GradientProbe, NormsEqualTheTapesGradientsTakenDirectly) {
  Rng rng(11);
  Net net;
  const Tensor x = uniform({4, 5}, rng, -1, 1, DType::float64);
  const PassRecord pass = probe_pass(net.model, {x});

  // The same pass written out, asking the tape directly.
  GradientTape tape;
  tape.watch(x);
  const Tensor h1 = net.d1(x), h2 = net.d2(h1), s = net.add({h2, h1}), h3 = net.d3(s);
  const Tensor loss = mean(h3);
  const auto kernels = {net.d1.kernel().value(), net.d2.kernel().value(), net.d3.kernel().value()};
  std::vector<Tensor> sources{x, h1, h2, s, h3};
  sources.insert(sources.end(), kernels.begin(), kernels.end());
  const std::vector<Tensor> g = tape.gradient(loss, sources);

  ASSERT_EQ(pass.layers.size(), 4u);
  EXPECT_EQ(pass.layers[0].layer, "d1");
  EXPECT_EQ(pass.layers[2].layer, "plus");
  EXPECT_EQ(pass.layers[2].type, "add");
  EXPECT_NEAR(pass.loss, loss.item(), 1e-14);
  EXPECT_NEAR(pass.input_grad->l2_norm, l2(g[0]), 1e-14);
  EXPECT_NEAR(pass.layers[0].input_grad->l2_norm, l2(g[0]), 1e-14);
  EXPECT_NEAR(pass.layers[0].output_grad->l2_norm, l2(g[1]), 1e-14);
  EXPECT_NEAR(pass.layers[1].input_grad->l2_norm, l2(g[1]), 1e-14);
  EXPECT_NEAR(pass.layers[1].output_grad->l2_norm, l2(g[2]), 1e-14);
  // Add's inputs are h2 and h1: their gradients taken together.
  EXPECT_NEAR(pass.layers[2].input_grad->l2_norm, std::hypot(l2(g[2]), l2(g[1])), 1e-14);
  EXPECT_NEAR(pass.layers[2].output_grad->l2_norm, l2(g[3]), 1e-14);
  EXPECT_NEAR(pass.layers[3].input_grad->l2_norm, l2(g[3]), 1e-14);
  EXPECT_NEAR(pass.layers[3].output_grad->l2_norm, l2(g[4]), 1e-14);
  EXPECT_NEAR(pass.layers[3].output_grad->rms, l2(g[4]) / std::sqrt(12.0), 1e-14);
  for (int k = 0; k < 3; ++k) {
    const int layer = k == 2 ? 3 : k;
    ASSERT_EQ(pass.layers[layer].variables.size(), 2u);
    const VariableGradientStats& kernel = pass.layers[layer].variables[0];
    EXPECT_NEAR(kernel.grad_norm, l2(g[5 + k]), 1e-14) << kernel.name;
    EXPECT_NEAR(kernel.max_abs_grad, reduce_max(abs(g[5 + k])).item(), 1e-14);
    EXPECT_NEAR(kernel.grad_to_weight_ratio, l2(g[5 + k]) / l2(sources[5 + k]), 1e-14);
  }
  EXPECT_TRUE(pass.layers[2].variables.empty());
  EXPECT_EQ(pass.layers[0].activation, "tanh");
  EXPECT_EQ(pass.layers[0].output_shape, "[4, 6]");
  EXPECT_FALSE(pass.anomaly.has_value());
}

TEST(GradientProbe, ReturnsWhatTheTapeWouldAndRecordsForwardStats) {
  Rng rng(5);
  Net net;
  const Tensor x = uniform({4, 5}, rng, -1, 1, DType::float64);
  std::vector<Tensor> expected;
  {
    GradientTape tape;
    expected = tape.gradient(mean(net.model(x)), net.model.trainable_variables());
  }
  GradientProbe probe({.step = 41});
  GradientTape tape;
  Tensor loss;
  {
    ObserveLayerCalls observe(probe);
    loss = mean(net.model(x));
  }
  const std::vector<Tensor> got = probe.gradient(tape, loss, net.model.trainable_variables());
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].to_vector(), expected[i].to_vector()) << i;
  }
  const PassRecord pass = probe.take();
  EXPECT_EQ(pass.step, 41);
  EXPECT_EQ(probe.pass().step, 42);
  EXPECT_TRUE(probe.pass().layers.empty());
  // x was not watched: the first layer's input gradient is unknown, the rest are recorded.
  EXPECT_FALSE(pass.layers[0].input_grad.has_value());
  EXPECT_TRUE(pass.layers[1].input_grad.has_value());
  // Forward statistics are those of the outputs themselves.
  const Tensor h1 = net.d1(x);
  const ForwardStats f = forward_stats(h1, "tanh");
  EXPECT_DOUBLE_EQ(pass.layers[0].output.mean, f.mean);
  EXPECT_DOUBLE_EQ(pass.layers[0].output.std, f.std);
}

TEST(GradientProbe, LayerCalledTwiceHasTwoRecordsAndItsVariablesOnce) {
  Dense shared(4, {.activation = "tanh", .name = "shared"});
  const Tensor x = full({2, 4}, 0.5, DType::float64);
  const PassRecord pass = probe_pass(
      [&](const std::vector<Tensor>& xs, const CallOptions&) { return std::vector<Tensor>{shared(shared(xs[0]))}; }, {x});
  ASSERT_EQ(pass.layers.size(), 2u);
  EXPECT_EQ(pass.layers[0].variables.size(), 2u);
  EXPECT_TRUE(pass.layers[1].variables.empty());
}

TEST(GradientProbe, VariablesCarryTheirRoleInTheirLayer) {
  // A layer whose name ends in "kernel": its bias is still a bias, its kernel the one the tables show.
  SimpleRNN rnn(3, {.name = "rnn"});
  Dense head(2, {.name = "my/kernel"});
  const Tensor x = full({2, 4, 5}, 0.25, DType::float64);
  const PassRecord pass = probe_pass(
      [&](const std::vector<Tensor>& xs, const CallOptions&) { return std::vector<Tensor>{head(rnn(xs[0]))}; }, {x});
  ASSERT_EQ(pass.layers.size(), 2u);
  std::vector<std::string> roles;
  for (const LayerCallRecord& call : pass.layers) {
    EXPECT_TRUE(call.has_kernel) << call.layer;
    for (const VariableGradientStats& v : call.variables) roles.push_back(v.role);
  }
  EXPECT_EQ(roles, (std::vector<std::string>{"kernel", "recurrent_kernel", "bias", "kernel", "bias"}));
  const VariableGradientStats* learning = learning_variable(pass.layers[1]);
  ASSERT_NE(learning, nullptr);
  EXPECT_EQ(learning->name, "my/kernel/kernel");
}

TEST(GradientProbe, ProbePassReportsTheFirstAnomaly) {
  // ok outputs 4 everywhere; boom's 4 * 4e38 overflows float32.
  Dense d1(4, {.kernel_initializer = constant(1.0), .name = "ok"});
  Dense d2(4, {.kernel_initializer = constant(1e38), .name = "boom"});
  Dense d3(4, {.kernel_initializer = constant(1e30), .name = "after"});
  const Tensor x = full({2, 4}, 1.0);
  const PassRecord pass = probe_pass(
      [&](const std::vector<Tensor>& xs, const CallOptions&) { return std::vector<Tensor>{d3(d2(d1(xs[0])))}; }, {x},
      {.probe = {.step = 9}});
  ASSERT_TRUE(pass.anomaly.has_value());
  EXPECT_EQ(pass.anomaly->step, 9);
  EXPECT_EQ(pass.anomaly->phase, PassPhase::forward);
  EXPECT_EQ(pass.anomaly->layer, "boom");
  EXPECT_GT(pass.layers[1].output.nonfinite_count, 0);
  EXPECT_EQ(pass.layers[0].output.nonfinite_count, 0);
}

TEST(GradientProbe, TrainingReachesNormalizationLayersOfASkipNetwork) {
  Rng rng(2);
  SkipNetwork net({.depth = 3, .units = 16, .activation = "tanh", .batch = 8, .input_features = 5,
                   .dtype = DType::float64, .normalization = SkipNormalization::batch},
                  rng);
  const Tensor x = uniform({8, 5}, rng, 0, 1, DType::float64);
  const ProbeForward forward = [&](const std::vector<Tensor>& xs, const CallOptions& o) {
    return std::vector<Tensor>{net(xs[0], o)};
  };
  const PassRecord pass = probe_pass(forward, {x}, {.training = true});
  ASSERT_EQ(pass.layers.size(), 9u);
  EXPECT_EQ(pass.layers[0].layer, "layer1");
  EXPECT_EQ(pass.layers[1].layer, "norm1");
  EXPECT_EQ(pass.layers[2].layer, "act1");
  EXPECT_EQ(pass.layers[2].activation, "tanh");
  // Batch statistics: every unit of norm1's output has mean 0 over the batch, so the mean is 0.
  EXPECT_NEAR(pass.layers[1].output.mean, 0.0, 1e-9);
  EXPECT_NEAR(pass.layers[1].output.std, 1.0, 0.05);
}

// Dense then BatchNormalization feeding the output (no activation), in float64.
struct BatchNormAtOutput {
  Dense dense{6, {.activation = "linear", .name = "dense"}};
  BatchNormalization bn{{.name = "bn"}};
  ProbeForward forward() {
    return [this](const std::vector<Tensor>& xs, const CallOptions& call) {
      return std::vector<Tensor>{bn(dense(xs[0], call), call)};
    };
  }
};

TEST(ProbeLoss, MeanGivesNoGradientThroughTrainingBatchNormAtTheOutputRandomProjectionDoes) {
  // Ioffe & Szegedy 2015: in training mode batch normalization's backward subtracts the batch mean of
  // dL/dy, and mean's dL/dy is the same for every element, so nothing passes below it.
  Rng rng(3);
  const Tensor x = uniform({16, 5}, rng, -1, 1, DType::float64);
  BatchNormAtOutput net;
  const PassRecord by_mean = probe_pass(net.forward(), {x}, {.training = true, .loss = ProbeLoss::mean});
  const PassRecord projected =
      probe_pass(net.forward(), {x}, {.training = true, .loss = ProbeLoss::random_projection, .projection_seed = 1});
  ASSERT_TRUE(by_mean.input_grad && projected.input_grad);
  EXPECT_EQ(by_mean.loss_kind, ProbeLoss::mean);
  EXPECT_EQ(projected.loss_kind, ProbeLoss::random_projection);
  EXPECT_LT(by_mean.input_grad->l2_norm, 1e-12);
  EXPECT_GT(projected.input_grad->l2_norm, 1e-3);
  // Both upstream gradients have expected squared norm 1/n: the same scale.
  EXPECT_NEAR(by_mean.layers[1].output_grad->l2_norm, 1 / std::sqrt(16.0 * 6), 1e-12);
  EXPECT_GT(projected.layers[1].output_grad->l2_norm, 0.3 / std::sqrt(16.0 * 6));
  EXPECT_LT(projected.layers[1].output_grad->l2_norm, 3 / std::sqrt(16.0 * 6));
}

TEST(ProbeLoss, RandomProjectionIsMeanOfOutputTimesAFixedNormalTensorFromTheSeed) {
  Rng rng(4);
  const Tensor x = uniform({8, 5}, rng, -1, 1, DType::float64);
  BatchNormAtOutput net;
  const auto projected = [&](uint64_t seed) {
    return probe_pass(net.forward(), {x}, {.training = true, .loss = ProbeLoss::random_projection, .projection_seed = seed});
  };
  const PassRecord a = projected(5);
  const Tensor y = net.forward()({x}, {.training = true})[0];
  Rng r = Rng(5).fork(0);
  const Tensor R = normal(y.shape(), r, 0.0, 1.0, DType::float64);
  EXPECT_NEAR(a.loss, mean(y * R).item(), 1e-14);
  EXPECT_EQ(a.loss, projected(5).loss);
  EXPECT_NE(a.loss, projected(6).loss);
}

TEST(ProbeLoss, AutomaticProjectsOnlyWhenBatchNormalizationRunsInTrainingMode) {
  Rng rng(5);
  const Tensor x = uniform({8, 5}, rng, -1, 1, DType::float64);
  BatchNormAtOutput net;
  EXPECT_EQ(probe_pass(net.forward(), {x}, {.training = true, .loss = ProbeLoss::automatic}).loss_kind,
            ProbeLoss::random_projection);
  EXPECT_EQ(probe_pass(net.forward(), {x}, {.training = false, .loss = ProbeLoss::automatic}).loss_kind, ProbeLoss::mean);
  Dense plain(3, {.name = "plain"});
  const ProbeForward dense_only = [&](const std::vector<Tensor>& xs, const CallOptions& call) {
    return std::vector<Tensor>{plain(xs[0], call)};
  };
  EXPECT_EQ(probe_pass(dense_only, {x}, {.training = true, .loss = ProbeLoss::automatic}).loss_kind, ProbeLoss::mean);
}

TEST(ProbeLoss, NamesParseAndUnknownNamesAreRefused) {
  for (const ProbeLossWords& w : kProbeLossWords) EXPECT_EQ(parse_probe_loss(w.name), w.loss);
  EXPECT_EQ(probe_loss_names(), (std::vector<std::string>{"auto", "mean", "random_projection"}));
  EXPECT_THROW(parse_probe_loss("sum"), Error);
}

}  // namespace
}  // namespace gradlab
