// `gradlab train`: trains a model spec on Fashion-MNIST or a CSV file with Keras's fit semantics;
// progress per epoch, validation, test accuracy, history, sampled gradient-flow instruments with the
// anomaly check, checkpoints each epoch and on Ctrl-C / SIGTERM, and --resume. Under mpirun every rank
// runs this and trains data-parallel (train/replicas.h); rank 0 alone shows progress and writes files.
#include <unistd.h>

#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/io/weights.h"
#include "gradlab/train/adding_problem.h"
#include "gradlab/train/checkpoint.h"
#include "interrupt.h"
#include "model_files.h"
#include "team.h"
#include "train_output.h"
#include "train_run.h"
#include "train_report.h"

namespace gradlab::cli {
namespace {

struct TrainSettings {
  // The run's settings (train_run.h); the rest says where its model, data and files are.
  TrainRunSettings run;
  std::string model, data = "fashion-mnist", label_column;
  bool normalize = false, resume = false, json = false, no_anomaly_check = false;
  std::optional<int64_t> limit, time_steps;
  uint64_t data_seed = 0;
  double validation_split = 0;
  std::string checkpoint, history, weights, weights_out, report;
};

void check_settings(const TrainSettings& s) {
  if (team().size() > 1 && s.model == "-") {
    fail("--model -: standard input reaches only rank 0 of an MPI job; give a file");
  }
  if (s.resume && s.checkpoint.empty()) fail("--resume needs --checkpoint FILE to resume from");
  if (s.resume && !s.weights.empty()) fail("--weights and --resume both give the starting weights; give one of them");
  if (!s.history.empty() && !s.history.ends_with(".json") && !s.history.ends_with(".csv")) {
    fail("--history {}: the file name must end in .json or .csv", s.history);
  }
  check_output_path("--checkpoint", s.checkpoint);
  check_output_path("--history", s.history);
  check_output_path("--weights-out", s.weights_out);
  check_output_path("--report", s.report);
  if (!s.report.empty() && !s.report.ends_with(".html")) fail("--report {}: the file name must end in .html", s.report);
  if (s.resume && !std::filesystem::exists(s.checkpoint)) {
    fail("--resume: checkpoint {} does not exist (start without --resume to create it)", s.checkpoint);
  }
}

void write_outputs(const TrainSettings& s, const Model& model, const History& history) {
  if (!s.history.empty()) {
    write_file_atomically(s.history, s.history.ends_with(".csv") ? history.to_csv() : history.to_json());
  }
  if (!s.weights_out.empty()) write_safetensors(s.weights_out, model_weights(model));
}

void train(const TrainSettings& s) {
  InterruptGuard guard;
  as_bad_input([&] { check_settings(s); });
  const ModelSpec spec = as_bad_input([&] { return read_model_spec(s.model); });
  DataSplits data = as_bad_input([&] {
    return load_dataset(s.data, {.label_column = s.label_column, .limit = s.limit, .time_steps = s.time_steps,
                                 .data_seed = s.data_seed});
  });
  auto [train_set, validation] = as_bad_input([&] { return split_validation(data.train, s.validation_split); });
  if (s.normalize) {
    // Statistics of the training examples only; validation and test data get the same transform.
    const Normalization norm = adapt_normalization(train_set);
    train_set = normalize_features(train_set, norm);
    if (validation.size() > 0) validation = normalize_features(validation, norm);
    if (data.test.size() > 0) data.test = normalize_features(data.test, norm);
  }
  TrainRunSettings r = s.run;
  r.data_name = s.data;
  set_seed(r.seed);
  Rng rng(r.seed);
  const Model model = as_bad_input([&] { return build_model(spec, {.rng = &rng}); });
  if (!s.weights.empty()) {
    as_bad_input([&] {
      const TensorFile weights = read_safetensors(s.weights);
      for (const auto& [name, tensor] : weights.tensors()) {
        if (tensor.dtype() != DType::float32) {
          fail("--weights {}: tensor '{}' is {}, but gradlab train trains in float32 (write the weights with "
               "gradlab init --dtype float32)", s.weights, name, dtype_name(tensor.dtype()));
        }
      }
      load_weights(model, weights);
    });
  }
  TrainPlan plan = plan_training(r, model, train_set);
  const bool leader = team().rank() == 0;
  CheckpointCallback checkpoint(s.checkpoint);
  ProgressCallback progress(s.checkpoint);
  plan.fit.should_stop = interrupt_requested;
  plan.fit.replicas = team().replicas();
  if (!s.checkpoint.empty() && leader) plan.fit.callbacks.push_back(&checkpoint);
  if (leader) plan.fit.callbacks.push_back(&progress);
  if (s.resume) {
    History saved = as_bad_input([&] { return load_checkpoint(s.checkpoint, model, *plan.optimizer); });
    const TrainingProgress& p = saved.progress;
    if (p.seed != r.seed || p.batch_size != r.batch_size || p.train_size != train_set.size()) {
      throw UsageError(fmt::format(
          "--resume: {} was written by a run with --seed {} --batch-size {} and {} training examples; this run has "
          "--seed {} --batch-size {} and {}; resume with the same data and options",
          s.checkpoint, p.seed, p.batch_size, p.train_size, r.seed, r.batch_size, train_set.size()));
    }
    plan.fit.resume = std::move(saved);
  }

  // A status line before the first step: progress bars only draw at epoch ends when stderr is a file.
  if (leader) {
    fmt::print(stderr, "gradlab train: {} on {}, {} training and {} validation examples, {} steps per epoch{}{}\n",
               model.name(), s.data, train_set.size(), validation.size(), batch_count(train_set.size(), r.batch_size),
               team().size() > 1 ? fmt::format(", each batch shared by {} ranks", team().size()) : "",
               plan.fit.resume ? fmt::format(", resuming after step {}", plan.fit.resume->progress.global_step) : "");
  }
  TrainRun run = run_training(r, model, train_set, validation, data.test, std::move(plan));
  const History& history = run.history;
  if (history.stop_reason == StopReason::should_stop) {
    const TrainingProgress& p = history.progress;
    throw Interrupted(s.checkpoint.empty()
                          ? fmt::format("training stopped after step {} (epoch {}); no --checkpoint, so it cannot be resumed",
                                        p.global_step, p.epoch + 1)
                          : fmt::format("training stopped after step {} (epoch {}, step {}); checkpoint saved to {}; "
                                        "continue with the same command and --resume",
                                        p.global_step, p.epoch + 1, p.step_in_epoch, s.checkpoint));
  }

  // Every rank holds the same weights and history; rank 0 speaks for all (and fails for all, below).
  if (!leader) return;
  // Only a finished (or anomaly-stopped) run writes its results; an interrupted one leaves its checkpoint.
  write_outputs(s, model, history);
  TrainSummary& summary = run.summary;
  summary.checkpoint = s.checkpoint;
  if (!s.report.empty()) write_file_atomically(s.report, train_report_html(summary, history));
  write_stdout(s.json ? summary_json(summary, history).dump(2) + "\n" : summary_text(summary, history));
  if (history.anomaly) {
    fail("training stopped by the anomaly check before that step's update (weights, history and checkpoint hold the "
         "last finite state): {}", history.anomaly->describe());
  }
}

}  // namespace

void add_train_command(CLI::App& app, CommandRun& run) {
  auto s = std::make_shared<TrainSettings>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model spec on Fashion-MNIST or a CSV file, with checkpoints and gradient-flow instruments");
  cmd->footer(
      "Examples:\n"
      "  gradlab train --model mlp.json --data fashion-mnist --epochs 10 --batch-size 128 --optimizer adam --lr 1e-3 \\\n"
      "                --validation-split 0.1 --checkpoint run.safetensors --history run.json --sample-every 100\n"
      "  gradlab train --model mlp.json --checkpoint run.safetensors --resume ...      (the same options)\n"
      "  gradlab train --model net.json --data houses.csv --label-column price --loss mse --normalize\n"
      "  gradlab train --model examples/specs/adding_lstm.json --data adding-problem --time-steps 100 --loss mse\n"
      "  gradlab train --model examples/specs/fashion_cnn.json --data fashion-mnist-images --epochs 10 --batch-size 64\n"
      "Ctrl-C or SIGTERM finishes the step, saves the checkpoint and exits 130 / 143. See docs/training.md.");
  cmd->add_option("--model", s->model, "Model spec (JSON); - reads standard input")->required();
  cmd->add_option("--data", s->data,
                  fmt::format("{}, adding-problem (Hochreiter & Schmidhuber 1997; regression, --loss mse), or a CSV file "
                              "(with --label-column)",
                              describe_fashion_mnist_views()))
      ->capture_default_str();
  cmd->add_option("--time-steps", s->time_steps, "adding-problem: steps per sequence (default 100)")
      ->check(CLI::Range(int64_t{2}, kMaxAddingTimeSteps));
  cmd->add_option("--data-seed", s->data_seed, "adding-problem: seed of the generated training and test sets")
      ->check(kUnsignedDigits)
      ->capture_default_str();
  cmd->add_option("--label-column", s->label_column, "CSV: the column holding the labels (class ids or targets)");
  cmd->add_option("--limit", s->limit, "Use only the first N training and test examples")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_option("--epochs", s->run.epochs, "Epochs")->check(CLI::Range(int64_t{0}, int64_t{1} << 40))->capture_default_str();
  cmd->add_option("--batch-size", s->run.batch_size, "Examples per step")->check(CLI::Range(int64_t{1}, int64_t{1} << 30))->capture_default_str();
  cmd->add_option("--max-steps", s->run.max_steps, "Stop after N steps in total")->check(CLI::Range(int64_t{0}, int64_t{1} << 50));
  cmd->add_option("--validation-split", s->validation_split, "Hold out the LAST fraction of the training data (Keras)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  cmd->add_option("--loss", s->run.loss, "Loss by Keras name")->check(CLI::IsMember(train_loss_names()))->capture_default_str();
  cmd->add_option("--from-logits", s->run.from_logits,
                  "Cross-entropies: the model outputs logits (default: true, false when the output layer applies "
                  "softmax or sigmoid)");
  cmd->add_flag("--normalize", s->normalize, "Standardize features with statistics of the training examples (Normalization.adapt)");
  cmd->add_option("--optimizer", s->run.optimizer, "sgd, adam, adamw, rmsprop or adagrad")->capture_default_str();
  cmd->add_option("--lr", s->run.learning_rate, "Learning rate (default: the optimizer's, 0.01 for sgd, 0.001 otherwise)");
  cmd->add_option("--schedule", s->run.schedule,
                  "Learning-rate schedule: constant, exponential:decay_steps=N,decay_rate=R, step:step_size=N,gamma=G, "
                  "cosine:decay_steps=N[,alpha=A,warmup_steps=W,warmup_target=T]")
      ->capture_default_str();
  cmd->add_option("--momentum", s->run.momentum, "sgd, rmsprop: momentum");
  cmd->add_flag("--nesterov", s->run.nesterov, "sgd: Nesterov momentum");
  cmd->add_option("--weight-decay", s->run.weight_decay, "Decoupled weight decay");
  cmd->add_option("--clipnorm", s->run.clipnorm, "Clip each gradient's norm");
  cmd->add_option("--clipvalue", s->run.clipvalue, "Clip each gradient element to [-c, c]");
  cmd->add_option("--global-clipnorm", s->run.global_clipnorm, "Clip the joint norm of all gradients (Pascanu et al. 2013); with momentum m an update can still reach lr x c / (1 - m)");
  cmd->add_option("--seed", s->run.seed, "Seed of initial weights, dropout and shuffling")->check(kUnsignedDigits)->capture_default_str();
  cmd->add_option("--checkpoint", s->checkpoint, "Checkpoint file (safetensors), written each epoch and on interruption");
  cmd->add_flag("--resume", s->resume, "Continue from --checkpoint (give the same options as the first run)");
  cmd->add_option("--history", s->history, "Write the history: .json (Keras's history columns and the samples) or .csv");
  cmd->add_option("--weights", s->weights,
                  "Start from these weights (safetensors, as gradlab init or --weights-out write) instead of drawing them "
                  "from --seed");
  cmd->add_option("--weights-out", s->weights_out, "Write the trained weights (safetensors, as gradlab init)");
  cmd->add_option("--report", s->report, "Write an HTML page: learning curves and the gradient flow over training");
  cmd->add_option("--sample-every", s->run.sample_every, "Sample the gradient-flow instruments every N steps (0: never)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_flag("--no-anomaly-check", s->no_anomaly_check, "Do not check each step for NaN and infinity");
  cmd->add_flag("--json", s->json, "Print the summary as JSON");
  cmd->callback([s, &run] {
    s->run.anomaly_check = !s->no_anomaly_check;
    run = [s] { train(*s); };
  });
}

}  // namespace gradlab::cli
