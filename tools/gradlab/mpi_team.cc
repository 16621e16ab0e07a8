// The MPI job's team: rank and size of MPI_COMM_WORLD, a broadcast from rank 0, point-to-point
// messages to rank 0 whose tag is the message kind, and the exchanges of data-parallel training.
#include "mpi_team.h"

#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "gradlab/error.h"

namespace gradlab::cli {
namespace {

bool started_by_launcher() {
  // Open MPI's mpirun, and Slurm's srun (or another PMI/PMIx launcher).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

class MpiTeam : public Team, public Replicas {
 public:
  MpiTeam(int& argc, char**& argv) {
    // A rank killed while it sends a large message (a report unit's pass records run to tens of kB)
    // must leave rank 0 waiting for the launcher's SIGTERM, so that it says what was lost and writes
    // nothing. Open MPI's shared-memory transport reads such a message straight from the sender's
    // memory (CMA); once the sender is dead that read fails and Open MPI ends rank 0 with a message of
    // its own. Copying through shared memory instead costs little at these sizes. A user's setting wins.
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw Error("the MPI library does not support MPI_THREAD_FUNNELED, which a sweep's worker threads need");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiTeam() override { MPI_Finalize(); }
  MpiTeam(const MpiTeam&) = delete;
  MpiTeam& operator=(const MpiTeam&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Replicas* replicas() override { return this; }

  void exchange(int to, std::span<const std::byte> send, int from, std::span<std::byte> receive) override {
    // Each direction in pieces (an MPI count is an int), all posted at once so that neither side
    // waits for the other to finish sending.
    std::vector<MPI_Request> requests;
    for (uint64_t at = 0, piece = 0; at < receive.size(); at += kPiece, ++piece) {
      MPI_Request& request = requests.emplace_back();
      MPI_Irecv(receive.data() + at, static_cast<int>(std::min<uint64_t>(kPiece, receive.size() - at)), MPI_BYTE, from,
                kExchangeTag + static_cast<int>(piece), MPI_COMM_WORLD, &request);
    }
    for (uint64_t at = 0, piece = 0; at < send.size(); at += kPiece, ++piece) {
      MPI_Request& request = requests.emplace_back();
      MPI_Isend(send.data() + at, static_cast<int>(std::min<uint64_t>(kPiece, send.size() - at)), MPI_BYTE, to,
                kExchangeTag + static_cast<int>(piece), MPI_COMM_WORLD, &request);
    }
    MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
  }

  void broadcast(std::span<std::byte> bytes, int root) override {
    for (uint64_t at = 0; at < bytes.size(); at += kPiece) {
      MPI_Bcast(bytes.data() + at, static_cast<int>(std::min<uint64_t>(kPiece, bytes.size() - at)), MPI_BYTE, root,
                MPI_COMM_WORLD);
    }
  }

  std::string broadcast(const std::string& text) override {
    uint64_t length = rank_ == 0 ? text.size() : 0;
    MPI_Bcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    std::string out = rank_ == 0 ? text : std::string(length, '\0');
    // In pieces: an MPI count is an int.
    for (uint64_t at = 0; at < length; at += kPiece) {
      MPI_Bcast(out.data() + at, static_cast<int>(std::min(kPiece, length - at)), MPI_CHAR, 0, MPI_COMM_WORLD);
    }
    return out;
  }

  void send_to_leader(TeamMessageKind kind, const std::string& text) override {
    if (text.size() > (uint64_t{1} << 30)) throw Error("a message to rank 0 is over 1 GiB");
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, static_cast<int>(kind), MPI_COMM_WORLD);
  }

  std::optional<TeamMessage> poll() override {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status);
    if (!arrived) return std::nullopt;
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    TeamMessage message{.from = status.MPI_SOURCE, .kind = static_cast<TeamMessageKind>(status.MPI_TAG),
                        .text = std::string(static_cast<std::size_t>(count), '\0')};
    MPI_Recv(message.text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return message;
  }

 private:
  static constexpr uint64_t kPiece = uint64_t{1} << 30;
  // Above the message kinds' tags (TeamMessageKind), so a training exchange is never taken for one.
  static constexpr int kExchangeTag = 64;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

std::unique_ptr<Team> join_mpi_job(int& argc, char**& argv) {
  if (!started_by_launcher()) return nullptr;
  return std::make_unique<MpiTeam>(argc, argv);
}

}  // namespace gradlab::cli
