// Conv2D, Conv1D, the pooling layers and Flatten: variables and the fans their initializers see,
// output shapes, agreement with the ops, float64 finite differences through the layers' variables,
// and errors that name the layer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/gradlab.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;
using test::random_tensor;
using ::testing::HasSubstr;

// Records the shape and fans of each draw; draws small distinct values.
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
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.01 * static_cast<double>(i % 17) - 0.08;
    return from_values(shape, values, dtype);
  }
  std::string name() const override { return "recording"; }

 private:
  std::shared_ptr<std::vector<Draw>> draws_;
};

class ConvLayers : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(ConvLayers, Conv2DKernelIsKerasShapedAndItsFansCountTheReceptiveField) {
  auto draws = std::make_shared<std::vector<RecordingInitializer::Draw>>();
  const Initializer init(std::make_shared<RecordingInitializer>(draws));
  Conv2D conv(6, {3, 2}, {.groups = 2, .kernel_initializer = init, .bias_initializer = init});
  conv(random_tensor({2, 5, 5, 4}, 1));
  EXPECT_EQ(conv.kernel().name(), "conv2d/kernel");
  EXPECT_EQ(conv.kernel().shape(), (Shape{3, 2, 2, 6}));
  EXPECT_EQ(conv.bias().shape(), (Shape{6}));
  ASSERT_EQ(draws->size(), 2u);
  // Keras's compute_fans: receptive field 3 * 2 = 6; fan_in = 6 * (4 / 2), fan_out = 6 * 6.
  EXPECT_EQ((*draws)[0].fans.fan_in, 12.0);
  EXPECT_EQ((*draws)[0].fans.fan_out, 36.0);
  // The bias sees its own fans (6) and the kernel's fan_in as the layer's.
  EXPECT_EQ((*draws)[1].fans.fan_in, 6.0);
  EXPECT_EQ((*draws)[1].fans.layer_fan_in, 12.0);
}

TEST_F(ConvLayers, Conv1DKernelHasNoHeightAxis) {
  auto draws = std::make_shared<std::vector<RecordingInitializer::Draw>>();
  const Initializer init(std::make_shared<RecordingInitializer>(draws));
  Conv1D conv(4, 5, {.kernel_initializer = init});
  const Tensor y = conv(random_tensor({2, 11, 3}, 2));
  EXPECT_EQ(conv.kernel().shape(), (Shape{5, 3, 4}));
  EXPECT_EQ(y.shape(), (Shape{2, 7, 4}));
  EXPECT_EQ((*draws)[0].fans.fan_in, 15.0);
  EXPECT_EQ((*draws)[0].fans.fan_out, 20.0);
}

TEST_F(ConvLayers, OutputShapesFollowPaddingStridesAndDilation) {
  const Tensor x = random_tensor({2, 28, 28, 1}, 3);
  EXPECT_EQ(Conv2D(8, {3, 3})(x).shape(), (Shape{2, 26, 26, 8}));
  EXPECT_EQ(Conv2D(8, {3, 3}, {.padding = "same"})(x).shape(), (Shape{2, 28, 28, 8}));
  EXPECT_EQ(Conv2D(8, {4, 4}, {.strides = {2, 3}, .padding = "same"})(x).shape(), (Shape{2, 14, 10, 8}));
  EXPECT_EQ(Conv2D(8, {3, 3}, {.dilation_rate = {2, 4}})(x).shape(), (Shape{2, 24, 20, 8}));
  EXPECT_EQ(MaxPooling2D({2, 2})(x).shape(), (Shape{2, 14, 14, 1}));
  EXPECT_EQ(AveragePooling2D({3, 3}, {.strides = {{2, 2}}, .padding = "same"})(x).shape(),
            (Shape{2, 14, 14, 1}));
  EXPECT_EQ(GlobalAveragePooling2D()(x).shape(), (Shape{2, 1}));
  EXPECT_EQ(GlobalAveragePooling2D({.keepdims = true})(x).shape(), (Shape{2, 1, 1, 1}));
  EXPECT_EQ(Flatten()(x).shape(), (Shape{2, 784}));
  EXPECT_EQ(Flatten()(random_tensor({3}, 4)).shape(), (Shape{3, 1}));
}

TEST_F(ConvLayers, LayersComputeTheirOps) {
  const Tensor x = random_tensor({2, 6, 5, 4}, 5, -2, 2);
  Conv2D conv(6, {2, 3},
              {.strides = {2, 1},
               .padding = "same",
               .groups = 2,
               .activation = "tanh",
               .bias_initializer = "glorot_uniform"});
  const Tensor y = conv(x);
  const Tensor expected = tanh(conv2d(x, conv.kernel().value(), conv.bias().value(),
                                      {.strides = {2, 1}, .padding = Padding::same, .groups = 2}));
  EXPECT_TRUE(test::all_close(y, expected.shape(), expected.to_vector()));
  const Pool2DArgs pool{.pool_size = {3, 2}, .strides = {1, 2}, .padding = Padding::same};
  EXPECT_TRUE(test::all_close(MaxPooling2D({3, 2}, {.strides = {{1, 2}}, .padding = "same"})(x),
                              max_pool2d(x, pool).shape(), max_pool2d(x, pool).to_vector()));
  EXPECT_TRUE(test::all_close(AveragePooling2D({3, 2}, {.strides = {{1, 2}}, .padding = "same"})(x),
                              avg_pool2d(x, pool).shape(), avg_pool2d(x, pool).to_vector()));
  const Tensor g = GlobalAveragePooling2D()(x);
  const Tensor m = mean(x, {1, 2});
  EXPECT_TRUE(test::all_close(g, m.shape(), m.to_vector()));
  // Flatten keeps each position's channels together (row-major, channels last).
  EXPECT_TRUE(test::all_close(Flatten()(x), {2, 120}, x.to_vector(), 0.0));
}

TEST_F(ConvLayers, GradientsThroughVariablesMatchFiniteDifferences) {
  Conv2D conv(4, {3, 2},
              {.strides = {2, 1},
               .padding = "same",
               .dilation_rate = {1, 2},
               .groups = 2,
               .activation = "tanh",
               .bias_initializer = "glorot_uniform"});
  const Tensor x = random_tensor({2, 5, 6, 2}, 6, -2, 2);
  conv(x);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return conv(in[0]); }, {x}, {},
                                    conv.variables()));
  Conv1D seq(3, 4,
             {.strides = 2, .padding = "same", .activation = "tanh", .bias_initializer = "glorot_uniform"});
  const Tensor s = random_tensor({2, 9, 2}, 7, -2, 2);
  seq(s);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return seq(in[0]); }, {s}, {},
                                    seq.variables()));
  // A small CNN end to end: convolution, pooling, global pooling, flatten.
  Conv2D c1(3, {2, 2}, {.padding = "same", .activation = "tanh", .bias_initializer = "glorot_uniform"});
  AveragePooling2D p1({2, 2});
  GlobalAveragePooling2D gap;
  const Tensor img = random_tensor({2, 4, 4, 1}, 8, -2, 2);
  const auto net = [&](const std::vector<Tensor>& in) { return Flatten()(gap(p1(c1(in[0])))); };
  net({img});
  EXPECT_TRUE(test::check_gradients(net, {img}, {}, c1.variables()));
}

TEST_F(ConvLayers, ConfigSummariesSpellTheOptionsAsKeras) {
  EXPECT_EQ(Conv2D(8, {3, 3}, {.padding = "same", .activation = "relu"}).impl().config_summary(),
            "filters=8, kernel_size=(3, 3), strides=(1, 1), padding=same, dilation_rate=(1, 1), groups=1, "
            "activation=relu, use_bias=true, kernel_initializer=glorot_uniform, bias_initializer=zeros");
  EXPECT_THAT(Conv1D(8, 5, {.strides = 2}).impl().config_summary(), HasSubstr("kernel_size=5, strides=2,"));
  EXPECT_EQ(MaxPooling2D({3, 3}).impl().config_summary(), "pool_size=(3, 3), strides=(3, 3), padding=valid");
}

TEST_F(ConvLayers, BadOptionsAndInputsAreErrorsNamingTheLayer) {
  EXPECT_THAT(error_of([] {
                Conv2D(8, {3, 3}, {.strides = {0, 1}, .name = "c"});
              }),
              HasSubstr("c: strides must be positive, got 0"));
  EXPECT_THAT(error_of([] {
                Conv2D(6, {3, 3}, {.groups = 4});
              }),
              HasSubstr("conv2d: filters = 6 must be divisible by groups = 4"));
  EXPECT_THAT(error_of([] { Conv2D(8, {3, 3}, {.padding = "full"}); }), HasSubstr("unknown padding 'full'"));
  EXPECT_THAT(error_of([] { MaxPooling2D({2, 0}); }), HasSubstr("max_pooling2d: pool_size must be positive"));
  EXPECT_THAT(error_of([] {
                Conv2D(8, {3, 3}, {.groups = 2, .name = "c"})(random_tensor({1, 5, 5, 3}, 9));
              }),
              HasSubstr("c: the input has 3 channels, which groups = 2 does not divide"));
  EXPECT_THAT(
      error_of([] {
        Conv2D(8, {3, 3}, {.name = "c"})(random_tensor({1, 5, 5}, 9));
      }),
      HasSubstr(
          "c: expected an image input of rank 4 [batch, height, width, channels], got shape [1, 5, 5]"));
  EXPECT_THAT(error_of([] {
                Conv1D(8, 3, {.name = "c"})(random_tensor({1, 5, 5, 2}, 9));
              }),
              HasSubstr("c: expected a sequence input of rank 3"));
  EXPECT_THAT(error_of([] {
                Conv2D(8, {3, 6}, {.name = "c"})(random_tensor({1, 5, 5, 1}, 9));
              }),
              HasSubstr("c (width): the window spans 6 positions"));
  EXPECT_THAT(error_of([] {
                Conv1D(8, 3, {.dilation_rate = 3, .name = "c"})(random_tensor({1, 6, 1}, 9));
              }),
              HasSubstr("c (steps): the window spans 7 positions"));
  EXPECT_THAT(error_of([] {
                MaxPooling2D({3, 3}, {.name = "p"})(random_tensor({1, 2, 5, 1}, 9));
              }),
              HasSubstr("p (height): the window spans 3 positions"));
  EXPECT_THAT(error_of([] {
                GlobalAveragePooling2D({.name = "g"})(random_tensor({1, 5, 1}, 9));
              }),
              HasSubstr("g: expected an image input of rank 4"));
  Conv2D built(4, {3, 3}, {.name = "b"});
  built(random_tensor({1, 5, 5, 2}, 9));
  EXPECT_THAT(error_of([&] {
                built(random_tensor({1, 5, 5, 3}, 9));
              }),
              HasSubstr("b: input has 3 channels but the kernel was built for 2"));
  // Another height and width is fine once built, as in Keras.
  EXPECT_EQ(built(random_tensor({1, 7, 6, 2}, 9)).shape(), (Shape{1, 5, 4, 4}));
}

TEST_F(ConvLayers, AFailedBuildDoesNotUseUpTheName) {
  EXPECT_THROW(Conv2D(0, {3, 3}), Error);
  EXPECT_EQ(Conv2D(2, {3, 3}).name(), "conv2d");
}

}  // namespace
}  // namespace gradlab
