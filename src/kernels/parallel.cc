#include "kernels/parallel.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gradlab::kernels {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Workers spin this many rounds before they sleep. A training step calls products a few tens of
// microseconds apart, and a sleeping worker takes longer than that to wake; a worker that finds no
// work for longer than this gives the core back.
constexpr int kSpinRounds = 1 << 14;
constexpr int kHelperBits = 16;
constexpr uint64_t kHelperMask = (uint64_t{1} << kHelperBits) - 1;
constexpr int64_t kMaxThreads = 1024;

class Pool {
 public:
  // Never destroyed: its workers sleep until the process ends, so no exit-time destructor can wait
  // on them or race a late product.
  static Pool& instance() {
    static Pool* pool = new Pool;
    return *pool;
  }

  // False when another caller holds the workers, or in a child process forked after the workers
  // started (they do not exist there).
  bool run(int64_t count, int threads, ParallelTask task) {
    if (::getpid() != owner_) return false;
    std::unique_lock lock(busy_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    const int helpers = static_cast<int>(std::min<int64_t>({threads, count, kMaxThreads})) - 1;
    while (static_cast<int>(workers_.size()) < helpers) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { work(index); });
    }
    task_ = task;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    running_.store(helpers, std::memory_order_relaxed);
    // The generation and its helper count change in one store, so a worker never mistakes one
    // call's helper count for another's.
    const uint64_t next_generation = (job_.load(std::memory_order_relaxed) >> kHelperBits) + 1;
    job_.store(next_generation << kHelperBits | static_cast<uint64_t>(helpers), std::memory_order_release);
    job_.notify_all();
    drain();
    for (int round = 0; running_.load(std::memory_order_acquire) != 0; ++round) {
      if (round < kSpinRounds) {
        cpu_relax();
      } else {
        const int left = running_.load(std::memory_order_acquire);
        if (left != 0) running_.wait(left, std::memory_order_acquire);
      }
    }
    return true;
  }

 private:
  void drain() {
    for (int64_t i = next_.fetch_add(1, std::memory_order_relaxed); i < count_;
         i = next_.fetch_add(1, std::memory_order_relaxed)) {
      task_.run(task_.context, i);
    }
  }

  void work(int index) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t job = job_.load(std::memory_order_acquire);
      for (int round = 0; job == seen; ++round) {
        if (round < kSpinRounds) {
          cpu_relax();
        } else {
          job_.wait(seen, std::memory_order_acquire);
        }
        job = job_.load(std::memory_order_acquire);
      }
      seen = job;
      // A helper of this job; the caller waits for it before it writes the next job's task.
      if (static_cast<uint64_t>(index) >= (job & kHelperMask)) continue;
      drain();
      if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) running_.notify_one();
    }
  }

  std::mutex busy_;
  std::vector<std::thread> workers_;
  // (generation << kHelperBits) | helpers: the current job.
  std::atomic<uint64_t> job_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> running_{0};
  const pid_t owner_ = ::getpid();
  // Written by the caller before it publishes a job, read by that job's helpers.
  ParallelTask task_{};
  int64_t count_ = 0;
};

}  // namespace

void parallel_tasks(int64_t count, int threads, ParallelTask task) {
  if (count <= 0) return;
  if (threads > 1 && count > 1 && Pool::instance().run(count, threads, task)) return;
  for (int64_t i = 0; i < count; ++i) task.run(task.context, i);
}

}  // namespace gradlab::kernels
