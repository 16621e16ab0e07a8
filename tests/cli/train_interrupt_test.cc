// Ctrl-C and SIGTERM during `gradlab train`: the step finishes, the checkpoint is written atomically,
// the exit status is 130 / 143, and --resume ends with the weights of an uninterrupted run.
#include <gtest/gtest.h>

#include "gradlab/io/safetensors.h"
#include "run_cli.h"
#include "train_cli_helpers.h"

namespace gradlab::cli_test {
namespace {

class TrainInterrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    write_text(path("xor.csv"), xor_csv(4096));
    write_text(path("net.json"), kXorSpec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Long enough that the signal arrives while it trains (it is sent just before the first step),
  // short enough for a test: 20,000 steps of a 2-16-2 network, 52 epochs of 384 steps.
  std::vector<std::string> args(const std::string& weights, const std::string& checkpoint = "") const {
    std::vector<std::string> a = {"train", "--model", path("net.json"), "--data", path("xor.csv"), "--label-column",
                                  "label", "--epochs", "1000", "--max-steps", "20000", "--batch-size", "8", "--seed", "9",
                                  "--validation-split", "0.25", "--weights-out", path(weights)};
    if (!checkpoint.empty()) a.insert(a.end(), {"--checkpoint", path(checkpoint)});
    return a;
  }
  void interrupt_and_resume(int sig, int expected_status) {
    Child child(args("partial.safetensors", "c.safetensors"), dir_);
    ASSERT_TRUE(child.started());
    ASSERT_TRUE(child.wait_for_stderr("steps per epoch", 30)) << child.err();
    child.signal(sig);
    ASSERT_EQ(child.wait(), expected_status) << child.err();
    EXPECT_FALSE(std::filesystem::exists(path("partial.safetensors")));  // only the checkpoint is written
    EXPECT_NE(child.err().find("continue with the same command and --resume"), std::string::npos) << child.err();
    const TensorFile checkpoint = read_safetensors(path("c.safetensors"));  // complete and readable
    EXPECT_EQ(checkpoint.metadata.at("format"), "gradlab-checkpoint-1");

    std::vector<std::string> resume = args("resumed.safetensors", "c.safetensors");
    resume.push_back("--resume");
    const CliResult resumed = run_cli(resume);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("resuming after step"), std::string::npos) << resumed.err;
    const CliResult whole = run_cli(args("whole_weights.safetensors"));
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    EXPECT_EQ(read_text(path("resumed.safetensors")), read_text(path("whole_weights.safetensors")));
  }
  std::filesystem::path dir_;
};

TEST_F(TrainInterrupt, CtrlCSavesExits130AndResumesBitIdentical) { interrupt_and_resume(SIGINT, 130); }

TEST_F(TrainInterrupt, SigtermSavesExits143AndResumesBitIdentical) { interrupt_and_resume(SIGTERM, 143); }

}  // namespace
}  // namespace gradlab::cli_test
