// `gradlab sweep --report FILE.html`: the sweep's gradient flow as an interactive page (report_charts.h).
#include <algorithm>

#include <fmt/format.h>

#include "html_report.h"
#include "report_charts.h"
#include "sweep_files.h"

namespace gradlab::cli {

namespace {

std::vector<std::pair<std::string, std::string>> config_pairs(const SweepResult& r) {
  auto pairs = sweep_config_parameters(r.config);
  pairs.emplace_back("trial", std::to_string(r.config.trial));
  return pairs;
}

}  // namespace

std::string sweep_report_html(const std::vector<SweepResult>& results, const std::string& grid_description) {
  // Labels name only what varies over the sweep, so the legend stays readable.
  std::vector<bool> varies(results.empty() ? 0 : config_pairs(results.front()).size(), results.size() < 2);
  for (const SweepResult& r : results) {
    const auto pairs = config_pairs(r), first = config_pairs(results.front());
    for (std::size_t k = 0; k < pairs.size(); ++k) varies[k] = varies[k] || pairs[k].second != first[k].second;
  }
  const std::size_t trial_key = results.empty() ? 0 : config_pairs(results.front()).size() - 1;  // "trial" is last
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
  page.add_paragraph(fmt::format("{} configurations of the grid {}. Verdicts: {}. Any configuration can be looked at "
                                 "layer by layer with 'gradlab probe --seed SEED' and its options, SEED being its seed "
                                 "in the results file.",
                                 results.size(), grid_description, verdict_counts_text(verdicts)));
  if (!several_trials) {
    page.add_heading("Gradient flow");
    add_flow_section(page, runs);
    return page.render();
  }
  page.add_heading("Trials together");
  page.add_preformatted(sweep_table(results));
  // One median line and band per configuration rather than a line per trial (dozens of lines in
  // repeated colours); the trials themselves stay below, one at a time through the drop-down.
  std::vector<TrialGroup> groups;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const TrialGroup& g) { return g.label == configurations[i]; });
    if (it == groups.end()) it = groups.insert(groups.end(), TrialGroup{configurations[i], {}});
    it->trials.push_back(&runs[i]);
  }
  page.add_heading("Gradient flow over trials");
  const Chart band = trial_band_chart(groups);
  if (!band.spec.is_null()) page.add_chart(band.spec, band.caption);
  page.add_heading("Trial by trial");
  page.add_paragraph("Each trial on its own; the trial drop-down above the charts shows another trial, or all of them.");
  add_flow_section(page, runs, {.initial_filter = {{"trial", "0"}}});
  return page.render();
}

}  // namespace gradlab::cli
