#include "gradlab/tensor/rng.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <thread>
#include <type_traits>
#include <vector>

#include "gradlab/error.h"
#include "tensor/philox.h"

namespace gradlab {
namespace {

using detail::PhiloxCounter;
using detail::PhiloxKey;

// Below this many blocks a fill stays on the calling thread: one block costs a few nanoseconds and
// starting a thread tens of microseconds.
constexpr uint64_t kParallelMinBlocks = uint64_t{1} << 16;
constexpr unsigned kMaxFillThreads = 8;

// Retries of a truncated-normal element live 2^96 blocks apart, far beyond any counter a program can
// reach by drawing, so they never collide with the blocks of later draws.
constexpr uint64_t kRetryStrideHigh = uint64_t{1} << 32;

constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Counter128 {
  uint64_t low;
  uint64_t high;
};

Counter128 add(Counter128 c, uint64_t blocks) {
  const uint64_t low = c.low + blocks;
  return {low, c.high + (low < c.low ? 1 : 0)};
}

PhiloxCounter block_at(const Rng::State& s, uint64_t block, uint64_t retry = 0) {
  const Counter128 c = add({s.counter_low, s.counter_high}, block);
  return detail::philox_counter(c.low, c.high + retry * kRetryStrideHigh);
}

// 24 random bits as a float-exact value in [0, 1).
inline double unit24(uint32_t w) { return static_cast<double>(w >> 8) * 0x1p-24; }
// 53 random bits in [0, 1).
inline double unit53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((uint64_t{hi} << 32) | lo) >> 11) * 0x1p-53;
}

// Box-Muller on two 53-bit uniforms; 1 - u keeps the logarithm's argument in (0, 1].
inline void box_muller(const PhiloxCounter& w, double& z0, double& z1) {
  const double u1 = 1.0 - unit53(w[0], w[1]);
  const double u2 = unit53(w[2], w[3]);
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}

// Runs fn(first_block, end_block) over [0, blocks), split across threads for big fills. Each block's
// output depends only on its index, so the split never changes the values.
template <typename Fn>
void for_blocks(uint64_t blocks, Fn fn) {
  if (blocks < kParallelMinBlocks) {
    fn(uint64_t{0}, blocks);
    return;
  }
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const uint64_t threads =
      std::min<uint64_t>({uint64_t{hw}, uint64_t{kMaxFillThreads}, blocks / (kParallelMinBlocks / 2)});
  if (threads <= 1) {
    fn(uint64_t{0}, blocks);
    return;
  }
  const uint64_t per = (blocks + threads - 1) / threads;
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (uint64_t t = 1; t < threads; ++t) {
    const uint64_t b0 = std::min(blocks, t * per);
    const uint64_t b1 = std::min(blocks, b0 + per);
    workers.emplace_back([=] { fn(b0, b1); });
  }
  fn(uint64_t{0}, std::min(blocks, per));
  for (auto& w : workers) w.join();
}

void check_count(const char* what, int64_t n) {
  if (n < 0) fail("Rng::{}: element count must be >= 0, got {}", what, n);
}

void check_interval(double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high) || !(low <= high) || !std::isfinite(high - low)) {
    fail("Rng::uniform: expected finite low <= high, got low={}, high={}", low, high);
  }
}

void check_normal(const char* what, double mean, double stddev) {
  if (!std::isfinite(mean) || !std::isfinite(stddev) || stddev < 0) {
    fail("Rng::{}: expected a finite mean and a finite stddev >= 0, got mean={}, stddev={}", what, mean,
         stddev);
  }
}

// The largest T strictly below `high` (as T rounds it), so rounding never yields high itself.
template <typename T>
T below(double high) {
  T h = static_cast<T>(high);
  if (static_cast<double>(h) >= high) h = std::nextafter(h, -std::numeric_limits<T>::infinity());
  return h;
}

// Elements [first, first + n) of a uniform draw of `total` values; the counter advances as the whole
// draw's, so a draw split into parts gives the values of the draw made at once.
template <typename T>
void fill_uniform(Rng::State& state, T* out, int64_t total, int64_t first, int64_t n, double low, double high) {
  check_count("uniform", total);
  if (first < 0 || n < 0 || first > total - n) {
    fail("Rng::uniform_part: elements [{}, {} + {}) are not within a draw of {}", first, first, n, total);
  }
  check_interval(low, high);
  constexpr uint64_t per_block = std::is_same_v<T, float> ? 4 : 2;
  const auto begin = static_cast<uint64_t>(first);
  const uint64_t end = begin + static_cast<uint64_t>(n);
  const uint64_t blocks = (static_cast<uint64_t>(total) + per_block - 1) / per_block;
  const uint64_t first_block = begin / per_block;
  const uint64_t end_block = (end + per_block - 1) / per_block;
  const Rng::State start = state;
  const PhiloxKey key = detail::philox_key(start.seed);
  const double width = high - low;
  const T top = high > low ? below<T>(high) : static_cast<T>(low);
  for_blocks(end_block - first_block, [&](uint64_t b0, uint64_t b1) {
    for (uint64_t b = first_block + b0; b < first_block + b1; ++b) {
      const PhiloxCounter w = detail::philox4x32_10(block_at(start, b), key);
      for (uint64_t j = 0; j < per_block; ++j) {
        const uint64_t i = b * per_block + j;
        if (i < begin || i >= end) continue;
        const double u = per_block == 4 ? unit24(w[j]) : unit53(w[2 * j], w[2 * j + 1]);
        out[i - begin] = std::min(static_cast<T>(low + width * u), top);
      }
    }
  });
  const Counter128 next = add({start.counter_low, start.counter_high}, blocks);
  state.counter_low = next.low;
  state.counter_high = next.high;
}

template <typename T>
void fill_normal(Rng::State& state, T* out, int64_t n, double mean, double stddev) {
  check_count("normal", n);
  check_normal("normal", mean, stddev);
  const uint64_t count = static_cast<uint64_t>(n);
  const uint64_t blocks = (count + 1) / 2;
  const Rng::State start = state;
  const PhiloxKey key = detail::philox_key(start.seed);
  for_blocks(blocks, [&](uint64_t b0, uint64_t b1) {
    for (uint64_t b = b0; b < b1; ++b) {
      double z0 = 0, z1 = 0;
      box_muller(detail::philox4x32_10(block_at(start, b), key), z0, z1);
      out[2 * b] = static_cast<T>(mean + stddev * z0);
      if (2 * b + 1 < count) out[2 * b + 1] = static_cast<T>(mean + stddev * z1);
    }
  });
  const Counter128 next = add({start.counter_low, start.counter_high}, blocks);
  state.counter_low = next.low;
  state.counter_high = next.high;
}

// One block per element: element i tries the Box-Muller pair of block i, then of its retry blocks,
// so its value depends on nothing but (seed, start counter, i).
template <typename T>
void fill_truncated_normal(Rng::State& state, T* out, int64_t n, double mean, double stddev) {
  check_count("truncated_normal", n);
  check_normal("truncated_normal", mean, stddev);
  const uint64_t count = static_cast<uint64_t>(n);
  const Rng::State start = state;
  const PhiloxKey key = detail::philox_key(start.seed);
  for_blocks(count, [&](uint64_t b0, uint64_t b1) {
    for (uint64_t i = b0; i < b1; ++i) {
      double z = 0;
      // Both outputs of a pair fall beyond 2 with probability 0.002, so this ends after a few tries.
      for (uint64_t attempt = 0;; ++attempt) {
        double z0 = 0, z1 = 0;
        box_muller(detail::philox4x32_10(block_at(start, i, attempt), key), z0, z1);
        if (std::abs(z0) < 2.0) {
          z = z0;
          break;
        }
        if (std::abs(z1) < 2.0) {
          z = z1;
          break;
        }
      }
      out[i] = static_cast<T>(mean + stddev * z);
    }
  });
  const Counter128 next = add({start.counter_low, start.counter_high}, count);
  state.counter_low = next.low;
  state.counter_high = next.high;
}

}  // namespace

Rng::Rng(uint64_t seed) { state_.seed = seed; }

Rng Rng::fork(uint64_t stream) const {
  return Rng(mix64(state_.seed ^ mix64(stream + 0x9E3779B97F4A7C15ull)));
}

void Rng::uniform(float* out, int64_t n, double low, double high) { fill_uniform(state_, out, n, 0, n, low, high); }
void Rng::uniform(double* out, int64_t n, double low, double high) {
  fill_uniform(state_, out, n, 0, n, low, high);
}
void Rng::uniform_part(float* out, int64_t total, int64_t first, int64_t n, double low, double high) {
  fill_uniform(state_, out, total, first, n, low, high);
}
void Rng::uniform_part(double* out, int64_t total, int64_t first, int64_t n, double low, double high) {
  fill_uniform(state_, out, total, first, n, low, high);
}
void Rng::normal(float* out, int64_t n, double mean, double stddev) {
  fill_normal(state_, out, n, mean, stddev);
}
void Rng::normal(double* out, int64_t n, double mean, double stddev) {
  fill_normal(state_, out, n, mean, stddev);
}
void Rng::truncated_normal(float* out, int64_t n, double mean, double stddev) {
  fill_truncated_normal(state_, out, n, mean, stddev);
}
void Rng::truncated_normal(double* out, int64_t n, double mean, double stddev) {
  fill_truncated_normal(state_, out, n, mean, stddev);
}

double Rng::next_double() {
  const PhiloxCounter w = detail::philox4x32_10(block_at(state_, 0), detail::philox_key(state_.seed));
  const Counter128 next = add({state_.counter_low, state_.counter_high}, 1);
  state_.counter_low = next.low;
  state_.counter_high = next.high;
  return unit53(w[0], w[1]);
}

uint64_t Rng::next_below(uint64_t bound) {
  if (bound == 0) fail("Rng::next_below: bound must be positive, got 0");
  // Values below 2^64 mod bound are rejected so that each residue is hit equally often.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const PhiloxCounter w = detail::philox4x32_10(block_at(state_, 0), detail::philox_key(state_.seed));
    const Counter128 next = add({state_.counter_low, state_.counter_high}, 1);
    state_.counter_low = next.low;
    state_.counter_high = next.high;
    const uint64_t x = (uint64_t{w[0]} << 32) | w[1];
    if (x >= threshold) return x % bound;
  }
}

Rng& default_rng() {
  thread_local Rng rng(0);
  return rng;
}

void set_seed(uint64_t seed) { default_rng() = Rng(seed); }

}  // namespace gradlab
