// Ctrl-C and SIGTERM during `gradlab sweep`: the signal is sent to a running child process once its
// result file has a line; it must finish the configurations in flight, keep every line whole, exit
// 130 / 143 saying how to go on, and `--resume` must then give the file an uninterrupted run gives.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab::cli_test {
namespace {

using SweepInterrupt = SweepCliTest;

// 32 configurations of a few milliseconds each on one worker: long enough to be interrupted after
// the first line, short enough for a quick test.
std::vector<std::string> slow_grid_args(const std::string& out) {
  return {"sweep", "--depth", "64", "--width", "64", "--batch", "64", "--trials", "32", "--out", out};
}

int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// Starts gradlab with `args`, sends `signal` once `out` has a result line, and returns the exit status.
int interrupted_run(const std::vector<std::string>& args, const std::string& out, int signal, std::string& err) {
  const std::string err_path = detail::temp_path("err");
  const pid_t pid = detail::spawn_cli(args, "/dev/null", err_path);
  if (pid < 0) throw std::runtime_error("cannot start gradlab");

  // The header is line 1; wait for the first result (or for the child to end, which fails below).
  int status = 0;
  bool ended = false;
  while (!ended) {
    std::ifstream in(out, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    if (count_lines(s.str()) >= 2) break;
    ended = waitpid(pid, &status, WNOHANG) == pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!ended) {
    kill(pid, signal);
    waitpid(pid, &status, 0);
  }
  err = detail::slurp(err_path);
  std::remove(err_path.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void check_interrupt_and_resume(const SweepCliTest& t, int signal, int expected_status) {
  const std::string out = t.path("r.csv");
  std::string err;
  const int status = interrupted_run(with(slow_grid_args(out), {"--workers", "1"}), out, signal, err);
  ASSERT_EQ(status, expected_status) << err;
  EXPECT_NE(err.find("sweep interrupted: "), std::string::npos) << err;
  EXPECT_NE(err.find("of 32 configurations done and saved in " + out), std::string::npos) << err;
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;

  const std::string kept = t.read_text("r.csv");
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back(), '\n') << "every line is complete";
  const int done = count_lines(kept) - 1;
  EXPECT_GE(done, 1);
  EXPECT_LT(done, 32) << "the signal came after the sweep finished; make the grid slower";

  const auto resumed = run_cli(with(slow_grid_args(out), {"--resume", "--workers", "2"}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto reference = run_cli(with(slow_grid_args(t.path("reference.csv")), {"--workers", "2"}));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  EXPECT_EQ(sorted_lines(t.read_text("r.csv")), sorted_lines(t.read_text("reference.csv")));
}

TEST_F(SweepInterrupt, CtrlCKeepsFinishedLinesExits130AndResumeCompletes) {
  check_interrupt_and_resume(*this, SIGINT, 130);
}

TEST_F(SweepInterrupt, SigtermKeepsFinishedLinesExits143AndResumeCompletes) {
  check_interrupt_and_resume(*this, SIGTERM, 143);
}

}  // namespace
}  // namespace gradlab::cli_test
