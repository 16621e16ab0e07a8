// `gradlab report`: the built-in study (report_study.h) as a terminal summary and one self-contained
// HTML page. Each page section is one add_<x>_section function, so more sections (a training run, a
// sweep engine's results) slot in beside these.
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/nn/initializers.h"
#include "interrupt.h"
#include "model_files.h"
#include "progress_bar.h"
#include "report_study.h"

namespace gradlab::cli {
namespace {

SkipConnection skip_from_name(const std::string& name) {
  for (const SkipConnection s : kSkipConnections) {
    if (name == skip_connection_name(s) || name == skip_connection_label(s)) return s;
  }
  return name == "concat" ? SkipConnection::concat : SkipConnection::none;
}

SkipNormalization norm_from_name(const std::string& name) {
  for (const SkipNormalization n : {SkipNormalization::none, SkipNormalization::batch, SkipNormalization::layer,
                                    SkipNormalization::group}) {
    if (name == skip_normalization_name(n)) return n;
  }
  return SkipNormalization::none;
}

// A report that cannot be written should fail before the study runs, not a minute later.
void check_output_folder(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    throw UsageError(fmt::format("--out {}: folder '{}' does not exist", path, parent.string()));
  }
  if (fs::is_directory(path, ec)) throw UsageError(fmt::format("--out {}: is a folder, expected a file name", path));
}

}  // namespace

void add_report_command(CLI::App& app, CommandRun& run) {
  struct Settings {
    ReportStudyOptions study;
    std::vector<std::string> skips{"none", "residual", "concat"};
    std::vector<std::string> norms{"none", "batch", "layer", "group"};
    std::string out = "gradlab-report.html";
    bool json = false;
  };
  auto s = std::make_shared<Settings>();
  ReportStudyOptions& o = s->study;

  CLI::App* cmd = app.add_subcommand(
      "report", "Run the built-in study of the lesson's remedies; print a summary and write an interactive HTML report");
  cmd->footer(
      "The study: the lesson's initializer table and three 4-layer networks, then every combination of\n"
      "initializer, activation, skip connection and normalization probed layer by layer at each depth.\n"
      "Example (a small study): gradlab report --depths 4,16 --activations relu,tanh --trials 1 --out small.html\n"
      "See docs/report.md for what each chart shows.");
  cmd->add_option("--out", s->out, "HTML file to write (atomically)")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of every random draw (same seed, same report)")->check(kUnsignedDigits)->capture_default_str();
  cmd->add_option("--trials", o.trials, "Probed passes per configuration and depth")->check(CLI::Range(1, 100'000))->capture_default_str();
  cmd->add_option("--depths", o.depths, "Network depths, comma-separated (the deepest is shown at a glance)")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxStudyDepth))
      ->capture_default_str();
  cmd->add_option("--initializers", o.initializers, "Kernel initializers, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember(initializer_names()))
      ->capture_default_str();
  cmd->add_option("--activations", o.activations, "Activations, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember(activation_names()))
      ->capture_default_str();
  cmd->add_option("--skips", s->skips, "Skip connections, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"none", "residual", "concat"}))
      ->capture_default_str();
  cmd->add_option("--norms", s->norms, "Normalizations, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"none", "batch", "layer", "group"}))
      ->capture_default_str();
  cmd->add_option("--lesson-trials", o.lesson_trials, "Trials of the lesson's tables")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  cmd->add_flag("--json", s->json, "Print the summary as one JSON object instead of tables");

  cmd->callback([s, &run] {
    s->study.skips.clear();
    for (const std::string& name : s->skips) s->study.skips.push_back(skip_from_name(name));
    s->study.normalizations.clear();
    for (const std::string& name : s->norms) s->study.normalizations.push_back(norm_from_name(name));
    try {
      validate(s->study);
    } catch (const Error& e) {
      throw CLI::ValidationError(e.what());
    }
    run = [s] {
      check_output_folder(s->out);
      InterruptGuard guard;
      std::optional<ProgressBar> bar;
      const ReportStudy study = run_report_study(s->study, [&](int64_t done, int64_t total) {
        if (interrupt_requested()) throw Interrupted(fmt::format("report stopped after {} of {} cells; nothing written", done, total));
        if (!bar) bar.emplace("report", total);
        bar->update(done, "configurations x depths probed");
      });
      if (bar) bar->finish();

      HtmlReport page("gradlab report: vanishing and exploding gradients, and the lesson's remedies");
      add_glance_section(page, study);
      add_lesson_section(page, study.lesson);
      add_depth_section(page, study);
      as_bad_input([&] { write_file_atomically(s->out, page.render()); });
      write_stdout(s->json ? report_json(study, s->out).dump(2) + "\n" : report_text(study, s->out));
    };
  });
}

}  // namespace gradlab::cli
