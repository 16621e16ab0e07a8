#pragma once
// Files and child processes for the `gradlab train` tests: a tiny XOR CSV and model spec, and a
// child started without waiting, so a test can signal it while it trains.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/tensor/rng.h"
#include "run_cli.h"

namespace gradlab::cli_test {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

/// A fresh directory per test under the test temporary directory.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("gradlab_train_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// `rows` points of [-1, 1]^2 with label 1 where x * y > 0, as CSV "x,y,label".
inline std::string xor_csv(int rows) {
  Rng rng(5);
  std::string out = "x,y,label\n";
  for (int i = 0; i < rows; ++i) {
    const double x = rng.next_double() * 2 - 1, y = rng.next_double() * 2 - 1;
    out += std::to_string(x) + "," + std::to_string(y) + "," + (x * y > 0 ? "1" : "0") + "\n";
  }
  return out;
}

/// A small classifier for 2 features and 2 classes, with dropout so that resuming needs its generator.
inline const char* kXorSpec = R"({"name": "xor_net", "inputs": {"x": [2]},
  "layers": [{"type": "dense", "units": 16, "activation": "relu", "kernel_initializer": "he_uniform"},
             {"type": "dropout", "rate": 0.1},
             {"type": "dense", "units": 2}]})";

/// A child `gradlab` process with standard output and error going to files.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& dir)
      : out_((dir / "child.out").string()),
        err_((dir / "child.err").string()),
        pid_(detail::spawn_cli(args, out_, err_)) {}
  ~Child() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }
  /// Waits up to `seconds` for `text` to appear on the child's standard error.
  bool wait_for_stderr(const std::string& text, double seconds) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (read_text(err_).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  /// The exit status when the child exited, or -signal when a signal killed it.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  std::string err() const { return read_text(err_); }
  std::string out() const { return read_text(out_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  bool waited_ = false;
};

}  // namespace gradlab::cli_test
