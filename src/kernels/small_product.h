#pragma once
// float32 products too small for a library call to pay: oneDNN's sgemm spends about 0.5 us per call
// on dispatch and packing, as long as a 32 x 32 x 32 product's arithmetic. gemm (blas.h) sends
// products of at most kSmallProductMultiplyAdds multiply-adds here.
#include <cstdint>

namespace gradlab::kernels {

/// Products of at most this many multiply-adds (m * n * k) run on small_product.
inline constexpr int64_t kSmallProductMultiplyAdds = int64_t{1} << 18;

/// The instruction sets small_product has code for; `best` is the widest this CPU runs.
enum class SmallProductIsa { scalar, avx2, avx512, best };

/// True when this CPU can run code for `isa`.
bool cpu_runs(SmallProductIsa isa);

/// c[m, n] = alpha * op(a) op(b) + beta * c, with gemm's conventions (blas.h), on the calling thread
/// with no allocation once its scratch has grown. Every c[i, j] is one chain of fused multiply-adds
/// over p = 0, 1, ..., k - 1 from zero, then alpha * sum (+ beta * c as one more fused multiply-add),
/// so the bits are the same whichever instruction set runs it, on every CPU. A transposed b is first
/// copied to [k, n] in a per-thread scratch buffer. `isa` must be one cpu_runs accepts.
void small_product(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                   SmallProductIsa isa = SmallProductIsa::best);

}  // namespace gradlab::kernels
