#include "gradlab/tensor/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "../../src/tensor/philox.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"
#include "tensor/distribution_checks.h"

namespace gradlab {
namespace {

using detail::philox4x32_10;
using detail::PhiloxCounter;
using testing::expect_distribution;

// Random123 kat_vectors, philox4x32_10 lines.
TEST(Philox, MatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, IsEvaluatedAtCompileTime) {
  static_assert(philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5);
}

std::vector<float> draw_uniform_float(Rng& rng, int64_t n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  rng.uniform(v.data(), n, 0.0, 1.0);
  return v;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST(Rng, SameSeedGivesSameValuesAndOtherSeedsDiffer) {
  Rng a(42), b(42), c(43);
  const auto va = draw_uniform_float(a, 1000);
  EXPECT_EQ(va, draw_uniform_float(b, 1000));
  EXPECT_NE(va, draw_uniform_float(c, 1000));
  EXPECT_NE(va, draw_uniform_float(a, 1000)) << "a second draw must continue the stream";
}

TEST(Rng, UniformFloatIsTheTop24BitsOfThePhiloxWords) {
  Rng rng(0x0123456789abcdefULL);
  const auto v = draw_uniform_float(rng, 8);
  for (uint64_t block = 0; block < 2; ++block) {
    const PhiloxCounter w = philox4x32_10({static_cast<uint32_t>(block), 0, 0, 0}, {0x89abcdef, 0x01234567});
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(v[block * 4 + j], static_cast<float>(static_cast<double>(w[j] >> 8) * 0x1p-24));
    }
  }
}

TEST(Rng, CounterAdvancesByAFixedAmountPerDraw) {
  Rng rng(7);
  std::vector<float> f(1001);
  std::vector<double> d(1001);
  rng.uniform(f.data(), 1001, 0, 1);  // 4 floats per block
  EXPECT_EQ(rng.state().counter_low, 251u);
  rng.uniform(d.data(), 1001, 0, 1);  // 2 doubles per block
  EXPECT_EQ(rng.state().counter_low, 251u + 501u);
  rng.normal(f.data(), 1001, 0, 1);  // one Box-Muller pair per block
  EXPECT_EQ(rng.state().counter_low, 251u + 501u + 501u);
  rng.truncated_normal(d.data(), 1001, 0, 1);  // one block per element
  EXPECT_EQ(rng.state().counter_low, 251u + 501u + 501u + 1001u);
  rng.next_double();
  EXPECT_EQ(rng.state().counter_low, 251u + 501u + 501u + 1001u + 1u);
  EXPECT_EQ(rng.state().counter_high, 0u);
}

// A draw split into parts (a data-parallel replica's rows of a dropout mask) gives the values of the
// whole draw, at any offset (aligned to the 4 floats or 2 doubles of a block or not), and advances
// the counter as the whole draw does.
TEST(Rng, UniformPartIsThatPartOfTheWholeDraw) {
  for (const int64_t total : {0, 1, 7, 1001}) {
    for (const int64_t first : {int64_t{0}, int64_t{1}, int64_t{3}, total / 2}) {
      if (first > total) continue;
      const int64_t n = std::min<int64_t>(total - first, 13);
      Rng whole(9), part(9);
      whole.set_state({.seed = 9, .counter_low = 40});
      part.set_state(whole.state());
      std::vector<float> wf(static_cast<std::size_t>(total)), pf(static_cast<std::size_t>(n));
      whole.uniform(wf.data(), total, -1, 2);
      part.uniform_part(pf.data(), total, first, n, -1, 2);
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(pf[static_cast<std::size_t>(i)], wf[static_cast<std::size_t>(first + i)]);
      EXPECT_EQ(part.state(), whole.state());
      std::vector<double> wd(static_cast<std::size_t>(total)), pd(static_cast<std::size_t>(n));
      whole.uniform(wd.data(), total, 0, 1);
      part.uniform_part(pd.data(), total, first, n, 0, 1);
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(pd[static_cast<std::size_t>(i)], wd[static_cast<std::size_t>(first + i)]);
      EXPECT_EQ(part.state(), whole.state());
    }
  }
  Rng rng(1);
  float out[4];
  EXPECT_THROW(rng.uniform_part(out, 10, 8, 4, 0, 1), Error);
  EXPECT_THROW(rng.uniform_part(out, 10, -1, 2, 0, 1), Error);
}

TEST(Rng, CounterCarriesIntoTheHighWord) {
  Rng rng(3);
  rng.set_state({.seed = 3, .counter_low = std::numeric_limits<uint64_t>::max() - 1, .counter_high = 5});
  const auto v = draw_uniform_float(rng, 16);  // blocks 2^64-2, 2^64-1, then (0, 6), (1, 6)
  EXPECT_EQ(rng.state().counter_low, 2u);
  EXPECT_EQ(rng.state().counter_high, 6u);
  const PhiloxCounter w = philox4x32_10({0, 0, 6, 0}, {3, 0});
  EXPECT_EQ(v[8], static_cast<float>(static_cast<double>(w[0] >> 8) * 0x1p-24));
}

TEST(Rng, StateResumesTheStreamExactly) {
  Rng rng(11);
  draw_uniform_float(rng, 37);
  const Rng::State saved = rng.state();
  std::vector<double> a(501), b(501);
  rng.normal(a.data(), 501, 1, 2);
  const double da = rng.next_double();
  const uint64_t ka = rng.next_below(1000);
  rng.set_state(saved);
  rng.normal(b.data(), 501, 1, 2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(rng.next_double(), da);
  EXPECT_EQ(rng.next_below(1000), ka);
  EXPECT_EQ(rng.seed(), 11u);
}

TEST(Rng, ForkGivesIndependentReproducibleStreams) {
  Rng parent(5);
  Rng f1 = parent.fork(1), f2 = parent.fork(2), f0 = parent.fork(0);
  EXPECT_NE(f1.seed(), f2.seed());
  EXPECT_NE(f0.seed(), parent.seed());
  EXPECT_EQ(f1.state().counter_low, 0u);
  draw_uniform_float(parent, 100);
  EXPECT_EQ(parent.fork(1).seed(), f1.seed()) << "a fork depends on seed and stream only";
  EXPECT_NE(Rng(6).fork(1).seed(), f1.seed());
  const auto v1 = to_double(draw_uniform_float(f1, 200000));
  const auto v2 = to_double(draw_uniform_float(f2, 200000));
  EXPECT_NE(v1, v2);
  // Pearson correlation of two independent U[0,1) streams: standard error 1/sqrt(n); bound 6 of them
  // (false-failure rate about 2e-9).
  const double m1 = testing::sample_mean(v1), m2 = testing::sample_mean(v2);
  double c = 0, s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < v1.size(); ++i) {
    c += (v1[i] - m1) * (v2[i] - m2);
    s1 += (v1[i] - m1) * (v1[i] - m1);
    s2 += (v2[i] - m2) * (v2[i] - m2);
  }
  EXPECT_LT(std::abs(c / std::sqrt(s1 * s2)), 6.0 / std::sqrt(200000.0));
}

// A big fill runs on several threads; pieces of it drawn one chunk at a time (each small enough to
// stay on one thread) from the counter where that chunk starts must give the same values.
template <typename T, typename Fill>
void expect_chunks_match_whole(int64_t n, int64_t chunk, int64_t elements_per_block, Fill fill) {
  Rng whole_rng(99);
  whole_rng.set_state({.seed = 99, .counter_low = 12345, .counter_high = 0});
  std::vector<T> whole(static_cast<std::size_t>(n));
  fill(whole_rng, whole.data(), n);
  std::vector<T> pieces(static_cast<std::size_t>(n));
  for (int64_t start = 0; start < n; start += chunk) {
    Rng rng(99);
    rng.set_state({.seed = 99,
                   .counter_low = 12345 + static_cast<uint64_t>(start / elements_per_block),
                   .counter_high = 0});
    fill(rng, pieces.data() + start, std::min(chunk, n - start));
  }
  EXPECT_TRUE(whole == pieces);
  EXPECT_EQ(whole_rng.state().counter_low,
            12345 + static_cast<uint64_t>((n + elements_per_block - 1) / elements_per_block));
}

TEST(Rng, ElementValuesDependOnlyOnTheirIndex) {
  expect_chunks_match_whole<float>(10'000'000, 200'000, 4,
                                   [](Rng& r, float* p, int64_t n) { r.uniform(p, n, -1, 3); });
  expect_chunks_match_whole<double>(2'000'000, 100'000, 2,
                                    [](Rng& r, double* p, int64_t n) { r.uniform(p, n, -1, 3); });
  expect_chunks_match_whole<float>(2'000'000, 100'000, 2,
                                   [](Rng& r, float* p, int64_t n) { r.normal(p, n, 0, 1); });
  expect_chunks_match_whole<double>(1'000'000, 50'000, 1,
                                    [](Rng& r, double* p, int64_t n) { r.truncated_normal(p, n, 0, 1); });
}

TEST(Rng, DrawIsAPrefixOfALongerDraw) {
  Rng a(8), b(8);
  std::vector<double> short_draw(999), long_draw(1000);
  a.truncated_normal(short_draw.data(), 999, 0, 1);
  b.truncated_normal(long_draw.data(), 1000, 0, 1);
  EXPECT_TRUE(std::equal(short_draw.begin(), short_draw.end(), long_draw.begin()));
}

TEST(Rng, FloatAndDoubleNormalsAgreeUpToRounding) {
  Rng a(21), b(21);
  std::vector<float> f(1001);
  std::vector<double> d(1001);
  a.normal(f.data(), 1001, 0.5, 2);
  b.normal(d.data(), 1001, 0.5, 2);
  for (std::size_t i = 0; i < f.size(); ++i) EXPECT_EQ(f[i], static_cast<float>(d[i])) << i;
}

TEST(Rng, UniformNeverReachesHighThroughRounding) {
  // One ulp wide: low + width * u rounds up to high for about half of all u.
  const double low = 1.0, high = std::nextafter(1.0, 2.0);
  Rng rng(1);
  std::vector<double> d(10000);
  rng.uniform(d.data(), 10000, low, high);
  for (double v : d) ASSERT_EQ(v, low);
  std::vector<float> f(10000);
  rng.uniform(f.data(), 10000, 1.0, static_cast<double>(std::nextafter(1.0f, 2.0f)));
  for (float v : f) ASSERT_EQ(v, 1.0f);
  rng.uniform(f.data(), 10000, 2.5, 2.5);
  for (float v : f) ASSERT_EQ(v, 2.5f) << "an empty interval gives low";
}

TEST(Rng, UniformFloatMatchesItsDistribution) {
  Rng rng(1001);
  std::vector<float> v(1'000'000);
  rng.uniform(v.data(), 1'000'000, -0.25, 0.75);
  for (float x : v) ASSERT_TRUE(x >= -0.25f && x < 0.75f) << x;
  expect_distribution(to_double(v), testing::uniform_expected(-0.25, 0.75), "Rng::uniform(float)");
}

TEST(Rng, UniformDoubleMatchesItsDistribution) {
  Rng rng(1002);
  std::vector<double> v(1'000'000);
  rng.uniform(v.data(), 1'000'000, 2, 5);
  for (double x : v) ASSERT_TRUE(x >= 2 && x < 5) << x;
  expect_distribution(v, testing::uniform_expected(2, 5), "Rng::uniform(double)");
}

TEST(Rng, NormalMatchesItsDistribution) {
  Rng rng(1003);
  std::vector<double> v(1'000'000);
  rng.normal(v.data(), 1'000'000, -1, 3);
  expect_distribution(v, testing::normal_expected(-1, 3), "Rng::normal");
  // Both Box-Muller outputs are used; they must be uncorrelated (6 standard errors, ~2e-9).
  double c = 0, s = 0;
  for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
    c += (v[i] + 1) * (v[i + 1] + 1);
    s += (v[i] + 1) * (v[i] + 1);
  }
  EXPECT_LT(std::abs(c / s), 6.0 / std::sqrt(500000.0));
  const std::vector<double> evens = [&] {
    std::vector<double> e;
    for (std::size_t i = 0; i < v.size(); i += 2) e.push_back(v[i]);
    return e;
  }();
  expect_distribution(evens, testing::normal_expected(-1, 3), "Rng::normal, first outputs only");
}

TEST(Rng, TruncatedNormalMatchesItsDistribution) {
  Rng rng(1004);
  std::vector<float> v(1'000'000);
  rng.truncated_normal(v.data(), 1'000'000, 0.5, 0.1);
  for (float x : v) ASSERT_LE(std::abs(x - 0.5), 0.2 + 1e-7) << x;
  expect_distribution(to_double(v), testing::truncated_normal_expected(0.5, 0.1), "Rng::truncated_normal");
}

TEST(DistributionChecks, KsTestRejectsAWrongDistribution) {
  Rng rng(1005);
  std::vector<double> v(1'000'000);
  rng.normal(v.data(), 1'000'000, 0, 1);
  EXPECT_GT(testing::ks_statistic(v, testing::normal_expected(0, 1.03).cdf), testing::kKsCritical);
  EXPECT_GT(testing::ks_statistic(v, testing::truncated_normal_expected(0, 1).cdf), testing::kKsCritical);
  EXPECT_LE(testing::ks_statistic(v, testing::normal_expected(0, 1).cdf), testing::kKsCritical);
}

TEST(Rng, NextDoubleIsUniformOnTheUnitInterval) {
  Rng rng(1006);
  std::vector<double> v(200'000);
  for (double& x : v) {
    x = rng.next_double();
    ASSERT_TRUE(x >= 0 && x < 1);
  }
  expect_distribution(v, testing::uniform_expected(0, 1), "Rng::next_double");
}

TEST(Rng, NextBelowIsUnbiased) {
  Rng rng(1007);
  constexpr int kBound = 6;
  constexpr int kDraws = 600'000;
  std::vector<int> counts(kBound, 0);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t k = rng.next_below(kBound);
    ASSERT_LT(k, uint64_t{kBound});
    ++counts[k];
  }
  // Each count is Binomial(n, 1/6); 6 standard deviations (false-failure rate ~1e-8 for all six).
  const double expected = kDraws / double{kBound};
  const double sd = std::sqrt(kDraws * (1.0 / kBound) * (1 - 1.0 / kBound));
  for (int c : counts) EXPECT_NEAR(c, expected, 6 * sd);
  // Just above 2^63 about half of all 64-bit words are rejected; the result must still be in range
  // and both halves of the range must occur.
  const uint64_t big = (uint64_t{1} << 63) + 1;
  int high_half = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t k = rng.next_below(big);
    ASSERT_LT(k, big);
    high_half += k >= big / 2 ? 1 : 0;
  }
  EXPECT_GT(high_half, 0);
  EXPECT_LT(high_half, 1000);
  EXPECT_EQ(rng.next_below(1), 0u);
}

TEST(Rng, RejectsBadArguments) {
  Rng rng(0);
  std::vector<double> v(4);
  EXPECT_THROW(rng.uniform(v.data(), -1, 0, 1), Error);
  EXPECT_THROW(rng.uniform(v.data(), 4, 1, 0), Error);
  EXPECT_THROW(rng.uniform(v.data(), 4, 0, std::numeric_limits<double>::infinity()), Error);
  EXPECT_THROW(rng.normal(v.data(), 4, 0, -1), Error);
  EXPECT_THROW(rng.truncated_normal(v.data(), 4, std::nan(""), 1), Error);
  EXPECT_THROW(rng.next_below(0), Error);
  try {
    rng.uniform(v.data(), 4, 1, 0);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("low=1, high=0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rng.state().counter_low, 0u) << "a refused draw must not advance the counter";
}

TEST(DefaultRng, IsPerThreadAndReseededBySetSeed) {
  set_seed(77);
  EXPECT_EQ(default_rng().state(), Rng(77).state());
  const double first = default_rng().next_double();
  set_seed(77);
  EXPECT_EQ(default_rng().next_double(), first);
  Rng::State other_thread;
  std::thread([&] { other_thread = default_rng().state(); }).join();
  EXPECT_EQ(other_thread.seed, 0u) << "set_seed on one thread leaves other threads alone";
}

TEST(RandomCreation, TensorsHoldTheGeneratorsDraws) {
  for (DType dtype : {DType::float32, DType::float64}) {
    Rng a(12), b(12);
    const Tensor u = uniform({3, 5}, a, -2, 2, dtype);
    EXPECT_EQ(u.shape(), (Shape{3, 5}));
    EXPECT_EQ(u.dtype(), dtype);
    std::vector<double> expected(15);
    if (dtype == DType::float32) {
      std::vector<float> f(15);
      b.uniform(f.data(), 15, -2, 2);
      expected.assign(f.begin(), f.end());
    } else {
      b.uniform(expected.data(), 15, -2, 2);
    }
    EXPECT_EQ(u.to_vector(), expected);
    const Tensor n = normal({4, 4}, a, 1, 0.5, dtype);
    std::vector<double> nd(16);
    b.normal(nd.data(), 16, 1, 0.5);
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(n.to_vector()[i], dtype == DType::float32 ? double(float(nd[i])) : nd[i]);
    const Tensor t = truncated_normal({1000}, a, 0, 1, dtype);
    for (double x : t.to_vector()) ASSERT_LT(std::abs(x), 2.0);
    EXPECT_EQ(a.state(), [&] {
      std::vector<double> skip(1000);
      b.truncated_normal(skip.data(), 1000, 0, 1);
      return b.state();
    }());
  }
  Rng rng(1);
  EXPECT_EQ(uniform({}, rng).numel(), 1);
  EXPECT_EQ(normal({0, 3}, rng).numel(), 0);
}

}  // namespace
}  // namespace gradlab
