// `gradlab sweep`: the inline and --grid forms, CSV and JSON Lines results, the table, --resume, and
// the bad inputs of docs/bad-inputs.md (tests SweepBadInputs.<Row>).
#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab::cli_test {
namespace {

using SweepCli = SweepCliTest;

std::vector<std::string> csv_fields(const std::string& line) {
  // The tests' lines quote only the id (first field), which holds commas.
  const std::size_t id_end = line.find("\",");
  std::vector<std::string> fields{line.substr(1, id_end - 1), ""};
  for (std::size_t i = id_end + 2; i < line.size(); ++i) {
    if (line[i] == ',') {
      fields.emplace_back();
    } else {
      fields.back() += line[i];
    }
  }
  return fields;
}

TEST_F(SweepCli, InlineGridPrintsOneRowPerCombinationAndTheVerdictCounts) {
  const auto r = run_cli(with({"sweep"}, tiny_grid_args()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("input grad norm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8 configurations: "), std::string::npos) << r.out;
  // Heading, rule, 4 rows (trials aggregated), blank line, totals.
  EXPECT_EQ(sorted_lines(r.out).size(), 8u) << r.out;
  EXPECT_NE(r.err.find("sweep [####################] 8/8"), std::string::npos) << r.err;
}

TEST_F(SweepCli, CsvAndJsonLinesHoldOneLinePerConfigurationWithTheSameFigures) {
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.csv"), "--workers", "2"}, tiny_grid_args())).exit_code, 0);
  const auto r = run_cli(with({"sweep", "--out", path("r.jsonl"), "--workers", "1"}, tiny_grid_args()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("8 configurations ("), std::string::npos) << r.out;

  std::vector<std::string> csv = sorted_lines(read_text("r.csv"));
  ASSERT_EQ(csv.size(), 9u);
  EXPECT_TRUE(csv.back().starts_with("id,depth,width,activation,init,sigma_w2,sigma_b2,norm,skip,batch,dtype,trial,seed,input_grad_norm,"));
  csv.pop_back();  // the header sorts last: '"' < 'i'
  std::map<std::string, nlohmann::json> json;
  for (const std::string& line : sorted_lines(read_text("r.jsonl"))) {
    const auto j = nlohmann::json::parse(line);
    json[j["id"].get<std::string>()] = j;
  }
  ASSERT_EQ(json.size(), 8u);
  for (const std::string& line : csv) {
    const auto f = csv_fields(line);
    ASSERT_EQ(f.size(), 23u) << line;
    const nlohmann::json& j = json.at(f[0]);
    EXPECT_EQ(f[4], j["init"].get<std::string>());
    EXPECT_EQ(f[5], "") << "no variances for a network initialized by name";
    EXPECT_TRUE(j["sigma_w2"].is_null());
    EXPECT_EQ(f[12], std::to_string(j["seed"].get<uint64_t>()));
    EXPECT_EQ(std::stod(f[13]), j["input_grad_norm"].get<double>()) << "the same bits with 1 and 2 workers";
    EXPECT_EQ(std::stod(f[16]), j["squared_gain"].get<double>());
    EXPECT_EQ(f[18], j["verdict"].get<std::string>());
    EXPECT_EQ(j["layer_grad_norms"].size(), static_cast<std::size_t>(std::stoi(f[1])));
  }
}

TEST_F(SweepCli, AGridFileGivesTheSameResultsAsTheInlineGrid) {
  write_text("grid.json", kTinyGridJson);
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("inline.csv")}, tiny_grid_args())).exit_code, 0);
  const auto r = run_cli({"sweep", "--grid", path("grid.json"), "--out", path("file.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sorted_lines(read_text("file.csv")), sorted_lines(read_text("inline.csv")));
  EXPECT_EQ(run_cli({"sweep", "--grid", path("grid.json"), "--depth", "4"}).exit_code, 2) << "--grid excludes the lists";
}

TEST_F(SweepCli, ResumeAfterATruncatedFileEqualsAnUninterruptedRun) {
  for (const std::string ext : {".csv", ".jsonl"}) {
    SCOPED_TRACE(ext);
    ASSERT_EQ(run_cli(with({"sweep", "--out", path("full" + ext)}, tiny_grid_args())).exit_code, 0);
    const std::string full = read_text("full" + ext);
    // Three complete lines and half of the fourth, as a kill during a write would leave.
    std::size_t cut = 0;
    for (int i = 0; i < (ext == ".csv" ? 4 : 3); ++i) cut = full.find('\n', cut) + 1;
    write_text("part" + ext, full.substr(0, cut + 40));
    const auto r = run_cli(with({"sweep", "--out", path("part" + ext), "--resume", "--workers", "2"}, tiny_grid_args()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(read_text("part" + ext)), sorted_lines(full));
    // Resuming a finished sweep runs nothing and changes nothing.
    const auto again = run_cli(with({"sweep", "--out", path("part" + ext), "--resume"}, tiny_grid_args()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(sorted_lines(read_text("part" + ext)), sorted_lines(full));
  }
  // --resume with no file yet starts one.
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("new.csv"), "--resume"}, tiny_grid_args())).exit_code, 0);
  EXPECT_EQ(sorted_lines(read_text("new.csv")), sorted_lines(read_text("full.csv")));
}

TEST_F(SweepCli, ARowIsReproducedByProbeWithItsSeed) {
  const auto r = run_cli({"sweep", "--depth", "5", "--activation", "tanh", "--norm", "batch", "--skip", "residual",
                          "--width", "16", "--batch", "8", "--seed", "3", "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(read_text("r.jsonl"));
  const auto probe = run_cli({"probe", "--depth", "5", "--activation", "tanh", "--norm", "batch", "--skip", "residual",
                              "--width", "16", "--batch", "8", "--seed", std::to_string(row["seed"].get<uint64_t>()), "--json"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  const auto p = nlohmann::json::parse(probe.out);
  EXPECT_EQ(row["input_grad_norm"].get<double>(), p["input_grad"]["l2_norm"].get<double>());
  EXPECT_EQ(row["loss"].get<double>(), p["loss"].get<double>());
  // Batch normalization in training mode: auto chose the random projection in both, from the same seed.
  EXPECT_EQ(row["probe_loss"], "random_projection");
  EXPECT_EQ(p["probe_loss"], "random_projection");
}

TEST_F(SweepCli, AProbeLossOtherThanAutoJoinsTheIdAndChangesTheScalar) {
  const auto with_loss = [&](const char* loss, const char* file) {
    const auto r = run_cli({"sweep", "--depth", "3", "--norm", "batch", "--activation", "linear", "--width", "8",
                            "--batch", "8", "--probe-loss", loss, "--out", path(file)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(read_text(file));
  };
  const auto mean_row = with_loss("mean", "m.jsonl"), projected = with_loss("random_projection", "p.jsonl");
  EXPECT_NE(mean_row["id"].get<std::string>().find(",loss=mean,trial=0"), std::string::npos) << mean_row["id"];
  EXPECT_EQ(mean_row["probe_loss"], "mean");
  // Batch normalization feeding a linear output removes mean's constant gradient (Ioffe & Szegedy 2015).
  EXPECT_LT(mean_row["input_grad_norm"].get<double>(), 1e-4 * projected["input_grad_norm"].get<double>());
  EXPECT_EQ(run_cli({"sweep", "--probe-loss", "sum"}).exit_code, 2);
}

TEST_F(SweepCli, ReportChartsEveryConfigurationAlsoAfterAResume) {
  const auto r = run_cli(with({"sweep", "--out", path("r.csv"), "--report", path("r.html")}, tiny_grid_args()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("report: " + path("r.html")), std::string::npos) << r.out;
  const std::string page = read_text("r.html");
  EXPECT_NE(page.find("<title>gradlab sweep</title>"), std::string::npos);
  EXPECT_NE(page.find("8 configurations of the grid depth 2, 3; width 8; activation relu, tanh;"), std::string::npos);
  EXPECT_NE(page.find("Trials together"), std::string::npos);
  EXPECT_NE(page.find("depth 3, activation tanh, trial 1"), std::string::npos) << "labels name what varies";
  EXPECT_EQ(page.find("Gradient through time"), std::string::npos) << "no recurrent layer, no time axis";
  // Resumed from a file holding half the lines: the report still charts all eight.
  const std::string full = read_text("r.csv");
  std::size_t cut = 0;
  for (int i = 0; i < 5; ++i) cut = full.find('\n', cut) + 1;
  write_text("r.csv", full.substr(0, cut));
  std::filesystem::remove(path("r.html"));
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.csv"), "--resume", "--report", path("r.html")}, tiny_grid_args())).exit_code, 0);
  EXPECT_EQ(sorted_lines(read_text("r.csv")), sorted_lines(full));
  const std::string resumed = read_text("r.html");
  EXPECT_NE(resumed.find("8 configurations of the grid"), std::string::npos);
  EXPECT_NE(resumed.find("depth 2, activation relu, trial 0"), std::string::npos);
}

TEST_F(SweepCli, FormatOptionAndExtensions) {
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.txt"), "--format", "jsonl"}, tiny_grid_args())).exit_code, 0);
  EXPECT_TRUE(read_text("r.txt").starts_with("{\"id\":"));
  const auto r = run_cli(with({"sweep", "--out", path("r.dat")}, tiny_grid_args()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot tell the format"), std::string::npos) << r.err;
  EXPECT_FALSE(exists("r.dat"));
  EXPECT_EQ(run_cli(with({"sweep", "--resume"}, tiny_grid_args())).exit_code, 2) << "--resume needs --out";
}

// docs/bad-inputs.md rows: exit 2, the message on stderr, nothing on stdout, no file left behind.
class SweepBadInputs : public SweepCliTest {
 protected:
  void expect_grid_refused(const std::string& json, const std::vector<std::string>& fragments) {
    write_text("grid.json", json);
    expect_refused({"sweep", "--grid", path("grid.json"), "--out", path("r.csv")}, fragments);
  }
};

TEST_F(SweepBadInputs, SweepGridNotJson) {
  expect_grid_refused("{\"depth\": [2,", {path("grid.json") + ": not valid JSON"});
  expect_grid_refused("[2, 3]", {"a sweep grid must be a JSON object"});
}

TEST_F(SweepBadInputs, SweepGridUnknownKey) {
  expect_grid_refused(R"({"depths": [2]})", {path("grid.json") + ": unknown key 'depths' (valid keys: depth, width"});
}

TEST_F(SweepBadInputs, SweepGridBadValue) {
  expect_grid_refused(R"({"depth": ["deep"]})", {"key 'depth' must hold integers from 1 to 10000, got \"deep\""});
  expect_grid_refused(R"({"depth": [0]})", {"key 'depth' must hold integers from 1 to 10000, got 0"});
  expect_grid_refused(R"({"width": 1.5})", {"key 'width' must hold integers"});
  expect_grid_refused(R"({"activation": ["relux"]})", {"'activation' value 'relux' is unknown (known: linear, relu"});
  expect_grid_refused(R"({"skip": ["resnet"]})", {"key 'skip': unknown skip connection 'resnet'"});
  expect_grid_refused(R"({"norm": [1]})", {"key 'norm' must hold names, got 1"});
  expect_grid_refused(R"({"dtype": ["float16"]})", {"key 'dtype': "});
  expect_grid_refused(R"({"trials": -1})", {"key 'trials' must hold integers from 1 to 1000000, got -1"});
  expect_grid_refused(R"({"seed": "x"})", {"key 'seed' must be an unsigned integer, got \"x\""});
}

TEST_F(SweepBadInputs, SweepGridEmptyOrRepeatedList) {
  expect_grid_refused(R"({"depth": []})", {"'depth' is empty"});
  expect_grid_refused(R"({"activation": ["tanh", "tanh"]})", {"'activation' lists 'tanh' twice"});
}

TEST_F(SweepBadInputs, SweepResumeFromAnotherGrid) {
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.csv")}, tiny_grid_args())).exit_code, 0);
  const std::string before = read_text("r.csv");
  expect_refused({"sweep", "--depth", "5", "--out", path("r.csv"), "--resume"},
                 {path("r.csv") + ": line 2: configuration 'depth=", "is not in this sweep's grid"});
  std::vector<std::string> other_seed = tiny_grid_args();
  other_seed.back() = "6";
  expect_refused(with({"sweep", "--out", path("r.csv"), "--resume"}, other_seed), {"with another --seed"});
  EXPECT_EQ(read_text("r.csv"), before) << "a refused resume leaves the file as it was";
}

TEST_F(SweepBadInputs, SweepResumeFromAForeignFile) {
  write_text("r.csv", "name,value\nx,1\n");
  expect_refused(with({"sweep", "--out", path("r.csv"), "--resume"}, tiny_grid_args()),
                 {path("r.csv") + ": line 1: not a gradlab sweep CSV file"});
  write_text("r.jsonl", "{\"id\": 3}\n");
  expect_refused(with({"sweep", "--out", path("r.jsonl"), "--resume"}, tiny_grid_args()), {"line 1: key 'id' must be a string"});
  write_text("r.jsonl", "precious notes without a newline");
  expect_refused(with({"sweep", "--out", path("r.jsonl"), "--resume"}, tiny_grid_args()),
                 {"line 1 is not the start of a sweep result"});
  EXPECT_EQ(read_text("r.jsonl"), "precious notes without a newline");
}

// Issue 16, item 4: a file written while the verdict followed fixed first/last bounds has no
// squared_gain and depth_scale; resuming it would mix two verdict rules in one file.
TEST_F(SweepBadInputs, SweepResumeFromAFileOfTheOldVerdictRule) {
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.csv")}, tiny_grid_args())).exit_code, 0);
  std::string csv = read_text("r.csv");
  const std::size_t header_end = csv.find('\n');
  std::string header = csv.substr(0, header_end);
  header.replace(header.find(",squared_gain,depth_scale"), std::string(",squared_gain,depth_scale").size(), "");
  write_text("r.csv", header + csv.substr(header_end));
  const std::string before = read_text("r.csv");
  expect_refused(with({"sweep", "--out", path("r.csv"), "--resume"}, tiny_grid_args()),
                 {path("r.csv") + ": line 1: the file was written by a gradlab whose verdict compared", "fixed bounds"});
  EXPECT_EQ(read_text("r.csv"), before) << "a refused resume leaves the file as it was";

  ASSERT_EQ(run_cli(with({"sweep", "--out", path("r.jsonl")}, tiny_grid_args())).exit_code, 0);
  const std::string jsonl = read_text("r.jsonl");
  std::string old_lines;
  for (std::size_t start = 0; start < jsonl.size();) {
    const std::size_t end = jsonl.find('\n', start);
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(jsonl.substr(start, end - start));
    j.erase("squared_gain");
    j.erase("depth_scale");
    old_lines += j.dump() + "\n";
    start = end + 1;
  }
  write_text("r.jsonl", old_lines);
  expect_refused(with({"sweep", "--out", path("r.jsonl"), "--resume"}, tiny_grid_args()),
                 {path("r.jsonl") + ": line 1: key 'depth_scale' is missing", "cannot be resumed"});
}

TEST_F(SweepBadInputs, UnwritableSweepReport) {
  expect_refused(with({"sweep", "--out", path("r.csv"), "--report", path("missing/r.html")}, tiny_grid_args()),
                 {"--report " + path("missing/r.html") + ": folder '" + path("missing") + "' does not exist"});
}

TEST_F(SweepBadInputs, UnwritableSweepOut) {
  expect_refused(with({"sweep", "--out", path("missing/r.csv")}, tiny_grid_args()), {path("missing/r.csv")});
  write_text("file", "x");
  expect_refused(with({"sweep", "--out", path("file/r.jsonl")}, tiny_grid_args()), {"Not a directory"});
}

}  // namespace
}  // namespace gradlab::cli_test
