// The one place products go through (src/kernels/blas.h): results against a plain loop for every
// transpose, leading dimension and beta; the tiling that makes results independent of the thread
// count; and the pool that shares the tiles out.
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "kernels/blas.h"
#include "kernels/parallel.h"

namespace gradlab::kernels {
namespace {

template <typename T>
std::vector<T> random_values(size_t count, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(u(gen));
  return v;
}

// c[i, j] = alpha * sum_p op(a)[i, p] op(b)[p, j] + beta * c[i, j], summed in long double; bound[i, j]
// is the rounding error any order of float summation may make (Higham, "Accuracy and Stability of
// Numerical Algorithms", 2002, eq. 3.5: gamma_k times the sum of the terms' magnitudes), plus the
// roundings of alpha * sum and of beta * c.
template <typename T>
void reference_product(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                       const T* b, int64_t ldb, T beta, T* c, int64_t ldc, std::vector<double>& bound) {
  const double u = std::numeric_limits<T>::epsilon() / 2;
  const double gamma = (k + 2) * u / (1 - (k + 2) * u);
  bound.assign(static_cast<size_t>(m * ldc), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      long double sum = 0, magnitude = 0;
      for (int64_t p = 0; p < k; ++p) {
        const T x = ta ? a[p * lda + i] : a[i * lda + p];
        const T y = tb ? b[j * ldb + p] : b[p * ldb + j];
        sum += static_cast<long double>(x) * y;
        magnitude += std::fabs(static_cast<long double>(x) * y);
      }
      const long double old = beta == T(0) ? 0.0L : static_cast<long double>(beta) * c[i * ldc + j];
      c[i * ldc + j] = static_cast<T>(alpha * sum + old);
      bound[static_cast<size_t>(i * ldc + j)] =
          static_cast<double>(gamma * (std::fabs(alpha) * magnitude + std::fabs(old)) + u * std::fabs(alpha * sum + old));
    }
  }
}

template <typename T>
void expect_matches_reference(int64_t m, int64_t n, int64_t k, T alpha, T beta, int64_t pad) {
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      const int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
      const std::vector<T> a = random_values<T>(static_cast<size_t>((ta ? k : m) * lda), 1);
      const std::vector<T> b = random_values<T>(static_cast<size_t>((tb ? n : k) * ldb), 2);
      std::vector<T> c = random_values<T>(static_cast<size_t>(m * ldc), 3);
      std::vector<T> expected = c;
      // With beta 0 the old output is never read, not even as NaN * 0.
      if (beta == T(0)) std::fill(c.begin(), c.end(), std::numeric_limits<T>::quiet_NaN());
      gemm<T>(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
      std::vector<double> bound;
      reference_product<T>(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, expected.data(), ldc, bound);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          ASSERT_NEAR(c[i * ldc + j], expected[i * ldc + j], bound[static_cast<size_t>(i * ldc + j)] + 1e-300)
              << m << "x" << n << "x" << k << " transpose " << ta << tb << " at " << i << "," << j;
        }
      }
    }
  }
}

TEST(Products, MatchAPlainLoopForEveryTransposeLeadingDimensionAndBeta) {
  for (const auto& [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {3, 5, 7}, {32, 32, 128},
                                {33, 17, 65}, {130, 300, 70}, {300, 130, 70},
                                // Large enough to be cut into strips, then (without AVX-512) to go to OpenBLAS.
                                {130, 300, 130}, {256, 520, 260}}) {
    for (const int64_t pad : {0, 3}) {
      expect_matches_reference<float>(m, n, k, 1.0f, 0.0f, pad);
      expect_matches_reference<float>(m, n, k, -0.5f, 1.0f, pad);
      expect_matches_reference<double>(m, n, k, 1.0, 0.0, pad);
      expect_matches_reference<double>(m, n, k, 2.0, -0.25, pad);
    }
  }
}

TEST(Products, AnEmptyInnerDimensionScalesTheOutput) {
  std::vector<float> c{1, 2, 3, 4};
  gemm<float>(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 0.5f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1, 1.5f, 2}));
  c.assign(4, std::numeric_limits<float>::quiet_NaN());
  gemm<float>(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>(4, 0.0f)));
}

TEST(ProductTiling, CoversTheOutputOnceWithAlignedTiles) {
  for (const auto& [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{32, 32, 128}, {256, 1024, 1024},
                                {128, 10, 1024}, {1024, 1024, 256}, {257, 300, 529}, {1, 4096, 4096},
                                {4096, 1, 4096}, {16, 16, 1 << 20}}) {
    const ProductTiling t = product_tiling(m, n, k);
    ASSERT_GE(t.row_tiles, 1);
    ASSERT_GE(t.col_tiles, 1);
    // Tiles cover the rows and columns exactly: every tile but the last is full, the last not empty.
    EXPECT_GE(t.row_tiles * t.tile_rows, m);
    EXPECT_LT((t.row_tiles - 1) * t.tile_rows, m);
    EXPECT_GE(t.col_tiles * t.tile_cols, n);
    EXPECT_LT((t.col_tiles - 1) * t.tile_cols, n);
    if (t.row_tiles > 1) {
      EXPECT_EQ(t.tile_rows % 16, 0);
    }
    if (t.col_tiles > 1) {
      EXPECT_EQ(t.tile_cols % 16, 0);
    }
  }
}

TEST(ProductTiling, SmallProductsAreOneTileAndLargeOnesAreShared) {
  const ProductTiling lesson = product_tiling(32, 32, 128);
  EXPECT_EQ(lesson.row_tiles * lesson.col_tiles, 1);
  // The products of an MLP training step with 1024 units and batch 256.
  for (const auto& [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{256, 1024, 1024}, {1024, 1024, 256},
                                {256, 1024, 784}, {784, 1024, 256}}) {
    const ProductTiling t = product_tiling(m, n, k);
    EXPECT_GE(t.row_tiles * t.col_tiles, 2) << m << "x" << n << "x" << k;
    EXPECT_EQ(t.row_tiles * t.col_tiles % 2, 0) << "an even count shares evenly between two cores";
  }
}

TEST(ParallelTasks, RunsEveryIndexExactlyOnceForAnyThreadCount) {
  for (const int threads : {1, 2, 3, 8}) {
    for (const int64_t count : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{64}}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      parallel_for(count, threads, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < count; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << i;
    }
  }
}

TEST(ParallelTasks, ConcurrentCallersEachFinishTheirOwnTasks) {
  constexpr int kCallers = 4;
  constexpr int64_t kCount = 200;
  std::vector<std::vector<std::atomic<int>>> hits(kCallers);
  for (auto& h : hits) h = std::vector<std::atomic<int>>(kCount);
  {
    std::vector<std::jthread> callers;
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        for (int round = 0; round < 20; ++round) {
          parallel_for(kCount, 2, [&](int64_t i) { hits[c][static_cast<size_t>(i)].fetch_add(1); });
        }
      });
    }
  }
  for (auto& h : hits) {
    for (auto& x : h) EXPECT_EQ(x.load(), 20);
  }
}

// A task that makes a parallel call of its own (a recurrent layer's block of rows calling a product
// cut into tiles) runs the inner tasks itself, on whichever thread runs the outer task, the calling
// thread included; every inner index runs once and the thread count is honoured afterwards.
TEST(ParallelTasks, ACallFromInsideATaskRunsItsTasksOnThatThread) {
  constexpr int64_t kOuter = 8, kInner = 16;
  std::vector<std::atomic<int>> hits(static_cast<size_t>(kOuter * kInner));
  std::atomic<int> other_thread{0};
  parallel_for(kOuter, 2, [&](int64_t o) {
    const std::thread::id outer = std::this_thread::get_id();
    parallel_for(kInner, 2, [&](int64_t i) {
      hits[static_cast<size_t>(o * kInner + i)].fetch_add(1);
      if (std::this_thread::get_id() != outer) other_thread.fetch_add(1);
    });
  });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_EQ(other_thread.load(), 0);
  std::vector<std::atomic<int>> after(64);
  parallel_for(64, 2, [&](int64_t i) { after[static_cast<size_t>(i)].fetch_add(1); });
  for (const auto& h : after) EXPECT_EQ(h.load(), 1);
}

// A process forked after the pool's workers started (Python's multiprocessing does this) has none of
// them; its parallel calls must still finish, on its own thread.
TEST(ParallelTasks, AForkedChildFinishesItsTasksWithoutThePoolsWorkers) {
  std::atomic<int> warm{0};
  parallel_for(8, 2, [&](int64_t) { warm.fetch_add(1); });
  ASSERT_EQ(warm.load(), 8);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::atomic<int> hits{0};
    parallel_for(64, 2, [&](int64_t) { hits.fetch_add(1); });
    _exit(hits.load() == 64 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace gradlab::kernels
