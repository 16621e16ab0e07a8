// The lab as functions: gradlab.probe, gradlab.sweep and gradlab.lesson return what `gradlab probe
// --json`, `gradlab sweep --out x.jsonl` and `gradlab lesson --json` print, as plain Python data, and
// probe and sweep results show the page `--report` writes in Jupyter (_repr_html_). They run the CLI's
// own code (gradlab_cli_lib: run_probe on probe_configuration.h, run_sweep, run_lesson_study and the
// JSON and HTML writers), so a result from Python and from the command line are the same numbers.
#include <Python.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <pybind11/eval.h>

#include "data_inputs.h"
#include "json_objects.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/lab/conv_study.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_run.h"
#include "html_report.h"
#include "conv_study_output.h"
#include "lesson_json.h"
#include "probe_report.h"
#include "progress_bar.h"
#include "report_probe.h"
#include "sweep_files.h"

namespace gradlab::python {
namespace {

// The result types: a dict or list with the CLI's values, plus the page. The page is rendered only
// when Jupyter asks (it inlines the chart library, about a megabyte) and shown in an iframe, so its
// scripts and styles stay in their own document.
constexpr const char* kResultClasses = R"(
class ProbeResult(dict):
    """What gradlab.probe measured: the keys and values of `gradlab probe --json`.
    In Jupyter it shows the page `gradlab probe --report` writes (offline)."""
    __slots__ = ("_page",)
    def _repr_html_(self):
        return self._page()

class SweepResult(list):
    """What gradlab.sweep measured: one dict per configuration, in grid order, each the line
    `gradlab sweep --out x.jsonl` writes for it. In Jupyter it shows the page `gradlab sweep --report`
    writes (offline)."""
    __slots__ = ("_page",)
    def _repr_html_(self):
        return self._page()
)";

std::string iframe(const std::string& page) {
  return "<iframe srcdoc=\"" + cli::html_escape(page) +
         "\" style=\"width: 100%; height: 720px; border: 0\" title=\"gradlab report\"></iframe>";
}

// A path argument: a str or an os.PathLike.
std::string path_text(py::handle path) { return py::str(py::module_::import("os").attr("fspath")(path)); }

void check_range(const char* name, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) throw Error(fmt::format("{}={}: must be in [{}, {}]", name, value, low, high));
}

void check_choice(const char* name, const std::string& value, const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
    throw Error(fmt::format("{}='{}': must be one of {}", name, value, fmt::join(choices, ", ")));
  }
}

// One value or a sequence of them (not a str) as a list, as a --grid file takes a single value.
template <class T>
std::vector<T> as_list(py::handle value) {
  if (py::isinstance<py::str>(value) || !py::isinstance<py::sequence>(value)) return {value.cast<T>()};
  std::vector<T> list;
  for (py::handle item : value) list.push_back(item.cast<T>());
  return list;
}

py::object probe(py::object model, py::object weights, py::object input, std::optional<int> depth,
                 std::optional<int64_t> width, std::optional<std::string> activation, std::optional<std::string> init,
                 std::optional<std::string> norm, std::optional<std::string> skip, std::optional<int64_t> features,
                 std::optional<int64_t> batch, std::optional<std::string> input_dist, uint64_t seed,
                 std::optional<std::string> dtype, const std::string& mode, const std::string& probe_loss,
                 std::optional<double> sigma_w2, std::optional<double> sigma_b2, py::object data, int64_t limit,
                 std::optional<std::string> label_column, std::optional<std::string> data_dir,
                 std::optional<std::string> cell, std::optional<int64_t> time_steps,
                 std::optional<std::string> recurrent_init, int dead_batches, double trainable_depth_scales,
                 double saturation_threshold, double dead_threshold) {
  cli::ProbeSettings s;
  if (cell) {
    // The inline recurrent network, as `gradlab probe --cell`.
    check_choice("cell", *cell, recurrent_cell_names());
    const std::pair<const char*, bool> excluded[] = {{"model", !model.is_none()}, {"sigma_w2", sigma_w2.has_value()}};
    for (const auto& [name, given] : excluded) {
      if (given) throw Error(fmt::format("{}= cannot go with cell=: cell= builds the inline recurrent network", name));
    }
    // As `gradlab probe --cell --data fashion-mnist-sequence`: the examples set the time steps.
    if (time_steps && !data.is_none()) throw Error("time_steps= cannot go with data=: the examples set the time steps");
    s.cell = *cell;
    s.time_steps = time_steps.value_or(s.time_steps);
    s.recurrent_init = recurrent_init.value_or(s.recurrent_init);
    check_range("time_steps", s.time_steps, 1, kMaxProbeUnits);
    (void)Initializer(s.recurrent_init);  // throws Error naming an unknown initializer
    if (!activation) s.activation = RecurrentNetworkOptions{}.activation;
  } else if (time_steps || recurrent_init) {
    throw Error("time_steps= and recurrent_init= describe the inline recurrent network; they need cell=");
  }
  check_range("dead_batches", dead_batches, 1, 10000);
  s.dead_batches = dead_batches;
  const bool model_object = py::isinstance<Layer>(model);
  if (model_object) {
    // A gradlab model object, probed with its own weights on arrays (or an input drawn for it).
    if (!weights.is_none() || init || activation) {
      throw Error("weights=, init= and activation= change a model spec; a model object is probed as it is");
    }
    s.layer = model.cast<Layer>();
    if (!input.is_none()) {
      if (py::isinstance<py::list>(input) || py::isinstance<py::tuple>(input)) {
        for (py::handle x : input) s.layer_inputs.push_back(to_tensor(x));
      } else {
        s.layer_inputs.push_back(to_tensor(input));
      }
      if (dtype) {
        for (Tensor& x : s.layer_inputs) x = x.to(parse_dtype(*dtype));
      }
      input = py::none();
    }
    model = py::none();
  }
  if (!data.is_none()) {
    // The checks of --data's exclusions: the examples are the input, so nothing else may draw or give one.
    const std::pair<const char*, bool> drawn_input[] = {{"input", !input.is_none()}, {"features", features.has_value()},
                                                        {"batch", batch.has_value()}, {"input_dist", input_dist.has_value()}};
    for (const auto& [name, given] : drawn_input) {
      if (given) throw Error(fmt::format("{}= describes the input; it cannot go with data=, whose examples are the input", name));
    }
    const std::string source = path_text(data);
    s.data.data = source;
    s.data.limit = limit;
    s.data.label_column = label_column.value_or("");
    if (data_dir) s.data.data_dir = *data_dir;
  } else if (label_column || data_dir) {
    throw Error("label_column= and data_dir= need data=: they describe the data set it names");
  }
  check_range("limit", limit, 1, int64_t{1} << 40);
  if (sigma_b2 && !sigma_w2) throw Error("sigma_b2= needs sigma_w2=: together they initialize the inline network");
  if (sigma_w2) {
    if (!model.is_none() || model_object) throw Error("sigma_w2= initializes the inline network; it cannot go with model=");
    if (init) throw Error("sigma_w2= cannot go with init=: the variances replace the initializer");
    for (const auto& [name, value] : {std::pair{"sigma_w2", *sigma_w2}, std::pair{"sigma_b2", sigma_b2.value_or(0.0)}}) {
      if (!(std::isfinite(value) && value >= 0)) throw Error(fmt::format("{}={}: must be a finite number >= 0", name, value));
    }
    s.gaussian_init = GaussianInit{.sigma_w2 = *sigma_w2, .sigma_b2 = sigma_b2.value_or(0.0)};
  }
  if (model_object) {
    const std::pair<const char*, bool> inline_only[] = {{"depth", depth.has_value()}, {"width", width.has_value()},
                                                        {"norm", norm.has_value()},   {"skip", skip.has_value()},
                                                        {"features", features.has_value()}};
    for (const auto& [name, given] : inline_only) {
      if (given) throw Error(fmt::format("{}= describes the inline network; it cannot go with model=", name));
    }
  } else if (!model.is_none()) {
    s.model = path_text(model);
    const std::pair<const char*, bool> inline_only[] = {{"depth", depth.has_value()}, {"width", width.has_value()},
                                                        {"norm", norm.has_value()},   {"skip", skip.has_value()},
                                                        {"features", features.has_value()}};
    for (const auto& [name, given] : inline_only) {
      if (given) throw Error(fmt::format("{}= describes the inline network; it cannot go with model=", name));
    }
    if (activation) s.overrides.hidden_activation = *activation;
    if (init) s.overrides.kernel_initializer = *init;
  } else if (!weights.is_none()) {
    throw Error("weights= needs model=: they are the weights of a model spec");
  }
  if (!weights.is_none()) {
    if (init) throw Error("init= cannot go with weights=: the loaded weights replace the kernels it would draw");
    s.weights = path_text(weights);
  }
  if (!input.is_none()) s.input = path_text(input);
  s.depth = depth.value_or(s.depth);
  s.width = width.value_or(s.width);
  s.activation = activation.value_or(s.activation);
  s.init = init.value_or(s.init);
  s.norm = norm.value_or(s.norm);
  s.skip = skip.value_or(s.skip);
  s.features = features.value_or(s.features);
  s.batch = batch.value_or(s.batch);
  s.input_dist = input_dist.value_or(s.input_dist);
  s.probe_loss = probe_loss;
  s.seed = seed;
  s.dtype = dtype.value_or("");
  s.mode = mode;
  s.thresholds = {.trainable_depth_scales = trainable_depth_scales,
                  .saturated_fraction = saturation_threshold,
                  .dead_fraction = dead_threshold};

  // The checks `gradlab probe`'s option validators make.
  check_range("depth", s.depth, 1, kMaxProbeDepth);
  check_range("width", s.width, 1, kMaxProbeUnits);
  check_range("features", s.features, 1, kMaxProbeUnits);
  check_range("batch", s.batch, 1, kMaxProbeUnits);
  check_choice("activation", s.activation, activation_names());
  (void)Initializer(s.init);  // throws Error naming an unknown initializer
  check_choice("norm", s.norm, skip_normalization_names());
  check_choice("skip", s.skip, skip_connection_names());
  check_choice("probe_loss", s.probe_loss, probe_loss_names());
  check_choice("input_dist", s.input_dist, {"uniform", "normal"});
  if (dtype) check_choice("dtype", *dtype, {"float32", "float64"});
  check_choice("mode", s.mode, {"training", "inference"});
  if (!(trainable_depth_scales > 0) || !std::isfinite(trainable_depth_scales)) {
    throw Error(fmt::format("trainable_depth_scales ({:g}) must be a positive number", trainable_depth_scales));
  }
  if (!(saturation_threshold >= 0 && saturation_threshold <= 1)) throw Error("saturation_threshold must be in [0, 1]");
  if (!(dead_threshold >= 0 && dead_threshold <= 1)) throw Error("dead_threshold must be in [0, 1]");

  std::shared_ptr<const cli::ProbeReport> report;
  nlohmann::ordered_json json;
  {
    py::gil_scoped_release release;
    report = std::make_shared<const cli::ProbeReport>(cli::run_probe(s));
    json = cli::probe_json(*report);
  }
  py::object result = py::module_::import("gradlab").attr("ProbeResult")(json_to_python(json));
  result.attr("_page") = py::cpp_function([report] {
    std::string page;
    {
      py::gil_scoped_release release;
      page = cli::probe_html(*report);
    }
    return iframe(page);
  });
  return result;
}

// How a sweep shows its progress: a bar on sys.stderr (the line `gradlab sweep` draws), nothing, or a
// function called with (done, total, result) after each configuration.
class SweepProgress {
 public:
  SweepProgress(py::object progress, int64_t total)
      : progress_(std::move(progress)), total_(total), bar_("sweep", total, cli::ProgressMode::never) {}

  // With the GIL held; `result` is the one just finished, null for the final line.
  void update(int64_t done, const std::string& detail, const SweepResult* result) {
    const bool final_line = result == nullptr;
    if (progress_.is_none() || (py::isinstance<py::bool_>(progress_) && !progress_.cast<bool>())) return;
    if (!py::isinstance<py::bool_>(progress_)) {
      if (!final_line) progress_(done, total_, json_to_python(nlohmann::ordered_json::parse(cli::sweep_line(*result, cli::SweepFormat::jsonl))));
      return;
    }
    const auto now = Clock::now();
    if (!final_line && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    py::object err = py::module_::import("sys").attr("stderr");
    err.attr("write")("\r" + bar_.line(done, detail, elapsed) + (final_line ? "\n" : ""));
    err.attr("flush")();
  }

 private:
  using Clock = std::chrono::steady_clock;
  py::object progress_;
  int64_t total_;
  cli::ProgressBar bar_;
  Clock::time_point start_ = Clock::now(), last_draw_{};
};

// A list argument of sweep(): None keeps the default (or, with model=, the spec's own setting).
template <class T>
std::vector<T> list_or(py::handle value, std::vector<T> fallback) {
  return value.is_none() ? std::move(fallback) : as_list<T>(value);
}

cli::SweepPlan sweep_plan(py::object model, py::object input, py::object depth, py::object width,
                          py::object activation, py::object init, py::object sigma_w2, py::object sigma_b2,
                          py::object norm, py::object skip, py::object batch, py::object input_dist, py::object dtype,
                          int trials, uint64_t seed, const std::string& probe_loss, py::object cell,
                          py::object time_steps, py::object recurrent_init) {
  check_range("trials", trials, 1, kMaxSweepTrials);
  check_choice("probe_loss", probe_loss, probe_loss_names());
  if (cell.is_none() && (!time_steps.is_none() || !recurrent_init.is_none())) {
    throw Error("time_steps= and recurrent_init= describe recurrent networks; they need cell=");
  }
  if (!cell.is_none()) {
    // As `gradlab sweep --cell`: depth and width are the layers and units.
    const std::pair<const char*, bool> not_recurrent[] = {{"model", !model.is_none()},       {"input", !input.is_none()},
                                                          {"skip", !skip.is_none()},         {"sigma_w2", !sigma_w2.is_none()},
                                                          {"sigma_b2", !sigma_b2.is_none()}, {"input_dist", !input_dist.is_none()}};
    for (const auto& [name, given] : not_recurrent) {
      if (given) throw Error(fmt::format("{}= cannot go with cell=: it describes another kind of sweep", name));
    }
    if (probe_loss != "auto") throw Error("probe_loss= cannot go with cell=: the time axis differentiates the mean");
    const RecurrentSweepGrid d;
    RecurrentSweepGrid grid{.cells = {},
                            .layers = list_or<int>(depth, d.layers),
                            .units = list_or<int64_t>(width, d.units),
                            .time_steps = list_or<int64_t>(time_steps, d.time_steps),
                            .activations = list_or<std::string>(activation, d.activations),
                            .initializers = list_or<std::string>(init, d.initializers),
                            .recurrent_initializers = list_or<std::string>(recurrent_init, d.recurrent_initializers),
                            .layer_norms = {},
                            .batches = list_or<int64_t>(batch, d.batches),
                            .dtypes = {},
                            .trials = trials,
                            .seed = seed};
    for (const std::string& c : as_list<std::string>(cell)) grid.cells.push_back(parse_recurrent_cell(c));
    for (const std::string& n : list_or<std::string>(norm, {"none"})) grid.layer_norms.push_back(cli::parse_recurrent_norm(n));
    for (const std::string& t : list_or<std::string>(dtype, {"float32"})) grid.dtypes.push_back(parse_dtype(t));
    validate_recurrent_grid(grid);
    return {expand_recurrent_grid(grid), cli::recurrent_grid_description(grid)};
  }
  if (!model.is_none()) {
    // As `gradlab sweep --model`: the lists given vary the spec; the others keep its own settings.
    const std::pair<const char*, bool> inline_only[] = {
        {"depth", !depth.is_none()}, {"width", !width.is_none()},       {"norm", !norm.is_none()},
        {"skip", !skip.is_none()},   {"sigma_w2", !sigma_w2.is_none()}, {"sigma_b2", !sigma_b2.is_none()}};
    for (const auto& [name, given] : inline_only) {
      if (given) throw Error(fmt::format("{}= describes the inline network; it cannot go with model=", name));
    }
    cli::SpecSweepRequest r{.model = path_text(model),
                            .input = input.is_none() ? std::string() : path_text(input),
                            .grid = {.trials = trials, .seed = seed, .probe_loss = parse_probe_loss(probe_loss)}};
    r.grid.initializers = list_or<std::string>(init, {});
    r.grid.activations = list_or<std::string>(activation, {});
    r.grid.batches = list_or<int64_t>(batch, {});
    for (const std::string& d : list_or<std::string>(input_dist, {})) r.grid.input_distributions.push_back(parse_input_distribution(d));
    for (const std::string& d : list_or<std::string>(dtype, {})) r.grid.dtypes.push_back(parse_dtype(d));
    return cli::spec_plan(std::move(r), "");
  }
  if (!input.is_none() || !input_dist.is_none()) {
    throw Error("input= and input_dist= describe a model spec's input; they need model=");
  }
  if (!sigma_b2.is_none() && sigma_w2.is_none()) throw Error("sigma_b2= needs sigma_w2=: together they initialize the network");
  if (!sigma_w2.is_none() && !init.is_none()) throw Error("sigma_w2= cannot go with init=: the variances replace the initializer");
  const SweepGrid d;
  SweepGrid grid{.depths = list_or<int>(depth, d.depths),
                 .widths = list_or<int64_t>(width, d.widths),
                 .activations = list_or<std::string>(activation, d.activations),
                 .initializers = list_or<std::string>(init, d.initializers),
                 .sigma_w2s = list_or<double>(sigma_w2, {}),
                 .sigma_b2s = list_or<double>(sigma_b2, {}),
                 .normalizations = {},
                 .skips = {},
                 .batches = list_or<int64_t>(batch, d.batches),
                 .dtypes = {},
                 .trials = trials,
                 .seed = seed,
                 .probe_loss = parse_probe_loss(probe_loss)};
  for (const std::string& n : list_or<std::string>(norm, {"none"})) grid.normalizations.push_back(parse_skip_normalization(n));
  for (const std::string& k : list_or<std::string>(skip, {"none"})) grid.skips.push_back(parse_skip_connection(k));
  for (const std::string& t : list_or<std::string>(dtype, {"float32"})) grid.dtypes.push_back(parse_dtype(t));
  validate_grid(grid);
  return {expand_grid(grid), cli::grid_description(grid)};
}

py::object sweep(py::object model, py::object input, py::object depth, py::object width, py::object activation,
                 py::object init, py::object sigma_w2, py::object sigma_b2, py::object norm, py::object skip,
                 py::object batch, py::object input_dist, py::object dtype, int trials, uint64_t seed,
                 const std::string& probe_loss, int workers, py::object progress, py::object cell,
                 py::object time_steps, py::object recurrent_init) {
  check_range("workers", workers, 0, 4096);
  const cli::SweepPlan plan = sweep_plan(model, input, depth, width, activation, init, sigma_w2, sigma_b2, norm, skip,
                                         batch, input_dist, dtype, trials, seed, probe_loss, cell, time_steps,
                                         recurrent_init);
  const std::vector<SweepConfig>& configs = plan.configs;
  const std::string& description = plan.description;

  auto results = std::make_shared<std::vector<SweepResult>>();
  SweepProgress bar(progress, static_cast<int64_t>(configs.size()));
  std::map<std::string, int64_t> verdicts;
  {
    py::gil_scoped_release release;
    run_sweep(configs, {.workers = workers, .keep_pass = true}, [&](const SweepResult& r) {
      // Between configurations, on the calling thread: Ctrl-C raises KeyboardInterrupt here, which
      // stops the sweep (run_sweep rethrows it once the running configurations finish).
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      results->push_back(r);
      ++verdicts[flow_verdict_name(r.verdict)];
      bar.update(static_cast<int64_t>(results->size()), cli::verdict_counts_text(verdicts), &r);
    });
  }
  bar.update(static_cast<int64_t>(results->size()), cli::verdict_counts_text(verdicts), nullptr);

  // Grid order, whatever order the workers finished in, as the command's table and report.
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < configs.size(); ++i) position[configs[i].id] = i;
  std::sort(results->begin(), results->end(),
            [&](const SweepResult& a, const SweepResult& b) { return position[a.config.id] < position[b.config.id]; });
  py::object list = py::module_::import("gradlab").attr("SweepResult")();
  for (const SweepResult& r : *results) {
    list.attr("append")(json_to_python(nlohmann::ordered_json::parse(cli::sweep_line(r, cli::SweepFormat::jsonl))));
  }
  list.attr("_page") = py::cpp_function([results, description] {
    std::string page;
    {
      py::gil_scoped_release release;
      page = cli::sweep_report_html(*results, description);
    }
    return iframe(page);
  });
  return list;
}

py::object lesson(int trials, int grid_trials, uint64_t seed, std::vector<int> depths, std::vector<std::string> activations,
                  const std::string& init, int norm_trials, std::vector<int> norm_depths, const std::string& dtype,
                  int recurrent_trials, std::vector<int64_t> recurrent_steps, int conv_seeds,
                  std::vector<int> conv_depths) {
  check_choice("dtype", dtype, {"float32", "float64"});
  const LessonStudyOptions options{.seed = seed,
                                   .trials = trials,
                                   .grid_trials = grid_trials,
                                   .depths = std::move(depths),
                                   .activations = std::move(activations),
                                   .grid_initializer = init,
                                   .dtype = parse_dtype(dtype),
                                   .normalization_trials = norm_trials,
                                   .normalization_depths = std::move(norm_depths),
                                   .recurrent_trials = recurrent_trials,
                                   .recurrent_time_steps = std::move(recurrent_steps)};
  validate(options);
  ConvStudyOptions conv = cli::lesson_conv_options();
  conv.seeds = conv_seeds;
  conv.depths = std::move(conv_depths);
  if (conv.seeds > 0) validate(conv);
  nlohmann::ordered_json json;
  {
    py::gil_scoped_release release;
    json = cli::lesson_json(run_lesson_study(options));
    if (const std::optional<ConvStudy> study = cli::run_lesson_conv(conv, seed)) json["conv"] = cli::conv_study_json(*study);
  }
  return json_to_python(json);
}

}  // namespace

void bind_lab(py::module_& m) {
  py::exec(kResultClasses, m.attr("__dict__"));
  const FlowThresholds t;
  m.def("probe", &probe, py::kw_only(), py::arg("model") = py::none(), py::arg("weights") = py::none(),
        py::arg("input") = py::none(), py::arg("depth") = py::none(), py::arg("width") = py::none(),
        py::arg("activation") = py::none(), py::arg("init") = py::none(), py::arg("norm") = py::none(),
        py::arg("skip") = py::none(), py::arg("features") = py::none(), py::arg("batch") = py::none(),
        py::arg("input_dist") = py::none(), py::arg("seed") = 0, py::arg("dtype") = py::none(),
        py::arg("mode") = "training", py::arg("probe_loss") = cli::ProbeSettings{}.probe_loss,
        py::arg("sigma_w2") = py::none(), py::arg("sigma_b2") = py::none(), py::arg("data") = py::none(),
        py::arg("limit") = cli::DataInputSettings{}.limit, py::arg("label_column") = py::none(),
        py::arg("data_dir") = py::none(), py::arg("cell") = py::none(), py::arg("time_steps") = py::none(),
        py::arg("recurrent_init") = py::none(), py::arg("dead_batches") = cli::ProbeSettings{}.dead_batches,
        py::arg("trainable_depth_scales") = t.trainable_depth_scales,
        py::arg("saturation_threshold") = t.saturated_fraction,
        py::arg("dead_threshold") = t.dead_fraction,
        "Probe one pass of the lesson's network (or model=, a spec file or a gradlab model object with input= "
        "arrays) layer by layer, as `gradlab probe "
        "--json` with the same options (batch and input_dist default to the command's: 32 rows, uniform; "
        "data= a Fashion-MNIST view ('fashion-mnist', 'fashion-mnist-sequence' for cell= or a recurrent spec, "
        "'fashion-mnist-images' for a convolutional spec) or a CSV file takes the first `limit` examples as the "
        "input): a ProbeResult "
        "(a dict) that shows the probe's page in Jupyter");
  const SweepGrid g;
  const auto none = py::none();
  m.def("sweep", &sweep, py::kw_only(), py::arg("model") = none, py::arg("input") = none, py::arg("depth") = none,
        py::arg("width") = none, py::arg("activation") = none, py::arg("init") = none, py::arg("sigma_w2") = none,
        py::arg("sigma_b2") = none, py::arg("norm") = none, py::arg("skip") = none, py::arg("batch") = none,
        py::arg("input_dist") = none, py::arg("dtype") = none, py::arg("trials") = g.trials, py::arg("seed") = g.seed,
        py::arg("probe_loss") = "auto", py::arg("workers") = 0, py::arg("progress") = true, py::arg("cell") = none,
        py::arg("time_steps") = none, py::arg("recurrent_init") = none,
        "Probe every configuration of a grid in parallel, as `gradlab sweep` with the same lists (a value or "
        "a list each; None: the command's default, or with model= the spec's own setting): a SweepResult (a "
        "list of dicts, one per configuration in grid order) that shows the sweep's page in Jupyter. model= "
        "sweeps variants of a spec file (init, activation, batch, input_dist, dtype), as `gradlab sweep "
        "--model`. progress: True draws a bar on sys.stderr, False nothing, a function is called with (done, "
        "total, result). Ctrl-C stops it with KeyboardInterrupt");
  const LessonStudyOptions l;
  m.def("lesson", &lesson, py::kw_only(), py::arg("trials") = l.trials, py::arg("grid_trials") = l.grid_trials,
        py::arg("seed") = l.seed, py::arg("depths") = l.depths, py::arg("activations") = l.activations,
        py::arg("init") = l.grid_initializer, py::arg("norm_trials") = l.normalization_trials,
        py::arg("norm_depths") = l.normalization_depths, py::arg("dtype") = "float32",
        py::arg("recurrent_trials") = l.recurrent_trials, py::arg("recurrent_steps") = l.recurrent_time_steps,
        py::arg("conv_seeds") = cli::lesson_conv_options().seeds, py::arg("conv_depths") = cli::lesson_conv_options().depths,
        "The lesson's experiments over many seeds, as `gradlab lesson --json` with the same options, as a dict "
        "(conv_seeds=0 leaves out the convolutional table, as --conv-seeds 0)");
}

}  // namespace gradlab::python
