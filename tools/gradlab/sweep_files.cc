// The result lines of `gradlab sweep`, and reading them back for --resume.
#include <cmath>
#include <limits>
#include <set>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradlab/error.h"
#include "json_number.h"
#include "sweep_files.h"

namespace gradlab::cli {
namespace {

using Json = nlohmann::ordered_json;

// The columns of each kind of sweep, and where resume finds what it checks.
struct CsvLayout {
  std::vector<std::string_view> columns;
  std::size_t id = 0, seed = 0, verdict = 0;
  std::optional<std::size_t> digest;
  // How a result line begins: its quoted id (every id holds commas).
  std::string_view line_start;
};

const CsvLayout& csv_layout(SweepKind kind) {
  static const CsvLayout network{
      {"id", "depth", "width", "activation", "init", "sigma_w2", "sigma_b2", "norm", "skip", "batch", "dtype", "trial",
       "seed", "input_grad_norm", "first_last_ratio", "mean_gain", "squared_gain", "depth_scale", "verdict",
       "saturation_begins", "dead_units_begin", "loss", "anomaly"},
      0, 12, 18, std::nullopt, "\"depth="};
  static const CsvLayout model_spec{
      {"id", "model", "spec_digest", "init", "activation", "batch", "input", "dtype", "trial", "seed", "input_grad_norm",
       "first_last_ratio", "mean_gain", "squared_gain", "depth_scale", "verdict", "saturation_begins", "dead_units_begin",
       "loss", "anomaly"},
      0, 9, 15, 2, "\"model="};
  static const CsvLayout recurrent{
      {"id", "cell", "layers", "units", "time_steps", "activation", "init", "recurrent_init", "norm", "batch", "dtype",
       "trial", "seed", "input_grad_norm", "first_step_grad_norm", "last_step_grad_norm", "first_last_ratio",
       "gain_per_step", "verdict", "spectral_radius", "largest_singular_value", "pascanu_bound",
       "vanishing_guaranteed", "forget_gate_near_zero", "forget_gate_near_one", "loss", "anomaly"},
      0, 12, 18, std::nullopt, "\"cell="};
  // A training sweep (--train): the network's columns, then the budget and what training measured.
  static const CsvLayout training = [] {
    CsvLayout t = network;
    for (std::string_view c : {"budget", "steps_run", "train_loss", "train_accuracy", "test_accuracy", "diverged",
                               "xi_c", "xi_grad"}) {
      t.columns.push_back(c);
    }
    t.digest = network.columns.size();
    return t;
  }();
  switch (kind) {
    case SweepKind::network: return network;
    case SweepKind::model_spec: return model_spec;
    case SweepKind::recurrent: return recurrent;
    case SweepKind::training: return training;
  }
  return network;
}

std::string_view kind_description(SweepKind kind) {
  switch (kind) {
    case SweepKind::network: return "the built-in network";
    case SweepKind::model_spec: return "a model spec (--model)";
    case SweepKind::recurrent: return "recurrent networks (--cell)";
    case SweepKind::training: return "the built-in network trained (--train)";
  }
  return "";
}

// The header a gradlab before the depth-scale verdict wrote: its verdicts followed fixed first/last
// bounds, so resuming it would mix two rules in one file. (Recurrent sweeps came later.)
std::string older_csv_header(SweepKind kind) {
  std::vector<std::string_view> columns;
  for (std::string_view c : csv_layout(kind).columns) {
    if (c != "squared_gain" && c != "depth_scale") columns.push_back(c);
  }
  return fmt::format("{}\n", fmt::join(columns, ","));
}

constexpr std::string_view kOlderVerdicts =
    "was written by a gradlab whose verdict compared the first/last gradient norm ratio with fixed bounds (0.01, 100); "
    "its verdicts do not follow today's depth-scale rule (docs/instruments.md), so it cannot be resumed: choose another --out";

// fmt's shortest form reads back to the same double, so a resumed file equals an uninterrupted one.
std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

// RFC 4180: a field with a comma, quote or newline is quoted, quotes doubled.
std::string field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// The fields of one CSV line (without its newline); nullopt when its quotes do not close.
std::optional<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

Json optional_text(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

std::string shortened(std::string_view line) {
  return line.size() > 60 ? std::string(line.substr(0, 57)) + "..." : std::string(line);
}

struct LineFields {
  std::string id;
  uint64_t seed = 0;
  std::string verdict;
  std::string digest;
};

bool parse_seed(const std::string& text, uint64_t& seed) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  try {
    seed = std::stoull(text);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

LineFields csv_fields(std::string_view line, const std::string& where, const CsvLayout& layout) {
  const auto fields = split_csv(line);
  const std::size_t columns = layout.columns.size();
  if (!fields || fields->size() != columns) {
    fail("{}: expected a result with {} columns, got '{}'", where, columns, shortened(line));
  }
  LineFields f{(*fields)[layout.id], 0, (*fields)[layout.verdict], layout.digest ? (*fields)[*layout.digest] : ""};
  if (!parse_seed((*fields)[layout.seed], f.seed)) {
    fail("{}: column 'seed' must be an unsigned integer, got '{}'", where, shortened((*fields)[layout.seed]));
  }
  return f;
}

LineFields jsonl_fields(std::string_view line, const std::string& where, SweepKind kind) {
  Json j;
  try {
    j = Json::parse(line);
  } catch (const Json::exception&) {
    fail("{}: not a JSON object: '{}'", where, shortened(line));
  }
  if (!j.is_object()) fail("{}: not a JSON object: '{}'", where, shortened(line));
  const auto text_key = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_string()) fail("{}: key '{}' must be a string", where, key);
    return j[key].get<std::string>();
  };
  LineFields f{text_key("id"), 0, text_key("verdict"), ""};
  if (!j.contains("depth_scale")) fail("{}: key 'depth_scale' is missing: the file {}", where, kOlderVerdicts);
  if (!j.contains("seed") || !j["seed"].is_number_unsigned()) fail("{}: key 'seed' must be an unsigned integer", where);
  f.seed = j["seed"].get<uint64_t>();
  if (kind == SweepKind::model_spec) f.digest = j.contains("spec_digest") && j["spec_digest"].is_string() ? j["spec_digest"].get<std::string>() : "";
  // The ids of a training sweep are those of the same grid probed, so the budget key tells them apart.
  if ((kind == SweepKind::network || kind == SweepKind::training) && j.contains("budget") != (kind == SweepKind::training)) {
    fail("{}: the file holds a sweep of {}, and this is a sweep of {}; choose another --out", where,
         kind_description(kind == SweepKind::training ? SweepKind::network : SweepKind::training), kind_description(kind));
  }
  if (kind == SweepKind::training) f.digest = j["budget"].is_string() ? j["budget"].get<std::string>() : "";
  return f;
}

// The measured keys, after the configuration's.
void add_result_keys(Json& j, const SweepResult& r) {
  j["input_grad_norm"] = r.input_grad_norm;
  j["first_last_ratio"] = r.first_to_last_ratio;
  j["mean_gain"] = r.mean_gain;
  j["squared_gain"] = r.squared_gain;
  j["depth_scale"] = r.depth_scale;
  j["verdict"] = flow_verdict_name(r.verdict);
  j["saturation_begins"] = optional_text(r.saturation_begins);
  j["dead_units_begin"] = optional_text(r.dead_units_begin);
  j["loss"] = r.loss;
  j["probe_loss"] = probe_loss_name(r.probe_loss);
  j["anomaly"] = optional_text(r.anomaly);
  j["layer_grad_norms"] = r.layer_grad_norms;
  if (!r.time_axis) {
    j["time_axis"] = nullptr;
    return;
  }
  const SweepTimeAxis& a = *r.time_axis;
  j["time_axis"] = {{"time_steps", a.time_steps},
                    {"recurrent_layers", a.recurrent_layers},
                    {"first_step_grad_norm", json_number(a.first_step_grad_norm)},
                    {"last_step_grad_norm", json_number(a.last_step_grad_norm)},
                    {"first_last_ratio", json_number(a.first_to_last_ratio)},
                    {"gain_per_step", json_number(a.gain_per_step)},
                    {"verdict", flow_verdict_name(a.verdict)},
                    {"spectral_radius", json_number(a.spectral_radius)},
                    {"largest_singular_value", json_number(a.largest_singular_value)},
                    {"pascanu_bound", json_number(a.pascanu_bound)},
                    {"vanishing_guaranteed", a.vanishing_guaranteed},
                    {"forget_gate_near_zero", json_number(a.forget_gate_near_zero)},
                    {"forget_gate_near_one", json_number(a.forget_gate_near_one)}};
}

int64_t batch_rows(const SpecVariant& v) {
  return v.inputs && !v.inputs->empty() ? v.inputs->front().dim(0) : v.batch_or_default();
}

std::string input_text(const SpecVariant& v) {
  return v.inputs ? v.inputs_source : std::string(input_distribution_name(v.input_distribution_or_default()));
}

// A recurrent network's row: its configuration, then the time axis (sweep_run.h), empty where the
// probe measured none.
std::string recurrent_line(const SweepResult& r, SweepFormat format) {
  const SweepConfig& c = r.config;
  const RecurrentNetworkOptions& n = *c.recurrent;
  const std::string norm = n.layer_norm ? "layer" : "none";
  if (format == SweepFormat::csv) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const SweepTimeAxis a = r.time_axis.value_or(SweepTimeAxis{.first_step_grad_norm = nan, .last_step_grad_norm = nan,
                                                               .first_to_last_ratio = nan, .gain_per_step = nan,
                                                               .spectral_radius = nan, .largest_singular_value = nan,
                                                               .pascanu_bound = nan, .forget_gate_near_zero = nan,
                                                               .forget_gate_near_one = nan});
    const auto measured = [](double v) { return std::isnan(v) ? std::string() : number(v); };
    return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", field(c.id),
                       cell_name(n.cell), n.layers, n.units, n.time_steps, field(n.activation),
                       field(n.kernel_initializer.name()), field(n.recurrent_initializer.name()), norm, n.batch,
                       dtype_name(n.dtype), c.trial, c.seed, number(r.input_grad_norm), number(a.first_step_grad_norm),
                       number(a.last_step_grad_norm), number(r.first_to_last_ratio), number(a.gain_per_step),
                       flow_verdict_name(r.verdict), number(a.spectral_radius), number(a.largest_singular_value),
                       measured(a.pascanu_bound), a.vanishing_guaranteed ? "true" : "false",
                       measured(a.forget_gate_near_zero), measured(a.forget_gate_near_one), number(r.loss),
                       field(r.anomaly.value_or("")));
  }
  Json j;
  j["id"] = c.id;
  j["cell"] = cell_name(n.cell);
  j["layers"] = n.layers;
  j["units"] = n.units;
  j["time_steps"] = n.time_steps;
  j["activation"] = n.activation;
  j["init"] = n.kernel_initializer.name();
  j["recurrent_init"] = n.recurrent_initializer.name();
  j["norm"] = norm;
  j["batch"] = n.batch;
  j["dtype"] = dtype_name(n.dtype);
  j["trial"] = c.trial;
  j["seed"] = c.seed;
  add_result_keys(j, r);
  return j.dump() + "\n";
}

}  // namespace

SweepKind sweep_kind(const std::vector<SweepConfig>& configs) {
  if (configs.empty()) return SweepKind::network;
  if (configs.front().spec) return SweepKind::model_spec;
  if (configs.front().recurrent) return SweepKind::recurrent;
  return configs.front().training ? SweepKind::training : SweepKind::network;
}

std::string sweep_csv_header(SweepKind kind) { return fmt::format("{}\n", fmt::join(csv_layout(kind).columns, ",")); }

std::string sweep_line(const SweepResult& r, SweepFormat format) {
  const SweepConfig& c = r.config;
  if (c.spec) {
    const SpecVariant& v = *c.spec;
    const std::string model = v.spec ? v.spec->name : "", digest = v.spec ? spec_digest(*v.spec) : "";
    const std::string dtype(dtype_name(v.dtype_or_default()));
    if (format == SweepFormat::csv) {
      return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", field(c.id), field(model), digest,
                         field(v.overrides.kernel_initializer.value_or("")), field(v.overrides.hidden_activation.value_or("")),
                         batch_rows(v), field(input_text(v)), dtype, c.trial, c.seed, number(r.input_grad_norm),
                         number(r.first_to_last_ratio), number(r.mean_gain), number(r.squared_gain),
                         number(r.depth_scale), flow_verdict_name(r.verdict),
                         field(r.saturation_begins.value_or("")), field(r.dead_units_begin.value_or("")), number(r.loss),
                         field(r.anomaly.value_or("")));
    }
    Json j;
    j["id"] = c.id;
    j["model"] = model;
    j["spec_digest"] = digest;
    j["init"] = optional_text(v.overrides.kernel_initializer);
    j["activation"] = optional_text(v.overrides.hidden_activation);
    j["batch"] = batch_rows(v);
    j["input"] = input_text(v);
    j["dtype"] = dtype;
    j["trial"] = c.trial;
    j["seed"] = c.seed;
    add_result_keys(j, r);
    return j.dump() + "\n";
  }
  if (c.recurrent) return recurrent_line(r, format);
  const SkipNetworkOptions& n = c.network;
  // A network initialized by variances has no initializer name; one initialized by name has no variances.
  const std::string init = n.gaussian_init ? "" : n.kernel_initializer.name();
  const std::string sigma_w2 = n.gaussian_init ? number(n.gaussian_init->sigma_w2) : "";
  const std::string sigma_b2 = n.gaussian_init ? number(n.gaussian_init->sigma_b2) : "";
  const std::optional<TrainingOutcome>& t = r.training;
  const std::string budget = c.training ? trainability_budget(c.training->settings) : "";
  if (format == SweepFormat::csv) {
    const std::string trained =
        !c.training ? std::string()
        : !t        ? fmt::format(",{},,,,,,,", budget)
                    : fmt::format(",{},{},{},{},{},{},{},{}", budget, t->steps_run, number(t->train_loss),
                                  number(t->train_accuracy), number(t->test_accuracy), t->diverged ? "true" : "false",
                                  number(t->xi_c), number(t->xi_grad));
    return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}{}\n", field(c.id), n.depth,
                       n.units, field(n.activation), field(init), sigma_w2, sigma_b2, skip_normalization_name(n.normalization),
                       skip_connection_name(n.skip), n.batch, dtype_name(n.dtype), c.trial, c.seed, number(r.input_grad_norm),
                       number(r.first_to_last_ratio), number(r.mean_gain), number(r.squared_gain), number(r.depth_scale),
                       flow_verdict_name(r.verdict),
                       field(r.saturation_begins.value_or("")), field(r.dead_units_begin.value_or("")), number(r.loss),
                       field(r.anomaly.value_or("")), trained);
  }
  Json j;
  j["id"] = c.id;
  j["depth"] = n.depth;
  j["width"] = n.units;
  j["activation"] = n.activation;
  j["init"] = n.gaussian_init ? Json(nullptr) : Json(init);
  j["sigma_w2"] = n.gaussian_init ? Json(n.gaussian_init->sigma_w2) : Json(nullptr);
  j["sigma_b2"] = n.gaussian_init ? Json(n.gaussian_init->sigma_b2) : Json(nullptr);
  j["norm"] = skip_normalization_name(n.normalization);
  j["skip"] = skip_connection_name(n.skip);
  j["batch"] = n.batch;
  j["dtype"] = dtype_name(n.dtype);
  j["trial"] = c.trial;
  j["seed"] = c.seed;
  add_result_keys(j, r);
  if (c.training) {
    j["budget"] = budget;
    j["steps_run"] = t ? Json(t->steps_run) : Json(nullptr);
    j["train_loss"] = t ? Json(t->train_loss) : Json(nullptr);
    j["train_accuracy"] = t ? Json(t->train_accuracy) : Json(nullptr);
    j["test_accuracy"] = t ? Json(t->test_accuracy) : Json(nullptr);
    j["diverged"] = t ? Json(t->diverged) : Json(nullptr);
    j["xi_c"] = t ? Json(t->xi_c) : Json(nullptr);
    j["xi_grad"] = t ? Json(t->xi_grad) : Json(nullptr);
  }
  return j.dump() + "\n";
}

SweepResumeState read_sweep_results(const std::string& text, const std::string& source, SweepFormat format,
                                    const std::vector<SweepConfig>& configs) {
  const SweepKind kind = sweep_kind(configs);
  // Each configuration's seed and, in a sweep of specs, its spec and that spec's digest (one sweep
  // may hold several specs: `sweep --conv` over depths, skips and norms).
  struct Expected {
    uint64_t seed = 0;
    const ModelSpec* spec = nullptr;
  };
  std::unordered_map<std::string_view, Expected> expected;
  std::unordered_map<const ModelSpec*, std::string> digests;
  for (const SweepConfig& c : configs) {
    const ModelSpec* config_spec = kind == SweepKind::model_spec ? c.spec->spec.get() : nullptr;
    expected.emplace(c.id, Expected{c.seed, config_spec});
    if (config_spec && !digests.contains(config_spec)) digests.emplace(config_spec, spec_digest(*config_spec));
  }
  const CsvLayout& layout = csv_layout(kind);
  const std::string header = sweep_csv_header(kind);
  const ModelSpec* spec = kind == SweepKind::model_spec ? configs.front().spec->spec.get() : nullptr;
  const std::string budget = kind == SweepKind::training ? trainability_budget(configs.front().training->settings) : "";
  SweepResumeState state;
  std::set<std::string> seen;
  std::size_t start = 0;
  for (int64_t line_number = 1; start < text.size(); ++line_number) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      // Cut short by an interruption: that configuration runs again. Anything else is not ours to drop.
      const std::string_view rest(text.data() + start, text.size() - start);
      const std::string_view expected = format == SweepFormat::jsonl ? "{\"id\":"
                                        : line_number == 1           ? std::string_view(header)
                                                                     : layout.line_start;
      const std::size_t n = std::min(rest.size(), expected.size());
      if (rest.substr(0, n) != expected.substr(0, n)) {
        fail("{}: line {} is not the start of a sweep result: '{}'; resume only from a file this command wrote",
             source, line_number, shortened(rest));
      }
      state.dropped_partial_line = true;
      break;
    }
    const std::string_view line(text.data() + start, end - start);
    const std::string_view with_newline(text.data() + start, end + 1 - start);
    start = end + 1;
    const std::string where = fmt::format("{}: line {}", source, line_number);
    if (format == SweepFormat::csv && line_number == 1) {
      for (const SweepKind other_kind : {SweepKind::network, SweepKind::model_spec, SweepKind::recurrent, SweepKind::training}) {
        if (other_kind == kind || with_newline != sweep_csv_header(other_kind)) continue;
        fail("{}: the file holds a sweep of {}, and this is a sweep of {}; choose another --out", where,
             kind_description(other_kind),
             spec ? fmt::format("model '{}' ({})", spec->name, spec->source) : std::string(kind_description(kind)));
      }
      if (kind != SweepKind::recurrent && with_newline == older_csv_header(kind)) fail("{}: the file {}", where, kOlderVerdicts);
      if (with_newline != header) {
        fail("{}: not a gradlab sweep CSV file (its header is '{}'); resume only from a file this command wrote",
             where, shortened(line));
      }
      state.kept += with_newline;
      continue;
    }
    const LineFields f = format == SweepFormat::csv ? csv_fields(line, where, layout) : jsonl_fields(line, where, kind);
    const auto it = expected.find(f.id);
    if (it == expected.end()) {
      fail("{}: configuration '{}' is not in this sweep's grid: the file is from a different sweep "
           "(run with the grid that wrote it, or choose another --out)", where, shortened(f.id));
    }
    if (it->second.seed != f.seed) {
      fail("{}: configuration '{}' has seed {}, but this sweep gives it seed {}: the file is from a sweep "
           "with another --seed", where, f.id, f.seed, it->second.seed);
    }
    if (kind == SweepKind::training && f.digest != budget) {
      fail("{}: configuration '{}' was trained with budget '{}', but this sweep trains with '{}': the file is from "
           "a sweep with other --steps, --learning-rate, --train-batch, --train-examples or --test-examples (choose "
           "another --out)", where, f.id, shortened(f.digest), budget);
    }
    if (const ModelSpec* config_spec = it->second.spec; config_spec && f.digest != digests.at(config_spec)) {
      fail("{}: configuration '{}' was written for a spec with digest '{}', but model '{}' ({}) has digest {}: the "
           "file is from a sweep of another spec, or the spec changed since (choose another --out)", where, f.id,
           shortened(f.digest), config_spec->name, config_spec->source, digests.at(config_spec));
    }
    if (!seen.insert(f.id).second) fail("{}: configuration '{}' appears a second time", where, f.id);
    bool known = false;
    for (const FlowVerdict v : kFlowVerdicts) known |= f.verdict == flow_verdict_name(v);
    if (!known) fail("{}: verdict '{}' is not vanishing, exploding, healthy, nonfinite or zero", where, shortened(f.verdict));
    state.kept += with_newline;
    state.done_ids.push_back(f.id);
    state.lines.emplace_back(with_newline);
    ++state.verdicts[f.verdict];
  }
  if (format == SweepFormat::csv && state.kept.empty()) state.kept = header;
  return state;
}

std::string verdict_counts_text(const std::map<std::string, int64_t>& verdicts) {
  std::string out;
  for (const FlowVerdict v : kFlowVerdicts) {
    const auto it = verdicts.find(flow_verdict_name(v));
    if (it == verdicts.end() || it->second == 0) continue;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", it->first, it->second);
  }
  return out;
}

}  // namespace gradlab::cli
