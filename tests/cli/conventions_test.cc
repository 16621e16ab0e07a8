// The CLI's conventions: help and version, and exit status 2 with a "gradlab: " message on stderr for
// every kind of bad usage.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

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

// Item 11 of issue 15: bare `gradlab` lists the commands with their purpose.
TEST(Cli, MissingCommandListsTheCommands) {
  expect_usage_error({}, "no command given. The commands:");
  const CliResult r = run_cli({});
  for (const char* command : {"lesson", "probe", "sweep", "report", "train", "init", "gradients"}) {
    EXPECT_NE(r.err.find(std::string("\n  ") + command + " "), std::string::npos) << command << "\n" << r.err;
  }
}

TEST(Cli, UnknownOptionIsBadUsage) {
  expect_usage_error({"--frobnicate"}, "--frobnicate");
  expect_usage_error({"lesson", "--trails", "5"}, "--trails");
}

// Item 11 of issue 15: CLI11 said "The following arguments were not expected: 10 --depht" (the value
// first, no suggestion); the option is named, the closest valid one suggested, the command's help named.
TEST(Cli, MisspelledOptionIsNamedWithTheClosestValidOne) {
  const CliResult r = run_cli({"probe", "--depht", "10"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "gradlab: probe: unknown option '--depht'; did you mean '--depth'?\n"
                   "Run 'gradlab probe --help' for its options.\n");
  expect_usage_error({"train", "--model", "m.json", "--epocs=3"}, "unknown option '--epocs'; did you mean '--epochs'?");
  // Nothing close: no suggestion, but the pointer to the command's help.
  const CliResult far = run_cli({"lesson", "--zzzzzzzzzzzz"});
  EXPECT_EQ(far.err, "gradlab: lesson: unknown option '--zzzzzzzzzzzz'\nRun 'gradlab lesson --help' for its options.\n");
  // A negative number is a value, not an option.
  EXPECT_EQ(run_cli({"train", "--model", "m.json", "--lr", "-1e-3"}).err.find("unknown option"), std::string::npos);
}

// Item 11 of issue 15: a file's or value's own error already says what to do; no generic usage line after it.
TEST(Cli, FileErrorsAreNotFollowedByTheGenericUsageLine) {
  const CliResult r = run_cli({"init", "--model", "/no/such/spec.json", "--out", "/tmp/gradlab_unused.safetensors"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/no/such/spec.json"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--help"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, BadValuesAreBadUsage) {
  expect_usage_error({"lesson", "--trials", "0"}, "--trials");
  expect_usage_error({"lesson", "--trials", "many"}, "--trials");
  expect_usage_error({"lesson", "--trials", "99999999999999999999"}, "--trials");
  expect_usage_error({"lesson", "--trials"}, "--trials");
  expect_usage_error({"lesson", "--grid-trials", "-4"}, "--grid-trials");
  expect_usage_error({"lesson", "--seed", "-1"}, "--seed");
  expect_usage_error({"lesson", "--seed", "184467440737095516160"}, "--seed");
  expect_usage_error({"lesson", "--depths", "4,0"}, "--depth");
  expect_usage_error({"lesson", "--depths", "4,100000"}, "--depth");
  expect_usage_error({"lesson", "--activations", "relu,sigmoidal"}, "sigmoidal");
  expect_usage_error({"lesson", "--dtype", "float16"}, "--dtype");
}

// Item 12 of issue 15: --init listed about 40 names, Keras class names and aliases among them.
TEST(Cli, UnknownInitializerListsTheCanonicalNamesAndAliasesAreAccepted) {
  const CliResult r = run_cli({"probe", "--depth", "2", "--init", "he_unifrom"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown initializer 'he_unifrom': expected one of zeros, ones,"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("GlorotNormal"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("orthogonal_initializer"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli({"probe", "--depth", "2", "--width", "4", "--features", "4", "--init", "HeUniform"}).exit_code, 0);
}

// Item 10 of issue 15: one spelling per concept in every study command, the other kept as an alias.
TEST(Cli, StudyCommandsShareOneSpellingPerAxisAndAcceptTheOtherAsAnAlias) {
  for (const char* command : {"lesson", "report", "probe", "sweep"}) {
    const CliResult help = run_cli({command, "--help"});
    for (const char* option : {"--depth,--depths", "--activation,--activations"}) {
      EXPECT_NE(help.out.find(option), std::string::npos) << command << " " << option << "\n" << help.out;
    }
  }
  for (const char* command : {"lesson", "report", "probe", "sweep"}) {
    const CliResult help = run_cli({command, "--help"});
    EXPECT_NE(help.out.find("--init,--initializer,--initializers"), std::string::npos) << command << "\n" << help.out;
  }
  for (const char* command : {"report", "probe", "sweep"}) {
    const CliResult help = run_cli({command, "--help"});
    EXPECT_NE(help.out.find("--skip,--skips"), std::string::npos) << command << "\n" << help.out;
    EXPECT_NE(help.out.find("--norm,--norms"), std::string::npos) << command << "\n" << help.out;
  }
  const CliResult plural = run_cli({"probe", "--depths", "2", "--width", "4", "--features", "4", "--activations", "tanh", "--json"});
  ASSERT_EQ(plural.exit_code, 0) << plural.err;
  const CliResult singular = run_cli({"probe", "--depth", "2", "--width", "4", "--features", "4", "--activation", "tanh", "--json"});
  EXPECT_EQ(plural.out, singular.out);
}

// Item 20 of issue 15: the README says which command to reach for first, in the order a newcomer
// needs them (lesson, probe, sweep, report, train), and each it names is a command gradlab has.
TEST(Cli, ReadmeTableOfWhichCommandFirstNamesRealCommandsInOrder) {
  std::ifstream in(std::string(GRADLAB_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t table = readme.find("## Which command first");
  ASSERT_NE(table, std::string::npos);
  const std::string section = readme.substr(table, readme.find("\n## ", table + 1) - table);
  const std::string help = run_cli({"--help"}).out;
  std::size_t at = 0;
  for (const char* command : {"lesson", "probe", "sweep", "report", "train"}) {
    const std::size_t found = section.find(std::string("`gradlab ") + command, at);
    ASSERT_NE(found, std::string::npos) << command << " after position " << at << "\n" << section;
    at = found;
    EXPECT_NE(help.find(std::string("  ") + command), std::string::npos) << command;
  }
}

}  // namespace
}  // namespace gradlab::cli_test
