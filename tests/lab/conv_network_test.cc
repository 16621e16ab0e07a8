// The inline convolutional network (lab/conv_network.h): its spec wires the blocks as SkipNetwork
// wires Dense layers, puts each normalization on the image axes, and builds into a model whose
// gradients match finite differences.
#include "gradlab/lab/conv_network.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "gradlab/gradlab.h"
#include "gradlab/io/model_spec.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using ::testing::HasSubstr;

std::map<std::string, LayerSpec> by_name(const ModelSpec& spec) {
  std::map<std::string, LayerSpec> out;
  for (const LayerSpec& l : spec.layers) out[l.name] = l;
  return out;
}

TEST(ConvNetwork, IdentitySkipAddsEachBlocksInputToItsOutput) {
  const ModelSpec spec = conv_network_spec({.depth = 3, .filters = 8, .image = {6, 5, 2},
                                            .skip = SkipConnection::identity,
                                            .normalization = SkipNormalization::group});
  auto layers = by_name(spec);
  EXPECT_EQ(spec.inputs.front().second, (Shape{6, 5, 2}));
  EXPECT_EQ(layers["conv1"].inputs, std::vector<std::string>{"image"});
  EXPECT_EQ(layers["conv1"].options["activation"], "linear");
  EXPECT_EQ(layers["norm1"].type, "group_normalization");
  EXPECT_EQ(layers["norm1"].options["groups"], group_normalization_groups(8));
  // l_1 = block_1(image) has 8 channels, the image 2: no sum at block 1.
  EXPECT_EQ(layers.count("add1"), 0u);
  EXPECT_EQ(layers["conv2"].inputs, std::vector<std::string>{"act1"});
  EXPECT_EQ(layers["add2"].inputs, (std::vector<std::string>{"act1", "act2"}));
  EXPECT_EQ(layers["conv3"].inputs, std::vector<std::string>{"add2"});
  EXPECT_EQ(layers["add3"].inputs, (std::vector<std::string>{"add2", "act3"}));
  EXPECT_EQ(layers["gap"].inputs, std::vector<std::string>{"add3"});
  EXPECT_EQ(spec.outputs, std::vector<std::string>{"logits"});
}

TEST(ConvNetwork, PlainResidualAndConcatWiringFollowSkipNetwork) {
  auto plain = by_name(conv_network_spec({.depth = 2, .activation = "tanh"}));
  EXPECT_EQ(plain["conv1"].options["activation"], "tanh");  // no normalization: the activation is the conv's
  EXPECT_EQ(plain["conv2"].inputs, std::vector<std::string>{"conv1"});
  auto residual = by_name(conv_network_spec({.depth = 3, .skip = SkipConnection::residual}));
  EXPECT_EQ(residual["sum3"].inputs, (std::vector<std::string>{"conv2", "conv1"}));
  EXPECT_EQ(residual["conv3"].inputs, std::vector<std::string>{"sum3"});
  auto concat = by_name(conv_network_spec({.depth = 4, .skip = SkipConnection::concat}));
  EXPECT_EQ(concat["cat4"].inputs, (std::vector<std::string>{"conv3", "conv2", "conv1"}));
}

TEST(ConvNetwork, NormalizationsUseTheImageAxes) {
  EXPECT_EQ(by_name(conv_network_spec({.normalization = SkipNormalization::batch}))["norm1"].type, "batch_normalization");
  auto layer = by_name(conv_network_spec({.normalization = SkipNormalization::layer}))["norm1"];
  EXPECT_EQ(layer.type, "layer_normalization");
  EXPECT_EQ(layer.options["axis"], nlohmann::ordered_json({1, 2, 3}));
  EXPECT_EQ(by_name(conv_network_spec({.normalization = SkipNormalization::instance}))["norm1"].type,
            "instance_normalization");
}

TEST(ConvNetwork, BuildsAModelWhoseGradientsMatchFiniteDifferences) {
  clear_session();
  const ModelSpec spec = conv_network_spec({.depth = 3, .filters = 4, .image = {4, 4, 1}, .activation = "tanh",
                                            .skip = SkipConnection::identity,
                                            .normalization = SkipNormalization::instance, .classes = 3});
  Rng rng(2);
  Model model = build_model(spec, {.dtype = DType::float64, .rng = &rng});
  const Tensor x = test::random_tensor({2, 4, 4, 1}, 3);
  EXPECT_EQ(model(x).shape(), (Shape{2, 3}));
  EXPECT_TRUE(test::check_gradients([&](const std::vector<Tensor>& in) { return model(in[0]); }, {x}, {},
                                    model.trainable_variables()));
}

TEST(ConvNetwork, BadSizesAreErrors) {
  EXPECT_THAT(test::error_of([] { conv_network_spec({.depth = 0}); }), HasSubstr("depth must be at least 1"));
  EXPECT_THAT(test::error_of([] { conv_network_spec({.image = {28, 0, 1}}); }), HasSubstr("image dimensions"));
  // A kernel larger than the image is fine with "same" padding.
  EXPECT_NO_THROW(build_model(conv_network_spec({.depth = 1, .kernel_size = 5, .image = {2, 2, 1}})));
}

// The 20-layer specs behind docs/training.md's plain-against-residual comparison are this network
// (20 blocks of 16 filters, He's uniform initializer), written out: only the name differs.
TEST(ConvNetwork, TwentyLayerExampleSpecsAreTheInlineNetwork) {
  const std::string dir = std::string(GRADLAB_SOURCE_DIR) + "/examples/specs/";
  for (const SkipConnection skip : {SkipConnection::none, SkipConnection::identity}) {
    for (const SkipNormalization norm : {SkipNormalization::batch, SkipNormalization::group}) {
      const std::string name = std::string("cnn20_") + (skip == SkipConnection::none ? "plain" : "identity") + "_" +
                               std::string(skip_normalization_name(norm));
      std::ifstream file(dir + name + ".json");
      ASSERT_TRUE(file) << name;
      nlohmann::ordered_json committed = nlohmann::ordered_json::parse(file);
      EXPECT_EQ(committed["name"], name);
      nlohmann::ordered_json inline_network =
          conv_network_json({.depth = 20, .filters = 16, .kernel_initializer = "he_uniform", .skip = skip, .normalization = norm});
      inline_network["name"] = name;  // the files are named for the comparison's arms
      EXPECT_EQ(committed, inline_network) << name;
    }
  }
}

TEST(ConvNetwork, LabelNamesTheNetwork) {
  EXPECT_EQ(conv_network_label({.depth = 20, .skip = SkipConnection::identity, .normalization = SkipNormalization::group}),
            "20 x Conv2D(32, 3x3, relu) on 28x28x1, glorot_uniform, identity skip, norm group");
}

}  // namespace
}  // namespace gradlab
