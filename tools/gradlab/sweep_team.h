#pragma once
// Work shared across the ranks of the team (team.h): each rank runs its share (lab/sweep_shares.h
// splits it by expected cost) and rank 0 receives every result as it is made, so it alone writes.
// run_team_sweep does this for `gradlab sweep`'s configurations, run_team_work for any work whose
// results travel as text (`gradlab report`'s units, report_units.h).
#include <functional>
#include <string>
#include <vector>

#include "gradlab/lab/sweep_run.h"
#include "sweep_files.h"

namespace gradlab::cli {

/// A result line as rank 0 receives it: the configuration's id, its verdict and its line in `format`
/// (with the newline).
struct TeamResultLine {
  std::string id, verdict, line;
};

/// Runs `todo` across team() (see the file comment). On rank 0, calls `on_line` on the calling
/// thread for each result, its own and the other ranks' as they arrive, and returns once every rank
/// has finished its share or, after Ctrl-C or SIGTERM (interrupt_requested), once the ranks still
/// answering have stopped; on the other ranks, sends each result to rank 0 and returns when its share
/// is done or interrupted. Returns the results delivered on this rank (rank 0: all it received). A
/// failure on any rank is rethrown on rank 0 naming the rank.
int64_t run_team_sweep(const std::vector<SweepConfig>& todo, const SweepOptions& options, SweepFormat format,
                       const std::function<void(const TeamResultLine&)>& on_line);

/// This rank's share of some work: runs it, calling `deliver(result)` for each result made and
/// checking `stop()` between pieces of work (true: a failure elsewhere or an interrupt; return soon).
using TeamShare = std::function<void(const std::function<void(std::string)>& deliver, const std::function<bool()>& stop)>;

/// The engine under run_team_sweep: runs `share` on every rank (each its own share) and, on rank 0,
/// calls `on_result` on the calling thread for every result, its own and the other ranks', with the
/// same returns, interrupt handling and failures as run_team_sweep. On rank 0 `share` runs on a
/// thread of its own (the calling thread alone makes MPI calls), so it must not use team().
int64_t run_team_work(const TeamShare& share, const std::function<void(const std::string&)>& on_result);

}  // namespace gradlab::cli
