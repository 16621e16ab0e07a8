// Replays the committed optimizer cases (tools/golden/make_optim_golden.py): the same initial
// parameters and gradients must give PyTorch's parameters after every step, and the same pre-clip
// global norm.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "gradlab/io/safetensors.h"
#include "gradlab/optim/optimizers.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path golden_dir() { return fs::path(GRADLAB_SOURCE_DIR) / "tests" / "golden_optim"; }

std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    if (entry.path().extension() == ".safetensors") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<double> optional_number(const Json& c, const char* key) {
  return c.contains(key) ? std::optional<double>(c[key].get<double>()) : std::nullopt;
}

LearningRate learning_rate(const Json& lr) {
  if (lr.is_number()) return lr.get<double>();
  const std::string type = lr["type"];
  if (type == "exponential_decay") {
    return exponential_decay(lr["initial_learning_rate"], lr["decay_steps"], lr["decay_rate"],
                             lr.value("staircase", false));
  }
  if (type == "cosine_decay") {
    CosineDecayOptions o{.initial_learning_rate = lr["initial_learning_rate"],
                         .decay_steps = lr["decay_steps"],
                         .alpha = lr.value("alpha", 0.0)};
    if (lr.contains("warmup_target")) {
      o.warmup_target = lr["warmup_target"].get<double>();
      o.warmup_steps = lr["warmup_steps"];
    }
    return cosine_decay(o);
  }
  throw Error("unknown schedule " + type);
}

std::unique_ptr<Optimizer> make_optimizer(const Json& c) {
  const std::string type = c["type"];
  const LearningRate lr = learning_rate(c["learning_rate"]);
  const auto wd = optional_number(c, "weight_decay");
  const auto clipnorm = optional_number(c, "clipnorm");
  const auto clipvalue = optional_number(c, "clipvalue");
  const auto global = optional_number(c, "global_clipnorm");
  if (type == "sgd") {
    return std::make_unique<SGD>(SGDOptions{.learning_rate = lr,
                                            .momentum = c.value("momentum", 0.0),
                                            .nesterov = c.value("nesterov", false),
                                            .weight_decay = wd,
                                            .clipnorm = clipnorm,
                                            .clipvalue = clipvalue,
                                            .global_clipnorm = global});
  }
  if (type == "adam") {
    return std::make_unique<Adam>(AdamOptions{.learning_rate = lr,
                                              .beta_1 = c.value("beta_1", 0.9),
                                              .beta_2 = c.value("beta_2", 0.999),
                                              .epsilon = c.value("epsilon", 1e-7),
                                              .amsgrad = c.value("amsgrad", false),
                                              .weight_decay = wd,
                                              .clipnorm = clipnorm,
                                              .clipvalue = clipvalue,
                                              .global_clipnorm = global});
  }
  if (type == "adamw") {
    return std::make_unique<AdamW>(AdamWOptions{.learning_rate = lr,
                                                .weight_decay = wd.value_or(0.004),
                                                .epsilon = c.value("epsilon", 1e-7),
                                                .clipnorm = clipnorm,
                                                .clipvalue = clipvalue,
                                                .global_clipnorm = global});
  }
  if (type == "rmsprop") {
    return std::make_unique<RMSprop>(RMSpropOptions{.learning_rate = lr,
                                                    .rho = c.value("rho", 0.9),
                                                    .momentum = c.value("momentum", 0.0),
                                                    .epsilon = c.value("epsilon", 1e-7),
                                                    .centered = c.value("centered", false),
                                                    .weight_decay = wd,
                                                    .clipnorm = clipnorm,
                                                    .clipvalue = clipvalue,
                                                    .global_clipnorm = global});
  }
  if (type == "adagrad") {
    return std::make_unique<Adagrad>(
        AdagradOptions{.learning_rate = lr,
                       .initial_accumulator_value = c.value("initial_accumulator_value", 0.1),
                       .epsilon = c.value("epsilon", 1e-7),
                       .weight_decay = wd,
                       .clipnorm = clipnorm,
                       .clipvalue = clipvalue,
                       .global_clipnorm = global});
  }
  throw Error("unknown optimizer " + type);
}

// |actual - expected| <= rtol (|expected| + scale): float64 to 1e-12, float32 to 2e-5 (PyTorch's
// float32 optimizers may fuse or reorder operations).
::testing::AssertionResult close(const Tensor& actual, const Tensor& expected, const std::string& name) {
  if (actual.shape() != expected.shape() || actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << name << ": " << actual.description() << " vs " << expected.description();
  }
  const double rtol = expected.dtype() == DType::float64 ? 1e-12 : 2e-5;
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  double scale = 0;
  for (double v : e) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!(std::abs(a[i] - e[i]) <= rtol * (std::abs(e[i]) + scale))) {
      return ::testing::AssertionFailure() << name << ": element " << i << " is " << a[i]
                                           << ", PyTorch gives " << e[i] << " (rtol " << rtol << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

class GoldenOptim : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenOptim, MatchesPyTorch) {
  const TensorFile file = read_safetensors((golden_dir() / (GetParam() + ".safetensors")).string());
  const Json config = Json::parse(file.metadata.at("config"));
  SCOPED_TRACE(file.metadata.at("reference"));
  std::unique_ptr<Optimizer> optimizer = make_optimizer(config);
  std::vector<Variable> vars;
  for (int i = 0; file.contains("param/" + std::to_string(i)); ++i) {
    vars.emplace_back("p" + std::to_string(i), file.get("param/" + std::to_string(i)).clone());
  }
  ASSERT_EQ(vars.size(), 2u);
  int steps = 0;
  for (int step = 0; file.contains("norm/" + std::to_string(step)); ++step, ++steps) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < vars.size(); ++i)
      grads.push_back(file.get(fmt::format("grad/{}/{}", step, i)));
    const double norm = optimizer->apply(grads, vars);
    const double expected_norm = file.get(fmt::format("norm/{}", step)).item();
    EXPECT_NEAR(norm, expected_norm, 1e-12 * expected_norm) << "step " << step;
    for (std::size_t i = 0; i < vars.size(); ++i) {
      const std::string name = fmt::format("expected/{}/{}", step, i);
      ASSERT_TRUE(close(vars[i].value(), file.get(name), name)) << "step " << step;
    }
  }
  EXPECT_EQ(steps, 5);
  EXPECT_EQ(optimizer->iterations(), steps);
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenOptim, ::testing::ValuesIn(golden_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(GoldenOptimCases, CoverEveryOptimizerInBothDtypes) {
  std::set<std::string> seen;
  for (const std::string& name : golden_cases()) {
    const TensorFile file = read_safetensors((golden_dir() / (name + ".safetensors")).string());
    const Json config = Json::parse(file.metadata.at("config"));
    seen.insert(config["type"].get<std::string>() + "/" + dtype_name(file.get("param/0").dtype()).data());
  }
  for (const char* type : {"sgd", "adam", "adamw", "rmsprop", "adagrad"}) {
    for (const char* dtype : {"float32", "float64"}) {
      EXPECT_TRUE(seen.count(std::string(type) + "/" + dtype))
          << "no golden case for " << type << " " << dtype;
    }
  }
}

}  // namespace
}  // namespace gradlab
