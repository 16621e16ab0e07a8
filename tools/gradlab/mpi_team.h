#pragma once
// The team of an MPI job (team.h), for the gradlab executable built with MPI (GRADLAB_HAVE_MPI).
#include <memory>

#include "team.h"

namespace gradlab::cli {

/// Joins the MPI job this process was started in by mpirun, mpiexec or srun (Open MPI's or the
/// PMI/PMIx launcher's environment says so), with MPI_THREAD_FUNNELED: only the calling thread makes
/// MPI calls. Returns nullptr for a process not started by a launcher, which then runs alone without
/// initializing MPI. The team finalizes MPI when destroyed.
std::unique_ptr<Team> join_mpi_job(int& argc, char**& argv);

}  // namespace gradlab::cli
