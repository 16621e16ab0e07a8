#pragma once
// `gradlab train --report FILE.html`: one page with the run's summary, its learning curves and its
// gradient flow over training (per-layer gradient norm, update ratio, dead and saturated fractions at
// every sampled step), built on HtmlReport and report_charts.h.
#include <string>

#include "gradlab/train/history.h"
#include "train_output.h"

namespace gradlab::cli {

/// The page as HTML; see the file comment. Charts a run did not measure (accuracy for a regression,
/// gradient flow without --sample-every) are left out with a sentence saying why.
std::string train_report_html(const TrainSummary& summary, const History& history);

}  // namespace gradlab::cli
