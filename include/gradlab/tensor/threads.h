#pragma once
/// The threads one matrix product may use, and a scope that sets them.
///
/// A sweep runs many small networks at once, one per worker thread, and wants each product on its
/// worker's thread alone:
///
///   BlasThreadsScope one(1);   // every product single-threaded until `one` ends
///   ... std::thread workers ...
///
/// The setting is process-wide, not per thread. Results never depend on it: a product is cut into
/// output tiles by its shape alone, each tile computed by one single-threaded oneDNN or OpenBLAS
/// call (which library depends on the dtype, the CPU and the shape, never on the threads), and the threads only share out the tiles (docs/conventions.md,
/// "Determinism").

namespace gradlab {

/// Threads one product may use: the environment's GRADLAB_NUM_THREADS, or the cores this process may
/// run on, unless set.
int blas_threads();
/// Sets the threads one product may use (values below 1 are taken as 1).
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
