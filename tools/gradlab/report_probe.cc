// probe_html: one probe as a page, from the same ProbeReport the text, JSON and CSV forms print.
#include "report_probe.h"

#include <fmt/format.h>

#include "report_charts.h"

namespace gradlab::cli {

std::string probe_html(const ProbeReport& report) {
  HtmlReport page("gradlab probe: " + report.network);
  page.add_paragraph(fmt::format("Input: {}. Mode: {}. Loss: mean of every output element ({}).", report.input,
                                 report.mode, table_number(report.pass.loss)));
  page.add_table({"verdict", "why"}, {{{flow_verdict_name(report.summary.verdict), verdict_tone(report.summary.verdict)},
                                       report.summary.reason}});
  if (report.underflow.underflowed) page.add_paragraph("Float32 underflow: " + report.underflow.message);
  if (report.pass.anomaly) page.add_paragraph("First non-finite value: " + report.pass.anomaly->describe());
  const FlowRun run{report.network, {}, report.pass, report.summary};
  page.add_heading("Gradient flow");
  add_flow_section(page, {run});
  page.add_heading("Every layer call");
  add_layer_table(page, run);
  return page.render();
}

}  // namespace gradlab::cli
