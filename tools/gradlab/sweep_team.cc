// run_team_work: rank 0 runs its share on a thread of its own while its calling thread, the only
// one that makes MPI calls (MPI_THREAD_FUNNELED), passes on its results and the other ranks'.
// run_team_sweep is run_team_work over a sweep's configurations, each result a line of the file.
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

TeamResultLine decode(const std::string& text) {
  const std::size_t a = text.find('\n');
  const std::size_t b = a == std::string::npos ? a : text.find('\n', a + 1);
  if (b == std::string::npos) throw Error("a rank sent a malformed sweep result");
  return {text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
}

int64_t run_as_worker(Team& t, const TeamShare& share) {
  int64_t n = 0;
  try {
    share([&](std::string result) { t.send_to_leader(TeamMessageKind::result, result), ++n; }, interrupt_requested);
    t.send_to_leader(TeamMessageKind::done, "");
    return n;
  } catch (const std::exception& e) {
    t.send_to_leader(TeamMessageKind::failed, e.what());
    throw;
  }
}

int64_t run_as_leader(Team& t, const TeamShare& share, const std::function<void(const std::string&)>& on_result) {
  std::mutex mutex;
  std::deque<std::string> own;
  std::atomic<bool> own_done = false, abandon = false;
  std::exception_ptr own_error;
  std::thread worker([&] {
    try {
      share(
          [&](std::string result) {
            std::lock_guard lock(mutex);
            own.push_back(std::move(result));
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
      std::deque<std::string> mine;
      {
        std::lock_guard lock(mutex);
        mine.swap(own);
      }
      for (const std::string& result : mine) on_result(result), ++delivered, idle = false;
      while (std::optional<TeamMessage> m = t.poll()) {
        idle = false;
        if (m->kind == TeamMessageKind::result) {
          on_result(m->text);
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
      if (own_done && own_error) break;  // as a failure of another rank, below
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
  // Another rank's failure first: it is why this rank's share may have stopped (TeamShare's stop()).
  if (failure) throw Error(*failure);
  if (own_error) std::rethrow_exception(own_error);
  return delivered;
}

}  // namespace

int64_t run_team_work(const TeamShare& share, const std::function<void(const std::string&)>& on_result) {
  Team& t = team();
  return t.rank() == 0 ? run_as_leader(t, share, on_result) : run_as_worker(t, share);
}

int64_t run_team_sweep(const std::vector<SweepConfig>& todo, const SweepOptions& options, SweepFormat format,
                       const std::function<void(const TeamResultLine&)>& on_line) {
  const std::vector<std::vector<SweepConfig>> shares = split_by_cost(todo, team().size());
  const std::vector<SweepConfig>& mine = shares[static_cast<std::size_t>(team().rank())];
  return run_team_work(
      [&](const std::function<void(std::string)>& deliver, const std::function<bool()>& stop) {
        run_sweep(mine, options, [&](const SweepResult& r) { deliver(encode(r, format)); }, stop);
      },
      [&](const std::string& text) { on_line(decode(text)); });
}

}  // namespace gradlab::cli
