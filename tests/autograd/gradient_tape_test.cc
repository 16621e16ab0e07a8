#include "gradlab/autograd/gradient_tape.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::random_tensor;
using ::testing::HasSubstr;

Tensor vec(std::vector<double> values) {
  const auto n = static_cast<int64_t>(values.size());
  return from_values({n}, values, DType::float64);
}

TEST(GradientTape, UnwatchedSourceIsAnError) {
  const Tensor x = vec({1, 2});
  GradientTape tape;
  const Tensor y = sum(x * 2.0);
  try {
    tape.gradient(y, x);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not watched by this tape"));
  }
}

TEST(GradientTape, UnconnectedWatchedSource) {
  const Tensor x = vec({1, 2});
  const Tensor z = vec({3, 4, 5});
  GradientTape tape(TapeOptions{.persistent = true});
  tape.watch(x);
  tape.watch(z);
  const Tensor y = sum(x * 2.0);
  std::vector<Tensor> g = tape.gradient(y, std::vector<Tensor>{x, z});
  EXPECT_TRUE(all_close(g[0], {2}, {2, 2}));
  EXPECT_FALSE(g[1].defined());
  g = tape.gradient(y, std::vector<Tensor>{x, z}, UnconnectedGradients::zero);
  EXPECT_TRUE(all_close(g[1], {3}, {0, 0, 0}));
}

TEST(GradientTape, PersistentTapeAnswersRepeatedly) {
  const Tensor x = vec({1, -2, 3});
  GradientTape tape(TapeOptions{.persistent = true});
  tape.watch(x);
  const Tensor y = sum(square(x));
  const Tensor z = sum(x * 3.0);
  EXPECT_TRUE(all_close(tape.gradient(y, x), {3}, {2, -4, 6}));
  EXPECT_TRUE(all_close(tape.gradient(z, x), {3}, {3, 3, 3}));
  EXPECT_TRUE(all_close(tape.gradient(y, x), {3}, {2, -4, 6}));
}

TEST(GradientTape, NonPersistentTapeAnswersOnce) {
  const Tensor x = vec({1, 2});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = sum(square(x));
  EXPECT_TRUE(tape.gradient(y, x).defined());
  try {
    tape.gradient(y, x);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("non-persistent tape can compute gradients only once"));
  }
}

TEST(GradientTape, ResidualFanOutAccumulates) {
  // y = x + tanh(x W): the residual branch and the skip path both reach x.
  const Tensor x = from_values({1, 2}, {0.5, -1}, DType::float64);
  const Tensor w = from_values({2, 2}, {1, 2, -1, 0.5}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor h = tanh(matmul(x, w));
  const Tensor y = sum(x + h);
  // dy/dx_i = 1 + sum_j (1 - h_j^2) w_ij.
  const double h0 = std::tanh(0.5 * 1 + -1 * -1.0), h1 = std::tanh(0.5 * 2 + -1 * 0.5);
  const double d0 = 1 - h0 * h0, d1 = 1 - h1 * h1;
  EXPECT_TRUE(all_close(tape.gradient(y, x), {1, 2}, {1 + d0 * 1 + d1 * 2, 1 + d0 * -1 + d1 * 0.5}));
}

// The visitor sees each observed tensor's complete gradient (the fan-out h1 gets both branches),
// once, while the returned gradients stay exactly those of gradient(target, sources).
TEST(GradientTape, ObservedGradientsAreVisitedCompleteAndOnce) {
  const Tensor x = from_values({1, 2}, {0.5, -1}, DType::float64);
  const Tensor w = from_values({2, 2}, {1, 2, -1, 0.5}, DType::float64);
  Variable unused("unused", vec({1, 2}));
  GradientTape reference(TapeOptions{.persistent = true});
  GradientTape tape;
  reference.watch(x);
  tape.watch(x);
  const Tensor h1 = tanh(matmul(x, w));
  const Tensor h2 = h1 + sigmoid(matmul(h1, w));
  const Tensor y = sum(h2 * h2);
  const std::vector<Tensor> expected = reference.gradient(y, {x, h1, h2, y});
  std::vector<Tensor> seen(6);
  std::vector<int> visits(6, 0);
  const std::vector<Tensor> observed{h2, h1, x, y, h1, unused.value()};
  const std::vector<Tensor> grads = tape.gradient(y, {x}, observed, [&](std::size_t i, const Tensor& g) {
    ++visits[i];
    seen[i] = g.defined() ? g.clone() : Tensor();
  });
  EXPECT_THAT(visits, ::testing::Each(1));
  ASSERT_EQ(grads.size(), 1u);
  EXPECT_TRUE(all_close(grads[0], expected[0].shape(), expected[0].to_vector(), 0));
  for (auto [i, e] : {std::pair{0, 2}, {1, 1}, {2, 0}, {3, 3}, {4, 1}}) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(seen[static_cast<std::size_t>(i)].defined());
    EXPECT_TRUE(all_close(seen[static_cast<std::size_t>(i)], expected[static_cast<std::size_t>(e)].shape(),
                          expected[static_cast<std::size_t>(e)].to_vector(), 0));
  }
  EXPECT_FALSE(seen[5].defined());  // a variable no op read has no gradient
}

TEST(GradientTape, ObservedTensorsMustBeTracked) {
  const Tensor x = vec({1, 2});
  const Tensor stray = vec({3});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = sum(x * 2.0);
  try {
    tape.gradient(y, {x}, {stray}, [](std::size_t, const Tensor&) {});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("observed tensor 0"));
  }
}

TEST(GradientTape, LessonResidualConnectionsAreGradientChecked) {
  // layer3(layer2_out + layer1_out), layer4(layer3_out + layer2_out) from the lesson.
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        const Tensor l1 = tanh(matmul(in[0], in[1]));
        const Tensor l2 = tanh(matmul(l1, in[2]));
        const Tensor l3 = tanh(matmul(l2 + l1, in[2]));
        return tanh(matmul(l3 + l2, in[1], false, true));
      },
      {random_tensor({3, 4}, 1), random_tensor({4, 4}, 2), random_tensor({4, 4}, 3)}));
}

TEST(GradientTape, NestedTapes) {
  const Tensor x = vec({1, 2});
  GradientTape outer;
  outer.watch(x);
  const Tensor a = x * 3.0;  // recorded on the outer tape only
  Tensor b;
  {
    GradientTape inner;
    inner.watch(a);
    b = sum(a * a);
    EXPECT_TRUE(all_close(inner.gradient(b, a), {2}, {6, 12}));
  }
  // The outer tape saw the inner computation too: db/dx = 2a * 3 = 18x.
  EXPECT_TRUE(all_close(outer.gradient(b, x), {2}, {18, 36}));
}

TEST(GradientTape, InnerTapeDoesNotKnowOuterSources) {
  const Tensor x = vec({1, 2});
  GradientTape outer;
  outer.watch(x);
  const Tensor a = x * 3.0;
  GradientTape inner;
  inner.watch(a);
  const Tensor b = sum(a * a);
  EXPECT_THROW(inner.gradient(b, x), Error);
}

TEST(GradientTape, StopGradientBlocksOneBranch) {
  const Tensor x = vec({1, -2});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = sum(square(x) + stop_gradient(square(x)) * 5.0);
  EXPECT_TRUE(all_close(tape.gradient(y, x), {2}, {2, -4}));
}

TEST(GradientTape, StopRecordingPausesTheTape) {
  const Tensor x = vec({1, 2});
  GradientTape tape;
  tape.watch(x);
  Tensor y;
  {
    auto pause = tape.stop_recording();
    y = x * 2.0;
  }
  const Tensor z = sum(y + x);
  EXPECT_TRUE(all_close(tape.gradient(z, x), {2}, {1, 1}));
}

TEST(GradientTape, TrainableVariablesAreWatchedAutomatically) {
  Variable w("dense/kernel", vec({1, 2, 3}));
  const Tensor x = vec({4, 5, 6});
  GradientTape tape;
  const Tensor y = sum(w.value() * x);
  const std::vector<Tensor> g = tape.gradient(y, std::vector<Variable>{w});
  EXPECT_TRUE(all_close(g[0], {3}, {4, 5, 6}));
}

TEST(GradientTape, WatchAccessedVariablesFalse) {
  Variable w("w", vec({1, 2}));
  const Tensor x = vec({3, 4});
  GradientTape tape(TapeOptions{.watch_accessed_variables = false});
  tape.watch(x);
  const Tensor y = sum(w.value() * x);
  EXPECT_TRUE(tape.nodes().size() == 2u);  // recorded because x is watched
  EXPECT_THROW(tape.gradient(y, std::vector<Variable>{w}), Error);
}

TEST(GradientTape, NonTrainableVariablesAreNotWatched) {
  Variable w("moving_mean", vec({1, 2}), /*trainable=*/false);
  GradientTape tape;
  const Tensor y = sum(w.value() * 2.0);
  EXPECT_TRUE(tape.nodes().empty());
  EXPECT_THROW(tape.gradient(y, std::vector<Variable>{w}), Error);
}

TEST(GradientTape, NonScalarTargetIsSummed) {
  const Tensor x = vec({1, 2, 3});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = x * vec({1, 2, 3}) + 1.0;
  EXPECT_TRUE(all_close(tape.gradient(y, x), {3}, {1, 2, 3}));
}

TEST(GradientTape, TargetIsTheSource) {
  const Tensor x = vec({1, 2});
  GradientTape tape;
  tape.watch(x);
  EXPECT_TRUE(all_close(tape.gradient(x, x), {2}, {1, 1}));
}

TEST(GradientTape, DeepChainDoesNotOverflowTheStack) {
  const Tensor x = vec({1});
  GradientTape tape;
  tape.watch(x);
  Tensor y = x;
  for (int i = 0; i < 10000; ++i) y = y * 1.0001;
  EXPECT_EQ(tape.nodes().size(), 10000u);
  EXPECT_NEAR(tape.gradient(y, x).item(), 2.7181459268249255, 1e-9);
}

TEST(GradientTape, DeepChainOfSavedTensors) {
  // Every node keeps its output alive for backward; building and freeing 10000 of them must not
  // recurse either.
  const Tensor x = vec({0.5, -0.5});
  GradientTape tape;
  tape.watch(x);
  Tensor y = x;
  for (int i = 0; i < 10000; ++i) y = tanh(y) + 0.0;
  const Tensor g = tape.gradient(sum(y), x);
  EXPECT_TRUE(std::isfinite(g.at({0})));
  EXPECT_GT(g.at({0}), 0.0);
}

TEST(GradientTape, NodesCarryOpAndLayerNames) {
  const Tensor x = random_tensor({2, 3}, 5);
  const Tensor w = random_tensor({3, 4}, 6);
  GradientTape tape;
  tape.watch(x);
  const std::string layer = "dense_1";
  {
    LayerScope scope(layer);
    relu(matmul(x, w) + 1.0);
  }
  ASSERT_EQ(tape.nodes().size(), 3u);
  EXPECT_STREQ(tape.nodes()[0].op, "matmul");
  EXPECT_STREQ(tape.nodes()[1].op, "add_scalar");
  EXPECT_STREQ(tape.nodes()[2].op, "relu");
  EXPECT_EQ(tape.nodes()[2].layer, "dense_1");
}

TEST(GradientTape, OpsOnUnwatchedTensorsAreNotRecorded) {
  GradientTape tape;
  const Tensor a = random_tensor({2, 2}, 7);
  sum(exp(a) + a);
  EXPECT_TRUE(tape.nodes().empty());
}

TEST(GradientTape, ComputingGradientsRecordsNothing) {
  const Tensor x = random_tensor({3, 3}, 8);
  GradientTape tape(TapeOptions{.persistent = true});
  tape.watch(x);
  const Tensor y = sum(softmax(matmul(x, x)) * x);
  const std::size_t before = tape.nodes().size();
  tape.gradient(y, x);
  EXPECT_EQ(tape.nodes().size(), before);
}

// Backward rules return undefined gradients for inputs whose gradient is not asked for, so that
// work for them is skipped (the weights' gradients when only the input's is wanted).
TEST(GradientTape, BackwardRulesSkipInputsNotNeeded) {
  const Tensor a = random_tensor({3, 4}, 9, 0.5, 1.5);
  const Tensor b = random_tensor({4}, 10, 0.5, 1.5);
  const Tensor m = random_tensor({4, 2}, 11);
  const std::vector<std::pair<const char*, std::function<Tensor()>>> ops = {
      {"add", [&] { return a + b; }},
      {"sub", [&] { return a - b; }},
      {"mul", [&] { return a * b; }},
      {"div", [&] { return a / b; }},
      {"matmul", [&] { return matmul(a, m); }},
      {"concat", [&] { return concat({a, reshape(b, {1, 4})}, 0); }},
  };
  for (const auto& [name, op] : ops) {
    GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    tape.watch(m);
    const Tensor y = op();
    const TapeNode& node = tape.nodes().back();
    ASSERT_EQ(node.inputs.size(), 2u) << name;
    const Tensor g = ones(y.shape(), y.dtype());
    for (int wanted = 0; wanted < 2; ++wanted) {
      const bool needs[2] = {wanted == 0, wanted == 1};
      std::vector<Tensor> grads;
      {
        NoRecording pause;
        grads = node.backward(g, std::span<const bool>(needs, 2));
      }
      ASSERT_EQ(grads.size(), 2u) << name;
      EXPECT_TRUE(grads[wanted].defined()) << name << " input " << wanted;
      EXPECT_FALSE(grads[1 - wanted].defined()) << name << " input " << 1 - wanted;
    }
  }
}

TEST(GradientTape, ReturnedGradientsNeverShareStorage) {
  // add hands one gradient buffer to both of its inputs; each caller must still get its own.
  const Tensor a = vec({1, 2});
  const Tensor b = vec({3, 4});
  GradientTape tape;
  tape.watch(a);
  tape.watch(b);
  std::vector<Tensor> g = tape.gradient(sum(a + b), std::vector<Tensor>{a, b, a});
  ASSERT_TRUE(g[0].defined() && g[1].defined() && g[2].defined());
  EXPECT_NE(g[0].raw_data(), g[1].raw_data());
  EXPECT_NE(g[0].raw_data(), g[2].raw_data());
  EXPECT_NE(g[1].raw_data(), g[2].raw_data());
  // An in-place update of one (as an optimizer step does) leaves the others as they were.
  g[0].fill(100.0);
  EXPECT_TRUE(all_close(g[1], {2}, {1, 1}));
  EXPECT_TRUE(all_close(g[2], {2}, {1, 1}));
}

TEST(GradientTape, AccumulationDoesNotWriteIntoSharedGradients) {
  // y = sum((a + b) + a): the outer add gives the same buffer to (a + b) and to a; accumulating
  // a's second gradient into it in place would also change what reaches b.
  const Tensor a = vec({1, 2});
  const Tensor b = vec({3, 4});
  GradientTape tape;
  tape.watch(a);
  tape.watch(b);
  const std::vector<Tensor> g = tape.gradient(sum((a + b) + a), std::vector<Tensor>{a, b});
  EXPECT_TRUE(all_close(g[0], {2}, {2, 2}));
  EXPECT_TRUE(all_close(g[1], {2}, {1, 1}));
}

TEST(GradientTape, ResetForgetsEverything) {
  const Tensor x = vec({1});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = x * 2.0;
  tape.reset();
  EXPECT_TRUE(tape.nodes().empty());
  EXPECT_THROW(tape.gradient(y, x), Error);
}

}  // namespace
}  // namespace gradlab
