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

// Rounds a waiting thread spins before it sleeps. A training step calls products tens of
// microseconds apart, and a sleeping worker takes about as long to wake; a thread that waits longer
// than this gives its core back (on a shared machine another process may need it).
constexpr int kSpinRounds = 2048;

// A job's tasks are claimed from one word: generation (32 bits) | next index (16) | count (16). A
// worker claims only with the generation it was woken for, so a worker that wakes late, after its
// job ended, claims nothing and touches nothing of a later job; the caller waits for the tasks it
// handed out to finish, never for workers to check in.
constexpr int kIndexShift = 16;
constexpr uint64_t kFieldMask = 0xffff;
constexpr int64_t kMaxTasks = 0xffff;

// Set while this thread runs a task of a parallel call. A task that makes a parallel call of its own
// (a recurrent layer's block of rows calling a product large enough to be cut into tiles) runs those
// tasks itself: the pool is already busy with the outer call, and the calling thread holds its lock.
thread_local bool inside_task = false;

struct InsideTask {
  InsideTask() { inside_task = true; }
  ~InsideTask() { inside_task = false; }
  InsideTask(const InsideTask&) = delete;
  InsideTask& operator=(const InsideTask&) = delete;
};

class Pool {
 public:
  // Never destroyed: its workers sleep until the process ends, so no exit-time destructor can wait
  // on them or race a late product.
  static Pool& instance() {
    static Pool* pool = new Pool;
    return *pool;
  }

  // False when the call is too large for one job, another caller holds the workers, or this is a
  // child process forked after the workers started (they do not exist there).
  bool run(int64_t count, int threads, ParallelTask task) {
    if (count > kMaxTasks || ::getpid() != owner_) return false;
    std::unique_lock lock(busy_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    const auto helpers = static_cast<std::size_t>(std::min<int64_t>(threads, count) - 1);
    while (workers_.size() < helpers) workers_.emplace_back([this] { work(); });
    task_ = task;
    done_.store(0, std::memory_order_relaxed);
    seats_.store(static_cast<int>(helpers), std::memory_order_relaxed);
    const uint64_t generation = (claims_.load(std::memory_order_relaxed) >> 32) + 1;
    claims_.store(generation << 32 | static_cast<uint64_t>(count), std::memory_order_release);
    // Wakes at most `helpers` workers; an extra one that wakes finds every task claimed.
    wake_.fetch_add(1, std::memory_order_release);
    if (helpers == 1) {
      wake_.notify_one();
    } else {
      wake_.notify_all();
    }
    run_tasks(generation);
    int64_t finished = done_.load(std::memory_order_acquire);
    for (int round = 0; finished != count; ++round) {
      if (round < kSpinRounds) {
        cpu_relax();
      } else {
        done_.wait(finished, std::memory_order_acquire);
      }
      finished = done_.load(std::memory_order_acquire);
    }
    return true;
  }

 private:
  // Claims and runs tasks of `generation` until none is left.
  void run_tasks(uint64_t generation) {
    uint64_t word = claims_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t index = (word >> kIndexShift) & kFieldMask, count = word & kFieldMask;
      if ((word >> 32) != generation || index >= count) return;
      if (!claims_.compare_exchange_weak(word, word + (uint64_t{1} << kIndexShift), std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
        continue;
      }
      {
        const InsideTask inside;
        task_.run(task_.context, static_cast<int64_t>(index));
      }
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<int64_t>(count)) done_.notify_one();
      word = claims_.load(std::memory_order_acquire);
    }
  }

  void work() {
    uint32_t seen = wake_.load(std::memory_order_acquire);
    for (;;) {
      uint32_t now = wake_.load(std::memory_order_acquire);
      for (int round = 0; now == seen; ++round) {
        if (round < kSpinRounds) {
          cpu_relax();
        } else {
          wake_.wait(seen, std::memory_order_acquire);
        }
        now = wake_.load(std::memory_order_acquire);
      }
      seen = now;
      // Workers left from an earlier call with more threads stay out of this one.
      if (seats_.fetch_sub(1, std::memory_order_acq_rel) <= 0) continue;
      run_tasks(claims_.load(std::memory_order_acquire) >> 32);
    }
  }

  std::mutex busy_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> claims_{0};
  std::atomic<uint32_t> wake_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int> seats_{0};
  // Written by the caller before it publishes a job; read only by a thread that claimed one of its
  // tasks, which the caller waits for.
  ParallelTask task_{};
  const pid_t owner_ = ::getpid();
};

}  // namespace

void parallel_tasks(int64_t count, int threads, ParallelTask task) {
  if (count <= 0) return;
  if (threads > 1 && count > 1 && !inside_task && Pool::instance().run(count, threads, task)) return;
  for (int64_t i = 0; i < count; ++i) task.run(task.context, i);
}

}  // namespace gradlab::kernels
