#include "gradlab/lab/sweep_run.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include <gtest/gtest.h>

#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/threads.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

// A tiny grid: 2 depths x 2 activations x 2 skips x 2 trials = 16 small networks.
SweepGrid tiny_grid() {
  return {.depths = {2, 3},
          .widths = {8},
          .activations = {"relu", "tanh"},
          .skips = {SkipConnection::none, SkipConnection::residual},
          .batches = {4},
          .trials = 2,
          .seed = 7};
}

// Bitwise equality of every number, NaN included.
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_identical(const SweepResult& a, const SweepResult& b) {
  SCOPED_TRACE(a.config.id);
  EXPECT_EQ(a.config.id, b.config.id);
  EXPECT_EQ(a.config.seed, b.config.seed);
  EXPECT_TRUE(same_bits(a.input_grad_norm, b.input_grad_norm));
  EXPECT_TRUE(same_bits(a.first_to_last_ratio, b.first_to_last_ratio));
  EXPECT_TRUE(same_bits(a.mean_gain, b.mean_gain));
  EXPECT_TRUE(same_bits(a.loss, b.loss));
  ASSERT_EQ(a.layer_grad_norms.size(), b.layer_grad_norms.size());
  for (std::size_t i = 0; i < a.layer_grad_norms.size(); ++i) {
    EXPECT_TRUE(same_bits(a.layer_grad_norms[i], b.layer_grad_norms[i]));
  }
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.saturation_begins, b.saturation_begins);
  EXPECT_EQ(a.dead_units_begin, b.dead_units_begin);
}

std::map<std::string, SweepResult> run_all(const std::vector<SweepConfig>& configs, int workers) {
  std::map<std::string, SweepResult> out;
  const int64_t n = run_sweep(configs, {.workers = workers}, [&](const SweepResult& r) { out.emplace(r.config.id, r); });
  EXPECT_EQ(n, static_cast<int64_t>(configs.size()));
  return out;
}

TEST(SweepGrid, ExpandsInTheDocumentedOrderWithTheLastListFastest) {
  const std::vector<SweepConfig> c = expand_grid(tiny_grid());
  ASSERT_EQ(c.size(), 16u);
  EXPECT_EQ(grid_size(tiny_grid()), 16);
  EXPECT_EQ(c[0].id, "depth=2,width=8,activation=relu,init=glorot_uniform,norm=none,skip=none,batch=4,dtype=float32,trial=0");
  EXPECT_EQ(c[1].id, "depth=2,width=8,activation=relu,init=glorot_uniform,norm=none,skip=none,batch=4,dtype=float32,trial=1");
  EXPECT_EQ(c[2].id, "depth=2,width=8,activation=relu,init=glorot_uniform,norm=none,skip=residual,batch=4,dtype=float32,trial=0");
  EXPECT_EQ(c[4].network.activation, "tanh");
  EXPECT_EQ(c[8].network.depth, 3);
  EXPECT_EQ(c[15].id, "depth=3,width=8,activation=tanh,init=glorot_uniform,norm=none,skip=residual,batch=4,dtype=float32,trial=1");
  for (const SweepConfig& config : c) {
    EXPECT_EQ(config.id, sweep_config_id(config.network, config.trial));
    EXPECT_EQ(config.network.input_features, 128);
  }
}

TEST(SweepGrid, SeedsDependOnTheBaseSeedAndIdOnlyNotOnPosition) {
  const std::vector<SweepConfig> full = expand_grid(tiny_grid());
  SweepGrid smaller = tiny_grid();
  smaller.depths = {3};
  smaller.activations = {"tanh"};
  const std::vector<SweepConfig> part = expand_grid(smaller);
  ASSERT_EQ(part.size(), 4u);
  // The same configuration at position 0 of one grid and 12 of the other has the same seed.
  EXPECT_EQ(part[0].id, full[12].id);
  EXPECT_EQ(part[0].seed, full[12].seed);
  EXPECT_EQ(part[0].seed, sweep_config_seed(7, part[0].id));
  EXPECT_NE(full[0].seed, full[1].seed);  // trials differ
  EXPECT_NE(sweep_config_seed(7, full[0].id), sweep_config_seed(8, full[0].id));
}

TEST(SweepGrid, RefusesBadGridsNamingTheListAndValue) {
  SweepGrid g = tiny_grid();
  g.depths = {};
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'depth' is empty"), std::string::npos);
  g = tiny_grid();
  g.depths = {0};
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'depth' value 0 is out of range"), std::string::npos);
  g = tiny_grid();
  g.activations = {"relu", "relu"};
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'activation' lists 'relu' twice"), std::string::npos);
  g = tiny_grid();
  g.initializers = {"glorot_uniform", "GlorotUniform"};
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'init' lists 'glorot_uniform' twice"), std::string::npos);
  g = tiny_grid();
  g.activations = {"relux"};
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'activation' value 'relux' is unknown"), std::string::npos);
  g = tiny_grid();
  g.trials = 0;
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'trials' is 0"), std::string::npos);
  EXPECT_THROW(expand_grid(g), Error);
  EXPECT_THROW(parse_skip_connection("resnet"), Error);
  EXPECT_EQ(parse_skip_normalization("layer"), SkipNormalization::layer);
}

TEST(SweepGrid, VariancesReplaceTheInitializerAxisInOrderAndInTheIds) {
  SweepGrid g{.depths = {3}, .widths = {8}, .initializers = {"he_uniform"}, .sigma_w2s = {1, 2.5}, .sigma_b2s = {0, 0.05}};
  EXPECT_EQ(grid_size(g), 4);
  const std::vector<SweepConfig> configs = expand_grid(g);
  ASSERT_EQ(configs.size(), 4u);
  const double expected[][2] = {{1, 0}, {1, 0.05}, {2.5, 0}, {2.5, 0.05}};  // sigma_b2 varies fastest
  for (std::size_t i = 0; i < configs.size(); ++i) {
    ASSERT_TRUE(configs[i].network.gaussian_init.has_value());
    EXPECT_EQ(configs[i].network.gaussian_init->sigma_w2, expected[i][0]);
    EXPECT_EQ(configs[i].network.gaussian_init->sigma_b2, expected[i][1]);
  }
  EXPECT_EQ(configs[1].id,
            "depth=3,width=8,activation=relu,sigma_w2=1,sigma_b2=0.05,norm=none,skip=none,batch=32,dtype=float32,trial=0");
  // Without sigma_b2s the biases are zero, and a grid by name keeps its ids.
  g.sigma_b2s = {};
  EXPECT_EQ(expand_grid(g).back().network.gaussian_init->sigma_b2, 0.0);
  g.sigma_w2s = {};
  EXPECT_EQ(expand_grid(g).front().id,
            "depth=3,width=8,activation=relu,init=he_uniform,norm=none,skip=none,batch=32,dtype=float32,trial=0");
  EXPECT_FALSE(expand_grid(g).front().network.gaussian_init.has_value());
}

TEST(SweepGrid, RefusesBadVariancesNamingTheList) {
  const auto error = [](SweepGrid g) { return test::error_of([&] { validate_grid(g); }); };
  EXPECT_NE(error({.sigma_w2s = {-1}}).find("'sigma_w2' value -1 is out of range"), std::string::npos);
  EXPECT_NE(error({.sigma_w2s = {std::nan("")}}).find("'sigma_w2' value nan"), std::string::npos);
  EXPECT_NE(error({.sigma_w2s = {2}, .sigma_b2s = {0.1, 0.1}}).find("'sigma_b2' lists 0.1 twice"), std::string::npos);
  EXPECT_NE(error({.sigma_b2s = {0.1}}).find("'sigma_b2' needs 'sigma_w2'"), std::string::npos);
}

// A network made by variances draws, layer by layer, kernel then bias: sigma_b2 = 0 is the He-like
// network with zero biases, and its kernels have variance sigma_w2 / fan_in.
TEST(SkipNetwork, GaussianInitDrawsKernelsAndBiasesByVariance) {
  const auto build = [](std::optional<GaussianInit> init) {
    Rng rng(9);
    SkipNetwork net({.depth = 2, .units = 400, .gaussian_init = init, .batch = 2, .input_features = 300}, rng);
    net(uniform(Shape{2, 300}, rng, 0.0, 1.0, DType::float32));
    return net.trainable_variables();  // kernel1, bias1, kernel2, bias2
  };
  const std::vector<Variable> v = build(GaussianInit{.sigma_w2 = 3, .sigma_b2 = 0.5});
  ASSERT_EQ(v.size(), 4u);
  const auto variance = [](const Tensor& t) {
    double s = 0;
    for (double x : t.to_vector()) s += x * x;
    return s / static_cast<double>(t.numel());
  };
  // Mean squares of n = 120000 / 160000 and 400 normal values: standard errors sqrt(2/n) relative,
  // 0.4% and 7%; bands of 6 of them (false-failure rate about 2e-9 each).
  EXPECT_NEAR(variance(v[0].value()), 3.0 / 300, 6 * std::sqrt(2.0 / 120000) * 3.0 / 300);
  EXPECT_NEAR(variance(v[2].value()), 3.0 / 400, 6 * std::sqrt(2.0 / 160000) * 3.0 / 400);
  EXPECT_NEAR(variance(v[1].value()), 0.5, 6 * std::sqrt(2.0 / 400) * 0.5);
  for (double x : build(GaussianInit{.sigma_w2 = 3, .sigma_b2 = 0})[1].value().to_vector()) EXPECT_EQ(x, 0.0);
}

TEST(SweepGrid, RefusesInstanceNormalizationWhichPassesNothingOnVectors) {
  // One parser accepts every normalization name; the grid says why it does not sweep this one.
  SweepGrid g;
  g.normalizations = {parse_skip_normalization("instance")};
  EXPECT_NE(test::error_of([&] { validate_grid(g); }).find("'norm' value 'instance' is not swept"), std::string::npos);
}

TEST(SweepRun, OneConfigurationIsTheLessonsInputGradientNorm) {
  SweepConfig c = expand_grid(tiny_grid())[0];
  const SweepResult r = run_sweep_config(c);
  Rng rng(c.seed);
  // The lesson's norm is summed in double; the probe's float32 scan agrees to float32's precision.
  EXPECT_NEAR(r.input_grad_norm, input_gradient_norm(c.network, rng), 1e-6 * r.input_grad_norm);
  ASSERT_EQ(r.layer_grad_norms.size(), 2u);
  EXPECT_EQ(r.layer_grad_norms[0], r.input_grad_norm);
  EXPECT_FALSE(r.anomaly);
  EXPECT_EQ(r.pass, nullptr);
  const SweepResult kept = run_sweep_config(c, {}, true);
  ASSERT_NE(kept.pass, nullptr);
  EXPECT_EQ(kept.pass->loss, r.loss);
  EXPECT_EQ(kept.pass->layers.size(), 2u);
}

TEST(SweepRun, ResultsAreBitIdenticalWithOneOrTwoWorkersAndAcrossAResume) {
  const std::vector<SweepConfig> configs = expand_grid(tiny_grid());
  const auto one = run_all(configs, 1);
  const auto two = run_all(configs, 2);
  // A resume: the second half first, then the first half, on other workers.
  const std::vector<SweepConfig> first(configs.begin(), configs.begin() + 7), second(configs.begin() + 7, configs.end());
  auto resumed = run_all(second, 2);
  resumed.merge(run_all(first, 1));
  ASSERT_EQ(one.size(), configs.size());
  ASSERT_EQ(two.size(), configs.size());
  ASSERT_EQ(resumed.size(), configs.size());
  for (const auto& [id, r] : one) {
    expect_identical(r, two.at(id));
    expect_identical(r, resumed.at(id));
  }
}

TEST(SweepRun, StopsTakingConfigurationsOnceAskedAndDeliversThoseInFlight) {
  const std::vector<SweepConfig> configs = expand_grid(tiny_grid());
  for (const int workers : {1, 2}) {
    SCOPED_TRACE(workers);
    // Asked once before each configuration starts: false three times, then true.
    int asked = 0;
    std::vector<std::string> ids;
    const int64_t delivered = run_sweep(configs, {.workers = workers}, [&](const SweepResult& r) { ids.push_back(r.config.id); },
                                        [&] { return ++asked > 3; });
    EXPECT_EQ(delivered, 3);
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_EQ(asked, 4);
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> first{configs[0].id, configs[1].id, configs[2].id};
    std::sort(first.begin(), first.end());
    EXPECT_EQ(ids, first) << "configurations start in grid order";
  }
  EXPECT_EQ(run_sweep(configs, {.workers = 2}, [](const SweepResult&) {}, [] { return true; }), 0);
}

TEST(SweepRun, RethrowsAFailingCallbackAfterTheWorkersFinish) {
  const std::vector<SweepConfig> configs = expand_grid(tiny_grid());
  int calls = 0;
  EXPECT_THROW(run_sweep(configs, {.workers = 2},
                         [&](const SweepResult&) {
                           ++calls;
                           throw std::runtime_error("disk full");
                         }),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
}

TEST(SweepRun, RestoresTheBlasThreads) {
  const int before = blas_threads();
  run_all(expand_grid(tiny_grid()), 2);
  EXPECT_EQ(blas_threads(), before);
  {
    BlasThreadsScope one(1);
    EXPECT_EQ(blas_threads(), 1);
  }
  EXPECT_EQ(blas_threads(), before);
}

TEST(SweepGrid, LessonRemedyGridCoversEveryRemedyFromDepth4To64) {
  const SweepGrid g = lesson_remedy_grid(2, 3);
  EXPECT_EQ(grid_size(g), 810);
  EXPECT_EQ(g.depths.front(), 4);
  EXPECT_EQ(g.depths.back(), 64);
  EXPECT_EQ(g.skips.size(), 3u);
  EXPECT_EQ(g.normalizations.size(), 3u);
  EXPECT_EQ(g.seed, 3u);
  EXPECT_NO_THROW(validate_grid(g));
}

}  // namespace
}  // namespace gradlab
