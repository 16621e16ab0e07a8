// DepthwiseConv2D, the one-dimensional and global pooling layers, Reshape, ZeroPadding2D, group
// normalization's statistics on [N, H, W, C], and the orthogonal and delta-orthogonal kernel
// initializers: shapes, values against direct computations, float64 finite differences through
// inputs and variables, and errors that name the layer. PyTorch's golden cases for the same layers
// are the spec models cnn_image_layers, cnn_sequence_pooling and cnn_normalizations (tests/golden/).
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

class ImageLayers : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(ImageLayers, DepthwiseKernelIsKerasShapedAndEachChannelHasItsOwnFilters) {
  DepthwiseConv2D dw({3, 2}, {.padding = "same", .depth_multiplier = 2, .bias_initializer = "glorot_uniform"});
  const Tensor x = random_tensor({2, 5, 4, 3}, 1, -2, 2);
  const Tensor y = dw(x);
  EXPECT_EQ(dw.kernel().name(), "depthwise_conv2d/kernel");
  EXPECT_EQ(dw.kernel().shape(), (Shape{3, 2, 3, 2}));
  EXPECT_EQ(dw.bias().shape(), (Shape{6}));
  EXPECT_EQ(y.shape(), (Shape{2, 5, 4, 6}));
  // Output channel c * M + m is input channel c convolved with kernel[:, :, c, m], alone.
  const std::vector<double> k = dw.kernel().value().to_vector(), b = dw.bias().value().to_vector();
  const std::vector<double> xv = x.to_vector(), yv = y.to_vector();
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t m = 0; m < 2; ++m) {
      std::vector<double> filter;
      for (int64_t a = 0; a < 3; ++a) {
        for (int64_t bb = 0; bb < 2; ++bb) filter.push_back(k[((a * 2 + bb) * 3 + c) * 2 + m]);
      }
      std::vector<double> channel;
      for (int64_t i = 0; i < 2 * 5 * 4; ++i) channel.push_back(xv[i * 3 + c]);
      const Tensor single = conv2d(from_values(Shape{2, 5, 4, 1}, channel, DType::float64), from_values(Shape{3, 2, 1, 1}, filter, DType::float64),
                                   from_values(Shape{1}, {b[c * 2 + m]}, DType::float64), {.padding = Padding::same});
      const std::vector<double> expected = single.to_vector();
      for (int64_t i = 0; i < 2 * 5 * 4; ++i) {
        ASSERT_NEAR(yv[i * 6 + c * 2 + m], expected[i], 1e-12) << "channel " << c << " filter " << m;
      }
    }
  }
}

TEST_F(ImageLayers, DepthwiseFansAreKerasComputeFansOfItsKernel) {
  DepthwiseConv2D dw({3, 3}, {.depth_multiplier = 4, .depthwise_initializer = "variance_scaling"});
  dw(random_tensor({1, 5, 5, 8}, 2));
  // variance_scaling(1, fan_in, truncated normal) with Keras's fan_in = 3 * 3 * 8 = 72: the draws'
  // variance is 1 / 72 (288 draws; the relative standard error of a variance estimate is about
  // sqrt(2 / 288) = 8%, so a 30% band fails with probability far below 1e-6).
  const std::vector<double> w = dw.kernel().value().to_vector();
  double sum_sq = 0;
  for (double v : w) sum_sq += v * v;
  EXPECT_NEAR(sum_sq / static_cast<double>(w.size()), 1.0 / 72.0, 0.3 / 72.0);
}

TEST_F(ImageLayers, GradientsMatchFiniteDifferences) {
  DepthwiseConv2D dw({2, 3}, {.strides = {2, 1},
                              .padding = "same",
                              .depth_multiplier = 2,
                              .dilation_rate = {1, 2},
                              .activation = "tanh",
                              .bias_initializer = "glorot_uniform"});
  const Tensor x = random_tensor({2, 5, 6, 2}, 3, -2, 2);
  dw(x);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return dw(in[0]); }, {x}, {},
                                    dw.variables()));
  const Tensor s = random_tensor({2, 7, 3}, 4, -2, 2);
  for (const Layer& pool : {Layer(MaxPooling1D(2)), Layer(AveragePooling1D(3, {.strides = 1, .padding = "same"})),
                            Layer(MaxPooling1D(3, {.strides = 2, .padding = "same"})),
                            Layer(GlobalAveragePooling1D()), Layer(GlobalMaxPooling1D({.keepdims = true}))}) {
    EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return pool(in[0]); }, {s}))
        << pool.type();
  }
  const Tensor img = random_tensor({2, 3, 4, 2}, 5, -2, 2);
  for (const Layer& layer : {Layer(GlobalMaxPooling2D()), Layer(ZeroPadding2D({.padding = {{{1, 0}, {2, 1}}}})),
                             Layer(Reshape({-1, 4})), Layer(Reshape({2, 12}))}) {
    EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return layer(in[0]); }, {img}))
        << layer.type();
  }
}

TEST_F(ImageLayers, OneDimensionalPoolingIsTwoDimensionalPoolingOfHeightOne) {
  const Tensor s = random_tensor({2, 9, 3}, 6);
  const Tensor as_image = reshape(s, {2, 1, 9, 3});
  const Tensor max1 = MaxPooling1D(3, {.strides = 2, .padding = "same"})(s);
  const Tensor max2 = MaxPooling2D({1, 3}, {.strides = std::array<int64_t, 2>{1, 2}, .padding = "same"})(as_image);
  EXPECT_EQ(max1.shape(), (Shape{2, 5, 3}));
  EXPECT_EQ(max1.to_vector(), max2.to_vector());
  const Tensor avg1 = AveragePooling1D(4)(s);
  EXPECT_EQ(avg1.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(avg1.to_vector(), AveragePooling2D({1, 4})(as_image).to_vector());
}

TEST_F(ImageLayers, GlobalPoolingTakesEachChannelsMeanOrMaximum) {
  const Tensor x = test::iota({2, 2, 3, 2});  // values 0..23; channel c of example n is n * 12 + c + 2k
  EXPECT_TRUE(test::all_close(GlobalMaxPooling2D()(x), {2, 2}, {10, 11, 22, 23}));
  EXPECT_TRUE(test::all_close(GlobalMaxPooling2D({.keepdims = true})(x), {2, 1, 1, 2}, {10, 11, 22, 23}));
  EXPECT_TRUE(test::all_close(GlobalAveragePooling2D()(x), {2, 2}, {5, 6, 17, 18}));
  const Tensor s = test::iota({2, 3, 2});
  EXPECT_TRUE(test::all_close(GlobalMaxPooling1D()(s), {2, 2}, {4, 5, 10, 11}));
  EXPECT_TRUE(test::all_close(GlobalAveragePooling1D()(s), {2, 2}, {2, 3, 8, 9}));
}

TEST_F(ImageLayers, ReshapeInfersOneDimensionAndKeepsTheOrder) {
  const Tensor v = test::iota({2, 12});
  const Tensor img = Reshape({2, -1, 2})(v);
  EXPECT_EQ(img.shape(), (Shape{2, 2, 3, 2}));
  EXPECT_EQ(img.to_vector(), v.to_vector());
  EXPECT_EQ(Reshape({12})(v).shape(), (Shape{2, 12}));
}

TEST_F(ImageLayers, ZeroPaddingPutsZerosAroundEachImage) {
  const Tensor x = test::iota({1, 2, 2, 1}, DType::float64) + 1.0;
  EXPECT_TRUE(test::all_close(ZeroPadding2D({.padding = {{{1, 0}, {0, 2}}}})(x), {1, 3, 4, 1},
                              {0, 0, 0, 0,  //
                               1, 2, 0, 0,  //
                               3, 4, 0, 0}));
  EXPECT_EQ(ZeroPadding2D()(x).shape(), (Shape{1, 4, 4, 1}));
}

TEST_F(ImageLayers, GroupNormOnImagesTakesStatisticsOverHeightWidthAndTheGroup) {
  GroupNormalization gn({.groups = 2, .epsilon = 1e-3});
  const Tensor x = random_tensor({2, 3, 2, 4}, 7, -2, 2);
  const std::vector<double> y = gn(x).to_vector(), xv = x.to_vector();
  // Group g of example n holds channels 2g and 2g + 1 at all 6 positions: 12 values.
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t g = 0; g < 2; ++g) {
      double mean = 0, var = 0;
      for (int64_t p = 0; p < 6; ++p) {
        for (int64_t c = 2 * g; c < 2 * g + 2; ++c) mean += xv[(n * 6 + p) * 4 + c] / 12.0;
      }
      for (int64_t p = 0; p < 6; ++p) {
        for (int64_t c = 2 * g; c < 2 * g + 2; ++c) var += std::pow(xv[(n * 6 + p) * 4 + c] - mean, 2) / 12.0;
      }
      for (int64_t p = 0; p < 6; ++p) {
        for (int64_t c = 2 * g; c < 2 * g + 2; ++c) {
          const int64_t i = (n * 6 + p) * 4 + c;
          EXPECT_NEAR(y[i], (xv[i] - mean) / std::sqrt(var + 1e-3), 1e-12);
        }
      }
    }
  }
}

TEST_F(ImageLayers, OrthogonalFlattensAConvKernelAsKeras) {
  Rng rng(3);
  const Tensor k = orthogonal()(Shape{3, 3, 2, 32}, DType::float64, rng);
  // Read as (3 * 3 * 2, 32) = (18, 32): rows < columns, so its 18 rows are orthonormal.
  const std::vector<double> w = k.to_vector();
  for (int64_t i = 0; i < 18; ++i) {
    for (int64_t j = 0; j < 18; ++j) {
      double dot = 0;
      for (int64_t c = 0; c < 32; ++c) dot += w[i * 32 + c] * w[j * 32 + c];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-12);
    }
  }
}

TEST_F(ImageLayers, DeltaOrthogonalIsAnOrthogonalCentreAndKeepsEachPositionsNorm) {
  Rng rng(4);
  const Tensor k = delta_orthogonal(2.0)(Shape{3, 4, 3, 5}, DType::float64, rng);
  const std::vector<double> w = k.to_vector();
  // Centre (1, 1): (3 - 1) / 2 and (4 - 1) / 2 rounded down.
  const int64_t centre = (1 * 4 + 1) * 15;
  for (int64_t i = 0; i < static_cast<int64_t>(w.size()); ++i) {
    if (i < centre || i >= centre + 15) ASSERT_EQ(w[i], 0.0) << i;
  }
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      double dot = 0;
      for (int64_t c = 0; c < 5; ++c) dot += w[centre + i * 5 + c] * w[centre + j * 5 + c];
      EXPECT_NEAR(dot, i == j ? 4.0 : 0.0, 1e-12);  // gain^2 on the diagonal
    }
  }
  // A linear "same" convolution with it multiplies each position's norm by the gain.
  const Tensor x = random_tensor({1, 4, 5, 3}, 8);
  const std::vector<double> y = conv2d(x, k, Tensor(), {.padding = Padding::same}).to_vector(), xv = x.to_vector();
  for (int64_t p = 0; p < 20; ++p) {
    double nx = 0, ny = 0;
    for (int64_t c = 0; c < 3; ++c) nx += xv[p * 3 + c] * xv[p * 3 + c];
    for (int64_t c = 0; c < 5; ++c) ny += y[p * 5 + c] * y[p * 5 + c];
    EXPECT_NEAR(std::sqrt(ny), 2.0 * std::sqrt(nx), 1e-12);
  }
  Conv1D seq(4, 3, {.kernel_initializer = "delta_orthogonal"});
  seq(random_tensor({1, 5, 4}, 9));
  EXPECT_EQ(seq.kernel().value().to_vector()[0], 0.0);
  EXPECT_THAT(error_of([&] { delta_orthogonal()(Shape{3, 3, 8, 4}, DType::float64, rng); }),
              HasSubstr("delta_orthogonal: the kernel [3, 3, 8, 4] has 8 input channels but 4 filters"));
  EXPECT_THAT(error_of([&] { delta_orthogonal()(Shape{4, 4}, DType::float64, rng); }),
              HasSubstr("delta_orthogonal: expected a convolution kernel"));
}

TEST_F(ImageLayers, BadOptionsAndInputsAreErrorsNamingTheLayer) {
  EXPECT_THAT(error_of([] { DepthwiseConv2D({3, 3}, {.depth_multiplier = 0}); }),
              HasSubstr("depthwise_conv2d: depth_multiplier must be positive, got 0"));
  EXPECT_THAT(error_of([] { DepthwiseConv2D({3, 3}, {.strides = {0, 1}, .name = "dw"}); }),
              HasSubstr("dw: strides must be positive, got 0"));
  EXPECT_THAT(error_of([] { DepthwiseConv2D({5, 5}, {.name = "dw"})(random_tensor({1, 4, 6, 2}, 1)); }),
              HasSubstr("dw (height): the window spans 5 positions"));
  EXPECT_THAT(error_of([] { DepthwiseConv2D({3, 3}, {.name = "dw"})(random_tensor({4, 6, 2}, 1)); }),
              HasSubstr("dw: expected an image input of rank 4"));
  EXPECT_THAT(error_of([] { MaxPooling1D(4, {.name = "p"})(random_tensor({1, 3, 2}, 1)); }),
              HasSubstr("p (steps): the window spans 4 positions"));
  EXPECT_THAT(error_of([] { AveragePooling1D(2, {.strides = 0}); }),
              HasSubstr("average_pooling1d: strides must be positive, got 0"));
  EXPECT_THAT(error_of([] { MaxPooling1D(2, {.name = "p"})(random_tensor({1, 4, 4, 2}, 1)); }),
              HasSubstr("p: expected a sequence input of rank 3"));
  EXPECT_THAT(error_of([] { GlobalMaxPooling2D({.name = "g"})(random_tensor({2, 4}, 1)); }),
              HasSubstr("g: expected an image input of rank 4"));
  EXPECT_THAT(error_of([] { GlobalAveragePooling1D({.name = "g"})(random_tensor({2, 4, 4, 1}, 1)); }),
              HasSubstr("g: expected a sequence input of rank 3"));
  EXPECT_THAT(error_of([] { Reshape({-1, -1}); }), HasSubstr("reshape: target_shape (-1, -1) has -1 more than once"));
  EXPECT_THAT(error_of([] { Reshape({0, 4}); }), HasSubstr("each entry must be positive or -1"));
  EXPECT_THAT(error_of([] { Reshape({5, -1}, {.name = "r"})(random_tensor({2, 12}, 1)); }),
              HasSubstr("r: an example of the input [2, 12] has 12 values, which do not fill target_shape (5, -1)"));
  EXPECT_THAT(error_of([] { Reshape({5})(random_tensor({2, 12}, 1)); }), HasSubstr("do not fill target_shape (5)"));
  EXPECT_THAT(error_of([] { ZeroPadding2D({.padding = {{{1, -1}, {0, 0}}}}); }),
              HasSubstr("zero_padding2d: padding must not be negative, got -1"));
  EXPECT_THAT(error_of([] { ZeroPadding2D({.name = "z"})(random_tensor({2, 4, 4}, 1)); }),
              HasSubstr("z: expected an image input of rank 4"));
}

TEST_F(ImageLayers, ConfigSummariesSpellTheOptionsAsKeras) {
  EXPECT_EQ(MaxPooling1D(3).impl().config_summary(), "pool_size=3, strides=3, padding=valid");
  EXPECT_EQ(Reshape({28, 28, 1}).impl().config_summary(), "target_shape=(28, 28, 1)");
  EXPECT_EQ(ZeroPadding2D().impl().config_summary(), "padding=((1, 1), (1, 1))");
  EXPECT_THAT(DepthwiseConv2D({3, 3}, {.depth_multiplier = 2}).impl().config_summary(),
              HasSubstr("kernel_size=(3, 3), strides=(1, 1), padding=valid, depth_multiplier=2"));
}

}  // namespace
}  // namespace gradlab
