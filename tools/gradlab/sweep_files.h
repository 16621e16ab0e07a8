#pragma once
// What `gradlab sweep` reads and writes: the grid file, one result line per configuration (CSV or
// JSON Lines), the result file read back for --resume, and the terminal table. The command itself is
// sweep_command.cc; docs/instruments.md describes every format.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "gradlab/lab/sweep_run.h"

namespace gradlab::cli {

/// The two result formats: CSV with a header line, or one JSON object per line.
enum class SweepFormat { csv, jsonl };

/// A sweep of a model spec as the command line or a --grid file asks for it, before its files are read.
struct SpecSweepRequest {
  /// The spec's path ("-": standard input, on the command line only).
  std::string model;
  /// The --input file (safetensors); empty to draw inputs.
  std::string input;
  /// The lists, trials and seed; its spec and inputs are set once the files are read.
  SpecSweepGrid grid;
};

/// What a --grid file asks for: the built-in network's grid, a sweep of a model spec, or a sweep of
/// recurrent networks.
using SweepGridFile = std::variant<SweepGrid, SpecSweepRequest, RecurrentSweepGrid>;

/// A recurrent sweep's norm value: "layer" (layer-normalized cells) is true, "none" false; Error
/// naming the value otherwise.
bool parse_recurrent_norm(const std::string& name);

/// The grid in a --grid file (JSON object; keys depth, width, activation, init, norm, skip, batch,
/// dtype as lists — a single value is taken as a list of one — and trials, seed as integers; every key
/// optional). With a "model" key (a spec file) it is a sweep of that spec, with keys model, input (a
/// safetensors file), init, activation, batch, input_dist, dtype, trials, seed; model and input are
/// relative to the grid file's folder. With a "cell" key it is a sweep of recurrent networks, with keys
/// cell, layers, units, time_steps, activation, init, recurrent_init, norm (none, layer), batch,
/// dtype, trials, seed (RecurrentSweepGrid; validate_recurrent_grid). Throws Error naming `source`, the key and the value for anything
/// else, unknown keys, empty lists and keys of the other form included, and for a network grid
/// validate_grid() refuses (a spec grid is validated once its spec is read).
SweepGridFile parse_sweep_grid(const std::string& json_text, const std::string& source);

/// What a sweep probes: the built-in SkipNetwork (SweepGrid), variants of a model spec
/// (SpecSweepGrid) or inline recurrent networks (RecurrentSweepGrid). Each has its own result columns.
enum class SweepKind { network, model_spec, recurrent };

/// The kind of sweep `configs` make up (network when empty).
SweepKind sweep_kind(const std::vector<SweepConfig>& configs);

/// The CSV header line (with its newline) of a sweep of `kind`.
std::string sweep_csv_header(SweepKind kind = SweepKind::network);

/// One result as one line (with its newline), in `format`. Numbers are written in their shortest form
/// that reads back exactly; in JSON, non-finite numbers are null.
std::string sweep_line(const SweepResult& result, SweepFormat format);

/// A result file read back for --resume.
struct SweepResumeState {
  /// What to keep: the header (CSV) and every complete line, each with its newline.
  std::string kept;
  /// Ids of the kept lines, and the lines (with their newlines), in the file's order.
  std::vector<std::string> done_ids;
  std::vector<std::string> lines;
  /// Verdict counts of the kept lines ("vanishing" -> 3).
  std::map<std::string, int64_t> verdicts;
  /// True when a last line without a newline (a write cut short) was dropped.
  bool dropped_partial_line = false;
};

/// Reads `text`, the content of result file `source`, against the sweep of `configs` (non-empty):
/// every complete line must be a result of one of `configs` with its seed (and, in a sweep of a model
/// spec, that spec's spec_digest), each at most once; a last line without a newline is dropped.
/// Throws Error naming the file and line otherwise (a file from another grid, seed, spec or kind of
/// sweep, another format, or not a result file).
SweepResumeState read_sweep_results(const std::string& text, const std::string& source, SweepFormat format,
                                    const std::vector<SweepConfig>& configs);

/// "healthy 12, vanishing 30": the counts in verdict order (kFlowVerdicts), zeros left out.
std::string verdict_counts_text(const std::map<std::string, int64_t>& verdicts);

/// The terminal table: one row per combination (trials aggregated: median and range of the input
/// gradient norm, median first/last ratio and gain, verdict counts) in the order of `results`, then
/// the totals.
std::string sweep_table(const std::vector<SweepResult>& results);

/// How the report names a grid of the built-in network: "depth 4, 8; width 32; ...; 1 trial(s); seed 0".
std::string grid_description(const SweepGrid& grid);
/// How the report names a grid of recurrent networks: "cell simple_rnn, lstm; layers 1; ...".
std::string recurrent_grid_description(const RecurrentSweepGrid& grid);

/// The configurations a sweep runs and how the report names them.
struct SweepPlan {
  std::vector<SweepConfig> configs;
  std::string description;
};

/// Reads the request's spec and input file (bad ones are UsageErrors naming them), then expands it;
/// `grid_file` names a grid file the lists came from, so its errors name it ("" for none).
SweepPlan spec_plan(SpecSweepRequest request, const std::string& grid_file);

/// The self-contained HTML page of `sweep --report`: the verdicts, the trials table when there are
/// several trials, and the flow section of report_charts.h with one run per result. Every result must
/// carry its pass (SweepOptions::keep_pass); `grid_description` names the grid in the first paragraph.
std::string sweep_report_html(const std::vector<SweepResult>& results, const std::string& grid_description);

}  // namespace gradlab::cli
