// Replays every committed fuzz input (the seed corpus and the inputs that once crashed a reader,
// tests/fuzz/{corpus,regressions}/<target>/) through the same code the libFuzzer targets run, so the
// ordinary and sanitizer test builds keep each fixed crash fixed without needing clang.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/fuzz_targets.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(GRADLAB_SOURCE_DIR) / "tests" / "fuzz" / kind / target;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzInputs : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzInputs, SeedCorpusRunsCleanly) {
  const std::vector<fs::path> seeds = inputs("corpus", GetParam());
  ASSERT_GE(seeds.size(), 5u) << "each fuzz target has a committed seed corpus";
  for (const fs::path& seed : seeds) {
    SCOPED_TRACE(seed.string());
    EXPECT_NO_THROW(fuzz::run_target(GetParam(), slurp(seed)));
  }
}

TEST_P(FuzzInputs, EveryInputThatOnceCrashedIsAnErrorOrAValidFile) {
  for (const fs::path& input : inputs("regressions", GetParam())) {
    SCOPED_TRACE(input.string());
    EXPECT_NO_THROW(fuzz::run_target(GetParam(), slurp(input)));
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs, ::testing::ValuesIn(fuzz::target_names()),
                         [](const auto& info) { return info.param; });

TEST(FuzzTargets, SeedsExerciseTheParsersSuccessfulPaths) {
  // A corpus of files that all fail the first check would teach the fuzzer nothing: most seeds parse.
  int parsed = 0, total = 0;
  for (const fs::path& seed : inputs("corpus", "idx")) {
    ++total;
    try {
      parse_idx(slurp(seed), seed.string());
      ++parsed;
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(parsed, total);
  parsed = total = 0;
  for (const fs::path& seed : inputs("corpus", "model_spec")) {
    ++total;
    try {
      const ModelSpec spec = parse_model_spec(slurp(seed), seed.string());
      build_model(spec);
      EXPECT_TRUE(fuzz::detail::small_enough(spec)) << seed << " is small enough to build and train in the fuzzer";
      ++parsed;
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(parsed, total);
  parsed = total = 0;
  for (const fs::path& seed : inputs("corpus", "safetensors")) {
    ++total;
    try {
      parse_safetensors(slurp(seed), seed.string());
      ++parsed;
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(parsed, total - 1) << "all but the F16 seed, which shows the refusal path";
  parsed = total = 0;
  for (const fs::path& seed : inputs("corpus", "csv")) {
    ++total;
    try {
      parse_csv(slurp(seed), seed.string(), {.delimiter = seed.filename().string().starts_with("tab") ? '\t'
                                                  : seed.filename().string().starts_with("semicolon") ? ';'
                                                                                                  : ','});
      ++parsed;
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(parsed, total - 1) << "all but the NaN seed, which shows the refusal path";
  std::vector<std::string> loaded;
  std::string refusals;
  for (const fs::path& seed : inputs("corpus", "checkpoint")) {
    Sequential model = fuzz::detail::checkpoint_model();
    Adam optimizer;
    try {
      load_checkpoint(parse_safetensors(slurp(seed), seed.string()), model, optimizer);
      loaded.push_back(seed.filename().string());
    } catch (const Error& e) {
      refusals += std::string("\n") + e.what();
    }
  }
  EXPECT_EQ(loaded, std::vector<std::string>{"trained_adam.safetensors"})
      << "the other seeds show the refusals (an optimizer without state, another optimizer, another model):"
      << refusals;
}

}  // namespace
}  // namespace gradlab
