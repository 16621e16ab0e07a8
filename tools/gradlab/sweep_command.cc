// `gradlab sweep`: probe every configuration of a grid in parallel, streaming one result line per
// configuration to --out as it finishes, so an interrupted sweep keeps its results and --resume runs
// only what is missing; without --out, a table at the end.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/lab/conv_network.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/nn/initializers.h"
#include "interrupt.h"
#include "model_files.h"
#include "progress_bar.h"
#include "sweep_files.h"
#include "sweep_team.h"
#include "team.h"

namespace gradlab::cli {

std::string grid_description(const SweepGrid& g) {
  std::vector<std::string> norms, skips, dtypes;
  for (const SkipNormalization n : g.normalizations) norms.emplace_back(skip_normalization_name(n));
  for (const SkipConnection k : g.skips) skips.emplace_back(skip_connection_name(k));
  for (const DType d : g.dtypes) dtypes.emplace_back(dtype_name(d));
  const std::string init =
      g.sigma_w2s.empty() ? fmt::format("init {}", fmt::join(g.initializers, ", "))
                          : fmt::format("sigma_w2 {}; sigma_b2 {}", fmt::join(g.sigma_w2s, ", "),
                                        g.sigma_b2s.empty() ? std::string("0") : fmt::format("{}", fmt::join(g.sigma_b2s, ", ")));
  return fmt::format("depth {}; width {}; activation {}; {}; norm {}; skip {}; batch {}; dtype {}; {} trial(s); seed {}",
                     fmt::join(g.depths, ", "), fmt::join(g.widths, ", "), fmt::join(g.activations, ", "),
                     init, fmt::join(norms, ", "), fmt::join(skips, ", "),
                     fmt::join(g.batches, ", "), fmt::join(dtypes, ", "), g.trials, g.seed);
}

std::string recurrent_grid_description(const RecurrentSweepGrid& g) {
  std::vector<std::string> cells, norms, dtypes;
  for (const RecurrentCell c : g.cells) cells.emplace_back(cell_name(c));
  for (const bool on : g.layer_norms) norms.emplace_back(on ? "layer" : "none");
  for (const DType d : g.dtypes) dtypes.emplace_back(dtype_name(d));
  return fmt::format("cell {}; layers {}; units {}; time steps {}; activation {}; init {}; recurrent init {}; norm {}; "
                     "batch {}; dtype {}; {} trial(s); seed {}",
                     fmt::join(cells, ", "), fmt::join(g.layers, ", "), fmt::join(g.units, ", "),
                     fmt::join(g.time_steps, ", "), fmt::join(g.activations, ", "), fmt::join(g.initializers, ", "),
                     fmt::join(g.recurrent_initializers, ", "), fmt::join(norms, ", "), fmt::join(g.batches, ", "),
                     fmt::join(dtypes, ", "), g.trials, g.seed);
}

// "; init he_normal; batch 8, 32; 3 trial(s); seed 0": the lists a spec sweep varies, as given.
std::string spec_axes_description(const SpecSweepGrid& g, const std::string& input) {
  const auto listed = [](const char* name, const auto& values, const auto& show) {
    std::vector<std::string> shown;
    for (const auto& v : values) shown.emplace_back(show(v));
    return values.empty() ? std::string() : fmt::format("; {} {}", name, fmt::join(shown, ", "));
  };
  const auto as_text = [](const auto& v) { return fmt::format("{}", v); };
  return fmt::format("{}{}{}{}{}{}; {} trial(s); seed {}", listed("init", g.initializers, as_text),
                     listed("activation", g.activations, as_text), listed("batch", g.batches, as_text),
                     listed("input", g.input_distributions, [](InputDistribution d) { return input_distribution_name(d); }),
                     input.empty() ? "" : "; input " + input, listed("dtype", g.dtypes, [](DType d) { return dtype_name(d); }),
                     g.trials, g.seed);
}

SweepPlan spec_plan(SpecSweepRequest r, const std::string& grid_file, const ModelSpec* spec) {
  check_one_stdin({{"--grid", grid_file}, {"--model", spec ? std::string() : r.model}, {"--input", r.input}});
  SpecSweepGrid& g = r.grid;
  g.spec = std::make_shared<const ModelSpec>(spec ? *spec : as_bad_input([&] { return read_model_spec(r.model); }));
  if (!r.input.empty()) {
    g.inputs = std::make_shared<const std::vector<Tensor>>(read_spec_inputs(*g.spec, r.input));
    g.inputs_source = r.input;
  }
  SweepPlan plan;
  plan.configs = as_bad_input([&] {
    try {
      return expand_spec_grid(g);
    } catch (const Error& e) {
      if (grid_file.empty()) throw;
      fail("{}: {}", grid_file, e.what());
    }
  });
  plan.description = fmt::format("model {} ({}){}", g.spec->name, r.model, spec_axes_description(g, r.input));
  return plan;
}

namespace {

constexpr std::uint64_t kMaxGridBytes = 1 << 20;
constexpr std::uint64_t kMaxResultsBytes = std::uint64_t{1} << 32;

struct SweepSettings {
  std::vector<int> depths{4};
  std::vector<int64_t> widths{32}, batches{32};
  std::vector<std::string> activations{"relu"}, inits{"glorot_uniform"}, norms{"none"}, skips{"none"},
      dtypes{"float32"}, input_dists;
  std::vector<double> sigma_w2s, sigma_b2s;
  // Recurrent networks (--cell): the cells, time steps and recurrent initializers; --depth and --width
  // are their layers and units, --norm none or layer.
  std::vector<std::string> cells, recurrent_inits{RecurrentNetworkOptions{}.recurrent_initializer.name()};
  std::vector<int64_t> time_steps{RecurrentNetworkOptions{}.time_steps};
  bool depth_given = false, width_given = false;
  int trials = 1;
  uint64_t seed = 0;
  std::string grid_file, out, format, report;
  // A sweep of a model spec: the spec, an optional input file, and which lists the command line gave
  // (one not given is the spec's own setting, or the default, and stays out of the ids).
  std::string model, input;
  bool init_given = false, activation_given = false, batch_given = false, dtype_given = false;
  int workers = 0;
  bool resume = false;
  std::string probe_loss = "auto";
  // The inline convolutional networks (--conv, lab/conv_network.h), each swept as a spec is.
  bool conv = false;
  int64_t filters = ConvNetworkOptions{}.filters, kernel_size = ConvNetworkOptions{}.kernel_size;
  std::vector<int64_t> image{28, 28, 1};
  // --train: each configuration also trained on Fashion-MNIST (lab/trainability.h).
  bool train = false;
  TrainabilitySettings training;
};

SweepGrid inline_grid(const SweepSettings& s) {
  SweepGrid g{.depths = s.depths, .widths = s.widths, .activations = s.activations, .initializers = s.inits,
              .sigma_w2s = s.sigma_w2s, .sigma_b2s = s.sigma_b2s, .normalizations = {}, .skips = {}, .batches = s.batches,
              .dtypes = {}, .trials = s.trials, .seed = s.seed, .probe_loss = parse_probe_loss(s.probe_loss)};
  for (const std::string& n : s.norms) g.normalizations.push_back(parse_skip_normalization(n));
  for (const std::string& n : s.skips) g.skips.push_back(parse_skip_connection(n));
  for (const std::string& n : s.dtypes) g.dtypes.push_back(parse_dtype(n));
  if (s.train) {
    g.training = std::make_shared<const TrainabilityTask>(TrainabilityTask{.settings = s.training});
    validate_grid(g);
    // Read once the grid is known to be trainable; every worker (and, under MPI, every rank) shares it.
    auto task = std::make_shared<TrainabilityTask>(*g.training);
    task->data = std::make_shared<const DataSplits>(load_trainability_data(s.training));
    g.training = std::move(task);
  }
  validate_grid(g);
  return g;
}

// Lists not given keep RecurrentNetworkOptions's defaults (1 layer of 32 units, tanh), not the Dense
// network's.
RecurrentSweepGrid recurrent_grid(const SweepSettings& s) {
  RecurrentSweepGrid g{.cells = {},
                       .time_steps = s.time_steps,
                       .initializers = s.inits,
                       .recurrent_initializers = s.recurrent_inits,
                       .layer_norms = {},
                       .batches = s.batches,
                       .dtypes = {},
                       .trials = s.trials,
                       .seed = s.seed};
  for (const std::string& c : s.cells) g.cells.push_back(parse_recurrent_cell(c));
  if (s.depth_given) g.layers = s.depths;
  if (s.width_given) g.units = s.widths;
  if (s.activation_given) g.activations = s.activations;
  for (const std::string& n : s.norms) g.layer_norms.push_back(parse_recurrent_norm(n));
  for (const std::string& n : s.dtypes) g.dtypes.push_back(parse_dtype(n));
  validate_recurrent_grid(g);
  return g;
}

SweepFormat format_of(const SweepSettings& s) {
  if (!s.format.empty()) return s.format == "csv" ? SweepFormat::csv : SweepFormat::jsonl;
  const auto ends_with = [&](std::string_view suffix) {
    return s.out.size() >= suffix.size() && s.out.compare(s.out.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".csv")) return SweepFormat::csv;
  if (ends_with(".jsonl") || ends_with(".json")) return SweepFormat::jsonl;
  throw UsageError(fmt::format("--out {}: cannot tell the format from the extension; name it .csv or .jsonl, "
                               "or add --format csv|jsonl", s.out));
}

SpecSweepRequest inline_spec_request(const SweepSettings& s) {
  SpecSweepRequest r{.model = s.model, .input = s.input, .grid = {.trials = s.trials, .seed = s.seed, .probe_loss = parse_probe_loss(s.probe_loss)}};
  if (s.init_given) r.grid.initializers = s.inits;
  if (s.activation_given) r.grid.activations = s.activations;
  if (s.batch_given) r.grid.batches = s.batches;
  for (const std::string& d : s.input_dists) r.grid.input_distributions.push_back(parse_input_distribution(d));
  if (s.dtype_given) {
    for (const std::string& d : s.dtypes) r.grid.dtypes.push_back(parse_dtype(d));
  }
  return r;
}

// The inline convolutional networks (--conv): one per depth x skip x norm, in that order, each swept
// over the spec lists (--init, --activation, --batch, --input-dist, --dtype) as --model is; the
// network's name (conv_network_name) is in every id.
SweepPlan conv_plan(const SweepSettings& s) {
  SweepPlan plan;
  SpecSweepGrid axes;
  for (const int depth : s.depths) {
    for (const std::string& skip : s.skips) {
      for (const std::string& norm : s.norms) {
        const ConvNetworkOptions options{.depth = depth,
                                         .filters = s.filters,
                                         .kernel_size = s.kernel_size,
                                         .image = {s.image[0], s.image[1], s.image[2]},
                                         .skip = parse_skip_connection(skip),
                                         .normalization = parse_skip_normalization(norm)};
        const ModelSpec spec = as_bad_input([&] { return conv_network_spec(options); });
        SpecSweepRequest request = as_bad_input([&] { return inline_spec_request(s); });
        request.model = "inline: " + conv_network_label(options);
        axes = request.grid;
        SweepPlan one = spec_plan(std::move(request), "", &spec);
        plan.configs.insert(plan.configs.end(), std::make_move_iterator(one.configs.begin()),
                            std::make_move_iterator(one.configs.end()));
      }
    }
  }
  plan.description = fmt::format("CNNs of depth {}; skip {}; norm {}: Conv2D({}, {}x{}) blocks on {}x{}x{} images{}",
                                 fmt::join(s.depths, ", "), fmt::join(s.skips, ", "), fmt::join(s.norms, ", "),
                                 s.filters, s.kernel_size, s.kernel_size, s.image[0], s.image[1], s.image[2],
                                 spec_axes_description(axes, ""));
  return plan;
}

SweepPlan plan_sweep(const SweepSettings& s) {
  if (s.train && (!s.grid_file.empty() || !s.model.empty() || !s.cells.empty() || s.conv)) {
    throw UsageError(fmt::format("--train trains the built-in network of the list options (--depth, --width, "
                                 "--activation, --sigma-w2, --sigma-b2); it does not take {}",
                                 !s.grid_file.empty() ? "--grid" : !s.model.empty() ? "--model" : !s.cells.empty() ? "--cell" : "--conv"));
  }
  if (!s.grid_file.empty()) {
    SweepGridFile file = as_bad_input([&] { return parse_sweep_grid(read_file(s.grid_file, kMaxGridBytes), s.grid_file); });
    if (auto* request = std::get_if<SpecSweepRequest>(&file)) return spec_plan(std::move(*request), s.grid_file);
    if (const auto* recurrent = std::get_if<RecurrentSweepGrid>(&file)) {
      return {expand_recurrent_grid(*recurrent), recurrent_grid_description(*recurrent)};
    }
    const SweepGrid& grid = std::get<SweepGrid>(file);
    return {expand_grid(grid), grid_description(grid)};
  }
  if (!s.model.empty()) return spec_plan(as_bad_input([&] { return inline_spec_request(s); }), "");
  if (s.conv) return conv_plan(s);
  if (!s.cells.empty()) {
    const RecurrentSweepGrid grid = as_bad_input([&] { return recurrent_grid(s); });
    return {expand_recurrent_grid(grid), recurrent_grid_description(grid)};
  }
  const SweepGrid grid = as_bad_input([&] { return inline_grid(s); });
  std::string description = grid_description(grid);
  if (grid.training) description += "; trained: " + trainability_budget(grid.training->settings);
  return {expand_grid(grid), description};
}

// Appends each result line with one write(2), so a kill leaves at most a partial last line.
class ResultFile {
 public:
  explicit ResultFile(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)) {
    if (fd_ < 0) throw UsageError(fmt::format("--out {}: cannot open for appending: {}", path, std::strerror(errno)));
  }
  ~ResultFile() { ::close(fd_); }
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  void append(const std::string& line) {
    ssize_t written;
    do {
      written = ::write(fd_, line.data(), line.size());
    } while (written < 0 && errno == EINTR);
    if (written != static_cast<ssize_t>(line.size())) {
      fail("{}: writing a result failed: {}", path_, written < 0 ? std::strerror(errno) : "short write (disk full?)");
    }
  }

 private:
  std::string path_;
  int fd_;
};

// Refuses what a sweep across several ranks cannot do, before any rank starts work.
void check_team_sweep(const SweepSettings& s, int ranks) {
  if (s.out.empty()) {
    throw UsageError(fmt::format("a sweep across {} ranks streams its results to a file: give --out FILE.csv or .jsonl", ranks));
  }
  if (!s.report.empty()) {
    throw UsageError("--report charts every configuration's whole pass, which stays on the rank that probed it: run the "
                     "sweep across ranks with --out, then the same command on one process with --resume --report FILE "
                     "(it probes the configurations again to chart them)");
  }
  for (const auto& [option, path] : {std::pair{"--grid", s.grid_file}, {"--model", s.model}, {"--input", s.input}}) {
    if (path == "-") throw UsageError(fmt::format("{} -: standard input reaches only rank 0 of an MPI job; give a file", option));
  }
}

// Rank 0 reads what --resume keeps and prepares --out (`prepare`); the other ranks learn the finished
// ids from it, or its error, so every rank runs the same configurations or stops with the same message.
std::vector<std::string> shared_done_ids(Team& t, const std::function<std::vector<std::string>()>& prepare) {
  if (t.size() == 1) return prepare();
  std::string message;
  std::vector<std::string> ids;
  if (t.rank() == 0) {
    try {
      ids = prepare();
      message = "+" + fmt::format("{}", fmt::join(ids, "\n"));
    } catch (const std::exception& e) {
      t.broadcast(std::string("!") + e.what());
      throw;
    }
  }
  message = t.broadcast(message);
  if (message.empty() || message[0] == '!') throw UsageError(message.empty() ? "rank 0 sent nothing" : message.substr(1));
  if (t.rank() == 0) return ids;
  for (std::size_t start = 1; start < message.size();) {
    const std::size_t end = std::min(message.find('\n', start), message.size());
    ids.push_back(message.substr(start, end - start));
    start = end + 1;
  }
  return ids;
}

// A finished sweep's file is rewritten in grid order, so that it is the same bytes whatever the
// workers, ranks and resumes that made it.
void write_in_grid_order(const std::string& path, SweepFormat format, const std::vector<SweepConfig>& configs) {
  const SweepResumeState state = read_sweep_results(read_file(path, kMaxResultsBytes), path, format, configs);
  std::map<std::string_view, const std::string*> line_of;
  for (std::size_t i = 0; i < state.done_ids.size(); ++i) line_of[state.done_ids[i]] = &state.lines[i];
  std::string text = format == SweepFormat::csv ? sweep_csv_header(sweep_kind(configs)) : std::string();
  for (const SweepConfig& c : configs) text += *line_of.at(c.id);
  write_file_atomically(path, text);
}

void run_sweep_command(const SweepSettings& s) {
  Team& t = team();
  const bool leader = t.rank() == 0;
  if (s.resume && s.out.empty()) throw UsageError("--resume needs --out: the file to resume");
  if (t.size() > 1) check_team_sweep(s, t.size());
  const SweepPlan plan = plan_sweep(s);
  const std::vector<SweepConfig>& configs = plan.configs;
  const int64_t total = static_cast<int64_t>(configs.size());

  const bool report = !s.report.empty();
  if (report) check_output_path("--report", s.report);
  std::unique_ptr<ResultFile> file;
  SweepFormat format = SweepFormat::csv;
  SweepResumeState resumed;
  if (!s.out.empty()) {
    format = format_of(s);
    resumed.done_ids = shared_done_ids(t, [&] {
      if (s.resume && ::access(s.out.c_str(), F_OK) == 0) {
        resumed = as_bad_input([&] { return read_sweep_results(read_file(s.out, kMaxResultsBytes), s.out, format, configs); });
      } else if (format == SweepFormat::csv) {
        resumed.kept = sweep_csv_header(sweep_kind(configs));
      }
      // Rewritten whole and atomically: drops a partial last line, and proves the path writable before
      // any work is done.
      as_bad_input([&] { write_file_atomically(s.out, resumed.kept); });
      file = std::make_unique<ResultFile>(s.out);
      return resumed.done_ids;
    });
  }

  const std::set<std::string> done_before(resumed.done_ids.begin(), resumed.done_ids.end());
  std::vector<SweepConfig> todo, redo;
  for (const SweepConfig& c : configs) (done_before.count(c.id) ? redo : todo).push_back(c);
  int64_t done = total - static_cast<int64_t>(todo.size());
  std::map<std::string, int64_t> verdicts = resumed.verdicts;
  std::vector<SweepResult> results;

  InterruptGuard guard;
  ProgressBar bar("sweep", total, leader ? ProgressMode::automatic : ProgressMode::never);
  bar.update(done, verdict_counts_text(verdicts));
  if (t.size() == 1) {
    run_sweep(todo, {.workers = s.workers, .keep_pass = report},
              [&](const SweepResult& r) {
                if (file) file->append(sweep_line(r, format));
                if (!file || report) results.push_back(r);
                ++done;
                ++verdicts[flow_verdict_name(r.verdict)];
                bar.update(done, verdict_counts_text(verdicts));
              },
              interrupt_requested);
  } else {
    run_team_sweep(todo, {.workers = s.workers}, format, [&](const TeamResultLine& r) {
      file->append(r.line);
      ++done;
      ++verdicts[r.verdict];
      bar.update(done, verdict_counts_text(verdicts));
    });
    if (!leader) {
      if (interrupt_requested()) throw Interrupted(fmt::format("rank {}: stopped; rank 0 saved the results", t.rank()));
      return;
    }
  }
  bar.finish(verdict_counts_text(verdicts));
  // The report charts every configuration; those a resumed file already held are probed again (each
  // result depends only on its id and seed, so they are the ones in the file).
  if (report && !redo.empty() && !interrupt_requested()) {
    run_sweep(redo, {.workers = s.workers, .keep_pass = true}, [&](const SweepResult& r) { results.push_back(r); },
              interrupt_requested);
  }

  // Grid order, whatever order the workers finished in.
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < configs.size(); ++i) position[configs[i].id] = i;
  std::sort(results.begin(), results.end(),
            [&](const SweepResult& a, const SweepResult& b) { return position[a.config.id] < position[b.config.id]; });
  if (!file && !results.empty()) write_stdout(sweep_table(results));
  // Read once: a signal arriving now must not leave the report written but the sweep called interrupted.
  const bool interrupted = interrupt_requested();
  if (report && !interrupted) {
    as_bad_input([&] { write_file_atomically(s.report, sweep_report_html(results, plan.description)); });
  }
  if (file && done == total) {
    file.reset();
    as_bad_input([&] { write_in_grid_order(s.out, format, configs); });
  }
  if (interrupted || done < total) {
    std::string message = fmt::format("sweep {}: {} of {} configurations done", interrupted ? "interrupted" : "incomplete",
                                      done, total);
    message += !s.out.empty() ? fmt::format(" and saved in {}; run the same command with --resume to finish", s.out)
                              : std::string(" (not saved: no --out)");
    if (report) message += "; no report written";
    if (!interrupted) throw Error(message + " (a rank stopped without reporting)");
    throw Interrupted(message);
  }
  if (!s.out.empty()) {
    write_stdout(fmt::format("{} configurations ({}) in {}\n", total, verdict_counts_text(verdicts), s.out));
  }
  if (report) write_stdout(fmt::format("report: {}\n", s.report));
}

}  // namespace

void add_sweep_command(CLI::App& app, CommandRun& run) {
  auto s = std::make_shared<SweepSettings>();
  CLI::App* cmd = app.add_subcommand("sweep", "Probe every configuration of a grid in parallel; stream results to CSV or JSON Lines");
  cmd->footer(
      "Examples:\n"
      "  gradlab sweep --depth 8,16,32,64 --activation relu,tanh,sigmoid --skip none,residual,concat --trials 5\n"
      "  gradlab sweep --grid grid.json --out results.csv          (Ctrl-C keeps what is done)\n"
      "  gradlab sweep --grid grid.json --out results.csv --resume (runs only what is missing)\n"
      "  gradlab sweep --depth 4,16,64 --skip none,residual --report sweep.html\n"
      "  gradlab sweep --model net.json --init he_uniform,glorot_uniform --activation relu,tanh --dtype float32,float64 --trials 5\n"
      "  gradlab sweep --cell simple_rnn,lstm,gru --time-steps 10,100,1000 --layers 1,2 --recurrent-init glorot_uniform,orthogonal --trials 3\n"
      "  gradlab sweep --conv --depth 8,20 --norm none,batch,group,instance --skip none,identity --init he_normal --trials 3\n"
      "  gradlab sweep --train --activation tanh --depth 10,20,40 --sigma-w2 1,1.76,3 --sigma-b2 0.05 --out train.csv\n"
      "Lists are comma-separated; every combination runs, trials times, each with its own seed.\n"
      "See docs/instruments.md (\"gradlab sweep\", \"Sweeping your own model\", \"Sweeping recurrent networks\") for the order, ids, seeds and columns.");
  CLI::Option* grid = cmd->add_option("--grid", s->grid_file, "Grid file (JSON) instead of the list options; - reads standard input");
  CLI::Option* model = cmd->add_option("--model", s->model, "Sweep variants of this model spec (JSON) instead of the built-in network; - reads standard input")
                           ->excludes(grid);
  CLI::Option* input = cmd->add_option("--input", s->input, "With --model: input data (safetensors) every configuration uses instead of a drawn input")
                           ->needs(model);
  const auto list = [&](CLI::Option* option) {
    option->delimiter(',')->excludes(grid)->capture_default_str();
    return option;
  };
  const auto network_list = [&](CLI::Option* option) { return list(option)->excludes(model); };
  CLI::Option* depth = network_list(cmd->add_option("--depth,--depths,--layers", s->depths, "Depths (Dense layers; with --cell, recurrent layers, default 1)")->check(CLI::Range(1, kMaxProbeDepth)));
  CLI::Option* width = network_list(cmd->add_option("--width,--units", s->widths, "Units of every Dense layer (with --cell, of every recurrent layer)")->check(CLI::Range(int64_t{1}, kMaxProbeUnits)));
  // Recurrent networks (lab/recurrent_network.h), as `gradlab probe --cell` builds them.
  CLI::Option* cell = network_list(cmd->add_option("--cell,--cells", s->cells, "Sweep inline recurrent networks of these cells (Keras's SimpleRNN, LSTM, GRU) instead of Dense layers")
                                       ->check(CLI::IsMember(recurrent_cell_names())));
  list(cmd->add_option("--time-steps", s->time_steps, "With --cell: time steps of the drawn sequence")
           ->check(CLI::Range(int64_t{1}, kMaxProbeTimeSteps))
           ->needs(cell));
  list(cmd->add_option("--recurrent-init,--recurrent-initializer", s->recurrent_inits, "With --cell: recurrent kernel initializers")
           ->check(kInitializerName)
           ->needs(cell));
  // The inline convolutional networks: one per --depth x --skip x --norm, each swept as --model is.
  CLI::Option* conv = cmd->add_flag("--conv", s->conv, "Sweep inline convolutional networks (gradlab probe --conv) instead of Dense layers: "
                                                       "one per --depth x --skip x --norm, each varied by --init, --activation, --batch, --dtype, --input-dist")
                          ->excludes(model)
                          ->excludes(grid)
                          ->excludes(width)
                          ->excludes(cell);
  cmd->add_option("--filters", s->filters, "With --conv: filters of every convolution")
      ->check(CLI::Range(int64_t{1}, kMaxProbeUnits))
      ->needs(conv)
      ->capture_default_str();
  cmd->add_option("--kernel-size", s->kernel_size, "With --conv: height and width of every kernel")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}))
      ->needs(conv)
      ->capture_default_str();
  cmd->add_option("--image", s->image, "With --conv: the drawn images' height,width,channels (default 28,28,1)")
      ->delimiter(',')
      ->expected(3)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->needs(conv);
  CLI::Option* activation = list(cmd->add_option("--activation,--activations", s->activations, "Activations (with --model: of the hidden layers)")
                                     ->check(CLI::IsMember(activation_names())));
  CLI::Option* init = list(cmd->add_option("--init,--initializer,--initializers", s->inits, "Kernel initializers (with --model: of every Dense layer)")
                               ->check(kInitializerName));
  // Poole et al. 2016: weights N(0, sigma_w2 / fan_in), biases N(0, sigma_b2), in place of --init.
  CLI::Option* sigma_w2 = network_list(cmd->add_option("--sigma-w2", s->sigma_w2s, "Weight variances times fan_in: weights N(0, sigma_w2/fan_in), in place of --init")
                                           ->check(kVariance)
                                           ->excludes(init)
                                           ->excludes(cell));
  network_list(cmd->add_option("--sigma-b2", s->sigma_b2s, "Bias variances with --sigma-w2: biases N(0, sigma_b2) (default 0)")
                   ->check(kVariance)
                   ->needs(sigma_w2));
  network_list(cmd->add_option("--norm,--norms", s->norms, "Normalizations after each Dense layer (with --cell: none or layer, layer-normalized cells; group: GroupNormalization with the largest divisor of the units <= min(32, units / 8) as groups, 4 at 32 units, not Keras's default 32; instance with --conv only)")->check(CLI::IsMember(skip_normalization_names())));
  network_list(cmd->add_option("--skip,--skips", s->skips, "Skip connections")->check(CLI::IsMember(skip_connection_names()))->excludes(cell));
  CLI::Option* batch = list(cmd->add_option("--batch", s->batches, "Rows of the drawn input")
                                ->check(CLI::Range(int64_t{1}, kMaxProbeUnits))
                                ->excludes(input));
  cmd->add_option("--input-dist", s->input_dists, "With --model or --conv: distributions of the drawn input, uniform U[0, 1) or normal N(0, 1) (default uniform)")
      ->delimiter(',')
      ->check(CLI::IsMember({"uniform", "normal"}))
      ->excludes(input);
  CLI::Option* dtype = list(cmd->add_option("--dtype", s->dtypes, "Element types")->check(CLI::IsMember({"float32", "float64"})));
  cmd->add_option("--trials", s->trials, "Trials of each combination, each with its own seed")
      ->check(CLI::Range(1, kMaxSweepTrials))
      ->excludes(grid)
      ->capture_default_str();
  cmd->add_option("--probe-loss", s->probe_loss,
                  "Scalar each configuration differentiates: mean (the lesson's), random_projection (mean of the output "
                  "times a fixed N(0, 1) tensor drawn from the configuration's seed), or auto: random_projection with "
                  "batch normalization (Ioffe & Szegedy 2015: its backward removes a constant gradient), mean otherwise; "
                  "other than auto it joins the ids (loss=...)")
      ->check(CLI::IsMember(probe_loss_names()))
      ->excludes(grid)
      ->excludes(cell)
      ->capture_default_str();
  cmd->add_option("--seed", s->seed, "Base seed; each configuration's seed derives from it and the configuration")
      ->check(kUnsignedDigits)
      ->excludes(grid)
      ->capture_default_str();
  cmd->add_option("--workers", s->workers, "Worker threads, one configuration each (0: one per CPU this process may use)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  CLI::Option* out = cmd->add_option("--out", s->out, "Stream results here, one line per configuration (.csv or .jsonl)");
  cmd->add_option("--format", s->format, "Format of --out (default: from its extension)")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->needs(out);
  cmd->add_option("--report", s->report, "Also write a self-contained HTML page with the sweep's gradient-flow charts");
  cmd->add_flag("--resume", s->resume, "Keep the finished lines of --out and run only the missing configurations")->needs(out);
  // Schoenholz et al. 2017, Fig. 5: trainability against the depth scale xi_c (lab/trainability.h).
  CLI::Option* train = cmd->add_flag("--train", s->train,
                                     "Also train each configuration on Fashion-MNIST (SGD, a short budget) and record its loss, "
                                     "accuracies, divergence and the theory's xi_c and xi_grad; needs --sigma-w2");
  const auto training_option = [&](CLI::Option* option) { return option->needs(train)->capture_default_str(); };
  training_option(cmd->add_option("--steps", s->training.steps, "With --train: SGD updates per configuration"));
  training_option(cmd->add_option("--lr", s->training.learning_rate, "With --train: SGD learning rate"));
  training_option(cmd->add_option("--train-batch", s->training.batch_size, "With --train: examples per update"));
  training_option(cmd->add_option("--train-examples", s->training.train_examples, "With --train: the first N training images"));
  training_option(cmd->add_option("--test-examples", s->training.test_examples, "With --train: the first N test images (held out)"));
  training_option(cmd->add_option("--data-dir", s->training.data_dir, "With --train: folder of Fashion-MNIST's IDX files"));
  cmd->callback([s, &run, init, activation, batch, dtype, depth, width] {
    s->depth_given = depth->count() > 0;
    s->width_given = width->count() > 0;
    s->init_given = init->count() > 0;
    s->activation_given = activation->count() > 0;
    s->batch_given = batch->count() > 0;
    s->dtype_given = dtype->count() > 0;
    run = [s] {
      if (!s->input_dists.empty() && s->model.empty() && !s->conv) {
        throw UsageError("--input-dist requires --model or --conv (the built-in network draws U[0, 1), the lesson's input)");
      }
      run_sweep_command(*s);
    };
  });
}

}  // namespace gradlab::cli
