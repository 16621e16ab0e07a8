#pragma once
// The report's "Edge of chaos" section: the phase diagram measured on the sweep engine beside the
// mean-field theory (lab/edge_of_chaos.h) and dynamical isometry (lab/dynamical_isometry.h), as page
// sections, a terminal summary and JSON.
//
//   EdgeOfChaos edge = run_edge_of_chaos({});
//   DynamicalIsometry iso = run_dynamical_isometry({});
//   add_edge_section(page, edge, iso);

#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/lab/dynamical_isometry.h"
#include "gradlab/lab/edge_of_chaos.h"
#include "html_report.h"

namespace gradlab::cli {

/// Heading, the agreement with the theory in words chosen from the measurement, one heatmap per
/// activation (colour: ln g measured; the critical line and the lesson's initializers drawn over it),
/// a table of the initializers' theory, then the dynamical isometry subsection (mean squared singular
/// value, variance of the squared singular values and sigma_max / sigma_min against depth, one line
/// per arm, and a reading from the deepest depth).
void add_edge_section(HtmlReport& page, const EdgeOfChaos& edge, const DynamicalIsometry& isometry);

/// The terminal lines: per activation the share of cells on the theory's side of the critical line,
/// and per activation sigma_max / sigma_min at the deepest depth with orthogonal and Gaussian weights.
std::string edge_text(const EdgeOfChaos& edge, const DynamicalIsometry& isometry);

/// As JSON: "options", "agreement" (per activation), "cells", "initializers", "critical_lines",
/// "dynamical_isometry" (per arm: activation, weights, sigma_w2, sigma_b2, depths with their figures).
nlohmann::ordered_json edge_json(const EdgeOfChaos& edge, const DynamicalIsometry& isometry);

}  // namespace gradlab::cli
