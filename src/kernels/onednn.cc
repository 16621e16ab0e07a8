#include "kernels/onednn.h"

// GNU OpenMP, which Debian's oneDNN runs on (cmake/Dependencies.cmake links it).
extern "C" int omp_get_max_threads(void);
extern "C" void omp_set_num_threads(int threads);

namespace gradlab::kernels {

dnnl::engine& onednn_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& onednn_stream() {
  thread_local dnnl::stream stream(onednn_engine());
  return stream;
}

void onednn_on_this_thread_only() {
  thread_local const bool once = [] {
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);
    return true;
  }();
  (void)once;
}

}  // namespace gradlab::kernels
