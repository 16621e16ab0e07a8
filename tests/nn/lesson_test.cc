// The lesson's skip-connection experiment end to end: gradients of the mean output with respect to
// the inputs, computed through layers and through the same graph written with plain ops.
#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/gradlab.h"

namespace gradlab {
namespace {

struct Weights {
  Tensor kernel;
  Tensor bias;
};

Weights weights_of(const Dense& layer) { return {layer.kernel().value(), layer.bias().value()}; }

Tensor plain_dense(const Weights& w, const Tensor& x) { return relu(matmul(x, w.kernel) + w.bias); }

void expect_same(const Tensor& actual, const Tensor& expected) {
  ASSERT_TRUE(actual.defined());
  ASSERT_TRUE(expected.defined());
  ASSERT_EQ(actual.shape(), expected.shape());
  std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], e[i], 1e-6 * (1.0 + std::abs(e[i]))) << "element " << i;
  }
}

class LessonTest : public ::testing::Test {
 protected:
  Rng rng_{539};
  Tensor inputs_ = uniform({32, 128}, rng_);
  Dense layer1_{32, {.activation = "relu"}}, layer2_{32, {.activation = "relu"}},
      layer3_{32, {.activation = "relu"}}, layer4_{32, {.activation = "relu"}};
};

TEST_F(LessonTest, PlainStackGivesAFiniteInputGradient) {
  GradientTape tape;
  tape.watch(inputs_);
  Tensor layer1_out = layer1_(inputs_);
  Tensor layer2_out = layer2_(layer1_out);
  Tensor layer3_out = layer3_(layer2_out);
  Tensor layer4_out = layer4_(layer3_out);
  Tensor mean_out = mean(layer4_out);
  Tensor grad = tape.gradient(mean_out, inputs_);
  ASSERT_TRUE(grad.defined());
  EXPECT_EQ(grad.shape(), (Shape{32, 128}));
  for (double g : grad.to_vector()) ASSERT_TRUE(std::isfinite(g));
  const double grad_norm = norm(grad).item();
  EXPECT_TRUE(std::isfinite(grad_norm));
  EXPECT_GT(grad_norm, 0.0);
}

TEST_F(LessonTest, ResidualModelGradientEqualsPlainOps) {
  SymbolicTensor in = Input({128});
  SymbolicTensor l1 = layer1_(in);
  SymbolicTensor l2 = layer2_(l1);
  SymbolicTensor l3 = layer3_(Add()({l2, l1}));
  SymbolicTensor l4 = layer4_(Add()({l3, l2}));
  Model model(in, l4, "lesson_residual");

  Tensor model_grad;
  {
    GradientTape tape;
    tape.watch(inputs_);
    model_grad = tape.gradient(mean(model(inputs_)), inputs_);
  }
  const Weights w1 = weights_of(layer1_), w2 = weights_of(layer2_), w3 = weights_of(layer3_),
                w4 = weights_of(layer4_);
  Tensor plain_grad;
  {
    GradientTape tape;
    tape.watch(inputs_);
    Tensor o1 = plain_dense(w1, inputs_);
    Tensor o2 = plain_dense(w2, o1);
    Tensor o3 = plain_dense(w3, o2 + o1);
    Tensor o4 = plain_dense(w4, o3 + o2);
    plain_grad = tape.gradient(mean(o4), inputs_);
  }
  expect_same(model_grad, plain_grad);
  EXPECT_GT(norm(model_grad).item(), 0.0);
}

TEST_F(LessonTest, ConcatModelGradientEqualsPlainOps) {
  SymbolicTensor in = Input({128});
  SymbolicTensor l1 = layer1_(in);
  SymbolicTensor l2 = layer2_(Concatenate()({l1, in}));
  SymbolicTensor l3 = layer3_(Concatenate()({l2, l1, in}));
  SymbolicTensor l4 = layer4_(Concatenate()({l3, l2, l1}));
  Model model(in, l4, "lesson_concat");

  Tensor model_grad;
  std::vector<Tensor> model_variable_grads;
  {
    GradientTape tape;
    tape.watch(inputs_);
    Tensor out = mean(model(inputs_));
    std::vector<Tensor> sources{inputs_};
    for (const Variable& v : model.trainable_variables()) sources.push_back(v.value());
    std::vector<Tensor> grads = tape.gradient(out, sources);
    model_grad = grads[0];
    model_variable_grads.assign(grads.begin() + 1, grads.end());
  }
  const Weights w1 = weights_of(layer1_), w2 = weights_of(layer2_), w3 = weights_of(layer3_),
                w4 = weights_of(layer4_);
  Tensor plain_grad;
  std::vector<Tensor> plain_variable_grads;
  {
    GradientTape tape;
    tape.watch(inputs_);
    Tensor o1 = plain_dense(w1, inputs_);
    Tensor o2 = plain_dense(w2, concat({o1, inputs_}, -1));
    Tensor o3 = plain_dense(w3, concat({o2, o1, inputs_}, -1));
    Tensor o4 = plain_dense(w4, concat({o3, o2, o1}, -1));
    std::vector<Tensor> grads = tape.gradient(
        mean(o4), {inputs_, w1.kernel, w1.bias, w2.kernel, w2.bias, w3.kernel, w3.bias, w4.kernel, w4.bias});
    plain_grad = grads[0];
    plain_variable_grads.assign(grads.begin() + 1, grads.end());
  }
  expect_same(model_grad, plain_grad);
  ASSERT_EQ(model_variable_grads.size(), plain_variable_grads.size());
  for (std::size_t i = 0; i < plain_variable_grads.size(); ++i)
    expect_same(model_variable_grads[i], plain_variable_grads[i]);
}

TEST_F(LessonTest, EagerResidualCellAsWritten) {
  GradientTape tape;
  tape.watch(inputs_);
  Tensor layer1_out = layer1_(inputs_);
  Tensor layer2_out = layer2_(layer1_out);
  Tensor layer3_out = layer3_(layer2_out + layer1_out);
  Tensor layer4_out = layer4_(layer3_out + layer2_out);
  Tensor grad = tape.gradient(mean(layer4_out), inputs_);
  ASSERT_TRUE(grad.defined());
  EXPECT_EQ(grad.shape(), (Shape{32, 128}));
  EXPECT_TRUE(std::isfinite(norm(grad).item()));
}

}  // namespace
}  // namespace gradlab
