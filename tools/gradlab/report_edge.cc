// The "Edge of chaos" section of `gradlab report`: charts and words from the measured phase diagram
// and the Jacobian spectra, every sentence chosen from the figures shown beside it.
#include "report_edge.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "report_charts.h"

namespace gradlab::cli {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "-";
  return std::abs(v) >= 1e-3 && std::abs(v) < 1e4 ? fmt::format("{:.3g}", v) : fmt::format("{:.1e}", v);
}

double step_of(double min, double max, int points) { return points > 1 ? (max - min) / (points - 1) : 0.1; }

// The words for one activation's agreement, chosen from its counts.
std::string agreement_sentence(const EdgeOfChaos& edge, const std::string& activation) {
  const EdgeAgreement a = edge_agreement(edge, activation);
  if (a.measured == 0) return fmt::format("{}: no cell gave a finite measured gain.", activation);
  std::string out = fmt::format("{}: {} of {} cells ({:.0f}%) measured on the theory's side of the critical line", activation,
                                a.agreeing, a.measured, 100.0 * a.agreeing / a.measured);
  if (a.agreeing == a.measured) return out + " (ln g of the same sign as ln chi_1 in every one).";
  return out + fmt::format("; the {} that disagree all lie near it, within |ln chi_1| <= {}.", a.measured - a.agreeing,
                           number(a.largest_disagreeing_log_chi));
}

Chart edge_heatmap(const EdgeOfChaos& edge, std::size_t activation_index) {
  const std::string& activation = edge.options.activations[activation_index];
  const theory::PhaseGrid& g = edge.options.grid;
  const double dw = step_of(g.sigma_w2_min, g.sigma_w2_max, g.sigma_w2_points) / 2;
  const double db = step_of(g.sigma_b2_min, g.sigma_b2_max, g.sigma_b2_points) / 2;
  json cells = json::array();
  int left_out = 0;
  for (const EdgeCell& c : edge.cells) {
    if (c.activation != activation) continue;
    const bool shown = std::isfinite(c.measured_gain) && c.measured_gain > 0;
    if (!shown) ++left_out;
    cells.push_back({{"sigma_w2", c.variances.sigma_w2},
                     {"sigma_b2", c.variances.sigma_b2},
                     {"w_lo", c.variances.sigma_w2 - dw},
                     {"w_hi", c.variances.sigma_w2 + dw},
                     {"b_lo", c.variances.sigma_b2 - db},
                     {"b_hi", c.variances.sigma_b2 + db},
                     {"log_g", shown ? json(std::log(c.measured_gain)) : json(nullptr)},
                     {"g", finite_or_null(c.measured_gain)},
                     {"chi_1", finite_or_null(c.theory.chi_1)},
                     {"phase", std::string(theory::phase_name(c.theory.phase))},
                     {"verdict", flow_verdict_name(c.verdict)}});
  }
  json line = json::array();
  for (const theory::CriticalPoint& p : edge.critical_lines[activation_index]) {
    if (std::isfinite(p.sigma_w2)) line.push_back({{"sigma_w2", p.sigma_w2}, {"sigma_b2", p.sigma_b2}});
  }
  // Glorot and LeCun give the same sigma_w2 on a square layer: one point, both names.
  std::map<double, std::string> names;
  for (const InitializerTheoryRow& r : edge.initializers) {
    if (r.activation != activation) continue;
    std::string& n = names[r.variances.sigma_w2];
    n += (n.empty() ? "" : ", ") + r.initializer;
  }
  json points = json::array();
  for (const auto& [w2, name] : names) points.push_back({{"sigma_w2", w2}, {"sigma_b2", 0.0}, {"initializer", name}});

  const json x = {{"field", "sigma_w2"}, {"type", "quantitative"}, {"title", "sigma_w2 (weight variance x fan_in)"},
                  {"scale", {{"domain", {g.sigma_w2_min - dw, g.sigma_w2_max + dw}}, {"nice", false}}}};
  const json y = {{"field", "sigma_b2"}, {"type", "quantitative"}, {"title", "sigma_b2 (bias variance)"},
                  {"scale", {{"domain", {g.sigma_b2_min - db, g.sigma_b2_max + db}}, {"nice", false}}}};
  json heat = {{"data", {{"values", cells}}},
               {"mark", {{"type", "rect"}, {"tooltip", true}}},
               {"encoding",
                {{"x", {{"field", "w_lo"}, {"type", "quantitative"}, {"title", x["title"]}, {"scale", x["scale"]}}},
                 {"x2", {{"field", "w_hi"}}},
                 {"y", {{"field", "b_lo"}, {"type", "quantitative"}, {"title", y["title"]}, {"scale", y["scale"]}}},
                 {"y2", {{"field", "b_hi"}}},
                 {"color", {{"field", "log_g"}, {"type", "quantitative"},
                            {"scale", {{"scheme", "redblue"}, {"reverse", true}, {"domainMid", 0}}},
                            {"title", "ln g measured"}}},
                 {"tooltip", json::array({{{"field", "sigma_w2"}, {"type", "quantitative"}, {"format", ".3f"}},
                                          {{"field", "sigma_b2"}, {"type", "quantitative"}, {"format", ".3f"}},
                                          {{"field", "g"}, {"type", "quantitative"}, {"format", ".4f"}, {"title", "g measured"}},
                                          {{"field", "chi_1"}, {"type", "quantitative"}, {"format", ".4f"}, {"title", "chi_1 (theory)"}},
                                          {{"field", "phase"}, {"type", "nominal"}, {"title", "phase (theory)"}},
                                          {{"field", "verdict"}, {"type", "nominal"}}})}}}};
  json critical = {{"data", {{"values", line}}},
                   {"mark", {{"type", "line"}, {"color", "black"}, {"strokeWidth", 2}, {"clip", true}}},
                   {"encoding", {{"x", x}, {"y", y}, {"order", {{"field", "sigma_b2"}, {"type", "quantitative"}}}}}};
  json marks = {{"data", {{"values", points}}},
                {"layer", json::array({{{"mark", {{"type", "point"}, {"filled", true}, {"size", 90}, {"color", "black"}, {"shape", "diamond"}}},
                                        {"encoding", {{"x", x}, {"y", y}, {"tooltip", {{"field", "initializer"}, {"type", "nominal"}}}}}},
                                       {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 6}, {"dy", -8}, {"fontSize", 11}}},
                                        {"encoding", {{"x", x}, {"y", y}, {"text", {{"field", "initializer"}, {"type", "nominal"}}}}}}})}};
  const json spec = {{"$schema", kSchema},
                     {"title", activation},
                     {"width", 640},
                     {"height", 280},
                     {"layer", json::array({heat, critical, marks})}};
  std::string caption = fmt::format(
      "{}: measured ln g (the squared gradient norm's gain per layer, fit over {} Dense layers of {} units, batch {}) over "
      "sigma_w2 and sigma_b2; blue shrinks (ordered), red grows (chaotic). Black line: the theory's critical line chi_1 = 1; "
      "diamonds: the lesson's initializers on a square layer with zero biases.",
      activation, edge.options.depth, edge.options.width, edge.options.batch);
  if (left_out > 0) caption += fmt::format(" {} cell(s) had no finite gain and are left blank.", left_out);
  return {spec, caption};
}

const IsometryArm* find_arm(const DynamicalIsometry& iso, const std::string& activation, IsometryWeights weights) {
  for (const IsometryArm& a : iso.arms)
    if (a.activation == activation && a.weights == weights) return &a;
  return nullptr;
}

// The reading of one activation at the deepest depth, chosen from its two arms' figures.
std::string isometry_sentence(const DynamicalIsometry& iso, const std::string& activation) {
  const IsometryArm* g = find_arm(iso, activation, IsometryWeights::gaussian);
  const IsometryArm* o = find_arm(iso, activation, IsometryWeights::orthogonal);
  if (!g || !o || g->depths.empty() || o->depths.empty()) return "";
  const IsometryDepth& dg = g->depths.back();
  const IsometryDepth& dor = o->depths.back();
  const double cg = dg.spectrum.condition_number, co = dor.spectrum.condition_number;
  std::string out = fmt::format(
      "{} at depth {} (sigma_w2 = {}, sigma_b2 = {}): sigma_max / sigma_min {} with orthogonal weights against {} with "
      "Gaussian ones; variance of s^2 {} against {}, around means {} and {}",
      activation, dg.depth, number(g->variances.sigma_w2), number(g->variances.sigma_b2), number(co), number(cg),
      number(dor.spectrum.variance_squared), number(dg.spectrum.variance_squared), number(dor.spectrum.mean_squared),
      number(dg.spectrum.mean_squared));
  if (std::isinf(cg) && std::isinf(co)) return out + ": rank-deficient with both (sigma_min = 0), so no isometry.";
  if (co < cg) return out + ": orthogonal weights keep the spectrum closer to an isometry.";
  return out + ": orthogonal weights do not keep the spectrum closer to an isometry here.";
}

void add_isometry_subsection(HtmlReport& page, const DynamicalIsometry& iso) {
  const DynamicalIsometryOptions& o = iso.options;
  page.add_heading("Dynamical isometry: the Jacobian's singular values against depth", 3);
  std::string words = fmt::format(
      "chi_1 = 1 fixes only the mean of the squared singular values of the input-output Jacobian J (chi_1^L after L "
      "layers); their spread depends on the weights (Pennington, Schoenholz & Ganguli 2017, \"Resurrecting the sigmoid "
      "in deep learning through dynamical isometry\"). Each arm is one network of {} units per layer at the critical "
      "sigma_w2 for sigma_b2 = {}, one example at the fixed point q*, J taken through the tape in float64 after each "
      "depth. Measured:",
      o.width, number(o.sigma_b2));
  for (const std::string& activation : o.activations) words += " " + isometry_sentence(iso, activation);
  page.add_paragraph(words);
  std::vector<LinePoint> mean, variance, condition;
  for (const IsometryArm& a : iso.arms) {
    const std::string series = fmt::format("{}, {}", a.activation, isometry_weights_name(a.weights));
    for (const IsometryDepth& d : a.depths) {
      mean.push_back({series, static_cast<double>(d.depth), d.spectrum.mean_squared});
      variance.push_back({series, static_cast<double>(d.depth), d.spectrum.variance_squared});
      condition.push_back({series, static_cast<double>(d.depth), d.spectrum.condition_number});
    }
  }
  const auto add = [&](const std::vector<LinePoint>& points, const std::string& y, const std::string& caption) {
    const Chart c = line_chart(points, {.x_title = "depth (Dense layers)", .y_title = y, .series_title = "arm",
                                        .log_x = true, .log_y = true, .caption = caption});
    page.add_chart(c.spec, c.caption);
  };
  add(mean, "mean squared singular value",
      "Mean of s^2 (the mean eigenvalue of JJ^T) against depth; the theory's expectation is chi_1^L = 1 at criticality.");
  add(variance, "variance of s^2", "Variance of the squared singular values against depth: 0 for an isometry.");
  add(condition, "sigma_max / sigma_min",
      "sigma_max / sigma_min against depth; infinite where J is rank-deficient (relu zeroes rows).");
}

}  // namespace

void add_edge_section(HtmlReport& page, const EdgeOfChaos& edge, const DynamicalIsometry& isometry) {
  page.add_heading("Edge of chaos: the measured phase diagram beside the theory");
  std::string words = fmt::format(
      "The lesson: learning works \"somewhere between instable and too stable learning, sometimes referred to as the "
      "'edge of chaos'\". Mean-field theory puts that edge at chi_1 = 1, where chi_1 = sigma_w2 E[phi'(h)^2] is the "
      "factor by which the squared gradient norm grows per layer (Poole et al. 2016; Schoenholz et al. 2017, Fig. 1). "
      "Each cell is a Dense stack of depth {} initialized with weights N(0, sigma_w2 / fan_in) and biases N(0, sigma_b2) "
      "({} x {} points, probe loss random_projection); g is its measured squared gain per layer. Measured:",
      edge.options.depth, edge.options.grid.sigma_w2_points, edge.options.grid.sigma_b2_points);
  for (const std::string& activation : edge.options.activations) words += " " + agreement_sentence(edge, activation);
  page.add_paragraph(words);
  for (std::size_t i = 0; i < edge.options.activations.size(); ++i) {
    const Chart c = edge_heatmap(edge, i);
    page.add_chart(c.spec, c.caption);
  }
  std::vector<std::vector<TableCell>> rows;
  for (const InitializerTheoryRow& r : edge.initializers) {
    const double xi = r.propagation.depth_gradient;
    rows.push_back({r.initializer, r.activation, number(r.variances.sigma_w2), number(r.propagation.chi_1),
                    std::isinf(xi) ? "inf" : number(xi), std::string(theory::phase_name(r.propagation.phase))});
  }
  page.add_table({"initializer", "activation", "sigma_w2", "chi_1", "xi_grad", "phase"}, rows,
                 "The lesson's initializers on a square Dense layer with zero biases, by the theory (gradlab lesson prints "
                 "the same table): xi_grad = -1 / ln chi_1 layers, inf on the critical line.");
  add_isometry_subsection(page, isometry);
}

std::string edge_text(const EdgeOfChaos& edge, const DynamicalIsometry& isometry) {
  std::string out = fmt::format("\nEdge of chaos (depth {}, width {}, {} x {} grid of sigma_w2 x sigma_b2): ", edge.options.depth,
                                edge.options.width, edge.options.grid.sigma_w2_points, edge.options.grid.sigma_b2_points);
  std::vector<std::string> parts;
  for (const std::string& activation : edge.options.activations) {
    const EdgeAgreement a = edge_agreement(edge, activation);
    parts.push_back(fmt::format("{} {} of {} cells", activation, a.agreeing, a.measured));
  }
  out += fmt::format("{} measured on the theory's side of the critical line.\n", fmt::join(parts, ", "));
  parts.clear();
  for (const std::string& activation : isometry.options.activations) {
    const IsometryArm* g = find_arm(isometry, activation, IsometryWeights::gaussian);
    const IsometryArm* o = find_arm(isometry, activation, IsometryWeights::orthogonal);
    if (!g || !o) continue;
    parts.push_back(fmt::format("{} {} orthogonal vs {} Gaussian", activation, number(o->depths.back().spectrum.condition_number),
                                number(g->depths.back().spectrum.condition_number)));
  }
  if (!isometry.arms.empty()) {
    out += fmt::format("Dynamical isometry at depth {}, sigma_max/sigma_min: {}.\n", isometry.options.depths.back(),
                       fmt::join(parts, "; "));
  }
  return out;
}

json edge_json(const EdgeOfChaos& edge, const DynamicalIsometry& isometry) {
  const EdgeOfChaosOptions& o = edge.options;
  json agreement = json::object();
  for (const std::string& activation : o.activations) {
    const EdgeAgreement a = edge_agreement(edge, activation);
    agreement[activation] = {{"measured", a.measured}, {"agreeing", a.agreeing},
                             {"largest_disagreeing_log_chi_1", a.largest_disagreeing_log_chi}};
  }
  json cells = json::array();
  for (const EdgeCell& c : edge.cells) {
    cells.push_back({{"activation", c.activation}, {"sigma_w2", c.variances.sigma_w2}, {"sigma_b2", c.variances.sigma_b2},
                     {"measured_gain", finite_or_null(c.measured_gain)}, {"verdict", flow_verdict_name(c.verdict)},
                     {"chi_1", finite_or_null(c.theory.chi_1)}, {"phase", std::string(theory::phase_name(c.theory.phase))}});
  }
  json initializers = json::array();
  for (const InitializerTheoryRow& r : edge.initializers) {
    initializers.push_back({{"initializer", r.initializer}, {"activation", r.activation}, {"sigma_w2", r.variances.sigma_w2},
                            {"chi_1", r.propagation.chi_1}, {"phase", std::string(theory::phase_name(r.propagation.phase))}});
  }
  json lines = json::object();
  for (std::size_t i = 0; i < o.activations.size(); ++i) {
    json line = json::array();
    for (const theory::CriticalPoint& p : edge.critical_lines[i]) line.push_back({{"sigma_b2", p.sigma_b2}, {"sigma_w2", finite_or_null(p.sigma_w2)}});
    lines[o.activations[i]] = std::move(line);
  }
  json arms = json::array();
  for (const IsometryArm& a : isometry.arms) {
    json depths = json::array();
    for (const IsometryDepth& d : a.depths) {
      depths.push_back({{"depth", d.depth}, {"mean_squared", finite_or_null(d.spectrum.mean_squared)},
                        {"predicted_mean_squared", finite_or_null(d.predicted_mean_squared)},
                        {"variance_squared", finite_or_null(d.spectrum.variance_squared)},
                        {"largest", finite_or_null(d.spectrum.largest)}, {"smallest", finite_or_null(d.spectrum.smallest)},
                        {"condition_number", finite_or_null(d.spectrum.condition_number)}});
    }
    arms.push_back({{"activation", a.activation}, {"weights", std::string(isometry_weights_name(a.weights))},
                    {"sigma_w2", a.variances.sigma_w2}, {"sigma_b2", a.variances.sigma_b2}, {"depths", std::move(depths)}});
  }
  return {{"options", {{"activations", o.activations}, {"depth", o.depth}, {"width", o.width}, {"batch", o.batch},
                       {"sigma_w2", {o.grid.sigma_w2_min, o.grid.sigma_w2_max, o.grid.sigma_w2_points}},
                       {"sigma_b2", {o.grid.sigma_b2_min, o.grid.sigma_b2_max, o.grid.sigma_b2_points}},
                       {"isometry_width", isometry.options.width}, {"isometry_depths", isometry.options.depths}}},
          {"agreement", std::move(agreement)},
          {"cells", std::move(cells)},
          {"initializers", std::move(initializers)},
          {"critical_lines", std::move(lines)},
          {"dynamical_isometry", std::move(arms)}};
}

}  // namespace gradlab::cli
