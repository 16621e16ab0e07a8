// `gradlab report` and `gradlab probe --report` end to end (small studies), and the study behind them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "html_report.h"
#include "report_edge.h"
#include "report_study.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;
using nlohmann::json;

// A small study: 2 configurations x 2 depths, one trial each, and a short lesson table.
const std::vector<std::string> kSmall = {"--depths", "2,3", "--activations", "relu", "--initializers", "he_uniform",
                                         "--skips", "none", "--norms", "none,layer", "--trials", "1",
                                         "--lesson-trials", "2", "--no-training", "--recurrent-trials", "0", "--no-trainability", "--no-edge",
                                         "--no-adding-problem", "--no-conv"};

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_report_command_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  cli_test::CliResult report(std::vector<std::string> extra) {
    std::vector<std::string> args{"report"};
    args.insert(args.end(), kSmall.begin(), kSmall.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  fs::path dir_;
};

TEST_F(ReportCommand, PrintsTheSummaryAndWritesOnePage) {
  const auto r = report({"--out", path("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("At depth 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("relu/he"), std::string::npos) << r.out;
  // Issue 14, item 14: exploding configurations are not counted as keeping gradients "alive".
  EXPECT_NE(r.out.find(" are healthy at depth 3 (neither vanishing nor exploding)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Report with interactive charts: " + path("r.html")), std::string::npos) << r.out;
  const std::string html = slurp(path("r.html"));
  EXPECT_NE(html.find("At a glance: which remedies keep gradients healthy at depth 3"), std::string::npos);
  EXPECT_NE(html.find("The lesson&#39;s networks"), std::string::npos);
  EXPECT_GE(std::count(html.begin(), html.end(), '\n'), 10);
  // Depth heatmap, per-layer norms, per-layer heatmap, dead units (relu).
  EXPECT_NE(html.find("data-target=\"chart-4\""), std::string::npos);
  EXPECT_EQ(html.find("data-target=\"chart-5\""), std::string::npos);
  // Nothing but the report in the folder: no temporary file left.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(ReportCommand, JsonSummaryHasOneObjectPerCell) {
  const auto r = report({"--out", path("r.html"), "--json", "--seed", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["command"], "report");
  EXPECT_EQ(j["seed"], 5);
  EXPECT_EQ(j["depths"], json::array({2, 3}));
  ASSERT_EQ(j["cells"].size(), 4u);
  EXPECT_EQ(j["cells"][0]["normalization"], "none");
  EXPECT_EQ(j["cells"][0]["depth"], 2);
  EXPECT_TRUE(j["cells"][3]["verdict"].is_string());
  EXPECT_TRUE(j["conv"].is_null());  // --no-conv
  // Same seed, same numbers.
  const auto again = report({"--out", path("r2.html"), "--json", "--seed", "5"});
  EXPECT_EQ(json::parse(again.out)["cells"], j["cells"]);
}

TEST_F(ReportCommand, RecurrentSectionChartsTheLessonsLayersTimesTimeSteps) {
  std::vector<std::string> args{"report"};
  for (const std::string& a : kSmall) args.push_back(a == "0" && args.back() == "--recurrent-trials" ? "2" : a);
  args.insert(args.end(), {"--recurrent-steps", "3,30", "--out", path("r.html"), "--json"});
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_TRUE(j.contains("recurrent")) << r.out.substr(0, 400);
  EXPECT_EQ(j["recurrent"]["options"]["time_steps"], json::array({3, 30}));
  EXPECT_EQ(j["recurrent"]["options"]["trials"], 2);
  EXPECT_EQ(j["recurrent"]["cases"].size(), 6u);
  const std::string html = slurp(path("r.html"));
  EXPECT_NE(html.find("Recurrent networks: layers times time steps"), std::string::npos);
  EXPECT_NE(html.find("the number of layers times the number of time-steps!"), std::string::npos);
  EXPECT_NE(html.find("what the measurements say"), std::string::npos);
  // The depth section's four charts follow the recurrent section's three.
  EXPECT_NE(html.find("data-target=\"chart-7\""), std::string::npos);
  EXPECT_EQ(html.find("data-target=\"chart-8\""), std::string::npos);
  for (const json& f : j["recurrent"]["findings"]) {
    EXPECT_NE(html.find(f["figures"].get<std::string>().substr(0, 20)), std::string::npos) << f.dump();
  }
  const auto bad = run_cli({"report", "--recurrent-steps", "30,3", "--out", path("b.html")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("time steps must increase"), std::string::npos) << bad.err;
}

TEST_F(ReportCommand, TrainingSectionShowsTheLessonsClaimsOnFashionMnist) {
  const std::vector<std::string> tiny = {"--train-examples", "256", "--test-examples", "128", "--train-epochs", "1",
                                         "--adding-time-steps", "4,6", "--adding-examples", "64", "--adding-epochs", "1",
                                         "--adding-seeds", "2"};
  std::vector<std::string> args{"report", "--depths", "2", "--activations", "relu", "--initializers", "he_uniform",
                                "--skips", "none", "--norms", "none", "--trials", "1", "--lesson-trials", "2",
                                "--recurrent-trials", "0", "--no-trainability", "--no-edge", "--no-conv", "--out", path("r.html"), "--json"};
  args.insert(args.end(), tiny.begin(), tiny.end());
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& arms = j["training"]["arms"];
  ASSERT_EQ(arms.size(), 9u) << r.out;
  EXPECT_EQ(j["training"]["seeds"].size(), 3u);
  EXPECT_EQ(arms[1]["name"], "deep_sigmoid");
  ASSERT_EQ(arms[1]["runs"].size(), 3u);
  for (const json& run : arms[1]["runs"]) EXPECT_LT(run["early_to_late_gradient_ratio"].get<double>(), 1e-2);
  // The exploding runs overflow and the anomaly check names a layer; the clipped ones complete.
  EXPECT_EQ(arms[7]["name"], "exploding");
  EXPECT_EQ(arms[7]["runs"][0]["stop_reason"], "anomaly");
  EXPECT_TRUE(arms[7]["runs"][0]["anomaly"]["layer"].is_string());
  EXPECT_EQ(arms[8]["baseline"], "exploding");
  EXPECT_EQ(arms[8]["runs"][2]["stop_reason"], "completed");
  const std::string html = slurp(path("r.html"));
  EXPECT_NE(html.find("cases on real data (gradlab&#39;s extension)"), std::string::npos);
  EXPECT_NE(html.find("the longest update measured was"), std::string::npos);
  // The adding problem: three cells at each T and the clipping pair (at T = 50), over 2 seeds.
  const json& adding = j["adding_problem"];
  ASSERT_EQ(adding["arms"].size(), 8u) << adding.dump();
  EXPECT_EQ(adding["arms"][4]["name"], "lstm");
  EXPECT_EQ(adding["arms"][4]["time_steps"], 6);
  EXPECT_EQ(adding["arms"][4]["runs"].size(), 2u);
  EXPECT_EQ(adding["arms"][6]["name"], "exploding");
  EXPECT_EQ(adding["arms"][7]["name"], "exploding_clipped");
  EXPECT_EQ(adding["arms"][7]["runs"][0]["stop_reason"], "completed");
  EXPECT_NE(html.find("the adding problem (Hochreiter &amp; Schmidhuber 1997)"), std::string::npos);
  EXPECT_NE(html.find("gradient clipping (Pascanu et al. 2013), T = 50"), std::string::npos);

  // A missing dataset is bad input, found before any probing, and nothing is written.
  std::vector<std::string> missing = args;
  missing[std::find(missing.begin(), missing.end(), path("r.html")) - missing.begin()] = path("m.html");
  missing.insert(missing.end(), {"--data-dir", path("no-such-folder")});
  const auto m = run_cli(missing);
  EXPECT_EQ(m.exit_code, 2) << m.err;
  EXPECT_NE(m.err.find("no-such-folder"), std::string::npos) << m.err;
  EXPECT_FALSE(fs::exists(path("m.html")));
}

// The convolutional section (issue 18, item 5) on tiny sizes: every arm at every depth, every arm
// trained, its findings on the page beside their figures, and its numbers in --json.
TEST_F(ReportCommand, ConvSectionComparesShortcutsAndNormalizations) {
  std::vector<std::string> args{"report"};
  for (const std::string& a : kSmall) {
    if (a != "--no-conv") args.push_back(a);
  }
  args.insert(args.end(), {"--conv-depths", "2,4", "--conv-seeds", "2", "--conv-filters", "4", "--conv-train-depth", "2",
                           "--conv-train-steps", "4", "--conv-train-examples", "64", "--conv-train-seeds", "2",
                           "--out", path("c.html"), "--json"});
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& conv = j["conv"];
  ASSERT_EQ(conv["cells"].size(), 2u * 5 * 2) << r.out.substr(0, 400);
  EXPECT_EQ(conv["cells"][0]["skip"], "none");
  EXPECT_EQ(conv["cells"][0]["normalization"], "none");
  EXPECT_EQ(conv["cells"][19]["skip"], "identity");
  EXPECT_EQ(conv["cells"][19]["normalization"], "instance");
  EXPECT_EQ(conv["cells"][19]["depth"], 4);
  EXPECT_EQ(conv["cells"][19]["trials"].size(), 2u);
  EXPECT_EQ(conv["cells"][19]["trials"][0]["grad_norms"].size(), 4u);
  EXPECT_NE(conv["inputs"].get<std::string>().find("fashion-mnist/train"), std::string::npos);
  ASSERT_EQ(conv["training"].size(), 10u);
  EXPECT_EQ(conv["training"][1]["runs"].size(), 2u);
  EXPECT_TRUE(conv["training"][1]["final_loss"]["mean"].is_number());
  const std::string html = slurp(path("c.html"));
  EXPECT_NE(html.find("Convolutional networks: identity shortcuts and normalization"), std::string::npos);
  EXPECT_NE(html.find("He et al. 2016"), std::string::npos);
  EXPECT_NE(html.find("Wu &amp; He 2018"), std::string::npos);
  EXPECT_NE(html.find("Over training at depth 2"), std::string::npos);
  ASSERT_FALSE(conv["findings"].empty());
  for (const json& f : conv["findings"]) {
    EXPECT_NE(html.find(cli::html_escape(f["text"].get<std::string>().substr(0, 30))), std::string::npos) << f.dump();
  }
  // Missing images are bad input before any probing, as the training section's are.
  std::vector<std::string> missing = args;
  missing[std::find(missing.begin(), missing.end(), path("c.html")) - missing.begin()] = path("m.html");
  missing.insert(missing.end(), {"--data-dir", path("no-such-folder")});
  const auto m = run_cli(missing);
  EXPECT_EQ(m.exit_code, 2) << m.err;
  EXPECT_FALSE(fs::exists(path("m.html")));
}

TEST_F(ReportCommand, UnwritableOutIsBadUsageAndLeavesNoFile) {
  std::ofstream(path("file.txt")) << "x";
  for (const std::string& out : {path("missing/r.html"), path("file.txt/r.html"), dir_.string()}) {
    const auto r = report({"--out", out});
    EXPECT_EQ(r.exit_code, 2) << out << "\n" << r.err;
    EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(ReportCommand, BadOptionsAreBadUsage) {
  const std::vector<std::vector<std::string>> bad = {
      {"--trials", "0"},        {"--depths", "0"},          {"--depths", "5000"},     {"--activations", "nope"},
      {"--norms", "instance"},  {"--skips", "dense"},       {"--seed", "-1"},         {"--initializers", "zeros2"},
      {"--lesson-trials", "0"}, {"--frobnicate"},           {"--depths", "2,x"},      {"--train-examples", "0"},
      {"--train-epochs", "0"},  {"--test-examples", "20000"}, {"--edge-sigma-w2-points", "1"},
      {"--edge-sigma-w2-points", "201"}, {"--edge-sigma-b2-points", "0"}, {"--edge-sigma-b2-points", "x"},
      {"--adding-time-steps", "1"}, {"--adding-seeds", "0"}, {"--adding-epochs", "0"},
      {"--conv-depths", "1"}, {"--conv-depths", "5,3"}, {"--conv-seeds", "0"}, {"--conv-filters", "6"},
      {"--conv-train-examples", "0"}};
  for (const auto& args : bad) {
    std::vector<std::string> full{"report"};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"--out", path("r.html")});
    const auto r = run_cli(full);
    EXPECT_EQ(r.exit_code, 2) << args[0] << "\n" << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  EXPECT_FALSE(fs::exists(path("r.html")));
}

// The edge-of-chaos section (issue 16, items 5 and 7): its counts are the cells' own (a sign
// comparison of ln g and ln chi_1 recomputed here from the JSON), its words name them, and the page has
// the phase diagrams and the isometry charts.
TEST_F(ReportCommand, EdgeOfChaosSectionCountsTheCellsItShows) {
  std::vector<std::string> args{"report"};
  for (const std::string& a : kSmall) {
    if (a != "--no-edge") args.push_back(a);
  }
  args.insert(args.end(), {"--edge-sigma-w2-points", "4", "--edge-sigma-b2-points", "2", "--json", "--out", path("e.html")});
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& edge = j["edge_of_chaos"];
  ASSERT_EQ(edge["cells"].size(), 2u * 4u * 2u) << r.out;
  for (const std::string activation : {"tanh", "relu"}) {
    int measured = 0, agreeing = 0;
    for (const json& c : edge["cells"]) {
      if (c["activation"] != activation || !c["measured_gain"].is_number() || c["phase"] == "critical") continue;
      ++measured;
      if ((c["measured_gain"].get<double>() > 1) == (c["chi_1"].get<double>() > 1)) ++agreeing;
    }
    EXPECT_EQ(edge["agreement"][activation]["measured"], measured) << activation;
    EXPECT_EQ(edge["agreement"][activation]["agreeing"], agreeing) << activation;
  }
  ASSERT_EQ(edge["dynamical_isometry"].size(), 4u);
  EXPECT_EQ(edge["dynamical_isometry"][1]["weights"], "orthogonal");
  EXPECT_EQ(edge["initializers"].size(), 6u);  // glorot, he, lecun x tanh, relu
  const std::string html = slurp(path("e.html"));
  EXPECT_NE(html.find("Edge of chaos: the measured phase diagram beside the theory"), std::string::npos);
  EXPECT_NE(html.find("Dynamical isometry: the Jacobian"), std::string::npos);
  const int agreeing_tanh = edge["agreement"]["tanh"]["agreeing"], measured_tanh = edge["agreement"]["tanh"]["measured"];
  EXPECT_NE(html.find(fmt::format("tanh: {} of {} cells", agreeing_tanh, measured_tanh)), std::string::npos);

}

// The terminal line counts the cells as edge_agreement does and names the deepest isometry figures
// (built by hand here: no study runs). Cell 3 disagrees (g > 1 where chi_1 < 1); cell 4 has no gain.
TEST(ReportEdgeText, CountsAgreeingCellsAndNamesTheIsometryFigures) {
  EdgeOfChaos edge;
  edge.options.activations = {"tanh"};
  edge.options.grid = {.sigma_w2_points = 2, .sigma_b2_points = 2};
  const auto cell = [](double g, double chi) {
    return EdgeCell{.activation = "tanh", .measured_gain = g,
                    .theory = {.chi_1 = chi, .phase = chi < 1 ? theory::Phase::ordered : theory::Phase::chaotic}};
  };
  edge.cells = {cell(0.5, 0.6), cell(1.4, 1.3), cell(1.02, 0.97), cell(std::nan(""), 2.0)};
  DynamicalIsometry iso;
  iso.options.activations = {"tanh"};
  iso.options.depths = {1, 64};
  for (const auto& [weights, condition] : {std::pair{IsometryWeights::gaussian, 5e13}, {IsometryWeights::orthogonal, 3.6e6}}) {
    IsometryArm arm{.activation = "tanh", .weights = weights};
    arm.depths.push_back({.depth = 64, .spectrum = {.condition_number = condition}});
    iso.arms.push_back(arm);
  }
  const std::string text = cli::edge_text(edge, iso);
  EXPECT_NE(text.find("Edge of chaos (depth 50, width 64, 2 x 2 grid of sigma_w2 x sigma_b2): tanh 2 of 3 cells measured on the "
                      "theory's side of the critical line."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Dynamical isometry at depth 64, sigma_max/sigma_min: tanh 3.6e+06 orthogonal vs 5.0e+13 Gaussian."),
            std::string::npos)
      << text;
  const EdgeAgreement a = edge_agreement(edge, "tanh");
  EXPECT_NEAR(a.largest_disagreeing_log_chi, -std::log(0.97), 1e-12);
}

TEST_F(ReportCommand, ProbeWritesAReportBesideItsTable) {
  const auto r = run_cli({"probe", "--depth", "5", "--width", "8", "--activation", "tanh", "--report", path("p.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("verdict"), std::string::npos);
  const std::string html = slurp(path("p.html"));
  EXPECT_NE(html.find("gradlab probe: inline: 5 x Dense(8, tanh)"), std::string::npos);
  EXPECT_NE(html.find("<td>layer5</td>"), std::string::npos);
  EXPECT_NE(html.find("data-target=\"chart-2\""), std::string::npos);  // norms, saturation
  const auto bad = run_cli({"probe", "--depth", "2", "--report", path("missing/p.html")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_FALSE(fs::exists(path("missing")));
}

TEST(ReportStudy, MeasuresEveryConfigurationAtEveryDepth) {
  cli::ReportStudyOptions options{.trials = 2, .depths = {3, 2, 3}, .lesson_trials = 2};
  options.initializers = {"he_uniform"};
  options.activations = {"sigmoid", "relu"};
  options.skips = {SkipConnection::none};
  options.normalizations = {SkipNormalization::none};
  int calls = 0;
  const cli::ReportStudy study = cli::run_report_study(options, [&](int64_t done, int64_t total) {
    ++calls;
    EXPECT_EQ(total, 4);
    EXPECT_EQ(done, calls);
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(study.options.depths, (std::vector<int>{2, 3}));
  ASSERT_EQ(study.cells.size(), 4u);
  EXPECT_EQ(study.cells[1].config.activation, "sigmoid");
  EXPECT_EQ(study.cells[1].depth, 3);
  EXPECT_EQ(study.cells[1].first.summary.grad_norms.size(), 3u);
  EXPECT_GE(study.cells[1].verdict_trials, 1);
  EXPECT_LE(study.cells[1].verdict_trials, 2);
  EXPECT_GT(study.cells[1].input_grad_median, 0);
  ASSERT_EQ(study.deepest().size(), 2u);
  EXPECT_EQ(study.deepest()[1]->config.activation, "relu");
  EXPECT_EQ(study.lesson.skip_connections.size(), 3u);
  EXPECT_EQ(study.lesson.kernel_variance.size(), 4u);
  options.trials = 0;
  EXPECT_THROW(cli::validate(options), Error);
}

}  // namespace
}  // namespace gradlab
