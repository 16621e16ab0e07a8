// The part of a training run `gradlab train` and gradlab.train share (train_run.h).
#include "train_run.h"

#include <fmt/format.h>

#include "commands.h"
#include "gradlab/nn/losses.h"
#include "gradlab/nn/model.h"
#include "gradlab/optim/factory.h"
#include "gradlab/train/output_check.h"
#include "model_files.h"

namespace gradlab::cli {

std::vector<std::string> train_loss_names() {
  std::vector<std::string> names = loss_names();
  names.insert(names.end(), {"mse", "mae"});
  return names;
}

namespace {

// Fashion-MNIST read in the wrong shape is the likely mistake (an image spec on the flat vectors, a
// Dense spec on the images): name the view whose examples the model takes.
std::string fashion_mnist_hint(const Shape& expected, const std::string& data_name) {
  if (!data_name.starts_with("fashion-mnist")) return "";
  const FashionMnistView* view = find_fashion_mnist_view_if([&](const Shape& shape) { return shape == expected; });
  return view == nullptr ? "" : fmt::format(" (the dataset {} gives {}: {})", view->name, expected.to_string(), view->purpose);
}

}  // namespace

void check_features(const Layer& layer, const Dataset& data) {
  const auto* model = layer.as<ModelImpl>();
  if (model == nullptr) return;
  const Shape& expected = model->inputs().front().shape();
  const std::vector<int64_t> dims = data.feature_shape().to_vector();
  const Shape got(std::vector<int64_t>(dims.begin() + 1, dims.end()));
  if (model->inputs().size() != 1 || expected != got) {
    fail("model '{}' takes inputs of shape {} but {} has examples of shape {}{}", layer.name(), expected.to_string(),
         data.name, got.to_string(), fashion_mnist_hint(expected, data.name));
  }
}

std::shared_ptr<Optimizer> make_train_optimizer(const TrainRunSettings& s) {
  return as_bad_input([&] {
    return std::shared_ptr<Optimizer>(make_optimizer(
        s.optimizer, {.learning_rate = parse_schedule(s.schedule, s.learning_rate.value_or(s.optimizer == "sgd" ? 0.01 : 0.001)),
                      .momentum = s.momentum,
                      .nesterov = s.nesterov ? std::optional<bool>(true) : std::nullopt,
                      .weight_decay = s.weight_decay,
                      .clipnorm = s.clipnorm,
                      .clipvalue = s.clipvalue,
                      .global_clipnorm = s.global_clipnorm}));
  });
}

TrainPlan plan_training(const TrainRunSettings& s, const Layer& model, const Dataset& train_set) {
  const std::vector<std::string> losses = train_loss_names();
  if (std::find(losses.begin(), losses.end(), s.loss) == losses.end()) {
    fail("loss '{}': must be one of {}", s.loss, fmt::join(losses, ", "));
  }
  if (train_set.classes == 0 && s.loss.find("sparse_categorical") != std::string::npos) {
    throw UsageError(fmt::format("{} has regression targets, not class ids, so {} cannot train on it; use --loss mse (or mae)",
                                 train_set.name, s.loss));
  }
  as_bad_input([&] { check_features(model, train_set); });
  // Keras users put a softmax (or sigmoid) on the output; unless told otherwise, take such outputs as
  // the probabilities they are, and refuse the combination that would squash them twice.
  const bool from_logits = s.from_logits.value_or(infer_from_logits(model, s.loss));
  if (!s.from_logits && !from_logits) {
    fmt::print(stderr, "gradlab train: the output layer applies {}, so {} takes its outputs as probabilities "
               "(--from-logits false)\n", output_activation(model).value_or("?"), s.loss);
  }
  as_bad_input([&] {
    check_output_fits_loss(model, {.loss = s.loss, .from_logits = from_logits && s.loss.find("crossentropy") != std::string::npos,
                                   .classes = train_set.classes});
  });
  TrainPlan plan;
  plan.optimizer = make_train_optimizer(s);
  // Accuracy only means something for class ids; regression targets get the loss alone.
  plan.fit = FitOptions{.optimizer = plan.optimizer,
                        .loss = s.loss,
                        .from_logits = from_logits,
                        .metrics = train_set.classes > 0 ? std::vector<std::string>{"accuracy"} : std::vector<std::string>{},
                        .epochs = s.epochs,
                        .batch_size = s.batch_size,
                        .seed = s.seed,
                        .max_steps = s.max_steps,
                        .sample_every = s.sample_every,
                        .detect_anomalies = s.anomaly_check};
  return plan;
}

TrainRun run_training(const TrainRunSettings& s, const Layer& model, const Dataset& train_set,
                      const std::optional<Dataset>& validation, const Dataset& test, TrainPlan plan) {
  if (validation && validation->size() > 0) plan.fit.validation_data = *validation;
  TrainRun run;
  run.from_logits = plan.fit.from_logits;
  run.history = fit(model, train_set, plan.fit);
  run.summary = TrainSummary{.model = model.name(),
                             .parameters = model.count_params(),
                             .data = s.data_name,
                             .train_examples = train_set.size(),
                             .validation_examples = validation ? validation->size() : 0,
                             .optimizer = plan.optimizer->description(),
                             .checkpoint = {}};
  if (test.size() > 0 && run.history.stop_reason != StopReason::anomaly &&
      run.history.stop_reason != StopReason::should_stop) {
    run.summary.test = evaluate(model, test, {.loss = s.loss, .from_logits = plan.fit.from_logits,
                                              .metrics = plan.fit.metrics, .batch_size = 256,
                                              .replicas = plan.fit.replicas});
  }
  return run;
}

}  // namespace gradlab::cli
