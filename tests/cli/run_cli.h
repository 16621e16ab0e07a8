#pragma once
// Runs the built gradlab binary (GRADLAB_CLI_PATH) as a child process, without a shell, and captures
// its exit status, standard output and standard error.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace gradlab::cli_test {

/// What one run of the CLI did.
struct CliResult {
  int exit_code = -1;  ///< the exit status, or 128 + signal number when killed by a signal
  std::string out;     ///< standard output
  std::string err;     ///< standard error
};

namespace detail {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Temporary files rather than pipes: a child that fills one pipe while we drain the other cannot
// deadlock.
inline std::string temp_path(const char* tag) {
  std::string path = std::string(::testing::TempDir()) + "gradlab_cli_" + tag + "_XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed for " + path);
  close(fd);
  return path;
}

/// Starts `gradlab args...` with standard output and error written to these files (created or
/// truncated) and returns its process id, or -1 when it cannot be started.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_strings{GRADLAB_CLI_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, GRADLAB_CLI_PATH, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace detail

/// Runs `gradlab args...` and waits for it to end.
inline CliResult run_cli(const std::vector<std::string>& args) {
  const std::string out_path = detail::temp_path("out"), err_path = detail::temp_path("err");
  const pid_t pid = detail::spawn_cli(args, out_path, err_path);
  if (pid < 0) throw std::runtime_error(std::string("cannot start ") + GRADLAB_CLI_PATH);
  int status = 0;
  waitpid(pid, &status, 0);

  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = detail::slurp(out_path);
  result.err = detail::slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

}  // namespace gradlab::cli_test
