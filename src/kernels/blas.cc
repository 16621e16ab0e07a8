#include "kernels/blas.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <thread>
#include <type_traits>

#include "gradlab/error.h"
#include "kernels/onednn.h"
#include "kernels/parallel.h"
#include "kernels/small_product.h"

namespace gradlab::kernels {
namespace {

// Products below this many multiply-adds run as one call on the calling thread: at about 100
// GFLOP/s per core they take under 80 us, where waking a second thread (tens of microseconds on a
// busy machine) gains little. A recurrent step's 32 x 128 x 512 product (2^21) stays whole.
constexpr int64_t kSplitMultiplyAdds = int64_t{1} << 22;
// Without AVX-512, float32 products from this many multiply-adds go to OpenBLAS (float_on_openblas).
constexpr int64_t kOpenBlasMultiplyAdds = int64_t{1} << 25;
// Larger products are cut into a power of two of strips, at least two, each at least this wide
// where the output allows, so that a strip's packing of its operands stays small beside its work
// and no strip falls into oneDNN's slow narrow shapes.
constexpr int64_t kMinStrip = 512;
constexpr int64_t kMaxStrips = 64;
// Tile sides are multiples of this many elements: whole 64-byte lines of float32 output.
constexpr int64_t kTileAlign = 16;

int64_t floor_power_of_two(int64_t v) {
  int64_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename T>
void scale_output(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// Pins OpenBLAS to one thread once: gemm's tiles are its only source of threads.
void openblas_single_threaded() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

blasint blas_int(int64_t v) { return static_cast<blasint>(v); }

// Which library computes a float32 product, by CPU and shape (never by thread count). Measured on an
// AVX2-only Zen 3 (2026-12-07): OpenBLAS's own Zen sgemm ran a training step's products (256 x 1024 x
// 1024, 784 x 1024 x 256, ...) 1.3x faster than oneDNN's AVX2 JIT, which ran the lesson's small
// products (32 x 32 x 128) 1.3x and the deep probe's 128 x 256 x 256 1.1x faster than OpenBLAS. With AVX-512, oneDNN ran twice as fast as
// OpenBLAS on every shape (issue 12, on Zen 5). A rule by the inner dimension was measured as well
// (bench/product_library.cc, one thread, 2026-12-07): for large products with k < 512 oneDNN was faster
// on most shapes (3200 x 512 x 128: 85-95 against 77-84 GFLOP/s) but 25-50% slower on some (512 x 512
// x 256: 54-67 against 70-90; 256 x 4096 x 128: 43-48 against 68-83), and its rate on one shape moved
// with where the operands lay in memory (256 x 1024 x 784: 83 in one program, 43 in another), so the
// choice stays by size alone.
bool float_on_openblas(int64_t m, int64_t n, int64_t k) {
  static const bool avx512 = cpu_runs(SmallProductIsa::avx512);
  return !avx512 && m * n * k >= kOpenBlasMultiplyAdds;
}

// One tile on the calling thread alone: float32 on oneDNN (or OpenBLAS, float_on_openblas), float64
// on OpenBLAS. oneDNN would otherwise open an OpenMP team on every thread that calls it (sweep
// workers, the pool's workers), and OpenBLAS would use its own thread pool. Runs on pool workers, so
// it reports failure instead of throwing.
bool single_threaded_product(bool openblas, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                             const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                             int64_t ldc) {
  if (openblas) {
    openblas_single_threaded();
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, blas_int(m),
                blas_int(n), blas_int(k), alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
    return true;
  }
  onednn_on_this_thread_only();
  return dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == dnnl_success;
}

bool single_threaded_product(bool, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                             int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  openblas_single_threaded();
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, blas_int(m),
              blas_int(n), blas_int(k), alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
  return true;
}

void check_blas_range(int64_t v, const char* what) {
  if (v > std::numeric_limits<blasint>::max()) fail("matmul: {} = {} exceeds the BLAS integer range", what, v);
}

int default_threads() {
  if (const char* env = std::getenv("GRADLAB_NUM_THREADS")) {
    const std::string_view text(env);
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end == text.data() + text.size() && value >= 1) return value;
  }
  // The cores this process may run on (taskset, cgroups), not every core of the machine.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> threads{default_threads()};
  return threads;
}

}  // namespace

ProductTiling product_tiling(int64_t m, int64_t n, int64_t k) {
  if (m * n * k < kSplitMultiplyAdds) return {m, n, 1, 1};
  // Strips along the longer side of the output only: oneDNN's sgemm is as fast on a half as on the
  // whole, but measured on AVX2 a transposed-A product cut to 256 rows or columns ran 2.6x slower.
  const bool by_columns = n >= m;
  const int64_t extent = by_columns ? n : m;
  const int64_t strips = std::min(kMaxStrips, std::max<int64_t>(2, floor_power_of_two(extent / kMinStrip)));
  const int64_t side = std::min(extent, ceil_div(ceil_div(extent, strips), kTileAlign) * kTileAlign);
  if (by_columns) return {m, side, 1, ceil_div(n, side)};
  return {side, n, ceil_div(m, side), 1};
}

template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  // BLAS rejects a zero-sized inner dimension's leading dimension; the product is then beta * c.
  if (k == 0) {
    scale_output(m, n, beta, c, ldc);
    return;
  }
  // Measured on Zen 5 with AVX-512 (bench/product_library, one thread, 2026-12-07): small_product ran
  // the lesson probe's products 1.1-2.7x as fast as oneDNN's sgemm (32 x 32 x 32: 190 against 91
  // GFLOP/s; with b transposed, 149 against 55) and those at 2^18 multiply-adds 1.2-1.8x; just above
  // it the two ran level (128 x 128 x 64: 226 against 228).
  if constexpr (std::is_same_v<T, float>) {
    if (m * n * k <= kSmallProductMultiplyAdds) {
      small_product(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
  }
  lda = std::max<int64_t>(lda, 1);
  ldb = std::max<int64_t>(ldb, 1);
  ldc = std::max<int64_t>(ldc, 1);
  const bool openblas = std::is_same_v<T, double> || float_on_openblas(m, n, k);
  if (openblas) {
    for (const auto& [v, what] : {std::pair{m, "m"}, {n, "n"}, {k, "k"}, {lda, "lda"}, {ldb, "ldb"}, {ldc, "ldc"}}) {
      check_blas_range(v, what);
    }
  }
  const ProductTiling t = product_tiling(m, n, k);
  std::atomic<bool> failed{false};
  const auto tile = [&](int64_t index) {
    const int64_t i0 = (index / t.col_tiles) * t.tile_rows, j0 = (index % t.col_tiles) * t.tile_cols;
    const int64_t rows = std::min(t.tile_rows, m - i0), cols = std::min(t.tile_cols, n - j0);
    // Rows i0.. of op(a) and columns j0.. of op(b), wherever the transposes put them in memory.
    const T* a_tile = transpose_a ? a + i0 : a + i0 * lda;
    const T* b_tile = transpose_b ? b + j0 * ldb : b + j0;
    if (!single_threaded_product(openblas, transpose_a, transpose_b, rows, cols, k, alpha, a_tile, lda, b_tile, ldb, beta,
                                 c + i0 * ldc + j0, ldc)) {
      failed.store(true, std::memory_order_relaxed);
    }
  };
  const int64_t tiles = t.row_tiles * t.col_tiles;
  if (tiles == 1) {
    tile(0);
  } else {
    parallel_for(tiles, blas_threads(), tile);
  }
  if (failed.load()) fail("matmul: oneDNN's sgemm failed on {} x {} x {} (lda {}, ldb {}, ldc {})", m, n, k, lda, ldb, ldc);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                          int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

int blas_threads() { return thread_setting().load(std::memory_order_relaxed); }

void set_blas_threads(int threads) { thread_setting().store(std::max(threads, 1), std::memory_order_relaxed); }

}  // namespace gradlab::kernels
