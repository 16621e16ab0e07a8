// Add, Concatenate and Activation layers: values, Keras's shape rules, errors and gradients.
#include <gtest/gtest.h>

#include "gradlab/gradlab.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(MergeTest, AddSumsEveryInput) {
  Tensor a = from_values({2, 2}, {1, 2, 3, 4});
  Tensor b = from_values({2, 2}, {10, 20, 30, 40});
  Tensor c = from_values({2, 2}, {100, 200, 300, 400});
  EXPECT_EQ(Add()({a, b}).to_vector(), (std::vector<double>{11, 22, 33, 44}));
  EXPECT_EQ(Add()({a, b, c}).to_vector(), (std::vector<double>{111, 222, 333, 444}));
}

TEST_F(MergeTest, AddNeedsEqualShapes) {
  Add add;
  EXPECT_EQ(error_of([&] {
              add({ones({32, 32}), ones({32, 16})});
            }),
            "add: input 1 has shape [32, 16] but input 0 has [32, 32]; Add needs inputs of equal shapes");
  EXPECT_EQ(error_of([&] {
              add({ones({4, 3}), ones({3})});
            }),
            "add: input 1 has shape [3] but input 0 has [4, 3]; Add needs inputs of equal shapes");
}

TEST_F(MergeTest, ConcatenateJoinsAlongTheLastAxisByDefault) {
  Tensor a = from_values({2, 1}, {1, 2});
  Tensor b = from_values({2, 2}, {3, 4, 5, 6});
  Tensor c = Concatenate()({a, b});
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{1, 3, 4, 2, 5, 6}));
  Tensor rows = Concatenate({.axis = 0})({b, b});
  EXPECT_EQ(rows.shape(), (Shape{4, 2}));
  EXPECT_EQ(Concatenate({.axis = 1}).impl().config_summary(), "axis=1");
}

TEST_F(MergeTest, ConcatenateMismatchIsAnError) {
  Concatenate concatenate;
  EXPECT_EQ(
      error_of([&] {
        concatenate({ones({32, 32}), ones({16, 128})});
      }),
      "concatenate: input 1 has shape [16, 128] and input 0 has [32, 32]; they must agree on every axis "
      "but -1");
  EXPECT_EQ(
      error_of([&] {
        concatenate({ones({32, 32}), ones({32, 4, 2})});
      }),
      "concatenate: input 1 has shape [32, 4, 2] and input 0 has [32, 32]; they must agree on every axis "
      "but -1");
  Concatenate far({.axis = 2});
  EXPECT_EQ(error_of([&] {
              far({ones({2, 2}), ones({2, 2})});
            }),
            "concatenate_1: axis 2 is out of range for inputs of rank 2 (shape [2, 2])");
}

TEST_F(MergeTest, ActivationLayerAppliesTheNamedFunction) {
  Activation act("tanh");
  Tensor x = test::random_tensor({3, 4}, 3);
  EXPECT_EQ(act(x).to_vector(), tanh(x).to_vector());
  EXPECT_EQ(act.impl().activation(), "tanh");
  EXPECT_EQ(act.impl().config_summary(), "activation=tanh");
  EXPECT_TRUE(act.variables().empty());
}

TEST_F(MergeTest, AddGradient) {
  Add add;
  EXPECT_TRUE(test::check_gradients(
      [&](const std::vector<Tensor>& in) { return add(in); },
      {test::random_tensor({3, 4}, 1), test::random_tensor({3, 4}, 2), test::random_tensor({3, 4}, 3)}));
}

TEST_F(MergeTest, ConcatenateGradient) {
  Concatenate last;
  EXPECT_TRUE(test::check_gradients(
      [&](const std::vector<Tensor>& in) { return last(in); },
      {test::random_tensor({3, 4}, 1), test::random_tensor({3, 2}, 2), test::random_tensor({3, 5}, 3)}));
  Concatenate middle({.axis = 1});
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return middle(in); },
                                    {test::random_tensor({2, 3, 2}, 4), test::random_tensor({2, 1, 2}, 5)}));
}

class ActivationGradient : public ::testing::TestWithParam<std::string> {};

TEST_P(ActivationGradient, MatchesFiniteDifferences) {
  Activation act(GetParam());
  Tensor x = test::away_from_kinks(test::random_tensor({3, 5}, 8, -4.0, 4.0), {0.0, -3.0, 3.0}, 0.01);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return act(in[0]); }, {x}));
}

INSTANTIATE_TEST_SUITE_P(AllActivations, ActivationGradient, ::testing::ValuesIn(activation_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gradlab
