#pragma once
// The processes one command runs on. A plain run is a team of one; started by mpirun or srun, main()
// makes the command join the MPI job's team (mpi_team.h): `gradlab sweep` splits its configurations
// across the ranks (sweep_team.h), `gradlab report` its units (report_units.h), and `gradlab train`
// trains data-parallel on them (replicas()).
// Only rank 0 writes files.
#include <memory>
#include <optional>
#include <string>

#include "gradlab/train/replicas.h"

namespace gradlab::cli {

/// What a rank tells rank 0.
enum class TeamMessageKind { result, done, failed };

/// A message a rank sent rank 0.
struct TeamMessage {
  int from = 0;
  TeamMessageKind kind = TeamMessageKind::result;
  std::string text;
};

/// The ranks of the job this process belongs to (see the file comment).
class Team {
 public:
  virtual ~Team() = default;
  /// This process's rank, 0 to size() - 1.
  virtual int rank() const = 0;
  /// The number of processes.
  virtual int size() const = 0;
  /// Rank 0's `text` on every rank; every rank must call it (collective).
  virtual std::string broadcast(const std::string& text) = 0;
  /// From a rank > 0 to rank 0; returns once the message is on its way.
  virtual void send_to_leader(TeamMessageKind kind, const std::string& text) = 0;
  /// On rank 0: a message that has arrived, without waiting; nullopt when none has.
  virtual std::optional<TeamMessage> poll() = 0;
  /// The team as the replicas of a data-parallel fit() (train/replicas.h); nullptr for a team of one.
  virtual Replicas* replicas() { return nullptr; }
};

/// The team of this process: one process unless main() joined an MPI job (set_team).
Team& team();

/// Makes `team` the team of this process (main(), before any command runs); nullptr leaves the
/// current team (destroying it: an MPI job's team then finalizes MPI) for a team of one.
void set_team(std::unique_ptr<Team> team);

}  // namespace gradlab::cli
