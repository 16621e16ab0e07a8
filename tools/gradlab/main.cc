// gradlab: the command-line lab. Parses, runs the chosen command, and turns every error into a message
// on stderr and an exit status: 0 success, 1 a failure while running, 2 bad usage or bad input, and
// 130 / 143 when Ctrl-C or SIGTERM stopped a long command after it saved its work (interrupt.h).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "interrupt.h"
#include "team.h"
#ifdef GRADLAB_HAVE_MPI
#include "mpi_team.h"
#endif

namespace gradlab::cli {

namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

// Usage errors found while parsing point to the help; errors about a file's content or a value a
// command checked later already say what to fix, and a generic pointer would only bury that.
int report(std::string_view message, int status, std::string_view help_hint = "") {
  // In an MPI job every rank parses and plans the same command, so only rank 0 tells the user what
  // all would; another rank speaks only of a failure of its own.
  const int rank = team().rank();
  if (rank != 0 && status != kFailure) return status;
  std::cerr << (rank == 0 ? std::string("gradlab: ") : "gradlab (rank " + std::to_string(rank) + "): ") << message << "\n";
  if (!help_hint.empty()) std::cerr << help_hint << "\n";
  return status;
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

// Bare `gradlab`: the commands, each with its one-line purpose, in the order of the README's table.
std::string command_list(const CLI::App& app) {
  std::string out = "no command given. The commands:\n";
  for (const CLI::App* sub : commands_of(app)) {
    out += "  " + sub->get_name() + std::string(12 - std::min<std::size_t>(sub->get_name().size(), 11), ' ') +
           sub->get_description() + "\n";
  }
  return out + "Run 'gradlab <command> --help' for a command's options.";
}

// Levenshtein distance: a misspelled option is usually one or two edits away from the intended one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// CLI11 reports an unknown option as "The following arguments were not expected: 10 --depht", the
// value first and no hint; name the option and suggest the closest one the command has.
std::string unknown_option_of(const CLI::App& command, const std::string& command_name, int first, int argc, char** argv) {
  std::vector<std::string> known;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) known.push_back("--" + name);
    for (const std::string& name : option->get_snames()) known.push_back("-" + name);
  }
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-' || (arg[1] != '-' && !std::isalpha(static_cast<unsigned char>(arg[1])))) continue;
    if (const std::size_t eq = arg.find('='); eq != std::string::npos) arg.resize(eq);
    if (std::find(known.begin(), known.end(), arg) != known.end()) continue;
    std::string message = command_name + ": unknown option '" + arg + "'";
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(3, arg.size() / 3) + 1;
    for (const std::string& name : known) {
      const std::size_t d = edit_distance(arg, name);
      if (d < best_distance) best = name, best_distance = d;
    }
    if (!best.empty()) message += "; did you mean '" + best + "'?";
    return message;
  }
  return "";
}

// CLI11 would call an unknown command "not expected", and report a missing command before an unknown
// option; name both the way people think of them. Only --help and --version come before the command.
std::string unknown_command_or_option(const CLI::App& app, int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-'; ++first) {
    std::string_view arg = argv[first];
    if (arg != "-h" && arg != "--help" && arg != "--version") return "unknown option '" + std::string(arg) + "'";
  }
  if (first >= argc) return "";
  std::string name = argv[first];
  std::string known;
  for (const CLI::App* sub : commands_of(app)) {
    if (sub->get_name() == name) return unknown_option_of(*sub, name, first + 1, argc, argv);
    known += (known.empty() ? "" : ", ") + sub->get_name();
  }
  return "unknown command '" + name + "' (commands: " + known + ")";
}

// The command named on the line, for a help pointer; "" when there is none.
std::string command_named(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    for (const CLI::App* sub : commands_of(app)) {
      if (sub->get_name() == argv[i]) return sub->get_name();
    }
  }
  return "";
}

std::string help_hint_for(const std::string& command) {
  return command.empty() ? "Run 'gradlab --help' for usage." : "Run 'gradlab " + command + " --help' for its options.";
}

int run_main(int argc, char** argv) {
  CLI::App app("gradlab: a lab for vanishing and exploding gradients.", "gradlab");
  app.set_version_flag("--version", std::string("gradlab ") + GRADLAB_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'gradlab <command> --help' for a command's options.");
  CommandRun run;
  // In the order a newcomer reaches for them (the README's table), then the tools for spec files and
  // the mean-field theory.
  add_lesson_command(app, run);
  add_probe_command(app, run);
  add_sweep_command(app, run);
  add_report_command(app, run);
  add_train_command(app, run);
  add_summary_command(app, run);
  add_init_command(app, run);
  add_gradients_command(app, run);
  add_theory_command(app, run);

  if (argc == 1) return report(command_list(app), kUsage);
  const std::string command = command_named(app, argc, argv);
  if (std::string message = unknown_command_or_option(app, argc, argv); !message.empty()) {
    return report(message, kUsage, help_hint_for(command));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and --version
    return report(e.what(), kUsage, help_hint_for(command));
  }
  if (team().size() > 1 && command != "sweep" && command != "train" && command != "report") {
    return report(fmt::format("{} runs on one process; of the commands only sweep, train and report split their work across the "
                              "{} ranks of an MPI job (docs/distributed.md)", command, team().size()), kUsage);
  }
  try {
    run();
  } catch (const Interrupted& e) {
    if (team().rank() == 0) std::cerr << "gradlab: " << e.what() << "\n";
    return e.status();
  } catch (const UsageError& e) {
    return report(e.what(), kUsage);
  } catch (const std::exception& e) {
    return report(e.what(), kFailure);
  }
  return 0;
}

}  // namespace
}  // namespace gradlab::cli

int main(int argc, char** argv) {
  // Leaves the MPI job (MPI_Finalize) however main returns, before static destructors run.
  struct LeaveTeam {
    ~LeaveTeam() { gradlab::cli::set_team(nullptr); }
  } leave_team;
  try {
#ifdef GRADLAB_HAVE_MPI
    // Started by mpirun or srun: join the job.
    if (auto joined = gradlab::cli::join_mpi_job(argc, argv)) gradlab::cli::set_team(std::move(joined));
#endif
    return gradlab::cli::run_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "gradlab: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "gradlab: unexpected error\n";
    return 1;
  }
}
