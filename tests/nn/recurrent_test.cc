#include "gradlab/nn/recurrent.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/nn/batch_normalization.h"
#include "gradlab/nn/bidirectional.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/group_normalization.h"
#include "gradlab/nn/layer_normalization.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::check_gradients;
using test::random_tensor;
using ::testing::HasSubstr;

std::vector<std::string> names_and_shapes(const Layer& layer) {
  std::vector<std::string> out;
  for (const Variable& v : layer.variables()) out.push_back(v.name() + " " + v.shape().to_string());
  return out;
}

std::string error_of(auto&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Recurrent, WeightsAreNamedAndShapedAsKeras) {
  clear_session();
  const Tensor x = random_tensor({2, 5, 3}, 1);
  SimpleRNN rnn(4);
  LSTM lstm(4);
  GRU gru(4);
  GRU gru_before(4, {.reset_after = false});
  for (const Layer& l : std::vector<Layer>{rnn, lstm, gru, gru_before}) l(x);
  EXPECT_THAT(names_and_shapes(rnn), ::testing::ElementsAre("simple_rnn/kernel [3, 4]",
                                                            "simple_rnn/recurrent_kernel [4, 4]", "simple_rnn/bias [4]"));
  EXPECT_THAT(names_and_shapes(lstm),
              ::testing::ElementsAre("lstm/kernel [3, 16]", "lstm/recurrent_kernel [4, 16]", "lstm/bias [16]"));
  EXPECT_THAT(names_and_shapes(gru),
              ::testing::ElementsAre("gru/kernel [3, 12]", "gru/recurrent_kernel [4, 12]", "gru/bias [2, 12]"));
  EXPECT_THAT(names_and_shapes(gru_before), ::testing::ElementsAre("gru_1/kernel [3, 12]",
                                                                   "gru_1/recurrent_kernel [4, 12]", "gru_1/bias [12]"));
}

TEST(Recurrent, UnitForgetBiasStartsTheForgetGateAtOne) {
  LSTM lstm(3);
  lstm(random_tensor({1, 2, 2}, 2));
  EXPECT_TRUE(all_close(lstm.bias().value(), {12}, {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}, 0.0));
  LSTM plain(3, {.unit_forget_bias = false});
  plain(random_tensor({1, 2, 2}, 2));
  EXPECT_TRUE(all_close(plain.bias().value(), {12}, std::vector<double>(12, 0.0), 0.0));
}

// Keras's orthogonal recurrent kernel (U, G·U): its rows are orthonormal, R R^T = I.
TEST(Recurrent, RecurrentKernelIsOrthogonalByDefault) {
  LSTM lstm(5);
  lstm(random_tensor({1, 2, 3}, 3));
  const Tensor r = lstm.recurrent_kernel().value();
  const Tensor gram = matmul(r, r, false, true);
  std::vector<double> identity(25, 0.0);
  for (int i = 0; i < 5; ++i) identity[i * 6] = 1.0;
  EXPECT_TRUE(all_close(gram, {5, 5}, identity, 1e-5));
}

TEST(Recurrent, ReturnSequencesAndReturnStateGiveKerasShapes) {
  const Tensor x = random_tensor({2, 6, 3}, 4);
  LSTM seq(4, {.return_sequences = true, .return_state = true});
  const std::vector<Tensor> out = seq.call(x);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 6, 4}));
  EXPECT_EQ(out[1].shape(), (Shape{2, 4}));
  EXPECT_EQ(out[2].shape(), (Shape{2, 4}));
  // The final h is the last step of the sequence.
  EXPECT_TRUE(all_close(out[1], {2, 4}, slice(out[0], {0, 5, 0}, {-1, 1, -1}).to_vector(), 0.0));
  GRU last(4, {.return_state = true});
  const std::vector<Tensor> g = last.call(x);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_TRUE(all_close(g[0], {2, 4}, g[1].to_vector(), 0.0));
  EXPECT_EQ(SimpleRNN(4).call(x).size(), 1u);
}

TEST(Recurrent, InitialStatesAreUsedAndChecked) {
  const Tensor x = random_tensor({2, 3, 3}, 5);
  LSTM lstm(4);
  const Tensor from_zeros = lstm(x);
  const Tensor h0 = random_tensor({2, 4}, 6), c0 = random_tensor({2, 4}, 7);
  const Tensor from_states = lstm.call(x, {h0, c0})[0];
  EXPECT_FALSE(all_close(from_states, {2, 4}, from_zeros.to_vector(), 1e-6));
  EXPECT_TRUE(all_close(lstm.call(x, {zeros({2, 4}, DType::float64), zeros({2, 4}, DType::float64)})[0], {2, 4},
                        from_zeros.to_vector(), 0.0));
  EXPECT_THAT(error_of([&] { lstm.call(x, {h0}); }), HasSubstr("takes 2 initial states"));
  EXPECT_THAT(error_of([&] { lstm.call(x, {random_tensor({2, 5}, 8), c0}); }), HasSubstr("initial state 1 is [2, 5]"));
}

TEST(Recurrent, GoBackwardsReadsTheSequenceLastStepFirst) {
  const Tensor x = random_tensor({2, 5, 3}, 9);
  Rng rng1(3), rng2(3);
  GRU backwards(4, {.return_sequences = true, .go_backwards = true});
  GRU plain(4, {.return_sequences = true});
  backwards.impl().set_rng(&rng1);
  plain.impl().set_rng(&rng2);
  EXPECT_TRUE(all_close(backwards(x), {2, 5, 4}, plain(reverse(x, 1)).to_vector(), 1e-14));
}

TEST(Recurrent, BadInputsGiveClearErrors) {
  EXPECT_THAT(error_of([] { SimpleRNN(4)(random_tensor({2, 3}, 1)); }),
              HasSubstr("expected a sequence input of rank 3 [batch, time, features], got shape [2, 3]"));
  EXPECT_THAT(error_of([] { LSTM(4)(random_tensor({2, 0, 3}, 1)); }), HasSubstr("0 time steps"));
  EXPECT_THAT(error_of([] { GRU(0); }), HasSubstr("units must be positive"));
  EXPECT_THAT(error_of([] { GRU(3, {.activation = "softmax"}); }), HasSubstr("not an element-wise activation"));
  EXPECT_THAT(error_of([] { GRU(3, {.reset_after = false, .layer_norm = true}); }), HasSubstr("needs reset_after"));
  SimpleRNN built(2);
  built(random_tensor({1, 2, 3}, 1));
  EXPECT_THAT(error_of([&] { built(random_tensor({1, 2, 4}, 1)); }),
              HasSubstr("input has 4 features but the kernel was built for 3"));
}

// A stack of every cell (with and without layer normalization) checked against finite
// differences for the input and every weight.
struct StackCase {
  std::string label;
  bool layer_norm;
  bool go_backwards;
};

class RecurrentStacks : public ::testing::TestWithParam<StackCase> {};

TEST_P(RecurrentStacks, GradientsOfAStackMatchFiniteDifferences) {
  const StackCase c = GetParam();
  Rng rng(11);
  SimpleRNN rnn(3, {.return_sequences = true, .go_backwards = c.go_backwards, .layer_norm = c.layer_norm});
  LSTM lstm(3, {.return_sequences = true, .layer_norm = c.layer_norm});
  GRU gru(2, {.go_backwards = c.go_backwards, .layer_norm = c.layer_norm});
  for (Layer l : std::vector<Layer>{rnn, lstm, gru}) l.impl().set_rng(&rng);
  const Tensor x = random_tensor({2, 4, 3}, 12);
  const auto f = [&](const std::vector<Tensor>& in) { return gru(lstm(rnn(in[0]))); };
  f({x});
  std::vector<Variable> variables;
  for (const Layer& l : std::vector<Layer>{rnn, lstm, gru}) {
    for (Variable v : l.variables()) {
      // Spread the layer-norm gains and offsets away from 1 and 0 so their gradients are generic.
      if (v.name().find("_norm/") != std::string::npos) v.assign(random_tensor(v.shape(), 13, 0.5, 1.5));
      variables.push_back(v);
    }
  }
  EXPECT_TRUE(check_gradients(f, {x}, {.rtol = 1e-5}, variables)) << c.label;
}

INSTANTIATE_TEST_SUITE_P(FusedAndLayerNormalized, RecurrentStacks,
                         ::testing::Values(StackCase{"fused", false, false}, StackCase{"fused_backwards", false, true},
                                           StackCase{"layer_norm", true, false},
                                           StackCase{"layer_norm_backwards", true, true}),
                         [](const auto& info) { return info.param.label; });

TEST(Recurrent, LayerNormalizedCellHasBaEtAlWeights) {
  clear_session();
  LSTM lstm(3, {.layer_norm = true});
  lstm(random_tensor({1, 2, 2}, 1));
  EXPECT_THAT(names_and_shapes(lstm),
              ::testing::ElementsAre("lstm/kernel [2, 12]", "lstm/recurrent_kernel [3, 12]", "lstm/bias [12]",
                                     "lstm/kernel_norm/gamma [12]", "lstm/kernel_norm/beta [12]",
                                     "lstm/recurrent_norm/gamma [12]", "lstm/recurrent_norm/beta [12]",
                                     "lstm/state_norm/gamma [3]", "lstm/state_norm/beta [3]"));
}

class BidirectionalModes : public ::testing::TestWithParam<std::string> {};

TEST_P(BidirectionalModes, MergesTheForwardAndTheTimeOrderedBackwardOutputs) {
  const std::string mode = GetParam();
  const Tensor x = random_tensor({2, 4, 3}, 14);
  Bidirectional bi(LSTM(3, {.return_sequences = true}), {.merge_mode = mode});
  const Tensor y = bi(x);
  const Tensor yf = bi.impl().forward_layer()(x);
  const Tensor yb = reverse(bi.impl().backward_layer()(x), 1);
  Tensor expected;
  if (mode == "concat") expected = concat({yf, yb}, -1);
  if (mode == "sum") expected = yf + yb;
  if (mode == "mul") expected = yf * yb;
  if (mode == "ave") expected = (yf + yb) * 0.5;
  EXPECT_TRUE(all_close(y, expected.shape(), expected.to_vector(), 0.0));
  const auto f = [&](const std::vector<Tensor>& in) { return bi(in[0]); };
  EXPECT_TRUE(check_gradients(f, {x}, {}, bi.variables())) << mode;
}

INSTANTIATE_TEST_SUITE_P(EveryMergeMode, BidirectionalModes, ::testing::Values("concat", "sum", "mul", "ave"));

TEST(Bidirectional, NamesItsLayersAndRefusesOtherLayers) {
  clear_session();
  Bidirectional bi(GRU(2));
  bi(random_tensor({1, 3, 2}, 1));
  EXPECT_EQ(bi.impl().forward_layer().name(), "forward_gru");
  EXPECT_EQ(bi.impl().backward_layer().name(), "backward_gru");
  EXPECT_TRUE(bi.impl().backward_layer().impl().options().go_backwards);
  EXPECT_EQ(bi.variables().size(), 6u);
  EXPECT_THAT(error_of([] { Bidirectional(Dense(3)); }),
              HasSubstr("wraps a recurrent layer (simple_rnn, lstm or gru), got dense"));
  EXPECT_THAT(error_of([] { Bidirectional(GRU(2), {.merge_mode = "max"}); }), HasSubstr("unknown merge_mode 'max'"));
}

// Dense, Dropout and the normalization layers on [batch, time, units] as Keras applies them.
TEST(SequenceLayers, DenseAndNormalizationsWorkPerTimeStep) {
  const Tensor seq = random_tensor({2, 3, 4}, 15);
  Dense dense(5);
  const Tensor y = dense(seq);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  const Tensor step1 = reshape(slice(seq, {0, 1, 0}, {-1, 1, -1}), {2, 4});
  EXPECT_TRUE(all_close(reshape(slice(y, {0, 1, 0}, {-1, 1, -1}), {2, 5}), {2, 5}, dense(step1).to_vector(), 1e-14));
  // LayerNormalization normalizes each (n, t) over the features.
  LayerNormalization ln;
  const Tensor z = ln(seq);
  EXPECT_TRUE(all_close(mean(z, {2}), {2, 3}, std::vector<double>(6, 0.0), 1e-12));
  // BatchNormalization in training normalizes each feature over batch and time.
  BatchNormalization bn;
  EXPECT_TRUE(all_close(mean(bn(seq, {.training = true}), {0, 1}), {4}, std::vector<double>(4, 0.0), 1e-12));
  GroupNormalization gn({.groups = 2});
  EXPECT_EQ(gn(seq).shape(), seq.shape());
  Dropout dropout(0.5);
  EXPECT_EQ(dropout(seq, {.training = true}).shape(), seq.shape());
}

}  // namespace
}  // namespace gradlab
