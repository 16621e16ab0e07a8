// gradlab.train: Keras's model.compile(...) and model.fit(...) in one call, on a model object (trained
// in place) or a spec file, with NumPy arrays or `gradlab train`'s data sets. It runs the command's own
// training (train_run.h: the same checks, optimizer, fit() and test evaluation) and returns what
// `gradlab train --json` prints.
#include <Python.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "bindings.h"
#include "json_objects.h"
#include "model_files.h"
#include "train_run.h"

namespace gradlab::python {
namespace {

// Labels from NumPy: integer arrays are class ids ([N], classes = the largest id + 1), anything else
// float32 targets ([N] or [N, k]) with no classes.
std::pair<Tensor, int64_t> labels_of(py::handle y) {
  py::array array = py::array::ensure(y);
  if (!array) throw py::type_error("y: expected an array of labels, got " + py::repr(y).cast<std::string>());
  const char kind = array.dtype().kind();
  if (kind != 'i' && kind != 'u') {
    return {to_tensor(py::module_::import("numpy").attr("asarray")(array, "float32")), 0};
  }
  py::array_t<int64_t, py::array::c_style | py::array::forcecast> ids(array);
  if (ids.ndim() != 1) throw Error(fmt::format("y: class ids must be one per example ([N]), got {} dimensions", ids.ndim()));
  Tensor labels = zeros(Shape({ids.shape(0)}), DType::float32);
  float* out = labels.data<float>();
  int64_t classes = 0;
  for (py::ssize_t i = 0; i < ids.shape(0); ++i) {
    const int64_t id = ids.at(i);
    if (id < 0) throw Error(fmt::format("y[{}] = {}: class ids must be >= 0", i, id));
    out[i] = static_cast<float>(id);
    classes = std::max(classes, id + 1);
  }
  return {labels, classes};
}

Dataset arrays_dataset(py::handle x, py::handle y, const std::string& name) {
  Tensor features = to_tensor(x);
  if (features.dtype() != DType::float32) features = features.to(DType::float32);
  auto [labels, classes] = labels_of(y);
  Dataset data{.features = features, .feature_bytes = {}, .labels = labels, .classes = classes, .name = name};
  check_dataset(data);
  return data;
}

py::object train(py::object model, py::object x, py::object y, py::object data, std::optional<std::string> label_column,
                 std::optional<int64_t> limit, std::optional<int64_t> time_steps, uint64_t data_seed,
                 py::object validation_data, double validation_split, bool normalize,
                 const std::string& loss, std::optional<bool> from_logits, const std::string& optimizer,
                 std::optional<double> learning_rate, const std::string& schedule, std::optional<double> momentum,
                 bool nesterov, std::optional<double> weight_decay, std::optional<double> clipnorm,
                 std::optional<double> clipvalue, std::optional<double> global_clipnorm, int64_t epochs,
                 int64_t batch_size, std::optional<int64_t> max_steps, uint64_t seed, int64_t sample_every,
                 bool anomaly_check, bool progress) {
  if (epochs < 0) throw Error(fmt::format("epochs={}: must be >= 0", epochs));
  if (batch_size < 1) throw Error(fmt::format("batch_size={}: must be >= 1", batch_size));
  if (sample_every < 0) throw Error(fmt::format("sample_every={}: must be >= 0", sample_every));
  if (!(validation_split >= 0 && validation_split < 1)) {
    throw Error(fmt::format("validation_split={}: must be in [0, 1)", validation_split));
  }
  cli::TrainRunSettings s{.loss = loss,
                          .optimizer = optimizer,
                          .schedule = schedule,
                          .learning_rate = learning_rate,
                          .momentum = momentum,
                          .weight_decay = weight_decay,
                          .clipnorm = clipnorm,
                          .clipvalue = clipvalue,
                          .global_clipnorm = global_clipnorm,
                          .nesterov = nesterov,
                          .from_logits = from_logits,
                          .epochs = epochs,
                          .batch_size = batch_size,
                          .sample_every = sample_every,
                          .max_steps = max_steps,
                          .seed = seed,
                          .anomaly_check = anomaly_check,
                          .data_name = {}};

  // The data: arrays (x, y) or a data set by name, as `gradlab train --data`.
  DataSplits splits;
  if (!data.is_none()) {
    if (!x.is_none() || !y.is_none()) throw Error("data= names the examples; it cannot go with x= and y=");
    s.data_name = py::str(py::module_::import("os").attr("fspath")(data));
    py::gil_scoped_release release;
    splits = load_dataset(s.data_name, {.label_column = label_column.value_or(""),
                                        .limit = limit,
                                        .time_steps = time_steps,
                                        .data_seed = data_seed});
  } else {
    if (x.is_none() || y.is_none()) throw Error("give the examples as x= and y= (arrays), or data= ('fashion-mnist' or a CSV file)");
    if (label_column || limit || time_steps || data_seed != 0) {
      throw Error("label_column=, limit=, time_steps= and data_seed= describe data=; they cannot go with x= and y=");
    }
    s.data_name = "arrays";
    splits.train = arrays_dataset(x, y, "x");
  }
  std::optional<Dataset> validation;
  if (!validation_data.is_none()) {
    // Keras: validation_data wins over validation_split.
    const py::tuple pair = validation_data.cast<py::tuple>();
    if (pair.size() != 2) throw Error("validation_data: expected a pair (x_val, y_val)");
    validation = arrays_dataset(pair[0], pair[1], "validation_data");
  } else if (validation_split > 0) {
    auto [rest, held_out] = split_validation(splits.train, validation_split);
    splits.train = std::move(rest);
    validation = std::move(held_out);
  }
  if (normalize) {
    // Statistics of the training examples only; validation and test data get the same transform.
    py::gil_scoped_release release;
    const Normalization norm = adapt_normalization(splits.train);
    splits.train = normalize_features(splits.train, norm);
    if (validation) validation = normalize_features(*validation, norm);
    if (splits.test.size() > 0) splits.test = normalize_features(splits.test, norm);
  }

  // The model: a gradlab model object, trained in place, or a spec file built from `seed`.
  Layer layer;
  if (py::isinstance<Layer>(model)) {
    layer = model.cast<Layer>();
  } else {
    const std::string path = py::str(py::module_::import("os").attr("fspath")(model));
    const ModelSpec spec = read_model_spec(path);
    set_seed(seed);
    Rng rng(seed);
    layer = build_model(spec, {.rng = &rng});
  }

  cli::TrainPlan plan = cli::plan_training(s, layer, splits.train);
  cli::ProgressCallback bar("", progress ? cli::ProgressMode::automatic : cli::ProgressMode::never);
  plan.fit.callbacks.push_back(&bar);
  // Between steps, on this thread: Ctrl-C stops the run after the step, as the command does.
  bool interrupted = false;
  plan.fit.should_stop = [&interrupted] {
    py::gil_scoped_acquire acquire;
    interrupted = PyErr_CheckSignals() != 0;
    return interrupted;
  };
  cli::TrainRun run;
  {
    py::gil_scoped_release release;
    run = cli::run_training(s, layer, splits.train, validation, splits.test, std::move(plan));
  }
  if (interrupted) throw py::error_already_set();
  return json_to_python(cli::summary_json(run.summary, run.history));
}

}  // namespace

void bind_train(py::module_& m) {
  const cli::TrainRunSettings d;
  const auto none = py::none();
  const std::string train_doc = fmt::format(
      "Train `model` (a gradlab Model or Sequential, trained in place, or a spec file) as Keras's "
      "model.compile(optimizer, loss) then model.fit(x, y, ...), and as `gradlab train` with the same "
      "options; returns what `gradlab train --json` prints (the summary, the test result and the whole "
      "history). x, y: NumPy arrays (integer y: class ids; float y: regression targets); or data= a "
      "Fashion-MNIST view ({}), 'adding-problem' (with time_steps= and data_seed=, as --time-steps and "
      "--data-seed) or a CSV file (with label_column=). Ctrl-C stops after the step with KeyboardInterrupt",
      describe_fashion_mnist_views());
  m.def("train", &train, py::arg("model"), py::arg("x") = none, py::arg("y") = none, py::kw_only(),
        py::arg("data") = none, py::arg("label_column") = none, py::arg("limit") = none,
        py::arg("time_steps") = none, py::arg("data_seed") = 0,
        py::arg("validation_data") = none, py::arg("validation_split") = 0.0, py::arg("normalize") = false,
        py::arg("loss") = d.loss, py::arg("from_logits") = none, py::arg("optimizer") = d.optimizer,
        py::arg("learning_rate") = none, py::arg("schedule") = d.schedule, py::arg("momentum") = none,
        py::arg("nesterov") = d.nesterov, py::arg("weight_decay") = none, py::arg("clipnorm") = none,
        py::arg("clipvalue") = none, py::arg("global_clipnorm") = none, py::arg("epochs") = d.epochs,
        py::arg("batch_size") = d.batch_size, py::arg("max_steps") = none, py::arg("seed") = d.seed,
        py::arg("sample_every") = d.sample_every, py::arg("anomaly_check") = d.anomaly_check,
        py::arg("progress") = true,
        train_doc.c_str());
}

}  // namespace gradlab::python
