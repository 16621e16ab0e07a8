// The instruments on convolutional layers: a Conv2D's or Conv1D's activation is known to them, and
// on rank-4 outputs [N, H, W, C] a unit is a channel (the last axis): silent means zero at every
// position of every example (a filter silent on the batch).
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/nn/conv.h"
#include "gradlab/nn/model.h"
#include "gradlab/nn/pooling.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

TEST(ConvInstruments, TheActivationOfAConvolutionIsItsOption) {
  EXPECT_EQ(layer_activation(Conv2D(4, {3, 3}, {.activation = "relu"}).impl()), "relu");
  EXPECT_EQ(layer_activation(Conv1D(4, 3, {.activation = "tanh"}).impl()), "tanh");
  EXPECT_EQ(layer_activation(MaxPooling2D().impl()), "linear");
}

TEST(ConvInstruments, DeadFiguresCountChannels) {
  // [1, 2, 2, 4]: channel 0 is zero everywhere (dead), channel 1 is zero but at one position (alive),
  // channels 2 and 3 are positive. Counting positions or elements as units would give other figures.
  std::vector<double> v;
  for (int position = 0; position < 4; ++position) {
    v.insert(v.end(), {0.0, position == 3 ? 0.5 : 0.0, 1.0, 2.0});
  }
  const ForwardStats s = forward_stats(from_values({1, 2, 2, 4}, v, DType::float64), "relu");
  ASSERT_TRUE(s.silent_fraction.has_value());
  EXPECT_DOUBLE_EQ(*s.silent_fraction, 0.25);
  EXPECT_DOUBLE_EQ(s.zero_fraction, 7.0 / 16.0);
}

TEST(ConvInstruments, SaturationIsAShareOfElementsAsForDense) {
  // tanh outputs beyond 0.99 in magnitude: 3 of the 8 elements of [2, 1, 2, 2], whatever their channel.
  const Tensor y =
      from_values({2, 1, 2, 2}, {0.995, 0.1, -0.999, 0.2, 0.3, 0.4, 0.5, 0.9999}, DType::float64);
  const ForwardStats s = forward_stats(y, "tanh");
  ASSERT_TRUE(s.saturated_fraction.has_value());
  EXPECT_DOUBLE_EQ(*s.saturated_fraction, 3.0 / 8.0);
  EXPECT_FALSE(s.silent_fraction.has_value());
}

TEST(ConvInstruments, AProbeFindsADeadFilterOverTheBatch) {
  // Filter 1 of 3 has a negative kernel and no bias; on positive images its relu is 0 everywhere.
  Conv2D conv(3, {2, 2}, {.activation = "relu", .name = "c"});
  SymbolicTensor in = Input({4, 4, 1}, {.dtype = DType::float64});
  Model model(in, GlobalAveragePooling2D()(conv(in)), "cnn");
  std::vector<double> k(4 * 3);
  for (int tap = 0; tap < 4; ++tap) k[tap * 3 + 0] = 0.5, k[tap * 3 + 1] = -0.5, k[tap * 3 + 2] = 0.25;
  Variable kernel = conv.kernel();
  kernel.assign(from_values({2, 2, 1, 3}, k, DType::float64));
  Rng rng(3);
  const Tensor x = uniform({2, 4, 4, 1}, rng, 0.1, 1.0, DType::float64);
  GradientProbe probe;
  GradientTape tape;
  Tensor loss;
  {
    ObserveLayerCalls observe(probe);
    loss = mean(model(x));
  }
  probe.gradient(tape, loss, model.trainable_variables());
  const PassRecord pass = probe.take();
  ASSERT_FALSE(pass.layers.empty());
  EXPECT_EQ(pass.layers[0].layer, "c");
  EXPECT_EQ(pass.layers[0].activation, "relu");
  EXPECT_TRUE(pass.layers[0].has_kernel);
  ASSERT_TRUE(pass.layers[0].output.silent_fraction.has_value());
  EXPECT_DOUBLE_EQ(*pass.layers[0].output.silent_fraction, 1.0 / 3.0);
}

}  // namespace
}  // namespace gradlab
