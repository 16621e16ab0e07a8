// LayerImpl's Keras semantics: automatic names, build on first call, dtype rules, input counts,
// trainable flags, the training flag and the layer name on tape nodes.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "gradlab/gradlab.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

// A test-only layer: records what call() hands to build() and forward(), returns its input times a
// scale variable.
class ProbeImpl : public LayerImpl {
 public:
  explicit ProbeImpl(std::string name = "", std::optional<DType> dtype = std::nullopt)
      : LayerImpl("probe", name, dtype) {}
  void build(const std::vector<Shape>& input_shapes, DType dtype) override {
    ++builds;
    built_shapes = input_shapes;
    built_dtype = dtype;
    scale = add_weight("scale", Shape{}, ones_initializer());
    frozen = add_weight("frozen", Shape{}, ones_initializer(), false);
  }
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override {
    training_seen.push_back(options.training);
    layer_seen.push_back(current_layer());
    return mul(inputs[0], scale.value());
  }
  int builds = 0;
  std::vector<Shape> built_shapes;
  DType built_dtype = DType::float32;
  Variable scale;
  Variable frozen;
  std::vector<bool> training_seen;
  std::vector<std::string> layer_seen;
};

Layer probe(std::string name = "", std::optional<DType> dtype = std::nullopt) {
  return Layer(std::make_shared<ProbeImpl>(std::move(name), dtype));
}

ProbeImpl& probe_impl(const Layer& layer) { return *layer.as<ProbeImpl>(); }

using test::error_of;

class LayerTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(LayerTest, AutomaticNamesCountPerTypeAndClearSessionResets) {
  Dense a(4), b(4);
  Add add;
  Dense c(4, {.name = "mine"});
  Dense d(4);
  EXPECT_EQ(a.name(), "dense");
  EXPECT_EQ(b.name(), "dense_1");
  EXPECT_EQ(add.name(), "add");
  EXPECT_EQ(c.name(), "mine");
  EXPECT_EQ(d.name(), "dense_2");
  clear_session();
  EXPECT_EQ(Dense(4).name(), "dense");
  EXPECT_EQ(Activation("relu").name(), "activation");
  EXPECT_EQ(Concatenate().name(), "concatenate");
}

TEST_F(LayerTest, AutomaticNamesAreUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::vector<std::string>> names(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&names, t] {
      for (int i = 0; i < kPerThread; ++i) names[t].push_back(unique_layer_name("probe"));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& list : names) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_TRUE(all.count("probe"));
  EXPECT_TRUE(all.count("probe_799"));
}

TEST_F(LayerTest, BuildsOnceOnFirstCallFromInputShapesAndDtype) {
  Layer layer = probe();
  EXPECT_FALSE(layer.built());
  EXPECT_TRUE(layer.variables().empty());
  EXPECT_FALSE(layer.impl().dtype().has_value());
  layer(ones({3, 5}, DType::float64));
  layer(ones({7, 5}, DType::float64));
  ProbeImpl& impl = probe_impl(layer);
  EXPECT_TRUE(layer.built());
  EXPECT_EQ(impl.builds, 1);
  ASSERT_EQ(impl.built_shapes.size(), 1u);
  EXPECT_EQ(impl.built_shapes[0], (Shape{3, 5}));
  EXPECT_EQ(impl.built_dtype, DType::float64);
  EXPECT_EQ(layer.impl().dtype(), DType::float64);
  EXPECT_EQ(impl.scale.dtype(), DType::float64);
  EXPECT_EQ(impl.scale.name(), "probe/scale");
}

TEST_F(LayerTest, DtypeFromOptionsWinsOverFirstInput) {
  Layer layer = probe("", DType::float64);
  EXPECT_EQ(layer.impl().dtype(), DType::float64);
  EXPECT_EQ(error_of([&] {
              layer(ones({2, 2}));
            }),
            "probe: input is float32 but the layer was built for float64");
  // The failed first call left the layer unbuilt; a matching input builds it.
  EXPECT_FALSE(layer.built());
  layer(ones({2, 2}, DType::float64));
  EXPECT_EQ(probe_impl(layer).built_dtype, DType::float64);
}

TEST_F(LayerTest, LaterInputOfAnotherDtypeIsAnError) {
  Dense dense(3);
  dense(ones({2, 4}));
  EXPECT_EQ(error_of([&] {
              dense(ones({2, 4}, DType::float64));
            }),
            "dense: input is float64 but the layer was built for float32");
  Add add;
  EXPECT_EQ(error_of([&] {
              add({ones({2, 4}), ones({2, 4}, DType::float64)});
            }),
            "add: input 1 is float64 but the layer was built for float32");
}

TEST_F(LayerTest, WrongInputCountNamesTheLayer) {
  Dense dense(3);
  EXPECT_EQ(error_of([&] { dense({ones({2, 4}), ones({2, 4})}); }), "dense: expected 1 input, got 2");
  EXPECT_EQ(error_of([&] { dense(std::vector<Tensor>{}); }), "dense: expected 1 input, got 0");
  Add add;
  EXPECT_EQ(error_of([&] { add({ones({2, 4})}); }), "add: expected at least 2 inputs, got 1");
  EXPECT_EQ(error_of([&] { dense(Tensor()); }), "dense: input is an undefined tensor");
  EXPECT_EQ(error_of([] { Layer()(ones({1})); }), "use of an undefined Layer handle");
}

TEST_F(LayerTest, AddWeightUsesTheLayersRng) {
  Rng first(5), second(5);
  Dense a(8), b(8);
  a.impl().set_rng(&first);
  b.impl().set_rng(&second);
  a(ones({1, 6}));
  b(ones({1, 6}));
  EXPECT_EQ(a.kernel().value().to_vector(), b.kernel().value().to_vector());
  // The default generator was not used: a third layer drawing from it gives other values.
  Dense c(8);
  c(ones({1, 6}));
  EXPECT_NE(c.kernel().value().to_vector(), a.kernel().value().to_vector());
  EXPECT_NE(first.state(), Rng(5).state());
}

TEST_F(LayerTest, TrainableFlagFreezesVariablesAndListsTrainableFirst) {
  Layer layer = probe();
  layer(ones({2, 2}));
  ProbeImpl& impl = probe_impl(layer);
  std::vector<Variable> all = layer.variables();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name(), "probe/scale");
  EXPECT_EQ(all[1].name(), "probe/frozen");
  ASSERT_EQ(layer.trainable_variables().size(), 1u);
  ASSERT_EQ(layer.non_trainable_variables().size(), 1u);
  EXPECT_EQ(layer.count_params(), 2);

  layer.set_trainable(false);
  EXPECT_FALSE(layer.trainable());
  EXPECT_TRUE(layer.trainable_variables().empty());
  EXPECT_EQ(layer.non_trainable_variables().size(), 2u);
  EXPECT_FALSE(impl.scale.trainable());
  EXPECT_FALSE(impl.scale.value().is_trainable_variable());

  // Unfreezing restores only what was created trainable.
  layer.set_trainable(true);
  EXPECT_TRUE(impl.scale.trainable());
  EXPECT_FALSE(impl.frozen.trainable());
}

TEST_F(LayerTest, FrozenLayerIsNotWatchedByTheTape) {
  Dense dense(2);
  Tensor x = ones({1, 3});
  dense(x);
  dense.set_trainable(false);
  GradientTape tape;
  Tensor y = mean(dense(x));
  EXPECT_TRUE(tape.nodes().empty());
  EXPECT_THROW(tape.gradient(y, dense.variables()), Error);
}

TEST_F(LayerTest, LayerFrozenBeforeBuildCreatesFrozenVariables) {
  Dense dense(2);
  dense.set_trainable(false);
  dense(ones({1, 3}));
  EXPECT_TRUE(dense.trainable_variables().empty());
  EXPECT_EQ(dense.non_trainable_variables().size(), 2u);
}

TEST_F(LayerTest, TrainingFlagReachesForward) {
  Layer layer = probe();
  layer(ones({1, 1}), {.training = true});
  layer(ones({1, 1}));
  layer(ones({1, 1}), {.training = true});
  EXPECT_EQ(probe_impl(layer).training_seen, (std::vector<bool>{true, false, true}));
}

TEST_F(LayerTest, TapeNodesCarryTheLayerName) {
  Dense dense(2, {.activation = "relu"});
  Tensor x = ones({1, 3});
  GradientTape tape;
  tape.watch(x);
  Tensor y = mean(dense(x));
  ASSERT_EQ(tape.nodes().size(), 2u);
  // The fused dense op (matmul, bias and relu) ran inside the layer; the mean outside it.
  EXPECT_STREQ(tape.nodes()[0].op, "dense");
  EXPECT_EQ(tape.nodes()[0].layer, "dense");
  EXPECT_EQ(tape.nodes()[1].layer, "");
  EXPECT_EQ(current_layer(), "");
}

TEST_F(LayerTest, BracedListsCallMultiInputLayers) {
  Tensor a = full({2, 3}, 1.0), b = full({2, 3}, 2.0);
  Tensor sum = Add()({a, b});
  EXPECT_EQ(sum.to_vector(), std::vector<double>(6, 3.0));
  Tensor joined = Concatenate()({a, b}, {.training = true});
  EXPECT_EQ(joined.shape(), (Shape{2, 6}));
  SymbolicTensor s = Input({3}), t = Input({3});
  SymbolicTensor u = Add()({s, t});
  EXPECT_EQ(u.shape(), Shape{3});
}

}  // namespace
}  // namespace gradlab
