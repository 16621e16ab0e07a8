#pragma once
// What every oneDNN call in kernels/ shares: the CPU engine, and the rule that a call runs on the
// calling thread alone (gradlab's own pool shares out the work, so results follow from the shape and
// never from the thread count).
#include <oneapi/dnnl/dnnl.hpp>

namespace gradlab::kernels {

/// The process's oneDNN CPU engine.
dnnl::engine& onednn_engine();
/// This thread's oneDNN stream on onednn_engine().
dnnl::stream& onednn_stream();
/// Makes oneDNN calls from this thread use one OpenMP thread (oneDNN would otherwise open a team on
/// every thread that calls it: sweep workers, the pool's workers). Cheap after the first call.
void onednn_on_this_thread_only();

}  // namespace gradlab::kernels
