// The terminal and JSON summaries of `gradlab report`.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "recurrent_study_output.h"
#include "report_study.h"
#include "text_table.h"
#include "json_number.h"

namespace gradlab::cli {
namespace {

const char* short_verdict(FlowVerdict v) {
  switch (v) {
    case FlowVerdict::vanishing: return "vanish";
    case FlowVerdict::exploding: return "explode";
    case FlowVerdict::nonfinite: return "nonfin";
    case FlowVerdict::zero: return "zero";
    case FlowVerdict::healthy: break;
  }
  return "ok";
}

std::string compact(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : "inf";
  return v == 0 ? "0" : fmt::format("{:.0e}", v);
}

std::string norm_name(SkipNormalization n) {
  return n == SkipNormalization::none ? "-" : std::string(skip_normalization_name(n));
}

// "relu/he": activation and the initializer's family, narrow enough for a terminal column.
std::string column_of(const RemedyConfig& c) { return c.activation + "/" + c.initializer.substr(0, c.initializer.find('_')); }

}  // namespace

std::string report_text(const ReportStudy& study, const std::string& html_path) {
  const std::vector<const RemedyCell*> cells = study.deepest();
  const ReportStudyOptions& o = study.options;
  const std::string depths = fmt::format("{}", fmt::join(o.depths, ","));
  std::string out =
      o.model ? fmt::format("gradlab report: which initializers and activations keep the gradients of model {} healthy\n"
                            "seed {}, {} trial(s) per variant; {}: every Dense kernel from the initializer, hidden "
                            "activations replaced (as sweep --model), input U[0, 1) of 32 rows\n\n",
                            o.model->name, o.seed, o.trials, o.model->source)
              : fmt::format("gradlab report: which of the lesson's remedies keep gradients healthy as networks grow deeper\n"
                            "seed {}, {} trial(s) per configuration and depth, depths {}; Dense(32) stacks, input U[0, 1) 32 x 128\n\n",
                            o.seed, o.trials, depths);
  if (cells.empty()) return out;
  const int depth = cells.front()->depth;

  // Rows: skip and normalization; columns: activation and initializer (narrow enough for 100 columns).
  std::vector<std::string> columns;
  std::vector<Column> heads = o.model ? std::vector<Column>{{"model"}, {""}} : std::vector<Column>{{"skip"}, {"norm"}};
  for (const RemedyCell* c : cells) {
    const std::string col = column_of(c->config);
    if (std::find(columns.begin(), columns.end(), col) == columns.end()) {
      columns.push_back(col);
      heads.push_back({col, Align::left});
    }
  }
  std::vector<std::string> row_keys;
  std::vector<std::vector<std::string>> rows;
  int healthy = 0;
  std::vector<std::string> alive;
  for (const RemedyCell* c : cells) {
    const std::string key = fmt::format("{}|{}", skip_connection_label(c->config.skip), norm_name(c->config.normalization));
    auto it = std::find(row_keys.begin(), row_keys.end(), key);
    if (it == row_keys.end()) {
      it = row_keys.insert(row_keys.end(), key);
      rows.push_back(o.model ? std::vector<std::string>{c->config.model, ""}
                             : std::vector<std::string>{std::string(skip_connection_label(c->config.skip)),
                                                        norm_name(c->config.normalization)});
      rows.back().resize(columns.size() + 2, "-");
    }
    const std::size_t at = std::find(columns.begin(), columns.end(), column_of(c->config)) - columns.begin();
    rows[static_cast<std::size_t>(it - row_keys.begin())][at + 2] =
        fmt::format("{} {}", short_verdict(c->verdict), compact(c->input_grad_median));
    if (c->verdict == FlowVerdict::healthy) {
      ++healthy;
      alive.push_back(remedy_label(c->config));
    }
  }
  TextTable table(heads);
  for (auto& row : rows) table.add_row(std::move(row));

  out += fmt::format(
      "{}: verdict and median ||dL/dx|| (ok = healthy; vanish, explode: deeper than {:g} depth scales of the squared\n"
      "gradient norm's gain per layer, Schoenholz et al. 2017; nonfin: a norm is not finite; zero: no gradient reaches layer 1)\n\n",
      o.model ? fmt::format("Model {} ({} layers with kernels)", o.model->name, depth) : fmt::format("At depth {}", depth),
      FlowThresholds{}.trainable_depth_scales);
  out += table.render("  ");
  out += o.model ? fmt::format("\n{} of {} variants are healthy (neither vanishing nor exploding)", healthy, cells.size())
                 : fmt::format("\n{} of {} configurations are healthy at depth {} (neither vanishing nor exploding)", healthy,
                               cells.size(), depth);
  if (healthy > 0 && healthy <= 12) {
    out += ":\n";
    for (const std::string& a : alive) out += "  " + a + "\n";
  } else {
    out += ".\n";
  }
  // The lesson's story in words: each remedy alone, from the lesson's own network at depth (the
  // built-in stacks only: a model's variants are not the lesson's networks).
  if (o.model) return html_path.empty() ? out : out + fmt::format("\nReport with interactive charts: {}\n", html_path);
  const auto find = [&](const RemedyConfig& want) -> const RemedyCell* {
    for (const RemedyCell* c : cells) {
      if (c->config.activation == want.activation && c->config.initializer == want.initializer &&
          c->config.skip == want.skip && c->config.normalization == want.normalization) {
        return c;
      }
    }
    return nullptr;
  };
  const std::vector<std::pair<std::string, RemedyConfig>> story = {
      {"plain sigmoid stack", {"glorot_uniform", "sigmoid", SkipConnection::none, SkipNormalization::none}},
      {"relu instead of sigmoid", {"glorot_uniform", "relu", SkipConnection::none, SkipNormalization::none}},
      {"relu with He initialization", {"he_uniform", "relu", SkipConnection::none, SkipNormalization::none}},
      {"sigmoid with the lesson's sum-skip", {"glorot_uniform", "sigmoid", SkipConnection::residual, SkipNormalization::none}},
      {"sigmoid with batch normalization", {"glorot_uniform", "sigmoid", SkipConnection::none, SkipNormalization::batch}},
      {"sigmoid with layer normalization", {"glorot_uniform", "sigmoid", SkipConnection::none, SkipNormalization::layer}},
  };
  std::string lines;
  for (const auto& [words, config] : story) {
    if (const RemedyCell* c = find(config)) {
      lines += fmt::format("  {:<36} {:<9} ||dL/dx|| {}\n", words, flow_verdict_name(c->verdict),
                           table_number(c->input_grad_median));
    }
  }
  if (!lines.empty()) out += fmt::format("\nThe lesson's remedies one at a time, depth {}:\n{}", depth, lines);
  if (study.lesson.recurrent) out += recurrent_study_text(*study.lesson.recurrent, "");
  if (!html_path.empty()) out += fmt::format("\nReport with interactive charts: {}\n", html_path);
  return out;
}

nlohmann::ordered_json report_json(const ReportStudy& study, const std::string& html_path) {
  nlohmann::ordered_json j;
  j["command"] = "report";
  j["version"] = GRADLAB_VERSION;
  j["seed"] = study.options.seed;
  j["trials"] = study.options.trials;
  if (study.options.model) {
    j["model"] = study.options.model->name;
    j["model_file"] = study.options.model->source;
  } else {
    j["depths"] = study.options.depths;
  }
  j["html"] = html_path;
  nlohmann::ordered_json cells = nlohmann::ordered_json::array();
  for (const RemedyCell& c : study.cells) {
    nlohmann::ordered_json cell;
    for (const auto& [key, value] : remedy_pairs(c.config)) cell[key] = value;
    cell["depth"] = c.depth;
    cell["verdict"] = flow_verdict_name(c.verdict);
    cell["verdict_trials"] = c.verdict_trials;
    cell["input_grad_median"] = json_number(c.input_grad_median);
    cell["first_to_last_ratio_median"] = json_number(c.ratio_median);
    cells.push_back(cell);
  }
  j["cells"] = cells;
  if (study.lesson.recurrent) j["recurrent"] = recurrent_study_json(*study.lesson.recurrent);
  return j;
}

}  // namespace gradlab::cli
