#pragma once
// Vega-Lite charts of gradient flow for HtmlReport pages, built from plain results, and the standard
// flow section every report shows (`gradlab report`, `probe --report`, and sweeps and training runs).
//
//   std::vector<FlowRun> runs;
//   PassRecord pass = probe_pass(net, {x}, {.training = true});
//   runs.push_back({"tanh, depth 32", {{"activation", "tanh"}}, pass, summarize_flow(pass)});
//   HtmlReport page("Gradient flow");
//   add_flow_section(page, runs);
//
// Every chart carries its data inline. A value a log axis cannot show (0, NaN, infinity) is written
// as null, left out of the chart, and counted in the chart's caption.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/instrument/through_time.h"
#include "html_report.h"

namespace gradlab::cli {

/// One probed pass to chart: what it was, its configuration and its record.
struct FlowRun {
  /// "relu, he_uniform, residual, norm none": one line of the charts and one row of the tables.
  std::string label;
  /// (key, value) pairs, such as ("activation", "relu"); shown in tooltips, and a key whose value
  /// differs between runs gets a drop-down that filters the per-layer charts.
  std::vector<std::pair<std::string, std::string>> config;
  PassRecord pass;
  FlowSummary summary;
};

/// A chart and the caption that goes under it (with the count of values it could not show).
struct Chart {
  nlohmann::json spec;   ///< a Vega-Lite spec with inline data; null when there is nothing to draw
  std::string caption;   ///< what the chart shows, and what it left out
};

/// Options of the per-layer charts and of add_flow_section().
struct FlowSectionOptions {
  /// Initial value of a configuration drop-down ("all" when a key is not named).
  std::vector<std::pair<std::string, std::string>> initial_filter;
};

/// The colour of a verdict in tables.
CellTone verdict_tone(FlowVerdict verdict);

/// Per-layer gradient norm g_k (FlowSummary::grad_norms) against depth position k, on a log axis,
/// one line per run, with tooltips (run, layer, k, norm, configuration).
Chart gradient_norm_chart(const std::vector<FlowRun>& runs, const FlowSectionOptions& options = {});
/// Heatmap of g_k over depth position k (x) and run (y), colour on a log scale.
Chart gradient_heatmap(const std::vector<FlowRun>& runs);
/// Heatmap of ‖∂L/∂h_t‖ over time step t (x) and recurrent layer (y, top layer first), colour on a
/// log scale; null spec when no layer was measured.
Chart through_time_heatmap(const ThroughTimeRecord& record);
/// Per-layer saturated and dead fractions (ForwardStats) against depth position k — the block of the
/// nearest weight layer at or before the call — one line per run and measure. Null spec when no
/// run measured either (no saturating or relu activation).
Chart activity_chart(const std::vector<FlowRun>& runs, const FlowSectionOptions& options = {});

/// Runs that are trials of one configuration: the same network and input distribution, other seeds.
struct TrialGroup {
  /// The configuration without the trial ("depth 3, activation tanh").
  std::string label;
  /// Its trials, each with the same depth positions.
  std::vector<const FlowRun*> trials;
};

/// Per-layer gradient norm g_k over trials, log axis: for each configuration the median over its
/// trials as a line, the interquartile range (25th to 75th percentile, linear interpolation) as a
/// darker band and the range from the smallest to the largest trial as a lighter one, with tooltips
/// (configuration, layer, k, median, quartiles, min, max, trials). Values a log axis cannot show are
/// left out and counted.
Chart trial_band_chart(const std::vector<TrialGroup>& groups);

/// One point of a line chart.
struct LinePoint {
  std::string series;  ///< the line it belongs to ("training loss")
  double x = 0;        ///< epoch, step, ...
  double y = 0;
};

/// Options of line_chart().
struct LineChartOptions {
  std::string x_title = "x";            ///< axis titles
  std::string y_title = "y";
  std::string series_title = "series";  ///< legend title
  bool log_x = false;                   ///< log scales
  bool log_y = false;
  /// Ticks of the x axis at whole numbers only (epochs), however few the points.
  bool integer_x_ticks = false;
  /// Caption shown under the chart (the count of left-out points is appended).
  std::string caption;
};

/// A generic line chart (learning curves, say): one line per series, points in the given order,
/// tooltips. Non-finite values, and values <= 0 on a log axis, are left out and counted.
Chart line_chart(const std::vector<LinePoint>& points, const LineChartOptions& options);

/// The standard flow section: a summary table (run, verdict coloured, input-gradient norm, ratio,
/// gain, where saturation and dead units begin), gradient_norm_chart, gradient_heatmap (for two runs
/// or more) and activity_chart (when it has data). Adds no heading: the caller does. Throws
/// gradlab::Error for no runs.
void add_flow_section(HtmlReport& page, const std::vector<FlowRun>& runs, const FlowSectionOptions& options = {});

/// A table of every layer call of `run`: layer, type, activation, output shape, output mean and
/// standard deviation, saturated and dead fractions, ||dL/d input||, ||dL/d output|| and the kernel's
/// gradient-to-weight ratio (learning_variable(); "w = 0" for an all-zero one).
void add_layer_table(HtmlReport& page, const FlowRun& run);

/// A number for a table: "1.5e-02", "0" for zero, "inf" / "nan", "-" for unset.
std::string table_number(double value);

}  // namespace gradlab::cli
