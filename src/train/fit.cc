#include "gradlab/train/fit.h"

#include <chrono>
#include <cmath>
#include <unordered_map>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/error.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/nn/metrics.h"
#include "gradlab/train/output_check.h"

namespace gradlab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The loss and the accuracy rule of a run, resolved once from the options.
struct Objective {
  LossFn loss;
  bool accuracy = false;
  bool from_logits = true;
};

Objective make_objective(const std::string& loss, bool from_logits, const LossFn& loss_fn,
                         const std::vector<std::string>& metrics) {
  Objective o{.loss = loss_fn, .from_logits = from_logits};
  if (!o.loss) {
    const bool crossentropy = loss.find("crossentropy") != std::string::npos;
    o.loss = get_loss(loss, {.from_logits = crossentropy && from_logits});
    o.from_logits = crossentropy && from_logits;
  }
  for (const std::string& m : metrics) {
    if (m != "accuracy" && m != "acc") fail("unknown metric '{}'; the valid metric is accuracy", m);
    o.accuracy = true;
  }
  return o;
}

double sum_of(const Tensor& t) {
  double total = 0;
  if (t.dtype() == DType::float64) {
    for (int64_t i = 0; i < t.numel(); ++i) total += t.data<double>()[i];
  } else {
    for (int64_t i = 0; i < t.numel(); ++i) total += t.data<float>()[i];
  }
  return total;
}

// Correct predictions in a batch, with Keras's resolution of "accuracy": class-id labels (one rank
// fewer than the predictions) are sparse, one output unit is binary (threshold 0 on logits, 0.5 on
// probabilities), several units with labels of their shape are categorical.
double correct_predictions(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  if (y_true.rank() + 1 == y_pred.rank() || (y_true.rank() == y_pred.rank() && y_true.dim(-1) == 1 && y_pred.dim(-1) > 1)) {
    return sum_of(sparse_categorical_accuracy(y_true, y_pred));
  }
  if (y_pred.dim(-1) == 1) return sum_of(binary_accuracy(y_true, y_pred, from_logits ? 0.0 : 0.5));
  return sum_of(categorical_accuracy(y_true, y_pred));
}

// The layer-by-layer reading of a sampled step; `before` holds the trainable variables' values
// before the update (same order as `vars`).
TrainingSample make_sample(const PassRecord& pass, const std::vector<Variable>& vars, const std::vector<Tensor>& before,
                           int64_t step, int64_t epoch, double loss, double global_norm) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < vars.size(); ++i) index.emplace(vars[i].name(), i);
  TrainingSample sample{.step = step, .epoch = epoch, .loss = loss, .global_grad_norm = global_norm};
  for (const LayerCallRecord& record : pass.layers) {
    LayerSample layer{.layer = record.layer,
                      .has_variables = record.has_variables,
                      .output_grad_norm = record.output_grad ? std::optional<double>(record.output_grad->l2_norm) : std::nullopt,
                      .dead_fraction = record.output.silent_fraction,
                      .saturated_fraction = record.output.saturated_fraction};
    double grad_squares = 0, change_squares = 0, weight_squares = 0;
    for (const VariableGradientStats& v : record.variables) {
      grad_squares += v.grad_norm * v.grad_norm;
      const auto it = index.find(v.name);
      if (it == index.end()) continue;
      const Tensor after = vars[it->second].value();
      const Tensor& old = before[it->second];
      for (int64_t i = 0; i < old.numel(); ++i) {
        const double w0 = old.dtype() == DType::float64 ? old.data<double>()[i] : old.data<float>()[i];
        const double w1 = after.dtype() == DType::float64 ? after.data<double>()[i] : after.data<float>()[i];
        change_squares += (w1 - w0) * (w1 - w0);
        weight_squares += w0 * w0;
      }
    }
    layer.grad_norm = std::sqrt(grad_squares);
    layer.update_norm = std::sqrt(change_squares);
    if (change_squares > 0) {
      layer.update_ratio = weight_squares > 0 ? std::sqrt(change_squares / weight_squares)
                                              : std::numeric_limits<double>::infinity();
    }
    sample.layers.push_back(std::move(layer));
  }
  return sample;
}

void check_resume(const TrainingProgress& saved, const FitOptions& o, int64_t train_size) {
  if (saved.seed != o.seed || saved.batch_size != o.batch_size || saved.train_size != train_size) {
    fail("cannot resume: the checkpoint's run used seed {}, batch size {} and {} training examples, this one seed {}, "
         "batch size {} and {}; resume with the same settings",
         saved.seed, saved.batch_size, saved.train_size, o.seed, o.batch_size, train_size);
  }
}

// What the replicas of a data-parallel step agree on, after each ran its share's forward and
// backward passes: the batch's loss and correct count, whether to stop, the first anomaly (of the
// lowest replica that saw one), and, unless there was one, the batch's gradients in `grads`.
struct StepTotals {
  double loss = 0;
  double correct = 0;
  bool stop = false;
  std::optional<Anomaly> anomaly;
};

StepTotals share_step(Replicas& replicas, double weight, double loss, double correct, bool stop,
                      const std::optional<Anomaly>& anomaly, std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
  const int n = replicas.size();
  // [weighted loss, correct, stop, defined per variable..., anomaly per replica...]
  std::vector<double> totals(3 + vars.size() + static_cast<std::size_t>(n), 0.0);
  totals[0] = weight * loss;
  totals[1] = correct;
  totals[2] = stop ? 1 : 0;
  for (std::size_t i = 0; i < grads.size(); ++i) totals[3 + i] = grads[i].defined() ? 1 : 0;
  totals[3 + vars.size() + static_cast<std::size_t>(replicas.rank())] = anomaly ? 1 : 0;
  sum_over_replicas(replicas, std::span<double>(totals));
  StepTotals out{.loss = totals[0], .correct = totals[1], .stop = totals[2] > 0};
  for (int r = 0; r < n; ++r) {
    if (totals[3 + vars.size() + static_cast<std::size_t>(r)] == 0) continue;
    History carrier;
    if (r == replicas.rank()) carrier.anomaly = anomaly;
    out.anomaly = History::from_json(broadcast_text(replicas, r == replicas.rank() ? carrier.to_json() : "", r)).anomaly;
    return out;
  }
  std::vector<bool> defined(vars.size());
  for (std::size_t i = 0; i < vars.size(); ++i) defined[i] = totals[3 + i] > 0;
  grads.resize(vars.size());
  sum_gradients(replicas, grads, vars, weight, defined);
  return out;
}

}  // namespace

History fit(const Layer& model, const Dataset& train_in, FitOptions options) {
  const FitOptions& o = options;
  if (!o.optimizer) fail("fit: no optimizer; pass .optimizer = make_optimizer(\"adam\")");
  if (o.batch_size < 1) fail("fit: batch_size must be at least 1, got {}", o.batch_size);
  if (o.epochs < 0) fail("fit: epochs must be >= 0, got {}", o.epochs);
  if (o.sample_every < 0) fail("fit: sample_every must be >= 0, got {}", o.sample_every);
  const Objective objective = make_objective(o.loss, o.from_logits, o.loss_fn, o.metrics);
  Dataset train = train_in;
  std::optional<Dataset> validation = o.validation_data;
  // As in Keras, validation_data overrides validation_split: every example then trains.
  if (o.validation_split > 0 && !o.validation_data) std::tie(train, validation) = split_validation(train_in, o.validation_split);
  check_dataset(train);
  if (train.size() == 0) fail("{}: no training examples", train.name);
  if (!o.loss_fn) check_output_fits_loss(model, {.loss = o.loss, .from_logits = objective.from_logits, .classes = train.classes});
  if (validation && validation->size() == 0) validation.reset();

  TrainingRun run{.model = model, .optimizer = o.optimizer.get(), .options = &o};
  History& history = run.history;
  TrainingProgress& p = history.progress;
  if (o.resume) {
    check_resume(o.resume->progress, o, train.size());
    history = *o.resume;
    history.stop_reason = StopReason::completed;
    history.anomaly.reset();
  } else {
    p = {.seed = o.seed, .batch_size = o.batch_size, .train_size = train.size()};
  }
  run.epochs = o.epochs;
  run.steps_per_epoch = batch_count(train.size(), o.batch_size);
  for (Callback* c : o.callbacks) c->set_run(&run);
  for (Callback* c : o.callbacks) c->on_train_begin();

  Optimizer& optimizer = *o.optimizer;
  // Keras builds a model on its first batch; building it here, on one example, lets the optimizer see
  // the variables before the first step.
  if (!model.built()) model(train.feature_rows(std::vector<int64_t>{0}));
  const std::vector<Variable> vars = model.trainable_variables();
  Replicas* replicas = o.replicas != nullptr && o.replicas->size() > 1 ? o.replicas : nullptr;
  const std::vector<Variable> frozen = replicas ? model.non_trainable_variables() : std::vector<Variable>{};
  std::optional<AnomalyDetector> detector;
  if (o.detect_anomalies) detector.emplace();
  const EvaluateOptions eval{.from_logits = objective.from_logits,
                             .loss_fn = objective.loss,
                             .metrics = objective.accuracy ? std::vector<std::string>{"accuracy"} : std::vector<std::string>{},
                             .batch_size = o.batch_size,
                             .replicas = replicas};
  Batch batch;
  std::vector<Tensor> before;
  bool stop = false;
  const auto stop_with = [&](StopReason reason) {
    if (!stop) history.stop_reason = reason;
    stop = true;
  };
  if (o.max_steps && p.global_step >= *o.max_steps) stop_with(StopReason::max_steps);

  while (!stop && p.epoch < o.epochs) {
    const int64_t epoch = p.epoch;
    if (p.step_in_epoch == 0) {
      for (Callback* c : o.callbacks) c->on_epoch_begin(epoch);
    }
    const std::vector<int64_t> order = epoch_order(train.size(), o.seed, epoch, o.shuffle);
    const Clock::time_point start = Clock::now();
    while (!stop && p.step_in_epoch < run.steps_per_epoch) {
      const std::span<const int64_t> rows = batch_rows(order, p.step_in_epoch, o.batch_size);
      const auto examples = static_cast<int64_t>(rows.size());
      const RowRange share = replicas ? shard_rows(examples, replicas->rank(), replicas->size()) : RowRange{0, examples};
      const bool sampled = o.sample_every > 0 && p.global_step % o.sample_every == 0 && share.size() > 0;
      if (detector) detector->set_step(p.global_step);
      std::optional<GradientProbe> probe;
      if (sampled) probe.emplace(GradientProbeOptions{.step = p.global_step});
      double batch_loss = 0, correct = 0;
      std::vector<Tensor> grads(vars.size());
      // A replica whose share is empty (a last batch smaller than the replica count) adds nothing.
      if (share.size() > 0) {
        gather_batch(train, rows.subspan(static_cast<std::size_t>(share.begin), static_cast<std::size_t>(share.size())), batch);
        GradientTape tape;
        Tensor predictions;
        {
          std::optional<ObserveLayerCalls> observe;
          if (probe) observe.emplace(*probe);
          predictions = model(batch.features, {.training = true, .shard = {.first_row = share.begin, .total_rows = examples}});
        }
        const Tensor loss = objective.loss(batch.labels, predictions);
        grads = probe ? probe->gradient(tape, loss, vars) : tape.gradient(loss, vars);
        batch_loss = loss.item();
        if (objective.accuracy) correct = correct_predictions(batch.labels, predictions, objective.from_logits);
      }
      std::optional<Anomaly> anomaly = detector ? detector->first() : std::nullopt;
      bool stop_requested = false;
      if (replicas) {
        // Every replica must leave the loop at the same step, so the stop request is polled before
        // the exchange and agreed on in it.
        const StepTotals totals = share_step(*replicas, static_cast<double>(share.size()) / static_cast<double>(examples),
                                             batch_loss, correct, o.should_stop && o.should_stop(), anomaly, grads, vars);
        batch_loss = totals.loss;
        correct = totals.correct;
        stop_requested = totals.stop;
        anomaly = totals.anomaly;
      }
      if (anomaly) {
        // Stop before the update, so the weights (and a checkpoint of them) stay finite.
        history.anomaly = anomaly;
        stop_with(StopReason::anomaly);
        break;
      }
      if (probe) {
        before.resize(vars.size());
        for (std::size_t i = 0; i < vars.size(); ++i) before[i] = vars[i].value().clone();
      }
      const double global_norm = optimizer.apply(grads, vars);
      if (replicas) broadcast_variables(*replicas, frozen, 0);
      if (probe) {
        history.samples.push_back(
            make_sample(probe->take(), vars, before, p.global_step, epoch, batch_loss, global_norm));
      }
      p.loss_sum += batch_loss * static_cast<double>(examples);
      p.correct += correct;
      p.examples += examples;
      ++p.step_in_epoch;
      ++p.global_step;
      const BatchLogs logs{.step_in_epoch = p.step_in_epoch,
                           .steps_per_epoch = run.steps_per_epoch,
                           .batch_loss = batch_loss,
                           .loss = p.loss_sum / static_cast<double>(p.examples),
                           .accuracy = objective.accuracy ? std::optional<double>(p.correct / static_cast<double>(p.examples))
                                                          : std::nullopt,
                           .batch_size = examples};
      for (Callback* c : o.callbacks) c->on_batch_end(p.global_step - 1, logs);
      if (run.stop_training) stop_with(StopReason::stopped);
      if (replicas ? stop_requested : o.should_stop && o.should_stop()) stop_with(StopReason::should_stop);
      if (o.max_steps && p.global_step >= *o.max_steps) stop_with(StopReason::max_steps);
    }
    p.seconds += seconds_since(start);
    if (p.step_in_epoch < run.steps_per_epoch) break;  // stopped within the epoch: no epoch end

    const Clock::time_point validation_start = Clock::now();
    EpochLogs logs{.epoch = epoch,
                   .loss = p.loss_sum / static_cast<double>(p.examples),
                   .learning_rate = optimizer.learning_rate().at(std::max<int64_t>(optimizer.iterations() - 1, 0))};
    if (objective.accuracy) logs.accuracy = p.correct / static_cast<double>(p.examples);
    if (validation) {
      const EvalResult v = evaluate(model, *validation, eval);
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
    }
    logs.seconds = p.seconds + seconds_since(validation_start);
    history.epochs.push_back(logs);
    p.epoch = epoch + 1;
    p.step_in_epoch = 0;
    p.loss_sum = p.correct = p.seconds = 0;
    p.examples = 0;
    for (Callback* c : o.callbacks) c->on_epoch_end(epoch, logs);
    if (run.stop_training) stop_with(StopReason::stopped);
  }
  for (Callback* c : o.callbacks) c->on_train_end();
  for (Callback* c : o.callbacks) c->set_run(nullptr);
  return history;
}

EvalResult evaluate(const Layer& model, const Dataset& data, const EvaluateOptions& options) {
  const Objective objective = make_objective(options.loss, options.from_logits, options.loss_fn, options.metrics);
  check_dataset(data);
  EvalResult result{.examples = data.size()};
  if (data.size() == 0) fail("{}: cannot evaluate on an empty dataset", data.name);
  const std::vector<int64_t> order = epoch_order(data.size(), 0, 0, false);
  double loss_sum = 0, correct = 0;
  Batch batch;
  Replicas* replicas = options.replicas != nullptr && options.replicas->size() > 1 ? options.replicas : nullptr;
  for (int64_t b = 0; b < batch_count(data.size(), options.batch_size); ++b) {
    if (replicas && b % replicas->size() != replicas->rank()) continue;
    gather_batch(data, batch_rows(order, b, options.batch_size), batch);
    const Tensor predictions = model(batch.features, {.training = false});
    const auto examples = static_cast<double>(batch.features.dim(0));
    loss_sum += objective.loss(batch.labels, predictions).item() * examples;
    if (objective.accuracy) correct += correct_predictions(batch.labels, predictions, objective.from_logits);
  }
  if (replicas) {
    std::vector<double> sums{loss_sum, correct};
    sum_over_replicas(*replicas, std::span<double>(sums));
    loss_sum = sums[0];
    correct = sums[1];
  }
  result.loss = loss_sum / static_cast<double>(data.size());
  if (objective.accuracy) result.accuracy = correct / static_cast<double>(data.size());
  return result;
}

}  // namespace gradlab
