// Repeat blocks in model specs (issue 15, item 16): copies, their names, "$input" and the errors.
#include <gtest/gtest.h>

#include "gradlab/io/model_spec.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

TEST(SpecRepeat, ExpandsABlockIntoNumberedCopies) {
  const ModelSpec spec = parse_model_spec(R"({"inputs": {"x": [4]}, "layers": [
      {"repeat": 20, "layers": [{"name": "hidden", "type": "dense", "units": 8, "activation": "relu"}]},
      {"name": "out", "type": "dense", "units": 2}]})");
  ASSERT_EQ(spec.layers.size(), 21u);
  EXPECT_EQ(spec.layers[0].name, "hidden_1");
  EXPECT_EQ(spec.layers[0].inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(spec.layers[19].name, "hidden_20");
  EXPECT_EQ(spec.layers[19].inputs, std::vector<std::string>{"hidden_19"});
  EXPECT_EQ(spec.outputs, std::vector<std::string>{"out"});
  EXPECT_EQ(build_model(spec).count_params(), (4 * 8 + 8) + 19 * (8 * 8 + 8) + (8 * 2 + 2));
}

TEST(SpecRepeat, ResidualBlockReachesItsOwnLayersAndWhatFeedsIt) {
  const ModelSpec spec = parse_model_spec(R"({"inputs": {"x": [8]}, "layers": [
      {"name": "stem", "type": "dense", "units": 8},
      {"repeat": 3, "layers": [{"name": "a", "type": "dense", "units": 8, "activation": "relu"},
                               {"name": "b", "type": "dense", "units": 8},
                               {"name": "s", "type": "add", "inputs": ["b", "$input"]}]}]})");
  ASSERT_EQ(spec.layers.size(), 10u);
  const auto layer = [&](const std::string& name) {
    for (const LayerSpec& l : spec.layers) {
      if (l.name == name) return l;
    }
    throw std::runtime_error("no layer " + name);
  };
  EXPECT_EQ(layer("a_1").inputs, std::vector<std::string>{"stem"});
  EXPECT_EQ(layer("s_1").inputs, (std::vector<std::string>{"b_1", "stem"}));
  EXPECT_EQ(layer("a_2").inputs, std::vector<std::string>{"s_1"});
  EXPECT_EQ(layer("s_3").inputs, (std::vector<std::string>{"b_3", "s_2"}));
  EXPECT_EQ(spec.outputs, std::vector<std::string>{"s_3"});
  EXPECT_NO_THROW(build_model(spec));
}

TEST(SpecRepeat, BadBlocksAreErrorsNamingThePosition) {
  const auto e = [](const std::string& layers) {
    return error_of([&] { parse_model_spec(R"({"inputs": {"x": [4]}, "layers": )" + layers + "}", "m.json"); });
  };
  EXPECT_NE(e(R"([{"repeat": 0, "layers": [{"type": "dense", "units": 2}]}])").find("m.json: layers[0]: 'repeat' must be an integer from 1 to"),
            std::string::npos);
  EXPECT_NE(e(R"([{"repeat": 2, "layers": []}])").find("layers[0]: a repeat block needs a non-empty 'layers' array"), std::string::npos);
  EXPECT_NE(e(R"([{"repeat": 2, "layer": []}])").find("unknown key 'layer' in a repeat block"), std::string::npos);
  EXPECT_NE(e(R"([{"type": "dense", "units": 2}, {"repeat": 2, "layers": [{"type": "add", "inputs": ["$input", "$input"]}]}])")
                .find("layers[1]: '$input' names the layer before the block, which needs a \"name\""),
            std::string::npos);
  EXPECT_NE(e(R"([{"repeat": 100000, "layers": [{"repeat": 100000, "layers": [{"type": "dense", "units": 2}]}]}])")
                .find("the spec expands to more than 100000 layers"),
            std::string::npos);
}

}  // namespace
}  // namespace gradlab
