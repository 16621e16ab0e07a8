// Functional models and Sequential: graph construction, running, weight sharing, flags, errors,
// summaries, nesting, depth, and gradients of the lesson's three networks.
#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/gradlab.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Passes its input through and records the training flag of every call.
class TrainingProbeImpl : public LayerImpl {
 public:
  TrainingProbeImpl() : LayerImpl("training_probe", "") {}
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override {
    seen.push_back(options.training);
    return inputs[0];
  }
  std::vector<bool> seen;
};

enum class Skip { none, residual, concat };

const char* skip_name(Skip skip) {
  switch (skip) {
    case Skip::none:
      return "plain";
    case Skip::residual:
      return "residual";
    case Skip::concat:
      return "concat";
  }
  return "?";
}

void PrintTo(Skip skip, std::ostream* os) { *os << skip_name(skip); }

// The lesson's three networks as functional models: four Dense layers, plain, with residual
// additions, or with concat skips.
Model lesson_model(Skip skip, int64_t features, int64_t units, const std::string& activation, DType dtype) {
  SymbolicTensor inputs = Input({features}, {.dtype = dtype});
  Dense layer1(units, {.activation = activation, .bias_initializer = random_uniform(-0.1, 0.1)}),
      layer2(units, {.activation = activation, .bias_initializer = random_uniform(-0.1, 0.1)}),
      layer3(units, {.activation = activation, .bias_initializer = random_uniform(-0.1, 0.1)}),
      layer4(units, {.activation = activation, .bias_initializer = random_uniform(-0.1, 0.1)});
  SymbolicTensor l1 = layer1(inputs);
  SymbolicTensor l2, l3, l4;
  switch (skip) {
    case Skip::none:
      l2 = layer2(l1);
      l3 = layer3(l2);
      l4 = layer4(l3);
      break;
    case Skip::residual:
      l2 = layer2(l1);
      l3 = layer3(l2 + l1);
      l4 = layer4(Add()({l3, l2}));
      break;
    case Skip::concat:
      l2 = layer2(Concatenate()({l1, inputs}));
      l3 = layer3(Concatenate()({l2, l1, inputs}));
      l4 = layer4(Concatenate()({l3, l2, l1}));
      break;
  }
  return Model(inputs, l4, "lesson");
}

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(ModelTest, ResidualModelIsBuiltWhenConstructed) {
  Model model = lesson_model(Skip::residual, 128, 32, "relu", DType::float32);
  EXPECT_TRUE(model.built());
  std::vector<std::string> names;
  for (const Layer& layer : model.layers()) names.push_back(layer.name());
  EXPECT_EQ(names, (std::vector<std::string>{"dense", "dense_1", "add", "dense_2", "add_1", "dense_3"}));
  ASSERT_EQ(model.variables().size(), 8u);
  EXPECT_EQ(model.variables()[0].name(), "dense/kernel");
  EXPECT_EQ(model.variables()[0].shape(), (Shape{128, 32}));
  EXPECT_EQ(model.variables()[7].name(), "dense_3/bias");
  EXPECT_EQ(model.impl().outputs()[0].shape(), Shape{32});
  Tensor y = model(uniform({32, 128}, default_rng()));
  EXPECT_EQ(y.shape(), (Shape{32, 32}));
}

TEST_F(ModelTest, ConcatSkipsWidenTheKernels) {
  Model model = lesson_model(Skip::concat, 128, 32, "relu", DType::float32);
  EXPECT_EQ(model.get_layer("dense_1").as<DenseImpl>()->kernel().shape(), (Shape{160, 32}));
  EXPECT_EQ(model.get_layer("dense_2").as<DenseImpl>()->kernel().shape(), (Shape{192, 32}));
  EXPECT_EQ(model.get_layer("dense_3").as<DenseImpl>()->kernel().shape(), (Shape{96, 32}));
  EXPECT_EQ(model(ones({3, 128})).shape(), (Shape{3, 32}));
}

TEST_F(ModelTest, ForwardMatchesTheEagerComputation) {
  Model model = lesson_model(Skip::residual, 6, 4, "tanh", DType::float64);
  auto kernel = [&](const char* name) { return model.get_layer(name).as<DenseImpl>()->kernel().value(); };
  auto bias = [&](const char* name) { return model.get_layer(name).as<DenseImpl>()->bias().value(); };
  auto dense = [&](const char* name, const Tensor& x) { return tanh(matmul(x, kernel(name)) + bias(name)); };
  Tensor x = test::random_tensor({3, 6}, 4);
  Tensor l1 = dense("dense", x);
  Tensor l2 = dense("dense_1", l1);
  Tensor l3 = dense("dense_2", l2 + l1);
  Tensor l4 = dense("dense_3", l3 + l2);
  EXPECT_EQ(model(x).to_vector(), l4.to_vector());
}

TEST_F(ModelTest, SharedLayerSharesWeights) {
  Dense shared(5, {.activation = "tanh"});
  SymbolicTensor x = Input({5});
  SymbolicTensor y = shared(shared(x));
  Model model(x, y);
  EXPECT_EQ(model.name(), "functional");
  ASSERT_EQ(model.layers().size(), 1u);
  EXPECT_EQ(model.variables().size(), 2u);
  Tensor input = uniform({2, 5}, default_rng());
  EXPECT_EQ(model(input).to_vector(), shared(shared(input)).to_vector());
  EXPECT_TRUE(contains(model.summary(), "dense (Dense)"));
}

TEST_F(ModelTest, DanglingInputIsNamed) {
  SymbolicTensor a = Input({4}, {.name = "features"});
  SymbolicTensor b = Input({4}, {.name = "extra"});
  SymbolicTensor y = Dense(2)(Add()({a, b}));
  EXPECT_EQ(error_of([&] { Model(a, y, "net"); }),
            "net: output 'dense' depends on the Input 'extra', which is not among the model's inputs");
  Model both({a, b}, {y});
  EXPECT_EQ(both.call_all({ones({3, 4}), ones({3, 4})})[0].shape(), (Shape{3, 2}));
}

TEST_F(ModelTest, DuplicateLayerNamesAreAnError) {
  SymbolicTensor x = Input({4});
  SymbolicTensor y = Dense(3, {.name = "hidden"})(x);
  SymbolicTensor z = Dense(3, {.name = "hidden"})(y);
  EXPECT_EQ(error_of([&] { Model(x, z, "net"); }),
            "net: two different layers are named 'hidden'; names in a model must be unique");
}

TEST_F(ModelTest, MultiOutputModelNeedsCallAll) {
  SymbolicTensor x = Input({4});
  SymbolicTensor h = Dense(3)(x);
  SymbolicTensor out1 = Dense(2)(h), out2 = Activation("sigmoid")(h);
  Model model({x}, {out1, out2}, "two_heads");
  EXPECT_EQ(error_of([&] {
              model(ones({2, 4}));
            }),
            "two_heads: the model has 2 outputs but a call returns one; use call_all() to get them all");
  std::vector<Tensor> outs = model.call_all({ones({2, 4})});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(outs[1].shape(), (Shape{2, 3}));
}

TEST_F(ModelTest, InputsAreCheckedAgainstTheirPlaceholders) {
  SymbolicTensor x = Input({4}, {.name = "features"});
  Model model(x, Dense(3)(x), "net");
  EXPECT_EQ(error_of([&] {
              model(ones({2, 5}));
            }),
            "net: input 0 ('features') has shape [2, 5] but the model expects [batch, 4]");
  EXPECT_EQ(error_of([&] { model(ones({4})); }),
            "net: input 0 ('features') has shape [4] but the model expects [batch, 4]");
  EXPECT_EQ(error_of([&] {
              model(ones({2, 4}, DType::float64));
            }),
            "net: input 0 ('features') is float64 but the model expects float32");
  EXPECT_EQ(error_of([&] { model.call_all({ones({2, 4}), ones({2, 4})}); }), "net: expected 1 input, got 2");
}

TEST_F(ModelTest, TrainingFlagReachesEveryLayer) {
  auto probe = std::make_shared<TrainingProbeImpl>();
  Layer layer(probe);
  SymbolicTensor x = Input({2});
  Model model(x, Dense(2)(layer(x)));
  probe->seen.clear();
  model(ones({1, 2}), {.training = true});
  model(ones({1, 2}));
  EXPECT_EQ(probe->seen, (std::vector<bool>{true, false}));

  auto inner = std::make_shared<TrainingProbeImpl>();
  Sequential stack({Dense(2), Layer(inner)});
  stack(ones({1, 2}), {.training = true});
  Sequential outer({stack});
  outer(ones({1, 2}), {.training = false});
  outer(ones({1, 2}), {.training = true});
  EXPECT_EQ(inner->seen, (std::vector<bool>{true, false, true}));
}

TEST_F(ModelTest, SetTrainablePropagatesToSublayers) {
  Model model = lesson_model(Skip::residual, 6, 4, "relu", DType::float32);
  EXPECT_EQ(model.trainable_variables().size(), 8u);
  model.set_trainable(false);
  EXPECT_TRUE(model.trainable_variables().empty());
  EXPECT_EQ(model.non_trainable_variables().size(), 8u);
  EXPECT_FALSE(model.get_layer("dense_2").trainable());
  model.get_layer("dense_2").set_trainable(true);
  EXPECT_EQ(model.trainable_variables().size(), 2u);
  EXPECT_EQ(model.trainable_variables()[0].name(), "dense_2/kernel");
  // Trainable first: the unfrozen layer's variables lead.
  EXPECT_EQ(model.variables()[0].name(), "dense_2/kernel");
}

TEST_F(ModelTest, ModelsAreLayers) {
  SymbolicTensor a = Input({4});
  Model block(a, Dense(4, {.activation = "tanh"})(a) + a, "block");
  SymbolicTensor x = Input({4});
  SymbolicTensor y = Dense(2)(block(block(x)));
  Model outer(x, y, "outer");
  ASSERT_EQ(outer.layers().size(), 2u);
  EXPECT_EQ(outer.layers()[0].name(), "block");
  EXPECT_EQ(outer.variables().size(), 4u);
  Tensor input = uniform({3, 4}, default_rng());
  Tensor expected = outer.get_layer("dense_1")(block(block(input)));
  EXPECT_EQ(outer(input).to_vector(), expected.to_vector());
  outer.set_trainable(false);
  EXPECT_TRUE(block.trainable_variables().empty());
  const std::string summary = outer.summary();
  EXPECT_TRUE(contains(summary, "block (Functional)")) << summary;
  EXPECT_TRUE(contains(summary, "Total params: 30")) << summary;
  EXPECT_TRUE(contains(summary, "Trainable params: 0")) << summary;
}

TEST_F(ModelTest, GetLayerListsNamesWhenMissing) {
  Model model = lesson_model(Skip::none, 6, 4, "relu", DType::float32);
  EXPECT_EQ(model.get_layer("dense_3").name(), "dense_3");
  EXPECT_EQ(error_of([&] { model.get_layer("dense_9"); }),
            "lesson: no layer named 'dense_9'; its layers are: dense, dense_1, dense_2, dense_3");
}

TEST_F(ModelTest, SummaryTabulatesLayersShapesAndParameters) {
  Model model = lesson_model(Skip::concat, 128, 32, "relu", DType::float32);
  const std::string summary = model.summary();
  EXPECT_TRUE(contains(summary, "Model: \"lesson\"")) << summary;
  EXPECT_TRUE(contains(summary, "input (InputLayer)")) << summary;
  EXPECT_TRUE(contains(summary, "concatenate_1 (Concatenate)")) << summary;
  EXPECT_TRUE(contains(summary, "(None, 192)")) << summary;
  EXPECT_TRUE(contains(summary, "6,176")) << summary;  // dense_2: 192 * 32 + 32
  const int64_t total = (128 * 32 + 32) + (160 * 32 + 32) + (192 * 32 + 32) + (96 * 32 + 32);
  EXPECT_EQ(model.count_params(), total);
  EXPECT_TRUE(contains(summary, "Total params: 18,560")) << summary;
  EXPECT_EQ(total, 18560);
}

TEST_F(ModelTest, SummaryShowsMultipleForALayerCalledOnSeveralShapes) {
  Activation act("relu");
  SymbolicTensor a = Input({4}), b = Input({8});
  Model model({a, b}, {act(a), act(b)});
  EXPECT_TRUE(contains(model.summary(), "activation (Activation)   multiple")) << model.summary();
  std::vector<Tensor> outs = model.call_all({full({1, 4}, -1.0), full({1, 8}, 2.0)});
  EXPECT_EQ(outs[0].to_vector(), std::vector<double>(4, 0.0));
  EXPECT_EQ(outs[1].to_vector(), std::vector<double>(8, 2.0));
}

TEST_F(ModelTest, InputListedTwiceIsAnError) {
  SymbolicTensor x = Input({2}, {.name = "x"});
  EXPECT_EQ(error_of([&] {
              Model({x, x}, {Dense(1)(x)}, "net");
            }),
            "net: 'x' is listed twice among the model's inputs");
}

TEST_F(ModelTest, SequentialRunsLayersInTurn) {
  Dense first(8, {.activation = "relu"}), second(3);
  Sequential mlp({first});
  mlp.add(second);
  EXPECT_EQ(mlp.name(), "sequential");
  EXPECT_TRUE(contains(mlp.summary(), "?"));
  Tensor x = uniform({4, 5}, default_rng());
  Tensor y = mlp(x);
  EXPECT_EQ(y.to_vector(), second(first(x)).to_vector());
  EXPECT_EQ(mlp.variables().size(), 4u);
  EXPECT_EQ(mlp.variables()[2].name(), "dense_1/kernel");
  const std::string summary = mlp.summary();
  EXPECT_TRUE(contains(summary, "dense_1 (Dense)   (None, 3)")) << summary;
  EXPECT_TRUE(contains(summary, "Total params: 75")) << summary;
  mlp.set_trainable(false);
  EXPECT_FALSE(first.trainable());
  EXPECT_EQ(error_of([&] { mlp.add(Add()); }),
            "sequential: layer 'add' takes 2 or more inputs but a Sequential passes one");
}

TEST_F(ModelTest, SequentialInAFunctionalGraph) {
  Sequential stack({Dense(6, {.activation = "relu"}), Dense(2)});
  SymbolicTensor x = Input({3});
  SymbolicTensor y = stack(x);
  EXPECT_EQ(y.shape(), Shape{2});
  Model model(x, y);
  Tensor input = ones({2, 3});
  EXPECT_EQ(model(input).to_vector(), stack(input).to_vector());
}

TEST_F(ModelTest, SymbolicCallsAreNotRecordedOnTapes) {
  GradientTape tape;
  SymbolicTensor x = Input({3});
  Model model(x, Dense(2)(x));
  EXPECT_TRUE(tape.nodes().empty());
}

TEST_F(ModelTest, DeepFunctionalModelBuildsAndRuns) {
  constexpr int kDepth = 200;
  SymbolicTensor x = Input({8}, {.dtype = DType::float64});
  SymbolicTensor h = x;
  for (int i = 0; i < kDepth; ++i)
    h = Dense(8, {.activation = "tanh", .kernel_initializer = "orthogonal"})(h) + h;
  Model model(x, h, "deep");
  EXPECT_EQ(model.layers().size(), static_cast<std::size_t>(2 * kDepth));
  Tensor input = test::random_tensor({4, 8}, 9);
  GradientTape tape;
  tape.watch(input);
  Tensor out = mean(model(input));
  Tensor grad = tape.gradient(out, input);
  ASSERT_TRUE(grad.defined());
  for (double g : grad.to_vector()) EXPECT_TRUE(std::isfinite(g));
}

TEST_F(ModelTest, VeryDeepChainNeverRecurses) {
  // Deep enough that a recursive sort or a cascading destructor would exhaust the stack.
  constexpr int kDepth = 100000;
  Activation identity("linear");
  SymbolicTensor x = Input({1});
  SymbolicTensor h = x;
  for (int i = 0; i < kDepth; ++i) h = identity(h);
  {
    Model model(x, h);
    EXPECT_EQ(model.layers().size(), 1u);
    EXPECT_EQ(model(full({1, 1}, 2.5)).item(), 2.5);
  }
  h = SymbolicTensor();
}

TEST_F(ModelTest, SequentialGradient) {
  Sequential mlp({Dense(5, {.activation = "tanh", .bias_initializer = random_uniform(-0.1, 0.1)}),
                  Dense(3, {.activation = "sigmoid"}), Activation("softplus")});
  Tensor x = test::random_tensor({4, 6}, 12);
  mlp(x);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return mlp(in[0]); }, {x}, {},
                                    mlp.variables()));
}

class LessonModelGradient : public ::testing::TestWithParam<Skip> {};

TEST_P(LessonModelGradient, MatchesFiniteDifferencesForInputsAndVariables) {
  Model model = lesson_model(GetParam(), 6, 4, "relu", DType::float64);
  Tensor x = test::random_tensor({3, 6}, 13, 0.0, 1.0);
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return model(in[0]); }, {x}, {},
                                    model.variables()));
}

INSTANTIATE_TEST_SUITE_P(Lesson, LessonModelGradient,
                         ::testing::Values(Skip::none, Skip::residual, Skip::concat),
                         [](const auto& info) { return std::string(skip_name(info.param)); });

}  // namespace
}  // namespace gradlab
