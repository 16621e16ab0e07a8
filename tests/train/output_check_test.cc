#include "gradlab/train/output_check.h"

#include <gtest/gtest.h>

#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/model.h"
#include "gradlab/optim/factory.h"
#include "gradlab/train/fit.h"
#include "support/test_helpers.h"
#include "train_test_data.h"

namespace gradlab {
namespace {

using test::error_of;

Model graph_with_output(const std::string& activation, int64_t units) {
  SymbolicTensor x = Input({2});
  SymbolicTensor h = Dense(8, {.activation = "relu"})(x);
  return Model(x, Dense(units, {.activation = activation, .name = "out"})(h), "m");
}

TEST(OutputCheck, FindsTheOutputActivationThroughGraphsStacksAndActivationLayers) {
  EXPECT_EQ(output_activation(graph_with_output("softmax", 2)), "softmax");
  EXPECT_EQ(output_activation(graph_with_output("linear", 2)), "linear");
  EXPECT_EQ(output_activation(Sequential({Dense(4), Activation("sigmoid")})), "sigmoid");
  EXPECT_EQ(output_units(graph_with_output("linear", 5)), 5);
  EXPECT_EQ(output_units(Sequential({Dense(4), Dense(3)})), 3);
  EXPECT_EQ(output_activation(Sequential({Dense(4, {.activation = "softmax"}), Dropout(0.5)})), "linear");
}

TEST(OutputCheck, InfersFromLogitsFromTheOutputLayer) {
  EXPECT_FALSE(infer_from_logits(graph_with_output("softmax", 2), "sparse_categorical_crossentropy"));
  EXPECT_TRUE(infer_from_logits(graph_with_output("linear", 2), "sparse_categorical_crossentropy"));
  EXPECT_FALSE(infer_from_logits(graph_with_output("sigmoid", 1), "binary_crossentropy"));
  // A sigmoid is not a probability distribution over classes: categorical losses still take logits.
  EXPECT_TRUE(infer_from_logits(graph_with_output("sigmoid", 2), "sparse_categorical_crossentropy"));
}

TEST(OutputCheck, RefusesProbabilitiesToldToBeLogitsAndNamesTheFix) {
  const std::string e = error_of([] {
    check_output_fits_loss(graph_with_output("softmax", 2),
                           {.loss = "sparse_categorical_crossentropy", .from_logits = true, .classes = 2});
  });
  EXPECT_NE(e.find("model 'm': its output layer 'out' applies softmax"), std::string::npos) << e;
  EXPECT_NE(e.find("set from_logits = false"), std::string::npos) << e;
  EXPECT_NE(error_of([] {
              check_output_fits_loss(graph_with_output("sigmoid", 1), {.loss = "binary_crossentropy", .from_logits = true});
            }).find("applies sigmoid"),
            std::string::npos);
  EXPECT_NO_THROW(check_output_fits_loss(graph_with_output("softmax", 2),
                                         {.loss = "sparse_categorical_crossentropy", .from_logits = false, .classes = 2}));
  EXPECT_NO_THROW(check_output_fits_loss(graph_with_output("sigmoid", 1),
                                         {.loss = "binary_crossentropy", .from_logits = false, .classes = 2}));
}

TEST(OutputCheck, RefusesAnOutputCountThatIsNotTheClassCount) {
  const std::string e = error_of([] {
    check_output_fits_loss(graph_with_output("linear", 5), {.loss = "sparse_categorical_crossentropy", .classes = 10});
  });
  EXPECT_NE(e.find("the model has 5 outputs (layer 'out'), the data 10 classes"), std::string::npos) << e;
}

TEST(OutputCheck, FitChecksBeforeTheFirstStep) {
  const Dataset data = test::xor_dataset(64);
  Model model = graph_with_output("linear", 3);
  const std::vector<Tensor> before = [&] {
    std::vector<Tensor> v;
    for (const Variable& var : model.variables()) v.push_back(var.value().clone());
    return v;
  }();
  const std::string e = error_of([&] { fit(model, data, {.optimizer = make_optimizer("sgd")}); });
  EXPECT_NE(e.find("the model has 3 outputs (layer 'out'), the data 2 classes"), std::string::npos) << e;
  const std::vector<Variable> after = model.variables();
  for (std::size_t i = 0; i < after.size(); ++i) {
    const Tensor now = after[i].value();
    for (int64_t k = 0; k < now.numel(); ++k) EXPECT_EQ(now.data<float>()[k], before[i].data<float>()[k]) << i;
  }
  const std::string softmax = error_of(
      [&] { fit(graph_with_output("softmax", 2), data, {.optimizer = make_optimizer("sgd"), .from_logits = true}); });
  EXPECT_NE(softmax.find("applies softmax"), std::string::npos) << softmax;
}

}  // namespace
}  // namespace gradlab
