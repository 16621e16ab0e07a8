// gradlab: the command-line lab. Parses, runs the chosen command, and turns every error into a message
// on stderr and an exit status: 0 success, 1 a failure while running, 2 bad usage or bad input, and
// 130 / 143 when Ctrl-C or SIGTERM stopped a long command after it saved its work (interrupt.h).
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "commands.h"
#include "interrupt.h"

namespace gradlab::cli {

namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

int report(std::string_view message, int status) {
  std::cerr << "gradlab: " << message << "\n";
  if (status == kUsage) std::cerr << "Run 'gradlab --help' for usage.\n";
  return status;
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
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return "";
    known += (known.empty() ? "" : ", ") + sub->get_name();
  }
  return "unknown command '" + name + "' (commands: " + known + ")";
}

int run_main(int argc, char** argv) {
  CLI::App app("gradlab: a lab for vanishing and exploding gradients.", "gradlab");
  app.set_version_flag("--version", std::string("gradlab ") + GRADLAB_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'gradlab <command> --help' for a command's options.");
  CommandRun run;
  add_lesson_command(app, run);
  add_init_command(app, run);
  add_gradients_command(app, run);
  add_probe_command(app, run);
  add_sweep_command(app, run);
  add_train_command(app, run);
  add_report_command(app, run);
  add_theory_command(app, run);

  if (std::string message = unknown_command_or_option(app, argc, argv); !message.empty()) return report(message, kUsage);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and --version
    return report(e.what(), kUsage);
  }
  try {
    run();
  } catch (const Interrupted& e) {
    std::cerr << "gradlab: " << e.what() << "\n";
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
  try {
    return gradlab::cli::run_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "gradlab: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "gradlab: unexpected error\n";
    return 1;
  }
}
