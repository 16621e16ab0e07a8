#pragma once
// The recurrent section of `gradlab lesson` and `gradlab report`: the lesson's "layers times
// time-steps" measured (lab/recurrent_depth_study.h), as text, JSON and the heatmap's cells.
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/lab/recurrent_depth_study.h"

namespace gradlab::cli {

/// The lesson's sentence the section measures, quoted as the report and the lesson print it.
extern const char* const kRecurrentDepthClaim;

/// The section as text: the claim, a table of the ratio against T and one against layers (median and
/// range over the seeds), the heatmap's grid at a few steps, then the findings, each with its figures.
/// `number` heads the section ("9."; empty for none).
std::string recurrent_study_text(const RecurrentDepthStudy& study, const std::string& number);

/// The section as JSON: options, every case's points (median, min, max of the ratio and the gain per
/// step), the heatmap (layers × steps of ‖∂L/∂h_t‖) and the findings.
nlohmann::ordered_json recurrent_study_json(const RecurrentDepthStudy& study);

}  // namespace gradlab::cli
