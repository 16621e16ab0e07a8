#pragma once
// Shared by the `gradlab sweep` CLI tests: a scratch folder, file helpers and a tiny grid.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "run_cli.h"

namespace gradlab::cli_test {

class SweepCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("gradlab_sweep_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

 public:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_text(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }
  std::string read_text(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(path(name)); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  /// A docs/bad-inputs.md refusal: exit 2, each of `fragments` on stderr, nothing on stdout, and the
  /// folder as it was.
  void expect_refused(const std::vector<std::string>& args, const std::vector<std::string>& fragments) const {
    const auto before = files();
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    for (const std::string& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "'" << f << "' is not in: " << r.err;
    EXPECT_EQ(files(), before);
  }

  std::filesystem::path dir_;
};

/// The lines of `text` (each without its newline), sorted: files written by different numbers of
/// workers hold the same lines in another order.
inline std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// How many times `needle` occurs in `text` (charts of a kind on a page).
inline int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

/// 2 depths x 2 activations x 2 trials of small networks: 8 configurations, a few milliseconds.
inline std::vector<std::string> tiny_grid_args() {
  return {"--depth", "2,3", "--width", "8", "--batch", "4", "--activation", "relu,tanh", "--trials", "2", "--seed", "5"};
}

/// The same grid as a --grid file.
inline const char* kTinyGridJson =
    R"({"depth": [2, 3], "width": 8, "batch": [4], "activation": ["relu", "tanh"], "trials": 2, "seed": 5})";

/// `args` with `more` appended.
inline std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace gradlab::cli_test
