#pragma once
// A sweep across the ranks of the team (team.h): each rank probes its share of the configurations
// (split_by_cost, lab/sweep_shares.h) with its own worker threads, and rank 0 receives every result
// line as it is made, so it alone writes the result file.
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

}  // namespace gradlab::cli
