// small_product's tiles in AVX2 registers: 8 rows x 1 vector, 6 x 2 or 4 x 3 vectors of 8 floats (at
// most 12 of the 16 registers accumulate, the others hold b's vectors and a broadcast), and its
// transpose of b in 8 x 8 blocks. Compiled
// with -mavx2 -mfma (src/CMakeLists.txt) and called only on CPUs that have both; see
// small_product_tile.h for why nothing else is included.
#include <immintrin.h>

#include "kernels/small_product_tile.h"

namespace gradlab::kernels {
namespace {

struct Avx2 {
  using Vector = __m256;
  using Mask = __m256i;
  static constexpr int64_t kLanes = 8;
  static constexpr int kMaxVectors = 3;
  static constexpr int rows(int vectors) { return vectors == 1 ? 8 : vectors == 2 ? 6 : 4; }

  // Lane l is on when l < count.
  static Mask mask(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Vector zero() { return _mm256_setzero_ps(); }
  static Vector broadcast(float x) { return _mm256_set1_ps(x); }
  static Vector load(const float* p) { return _mm256_loadu_ps(p); }
  static Vector load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, Vector v) { _mm256_storeu_ps(p, v); }
  static void store(float* p, Vector v, Mask m) { _mm256_maskstore_ps(p, m, v); }
  static Vector fma(Vector a, Vector b, Vector c) { return _mm256_fmadd_ps(a, b, c); }
  static Vector mul(Vector a, Vector b) { return _mm256_mul_ps(a, b); }
};

// Rows r[0..8) become columns, in registers.
void transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

}  // namespace

void small_product_avx2(const SmallProductArgs& args) { run_tiles<Avx2>(args); }

void transpose_avx2(const float* b, int64_t ldb, int64_t n, int64_t k, float* out) {
  // Eight rows of out at a time, written front to back: writing eight blocks down a column instead
  // put every store of a power-of-two n into a few cache sets.
  int64_t p0 = 0;
  for (; p0 + 8 <= k; p0 += 8) {
    int64_t j0 = 0;
    for (; j0 + 8 <= n; j0 += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(b + (j0 + i) * ldb + p0);
      transpose8(r);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(out + (p0 + i) * n + j0, r[i]);
    }
    for (; j0 < n; ++j0) {
      for (int64_t p = p0; p < p0 + 8; ++p) out[p * n + j0] = b[j0 * ldb + p];
    }
  }
  for (; p0 < k; ++p0) {
    for (int64_t j = 0; j < n; ++j) out[p0 * n + j] = b[j * ldb + p0];
  }
}

}  // namespace gradlab::kernels
