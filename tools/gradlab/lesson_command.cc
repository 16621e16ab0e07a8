// `gradlab lesson`: the lesson's experiments over many seeds, as tables or JSON.
#include <cstdint>
#include <memory>

#include "commands.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/lab/recurrent_network.h"
#include "lesson_json.h"
#include "lesson_text.h"

namespace gradlab::cli {

void add_lesson_command(CLI::App& app, CommandRun& run) {
  struct Settings {
    LessonStudyOptions study;
    std::string dtype = "float32";
    bool json = false;
  };
  auto settings = std::make_shared<Settings>();
  LessonStudyOptions& o = settings->study;

  CLI::App* cmd = app.add_subcommand(
      "lesson",
      "Reproduce the lesson's experiments over many seeds, then go deeper");
  cmd->footer(
      "Tables: initializer variances beside theory; input-gradient norms of the lesson's plain, residual and "
      "concat-skip networks; the same norms at more depths and activations; then normalization: batch, layer and "
      "group norm at depth, batch norm's two modes and its need for a batch, input normalization in front of "
      "inputs far from unit scale, and instance norm on vectors and on sequences; then recurrent networks: the "
      "gradient reaching the first time step against time steps and layers. See docs/lesson.md.");
  cmd->add_option("--trials", o.trials, "Trials per row of the initializer and 4-layer tables")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  cmd->add_option("--grid-trials", o.grid_trials, "Trials per cell of the depth grid")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of every random draw (same seed, same output)")
      ->check(kUnsignedDigits)
      ->capture_default_str();
  cmd->add_option("--depth,--depths", o.depths, "Depths of the grid, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxStudyDepth))
      ->capture_default_str();
  cmd->add_option("--activation,--activations", o.activations, "Activations of the grid, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember(activation_names()))
      ->capture_default_str();
  cmd->add_option("--init,--initializer,--initializers", o.grid_initializer,
                  "Kernel initializer of the depth grid (table 3; table 2 keeps the lesson's glorot_uniform)")
      ->check(kInitializerName)
      ->capture_default_str();
  cmd->add_option("--norm-trials", o.normalization_trials,
                  "Trials per cell of the normalization section, tables 4 to 8 (0 skips it)")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--norm-depths", o.normalization_depths, "Depths of the normalization section, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxStudyDepth))
      ->capture_default_str();
  cmd->add_option("--recurrent-trials", o.recurrent_trials,
                  "Seeds per point of the recurrent section, table 9: layers x time steps (0 skips it)")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--recurrent-steps", o.recurrent_time_steps,
                  "Time steps of the recurrent section's time axis, comma-separated, increasing")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{2}, kMaxProbeTimeSteps))
      ->capture_default_str();
  cmd->add_option("--dtype", settings->dtype, "Element type of inputs and weights")
      ->check(CLI::IsMember({"float32", "float64"}))
      ->capture_default_str();
  cmd->add_flag("--json", settings->json, "Print one JSON object instead of tables");

  cmd->callback([settings, &run] {
    settings->study.dtype = parse_dtype(settings->dtype);
    try {
      validate(settings->study);
    } catch (const Error& e) {
      throw CLI::ValidationError(e.what());
    }
    run = [settings] {
      LessonStudy study = run_lesson_study(settings->study);
      write_stdout(settings->json ? lesson_json(study).dump(2) + "\n" : lesson_text(study));
    };
  });
}

}  // namespace gradlab::cli
