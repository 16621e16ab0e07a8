// The terminal table of `gradlab sweep` without --out: trials of one combination in one row.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sweep_files.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

using Parameters = std::vector<std::pair<std::string, std::string>>;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end(), [](double a, double b) { return std::isnan(b) ? !std::isnan(a) : a < b; });
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string number(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string sweep_table(const std::vector<SweepResult>& results) {
  // A row per id without its trial, in the order of each row's first result.
  std::map<std::string, std::vector<const SweepResult*>> rows;
  std::vector<std::string> order;
  for (const SweepResult& r : results) {
    const std::string key = r.config.id.substr(0, r.config.id.rfind(",trial="));
    auto [it, added] = rows.try_emplace(key);
    if (added) order.push_back(key);
    it->second.push_back(&r);
  }
  // The configuration's parameters, then the figures over its trials.
  std::vector<Column> columns;
  for (const auto& [name, value] : results.empty() ? Parameters{} : sweep_config_parameters(results.front().config)) {
    const bool number_column = name == "depth" || name == "width" || name == "batch" || name == "layers" ||
                               name == "units" || name == "time_steps";
    columns.push_back({name, number_column ? Align::right : Align::left});
  }
  // Recurrent networks: the ratio is over layers x time, and the gain the bottom layer's per step.
  const bool in_time = !results.empty() && results.front().config.recurrent;
  columns.insert(columns.end(), {{"trials", Align::right},
                                 {"input grad norm", Align::right},
                                 {"range", Align::right},
                                 {"first/last", Align::right},
                                 {in_time ? "gain/step" : "gain/layer", Align::right},
                                 {"verdict"}});
  TextTable t(columns);
  std::map<std::string, int64_t> totals;
  for (const std::string& key : order) {
    const std::vector<const SweepResult*>& trials = rows[key];
    std::vector<double> norms, ratios, gains;
    std::map<std::string, int64_t> verdicts;
    for (const SweepResult* r : trials) {
      norms.push_back(r->input_grad_norm);
      ratios.push_back(r->first_to_last_ratio);
      gains.push_back(in_time && r->time_axis ? r->time_axis->gain_per_step : r->mean_gain);
      ++verdicts[flow_verdict_name(r->verdict)];
      ++totals[flow_verdict_name(r->verdict)];
    }
    const auto [low, high] = std::minmax_element(norms.begin(), norms.end());
    std::vector<std::string> row;
    for (const auto& [name, value] : sweep_config_parameters(trials.front()->config)) row.push_back(value);
    row.insert(row.end(), {std::to_string(trials.size()), number(median(norms)),
                           trials.size() > 1 ? number(*low) + " - " + number(*high) : std::string(),
                           number(median(ratios)), number(median(gains)),
                           verdicts.size() == 1 ? verdicts.begin()->first : verdict_counts_text(verdicts)});
    t.add_row(row);
  }
  return t.render() + fmt::format("\n{} configurations: {}\n", results.size(), verdict_counts_text(totals));
}

}  // namespace gradlab::cli
