#include "gradlab/nn/gaussian_init.h"
#include "gradlab/nn/initializers.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"
#include "tensor/distribution_checks.h"

namespace gradlab {
namespace {

using testing::expect_distribution;

std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ComputeFans, FollowsKerasForRanksZeroToFour) {
  const auto check = [](const Shape& shape, double fan_in, double fan_out) {
    const Fans f = compute_fans(shape);
    EXPECT_EQ(f.fan_in, fan_in) << shape.to_string();
    EXPECT_EQ(f.fan_out, fan_out) << shape.to_string();
    EXPECT_EQ(f.layer_fan_in, fan_in) << shape.to_string();
  };
  check(Shape{}, 1, 1);
  check(Shape{7}, 7, 7);
  check(Shape{10, 32}, 10, 32);
  check(Shape{5, 3, 4}, 15, 20);                     // Conv1D kernel (width, in, out)
  check(Shape{3, 5, 16, 8}, 3 * 5 * 16, 3 * 5 * 8);  // Conv2D kernel (h, w, in, out)
}

// A large draw of `init` for a variable of `shape` (fans from the shape), as float64 values.
std::vector<double> draw(const Initializer& init, const Shape& shape, uint64_t seed,
                         DType dtype = DType::float32) {
  Rng rng(seed);
  return init(shape, dtype, rng).to_vector();
}

// Shape (500, 2000): fan_in 500, fan_out 2000, fan_avg 1250, and a million values.
const Shape kBig{500, 2000};

TEST(Initializers, GlorotUniformHasLimitSqrtSixOverFanSum) {
  const double limit = std::sqrt(6.0 / 2500);
  expect_distribution(draw(glorot_uniform(), kBig, 1), testing::uniform_expected(-limit, limit),
                      "glorot_uniform");
}

TEST(Initializers, HeUniformHasLimitSqrtSixOverFanIn) {
  const double limit = std::sqrt(6.0 / 500);
  expect_distribution(draw(he_uniform(), kBig, 2), testing::uniform_expected(-limit, limit), "he_uniform");
}

TEST(Initializers, LecunUniformHasLimitSqrtThreeOverFanIn) {
  const double limit = std::sqrt(3.0 / 500);
  expect_distribution(draw(lecun_uniform(), kBig, 3), testing::uniform_expected(-limit, limit),
                      "lecun_uniform");
}

// The truncated normals are scaled by 1/0.8796... so their variance is scale / fan.
TEST(Initializers, NormalPresetsAreTruncatedWithTheTargetVariance) {
  struct Case {
    Initializer init;
    double variance;
  };
  const Case cases[] = {{glorot_normal(), 1.0 / 1250}, {he_normal(), 2.0 / 500}, {lecun_normal(), 1.0 / 500}};
  uint64_t seed = 10;
  for (const Case& c : cases) {
    const double stddev = std::sqrt(c.variance) / 0.87962566103423978;
    const auto v = draw(c.init, kBig, ++seed);
    for (double x : v) ASSERT_LT(std::abs(x), 2 * stddev * (1 + 1e-6)) << c.init.name();
    const auto e = testing::truncated_normal_expected(0, stddev);
    EXPECT_NEAR(e.variance, c.variance, 1e-9 * c.variance) << "Keras's truncation constant";
    expect_distribution(v, e, c.init.name());
  }
}

TEST(Initializers, VarianceScalingModesAndDistributions) {
  const double fans[] = {500, 2000, 1250};
  const FanMode modes[] = {FanMode::fan_in, FanMode::fan_out, FanMode::fan_avg};
  for (int m = 0; m < 3; ++m) {
    const double scale = 0.7 / fans[m];
    const auto uni =
        variance_scaling({.scale = 0.7, .mode = modes[m], .distribution = Distribution::uniform});
    const double limit = std::sqrt(3 * scale);
    expect_distribution(draw(uni, kBig, 20 + m), testing::uniform_expected(-limit, limit), uni.description());
    const auto nor =
        variance_scaling({.scale = 0.7, .mode = modes[m], .distribution = Distribution::untruncated_normal});
    expect_distribution(draw(nor, kBig, 30 + m), testing::normal_expected(0, std::sqrt(scale)),
                        nor.description());
    const auto tru = variance_scaling({.scale = 0.7, .mode = modes[m]});
    expect_distribution(draw(tru, kBig, 40 + m),
                        testing::truncated_normal_expected(0, std::sqrt(scale) / 0.87962566103423978),
                        tru.description());
  }
}

// Poole et al. (2016): weights N(0, sigma_w2 / fan_in), biases N(0, sigma_b2), with the false-failure
// rates of distribution_checks.h (about 1e-6 per check, fixed seeds).
TEST(Initializers, GaussianInitDrawsWeightsOfVarianceSigmaW2OverFanInAndBiasesOfVarianceSigmaB2) {
  const GaussianInit init{.sigma_w2 = 1.76, .sigma_b2 = 0.05};
  const Initializer kernel = gaussian_kernel(init);
  EXPECT_EQ(kernel.description(), "variance_scaling(scale=1.76, mode=fan_in, distribution=untruncated_normal)");
  expect_distribution(draw(kernel, kBig, 60), testing::normal_expected(0, std::sqrt(1.76 / 500)), "gaussian_kernel");
  const Initializer bias = gaussian_bias(init);
  EXPECT_EQ(bias.description(), "random_normal(mean=0, stddev=" + fmt::format("{}", std::sqrt(0.05)) + ")");
  expect_distribution(draw(bias, Shape{1000000}, 61), testing::normal_expected(0, std::sqrt(0.05)), "gaussian_bias");
  EXPECT_EQ(kernel.variance(compute_fans(Shape{256, 64})), 1.76 / 256);
}

TEST(Initializers, GaussianInitOfZeroVarianceIsZerosWithoutDrawing) {
  Rng rng(62);
  Rng untouched(62);
  const Tensor b = gaussian_bias({.sigma_w2 = 2, .sigma_b2 = 0})(Shape{8}, DType::float32, rng);
  const Tensor w = gaussian_kernel({.sigma_w2 = 0})(Shape{4, 8}, DType::float32, rng);
  for (double v : b.to_vector()) EXPECT_EQ(v, 0.0);
  for (double v : w.to_vector()) EXPECT_EQ(v, 0.0);
  EXPECT_EQ(normal(Shape{4}, rng, 0.0, 1.0, DType::float64).to_vector(),
            normal(Shape{4}, untouched, 0.0, 1.0, DType::float64).to_vector())
      << "zero variance draws nothing, as Keras's zero bias";
}

TEST(Initializers, GaussianInitRefusesNegativeOrNonFiniteVariancesByName) {
  EXPECT_NE(error_message([] { gaussian_kernel({.sigma_w2 = -1}); }).find("sigma_w2"), std::string::npos);
  EXPECT_NE(error_message([] { gaussian_kernel({.sigma_w2 = std::nan("")}); }).find("sigma_w2"), std::string::npos);
  EXPECT_NE(error_message([] { gaussian_bias({.sigma_b2 = -0.1}); }).find("sigma_b2"), std::string::npos);
  EXPECT_NE(error_message([] { gaussian_bias({.sigma_b2 = INFINITY}); }).find("sigma_b2"), std::string::npos);
}

TEST(Initializers, VarianceScalingDividesByAtLeastOne) {
  Rng rng(5);
  const Tensor w = he_uniform()(Shape{100000}, DType::float64, rng, Fans{.fan_in = 0.25});
  const double limit = std::sqrt(6.0);  // scale 2 / max(1, 0.25)
  expect_distribution(w.to_vector(), testing::uniform_expected(-limit, limit), "he_uniform, fan_in 0.25");
}

TEST(Initializers, ExplicitFansOverrideTheShape) {
  Rng rng(6);
  const Tensor w = he_uniform()(Shape{1000, 100}, DType::float64, rng, Fans{.fan_in = 4, .fan_out = 9});
  const double limit = std::sqrt(6.0 / 4);
  expect_distribution(w.to_vector(), testing::uniform_expected(-limit, limit), "he_uniform, fan_in 4");
}

TEST(Initializers, RandomUniformNormalAndTruncatedNormalUseKerasDefaults) {
  expect_distribution(draw(random_uniform(), kBig, 50), testing::uniform_expected(-0.05, 0.05),
                      "random_uniform");
  expect_distribution(draw(random_normal(), kBig, 51), testing::normal_expected(0, 0.05), "random_normal");
  expect_distribution(draw(truncated_normal_initializer(), kBig, 52),
                      testing::truncated_normal_expected(0, 0.05), "truncated_normal");
  expect_distribution(draw(random_uniform(2, 3), kBig, 53), testing::uniform_expected(2, 3),
                      "random_uniform(2, 3)");
  expect_distribution(draw(random_normal(1, 2), kBig, 54), testing::normal_expected(1, 2),
                      "random_normal(1, 2)");
  expect_distribution(draw(truncated_normal_initializer(-1, 0.5), kBig, 55),
                      testing::truncated_normal_expected(-1, 0.5), "truncated_normal(-1, 0.5)");
}

// The lesson's cells: Dense(32) on 10 features and Dense(128) on 100 features. A single kernel's
// variance (the lesson printed 0.1925, 0.01986, 0.04799, 0.008802) is one draw from a spread around
// limit^2 / 3; about a million values from repeated kernels pin that value down.
TEST(Initializers, LessonKernelsHaveTheTheoreticalVariance) {
  struct Case {
    Initializer init;
    Shape shape;
    double variance;
    double lesson;
  };
  const Case cases[] = {
      {he_uniform(), Shape{10, 32}, 0.2, 0.19253153},
      {he_uniform(), Shape{100, 128}, 0.02, 0.019861732},
      {glorot_uniform(), Shape{10, 32}, 6.0 / 42 / 3, 0.04799015},
      {glorot_uniform(), Shape{100, 128}, 6.0 / 228 / 3, 0.008802493},
  };
  EXPECT_NEAR(cases[2].variance, 0.0476, 1e-4);
  EXPECT_NEAR(cases[3].variance, 0.00877, 1e-5);
  Rng rng(2026);
  for (const Case& c : cases) {
    const double limit = std::sqrt(3 * c.variance);
    const auto e = testing::uniform_expected(-limit, limit);
    const double n = static_cast<double>(c.shape.numel());
    // The lesson's single-kernel value lies inside our 6-sigma band for one kernel.
    EXPECT_NEAR(c.lesson, c.variance, 6 * std::sqrt((e.fourth_moment - e.variance * e.variance) / n));
    std::vector<double> all;
    double max_abs = 0;
    const int64_t kernels = (1'000'000 + c.shape.numel() - 1) / c.shape.numel();
    for (int64_t k = 0; k < kernels; ++k) {
      for (double x : c.init(c.shape, DType::float32, rng).to_vector()) {
        all.push_back(x);
        max_abs = std::max(max_abs, std::abs(x));
      }
    }
    EXPECT_LT(max_abs, limit);
    EXPECT_GT(max_abs, 0.999 * limit);
    expect_distribution(all, e, c.init.name() + " " + c.shape.to_string());
  }
}

TEST(Initializers, TorchLinearBoundsAreOneOverSqrtFanIn) {
  const double bound = 1.0 / 28;  // fan_in 784
  const auto kernel = draw(torch_linear_kernel(), Shape{784, 1280}, 60);
  for (double x : kernel) ASSERT_LT(std::abs(x), bound);
  expect_distribution(kernel, testing::uniform_expected(-bound, bound), "torch_linear_kernel");
  Rng rng(61);
  const Tensor bias = torch_linear_bias()(Shape{200000}, DType::float32, rng,
                                          Fans{.fan_in = 200000, .fan_out = 200000, .layer_fan_in = 784});
  expect_distribution(bias.to_vector(), testing::uniform_expected(-bound, bound), "torch_linear_bias");
  const Tensor no_fan = torch_linear_bias()(Shape{16}, DType::float32, rng, Fans{.layer_fan_in = 0});
  for (double x : no_fan.to_vector()) EXPECT_EQ(x, 0.0) << "PyTorch: bound 0 when fan_in is 0";
}

TEST(Initializers, SameSeedSameValuesAndFloat32AgreesWithFloat64) {
  const Initializer inits[] = {glorot_uniform(),
                               glorot_normal(),
                               he_uniform(),
                               he_normal(),
                               lecun_uniform(),
                               lecun_normal(),
                               random_uniform(),
                               random_normal(),
                               truncated_normal_initializer(),
                               orthogonal(1.3),
                               torch_linear_kernel(),
                               variance_scaling({.distribution = Distribution::untruncated_normal})};
  for (const Initializer& init : inits) {
    const auto a = draw(init, Shape{40, 30}, 70, DType::float32);
    EXPECT_EQ(a, draw(init, Shape{40, 30}, 70, DType::float32)) << init.name();
    EXPECT_NE(a, draw(init, Shape{40, 30}, 71, DType::float32)) << init.name();
    const auto d = draw(init, Shape{40, 30}, 70, DType::float64);
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i], static_cast<double>(static_cast<float>(d[i]))) << init.name() << " element " << i;
    }
  }
}

// max |Q^T Q - gain^2 I| (or Q Q^T for wide Q) over a row-major rows x cols matrix.
double orthogonality_error(const std::vector<double>& q, int64_t rows, int64_t cols, double gain) {
  const bool wide = rows < cols;
  const int64_t k = wide ? rows : cols;
  const int64_t len = wide ? cols : rows;
  double worst = 0;
  for (int64_t a = 0; a < k; ++a) {
    for (int64_t b = 0; b < k; ++b) {
      double dot = 0;
      for (int64_t i = 0; i < len; ++i) {
        dot += wide ? q[a * cols + i] * q[b * cols + i] : q[i * cols + a] * q[i * cols + b];
      }
      worst = std::max(worst, std::abs(dot - (a == b ? gain * gain : 0.0)));
    }
  }
  return worst;
}

TEST(Orthogonal, GivesOrthonormalColumnsOrRowsTimesGain) {
  const Shape shapes[] = {Shape{64, 16},   Shape{16, 64}, Shape{32, 32}, Shape{3, 4, 10},
                          Shape{2, 3, 10}, Shape{1, 1},   Shape{1, 7},   Shape{2, 2, 2, 5}};
  for (double gain : {1.0, 1.5}) {
    for (const Shape& shape : shapes) {
      Rng rng(80);
      const Tensor q32 = orthogonal(gain)(shape, DType::float32, rng);
      EXPECT_EQ(q32.shape(), shape);
      const int64_t cols = shape[-1];
      const int64_t rows = shape.numel() / cols;
      EXPECT_LT(orthogonality_error(q32.to_vector(), rows, cols, gain), 1e-5 * gain * gain)
          << shape.to_string() << " gain " << gain;
      const Tensor q64 = orthogonal(gain)(shape, DType::float64, rng);
      EXPECT_LT(orthogonality_error(q64.to_vector(), rows, cols, gain), 1e-12) << shape.to_string();
    }
  }
}

// Keras: q, r = qr(normal(max, min)); q *= sign(diag(r)). Then Q^T A is R: upper triangular with a
// positive diagonal. Any other sign convention or a different draw breaks this.
TEST(Orthogonal, IsTheSignFixedQOfTheKerasNormalDraw) {
  for (const Shape& shape : {Shape{50, 20}, Shape{20, 50}}) {
    Rng rng(81);
    Rng replay = rng;
    const Tensor q = orthogonal()(shape, DType::float64, rng);
    const int64_t m = 50, n = 20;
    const std::vector<double> a = normal(Shape{m, n}, replay, 0, 1, DType::float64).to_vector();
    const std::vector<double> qv = q.to_vector();
    const bool wide = shape[0] < shape[1];
    // Q as m x n: the tall result itself, or the transpose of the wide one.
    const auto qat = [&](int64_t i, int64_t j) { return wide ? qv[j * m + i] : qv[i * n + j]; };
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        double dot = 0;
        for (int64_t i = 0; i < m; ++i) dot += qat(i, r) * a[i * n + c];
        if (r > c) {
          EXPECT_NEAR(dot, 0.0, 1e-10) << shape.to_string() << " R[" << r << "][" << c << "]";
        } else if (r == c) {
          EXPECT_GT(dot, 0.0) << shape.to_string() << " R[" << r << "][" << r << "]";
        }
      }
    }
  }
}

TEST(Orthogonal, RejectsRankBelowTwo) {
  Rng rng(0);
  const std::string msg = error_message([&] { orthogonal()(Shape{5}, DType::float32, rng); });
  EXPECT_NE(msg.find("orthogonal"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at least two-dimensional"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[5]"), std::string::npos) << msg;
  EXPECT_THROW(orthogonal()(Shape{}, DType::float32, rng), Error);
  EXPECT_EQ(orthogonal()(Shape{0, 4}, DType::float32, rng).numel(), 0);
}

TEST(Identity, IsGainTimesEyeForRankTwoOnly) {
  Rng rng(0);
  const Tensor w = identity(2.5)(Shape{3, 5}, DType::float64, rng);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 5; ++j) EXPECT_EQ(w.at({i, j}), i == j ? 2.5 : 0.0);
  }
  EXPECT_EQ(identity()(Shape{4, 2}, DType::float32, rng).to_vector(), eye(4, 2).to_vector());
  const std::string msg = error_message([&] { identity()(Shape{3, 3, 3}, DType::float32, rng); });
  EXPECT_NE(msg.find("identity"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 3, 3]"), std::string::npos) << msg;
  EXPECT_THROW(identity()(Shape{3}, DType::float32, rng), Error);
}

TEST(ConstantInitializers, FillTheirValue) {
  Rng rng(0);
  const Rng::State before = rng.state();
  EXPECT_EQ(zeros_initializer()(Shape{2, 3}, DType::float32, rng).to_vector(), std::vector<double>(6, 0.0));
  EXPECT_EQ(ones_initializer()(Shape{4}, DType::float64, rng).to_vector(), std::vector<double>(4, 1.0));
  EXPECT_EQ(constant(-0.5)(Shape{2, 2}, DType::float32, rng).to_vector(), std::vector<double>(4, -0.5));
  EXPECT_EQ(Initializer("constant")(Shape{3}, DType::float32, rng).to_vector(), std::vector<double>(3, 0.0))
      << "Keras's Constant() defaults to 0";
  EXPECT_EQ(rng.state(), before) << "constant initializers draw nothing";
}

TEST(InitializerNames, EveryListedNameBuildsAndAliasesMapToKerasNames) {
  Rng rng(0);
  for (const std::string& name : initializer_names()) {
    const Initializer init(name);
    // delta_orthogonal is for convolution kernels only (rank >= 3).
    const Shape shape = name == "delta_orthogonal" ? Shape{3, 3, 4, 4} : Shape{4, 4};
    EXPECT_EQ(init(shape, DType::float32, rng).shape(), shape) << name;
  }
  EXPECT_EQ(Initializer("HeUniform").name(), "he_uniform");
  EXPECT_EQ(Initializer("GlorotUniform").name(), "glorot_uniform");
  EXPECT_EQ(Initializer("LecunNormal").name(), "lecun_normal");
  EXPECT_EQ(Initializer("TruncatedNormal").name(), "truncated_normal");
  EXPECT_EQ(Initializer("uniform").name(), "random_uniform");
  EXPECT_EQ(Initializer("normal").name(), "random_normal");
  EXPECT_EQ(Initializer("Orthogonal").name(), "orthogonal");
  EXPECT_EQ(Initializer("one").name(), "ones");
  EXPECT_EQ(Initializer(std::string_view("zero")).name(), "zeros");
  EXPECT_EQ(Initializer(std::string("torch_linear_bias")).name(), "torch_linear_bias");
  const char* required[] = {"zeros",
                            "ones",
                            "constant",
                            "random_uniform",
                            "random_normal",
                            "truncated_normal",
                            "variance_scaling",
                            "glorot_uniform",
                            "glorot_normal",
                            "he_uniform",
                            "he_normal",
                            "lecun_uniform",
                            "lecun_normal",
                            "orthogonal",
                            "identity",
                            "torch_linear_kernel",
                            "torch_linear_bias"};
  for (const char* name : required) {
    EXPECT_EQ(Initializer(name).name(), name);
  }
}

TEST(InitializerNames, NamedInitializerDrawsLikeTheFactory) {
  Rng a(9), b(9);
  EXPECT_EQ(Initializer("he_normal")(Shape{30, 20}, DType::float32, a).to_vector(),
            he_normal()(Shape{30, 20}, DType::float32, b).to_vector());
}

TEST(InitializerNames, UnknownNameListsTheValidOnes) {
  const std::string msg = error_message([] { Initializer("he_unifrom"); });
  EXPECT_NE(msg.find("'he_unifrom'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("he_uniform"), std::string::npos) << msg;
  EXPECT_NE(msg.find("torch_linear_bias"), std::string::npos) << msg;
  EXPECT_THROW(Initializer("HE_UNIFORM"), Error) << "names are case-sensitive, as in Keras";
  EXPECT_THROW(Initializer(""), Error);
}

TEST(InitializerDescriptions, ShowArgumentsWhereKerasHasThem) {
  EXPECT_EQ(variance_scaling({.scale = 2, .mode = FanMode::fan_in, .distribution = Distribution::uniform})
                .description(),
            "variance_scaling(scale=2, mode=fan_in, distribution=uniform)");
  EXPECT_EQ(Initializer("variance_scaling").description(),
            "variance_scaling(scale=1, mode=fan_in, distribution=truncated_normal)");
  EXPECT_EQ(he_uniform().description(), "he_uniform");
  EXPECT_EQ(glorot_normal().description(), "glorot_normal");
  EXPECT_EQ(random_uniform().description(), "random_uniform(minval=-0.05, maxval=0.05)");
  EXPECT_EQ(random_normal().description(), "random_normal(mean=0, stddev=0.05)");
  EXPECT_EQ(truncated_normal_initializer().description(), "truncated_normal(mean=0, stddev=0.05)");
  EXPECT_EQ(constant(0.5).description(), "constant(value=0.5)");
  EXPECT_EQ(zeros_initializer().description(), "zeros");
  EXPECT_EQ(orthogonal(2).description(), "orthogonal(gain=2)");
  EXPECT_EQ(identity().description(), "identity(gain=1)");
  EXPECT_EQ(torch_linear_kernel().description(), "torch_linear_kernel");
}

TEST(InitializerArguments, BadValuesAreRefusedWithTheirValue) {
  const std::string msg = error_message([] { variance_scaling({.scale = 0}); });
  EXPECT_NE(msg.find("scale=0"), std::string::npos) << msg;
  EXPECT_THROW(variance_scaling({.scale = -1}), Error);
  EXPECT_THROW(variance_scaling({.scale = std::nan("")}), Error);
  EXPECT_THROW(random_uniform(1, 0), Error);
  EXPECT_THROW(random_normal(0, -1), Error);
  EXPECT_THROW(truncated_normal_initializer(0, std::nan("")), Error);
  EXPECT_THROW(orthogonal(INFINITY), Error);
  EXPECT_THROW(Initializer(std::shared_ptr<const InitializerImpl>()), Error);
}

}  // namespace
}  // namespace gradlab

namespace gradlab {
namespace {

TEST(InitializerVariance, TruncatedFactorIsKerasConstantSquared) {
  EXPECT_NEAR(std::sqrt(truncated_normal_variance_factor()), 0.87962566103423978, 1e-15);
}

TEST(InitializerVariance, IsTheVarianceOfTheDrawnValues) {
  const Fans fans{.fan_in = 300, .fan_out = 100, .layer_fan_in = 300};
  struct Case {
    Initializer init;
    double variance;  // closed form
  };
  const Case cases[] = {
      {he_uniform(), 2.0 / 300},
      {he_normal(), 2.0 / 300},
      {glorot_uniform(), 1.0 / 200},
      {glorot_normal(), 1.0 / 200},
      {lecun_normal(), 1.0 / 300},
      {variance_scaling({.scale = 1.5, .mode = FanMode::fan_out, .distribution = Distribution::untruncated_normal}),
       1.5 / 100},
      {random_normal(0.0, 0.2), 0.04},
      {truncated_normal_initializer(0.0, 0.2), 0.04 * truncated_normal_variance_factor()},
      {random_uniform(-0.3, 0.3), 0.03},
      {torch_linear_kernel(), 1.0 / 900},
      {zeros_initializer(), 0.0},
  };
  Rng rng(16);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.init.description());
    ASSERT_TRUE(c.init.variance(fans).has_value());
    EXPECT_NEAR(*c.init.variance(fans), c.variance, 1e-15 * c.variance);
    // 10^6 draws: the sample variance is within 6 standard errors (sd <= sqrt(2) var / 1000 for
    // these light-tailed laws) except with probability below 2e-9 per case.
    const std::vector<double> x = c.init(Shape{1000, 1000}, DType::float64, rng, fans).to_vector();
    double sum2 = 0;
    for (double v : x) sum2 += v * v;
    EXPECT_NEAR(sum2 / 1e6, c.variance, 6 * std::sqrt(2.0) * c.variance / 1000);
  }
  EXPECT_FALSE(ones_initializer().variance(fans).has_value());
  EXPECT_FALSE(random_normal(1.0, 0.1).variance(fans).has_value());
  EXPECT_FALSE(random_uniform(0.0, 0.1).variance(fans).has_value());
  EXPECT_FALSE(orthogonal().variance(fans).has_value());
}

}  // namespace
}  // namespace gradlab
