// The lab as functions: gradlab.probe, gradlab.sweep and gradlab.lesson return what `gradlab probe
// --json`, `gradlab sweep --out x.jsonl` and `gradlab lesson --json` print, as plain Python data, and
// probe and sweep results show the page `--report` writes in Jupyter (_repr_html_). They run the CLI's
// own code (gradlab_cli_lib: run_probe on probe_configuration.h, run_sweep, run_lesson_study and the
// JSON and HTML writers), so a result from Python and from the command line are the same numbers.
#include <Python.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <pybind11/eval.h>

#include "json_objects.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_run.h"
#include "html_report.h"
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
                 int64_t batch, const std::string& input_dist, uint64_t seed, std::optional<std::string> dtype,
                 const std::string& mode, double trainable_depth_scales, double saturation_threshold,
                 double dead_threshold) {
  cli::ProbeSettings s;
  if (!model.is_none()) {
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
  s.batch = batch;
  s.input_dist = input_dist;
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
  check_choice("norm", s.norm, {"none", "batch", "layer", "group", "instance"});
  check_choice("skip", s.skip, {"none", "residual", "concat"});
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

py::object sweep(py::object depth, py::object width, py::object activation, py::object init, py::object norm,
                 py::object skip, py::object batch, py::object dtype, int trials, uint64_t seed, int workers,
                 py::object progress) {
  SweepGrid grid{.depths = as_list<int>(depth),
                 .widths = as_list<int64_t>(width),
                 .activations = as_list<std::string>(activation),
                 .initializers = as_list<std::string>(init),
                 .normalizations = {},
                 .skips = {},
                 .batches = as_list<int64_t>(batch),
                 .dtypes = {},
                 .trials = trials,
                 .seed = seed};
  for (const std::string& n : as_list<std::string>(norm)) grid.normalizations.push_back(parse_skip_normalization(n));
  for (const std::string& k : as_list<std::string>(skip)) grid.skips.push_back(parse_skip_connection(k));
  for (const std::string& d : as_list<std::string>(dtype)) grid.dtypes.push_back(parse_dtype(d));
  check_range("trials", trials, 1, kMaxSweepTrials);
  check_range("workers", workers, 0, 4096);
  validate_grid(grid);
  const std::vector<SweepConfig> configs = expand_grid(grid);
  const std::string description = cli::grid_description(grid);

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
                  const std::string& init, int norm_trials, std::vector<int> norm_depths, const std::string& dtype) {
  check_choice("dtype", dtype, {"float32", "float64"});
  const LessonStudyOptions options{.seed = seed,
                                   .trials = trials,
                                   .grid_trials = grid_trials,
                                   .depths = std::move(depths),
                                   .activations = std::move(activations),
                                   .grid_initializer = init,
                                   .dtype = parse_dtype(dtype),
                                   .normalization_trials = norm_trials,
                                   .normalization_depths = std::move(norm_depths)};
  validate(options);
  nlohmann::ordered_json json;
  {
    py::gil_scoped_release release;
    json = cli::lesson_json(run_lesson_study(options));
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
        py::arg("skip") = py::none(), py::arg("features") = py::none(), py::arg("batch") = SkipNetworkOptions{}.batch,
        py::arg("input_dist") = "uniform", py::arg("seed") = 0, py::arg("dtype") = py::none(),
        py::arg("mode") = "training", py::arg("trainable_depth_scales") = t.trainable_depth_scales,
        py::arg("saturation_threshold") = t.saturated_fraction,
        py::arg("dead_threshold") = t.dead_fraction,
        "Probe one pass of the lesson's network (or model=, a spec file) layer by layer, as `gradlab probe "
        "--json` with the same options: a ProbeResult (a dict) that shows the probe's page in Jupyter");
  const SweepGrid g;
  m.def("sweep", &sweep, py::kw_only(), py::arg("depth") = g.depths, py::arg("width") = g.widths,
        py::arg("activation") = g.activations, py::arg("init") = g.initializers, py::arg("norm") = "none",
        py::arg("skip") = "none", py::arg("batch") = g.batches, py::arg("dtype") = "float32",
        py::arg("trials") = g.trials, py::arg("seed") = g.seed, py::arg("workers") = 0, py::arg("progress") = true,
        "Probe every configuration of a grid in parallel, as `gradlab sweep` with the same lists (a value or "
        "a list each): a SweepResult (a list of dicts, one per configuration in grid order) that shows the "
        "sweep's page in Jupyter. progress: True draws a bar on sys.stderr, False nothing, a function is "
        "called with (done, total, result). Ctrl-C stops it with KeyboardInterrupt");
  const LessonStudyOptions l;
  m.def("lesson", &lesson, py::kw_only(), py::arg("trials") = l.trials, py::arg("grid_trials") = l.grid_trials,
        py::arg("seed") = l.seed, py::arg("depths") = l.depths, py::arg("activations") = l.activations,
        py::arg("init") = l.grid_initializer, py::arg("norm_trials") = l.normalization_trials,
        py::arg("norm_depths") = l.normalization_depths, py::arg("dtype") = "float32",
        "The lesson's experiments over many seeds, as `gradlab lesson --json` with the same options, as a dict");
}

}  // namespace gradlab::python
