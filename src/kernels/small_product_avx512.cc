// small_product's tiles in AVX-512 registers: up to 8 rows x 3 vectors or 6 rows x 4 vectors of 16
// floats (24 of the 32 registers accumulate; 8 rows cover a batch of 32 in whole tiles). Compiled with -mavx512f (src/CMakeLists.txt) and called only on CPUs that
// have it; see small_product_tile.h for why nothing else is included.
#include <immintrin.h>

#include "kernels/small_product_tile.h"

namespace gradlab::kernels {
namespace {

struct Avx512 {
  using Vector = __m512;
  using Mask = __mmask16;
  static constexpr int64_t kLanes = 16;
  static constexpr int kMaxVectors = 4;
  static constexpr int rows(int vectors) { return vectors <= 3 ? 8 : 6; }

  static Mask mask(int64_t count) { return static_cast<Mask>((1u << count) - 1u); }
  static Vector zero() { return _mm512_setzero_ps(); }
  static Vector broadcast(float x) { return _mm512_set1_ps(x); }
  static Vector load(const float* p) { return _mm512_loadu_ps(p); }
  static Vector load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, Vector v) { _mm512_storeu_ps(p, v); }
  static void store(float* p, Vector v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
  static Vector fma(Vector a, Vector b, Vector c) { return _mm512_fmadd_ps(a, b, c); }
  static Vector mul(Vector a, Vector b) { return _mm512_mul_ps(a, b); }
};

}  // namespace

void small_product_avx512(const SmallProductArgs& args) { run_tiles<Avx512>(args); }

}  // namespace gradlab::kernels
