// The machine's measured float32 FMA peak and sgemm rate, the yardstick for every GEMM-bound figure.
//
//   build-bench/bench/peak                 # 1 thread: FMA peak (AVX2, and AVX-512 where the CPU has it), sgemm
//   build-bench/bench/peak --threads 2     # that many threads at once, summed
//   build-bench/bench/peak --json          # one JSON object (bench/compare.py reads it)
//
// The FMA peak runs independent chains of fused multiply-adds on registers only (twelve
// accumulators, more than an FMA's latency times the FMA units, so no chain waits on its previous
// result); it is the rate no product can exceed. The sgemm rate is gradlab's own product
// (src/kernels/blas.h: oneDNN's sgemm in shape-fixed tiles) on 1024 x 1024 x 1024 with
// GRADLAB_NUM_THREADS threads.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/threads.h"
#include "gradlab/autograd/math_ops.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr long kRounds = 1L << 24;

// Twelve accumulators x += a * b, one FMA each per round, written as one asm block so that the
// compiler keeps them in registers and cannot fold or reorder the chains. Returns the FLOPs done.
#define GRADLAB_FMA12(op, reg)                                                                           \
  __asm__ volatile(op " %[a], %[b], %[x0]\n\t" op " %[a], %[b], %[x1]\n\t" op " %[a], %[b], %[x2]\n\t" \
                   op " %[a], %[b], %[x3]\n\t" op " %[a], %[b], %[x4]\n\t" op " %[a], %[b], %[x5]\n\t" \
                   op " %[a], %[b], %[x6]\n\t" op " %[a], %[b], %[x7]\n\t" op " %[a], %[b], %[x8]\n\t" \
                   op " %[a], %[b], %[x9]\n\t" op " %[a], %[b], %[x10]\n\t" op " %[a], %[b], %[x11]"     \
                   : [x0] "+" reg(x0), [x1] "+" reg(x1), [x2] "+" reg(x2), [x3] "+" reg(x3), [x4] "+" reg(x4), \
                     [x5] "+" reg(x5), [x6] "+" reg(x6), [x7] "+" reg(x7), [x8] "+" reg(x8), [x9] "+" reg(x9), \
                     [x10] "+" reg(x10), [x11] "+" reg(x11)                                                  \
                   : [a] reg(a), [b] reg(b))

__attribute__((target("avx2,fma"))) double fma_avx2() {
  __m256 x0 = _mm256_set1_ps(0.0f), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0, x8 = x0,
         x9 = x0, x10 = x0, x11 = x0;
  const __m256 a = _mm256_set1_ps(1e-7f), b = _mm256_set1_ps(0.5f);
  for (long r = 0; r < kRounds; ++r) GRADLAB_FMA12("vfmadd231ps", "x");
  float sink[8];
  _mm256_storeu_ps(sink, _mm256_add_ps(_mm256_add_ps(x0, x11), _mm256_add_ps(x5, x6)));
  return sink[0] > 1e30f ? 0.0 : 12.0 * 8 * 2 * kRounds;
}

__attribute__((target("avx512f"))) double fma_avx512() {
  __m512 x0 = _mm512_set1_ps(0.0f), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0, x8 = x0,
         x9 = x0, x10 = x0, x11 = x0;
  const __m512 a = _mm512_set1_ps(1e-7f), b = _mm512_set1_ps(0.5f);
  for (long r = 0; r < kRounds; ++r) GRADLAB_FMA12("vfmadd231ps", "v");
  float sink[16];
  _mm512_storeu_ps(sink, _mm512_add_ps(_mm512_add_ps(x0, x11), _mm512_add_ps(x5, x6)));
  return sink[0] > 1e30f ? 0.0 : 12.0 * 16 * 2 * kRounds;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// GFLOP/s of `threads` copies of kernel running at once, each over its own thread's CPU time (so a
// shared, loaded machine does not lower it: it is what the cores do while they run), summed (best
// of three runs).
double rate(double (*kernel)(), int threads) {
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    std::vector<double> rates(static_cast<size_t>(threads));
    {
      std::vector<std::jthread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          const double start = thread_cpu_seconds();
          const double flops = kernel();
          rates[static_cast<size_t>(t)] = flops / (thread_cpu_seconds() - start) / 1e9;
        });
      }
    }
    double total = 0;
    for (double r : rates) total += r;
    best = std::max(best, total);
  }
  return best;
}

double sgemm_rate(int threads) {
  using namespace gradlab;
  constexpr int64_t n = 1024;
  Rng rng(1);
  const Tensor a = uniform({n, n}, rng, -1.0, 1.0), b = uniform({n, n}, rng, -1.0, 1.0);
  BlasThreadsScope scope(threads);
  (void)matmul(a, b);
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    const auto start = Clock::now();
    (void)matmul(a, b);
    best = std::max(best, 2.0 * n * n * n / std::chrono::duration<double>(Clock::now() - start).count() / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: peak [--threads N] [--json]\n");
      return 2;
    }
  }
  __builtin_cpu_init();
  const bool has_avx512 = __builtin_cpu_supports("avx512f");
  const double avx2 = rate(fma_avx2, threads);
  const double avx512 = has_avx512 ? rate(fma_avx512, threads) : 0.0;
  const double peak = std::max(avx2, avx512);
  const double sgemm = sgemm_rate(threads);
  if (json) {
    std::printf("{\"threads\": %d, \"fma_peak_gflops\": %.1f, \"avx2_gflops\": %.1f, \"avx512_gflops\": %.1f, "
                "\"sgemm_gflops\": %.1f}\n",
                threads, peak, avx2, avx512, sgemm);
  } else {
    std::printf("threads %d: float32 FMA peak %.1f GFLOP/s (AVX2 %.1f%s), sgemm 1024^3 %.1f GFLOP/s = %.0f%% of peak\n",
                threads, peak, avx2, has_avx512 ? (", AVX-512 " + std::to_string(avx512)).c_str() : ", no AVX-512",
                sgemm, 100.0 * sgemm / peak);
  }
  return 0;
}
