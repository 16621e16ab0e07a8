// `gradlab sweep --train` (lab/trainability.h): the same bytes for any worker count and run after run,
// --resume finishes a partial file, a file of another mode or budget is refused, and the bad inputs of
// docs/bad-inputs.md (tests TrainSweepBadInputs.<Row>).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab::cli_test {
namespace {

using TrainSweepCli = SweepCliTest;
using TrainSweepBadInputs = SweepCliTest;

// 2 depths x 2 weight variances of tiny tanh networks trained 20 steps on 200 images: 4 configurations,
// well under a second each. Both variances are in the ordered phase, where the theory's xi_c takes
// milliseconds (near the critical line on the chaotic side it takes seconds).
std::vector<std::string> tiny_train_args() {
  return {"--train", "--depth", "2,6", "--width", "8", "--batch", "4", "--activation", "tanh", "--sigma-w2", "1,1.5",
          "--sigma-b2", "0.05", "--seed", "3", "--steps", "20", "--train-batch", "16", "--train-examples", "200",
          "--test-examples", "100"};
}

TEST_F(TrainSweepCli, FileIsTheSameForAnyWorkerCountAndRunAfterRun) {
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("one.csv"), "--workers", "1"}, tiny_train_args())).exit_code, 0);
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("two.csv"), "--workers", "2"}, tiny_train_args())).exit_code, 0);
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("again.csv"), "--workers", "2"}, tiny_train_args())).exit_code, 0);
  const std::string one = read_text("one.csv");
  EXPECT_EQ(one, read_text("two.csv"));
  EXPECT_EQ(one, read_text("again.csv"));
  EXPECT_TRUE(one.starts_with("id,depth,") && one.find(",budget,steps_run,train_loss,train_accuracy,test_accuracy,"
                                                       "diverged,xi_c,xi_grad\n") != std::string::npos) << one;

  const auto r = run_cli(with({"sweep", "--out", path("r.jsonl"), "--workers", "2"}, tiny_train_args()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = sorted_lines(read_text("r.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  for (const std::string& line : lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["budget"], "steps=20;batch=16;lr=0.01;train=200;test=100");
    EXPECT_EQ(j["steps_run"], 20);
    EXPECT_FALSE(j["diverged"].get<bool>());
    EXPECT_GT(j["test_accuracy"].get<double>(), 0.0);
    EXPECT_GT(j["xi_c"].get<double>(), 0.0);
    // The CSV holds the same figures.
    EXPECT_NE(one.find(fmt::format(",{},{},", j["steps_run"].get<int>(), j["train_loss"].get<double>())), std::string::npos);
  }
}

TEST_F(TrainSweepCli, ResumeFinishesAPartialFile) {
  for (const std::string ext : {".csv", ".jsonl"}) {
    SCOPED_TRACE(ext);
    ASSERT_EQ(run_cli(with({"sweep", "--out", path("full" + ext)}, tiny_train_args())).exit_code, 0);
    const std::string full = read_text("full" + ext);
    std::size_t cut = 0;
    for (int i = 0; i < (ext == ".csv" ? 3 : 2); ++i) cut = full.find('\n', cut) + 1;
    write_text("part" + ext, full.substr(0, cut + 30));
    const auto r = run_cli(with({"sweep", "--out", path("part" + ext), "--resume", "--workers", "2"}, tiny_train_args()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text("part" + ext), full);
  }
}

TEST_F(TrainSweepBadInputs, TrainSweepResumeOfAnotherModeOrBudget) {
  const std::vector<std::string> probe_only{"--depth", "2,6", "--width", "8", "--batch", "4", "--activation", "tanh",
                                            "--sigma-w2", "1,1.5", "--sigma-b2", "0.05", "--seed", "3"};
  for (const std::string ext : {".csv", ".jsonl"}) {
    SCOPED_TRACE(ext);
    ASSERT_EQ(run_cli(with({"sweep", "--out", path("probed" + ext)}, probe_only)).exit_code, 0);
    ASSERT_EQ(run_cli(with({"sweep", "--out", path("trained" + ext)}, tiny_train_args())).exit_code, 0);
    const std::string probed = read_text("probed" + ext), trained = read_text("trained" + ext);
    expect_refused(with({"sweep", "--out", path("probed" + ext), "--resume"}, tiny_train_args()),
                   {"holds a sweep of the built-in network, and this is a sweep of the built-in network trained (--train)", "choose another --out"});
    expect_refused(with({"sweep", "--out", path("trained" + ext), "--resume"}, probe_only),
                   {"holds a sweep of the built-in network trained (--train), and this is a sweep of the built-in network;", "choose another --out"});
    expect_refused(with(with({"sweep", "--out", path("trained" + ext), "--resume"}, tiny_train_args()), {"--lr", "0.1"}),
                   {"budget 'steps=20;batch=16;lr=0.01;train=200;test=100'", "steps=20;batch=16;lr=0.1;"});
    EXPECT_EQ(read_text("probed" + ext), probed);
    EXPECT_EQ(read_text("trained" + ext), trained);
  }
}

TEST_F(TrainSweepBadInputs, TrainSweepOptions) {
  expect_refused({"sweep", "--train", "--depth", "2"}, {"give 'sigma_w2'"});
  expect_refused({"sweep", "--train", "--model", "net.json", "--out", path("r.csv")}, {"--train", "does not take --model"});
  expect_refused({"sweep", "--train", "--sigma-w2", "1", "--skip", "residual"}, {"'skip' must be none"});
  expect_refused({"sweep", "--train", "--cell", "lstm", "--out", path("r.csv")}, {"--train", "does not take --cell"});
  expect_refused({"sweep", "--train", "--sigma-w2", "1", "--steps", "0"}, {"training steps must be in [1,", "got 0"});
  expect_refused({"sweep", "--train", "--sigma-w2", "1", "--lr", "-1"}, {"learning rate"});
  expect_refused({"sweep", "--steps", "10", "--sigma-w2", "1"}, {"--steps", "--train"});
}

TEST_F(TrainSweepBadInputs, TrainSweepMissingDataset) {
  expect_refused({"sweep", "--train", "--sigma-w2", "1", "--data-dir", path("nowhere"), "--out", path("r.csv")},
                 {path("nowhere"), "Fashion-MNIST is missing"});
}

}  // namespace
}  // namespace gradlab::cli_test
