#include "theory_output.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "json_number.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

using nlohmann::ordered_json;
using theory::phase_name;

constexpr const char* kPoole = "Poole et al. 2016";
constexpr const char* kSchoenholz = "Schoenholz et al. 2017";

std::string number(double v) {
  if (std::isnan(v)) return "none";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

// A CSV cell: empty for NaN, inf spelled out (a grid point whose length has no fixed point).
std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.17g}", v);
}

ordered_json figures_json(const theory::GradientPropagation& g) {
  return {{"q_star", json_number(g.q_star)},
          {"q_star_unbounded", std::isinf(g.q_star)},
          {"chi_1", json_number(g.chi_1)},
          {"depth_gradient", json_number(g.depth_gradient)},
          {"phase", std::string(phase_name(g.phase))}};
}

std::string phase_reason(theory::Phase phase) {
  switch (phase) {
    case theory::Phase::ordered: return "chi_1 < 1: gradients vanish, inputs converge";
    case theory::Phase::critical: return "chi_1 = 1: the edge of chaos";
    case theory::Phase::chaotic: return "chi_1 > 1: gradients explode, inputs decorrelate";
    case theory::Phase::unbounded: return "the length map has no fixed point";
  }
  return "";
}

}  // namespace

std::string theory_point_text(const TheoryPoint& p) {
  const theory::SignalPropagation& s = p.figures;
  std::string out = fmt::format(
      "Mean-field theory of a deep fully connected {} network at initialization: weights N(0, sigma_w2/fan_in), "
      "biases N(0, sigma_b2), infinite width ({}; {}).\n",
      p.activation, kPoole, kSchoenholz);
  out += fmt::format("sigma_w2 = {}{}, sigma_b2 = {}\n\n", number(p.variances.sigma_w2),
                     p.initializer.empty() ? ""
                                           : fmt::format(" ({} on a {:g} x {:g} Dense layer)", p.initializer,
                                                         p.fans.fan_in, p.fans.fan_out),
                     number(p.variances.sigma_b2));
  TextTable t({{"figure"}, {"value", Align::right}, {"meaning"}, {"source"}});
  t.add_row({"q*", number(s.gradient.q_star), "fixed point of the length map, the mean squared pre-activation",
             std::string(kPoole) + ", eq. 3"});
  t.add_row({"chi_q", number(s.chi_q), "slope of the length map at q*", std::string(kSchoenholz) + ", eq. 5"});
  t.add_row({"xi_q", number(s.depth_length), "layers over which the length settles at q*",
             std::string(kSchoenholz) + ", eq. 5"});
  t.add_row({"c*", number(s.c_star), "fixed point of the correlation map of two inputs", std::string(kPoole) + ", eq. 5"});
  t.add_row({"chi_c", number(s.chi_c), "slope of the correlation map at c*", std::string(kSchoenholz) + ", eq. 6"});
  t.add_row({"xi_c", number(s.depth_correlation), "layers over which two inputs' correlation settles at c*",
             std::string(kSchoenholz) + ", eq. 8"});
  t.add_row({"chi_1", number(s.gradient.chi_1), "per-layer gain of the squared gradient norm",
             std::string(kPoole) + ", eq. 7; " + kSchoenholz + ", eq. 9"});
  t.add_row({"xi_grad", number(s.gradient.depth_gradient), "-1/ln chi_1: layers over which gradients change by e",
             std::string(kSchoenholz) + ", eq. 13"});
  t.add_row({"phase", std::string(phase_name(s.gradient.phase)), phase_reason(s.gradient.phase),
             std::string(kPoole) + "; " + kSchoenholz});
  t.add_row({"critical sigma_w2", number(p.critical_sigma_w2),
             fmt::format("chi_1 = 1 at sigma_b2 = {}", number(p.variances.sigma_b2)), std::string(kSchoenholz) + ", Fig. 1"});
  out += t.render("  ");
  if (!p.initializers.empty()) {
    out += fmt::format("\nKeras initializers on a {:g} x {:g} Dense layer (sigma_w2 = fan_in x variance), sigma_b2 = {}:\n",
                       p.fans.fan_in, p.fans.fan_out, number(p.variances.sigma_b2));
    TextTable k({{"initializer"}, {"sigma_w2", Align::right}, {"chi_1", Align::right}, {"xi_grad", Align::right}, {"phase"}});
    for (const theory::InitializerPlacement& i : p.initializers) {
      k.add_row({i.initializer, number(i.variances.sigma_w2), number(i.propagation.chi_1),
                 number(i.propagation.depth_gradient), std::string(phase_name(i.propagation.phase))});
    }
    out += k.render("  ");
  }
  return out;
}

std::string theory_point_json(const TheoryPoint& p) {
  const theory::SignalPropagation& s = p.figures;
  ordered_json j = {{"activation", p.activation},
                    {"sigma_w2", json_number(p.variances.sigma_w2)},
                    {"sigma_b2", json_number(p.variances.sigma_b2)}};
  if (!p.initializer.empty()) {
    j["initializer"] = p.initializer;
  }
  j["fan_in"] = p.fans.fan_in;
  j["fan_out"] = p.fans.fan_out;
  ordered_json f = figures_json(s.gradient);
  f["chi_q"] = json_number(s.chi_q);
  f["depth_length"] = json_number(s.depth_length);
  f["c_star"] = json_number(s.c_star);
  f["chi_c"] = json_number(s.chi_c);
  f["depth_correlation"] = json_number(s.depth_correlation);
  j["figures"] = f;
  j["critical_sigma_w2"] = json_number(p.critical_sigma_w2);
  ordered_json inits = ordered_json::array();
  for (const theory::InitializerPlacement& i : p.initializers) {
    ordered_json row = {{"initializer", i.initializer}, {"sigma_w2", json_number(i.variances.sigma_w2)}};
    row.update(figures_json(i.propagation));
    inits.push_back(row);
  }
  j["initializers"] = inits;
  j["sources"] = {kPoole, kSchoenholz};
  return j.dump(2) + "\n";
}

std::string critical_line_text(const std::string& activation, const std::vector<theory::CriticalPoint>& line) {
  std::string out = fmt::format("Critical line of {} (chi_1 = 1; {}, Fig. 1; {}, Fig. 2): below it the ordered "
                                "phase, above it the chaotic phase.\n",
                                activation, kSchoenholz, kPoole);
  TextTable t({{"sigma_b2", Align::right}, {"sigma_w2", Align::right}});
  for (const theory::CriticalPoint& c : line) t.add_row({number(c.sigma_b2), number(c.sigma_w2)});
  return out + t.render("  ");
}

std::string critical_line_json(const std::string& activation, const std::vector<theory::CriticalPoint>& line) {
  ordered_json points = ordered_json::array();
  for (const theory::CriticalPoint& c : line) {
    points.push_back({{"sigma_b2", json_number(c.sigma_b2)}, {"sigma_w2", json_number(c.sigma_w2)}});
  }
  ordered_json j = {{"activation", activation}, {"critical_line", points}, {"sources", {kPoole, kSchoenholz}}};
  return j.dump(2) + "\n";
}

std::string phase_diagram_csv(const std::string& activation, const theory::PhaseDiagram& d) {
  std::string out = "activation,sigma_w2,sigma_b2,q_star,chi_1,depth_gradient,phase,critical_sigma_w2\n";
  const std::size_t per_row = static_cast<std::size_t>(d.grid.sigma_w2_points);
  for (std::size_t i = 0; i < d.points.size(); ++i) {
    const theory::PhasePoint& p = d.points[i];
    out += fmt::format("{},{},{},{},{},{},{},{}\n", activation, csv_number(p.variances.sigma_w2),
                       csv_number(p.variances.sigma_b2), csv_number(p.propagation.q_star),
                       csv_number(p.propagation.chi_1), csv_number(p.propagation.depth_gradient),
                       phase_name(p.propagation.phase), csv_number(d.critical[i / per_row].sigma_w2));
  }
  return out;
}

std::string phase_diagram_json(const std::string& activation, const theory::PhaseDiagram& d) {
  ordered_json points = ordered_json::array();
  for (const theory::PhasePoint& p : d.points) {
    ordered_json row = {{"sigma_w2", json_number(p.variances.sigma_w2)}, {"sigma_b2", json_number(p.variances.sigma_b2)}};
    row.update(figures_json(p.propagation));
    points.push_back(row);
  }
  ordered_json line = ordered_json::array();
  for (const theory::CriticalPoint& c : d.critical) {
    line.push_back({{"sigma_b2", json_number(c.sigma_b2)}, {"sigma_w2", json_number(c.sigma_w2)}});
  }
  ordered_json j = {{"activation", activation},
                    {"grid",
                     {{"sigma_w2", {d.grid.sigma_w2_min, d.grid.sigma_w2_max, d.grid.sigma_w2_points}},
                      {"sigma_b2", {d.grid.sigma_b2_min, d.grid.sigma_b2_max, d.grid.sigma_b2_points}}}},
                    {"points", points},
                    {"critical_line", line},
                    {"sources", {kPoole, kSchoenholz}}};
  return j.dump(2) + "\n";
}

}  // namespace gradlab::cli
