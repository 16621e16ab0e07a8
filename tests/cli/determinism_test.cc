// The same command with the same seed gives byte-identical output run after run, and whatever the
// number of threads a product may use (GRADLAB_NUM_THREADS of the child process): `lesson --json`, `probe --json`,
// `init` weight files and `gradients` result files. docs/conventions.md, "Determinism".
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::CliResult;
using cli_test::run_cli;

// Runs the CLI with GRADLAB_NUM_THREADS set to `threads`, restoring this process's value after.
CliResult run_with_blas_threads(const std::vector<std::string>& args, int threads) {
  const char* old = std::getenv("GRADLAB_NUM_THREADS");
  const std::optional<std::string> previous = old ? std::optional<std::string>(old) : std::nullopt;
  setenv("GRADLAB_NUM_THREADS", std::to_string(threads).c_str(), 1);
  CliResult r = run_cli(args);
  if (previous) {
    setenv("GRADLAB_NUM_THREADS", previous->c_str(), 1);
  } else {
    unsetenv("GRADLAB_NUM_THREADS");
  }
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r;
}

std::string file_bytes(const std::string& path) { return cli_test::detail::slurp(path); }

class Determinism : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_determinism_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Layers wide enough that their products are cut into tiles shared among threads.
    std::ofstream(path("m.json")) << R"({"name": "m", "inputs": {"x": [64]}, "layers": [
        {"name": "d1", "type": "dense", "units": 256, "activation": "relu"},
        {"name": "bn", "type": "batch_normalization"},
        {"name": "d2", "type": "dense", "units": 256, "activation": "tanh"},
        {"name": "d3", "type": "dense", "units": 8}]})";
    Rng rng(1);
    TensorFile input;
    input.add("x", uniform({256, 64}, rng, 0.0, 1.0));
    write_safetensors(path("x.safetensors"), input);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(Determinism, LessonJsonIsByteIdenticalRunAfterRunAndAcrossBlasThreads) {
  const std::vector<std::string> args{"lesson", "--json", "--seed", "5", "--trials", "3", "--grid-trials", "2",
                                      "--depths", "4,8", "--norm-trials", "1", "--norm-depths", "8",
                                      "--recurrent-trials", "1", "--recurrent-steps", "4,12", "--conv-seeds", "0"};
  const std::string first = run_with_blas_threads(args, 1).out;
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, run_with_blas_threads(args, 1).out);
  EXPECT_EQ(first, run_with_blas_threads(args, 2).out);
  EXPECT_EQ(first, run_with_blas_threads(args, 3).out);
}

TEST_F(Determinism, ProbeJsonIsByteIdenticalRunAfterRunAndAcrossBlasThreads) {
  const std::vector<std::string> args{"probe", "--json", "--seed", "3",  "--depth", "6", "--width",
                                      "256",   "--batch", "256", "--norm", "batch"};
  const std::string first = run_with_blas_threads(args, 1).out;
  EXPECT_NE(first.find("\"layers\""), std::string::npos) << first;
  EXPECT_EQ(first, run_with_blas_threads(args, 1).out);
  EXPECT_EQ(first, run_with_blas_threads(args, 2).out);
  EXPECT_EQ(first, run_with_blas_threads(args, 3).out);
}

TEST_F(Determinism, InitWritesTheSameWeightFileForTheSameSeed) {
  for (const char* out : {"w1.safetensors", "w2.safetensors"}) {
    run_with_blas_threads({"init", "--model", path("m.json"), "--seed", "9", "--out", path(out)}, 1);
  }
  run_with_blas_threads({"init", "--model", path("m.json"), "--seed", "10", "--out", path("w3.safetensors")}, 1);
  const std::string w1 = file_bytes(path("w1.safetensors"));
  EXPECT_GT(w1.size(), 64u * 256 * 4);
  EXPECT_EQ(w1, file_bytes(path("w2.safetensors")));
  EXPECT_NE(w1, file_bytes(path("w3.safetensors"))) << "another seed, other weights";
}

TEST_F(Determinism, GradientsWritesTheSameFileRunAfterRunAndAcrossBlasThreads) {
  run_with_blas_threads({"init", "--model", path("m.json"), "--seed", "9", "--out", path("w.safetensors")}, 1);
  std::vector<std::string> outputs, tables;
  for (const auto& [out, threads] : {std::pair{"g1.safetensors", 1}, {"g2.safetensors", 1}, {"g3.safetensors", 2}, {"g4.safetensors", 3}}) {
    tables.push_back(run_with_blas_threads({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"),
                                            "--input", path("x.safetensors"), "--training", "--out", path(out)},
                                           threads)
                         .out);
    outputs.push_back(file_bytes(path(out)));
  }
  EXPECT_GT(outputs[0].size(), 64u * 256 * 4);
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[0], outputs[2]) << "1 and 2 threads";
  EXPECT_EQ(outputs[0], outputs[3]) << "1 and 3 threads";
  EXPECT_EQ(tables[0], tables[1]);
  EXPECT_EQ(tables[0], tables[2]);
  EXPECT_EQ(tables[0], tables[3]);
}

}  // namespace
}  // namespace gradlab
