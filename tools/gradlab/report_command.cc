// `gradlab report`: the built-in study (report_study.h) and the lesson's cases trained on
// Fashion-MNIST (gradlab/lab/lesson_training.h) as a terminal summary and one self-contained HTML
// page. Each page section is one add_<x>_section function.
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/lab/spec_variant.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/lab/trainability_study.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/nn/initializers.h"
#include "interrupt.h"
#include "lesson_training_format.h"
#include "model_files.h"
#include "progress_bar.h"
#include "report_edge.h"
#include "report_adding.h"
#include "conv_study_output.h"
#include "report_conv.h"
#include "report_study.h"
#include "report_training.h"
#include "report_trainability.h"
#include "report_units.h"
#include "team.h"

namespace gradlab::cli {
void add_report_command(CLI::App& app, CommandRun& run) {
  struct Settings {
    ReportStudyOptions study;
    std::vector<std::string> skips = skip_connection_names();
    std::string probe_loss = "auto";
    std::vector<std::string> norms = skip_normalization_names(kSweptNormalizations);
    std::string out = "gradlab-report.html";
    std::string model;
    bool json = false;
    bool training = true;
    LessonTrainingOptions training_options;
    bool trainability = true;
    TrainabilityStudyOptions trainability_options;
    bool edge = true;
    EdgeOfChaosOptions edge_options;
    AddingReportSettings adding;
    ConvReportSettings conv;
  };
  auto s = std::make_shared<Settings>();
  ReportStudyOptions& o = s->study;

  CLI::App* cmd = app.add_subcommand(
      "report", "Run the built-in study of the lesson's remedies; print a summary and write an interactive HTML report");
  cmd->footer(
      "The study: the lesson's initializer table and three 4-layer networks, then every combination of\n"
      "initializer, activation, skip connection and normalization probed layer by layer at each depth.\n"
      "Example (a small study): gradlab report --depth 4,16 --activation relu,tanh --trials 1 --out small.html\n"
      "Your own model instead of the built-in stacks: gradlab report --model net.json (a gradlab spec or Keras's to_json())\n"
      "See docs/report.md for what each chart shows.");
  cmd->add_option("--out", s->out, "HTML file to write (atomically)")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of every random draw (same seed, same report)")->check(kUnsignedDigits)->capture_default_str();
  cmd->add_option("--trials", o.trials, "Probed passes per configuration and depth")->check(CLI::Range(1, 100'000))->capture_default_str();
  CLI::Option* model = cmd->add_option("--model", s->model,
                                       "Probe variants of this model spec (gradlab or Keras JSON; - reads standard input) instead "
                                       "of the built-in Dense(32) stacks: its Dense initializers and hidden activations varied as "
                                       "sweep --model does");
  cmd->add_option("--depth,--depths", o.depths, "Network depths, comma-separated (the deepest is shown at a glance)")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxStudyDepth))
      ->capture_default_str()
      ->excludes(model);
  cmd->add_option("--init,--initializer,--initializers", o.initializers, "Kernel initializers, comma-separated")
      ->delimiter(',')
      ->check(kInitializerName)
      ->capture_default_str();
  cmd->add_option("--activation,--activations", o.activations, "Activations, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember(activation_names()))
      ->capture_default_str();
  cmd->add_option("--skip,--skips", s->skips, "Skip connections, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember(skip_connection_names()))
      ->capture_default_str()
      ->excludes(model);
  cmd->add_option("--norm,--norms", s->norms, "Normalizations, comma-separated (group: GroupNormalization with the largest divisor of the units <= min(32, units / 8) as groups, 4 at 32 units, not Keras's default 32)")
      ->delimiter(',')
      ->check(CLI::IsMember(skip_normalization_names(kSweptNormalizations)))
      ->capture_default_str()
      ->excludes(model);
  cmd->add_option("--probe-loss", s->probe_loss,
                  "Scalar each probed pass differentiates (the lesson's tables always use mean): mean, "
                  "random_projection (mean of the output times a fixed N(0, 1) tensor), or auto: random_projection "
                  "with batch normalization (Ioffe & Szegedy 2015: its backward removes a constant gradient), mean otherwise")
      ->check(CLI::IsMember(probe_loss_names()))
      ->capture_default_str();
  cmd->add_option("--dead-batches", o.dead_unit_batches,
                  "Batches of 32 drawn inputs over which each configuration's first trial counts dead units (relu units "
                  "0 for every example, Lu et al. 2019); 0 leaves the measurement out")
      ->check(CLI::Range(0, kMaxDeadUnitBatches))
      ->capture_default_str();
  cmd->add_option("--lesson-trials", o.lesson_trials, "Trials of the lesson's tables")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  cmd->add_option("--recurrent-trials", o.recurrent_trials,
                  "Seeds per point of the recurrent section (the lesson's layers x time steps; 0 leaves it out)")
      ->check(CLI::Range(0, 100'000))
      ->capture_default_str();
  cmd->add_option("--recurrent-steps", o.recurrent_time_steps,
                  "Time steps of the recurrent section's time axis, comma-separated, increasing")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{2}, kMaxProbeTimeSteps))
      ->capture_default_str();
  cmd->add_flag("--json", s->json, "Print the summary as one JSON object instead of tables");
  cmd->add_flag("!--no-edge", s->edge,
                "Leave out the edge-of-chaos section (the sigma_w2 x sigma_b2 phase diagram measured at depth 50 beside the "
                "mean-field theory, and dynamical isometry)");
  cmd->add_option("--edge-sigma-w2-points", s->edge_options.grid.sigma_w2_points,
                  "Edge-of-chaos section: sigma_w2 values of the phase diagram, evenly spaced in [0.5, 4]")
      ->check(CLI::Range(2, 200))
      ->capture_default_str();
  cmd->add_option("--edge-sigma-b2-points", s->edge_options.grid.sigma_b2_points,
                  "Edge-of-chaos section: sigma_b2 values of the phase diagram, evenly spaced in [0, 0.3]")
      ->check(CLI::Range(2, 200))
      ->capture_default_str();
  LessonTrainingOptions& t = s->training_options;
  cmd->add_flag("!--no-training", s->training,
                "Leave out the training section (the lesson's cases trained on Fashion-MNIST, gradlab's extension; 9 arms x 3 seeds, about 35 s of CPU)");
  cmd->add_option("--train-examples", t.train_examples, "Training section: Fashion-MNIST training images used (of 60,000)")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}))
      ->capture_default_str();
  cmd->add_option("--test-examples", t.test_examples, "Training section: test images used (of 10,000)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000}))
      ->capture_default_str();
  cmd->add_option("--train-seeds", t.seeds, "Training section: runs per arm, each with its own seed derived from --seed")
      ->check(CLI::Range(int64_t{1}, kMaxLessonSeeds))
      ->capture_default_str();
  cmd->add_option("--train-epochs", t.epochs, "Training section: epochs of every run")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd->add_option("--data-dir", t.data_dir, "Training sections: folder of Fashion-MNIST's IDX files")->capture_default_str();
  TrainabilityStudyOptions& tr = s->trainability_options;
  cmd->add_flag("!--no-trainability", s->trainability,
                "Leave out the trainability section (tanh networks over depth x sigma_w2 trained briefly against the "
                "theory's 6 xi_c, Schoenholz et al. 2017; about 11 s of CPU)");
  cmd->add_option("--trainability-depths", tr.depths, "Trainability section: depths, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxProbeDepth))
      ->capture_default_str();
  cmd->add_option("--trainability-sigma-w2", tr.sigma_w2s, "Trainability section: weight variances sigma_w2, comma-separated")
      ->delimiter(',')
      ->check(kVariance)
      ->capture_default_str();
  cmd->add_option("--trainability-steps", tr.training.steps, "Trainability section: SGD steps of every network")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  add_adding_options(*cmd, s->adding);
  add_conv_options(*cmd, s->conv);

  cmd->callback([s, &run] {
    s->study.skips.clear();
    for (const std::string& name : s->skips) s->study.skips.push_back(parse_skip_connection(name));
    s->study.probe_loss = parse_probe_loss(s->probe_loss);
    s->study.normalizations.clear();
    for (const std::string& name : s->norms) s->study.normalizations.push_back(parse_skip_normalization(name));
    try {
      validate(s->study);
    } catch (const Error& e) {
      throw CLI::ValidationError(e.what());
    }
    run = [s] {
      check_output_path("--out", s->out);
      if (s->model == "-" && team().size() > 1) {
        throw UsageError("--model -: standard input reaches only rank 0 of an MPI job; give a file");
      }
      if (!s->model.empty()) {
        s->study.model = std::make_shared<const ModelSpec>(as_bad_input([&] { return read_model_spec(s->model); }));
        // Every variant is checked before minutes of probing: a spec without a Dense layer or a hidden
        // activation to replace is bad input, not a failure halfway.
        as_bad_input([&] {
          for (const std::string& init : s->study.initializers) {
            for (const std::string& act : s->study.activations) {
              apply_spec_overrides(*s->study.model, {.kernel_initializer = init, .hidden_activation = act});
            }
          }
        });
      }
      // Every rank of an MPI job plans the same units from the same command line (report_units.h).
      ReportWork work{.study = s->study};
      // A missing dataset should fail before minutes of probing, not after.
      if (s->training) {
        s->training_options.seed = s->study.seed;
        work.training = s->training_options;
        work.training_data = std::make_shared<const DataSplits>(as_bad_input([&] { return load_lesson_data(s->training_options); }));
      }
      if (s->trainability) {
        s->trainability_options.seed = s->study.seed;
        s->trainability_options.training.data_dir = s->training_options.data_dir;
        as_bad_input([&] { validate_grid(trainability_grid(s->trainability_options, std::make_shared<const TrainabilityTask>(TrainabilityTask{.settings = s->trainability_options.training}))); });
        work.trainability = s->trainability_options;
        work.trainability_data = std::make_shared<const DataSplits>(
            as_bad_input([&] { return load_trainability_data(s->trainability_options.training); }));
      }
      if (s->edge) {
        s->edge_options.seed = s->study.seed;
        work.edge = s->edge_options;
      }
      if (s->adding.enabled) {
        work.adding = s->adding.options;
        work.adding->seed = s->study.seed;
      }

      if (s->conv.enabled) {
        work.conv = s->conv.options;
        work.conv->seed = s->study.seed;
        work.conv_images = std::make_shared<const Dataset>(load_conv_images(s->conv, s->training_options.data_dir));
      }

      InterruptGuard guard;
      std::optional<ProgressBar> bar;
      std::optional<ReportResults> results = run_report_work(work, [&](int64_t done, int64_t total) {
        if (!bar) bar.emplace("report", total);
        bar->update(done, "units done (the lesson, depth cells, sections)");
      });
      if (bar) bar->finish();
      if (!results) return;  // another rank's share, sent to rank 0, which writes
      const ReportStudy& study = results->study;
      const std::optional<EdgeOfChaos>& edge = results->edge;
      const std::optional<DynamicalIsometry>& isometry = results->isometry;
      const std::optional<LessonTrainingResult>& training = results->training;
      const std::optional<TrainabilityStudy>& trainability = results->trainability;
      const std::optional<AddingStudyResult>& adding = results->adding;

      const std::optional<ConvStudy>& conv = results->conv;

      HtmlReport page("gradlab report: vanishing and exploding gradients, and the lesson's remedies");
      add_glance_section(page, study);
      add_lesson_section(page, study.lesson);
      if (study.lesson.recurrent) add_recurrent_section(page, *study.lesson.recurrent);
      if (study.options.model) {
        add_model_section(page, study);
      } else {
        add_depth_section(page, study);
      }
      if (edge) add_edge_section(page, *edge, *isometry);
      if (training) add_training_section(page, *training);
      if (trainability) add_trainability_section(page, *trainability);
      if (adding) add_adding_section(page, *adding);
      if (conv) add_conv_section(page, *conv);
      as_bad_input([&] { write_file_atomically(s->out, page.render()); });
      if (s->json) {
        nlohmann::ordered_json json = report_json(study, s->out);
        json["edge_of_chaos"] = edge ? edge_json(*edge, *isometry) : nlohmann::ordered_json();
        json["training"] = training ? training_json(*training) : nlohmann::ordered_json();
        json["adding_problem"] = adding ? adding_json(*adding) : nlohmann::ordered_json();
        json["trainability"] = trainability ? trainability_json(*trainability) : nlohmann::ordered_json();
        json["conv"] = conv ? conv_study_json(*conv) : nlohmann::ordered_json();
        write_stdout(json.dump(2) + "\n");
      } else {
        std::string text = report_text(study, s->out);
        if (edge) text += edge_text(*edge, *isometry);
        if (training) text += "\nThe lesson's cases trained on Fashion-MNIST (gradlab's extension):\n" + format_lesson_training(*training);
        if (trainability) text += "\nTrainability against depth scale: " + trainability_reading(*trainability) + "\n";
        if (adding) text += "\nThe adding problem (Hochreiter & Schmidhuber 1997), test MSE over the seeds:\n" + adding_text(*adding);
        if (conv) text += conv_study_text(*conv, "");
        write_stdout(text);
      }
    };
  });
}

}  // namespace gradlab::cli
