// probe_html: one probe as a page, from the same ProbeReport the text, JSON and CSV forms print.
#include "report_probe.h"

#include <cmath>

#include <fmt/format.h>

#include "report_charts.h"

namespace gradlab::cli {
namespace {

// The recurrent layers' time axis: the verdict over layers × time, a row per layer and the grid.
void add_through_time_section(HtmlReport& page, const ThroughTimeRecord& record) {
  if (record.layers.empty()) return;
  page.add_heading("Through time");
  if (!record.reason.empty()) {
    page.add_table({"verdict in time", "why"}, {{{flow_verdict_name(record.verdict), verdict_tone(record.verdict)}, record.reason}});
  }
  std::vector<std::vector<TableCell>> rows;
  for (const RecurrentLayerThroughTime& r : record.layers) {
    const bool measured = !r.grad_norm.empty();
    rows.push_back({r.layer, r.cell + (r.layer_norm ? " (layer norm)" : ""), std::to_string(r.time_steps),
                    measured ? table_number(r.gain_per_step) : "-", measured ? table_number(r.first_to_last_ratio) : "-",
                    measured ? TableCell(flow_verdict_name(r.verdict), verdict_tone(r.verdict)) : TableCell("-"),
                    r.spectrum.gates.empty() ? "-" : table_number(r.spectrum.gates.front().largest_singular_value),
                    table_number(r.spectrum.pascanu_bound)});
  }
  page.add_table({"layer", "cell", "steps", "gain per step", "first/last", "in time", "sigma_max (first gate)", "1/gamma"}, rows,
                 "gain per step: the norm's factor per step back in time (fit on a log scale); first/last: |dL/dh_0| / "
                 "|dL/dh_T-1|; sigma_max below 1/gamma guarantees vanishing for a SimpleRNN (Pascanu et al. 2013).");
  const Chart heatmap = through_time_heatmap(record);
  if (!heatmap.spec.is_null()) page.add_chart(heatmap.spec, heatmap.caption);
}

}  // namespace

std::string probe_html(const ProbeReport& report) {
  HtmlReport page("gradlab probe: " + report.network);
  page.add_paragraph(fmt::format("Input: {}. Mode: {}. Loss: {} ({}).", report.input, report.mode,
                                 probe_loss_label(report.pass.loss_kind), table_number(report.pass.loss)));
  page.add_table({"verdict", "why"}, {{{flow_verdict_name(report.summary.verdict), verdict_tone(report.summary.verdict)},
                                       report.summary.reason}});
  if (report.underflow.underflowed) page.add_paragraph("Float32 underflow: " + report.underflow.message);
  if (report.pass.anomaly) page.add_paragraph("First non-finite value: " + report.pass.anomaly->describe());
  const FlowRun run{report.network, {}, report.pass, report.summary};
  page.add_heading("Gradient flow");
  add_flow_section(page, {run});
  add_through_time_section(page, report.through_time);
  const std::vector<SignalRow> rows = signal_rows(report);
  bool measured = false;
  for (const SignalRow& row : rows) measured |= row.measured.has_value();
  if (measured) {
    page.add_heading("Forward signal and gradient gain per weight layer");
    const bool theory = report.mean_field.has_value();
    std::vector<std::vector<TableCell>> cells;
    for (const SignalRow& row : rows) {
      const auto q = row.measured ? row.measured->mean_square : std::nan("");
      const auto c = row.measured && row.measured->correlation ? *row.measured->correlation : std::nan("");
      std::vector<TableCell> line{row.layer, table_number(q)};
      if (theory) line.push_back(table_number(row.theory->q));
      line.push_back(table_number(c));
      if (theory) line.push_back(table_number(row.theory->c));
      line.push_back(table_number(row.gain));
      if (theory) line.push_back(table_number(row.theory->gain));
      cells.push_back(std::move(line));
    }
    std::vector<std::string> headings = theory ? std::vector<std::string>{"layer", "q", "q theory", "c", "c theory", "gain", "gain theory"}
                                               : std::vector<std::string>{"layer", "q", "c", "gain"};
    page.add_paragraph(
        "q: mean squared pre-activation; c: correlation between two examples' pre-activations; gain: the squared "
        "gradient norm's factor through the layer, (g_k / g_{k+1})^2 (Poole et al. 2016; Schoenholz et al. 2017). " +
        mean_field_sentence(report));
    page.add_table(headings, cells);
  }
  page.add_heading("Every layer call");
  add_layer_table(page, run);
  return page.render();
}

}  // namespace gradlab::cli
