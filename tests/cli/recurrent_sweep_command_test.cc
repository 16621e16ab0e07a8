// `gradlab sweep --cell`: recurrent networks swept inline and from a --grid file, their rows with the
// time axis, the same file whatever the workers, --resume, a row reproduced by `gradlab probe --cell`,
// and the bad inputs of docs/bad-inputs.md (tests RecurrentSweepBadInputs.<Row>).
#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab::cli_test {
namespace {

using RecurrentSweepCli = SweepCliTest;

// 2 cells x 2 lengths x 2 recurrent initializers x 2 trials of small stacks: 16 configurations.
std::vector<std::string> tiny_recurrent_args() {
  return {"--cell", "simple_rnn,gru", "--time-steps", "3,12", "--layers", "2", "--units", "6", "--batch", "3",
          "--recurrent-init", "glorot_uniform,orthogonal", "--trials", "2", "--seed", "4"};
}

constexpr const char* kTinyRecurrentGridJson =
    R"({"cell": ["simple_rnn", "gru"], "time_steps": [3, 12], "layers": 2, "units": 6, "batch": 3,
        "recurrent_init": ["glorot_uniform", "orthogonal"], "trials": 2, "seed": 4})";

TEST_F(RecurrentSweepCli, ReportChartsTheGradientThroughTime) {
  const auto r = run_cli(with({"sweep", "--out", path("r.csv"), "--report", path("r.html")}, tiny_recurrent_args()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = read_text("r.html");
  EXPECT_NE(page.find("Gradient through time"), std::string::npos);
  EXPECT_NE(page.find("the number of layers times the number of time-steps"), std::string::npos) << "the lesson's claim";
  EXPECT_NE(page.find("|dL/dh_t| of the bottom recurrent layer"), std::string::npos) << "the line chart";
  // 8 configurations (the first trial of each): a layers x time heatmap each, no note of a cut.
  EXPECT_EQ(count_of(page, "dark cells at the bottom left"), 8);
  EXPECT_EQ(page.find("Layers x time for the first"), std::string::npos);

  // 3 cells x 2 lengths x 2 recurrent initializers, one trial: 12 configurations, 8 heatmaps.
  const auto more = run_cli({"sweep", "--out", path("m.csv"), "--report", path("m.html"), "--cell", "simple_rnn,lstm,gru",
                             "--time-steps", "3,5", "--layers", "2", "--units", "4", "--batch", "2", "--recurrent-init",
                             "glorot_uniform,orthogonal"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  const std::string cut = read_text("m.html");
  EXPECT_NE(cut.find("Layers x time for the first 8 of the 12 configurations"), std::string::npos);
  EXPECT_EQ(count_of(cut, "dark cells at the bottom left"), 8);
}

TEST_F(RecurrentSweepCli, RowsCarryTheTimeAxisAndTheFileIsTheSameForAnyNumberOfWorkers) {
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("one.csv"), "--workers", "1"}, tiny_recurrent_args())).exit_code, 0);
  const auto r = run_cli(with({"sweep", "--out", path("two.csv"), "--workers", "2"}, tiny_recurrent_args()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("16 configurations ("), std::string::npos) << r.out;
  EXPECT_EQ(read_text("one.csv"), read_text("two.csv")) << "byte for byte, in grid order";

  const std::string csv = read_text("one.csv");
  EXPECT_TRUE(csv.starts_with("id,cell,layers,units,time_steps,activation,init,recurrent_init,norm,batch,dtype,trial,"
                              "seed,input_grad_norm,first_step_grad_norm,last_step_grad_norm,first_last_ratio,"
                              "gain_per_step,verdict,spectral_radius,largest_singular_value,pascanu_bound,"
                              "vanishing_guaranteed,forget_gate_near_zero,forget_gate_near_one,loss,anomaly\n"))
      << csv.substr(0, 300);
  // The first row is in grid order: simple_rnn, 3 steps, glorot_uniform recurrent kernel, trial 0.
  const std::string first = csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
  EXPECT_TRUE(first.starts_with("\"cell=simple_rnn,layers=2,units=6,time_steps=3,activation=tanh,init=glorot_uniform,"
                                "recurrent_init=glorot_uniform,norm=none,batch=3,dtype=float32,trial=0\",simple_rnn,2,6,3,"
                                "tanh,glorot_uniform,glorot_uniform,none,3,float32,0,"))
      << first;

  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.jsonl"), "--workers", "2"}, tiny_recurrent_args())).exit_code, 0);
  int rows = 0;
  for (const std::string& line : sorted_lines(read_text("r.jsonl"))) {
    const auto j = nlohmann::json::parse(line);
    const auto& a = j["time_axis"];
    ASSERT_TRUE(a.is_object()) << line;
    EXPECT_EQ(a["time_steps"], j["time_steps"]);
    EXPECT_EQ(a["recurrent_layers"], 2);
    EXPECT_EQ(j["verdict"], a["verdict"]) << "a recurrent row's verdict is the one over layers x time";
    // The ratio is the two norms' (up to the rounding of the division).
    EXPECT_NEAR(a["first_last_ratio"].get<double>(),
                a["first_step_grad_norm"].get<double>() / a["last_step_grad_norm"].get<double>(),
                1e-12 * a["first_last_ratio"].get<double>());
    if (j["cell"] == "simple_rnn") {
      EXPECT_EQ(a["pascanu_bound"], 1.0) << "tanh: gamma = 1";
      EXPECT_TRUE(a["forget_gate_near_zero"].is_null());
    } else {
      EXPECT_TRUE(a["pascanu_bound"].is_null()) << "the theorem is for the plain recurrence";
    }
    // Keras's orthogonal draws the whole (units, gates * units) kernel at once: only a SimpleRNN's
    // single block is itself orthogonal.
    if (j["recurrent_init"] == "orthogonal" && j["cell"] == "simple_rnn") {
      EXPECT_NEAR(a["largest_singular_value"].get<double>(), 1.0, 1e-5) << line;
      EXPECT_FALSE(a["vanishing_guaranteed"].get<bool>());
    }
    ++rows;
  }
  EXPECT_EQ(rows, 16);
}

TEST_F(RecurrentSweepCli, TheGradientReachingTheFirstStepFallsWithTimeStepsForASimpleRnn) {
  // tanh saturates and glorot_uniform's 32 x 32 recurrent kernel has sigma_max near 2 (above 1/gamma
  // = 1, so Pascanu et al.'s sufficient condition does not apply): the first step's share of the
  // gradient still falls geometrically with T in this network, by orders of magnitude from 5 to 40
  // steps (measured 0.28 and 7e-8 with these seeds).
  const auto r = run_cli({"sweep", "--cell", "simple_rnn", "--time-steps", "5,40", "--units", "32", "--batch", "4",
                          "--recurrent-init", "glorot_uniform", "--dtype", "float64", "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<int, nlohmann::json> by_steps;
  for (const std::string& line : sorted_lines(read_text("r.jsonl"))) {
    const auto j = nlohmann::json::parse(line);
    by_steps[j["time_steps"].get<int>()] = j["time_axis"];
  }
  ASSERT_EQ(by_steps.size(), 2u);
  EXPECT_GT(by_steps[40]["largest_singular_value"].get<double>(), 1.0);
  EXPECT_FALSE(by_steps[40]["vanishing_guaranteed"].get<bool>());
  EXPECT_LT(by_steps[40]["gain_per_step"].get<double>(), 1.0);
  EXPECT_LT(by_steps[40]["first_last_ratio"].get<double>(), 1e-3 * by_steps[5]["first_last_ratio"].get<double>());
}

TEST_F(RecurrentSweepCli, AGridFileGivesTheSameResultsAsTheInlineGrid) {
  write_text("grid.json", kTinyRecurrentGridJson);
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("inline.csv")}, tiny_recurrent_args())).exit_code, 0);
  const auto r = run_cli({"sweep", "--grid", path("grid.json"), "--out", path("file.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text("file.csv"), read_text("inline.csv"));
}

TEST_F(RecurrentSweepCli, ResumeAfterATruncatedFileEqualsAnUninterruptedRun) {
  for (const std::string ext : {".csv", ".jsonl"}) {
    SCOPED_TRACE(ext);
    ASSERT_EQ(run_cli(with({"sweep", "--out", path("full" + ext)}, tiny_recurrent_args())).exit_code, 0);
    const std::string full = read_text("full" + ext);
    std::size_t cut = 0;
    for (int i = 0; i < 5; ++i) cut = full.find('\n', cut) + 1;
    write_text("part" + ext, full.substr(0, cut + 30));
    const auto r = run_cli(with({"sweep", "--out", path("part" + ext), "--resume", "--workers", "2"}, tiny_recurrent_args()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text("part" + ext), full);
  }
}

TEST_F(RecurrentSweepCli, ARowIsReproducedByProbeWithItsSeed) {
  const auto r = run_cli({"sweep", "--cell", "lstm", "--time-steps", "9", "--layers", "2", "--units", "5", "--batch", "3",
                          "--norm", "layer", "--seed", "7", "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(read_text("r.jsonl"));
  EXPECT_EQ(row["norm"], "layer");
  const auto probe = run_cli({"probe", "--cell", "lstm", "--time-steps", "9", "--layers", "2", "--units", "5", "--batch",
                              "3", "--norm", "layer", "--seed", std::to_string(row["seed"].get<uint64_t>()), "--json"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  const auto p = nlohmann::json::parse(probe.out);
  EXPECT_EQ(row["input_grad_norm"].get<double>(), p["input_grad"]["l2_norm"].get<double>());
  const auto& layers = p["through_time"]["layers"];
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(row["time_axis"]["first_step_grad_norm"].get<double>(), layers[0]["state_grad_norm"][0].get<double>());
  EXPECT_EQ(row["time_axis"]["last_step_grad_norm"].get<double>(), layers[1]["state_grad_norm"][8].get<double>());
  EXPECT_EQ(row["time_axis"]["gain_per_step"].get<double>(), layers[0]["gain_per_step"].get<double>());
  EXPECT_EQ(row["first_last_ratio"].get<double>(), p["through_time"]["first_to_last_ratio"].get<double>());
}

TEST_F(RecurrentSweepCli, ASpecWithRecurrentLayersSweepsWithItsTimeAxis) {
  const std::string spec = std::string(GRADLAB_SOURCE_DIR) + "/tests/golden/rnn_lstm_f32/spec.json";
  const auto r = run_cli({"sweep", "--model", spec, "--init", "glorot_uniform,he_uniform", "--batch", "4", "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(read_text("r.jsonl").substr(0, read_text("r.jsonl").find('\n')));
  const auto& a = row["time_axis"];
  ASSERT_TRUE(a.is_object()) << row.dump();
  EXPECT_EQ(a["time_steps"], 6);
  EXPECT_EQ(a["recurrent_layers"], 3);  // l1, l2, l3
  const auto probe = run_cli({"probe", "--model", spec, "--init", "glorot_uniform", "--batch", "4", "--seed",
                              std::to_string(row["seed"].get<uint64_t>()), "--json"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  const auto p = nlohmann::json::parse(probe.out);
  EXPECT_EQ(a["first_step_grad_norm"].get<double>(), p["through_time"]["layers"][0]["state_grad_norm"][0].get<double>());
  EXPECT_EQ(a["verdict"], p["through_time"]["verdict"]);
  // A network without recurrent layers has no time axis.
  ASSERT_EQ(run_cli({"sweep", "--depth", "2", "--width", "4", "--batch", "2", "--out", path("d.jsonl")}).exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(read_text("d.jsonl"))["time_axis"].is_null());
}

// docs/bad-inputs.md rows: exit 2, the message on stderr, nothing on stdout, no file left behind.
using RecurrentSweepBadInputs = SweepCliTest;

TEST_F(RecurrentSweepBadInputs, RecurrentSweepBadNormOrOption) {
  expect_refused({"sweep", "--cell", "lstm", "--norm", "batch", "--out", path("r.csv")},
                 {"norm 'batch' is not a recurrent cell's: none, or layer"});
  expect_refused({"sweep", "--cell", "gru", "--time-steps", "0", "--out", path("r.csv")}, {"--time-steps"});
  expect_refused({"sweep", "--time-steps", "10", "--out", path("r.csv")}, {"--time-steps requires --cell"});
  expect_refused({"sweep", "--cell", "gru", "--skip", "residual", "--out", path("r.csv")}, {"--cell excludes --skip"});
  expect_refused({"sweep", "--cell", "gru", "--time-steps", "10,10", "--out", path("r.csv")},
                 {"'time_steps' lists 10 twice"});
}

TEST_F(RecurrentSweepBadInputs, RecurrentSweepGridBadKey) {
  write_text("grid.json", R"({"cell": "lstm", "depth": [2]})");
  expect_refused({"sweep", "--grid", path("grid.json"), "--out", path("r.csv")},
                 {"key 'depth' does not apply to a sweep of recurrent networks ('cell'; valid keys: cell, layers"});
  write_text("grid.json", R"({"cell": "lstm", "model": "net.json"})");
  expect_refused({"sweep", "--grid", path("grid.json"), "--out", path("r.csv")}, {"keys 'model' and 'cell' exclude each other"});
  write_text("grid.json", R"({"cell": ["elman"]})");
  expect_refused({"sweep", "--grid", path("grid.json"), "--out", path("r.csv")}, {"key 'cell': ", "elman"});
}

TEST_F(RecurrentSweepBadInputs, RecurrentSweepResumeOfAnotherKind) {
  ASSERT_EQ(run_cli({"sweep", "--depth", "2", "--width", "4", "--batch", "2", "--out", path("r.csv")}).exit_code, 0);
  const std::string before = read_text("r.csv");
  expect_refused(with({"sweep", "--out", path("r.csv"), "--resume"}, tiny_recurrent_args()),
                 {path("r.csv") + ": line 1: the file holds a sweep of the built-in network, and this is a sweep of "
                                  "recurrent networks (--cell)"});
  EXPECT_EQ(read_text("r.csv"), before);
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("s.jsonl")}, tiny_recurrent_args())).exit_code, 0);
  std::vector<std::string> other = tiny_recurrent_args();
  other[3] = "3,13";
  expect_refused(with({"sweep", "--out", path("s.jsonl"), "--resume"}, other),
                 {"configuration 'cell=simple_rnn,layers=2,units=6,time_steps=12,", "is not in this sweep's grid"});
}

}  // namespace
}  // namespace gradlab::cli_test
