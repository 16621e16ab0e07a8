#pragma once
// The register-tiled loop behind small_product (small_product.h), written once over a vector type
// `I` and compiled in one file per instruction set, each with its own -m flags (src/CMakeLists.txt).
// Everything here has internal linkage and uses no standard-library code, so no function compiled
// for AVX-512 can be picked by the linker for a caller on a CPU without it.
#include <cstdint>

#include "kernels/small_product_isa.h"

namespace gradlab::kernels {
namespace {

// Rows i0 .. i0 + R and vectors j0 .. j0 + V * lanes of c: R x V accumulators held in registers
// while p runs over the inner dimension, one fused multiply-add per element and step, so each
// element is the same chain whatever the tile shape or vector width. The last vector is masked when
// kTail (the columns end inside it).
template <class I, int R, int V, bool kTail>
void tile(const SmallProductArgs& o, int64_t i0, int64_t j0, typename I::Mask tail) {
  using Vector = typename I::Vector;
  Vector acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = I::zero();
  }
  const float* a = o.a + i0 * o.a_row;
  const float* b = o.b + j0;
  for (int64_t p = 0; p < o.k; ++p, a += o.a_step, b += o.ldb) {
    Vector bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      bv[v] = kTail && v == V - 1 ? I::load(b + v * I::kLanes, tail) : I::load(b + v * I::kLanes);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const Vector x = I::broadcast(a[r * o.a_row]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = I::fma(x, bv[v], acc[r][v]);
    }
  }
  const Vector alpha = I::broadcast(o.alpha), beta = I::broadcast(o.beta);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* out = o.c + (i0 + r) * o.ldc + j0;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const bool masked = kTail && v == V - 1;
      Vector result = I::mul(alpha, acc[r][v]);
      // With beta 0 the old output is never read: it may be uninitialized, even NaN.
      if (o.beta != 0.0f) {
        result = I::fma(beta, masked ? I::load(out + v * I::kLanes, tail) : I::load(out + v * I::kLanes), result);
      }
      if (masked) {
        I::store(out + v * I::kLanes, result, tail);
      } else {
        I::store(out + v * I::kLanes, result);
      }
    }
  }
}

// Every tile shape of up to I::rows(V) rows of V <= I::kMaxVectors vectors, with and without a masked
// last vector.
template <class I>
struct Tiles {
  static constexpr int kMaxRows = I::rows(1);
  void (*at[kMaxRows][I::kMaxVectors][2])(const SmallProductArgs&, int64_t, int64_t, typename I::Mask);

  constexpr Tiles() : at{} { fill<1, 1>(); }

  template <int R, int V>
  constexpr void fill() {
    if constexpr (R <= I::rows(V)) {
      at[R - 1][V - 1][0] = &tile<I, R, V, false>;
      at[R - 1][V - 1][1] = &tile<I, R, V, true>;
    }
    if constexpr (V < I::kMaxVectors) {
      fill<R, V + 1>();
    } else if constexpr (R < kMaxRows) {
      fill<R + 1, 1>();
    }
  }
};

// Column blocks of I::kMaxVectors vectors outermost, so a block's columns of b stay in the first-level
// cache while every block of rows of a runs over them.
template <class I>
void run_tiles(const SmallProductArgs& o) {
  static constexpr Tiles<I> tiles;
  constexpr int64_t block = I::kLanes * I::kMaxVectors;
  for (int64_t j0 = 0; j0 < o.n; j0 += block) {
    const int64_t cols = o.n - j0 < block ? o.n - j0 : block;
    const int64_t vectors = (cols + I::kLanes - 1) / I::kLanes;
    const int64_t last = cols - (vectors - 1) * I::kLanes;
    const typename I::Mask tail = I::mask(last);
    const bool masked = last != I::kLanes;
    const int64_t tile_rows = I::rows(static_cast<int>(vectors));
    for (int64_t i0 = 0; i0 < o.m; i0 += tile_rows) {
      const int64_t rows = o.m - i0 < tile_rows ? o.m - i0 : tile_rows;
      tiles.at[rows - 1][vectors - 1][masked](o, i0, j0, tail);
    }
  }
}

}  // namespace
}  // namespace gradlab::kernels
