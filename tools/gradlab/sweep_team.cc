// run_team_sweep: rank 0 runs its share on a thread of its own while its calling thread, the only
// one that makes MPI calls (MPI_THREAD_FUNNELED), passes on its results and the other ranks'.
#include "sweep_team.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "gradlab/lab/sweep_shares.h"
#include "interrupt.h"
#include "team.h"

namespace gradlab::cli {
namespace {

// A result as a message: id and verdict on lines of their own, then the result line.
std::string encode(const SweepResult& r, SweepFormat format) {
  return r.config.id + "\n" + flow_verdict_name(r.verdict) + "\n" + sweep_line(r, format);
}

TeamResultLine decode(const TeamMessage& m) {
  const std::size_t a = m.text.find('\n');
  const std::size_t b = a == std::string::npos ? a : m.text.find('\n', a + 1);
  if (b == std::string::npos) throw Error(fmt::format("rank {} sent a malformed result", m.from));
  return {m.text.substr(0, a), m.text.substr(a + 1, b - a - 1), m.text.substr(b + 1)};
}

int64_t run_as_worker(Team& t, const std::vector<SweepConfig>& share, const SweepOptions& options, SweepFormat format) {
  try {
    const int64_t n = run_sweep(share, options, [&](const SweepResult& r) { t.send_to_leader(TeamMessageKind::result, encode(r, format)); },
                                interrupt_requested);
    t.send_to_leader(TeamMessageKind::done, "");
    return n;
  } catch (const std::exception& e) {
    t.send_to_leader(TeamMessageKind::failed, e.what());
    throw;
  }
}

int64_t run_as_leader(Team& t, const std::vector<SweepConfig>& share, const SweepOptions& options, SweepFormat format,
                      const std::function<void(const TeamResultLine&)>& on_line) {
  std::mutex mutex;
  std::deque<TeamResultLine> own;
  std::atomic<bool> own_done = false, abandon = false;
  std::exception_ptr own_error;
  std::thread worker([&] {
    try {
      run_sweep(share, options,
                [&](const SweepResult& r) {
                  std::lock_guard lock(mutex);
                  own.push_back({r.config.id, flow_verdict_name(r.verdict), sweep_line(r, format)});
                },
                [&] { return abandon.load() || interrupt_requested(); });
    } catch (...) {
      own_error = std::current_exception();
    }
    own_done = true;
  });

  int64_t delivered = 0;
  std::vector<bool> finished(static_cast<std::size_t>(t.size()), false);
  finished[0] = true;
  std::optional<std::string> failure;
  std::optional<std::chrono::steady_clock::time_point> give_up;
  try {
    for (;;) {
      bool idle = true;
      std::deque<TeamResultLine> mine;
      {
        std::lock_guard lock(mutex);
        mine.swap(own);
      }
      for (const TeamResultLine& line : mine) on_line(line), ++delivered, idle = false;
      while (std::optional<TeamMessage> m = t.poll()) {
        idle = false;
        if (m->kind == TeamMessageKind::result) {
          on_line(decode(*m));
          ++delivered;
        } else {
          finished[static_cast<std::size_t>(m->from)] = true;
          if (m->kind == TeamMessageKind::failed && !failure) failure = fmt::format("rank {}: {}", m->from, m->text);
        }
      }
      const bool others_done = std::find(finished.begin(), finished.end(), false) == finished.end();
      if (own_done && others_done) {
        std::lock_guard lock(mutex);
        if (own.empty()) break;
        continue;
      }
      // After Ctrl-C or SIGTERM the launcher signals every rank; a rank that died never reports, so
      // rank 0 waits a moment (the launcher follows SIGTERM with SIGKILL) for those still answering, then reports what it has.
      if (interrupt_requested() && own_done) {
        const auto now = std::chrono::steady_clock::now();
        if (!give_up) give_up = now + std::chrono::milliseconds(200);
        if (now > *give_up) break;
      }
      if (failure) {
        abandon = true;
        if (own_done) break;  // exiting with the failure makes the launcher stop the other ranks
      }
      if (idle) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  } catch (...) {
    abandon = true;
    worker.join();
    throw;
  }
  worker.join();
  if (own_error) std::rethrow_exception(own_error);
  if (failure) throw Error(*failure);
  return delivered;
}

}  // namespace

int64_t run_team_sweep(const std::vector<SweepConfig>& todo, const SweepOptions& options, SweepFormat format,
                       const std::function<void(const TeamResultLine&)>& on_line) {
  Team& t = team();
  const std::vector<std::vector<SweepConfig>> shares = split_by_cost(todo, t.size());
  const std::vector<SweepConfig>& share = shares[static_cast<std::size_t>(t.rank())];
  return t.rank() == 0 ? run_as_leader(t, share, options, format, on_line) : run_as_worker(t, share, options, format);
}

}  // namespace gradlab::cli
