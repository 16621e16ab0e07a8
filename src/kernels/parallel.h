#pragma once
// Runs the independent tasks of one kernel call (the tiles of a matrix product) on a small pool of
// persistent threads, the calling thread among them.
#include <cstdint>

namespace gradlab::kernels {

/// A task of a parallel call: a plain function and its context, so that no call allocates.
struct ParallelTask {
  void (*run)(const void* context, int64_t index);
  const void* context;
};

/// Runs task(i) for every i in [0, count) on at most `threads` threads and returns when all have
/// finished. Which thread runs which index is left to chance, so a task's result must not depend on
/// it. One call at a time gets the pool's workers; a call made while another holds them, or from
/// inside a task, runs its tasks on its own thread.
void parallel_tasks(int64_t count, int threads, ParallelTask task);

/// Typed convenience: parallel_tasks over a callable `f(int64_t)` that outlives the call.
template <typename F>
void parallel_for(int64_t count, int threads, const F& f) {
  parallel_tasks(count, threads,
                 ParallelTask{[](const void* context, int64_t i) { (*static_cast<const F*>(context))(i); }, &f});
}

}  // namespace gradlab::kernels
