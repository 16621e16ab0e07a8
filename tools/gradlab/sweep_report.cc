// `gradlab sweep --report FILE.html`: the sweep's gradient flow as an interactive page (report_charts.h).
#include <fmt/format.h>

#include <algorithm>

#include "html_report.h"
#include "recurrent_study_output.h"
#include "report_charts.h"
#include "sweep_files.h"

namespace gradlab::cli {

namespace {

std::vector<std::pair<std::string, std::string>> config_pairs(const SweepResult& r) {
  auto pairs = sweep_config_parameters(r.config);
  pairs.emplace_back("trial", std::to_string(r.config.trial));
  return pairs;
}

// The heatmaps drawn at most: each is a chart of its own, and a grid of dozens of configurations
// would bury the page; the line chart above them shows every configuration.
constexpr std::size_t kMaxTimeHeatmaps = 8;

// The time axis of recurrent configurations (--cell or spec RNNs): the bottom recurrent layer's
// |dL/dh_t| against t for each run (the first trial of each configuration), then the layers x time
// heatmaps of the first few. Adds nothing when no run measured a recurrent layer.
void add_time_axis_section(HtmlReport& page, const std::vector<SweepResult>& results,
                           const std::vector<FlowRun>& runs) {
  std::vector<LinePoint> points;
  std::vector<std::pair<std::string, const ThroughTimeRecord*>> records;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const ThroughTimeRecord* record = results[i].through_time.get();
    if (record == nullptr || record->layers.empty() || results[i].config.trial > 0) continue;
    const std::string label = runs[i].label.empty() ? results[i].config.id : runs[i].label;
    const std::vector<double>& norms = record->layers.front().grad_norm;
    for (std::size_t t = 0; t < norms.size(); ++t)
      points.push_back({label, static_cast<double>(t), norms[t]});
    records.emplace_back(label, record);
  }
  if (records.empty()) return;
  page.add_heading("Gradient through time");
  page.add_paragraph(
      fmt::format("{} Below, the gradient of each time step's state, ||dL/dh_t||, with L the mean of "
                  "the output as in the probe above.",
                  kRecurrentDepthClaim));
  const Chart lines =
      line_chart(points, {.x_title = "time step t (0 ran first)",
                          .y_title = "|dL/dh_t| of the bottom recurrent layer",
                          .series_title = "configuration",
                          .log_y = true,
                          .caption = "The bottom recurrent layer's state gradient at each time step, one "
                                     "line per configuration (its first trial): a line falling to the "
                                     "left is a gradient vanishing back in time."});
  if (!lines.spec.is_null()) page.add_chart(lines.spec, lines.caption);
  const std::size_t shown = std::min(records.size(), kMaxTimeHeatmaps);
  if (shown < records.size()) {
    page.add_paragraph(
        fmt::format("Layers x time for the first {} of the {} configurations (the results file has every "
                    "configuration's figures).",
                    shown, records.size()));
  }
  for (std::size_t i = 0; i < shown; ++i) {
    const Chart heatmap = through_time_heatmap(*records[i].second);
    if (heatmap.spec.is_null()) continue;
    page.add_chart(heatmap.spec, fmt::format("{}: {}", records[i].first, heatmap.caption));
  }
}

}  // namespace

std::string sweep_report_html(const std::vector<SweepResult>& results, const std::string& grid_description) {
  // Labels name only what varies over the sweep, so the legend stays readable.
  std::vector<bool> varies(results.empty() ? 0 : config_pairs(results.front()).size(), results.size() < 2);
  for (const SweepResult& r : results) {
    const auto pairs = config_pairs(r), first = config_pairs(results.front());
    for (std::size_t k = 0; k < pairs.size(); ++k)
      varies[k] = varies[k] || pairs[k].second != first[k].second;
  }
  const std::size_t trial_key =
      results.empty() ? 0 : config_pairs(results.front()).size() - 1;  // "trial" is last
  std::vector<FlowRun> runs;
  std::vector<std::string> configurations;  // each run's label without the trial
  std::map<std::string, int64_t> verdicts;
  bool several_trials = false;
  for (const SweepResult& r : results) {
    if (!r.pass) fail("sweep report: configuration '{}' has no recorded pass", r.config.id);
    several_trials = several_trials || r.config.trial > 0;
    FlowRun run;
    run.config = config_pairs(r);
    std::string configuration;
    for (std::size_t k = 0; k < run.config.size(); ++k) {
      if (!varies[k]) continue;
      const std::string part = fmt::format("{} {}", run.config[k].first, run.config[k].second);
      run.label += (run.label.empty() ? "" : ", ") + part;
      if (k != trial_key) configuration += (configuration.empty() ? "" : ", ") + part;
    }
    configurations.push_back(configuration.empty() ? "every trial" : configuration);
    run.pass = *r.pass;
    run.summary = summarize_flow(run.pass);
    runs.push_back(std::move(run));
    ++verdicts[flow_verdict_name(r.verdict)];
  }
  HtmlReport page("gradlab sweep");
  page.add_paragraph(
      fmt::format("{} configurations of the grid {}. Verdicts: {}. Any configuration can be looked at "
                  "layer by layer with 'gradlab probe --seed SEED' and its options, SEED being its seed "
                  "in the results file.",
                  results.size(), grid_description, verdict_counts_text(verdicts)));
  if (!several_trials) {
    page.add_heading("Gradient flow");
    add_flow_section(page, runs);
    add_time_axis_section(page, results, runs);
    return page.render();
  }
  page.add_heading("Trials together");
  page.add_preformatted(sweep_table(results));
  // One median line and band per configuration rather than a line per trial (dozens of lines in
  // repeated colours); the trials themselves stay below, one at a time through the drop-down.
  std::vector<TrialGroup> groups;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const TrialGroup& g) { return g.label == configurations[i]; });
    if (it == groups.end()) it = groups.insert(groups.end(), TrialGroup{configurations[i], {}});
    it->trials.push_back(&runs[i]);
  }
  page.add_heading("Gradient flow over trials");
  const Chart band = trial_band_chart(groups);
  if (!band.spec.is_null()) page.add_chart(band.spec, band.caption);
  page.add_heading("Trial by trial");
  page.add_paragraph(
      "Each trial on its own; the trial drop-down above the charts shows another trial, or all of them.");
  add_flow_section(page, runs, {.initial_filter = {{"trial", "0"}}});
  add_time_axis_section(page, results, runs);
  return page.render();
}

}  // namespace gradlab::cli
