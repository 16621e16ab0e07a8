#include "gradlab/autograd/dense_op.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::away_from_kinks;
using test::check_gradients;
using test::random_tensor;
using ::testing::HasSubstr;

// The unfused composition the fused op must equal: activation(x @ kernel + bias).
Tensor unfused(const Tensor& x, const Tensor& kernel, const Tensor& bias, const std::string& activation) {
  const Tensor z = matmul(x, kernel);
  return get_activation(activation)(bias.defined() ? z + bias : z);
}

// Where each activation's derivative jumps (finite differences must not straddle these).
std::vector<double> kinks_of(const std::string& activation) {
  if (activation == "hard_sigmoid") return {-3.0, 3.0};
  return {0.0};
}

class DenseOpActivations : public ::testing::TestWithParam<std::string> {};

TEST_P(DenseOpActivations, ForwardMatchesTheUnfusedOps) {
  const std::string activation = GetParam();
  for (DType dtype : {DType::float32, DType::float64}) {
    const Tensor x = random_tensor({5, 7}, 1, -2, 2, dtype);
    const Tensor kernel = random_tensor({7, 16}, 2, -1, 1, dtype);
    const Tensor bias = random_tensor({16}, 3, -1, 1, dtype);
    EXPECT_TRUE(all_close(dense(x, kernel, bias, activation), {5, 16}, unfused(x, kernel, bias, activation).to_vector()))
        << activation << " " << dtype_name(dtype);
    EXPECT_TRUE(all_close(dense(x, kernel, Tensor(), activation), {5, 16},
                          unfused(x, kernel, Tensor(), activation).to_vector()))
        << activation << " without bias, " << dtype_name(dtype);
  }
}

// Far from kinks when no pre-activation element is within 1e-3 of one, so finite differences
// (step 1e-6) never straddle a jump in the derivative.
::testing::AssertionResult away_from_kinks_of(const std::string& activation, const Tensor& z) {
  return all_close(away_from_kinks(z, kinks_of(activation)), z.shape(), z.to_vector(), 0.0);
}

// Float64 finite differences for every input, with and without a bias.
TEST_P(DenseOpActivations, GradientsMatchFiniteDifferences) {
  const std::string activation = GetParam();
  const Tensor x = random_tensor({4, 3}, 4, -2, 2);
  const Tensor kernel = random_tensor({3, 5}, 5, -1, 1);
  const Tensor bias = random_tensor({5}, 6, -1, 1);
  ASSERT_TRUE(away_from_kinks_of(activation, matmul(x, kernel) + bias));
  ASSERT_TRUE(away_from_kinks_of(activation, matmul(x, kernel)));
  const auto f = [activation](const std::vector<Tensor>& in) { return dense(in[0], in[1], in[2], activation); };
  EXPECT_TRUE(check_gradients(f, {x, kernel, bias})) << activation;
  const auto no_bias = [activation](const std::vector<Tensor>& in) {
    return dense(in[0], in[1], Tensor(), activation);
  };
  EXPECT_TRUE(check_gradients(no_bias, {x, kernel})) << activation << " without bias";
}

INSTANTIATE_TEST_SUITE_P(EveryActivation, DenseOpActivations, ::testing::ValuesIn(activation_names()),
                         [](const auto& info) { return info.param; });

TEST(DenseOp, RecordsOneNodeForElementwiseActivations) {
  const Tensor x = random_tensor({2, 3}, 7);
  const Tensor kernel = random_tensor({3, 4}, 8);
  const Tensor bias = random_tensor({4}, 9);
  GradientTape tape;
  tape.watch(x);
  dense(x, kernel, bias, "relu");
  ASSERT_EQ(tape.nodes().size(), 1u);
  EXPECT_STREQ(tape.nodes()[0].op, "dense");
}

TEST(DenseOp, SoftmaxRunsUnfused) {
  const Tensor x = random_tensor({2, 3}, 10);
  const Tensor kernel = random_tensor({3, 4}, 11);
  GradientTape tape;
  tape.watch(x);
  dense(x, kernel, random_tensor({4}, 12), "softmax");
  ASSERT_EQ(tape.nodes().size(), 3u);
  EXPECT_STREQ(tape.nodes()[2].op, "softmax");
}

TEST(DenseOp, ComputesOnlyTheRequestedGradients) {
  const Tensor x = random_tensor({2, 3}, 13);
  const Tensor kernel = random_tensor({3, 4}, 14);
  const Tensor bias = random_tensor({4}, 15);
  GradientTape tape(TapeOptions{.persistent = true});
  tape.watch(x);
  tape.watch(kernel);
  const Tensor y = sum(dense(x, kernel, bias, "tanh"));
  // The bias is not watched, so its gradient is an Error to ask for and never computed.
  EXPECT_THROW(tape.gradient(y, bias), Error);
  const std::vector<Tensor> g = tape.gradient(y, std::vector<Tensor>{x, kernel});
  EXPECT_EQ(g[0].shape(), x.shape());
  EXPECT_EQ(g[1].shape(), kernel.shape());
}

TEST(DenseOp, RejectsMismatchedOperands) {
  const Tensor x = random_tensor({2, 3}, 16);
  try {
    dense(x, random_tensor({4, 5}, 17), Tensor(), "relu");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("input has 3 features"));
  }
  try {
    dense(x, random_tensor({3, 5}, 18), random_tensor({4}, 19), "relu");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("bias is [4]"));
  }
  try {
    dense(x, random_tensor({3, 5}, 20), Tensor(), "nope");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown activation 'nope'"));
  }
}

}  // namespace
}  // namespace gradlab
