// The CLI's conventions: help and version, and exit status 2 with a "gradlab: " message on stderr for
// every kind of bad usage.
#include <gtest/gtest.h>

#include "cli/run_cli.h"

namespace gradlab::cli_test {
namespace {

void expect_usage_error(const std::vector<std::string>& args, const std::string& mentions) {
  CliResult r = run_cli(args);
  std::string cmd;
  for (const auto& a : args) cmd += " " + a;
  EXPECT_EQ(r.exit_code, 2) << "gradlab" << cmd << "\nstderr: " << r.err;
  EXPECT_EQ(r.err.rfind("gradlab: ", 0), 0u) << "gradlab" << cmd << "\nstderr: " << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << "gradlab" << cmd << "\nstderr: " << r.err;
  EXPECT_TRUE(r.out.empty()) << "gradlab" << cmd << "\nstdout: " << r.out;
}

TEST(Cli, HelpListsTheCommandsAndSucceeds) {
  CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("lesson"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Cli, CommandHelpListsItsOptions) {
  CliResult r = run_cli({"lesson", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--trials", "--grid-trials", "--seed", "--json", "--depths", "--activations"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r.out;
  }
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  CliResult r = run_cli({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("gradlab ") + GRADLAB_TEST_VERSION + "\n");
}

TEST(Cli, UnknownCommandIsBadUsage) { expect_usage_error({"lessons"}, "unknown command 'lessons'"); }

TEST(Cli, MissingCommandIsBadUsage) { expect_usage_error({}, "command"); }

TEST(Cli, UnknownOptionIsBadUsage) {
  expect_usage_error({"--frobnicate"}, "--frobnicate");
  expect_usage_error({"lesson", "--trails", "5"}, "--trails");
}

TEST(Cli, BadValuesAreBadUsage) {
  expect_usage_error({"lesson", "--trials", "0"}, "--trials");
  expect_usage_error({"lesson", "--trials", "many"}, "--trials");
  expect_usage_error({"lesson", "--trials", "99999999999999999999"}, "--trials");
  expect_usage_error({"lesson", "--trials"}, "--trials");
  expect_usage_error({"lesson", "--grid-trials", "-4"}, "--grid-trials");
  expect_usage_error({"lesson", "--seed", "-1"}, "--seed");
  expect_usage_error({"lesson", "--seed", "184467440737095516160"}, "--seed");
  expect_usage_error({"lesson", "--depths", "4,0"}, "--depths");
  expect_usage_error({"lesson", "--depths", "4,100000"}, "--depths");
  expect_usage_error({"lesson", "--activations", "relu,sigmoidal"}, "sigmoidal");
  expect_usage_error({"lesson", "--dtype", "float16"}, "--dtype");
}

}  // namespace
}  // namespace gradlab::cli_test
