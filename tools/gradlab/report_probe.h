#pragma once
// The HTML page of `gradlab probe --report FILE.html`: what was probed, the verdict, the standard
// flow section (report_charts.h) and every layer call in a table.

#include <string>

#include "probe_report.h"

namespace gradlab::cli {

/// The whole self-contained page for one probe (HtmlReport::render()).
std::string probe_html(const ProbeReport& report);

}  // namespace gradlab::cli
