// Normalization layers: Keras semantics (moving statistics, inference, frozen layers, defaults,
// errors, adapt), float64 finite-difference gradients through every layer and mode, and float32
// against float64 on both kernel paths.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "gradlab/gradlab.h"
#include "gradlab/nn/normalization_layers.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

class NormalizationTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

// Gives gamma and beta values away from 1 and 0, so a rule that ignores them fails the check.
void randomize(Variable v, uint64_t seed) {
  if (v.defined()) v.assign(test::random_tensor(v.shape(), seed, 0.5, 1.5));
}

std::vector<Variable> defined(std::initializer_list<Variable> vars) {
  std::vector<Variable> out;
  for (const Variable& v : vars) {
    if (v.defined()) out.push_back(v);
  }
  return out;
}

// Reference: normalize x [rows, C] column-wise (batch) with the given statistics.
std::vector<double> normalized_columns(const std::vector<double>& x, int64_t rows, int64_t cols,
                                       const std::vector<double>& mean, const std::vector<double>& var, double eps) {
  std::vector<double> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = (x[r * cols + c] - mean[c]) / std::sqrt(var[c] + eps);
  }
  return y;
}

TEST_F(NormalizationTest, BatchNormDefaultsAndVariablesAreKeras) {
  BatchNormalization bn;
  EXPECT_EQ(bn.impl().options().momentum, 0.99);
  EXPECT_EQ(bn.impl().options().epsilon, 1e-3);
  EXPECT_EQ(bn.impl().options().axis, -1);
  bn(ones({2, 3}));
  const std::vector<Variable> vars = bn.variables();
  ASSERT_EQ(vars.size(), 4u);
  EXPECT_EQ(vars[0].name(), "batch_normalization/gamma");
  EXPECT_EQ(vars[1].name(), "batch_normalization/beta");
  EXPECT_EQ(vars[2].name(), "batch_normalization/moving_mean");
  EXPECT_EQ(vars[3].name(), "batch_normalization/moving_variance");
  EXPECT_EQ(bn.trainable_variables().size(), 2u);
  EXPECT_FALSE(bn.moving_mean().trainable());
  EXPECT_TRUE(test::all_close(bn.moving_variance().value(), Shape{3}, {1, 1, 1}));
  EXPECT_EQ(LayerNormalization().impl().options().epsilon, 1e-3);
  EXPECT_EQ(GroupNormalization().impl().options().groups, 32);
}

TEST_F(NormalizationTest, BatchNormTrainingUsesBatchStatisticsAndUpdatesMovingOnes) {
  // Column 0: 1, 2, 3, 4 (mean 2.5, biased variance 1.25); column 1: 0, 0, 2, 2 (mean 1, variance 1).
  const std::vector<double> xs = {1, 0, 2, 0, 3, 2, 4, 2};
  const Tensor x = from_values({4, 2}, xs, DType::float64);
  BatchNormalization bn;
  const Tensor y = bn(x, {.training = true});
  EXPECT_TRUE(test::all_close(y, Shape{4, 2}, normalized_columns(xs, 4, 2, {2.5, 1.0}, {1.25, 1.0}, 1e-3)));
  // moving = 0.99 moving + 0.01 batch: means from 0, variances from 1 with the biased batch variance.
  EXPECT_TRUE(test::all_close(bn.moving_mean().value(), Shape{2}, {0.025, 0.01}));
  EXPECT_TRUE(test::all_close(bn.moving_variance().value(), Shape{2}, {1.0025, 1.0}));
  bn(x, {.training = true});
  EXPECT_TRUE(test::all_close(bn.moving_mean().value(), Shape{2}, {0.99 * 0.025 + 0.025, 0.99 * 0.01 + 0.01}));

  BatchNormalization torch_like({.momentum = 0.9, .moving_variance_update = MovingVarianceUpdate::unbiased});
  torch_like(x, {.training = true});
  // PyTorch: running_var = 0.9 * 1 + 0.1 * unbiased variance (5/3 and 4/3).
  EXPECT_TRUE(test::all_close(torch_like.moving_variance().value(), Shape{2}, {0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 4.0 / 3.0}));
  EXPECT_TRUE(test::all_close(torch_like.moving_mean().value(), Shape{2}, {0.25, 0.1}));
}

TEST_F(NormalizationTest, BatchNormInferenceUsesMovingStatistics) {
  const std::vector<double> xs = {1, 0, 2, 0, 3, 2, 4, 2};
  const Tensor x = from_values({4, 2}, xs, DType::float64);
  BatchNormalization bn({.center = false});
  bn(x);
  Variable(bn.moving_mean()).assign(from_values({2}, {0.5, -1.0}, DType::float64));
  Variable(bn.moving_variance()).assign(from_values({2}, {4.0, 0.25}, DType::float64));
  Variable(bn.gamma()).assign(from_values({2}, {2.0, 3.0}, DType::float64));
  std::vector<double> expected = normalized_columns(xs, 4, 2, {0.5, -1.0}, {4.0, 0.25}, 1e-3);
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] *= i % 2 == 0 ? 2.0 : 3.0;
  EXPECT_TRUE(test::all_close(bn(x), Shape{4, 2}, expected));
  EXPECT_TRUE(test::all_close(bn(x, {.training = false}), Shape{4, 2}, expected));
  // Inference leaves the moving statistics alone.
  EXPECT_TRUE(test::all_close(bn.moving_mean().value(), Shape{2}, {0.5, -1.0}));
}

TEST_F(NormalizationTest, FrozenBatchNormRunsInInferenceModeWhenTraining) {
  const Tensor x = test::random_tensor({6, 3}, 3);
  BatchNormalization bn;
  bn(x);
  Variable(bn.moving_mean()).assign(from_values({3}, {0.1, 0.2, 0.3}, DType::float64));
  const Tensor inference = bn(x);
  bn.set_trainable(false);
  EXPECT_TRUE(bn.trainable_variables().empty());
  const Tensor frozen = bn(x, {.training = true});
  EXPECT_TRUE(test::all_close(frozen, x.shape(), inference.to_vector()));
  EXPECT_TRUE(test::all_close(bn.moving_mean().value(), Shape{3}, {0.1, 0.2, 0.3}));
  bn.set_trainable(true);
  bn(x, {.training = true});
  EXPECT_FALSE(test::all_close(bn.moving_mean().value(), Shape{3}, {0.1, 0.2, 0.3}));
}

TEST_F(NormalizationTest, TrainingFlagPassesThroughSequential) {
  BatchNormalization bn;
  Sequential model({Dense(3), bn});
  const Tensor x = test::random_tensor({5, 4}, 9);
  model(x);
  EXPECT_TRUE(test::all_close(bn.moving_mean().value(), Shape{3}, {0, 0, 0}));
  model(x, {.training = true});
  EXPECT_FALSE(test::all_close(bn.moving_mean().value(), Shape{3}, {0, 0, 0}));
}

TEST_F(NormalizationTest, BadOptionsAndShapesAreClearErrors) {
  EXPECT_EQ(error_of([] { GroupNormalization({.groups = 32})(ones({2, 30})); }),
            "group_normalization: 30 channels are not divisible by 32 groups");
  EXPECT_EQ(error_of([] { GroupNormalization({.groups = 8, .name = "gn"})(ones({2, 4})); }),
            "gn: 4 channels are not divisible by 8 groups");
  EXPECT_EQ(error_of([] { BatchNormalization({.axis = 0, .name = "bn"})(ones({2, 4})); }),
            "bn: axis 0 is the batch axis; normalize over another axis");
  EXPECT_EQ(error_of([] { LayerNormalization({.axis = {3}, .name = "ln"})(ones({2, 4})); }),
            "ln: axis 3 is out of range for an input of rank 2");
  EXPECT_EQ(error_of([] { BatchNormalization({.momentum = 1.5, .name = "bn"}); }),
            "bn: momentum must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of([] { BatchNormalization({.name = "bn"})(ones({4})); }),
            "bn: expected an input of rank >= 2 ([batch, ..., channels]), got shape [4]");
  BatchNormalization bn({.name = "bn"});
  bn(ones({2, 4}));
  EXPECT_EQ(error_of([&] { bn(ones({2, 5})); }), "bn: input has 5 channels on axis -1 but the layer was built for 4");
  EXPECT_EQ(error_of([] { Normalization({.mean = {1.0}, .name = "norm"}); }),
            "norm: mean and variance must be given together (got 1 mean and 0 variance values)");
  EXPECT_EQ(error_of([] { Normalization({.name = "norm"}).finalize_state(); }),
            "norm: adapt() saw no data; give it at least one example");
}

TEST_F(NormalizationTest, LayerNormNormalizesEachExampleAndShapesGammaOverTheAxes) {
  const Tensor x = from_values({2, 4}, {1, 2, 3, 4, -1, -1, 1, 1}, DType::float64);
  LayerNormalization ln;
  const double s0 = std::sqrt(1.25 + 1e-3), s1 = std::sqrt(1.0 + 1e-3);
  EXPECT_TRUE(test::all_close(ln(x), Shape{2, 4},
                              {-1.5 / s0, -0.5 / s0, 0.5 / s0, 1.5 / s0, -1 / s1, -1 / s1, 1 / s1, 1 / s1}));
  LayerNormalization ln2({.axis = {-1, 1}});
  ln2(test::random_tensor({2, 3, 4, 5}, 1));
  EXPECT_EQ(ln2.gamma().shape(), (Shape{3, 5}));
  EXPECT_EQ(ln2.gamma().name(), "layer_normalization_1/gamma");
}

TEST_F(NormalizationTest, InstanceNormIsGroupNormWithOneGroupPerChannel) {
  const Tensor x = test::random_tensor({2, 3, 4, 6}, 5);
  InstanceNormalization in;
  GroupNormalization gn({.groups = 6});
  EXPECT_EQ(in.type(), "instance_normalization");
  EXPECT_TRUE(test::all_close(in(x), x.shape(), gn(x).to_vector()));
  EXPECT_EQ(in.gamma().shape(), Shape{6});
}

TEST_F(NormalizationTest, StreamedAdaptEqualsOneShotAdapt) {
  const Tensor data = test::random_tensor({10, 3}, 17, 2.0, 5.0);
  Normalization once;
  once.adapt(data);
  Normalization streamed;
  streamed.reset_state();
  streamed.update_state(slice(data, {0, 0}, {3, 3}));
  streamed.update_state(slice(data, {3, 0}, {1, 3}));
  streamed.update_state(slice(data, {4, 0}, {6, 3}));
  streamed.finalize_state();
  EXPECT_TRUE(test::all_close(streamed.mean().value(), Shape{3}, once.mean().value().to_vector(), 1e-14));
  EXPECT_TRUE(test::all_close(streamed.variance().value(), Shape{3}, once.variance().value().to_vector(), 1e-14));
  // Direct computation of column 0's statistics (biased variance).
  const std::vector<double> v = data.to_vector();
  double m = 0, s = 0;
  for (int r = 0; r < 10; ++r) m += v[r * 3] / 10;
  for (int r = 0; r < 10; ++r) s += (v[r * 3] - m) * (v[r * 3] - m) / 10;
  EXPECT_NEAR(once.mean().value().at({0}), m, 1e-14);
  EXPECT_NEAR(once.variance().value().at({0}), s, 1e-14);
  const Tensor y = once(data);
  EXPECT_NEAR(y.at({2, 0}), (v[6] - m) / std::sqrt(s), 1e-12);
  EXPECT_EQ(once.mean().name(), "normalization/mean");
  EXPECT_TRUE(once.trainable_variables().empty());
}

TEST_F(NormalizationTest, InvertRoundTripsAndAxisNoneHasOneStatistic) {
  const Tensor data = test::random_tensor({8, 2, 3}, 23, -3.0, 7.0);
  Normalization norm({.axis = {}});
  norm.adapt(data);
  EXPECT_EQ(norm.mean().shape(), Shape{});
  Normalization inverse({.axis = {}, .mean = {norm.mean().value().item()}, .variance = {norm.variance().value().item()},
                         .invert = true});
  EXPECT_TRUE(test::all_close(inverse(norm(data)), data.shape(), data.to_vector(), 1e-12));
  // Kept axes apart from each other (1 and 3) still normalize per index.
  Normalization split({.axis = {1, 3}});
  const Tensor x4 = test::random_tensor({5, 2, 3, 4}, 29);
  split.adapt(x4);
  EXPECT_EQ(split.mean().shape(), (Shape{2, 4}));
  const Tensor y4 = split(x4);
  Normalization check({.axis = {1, 3}});
  check.adapt(y4);
  for (double m : check.mean().value().to_vector()) EXPECT_NEAR(m, 0.0, 1e-12);
  for (double s : check.variance().value().to_vector()) EXPECT_NEAR(s, 1.0, 1e-9);
}

// --- Finite-difference gradients (float64) ------------------------------------------------------

void expect_gradients(const Layer& layer, const Tensor& x, bool training, std::vector<Variable> (*vars)(const Layer&)) {
  layer(x, {.training = training});  // builds
  std::vector<Variable> variables = vars(layer);
  for (std::size_t i = 0; i < variables.size(); ++i) randomize(variables[i], 100 + i);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return layer(in[0], {.training = training}); },
                                    {x}, {}, variables))
      << layer.name() << " on " << x.shape().to_string() << (training ? " (training)" : "");
}

std::vector<Variable> bn_vars(const Layer& l) {
  const auto* bn = l.as<BatchNormalizationImpl>();
  return defined({bn->gamma(), bn->beta()});
}
std::vector<Variable> ln_vars(const Layer& l) {
  const auto* ln = l.as<LayerNormalizationImpl>();
  return defined({ln->gamma(), ln->beta()});
}
std::vector<Variable> gn_vars(const Layer& l) {
  const auto* gn = l.as<GroupNormalizationImpl>();
  return defined({gn->gamma(), gn->beta()});
}
std::vector<Variable> no_vars(const Layer&) { return {}; }

TEST_F(NormalizationTest, BatchNormGradientsInTrainingAndInference) {
  for (bool training : {true, false}) {
    expect_gradients(BatchNormalization(), test::random_tensor({5, 4}, 1), training, bn_vars);
    expect_gradients(BatchNormalization(), test::random_tensor({3, 4, 5}, 2), training, bn_vars);
    expect_gradients(BatchNormalization(), test::random_tensor({2, 3, 2, 4}, 3), training, bn_vars);
    expect_gradients(BatchNormalization({.axis = 1}), test::random_tensor({3, 4, 5}, 4), training, bn_vars);
    expect_gradients(BatchNormalization({.axis = -2, .center = false}), test::random_tensor({2, 3, 2, 4}, 5), training,
                     bn_vars);
    expect_gradients(BatchNormalization({.scale = false}), test::random_tensor({6, 3}, 6), training, bn_vars);
  }
}

TEST_F(NormalizationTest, LayerNormGradients) {
  expect_gradients(LayerNormalization(), test::random_tensor({3, 5}, 11), true, ln_vars);
  expect_gradients(LayerNormalization(), test::random_tensor({3, 20}, 12), true, ln_vars);  // row kernel
  expect_gradients(LayerNormalization(), test::random_tensor({2, 3, 4}, 13), false, ln_vars);
  expect_gradients(LayerNormalization({.axis = {1, 2}}), test::random_tensor({2, 3, 2, 4}, 14), false, ln_vars);
  expect_gradients(LayerNormalization({.axis = {1}}), test::random_tensor({2, 5, 3}, 15), false, ln_vars);
  expect_gradients(LayerNormalization({.axis = {1, 3}, .center = false}), test::random_tensor({2, 3, 2, 4}, 16), false,
                   ln_vars);
}

TEST_F(NormalizationTest, GroupAndInstanceNormGradients) {
  expect_gradients(GroupNormalization({.groups = 2}), test::random_tensor({3, 6}, 21), true, gn_vars);
  expect_gradients(GroupNormalization({.groups = 2}), test::random_tensor({2, 40}, 22), true, gn_vars);  // row kernel
  expect_gradients(GroupNormalization({.groups = 3}), test::random_tensor({2, 4, 6}, 23), true, gn_vars);
  expect_gradients(GroupNormalization({.groups = 2}), test::random_tensor({2, 3, 2, 4}, 24), true, gn_vars);
  expect_gradients(GroupNormalization({.groups = 2, .axis = 1}), test::random_tensor({2, 4, 3}, 25), true, gn_vars);
  expect_gradients(GroupNormalization({.groups = 1, .scale = false}), test::random_tensor({2, 3, 4}, 26), true, gn_vars);
  expect_gradients(InstanceNormalization(), test::random_tensor({2, 5, 3}, 27), true, gn_vars);
  expect_gradients(InstanceNormalization(), test::random_tensor({2, 3, 2, 4}, 28), true, gn_vars);
  expect_gradients(InstanceNormalization({.axis = 1}), test::random_tensor({2, 3, 4}, 29), true, gn_vars);
}

TEST_F(NormalizationTest, InputNormalizationGradients) {
  Normalization norm;
  norm.adapt(test::random_tensor({6, 4}, 31, 1.0, 3.0));
  expect_gradients(norm, test::random_tensor({3, 4}, 32), false, no_vars);
  Normalization inverse({.mean = {0.5}, .variance = {4.0}, .invert = true});
  expect_gradients(inverse, test::random_tensor({2, 3, 4}, 33), false, no_vars);
  Normalization split({.axis = {1, 3}});
  split.adapt(test::random_tensor({4, 2, 3, 2}, 34));
  expect_gradients(split, test::random_tensor({2, 2, 3, 2}, 35), false, no_vars);
}

// --- float32 kernels agree with float64 ----------------------------------------------------------

// Both sides see the same (float32-representable) input. With a mean of 100 and a spread of 0.6,
// float32's x - mean alone is off by up to ulp(100) / 0.6 ~ 1e-5, PyTorch's kernels included.
void expect_float32_matches_float64(const std::function<Layer()>& make, const Tensor& x) {
  const Layer a = make(), b = make();
  const Tensor x32 = x.to(DType::float32);
  const Tensor x64 = x32.to(DType::float64);
  GradientTape t64, t32;
  t64.watch(x64);
  t32.watch(x32);
  const Tensor r = test::random_tensor(x64.shape(), 77);
  const Tensor y64 = a(x64, {.training = true}), y32 = b(x32, {.training = true});
  const Tensor g64 = t64.gradient(sum(y64 * r), x64);
  const Tensor g32 = t32.gradient(sum(y32 * r.to(DType::float32)), x32);
  EXPECT_TRUE(test::all_close(y32, x64.shape(), y64.to_vector(), 3e-5)) << a.name();
  EXPECT_TRUE(test::all_close(g32, x64.shape(), g64.to_vector(), 1e-4)) << a.name();
}

TEST_F(NormalizationTest, Float32MatchesFloat64OnBothKernelPaths) {
  // An offset mean (100) checks that the shifted one-pass variance keeps its accuracy in float32.
  const Tensor wide = test::random_tensor({8, 64}, 41, 99.0, 101.0);
  const Tensor image = test::random_tensor({4, 3, 5, 8}, 42, 99.0, 101.0);
  expect_float32_matches_float64([] { return BatchNormalization(); }, wide);
  expect_float32_matches_float64([] { return BatchNormalization({.axis = 1}); }, image);
  expect_float32_matches_float64([] { return LayerNormalization(); }, wide);
  expect_float32_matches_float64([] { return GroupNormalization({.groups = 2}); }, wide);
  expect_float32_matches_float64([] { return GroupNormalization({.groups = 4}); }, image);
  expect_float32_matches_float64([] { return InstanceNormalization(); }, image);
}

// The float32 row kernel (layer norm, long groups) sums in float over blocks of 256 elements and
// flushes the parameter gradients to double every 16 rows: rows of 600 (two whole blocks, a partial
// one and a tail of 24) and 40 of them (two flushes and a partial one) cover every seam, with gamma
// and beta gradients as well as x's.
TEST_F(NormalizationTest, Float32RowKernelMatchesFloat64AcrossBlocksAndFlushes) {
  const Tensor x = test::random_tensor({40, 600}, 43, 99.0, 101.0);
  for (int groups : {1, 3}) {
    const auto make = [groups] {
      return groups == 1 ? Layer(LayerNormalization()) : Layer(GroupNormalization({.groups = groups}));
    };
    const Layer a = make(), b = make();
    const Tensor x32 = x.to(DType::float32);
    const Tensor x64 = x32.to(DType::float64);
    a(x64);
    b(x32);
    for (std::size_t v = 0; v < a.trainable_variables().size(); ++v) {
      const Tensor values = test::random_tensor(a.trainable_variables()[v].shape(), 60 + v, 0.5, 1.5);
      a.trainable_variables()[v].assign(values.to(DType::float64));
      b.trainable_variables()[v].assign(values.to(DType::float32));
    }
    GradientTape t64, t32;
    t64.watch(x64);
    t32.watch(x32);
    const Tensor r = test::random_tensor(x64.shape(), 78);
    const Tensor y64 = a(x64), y32 = b(x32);
    std::vector<Tensor> s64{x64}, s32{x32};
    for (const Variable& w : a.trainable_variables()) s64.push_back(w.value());
    for (const Variable& w : b.trainable_variables()) s32.push_back(w.value());
    const std::vector<Tensor> g64 = t64.gradient(sum(y64 * r), s64);
    const std::vector<Tensor> g32 = t32.gradient(sum(y32 * r.to(DType::float32)), s32);
    EXPECT_TRUE(test::all_close(y32, x64.shape(), y64.to_vector(), 3e-5)) << a.name();
    ASSERT_EQ(g64.size(), 3u);
    // beta's gradient is the column sum of the upstream gradient: a reference that shares no kernel.
    std::vector<double> dbeta(600, 0.0);
    const std::vector<double> rv = r.to_vector();
    for (std::size_t i = 0; i < rv.size(); ++i) dbeta[i % 600] += rv[i];
    EXPECT_TRUE(test::all_close(g64[2], g64[2].shape(), dbeta, 1e-10)) << a.name();
    for (std::size_t i = 0; i < g64.size(); ++i) {
      EXPECT_TRUE(test::all_close(g32[i], g64[i].shape(), g64[i].to_vector(), 1e-4)) << a.name() << " source " << i;
    }
  }
}

TEST_F(NormalizationTest, EachLayerCallIsOneTapeNode) {
  const Tensor x = test::random_tensor({4, 6}, 51);
  for (const Layer& layer : {Layer(BatchNormalization()), Layer(LayerNormalization()), Layer(GroupNormalization({.groups = 3})),
                             Layer(InstanceNormalization())}) {
    GradientTape tape;
    tape.watch(x);
    layer(x, {.training = true});
    ASSERT_EQ(tape.nodes().size(), 1u) << layer.name();
    EXPECT_EQ(tape.nodes()[0].layer, layer.name());
  }
}

}  // namespace
}  // namespace gradlab
