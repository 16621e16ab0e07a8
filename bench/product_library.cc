// Which code runs a float32 product faster on this machine, one thread each: OpenBLAS's cblas_sgemm,
// oneDNN's dnnl_sgemm and, for products of up to 2^22 multiply-adds, gradlab's own small_product, on
// the shapes behind src/kernels/blas.cc's choices (float_on_openblas, kSmallProductMultiplyAdds): a
// training step's products, the recurrent layer's, the deep and lesson probes', an epoch's small
// layers, and large products with a short inner dimension, where oneDNN's AVX2 code is fast on most
// shapes and slow on some.
//
//   build/bench/product_library        # one line per shape: GFLOP/s of each (median of 25)
//
// The operands stay in cache between repetitions ("warm"), so a figure is the kernel's own rate; they
// are 64-byte aligned, as gradlab's tensors are (oneDNN's rate on some shapes moved with the offset of
// plain std::vector buffers).
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/onednn.h"
#include "kernels/small_product.h"

namespace {

struct Product {
  bool ta, tb;
  int64_t m, n, k;
  const char* what;
};

struct FreeBuffer {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeBuffer>;

// `count` floats, 64-byte aligned as Tensor::empty's, all set to `value`.
Buffer aligned_floats(int64_t count, float value) {
  Buffer b(static_cast<float*>(std::aligned_alloc(64, static_cast<std::size_t>((count * 4 + 63) / 64 * 64))));
  std::fill(b.get(), b.get() + count, value);
  return b;
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Median seconds of one call of f over `repetitions` timings, after three unmeasured calls; each
// timing runs enough calls to last about 20 us, so that a sub-microsecond product is not lost in the
// clock's own cost.
template <typename F>
double median_seconds(F f, int repetitions = 25) {
  for (int r = 0; r < 3; ++r) f();
  const auto probe = Clock::now();
  f();
  const int calls = std::max(1, static_cast<int>(20e-6 / std::max(seconds_since(probe), 1e-9)));
  std::vector<double> t;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < calls; ++i) f();
    t.push_back(seconds_since(start) / calls);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main() {
  openblas_set_num_threads(1);
  gradlab::kernels::onednn_on_this_thread_only();
  const std::vector<Product> products = {
      {false, false, 256, 1024, 784, "training step: z = x W, first layer"},
      {true, false, 784, 1024, 256, "training step: dW = x^T dz, first layer"},
      {false, true, 256, 784, 1024, "training step: dx = dz W^T"},
      {false, false, 256, 1024, 1024, "training step: z = x W"},
      {true, false, 1024, 1024, 256, "training step: dW = x^T dz"},
      {false, true, 256, 1024, 1024, "training step: dx = dz W^T"},
      {false, false, 3200, 512, 128, "LSTM: input projection over all steps"},
      {true, false, 128, 512, 3200, "LSTM: kernel gradient over all steps"},
      {false, true, 3200, 128, 512, "LSTM: input gradient over all steps"},
      {false, false, 128, 256, 256, "deep probe: z = x W"},
      {true, false, 256, 256, 128, "deep probe: dW = x^T dz"},
      {false, true, 128, 256, 256, "deep probe: dx = dz W^T"},
      {false, false, 32, 32, 128, "lesson probe: first layer"},
      {false, false, 32, 32, 32, "lesson probe: later layers"},
      {false, true, 32, 32, 32, "lesson probe: dx of later layers"},
      {false, true, 32, 128, 32, "lesson probe: dx of the first layer"},
      {false, false, 32, 32, 192, "lesson probe, concat skip: third layer"},
      {false, true, 32, 192, 32, "lesson probe, concat skip: dx of the third layer"},
      {true, false, 128, 32, 32, "lesson probe: dW of the first layer"},
      {false, false, 128, 10, 100, "epoch: last layer"},
      {true, false, 100, 10, 128, "epoch: dW of the last layer"},
      {false, true, 128, 100, 10, "epoch: dx of the last layer"},
      {false, false, 128, 100, 128, "epoch: third layer"},
      {true, false, 128, 100, 128, "epoch: dW of the third layer"},
      {false, false, 64, 64, 64, "small products' boundary (2^18)"},
      {false, true, 64, 64, 64, "small products' boundary"},
      {true, false, 64, 64, 64, "small products' boundary"},
      {false, false, 64, 64, 128, "above the boundary"},
      {false, false, 128, 128, 64, "above the boundary"},
      {false, false, 64, 256, 64, "above the boundary"},
      {false, true, 64, 256, 64, "above the boundary"},
      {false, false, 128, 128, 128, "above the boundary"},
      {false, false, 1024, 1024, 256, "short inner dimension"},
      {false, false, 512, 512, 256, "short inner dimension"},
      {true, false, 512, 512, 256, "short inner dimension"},
      {false, false, 2048, 512, 128, "short inner dimension"},
      {false, false, 256, 4096, 128, "short inner dimension"},
      {true, false, 256, 4096, 128, "short inner dimension"},
      {false, false, 8192, 128, 64, "short inner dimension"},
      {true, false, 8192, 128, 64, "short inner dimension"},
      {false, true, 1024, 1024, 384, "short inner dimension"},
      {true, false, 512, 512, 512, "square"},
      {false, false, 1024, 1024, 1024, "square"},
  };
  std::printf("%-2s %22s  %9s  %9s  %9s  %s\n", "op", "m x n x k", "OpenBLAS", "oneDNN", "small", "GFLOP/s, one thread");
  for (const Product& p : products) {
    const Buffer a = aligned_floats(p.m * p.k, 0.5f), b = aligned_floats(p.k * p.n, 0.25f), c = aligned_floats(p.m * p.n, 0);
    const int64_t lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
    const double gflop = 2.0 * double(p.m) * double(p.n) * double(p.k) / 1e9;
    const double openblas = median_seconds([&] {
      cblas_sgemm(CblasRowMajor, p.ta ? CblasTrans : CblasNoTrans, p.tb ? CblasTrans : CblasNoTrans, int(p.m), int(p.n),
                  int(p.k), 1.0f, a.get(), int(lda), b.get(), int(ldb), 0.0f, c.get(), int(p.n));
    });
    const double onednn = median_seconds([&] {
      dnnl_sgemm(p.ta ? 'T' : 'N', p.tb ? 'T' : 'N', p.m, p.n, p.k, 1.0f, a.get(), lda, b.get(), ldb, 0.0f, c.get(), p.n);
    });
    char own[16] = "-";
    if (p.m * p.n * p.k <= (int64_t{1} << 22)) {
      std::snprintf(own, sizeof own, "%.1f", gflop / median_seconds([&] {
        gradlab::kernels::small_product(p.ta, p.tb, p.m, p.n, p.k, 1.0f, a.get(), lda, b.get(), ldb, 0.0f, c.get(), p.n);
      }));
    }
    std::printf("%c%c %6lld x %5lld x %5lld  %9.1f  %9.1f  %9s  %s\n", p.ta ? 'T' : 'N', p.tb ? 'T' : 'N',
                static_cast<long long>(p.m), static_cast<long long>(p.n), static_cast<long long>(p.k), gflop / openblas,
                gflop / onednn, own, p.what);
  }
  return 0;
}
