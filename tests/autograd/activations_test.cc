#include "gradlab/autograd/activations.h"

#include <cmath>

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

class ActivationValues : public ::testing::TestWithParam<DType> {};

// Expected values are closed forms evaluated independently (Python's math module).
TEST_P(ActivationValues, MatchClosedForms) {
  const DType dtype = GetParam();
  const Tensor x = from_values({4}, {-1, 0, 0.5, 2}, dtype);
  EXPECT_TRUE(all_close(linear(x), {4}, {-1, 0, 0.5, 2}));
  EXPECT_TRUE(all_close(relu(x), {4}, {0, 0, 0.5, 2}));
  EXPECT_TRUE(all_close(leaky_relu(x), {4}, {-0.2, 0, 0.5, 2}));
  EXPECT_TRUE(all_close(leaky_relu(x, 0.01), {4}, {-0.01, 0, 0.5, 2}));
  EXPECT_TRUE(all_close(elu(x), {4}, {-0.6321205588285577, 0, 0.5, 2}));
  EXPECT_TRUE(all_close(elu(x, 2.0), {4}, {2 * -0.6321205588285577, 0, 0.5, 2}));
  EXPECT_TRUE(all_close(selu(x), {4}, {-1.1113307378125625, 0, 0.5 * 1.0507009873554805, 2.101401974710961}));
  EXPECT_TRUE(all_close(sigmoid(x), {4}, {1 - 0.7310585786300049, 0.5, 0.6224593312018546, 0.8807970779778823}));
  EXPECT_TRUE(all_close(tanh(x), {4}, {-0.7615941559557649, 0, 0.46211715726000974, 0.9640275800758169}));
  EXPECT_TRUE(all_close(softplus(x), {4}, {0.31326168751822286, 0.6931471805599453, 0.9740769841801067, 2.1269280110429727}));
  EXPECT_TRUE(all_close(softsign(x), {4}, {-0.5, 0, 1.0 / 3, 2.0 / 3}));
  EXPECT_TRUE(all_close(swish(x), {4}, {-0.2689414213699951, 0, 0.5 * 0.6224593312018546, 2 * 0.8807970779778823}));
  EXPECT_TRUE(all_close(silu(x), {4}, swish(x).to_vector()));
  EXPECT_TRUE(all_close(gelu(from_values({2}, {1, -0.5}, dtype)), {2}, {0.8413447460685429, -0.15426876936299344}));
  EXPECT_TRUE(all_close(gelu(from_values({1}, {1}, dtype), true), {1}, {0.8411919906082768}));
  EXPECT_TRUE(all_close(hard_sigmoid(from_values({5}, {-4, -3, 0, 1.5, 4}, dtype)), {5}, {0, 0, 0.5, 0.75, 1}));
  EXPECT_EQ(relu(x).dtype(), dtype);
}

TEST_P(ActivationValues, StableAtExtremes) {
  const DType dtype = GetParam();
  const Tensor x = from_values({2}, {-1000, 1000}, dtype);
  EXPECT_TRUE(all_close(sigmoid(x), {2}, {0, 1}));
  EXPECT_TRUE(all_close(softplus(x), {2}, {0, 1000}));
  EXPECT_TRUE(all_close(tanh(x), {2}, {-1, 1}));
  EXPECT_TRUE(all_close(softmax(from_values({3}, {1000, 1001, 1002}, dtype)), {3},
                        {0.09003057317038046, 0.24472847105479767, 0.6652409557748219}));
  EXPECT_TRUE(all_close(log_softmax(from_values({3}, {-1000, -999, -998}, dtype)), {3},
                        {-2.40760596444438, -1.4076059644443801, -0.40760596444438013}));
}

INSTANTIATE_TEST_SUITE_P(BothDtypes, ActivationValues, ::testing::Values(DType::float32, DType::float64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(Activations, SoftmaxAlongEachAxis) {
  const Tensor x = from_values({2, 3}, {1, 2, 3, 1, 1, 1}, DType::float64);
  EXPECT_TRUE(all_close(softmax(x), {2, 3},
                        {0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1.0 / 3, 1.0 / 3, 1.0 / 3}));
  // Along axis 0 each column is softmax of (column values): (1,1) -> 0.5, (2,1) and (3,1).
  const double s2 = 1 / (1 + std::exp(-1.0)), s3 = 1 / (1 + std::exp(-2.0));
  EXPECT_TRUE(all_close(softmax(x, 0), {2, 3}, {0.5, s2, s3, 0.5, 1 - s2, 1 - s3}));
  EXPECT_TRUE(all_close(log_softmax(x, 0), {2, 3},
                        {std::log(0.5), std::log(s2), std::log(s3), std::log(0.5), std::log(1 - s2), std::log(1 - s3)}));
  EXPECT_THROW(softmax(x, 2), Error);
  EXPECT_THROW(softmax(scalar(1.0)), Error);
}

TEST(Activations, DerivativesAtKinksAndInSaturation) {
  const Tensor x = from_values({3}, {-1, 0, 1}, DType::float64);
  GradientTape tape(TapeOptions{.persistent = true});
  tape.watch(x);
  EXPECT_TRUE(all_close(tape.gradient(relu(x), x), {3}, {0, 0, 1}));  // relu'(0) = 0
  EXPECT_TRUE(all_close(tape.gradient(leaky_relu(x), x), {3}, {0.2, 0.2, 1}));
  EXPECT_TRUE(all_close(tape.gradient(elu(x), x), {3}, {std::exp(-1.0), 1, 1}));
  // At 0 the x <= 0 branch applies, as in TensorFlow: alpha e^0 = alpha.
  EXPECT_TRUE(all_close(tape.gradient(elu(x, 0.5), x), {3}, {0.5 * std::exp(-1.0), 0.5, 1}));
  EXPECT_TRUE(all_close(tape.gradient(selu(x), x), {3},
                        {1.0507009873554805 * 1.6732632423543772 * std::exp(-1.0), 1.0507009873554805 * 1.6732632423543772,
                         1.0507009873554805}));
  EXPECT_TRUE(all_close(tape.gradient(sigmoid(x), x), {3}, {0.19661193324148185, 0.25, 0.19661193324148185}));
  EXPECT_TRUE(all_close(tape.gradient(tanh(x), x), {3}, {0.41997434161402614, 1, 0.41997434161402614}));
  EXPECT_TRUE(all_close(tape.gradient(hard_sigmoid(x), x), {3}, {1.0 / 6, 1.0 / 6, 1.0 / 6}));
  EXPECT_TRUE(all_close(tape.gradient(softsign(x), x), {3}, {0.25, 1, 0.25}));
  EXPECT_TRUE(all_close(tape.gradient(gelu(x), x), {3}, {-0.08331547058768629, 0.5, 1.0833154705876864}));
  // Saturated sigmoid: the vanishing derivative is tiny but not flushed to zero in float64. It is
  // y (1 - y) from the output, as in TensorFlow and PyTorch, so 1 - y costs relative precision.
  const Tensor far = from_values({1}, {20}, DType::float64);
  GradientTape tape2;
  tape2.watch(far);
  EXPECT_NEAR(tape2.gradient(sigmoid(far), far).item(), 2.061153613941849e-09, 2.061153613941849e-09 * 1e-6);
}

TEST(ActivationGradients, Pointwise) {
  const Tensor x = random_tensor({4, 5}, 1, -3, 3);
  const Tensor kink_free = away_from_kinks(x, {0.0});
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> cases = {
      {"linear", [](const Tensor& t) { return linear(t); }},
      {"relu", [](const Tensor& t) { return relu(t); }},
      {"leaky_relu", [](const Tensor& t) { return leaky_relu(t); }},
      {"leaky_relu(0.01)", [](const Tensor& t) { return leaky_relu(t, 0.01); }},
      {"elu", [](const Tensor& t) { return elu(t); }},
      {"elu(0.5)", [](const Tensor& t) { return elu(t, 0.5); }},
      {"selu", [](const Tensor& t) { return selu(t); }},
      {"gelu", [](const Tensor& t) { return gelu(t); }},
      {"gelu(approximate)", [](const Tensor& t) { return gelu(t, true); }},
      {"sigmoid", [](const Tensor& t) { return sigmoid(t); }},
      {"tanh", [](const Tensor& t) { return tanh(t); }},
      {"softplus", [](const Tensor& t) { return softplus(t); }},
      {"softsign", [](const Tensor& t) { return softsign(t); }},
      {"swish", [](const Tensor& t) { return swish(t); }},
      {"silu", [](const Tensor& t) { return silu(t); }},
  };
  for (const auto& [name, fn] : cases) {
    EXPECT_TRUE(check_gradients([&fn](const std::vector<Tensor>& in) { return fn(in[0]); }, {kink_free})) << name;
  }
  // hard_sigmoid has kinks at -3 and 3; draw across both so all three pieces are checked.
  const Tensor wide = away_from_kinks(random_tensor({4, 5}, 2, -5, 5), {-3.0, 3.0});
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return hard_sigmoid(in[0]); }, {wide}));
}

TEST(ActivationGradients, SoftmaxAndLogSoftmaxAlongEveryAxis) {
  for (int64_t axis : {0, 1, 2, -1}) {
    const Tensor x = random_tensor({3, 4, 5}, 10 + static_cast<uint64_t>(axis + 1), -2, 2);
    EXPECT_TRUE(check_gradients([axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {x}))
        << "softmax axis " << axis;
    EXPECT_TRUE(check_gradients([axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); }, {x}))
        << "log_softmax axis " << axis;
  }
}

TEST(ActivationGradients, ThroughADenseStack) {
  // Four Dense(3) layers with each activation, as the lesson's probes stack them.
  for (const std::string& name : activation_names()) {
    const ActivationFn f = get_activation(name);
    EXPECT_TRUE(check_gradients(
        [&f](const std::vector<Tensor>& in) {
          Tensor h = in[0];
          for (int i = 1; i <= 2; ++i) h = f(matmul(h, in[i]) + 0.1);
          return h;
        },
        // Pre-activations inside the stack are not moved off kinks; the chance that one lies within
        // eps = 1e-6 of relu's kink is about 1e-6 per element, and the seeds are fixed.
        {random_tensor({4, 3}, 20), random_tensor({3, 3}, 21), random_tensor({3, 3}, 22)}))
        << name;
  }
}

TEST(ActivationRegistry, NamesAndLookup) {
  const std::vector<std::string> expected = {"linear",   "relu",    "leaky_relu", "elu",     "selu",
                                             "gelu",     "sigmoid", "hard_sigmoid", "tanh",  "softplus",
                                             "softsign", "swish",   "silu",       "softmax", "log_softmax"};
  EXPECT_EQ(activation_names(), expected);
  const Tensor x = random_tensor({2, 3}, 30, -2, 2);
  EXPECT_EQ(get_activation("relu")(x).to_vector(), relu(x).to_vector());
  EXPECT_EQ(get_activation("leaky_relu")(x).to_vector(), leaky_relu(x, 0.2).to_vector());
  EXPECT_EQ(get_activation("gelu")(x).to_vector(), gelu(x, false).to_vector());
  EXPECT_EQ(get_activation("softmax")(x).to_vector(), softmax(x, -1).to_vector());
  EXPECT_EQ(get_activation("hard_sigmoid")(x).to_vector(), hard_sigmoid(x).to_vector());
  EXPECT_EQ(get_activation("linear")(x).to_vector(), x.to_vector());
}

TEST(ActivationRegistry, UnknownNameListsValidNames) {
  try {
    get_activation("rleu");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown activation 'rleu'"));
    EXPECT_THAT(e.what(), HasSubstr("linear, relu, leaky_relu"));
    EXPECT_THAT(e.what(), HasSubstr("log_softmax"));
  }
}

TEST(ActivationRegistry, Saturating) {
  for (const std::string& name : activation_names()) {
    const bool expected = name == "sigmoid" || name == "hard_sigmoid" || name == "tanh" || name == "softsign";
    EXPECT_EQ(is_saturating(name), expected) << name;
  }
  EXPECT_FALSE(is_saturating("unknown"));
}

}  // namespace
}  // namespace gradlab
