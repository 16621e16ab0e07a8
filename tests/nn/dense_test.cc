// Dense: variables, values, initializer fans, rank > 2 inputs, errors, and gradients for every
// activation.
#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/gradlab.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

// Records the shape and fans each draw was asked for; draws a fixed ramp so values are checkable.
class RecordingInitializer : public InitializerImpl {
 public:
  struct Draw {
    Shape shape;
    Fans fans;
  };
  explicit RecordingInitializer(std::shared_ptr<std::vector<Draw>> draws) : draws_(std::move(draws)) {}
  Tensor generate(const Shape& shape, DType dtype, Rng&, const Fans& fans) const override {
    draws_->push_back({shape, fans});
    std::vector<double> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.1 * static_cast<double>(i + 1);
    return from_values(shape, values, dtype);
  }
  std::string name() const override { return "recording"; }

 private:
  std::shared_ptr<std::vector<Draw>> draws_;
};

class DenseTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(DenseTest, VariablesAreNamedAndShapedAsKeras) {
  Dense layer1(32, {.activation = "relu"});
  Dense layer2(32);
  EXPECT_FALSE(layer1.built());
  EXPECT_FALSE(layer1.kernel().defined());
  layer2(layer1(uniform({32, 128}, default_rng())));
  EXPECT_TRUE(layer1.built());
  std::vector<Variable> vars = layer1.trainable_variables();
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].name(), "dense/kernel");
  EXPECT_EQ(vars[0].shape(), (Shape{128, 32}));
  EXPECT_EQ(vars[1].name(), "dense/bias");
  EXPECT_EQ(vars[1].shape(), Shape{32});
  EXPECT_EQ(layer2.kernel().name(), "dense_1/kernel");
  EXPECT_EQ(layer2.kernel().shape(), (Shape{32, 32}));
  // Keras's default bias is zeros and the default kernel glorot_uniform, limit sqrt(6 / (128 + 32)).
  for (double b : layer1.bias().value().to_vector()) EXPECT_EQ(b, 0.0);
  const double limit = std::sqrt(6.0 / 160.0);
  for (double w : layer1.kernel().value().to_vector()) EXPECT_LE(std::abs(w), limit);
  EXPECT_EQ(layer1.count_params(), 128 * 32 + 32);
}

TEST_F(DenseTest, NoBiasWithoutUseBias) {
  Dense layer(4, {.use_bias = false});
  layer(ones({2, 3}));
  EXPECT_FALSE(layer.bias().defined());
  ASSERT_EQ(layer.variables().size(), 1u);
  EXPECT_EQ(layer.variables()[0].name(), "dense/kernel");
}

TEST_F(DenseTest, InitializersSeeKerasFans) {
  auto draws = std::make_shared<std::vector<RecordingInitializer::Draw>>();
  Initializer init(std::make_shared<RecordingInitializer>(draws));
  Dense layer(5, {.kernel_initializer = init, .bias_initializer = init});
  layer(ones({2, 7}));
  ASSERT_EQ(draws->size(), 2u);
  EXPECT_EQ((*draws)[0].shape, (Shape{7, 5}));
  EXPECT_EQ((*draws)[0].fans.fan_in, 7);
  EXPECT_EQ((*draws)[0].fans.fan_out, 5);
  EXPECT_EQ((*draws)[0].fans.layer_fan_in, 7);
  EXPECT_EQ((*draws)[1].shape, Shape{5});
  EXPECT_EQ((*draws)[1].fans.fan_in, 5);
  EXPECT_EQ((*draws)[1].fans.fan_out, 5);
  EXPECT_EQ((*draws)[1].fans.layer_fan_in, 7);
}

TEST_F(DenseTest, ComputesActivationOfAffineMap) {
  Dense layer(2, {.activation = "relu", .kernel_initializer = "ones", .bias_initializer = constant(-4.0)});
  Tensor x = from_values({2, 3}, {1, 2, 3, 0, 1, 0});
  Tensor y = layer(x);
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{2, 2, 0, 0}));
}

TEST_F(DenseTest, AppliesOnTheLastAxisOfRankThreeInputs) {
  Dense layer(4, {.dtype = DType::float64});
  Tensor x = test::random_tensor({2, 3, 5}, 11);
  Tensor y = layer(x);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  const Tensor& w = layer.kernel().value();
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t t = 0; t < 3; ++t) {
      for (int64_t j = 0; j < 4; ++j) {
        double expected = 0;
        for (int64_t i = 0; i < 5; ++i) expected += x.at({n, t, i}) * w.at({i, j});
        EXPECT_NEAR(y.at({n, t, j}), expected, 1e-12);
      }
    }
  }
}

TEST_F(DenseTest, FeatureMismatchAfterBuildIsAnError) {
  Dense a(8), b(8), c(8);
  a(ones({2, 32}));
  c(ones({2, 32}));
  EXPECT_EQ(error_of([&] {
              c(ones({2, 64}));
            }),
            "dense_2: input has 64 features but the kernel was built for 32");
  EXPECT_EQ(c.kernel().shape(), (Shape{32, 8}));
  EXPECT_EQ(error_of([&] { b(ones({5})); }),
            "dense_1: expected an input of rank >= 2 ([batch, ..., features]), got shape [5]");
  EXPECT_FALSE(b.built());
}

TEST_F(DenseTest, BadConfigurationIsRejectedAtConstruction) {
  EXPECT_EQ(error_of([] { Dense(0); }), "dense: units must be positive, got 0");
  const std::string unknown = error_of([] { Dense(4, {.activation = "relux", .name = "hidden"}); });
  EXPECT_EQ(unknown.rfind("hidden: ", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("relux"), std::string::npos) << unknown;
  const std::string unknown_activation = error_of([] { Activation("sigmod"); });
  EXPECT_EQ(unknown_activation.rfind("activation: ", 0), 0u) << unknown_activation;
  // Rejected layers did not use up automatic names.
  EXPECT_EQ(Dense(1).name(), "dense");
  EXPECT_EQ(Activation("relu").name(), "activation");
}

TEST_F(DenseTest, ConfigSummaryNamesTheOptions) {
  Dense layer(32, {.activation = "relu", .kernel_initializer = he_uniform()});
  EXPECT_EQ(
      layer.impl().config_summary(),
      "units=32, activation=relu, use_bias=true, kernel_initializer=he_uniform, bias_initializer=zeros");
}

class DenseGradient : public ::testing::TestWithParam<std::string> {};

TEST_P(DenseGradient, MatchesFiniteDifferencesForInputsAndVariables) {
  const std::string& activation = GetParam();
  Dense layer(
      4, {.activation = activation, .bias_initializer = random_uniform(-0.5, 0.5), .dtype = DType::float64});
  Tensor x = test::random_tensor({3, 5}, 21);
  layer(x);
  // Shift each output's bias until no pre-activation of this x lies within 0.05 of a kink (relu and
  // friends at 0, hard_sigmoid at +-3), so central differences never straddle one.
  Tensor pre = add(matmul(x, layer.kernel().value()), layer.bias().value());
  std::vector<double> bias = layer.bias().value().to_vector();
  for (int64_t j = 0; j < 4; ++j) {
    double shift = 0;
    bool clear = false;
    for (int attempt = 0; attempt < 200 && !clear; ++attempt) {
      clear = true;
      for (int64_t n = 0; n < 3; ++n) {
        for (double kink : {0.0, -3.0, 3.0}) clear = clear && std::abs(pre.at({n, j}) + shift - kink) > 0.05;
      }
      if (!clear) shift += 0.013;
    }
    ASSERT_TRUE(clear);
    bias[static_cast<std::size_t>(j)] += shift;
  }
  Variable bias_variable = layer.bias();
  bias_variable.assign(from_values(Shape{4}, bias, DType::float64));
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return layer(in[0]); }, {x}, {},
                                    layer.variables()));
}

INSTANTIATE_TEST_SUITE_P(AllActivations, DenseGradient, ::testing::ValuesIn(activation_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gradlab
