#pragma once
// Replicas (train/replicas.h) as threads of one process, for testing data-parallel code without MPI:
// a Hub holds one mailbox per (sender, receiver) pair; each thread gets a ThreadReplicas of it.
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "gradlab/train/replicas.h"

namespace gradlab::test {

/// The mailboxes of `size` thread replicas.
class Hub {
 public:
  explicit Hub(int size) : size_(size) {}
  int size() const { return size_; }
  /// Puts `bytes` in the mailbox from `from` to `to`.
  void post(int from, int to, std::span<const std::byte> bytes) {
    {
      std::lock_guard lock(mutex_);
      boxes_[{from, to}].emplace_back(bytes.begin(), bytes.end());
    }
    arrived_.notify_all();
  }
  /// Waits for the next message from `from` to `to` and copies it into `out` (of its exact size).
  void take(int from, int to, std::span<std::byte> out) {
    std::unique_lock lock(mutex_);
    auto& box = boxes_[{from, to}];
    arrived_.wait(lock, [&] { return !box.empty(); });
    const std::vector<std::byte> message = std::move(box.front());
    box.pop_front();
    if (message.size() != out.size()) throw Error("ThreadReplicas: a message of the wrong size");
    if (!message.empty()) std::memcpy(out.data(), message.data(), message.size());
  }

 private:
  int size_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<std::pair<int, int>, std::deque<std::vector<std::byte>>> boxes_;
};

/// Replica `rank` of a Hub.
class ThreadReplicas : public Replicas {
 public:
  ThreadReplicas(Hub& hub, int rank) : hub_(hub), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return hub_.size(); }
  void exchange(int to, std::span<const std::byte> send, int from, std::span<std::byte> receive) override {
    hub_.post(rank_, to, send);
    hub_.take(from, rank_, receive);
  }
  void broadcast(std::span<std::byte> bytes, int root) override {
    if (rank_ == root) {
      for (int r = 0; r < size(); ++r) {
        if (r != root) hub_.post(root, r, bytes);
      }
    } else {
      hub_.take(root, rank_, bytes);
    }
  }

 private:
  Hub& hub_;
  int rank_;
};

/// Runs `body(replicas)` on `size` threads, one replica each, waits for all and rethrows the first
/// exception a replica threw.
inline void run_replicas(int size, const std::function<void(Replicas&)>& body) {
  Hub hub(size);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&hub, &body, &errors, r] {
      try {
        ThreadReplicas replicas(hub, r);
        body(replicas);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace gradlab::test
