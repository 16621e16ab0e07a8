// The team of one every command runs on unless main() joined an MPI job.
#include "team.h"

#include "gradlab/error.h"

namespace gradlab::cli {
namespace {

class Alone : public Team {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string broadcast(const std::string& text) override { return text; }
  void send_to_leader(TeamMessageKind, const std::string&) override {
    throw Error("a process running alone has no leader to send to");
  }
  std::optional<TeamMessage> poll() override { return std::nullopt; }
};

std::unique_ptr<Team>& current() {
  static std::unique_ptr<Team> team = std::make_unique<Alone>();
  return team;
}

}  // namespace

Team& team() { return *current(); }

void set_team(std::unique_ptr<Team> team) {
  current() = team ? std::move(team) : std::make_unique<Alone>();
}

}  // namespace gradlab::cli
