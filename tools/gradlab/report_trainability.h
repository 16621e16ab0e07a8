#pragma once
// The "Trainability against depth scale" section of `gradlab report` (Schoenholz et al. 2017, Fig. 5):
// the test accuracy of each trained network as a heatmap over depth x sigma_w2, the theory's xi_c and
// 6 xi_c drawn over it, and the reading chosen from the tally of cells within and beyond 6 xi_c.
//
//   TrainabilityStudy study = run_trainability_study(options, data);
//   add_trainability_section(page, study);
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/lab/trainability_study.h"
#include "html_report.h"

namespace gradlab::cli {

/// The sentence that reads the study, chosen from its tally (never printed whatever the numbers):
/// whether the cells within 6 xi_c trained clearly more often than those beyond (by at least half the
/// cells), somewhat more often, or not; with the counts and Schoenholz et al. 2017 cited.
std::string trainability_reading(const TrainabilityStudy& study);

/// The study for `report --json`: the reading, the tallies within and beyond 6 xi_c, and each cell
/// (depth, sigma_w2, test accuracy, trained, within, diverged, xi_c; null for a number that is not finite).
nlohmann::ordered_json trainability_json(const TrainabilityStudy& study);

/// Adds the section (a level-2 heading, the reading, the heatmap with the curves, the settings) to `page`.
void add_trainability_section(HtmlReport& page, const TrainabilityStudy& study);

}  // namespace gradlab::cli
