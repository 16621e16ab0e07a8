#include "gradlab/tensor/threads.h"

#include "kernels/blas.h"

namespace gradlab {

int blas_threads() { return kernels::blas_threads(); }

void set_blas_threads(int threads) { kernels::set_blas_threads(threads); }

BlasThreadsScope::BlasThreadsScope(int threads) : previous_(blas_threads()) { set_blas_threads(threads); }

BlasThreadsScope::~BlasThreadsScope() { set_blas_threads(previous_); }

}  // namespace gradlab
