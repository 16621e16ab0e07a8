// `gradlab probe --jacobian-spectrum`: the singular values of the inline network's input-output
// Jacobian (Pennington, Schoenholz & Ganguli 2017) as text and JSON.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "probe_report.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

std::string num(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  return std::abs(v) >= 1e-3 && std::abs(v) < 1e4 ? fmt::format("{:.4g}", v) : fmt::format("{:.2e}", v);
}

// The deepest depth's reading, chosen from its figures: rank-deficient (sigma_min = 0), within a
// factor of 10, or further from an isometry; and the mean against the theory's when known.
std::string reading(const IsometryDepth& d) {
  const JacobianSpectrum& s = d.spectrum;
  std::string out = fmt::format("  at depth {}: ", d.depth);
  if (std::isinf(s.condition_number)) {
    out += "J is rank-deficient (sigma_min = 0): gradients along some directions of the input are lost entirely";
  } else if (s.condition_number <= 10) {
    out += fmt::format("every singular value lies within a factor of {} of the others: close to an isometry", num(s.condition_number));
  } else {
    out += fmt::format("sigma_max / sigma_min = {}: far from an isometry, gradients along some directions shrink {} times more than along others",
                       num(s.condition_number), num(s.condition_number));
  }
  if (std::isfinite(d.predicted_mean_squared) && d.predicted_mean_squared > 0) {
    out += fmt::format("; the mean squared singular value is {} times the theory's", num(s.mean_squared / d.predicted_mean_squared));
  }
  return out + ".\n";
}

}  // namespace

std::string jacobian_text(const ProbeReport& r) {
  if (!r.jacobian || r.jacobian->depths.empty()) return "";
  const bool theory = r.mean_field.has_value();
  std::vector<Column> columns{{"depth", Align::right}, {"mean s^2", Align::right}};
  if (theory) columns.push_back({"theory", Align::right});
  for (const char* c : {"var s^2", "s_max", "s_min", "s_max/s_min"}) columns.push_back({c, Align::right});
  TextTable table(std::move(columns));
  for (const IsometryDepth& d : r.jacobian->depths) {
    const JacobianSpectrum& s = d.spectrum;
    std::vector<std::string> row{std::to_string(d.depth), num(s.mean_squared)};
    if (theory) row.push_back(num(d.predicted_mean_squared));
    for (const double v : {s.variance_squared, s.largest, s.smallest, s.condition_number}) row.push_back(num(v));
    table.add_row(std::move(row));
  }
  const JacobianSpectrum& first = r.jacobian->depths.front().spectrum;
  std::string out = fmt::format(
      "\nJacobian spectrum (Pennington, Schoenholz & Ganguli 2017): singular values s of dy/dx after each depth for example "
      "{} ({} x {} at the full depth, float64, one backward pass per output unit). Dynamical isometry is every s near 1; "
      "{}mean s^2 is the mean eigenvalue of JJ^T.\n",
      r.jacobian->example, r.jacobian->depths.back().spectrum.rows, first.cols,
      theory ? "theory: the product of chi(q^l) over the layers (chi_1^depth at q*, their eq. 8); " : "");
  out += table.render("  ");
  out += reading(r.jacobian->depths.back());
  return out;
}

nlohmann::ordered_json jacobian_json(const ProbeReport& r) {
  if (!r.jacobian) return nullptr;
  nlohmann::ordered_json depths = nlohmann::ordered_json::array();
  const auto finite = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
  for (const IsometryDepth& d : r.jacobian->depths) {
    const JacobianSpectrum& s = d.spectrum;
    depths.push_back({{"depth", d.depth},
                      {"rows", s.rows},
                      {"cols", s.cols},
                      {"mean_squared", finite(s.mean_squared)},
                      {"predicted_mean_squared", finite(d.predicted_mean_squared)},
                      {"variance_squared", finite(s.variance_squared)},
                      {"largest", finite(s.largest)},
                      {"smallest", finite(s.smallest)},
                      {"condition_number", finite(s.condition_number)},
                      {"condition_number_infinite", std::isinf(s.condition_number)},
                      {"singular_values", s.singular_values}});
  }
  return {{"example", r.jacobian->example}, {"depths", std::move(depths)}};
}

}  // namespace gradlab::cli
