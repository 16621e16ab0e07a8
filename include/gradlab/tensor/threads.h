#pragma once
/// The threads one matrix product may use (OpenBLAS's thread pool), and a scope that sets them.
///
/// A sweep runs many small networks at once, one per worker thread, and wants each product on its
/// worker's thread alone:
///
///   BlasThreadsScope one(1);   // every product single-threaded until `one` ends
///   ... std::thread workers ...
///
/// The setting is process-wide (OpenBLAS has one pool), not per thread. Results do not depend on it
/// for gradlab's small products, but a large product's summation order may (docs/instruments.md).

namespace gradlab {

/// Threads OpenBLAS uses for one product: OPENBLAS_NUM_THREADS, or the hardware threads, unless set.
int blas_threads();
/// Sets the threads OpenBLAS uses for one product (values below 1 are taken as 1).
void set_blas_threads(int threads);

/// Sets the BLAS threads while it lives and restores the previous count when destroyed. Not meant
/// for two scopes alive on different threads at once.
class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int threads);
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

 private:
  int previous_;
};

}  // namespace gradlab
