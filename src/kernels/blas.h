#pragma once
// Matrix products: the one place every product goes through. float32 runs on oneDNN's sgemm (JIT
// kernels for the machine's widest vectors), except products of at most 2^18 multiply-adds, which
// run on gradlab's own kernel (small_product.h: no per-call dispatch or packing), and products of
// 2^25 multiply-adds or more on CPUs without AVX-512, where OpenBLAS's own kernels measured faster;
// float64 runs on OpenBLAS. Row-major, transposes passed as
// flags so no operand is copied. A large product is cut into output tiles by its shape alone and the
// tiles are shared among blas_threads() threads, each tile one single-threaded library call, so the
// result is the same whatever the thread count.
#include <cstdint>

namespace gradlab::kernels {

/// c[m, n] = alpha * op(a) op(b) + beta * c, row-major. op(a) is [m, k] (a stored [k, m] when
/// transpose_a), op(b) is [k, n] (b stored [n, k] when transpose_b). Leading dimensions are the
/// stored row lengths. k == 0 gives beta * c; m == 0 or n == 0 does nothing.
template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

/// How gemm cuts the output of an m x n x k product into tiles: row_tiles x col_tiles tiles of
/// tile_rows x tile_cols (the last row and column of tiles may be smaller). Products of at least 2^22
/// multiply-adds are cut along the longer output side into a power of two of strips (at least two,
/// 512 wide where the output allows, sides a multiple of 16). It depends on the shape
/// alone, never on the thread count, so every output element is computed by the same
/// single-threaded library call over the same operands whether one thread runs all tiles or
/// several share them. Small products are one tile.
struct ProductTiling {
  int64_t tile_rows, tile_cols;
  int64_t row_tiles, col_tiles;
};
ProductTiling product_tiling(int64_t m, int64_t n, int64_t k);

/// Convenience for dense row-major operands: leading dimensions follow from the shapes.
template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const T* a, const T* b,
          T* c, T beta = T(0)) {
  gemm<T>(transpose_a, transpose_b, m, n, k, T(1), a, transpose_a ? m : k, b, transpose_b ? k : n, beta, c,
          n);
}

}  // namespace gradlab::kernels

namespace gradlab::kernels {

/// Threads one product may use (process-wide): GRADLAB_NUM_THREADS, or the cores this process may
/// run on, unless set.
int blas_threads();
/// Sets them; at least 1.
void set_blas_threads(int threads);

}  // namespace gradlab::kernels
