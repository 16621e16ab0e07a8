// `gradlab theory`: the figures, the critical line and the phase diagram, in text, JSON and CSV.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_cli.h"

namespace gradlab {
namespace {

using cli_test::run_cli;
using nlohmann::json;

TEST(TheoryCommand, PrintsEveryFigureWithItsSource) {
  const auto r = run_cli({"theory", "--activation", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"q*", "chi_q", "xi_q", "c*", "chi_c", "xi_c", "chi_1", "xi_grad", "ordered", "critical sigma_w2",
                        "Poole et al. 2016, eq. 3", "Schoenholz et al. 2017, eq. 13", "he_uniform", "glorot_uniform"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing from:\n" << r.out;
  }
}

TEST(TheoryCommand, JsonHasTheLibraryFigures) {
  const auto r = run_cli({"theory", "--activation", "relu", "--initializer", "he_normal", "--fan-in", "784", "--fan-out",
                          "256", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["initializer"], "he_normal");
  EXPECT_NEAR(j["sigma_w2"].get<double>(), 2.0, 1e-14);
  EXPECT_NEAR(j["figures"]["chi_1"].get<double>(), 1.0, 1e-12);
  EXPECT_EQ(j["figures"]["phase"], "critical");
  EXPECT_NEAR(j["critical_sigma_w2"].get<double>(), 2.0, 1e-8);
  // glorot on 784 x 256: sigma_w2 = 2 * 784 / 1040.
  bool found = false;
  for (const json& i : j["initializers"]) {
    if (i["initializer"] == "glorot_uniform") {
      EXPECT_NEAR(i["sigma_w2"].get<double>(), 2.0 * 784 / 1040, 1e-12);
      EXPECT_NEAR(i["chi_1"].get<double>(), 784.0 / 1040, 1e-10);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // relu above the line without a bias: q* grows without bound, chi_1 is still sigma_w2 / 2.
  const auto up = run_cli({"theory", "--activation", "relu", "--sigma-w2", "3", "--sigma-b2", "0.1", "--json"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const json u = json::parse(up.out);
  EXPECT_TRUE(u["figures"]["q_star"].is_null());
  EXPECT_TRUE(u["figures"]["q_star_unbounded"].get<bool>());
  EXPECT_NEAR(u["figures"]["chi_1"].get<double>(), 1.5, 1e-12);
  EXPECT_EQ(u["figures"]["phase"], "chaotic");
}

TEST(TheoryCommand, CriticalLineOfTanhStartsAtOne) {
  const auto r = run_cli({"theory", "--activation", "tanh", "--critical-line", "--sigma-b2-max", "0.1", "--points", "3",
                          "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["critical_line"].size(), 3u);
  EXPECT_NEAR(j["critical_line"][0]["sigma_w2"].get<double>(), 1.0, 1e-8);
  EXPECT_NEAR(j["critical_line"][1]["sigma_b2"].get<double>(), 0.05, 1e-15);
  EXPECT_NEAR(j["critical_line"][1]["sigma_w2"].get<double>(), 1.76, 0.01);
  EXPECT_LT(j["critical_line"][1]["sigma_w2"].get<double>(), j["critical_line"][2]["sigma_w2"].get<double>());
  const auto text = run_cli({"theory", "--activation", "tanh", "--critical-line", "--points", "2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Schoenholz et al. 2017, Fig. 1"), std::string::npos) << text.out;
}

TEST(TheoryCommand, PhaseDiagramCsvAndJson) {
  const std::string dir = ::testing::TempDir() + "gradlab_theory_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const auto r = run_cli({"theory", "--activation", "relu", "--phase-diagram", dir + "/d.csv", "--grid-sigma-w2", "1",
                          "3", "5", "--grid-sigma-b2", "0", "0.2", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("5 x 3 points"), std::string::npos) << r.out;
  std::ifstream csv(dir + "/d.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "activation,sigma_w2,sigma_b2,q_star,chi_1,depth_gradient,phase,critical_sigma_w2");
  std::vector<std::string> rows;
  while (std::getline(csv, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 15u);
  EXPECT_EQ(rows[0].substr(0, 9), "relu,1,0,");        // sigma_w2 = 1, sigma_b2 = 0: q* = 0, ordered
  EXPECT_NE(rows[0].find(",ordered,"), std::string::npos) << rows[0];
  EXPECT_NE(rows[2].find(",critical,"), std::string::npos) << rows[2];  // sigma_w2 = 2
  EXPECT_NE(rows[14].find(",inf,1.5"), std::string::npos) << rows[14];  // sigma_w2 = 3, sigma_b2 = 0.2: q* inf, chi_1 1.5
  EXPECT_NE(rows[14].find(",chaotic,"), std::string::npos) << rows[14];
  EXPECT_NE(rows[2].find(",inf,critical,"), std::string::npos) << rows[2];  // xi_grad infinite on the line
  const auto j = run_cli({"theory", "--activation", "tanh", "--phase-diagram", dir + "/d.json", "--grid-sigma-w2", "1",
                          "2", "2", "--grid-sigma-b2", "0.05", "0.05", "1"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  std::ifstream in(dir + "/d.json");
  const json d = json::parse(in);
  ASSERT_EQ(d["points"].size(), 2u);
  EXPECT_EQ(d["points"][0]["phase"], "ordered");
  EXPECT_EQ(d["points"][1]["phase"], "chaotic");
  EXPECT_NEAR(d["critical_line"][0]["sigma_w2"].get<double>(), 1.76, 0.01);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gradlab
