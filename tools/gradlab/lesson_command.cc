// `gradlab lesson`: the lesson's experiments over many seeds, as tables or JSON.
#include <cstdint>
#include <memory>
#include <optional>

#include "commands.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/lab/conv_study.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/lab/recurrent_network.h"
#include "conv_study_output.h"
#include "lesson_json.h"
#include "lesson_text.h"

namespace gradlab::cli {

void add_lesson_command(CLI::App& app, CommandRun& run) {
  struct Settings {
    LessonStudyOptions study;
    ConvStudyOptions conv = lesson_conv_options();
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
      "gradient reaching the first time step against time steps and layers; then convolutional networks: plain and "
      "identity-shortcut CNNs with each normalization at depth. See docs/lesson.md.");
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
  cmd->add_option("--conv-seeds", settings->conv.seeds,
                  "Seeds per arm and depth of the convolutional section, table 10: plain and identity-shortcut CNNs with "
                  "no, batch, group, layer and instance norm (0 skips it)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--conv-depth,--conv-depths", settings->conv.depths, "Convolution blocks of table 10, comma-separated, increasing")
      ->delimiter(',')
      ->check(CLI::Range(2, kMaxConvStudyDepth))
      ->capture_default_str();
  cmd->add_option("--dtype", settings->dtype, "Element type of inputs and weights")
      ->check(CLI::IsMember({"float32", "float64"}))
      ->capture_default_str();
  cmd->add_flag("--json", settings->json, "Print one JSON object instead of tables");

  cmd->callback([settings, &run] {
    settings->study.dtype = parse_dtype(settings->dtype);
    try {
      validate(settings->study);
      if (settings->conv.seeds > 0) validate(settings->conv);
    } catch (const Error& e) {
      throw CLI::ValidationError(e.what());
    }
    run = [settings] {
      LessonStudy study = run_lesson_study(settings->study);
      const std::optional<ConvStudy> conv = run_lesson_conv(settings->conv, settings->study.seed);
      if (settings->json) {
        nlohmann::ordered_json json = lesson_json(study);
        if (conv) json["conv"] = conv_study_json(*conv);
        write_stdout(json.dump(2) + "\n");
      } else {
        write_stdout(lesson_text(study) + (conv ? conv_study_text(*conv, "10.") : std::string()));
      }
    };
  });
}

}  // namespace gradlab::cli
