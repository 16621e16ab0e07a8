// Dropout: identity at inference, inverted dropout in training with the documented rate and scale,
// determinism from the layer's generator, spec entries and argument errors (the op's gradient is
// checked in tests/autograd/dropout_op_test.cc).
#include "gradlab/nn/dropout.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/autograd/ops.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

class DropoutTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(DropoutTest, InferenceIsTheIdentity) {
  Dropout drop(0.5, {.seed = 1});
  const Tensor x = ones({4, 8});
  EXPECT_EQ(drop(x).id(), x.id());
  EXPECT_EQ(drop(x, {.training = false}).id(), x.id());
  Dropout none(0.0);
  EXPECT_EQ(none(x, {.training = true}).id(), x.id());
  EXPECT_EQ(drop.name(), "dropout");
  EXPECT_EQ(none.name(), "dropout_1");
}

TEST_F(DropoutTest, DropsAboutRateAndScalesTheRest) {
  // 20,000 Bernoulli(0.3) draws: the dropped fraction has standard deviation 0.0032, so a band of
  // +-0.02 (6 sigma) fails by chance with probability about 2e-9.
  Dropout drop(0.3, {.seed = 11});
  const Tensor y = drop(ones({100, 200}), {.training = true});
  int64_t dropped = 0;
  for (double v : y.to_vector()) {
    if (v == 0.0) {
      ++dropped;
    } else {
      ASSERT_FLOAT_EQ(static_cast<float>(v), static_cast<float>(1.0 / 0.7));
    }
  }
  EXPECT_NEAR(static_cast<double>(dropped) / 20000.0, 0.3, 0.02);
}

TEST_F(DropoutTest, MasksAreDeterminedByTheGenerator) {
  const Tensor x = ones({8, 16}, DType::float64);
  Dropout a(0.5, {.seed = 3}), b(0.5, {.seed = 3}), c(0.5, {.seed = 4});
  const std::vector<double> first = a(x, {.training = true}).to_vector();
  EXPECT_EQ(first, b(x, {.training = true}).to_vector());
  EXPECT_NE(first, c(x, {.training = true}).to_vector());
  // The generator advances between calls, and restoring its state replays the mask.
  const Rng::State saved = a.generator().state();
  const std::vector<double> second = a(x, {.training = true}).to_vector();
  EXPECT_NE(first, second);
  a.generator().set_state(saved);
  EXPECT_EQ(a(x, {.training = true}).to_vector(), second);
}

TEST_F(DropoutTest, UnseededLayersDrawTheirSeedFromTheThreadGenerator) {
  const Tensor x = ones({4, 32});
  set_seed(99);
  Dropout a(0.5), b(0.5);
  const std::vector<double> ma = a(x, {.training = true}).to_vector();
  const std::vector<double> mb = b(x, {.training = true}).to_vector();
  EXPECT_NE(ma, mb);  // two layers, two seeds
  set_seed(99);
  Dropout a2(0.5), b2(0.5);
  EXPECT_EQ(a2(x, {.training = true}).to_vector(), ma);
  EXPECT_EQ(b2(x, {.training = true}).to_vector(), mb);
}

TEST_F(DropoutTest, RejectsRatesOutsideZeroToOne) {
  EXPECT_THROW(Dropout(-0.1), Error);
  EXPECT_THROW(Dropout(1.0), Error);
  EXPECT_THROW(Dropout(std::nan("")), Error);
  try {
    Dropout(1.0, {.name = "drop_a"});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("drop_a: rate must be in [0, 1), got 1"), std::string::npos);
  }
  EXPECT_EQ(Dropout(0.5).name(), "dropout");  // rejected layers did not use up a name
}

TEST_F(DropoutTest, ModelSpecEntry) {
  const ModelSpec spec = parse_model_spec(R"({"inputs": {"x": [4]}, "layers": [
      {"name": "d", "type": "dense", "units": 3},
      {"name": "drop", "type": "dropout", "rate": 0.25, "seed": 7}]})");
  Model model = build_model(spec);
  const auto* drop = model.get_layer("drop").as<DropoutImpl>();
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->rate(), 0.25);
  EXPECT_EQ(drop->options().seed, std::optional<uint64_t>(7));
  EXPECT_EQ(drop->config_summary(), "rate=0.25, seed=7");
  const Tensor x = ones({2, 4});
  const std::vector<double> dense_out = model.get_layer("d")(x).to_vector();
  EXPECT_EQ(model(x).to_vector(), dense_out);  // inference: the dense output unchanged
  int zeros_seen = 0;
  for (double v : model(ones({64, 4}), {.training = true}).to_vector()) zeros_seen += v == 0.0;
  EXPECT_GT(zeros_seen, 0);
  EXPECT_THROW(build_model(parse_model_spec(
                   R"({"inputs": {"x": [4]}, "layers": [{"type": "dropout", "rate": 1.0}]})")),
               Error);
  EXPECT_THROW(parse_model_spec(R"({"inputs": {"x": [4]}, "layers": [{"type": "dropout"}]})"), Error);
  EXPECT_THROW(build_model(parse_model_spec(
                   R"({"inputs": {"x": [4]}, "layers": [{"type": "dropout", "rate": 0.5, "seed": -2}]})")),
               Error);
}

}  // namespace
}  // namespace gradlab
