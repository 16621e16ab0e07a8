// The terminal table of `gradlab sweep` without --out: trials of one combination in one row.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sweep_files.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

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
  TextTable t({{"depth", Align::right},
               {"width", Align::right},
               {"activation"},
               {"init"},
               {"norm"},
               {"skip"},
               {"batch", Align::right},
               {"dtype"},
               {"trials", Align::right},
               {"input grad norm", Align::right},
               {"range", Align::right},
               {"first/last", Align::right},
               {"gain/layer", Align::right},
               {"verdict"}});
  std::map<std::string, int64_t> totals;
  for (const std::string& key : order) {
    const std::vector<const SweepResult*>& trials = rows[key];
    std::vector<double> norms, ratios, gains;
    std::map<std::string, int64_t> verdicts;
    for (const SweepResult* r : trials) {
      norms.push_back(r->input_grad_norm);
      ratios.push_back(r->first_to_last_ratio);
      gains.push_back(r->mean_gain);
      ++verdicts[flow_verdict_name(r->verdict)];
      ++totals[flow_verdict_name(r->verdict)];
    }
    const auto [low, high] = std::minmax_element(norms.begin(), norms.end());
    const SkipNetworkOptions& n = trials.front()->config.network;
    t.add_row({std::to_string(n.depth), std::to_string(n.units), n.activation, n.kernel_initializer.name(),
               std::string(skip_normalization_name(n.normalization)), std::string(sweep_skip_name(n.skip)),
               std::to_string(n.batch), std::string(dtype_name(n.dtype)), std::to_string(trials.size()),
               number(median(norms)), trials.size() > 1 ? number(*low) + " - " + number(*high) : "",
               number(median(ratios)), number(median(gains)),
               verdicts.size() == 1 ? verdicts.begin()->first : verdict_counts_text(verdicts)});
  }
  return t.render() + fmt::format("\n{} configurations: {}\n", results.size(), verdict_counts_text(totals));
}

}  // namespace gradlab::cli
