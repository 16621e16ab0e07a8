// The trainability section of `gradlab report`: a Vega-Lite layer of a heatmap (rect between the grid
// points' midpoints, so uneven grids stay readable) and the theory's depth-scale curves.
#include "report_trainability.h"

#include "json_number.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gradlab::cli {
namespace {

using Json = nlohmann::json;

std::string share(const TrainedCount& c) {
  return c.cells == 0 ? std::string("no cells") : fmt::format("{} of {} ({:.0f}%)", c.trained, c.cells, 100.0 * c.trained / c.cells);
}

double fraction(const TrainedCount& c) { return c.cells == 0 ? 0.0 : static_cast<double>(c.trained) / c.cells; }

// Each grid value's band: from the midpoint with its lower neighbour to the midpoint with its upper
// one (half a step beyond the ends).
template <typename T>
std::pair<double, double> band(const std::vector<T>& sorted, T value) {
  const auto i = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin());
  const double v = static_cast<double>(value);
  const double below = i > 0 ? static_cast<double>(sorted[i - 1]) : (sorted.size() > 1 ? 2 * v - static_cast<double>(sorted[1]) : v - 0.5);
  const double above = i + 1 < sorted.size() ? static_cast<double>(sorted[i + 1]) : (sorted.size() > 1 ? 2 * v - static_cast<double>(sorted[i - 1]) : v + 0.5);
  return {(below + v) / 2, (v + above) / 2};
}

}  // namespace

std::string trainability_reading(const TrainabilityStudy& s) {
  const std::string counts = fmt::format(
      "Of the networks no deeper than 6 xi_c, {} trained (test accuracy at least {}, three times chance); of those "
      "deeper, {}.", share(s.within), kTrainedAccuracy, share(s.beyond));
  if (s.within.cells == 0 || s.beyond.cells == 0) {
    return counts + fmt::format(" Every cell of this grid lies {} 6 xi_c, so it cannot test the rule of Schoenholz et al. "
                                "(2017); widen the depths or sigma_w2 values.", s.within.cells == 0 ? "beyond" : "within");
  }
  const double gap = fraction(s.within) - fraction(s.beyond);
  if (gap >= 0.5) {
    return counts + " As Schoenholz et al. (2017, \"Deep Information Propagation\", Fig. 5) found, the trainable region "
                    "follows 6 xi_c: signals and gradients survive about that many layers, and deeper networks lose them.";
  }
  if (gap > 0) {
    return counts + " Networks within 6 xi_c trained more often, but the boundary is blurred in this short budget; "
                    "Schoenholz et al. (2017, Fig. 5) trained far longer. More --trainability-steps sharpens it.";
  }
  return counts + " Here the trainable region does not follow 6 xi_c, the bound Schoenholz et al. (2017, Fig. 5) "
                  "found: with this budget and grid, depth scale did not decide which networks trained.";
}

nlohmann::ordered_json trainability_json(const TrainabilityStudy& s) {
  const auto tally = [](const TrainedCount& c) { return nlohmann::ordered_json{{"trained", c.trained}, {"cells", c.cells}}; };
  nlohmann::ordered_json cells = nlohmann::ordered_json::array();
  for (const TrainabilityCell& c : s.cells) {
    cells.push_back({{"depth", c.depth},
                     {"sigma_w2", c.sigma_w2},
                     {"test_accuracy", json_number(c.outcome.test_accuracy)},
                     {"trained", c.trained},
                     {"within_6_xi_c", c.within},
                     {"diverged", c.outcome.diverged},
                     {"xi_c", json_number(c.outcome.xi_c)}});
  }
  return {{"reading", trainability_reading(s)},
          {"steps", s.options.training.steps},
          {"within_6_xi_c", tally(s.within)},
          {"beyond_6_xi_c", tally(s.beyond)},
          {"cells", cells}};
}

void add_trainability_section(HtmlReport& page, const TrainabilityStudy& s) {
  const TrainabilityStudyOptions& o = s.options;
  page.add_heading("Trainability against depth scale");
  page.add_paragraph(fmt::format(
      "Each cell is a network of Dense({}, {}) layers (the depth of its row) and a linear 10-unit output, weights "
      "N(0, sigma_w2 / fan_in) and biases N(0, {}), trained with SGD (learning rate {}) for {} steps of {} images on "
      "the first {} Fashion-MNIST training images; its colour is the accuracy on the first {} test images. The lines "
      "are the mean-field theory's correlation depth scale xi_c and 6 xi_c (Schoenholz et al. 2017, \"Deep Information "
      "Propagation\"): the number of layers over which two inputs' correlation reaches its fixed point, after which the "
      "network maps every input alike. {}",
      o.width, o.activation, o.sigma_b2, o.training.learning_rate, o.training.steps, o.training.batch_size,
      o.training.train_examples, o.training.test_examples, trainability_reading(s)));

  std::vector<int> depths = o.depths;
  std::vector<double> sigmas = o.sigma_w2s;
  std::sort(depths.begin(), depths.end());
  std::sort(sigmas.begin(), sigmas.end());
  Json cells = Json::array();
  int diverged = 0;
  for (const TrainabilityCell& c : s.cells) {
    const auto [x0, x1] = band(sigmas, c.sigma_w2);
    const auto [y0, y1] = band(depths, c.depth);
    const double accuracy = c.outcome.test_accuracy;
    if (c.outcome.diverged) ++diverged;
    cells.push_back({{"sigma_w2", c.sigma_w2}, {"depth", c.depth}, {"x0", x0}, {"x1", x1}, {"y0", y0}, {"y1", y1},
                     {"accuracy", std::isfinite(accuracy) ? Json(accuracy) : Json(nullptr)},
                     {"train_loss", std::isfinite(c.outcome.train_loss) ? Json(c.outcome.train_loss) : Json(nullptr)},
                     {"xi_c", std::isfinite(c.outcome.xi_c) ? Json(c.outcome.xi_c) : Json(nullptr)},
                     {"diverged", c.outcome.diverged}});
  }
  const double top = band(depths, depths.back()).second, bottom = band(depths, depths.front()).first;
  Json curve = Json::array();
  for (const DepthScalePoint& p : s.xi_c_curve) {
    for (const double multiple : {1.0, kTrainableDepthScales}) {
      const double depth = multiple * p.xi_c;
      // Beyond the chart the line is cut at its edge (xi_c grows without bound at the critical line).
      if (std::isnan(depth) || depth < 0) continue;
      curve.push_back({{"sigma_w2", p.sigma_w2}, {"depth", std::min(depth, top)},
                       {"curve", multiple == 1.0 ? "xi_c" : "6 xi_c"}});
    }
  }
  const Json x_scale = {{"domain", {band(sigmas, sigmas.front()).first, band(sigmas, sigmas.back()).second}}, {"nice", false}};
  const Json y_scale = {{"domain", {bottom, top}}, {"nice", false}};
  Json heatmap = {
      {"data", {{"values", cells}}},
      {"mark", {{"type", "rect"}, {"tooltip", true}}},
      {"encoding",
       {{"x", {{"field", "x0"}, {"type", "quantitative"}, {"scale", x_scale}, {"title", "sigma_w2 (weight variance x fan_in)"}}},
        {"x2", {{"field", "x1"}}},
        {"y", {{"field", "y0"}, {"type", "quantitative"}, {"scale", y_scale}, {"title", "depth (Dense layers)"}}},
        {"y2", {{"field", "y1"}}},
        {"color", {{"field", "accuracy"}, {"type", "quantitative"}, {"scale", {{"domain", {0, 1}}, {"scheme", "viridis"}}},
                   {"title", "test accuracy"}}},
        {"tooltip", Json::array({{{"field", "depth"}, {"type", "quantitative"}},
                                 {{"field", "sigma_w2"}, {"type", "quantitative"}},
                                 {{"field", "accuracy"}, {"type", "quantitative"}, {"format", ".3f"}, {"title", "test accuracy"}},
                                 {{"field", "train_loss"}, {"type", "quantitative"}, {"format", ".3f"}, {"title", "training loss"}},
                                 {{"field", "xi_c"}, {"type", "quantitative"}, {"format", ".2f"}},
                                 {{"field", "diverged"}, {"type", "nominal"}}})}}}};
  Json curves = {
      {"data", {{"values", curve}}},
      {"mark", {{"type", "line"}, {"clip", true}, {"strokeWidth", 2}, {"color", "white"}}},
      {"encoding",
       {{"x", {{"field", "sigma_w2"}, {"type", "quantitative"}, {"scale", x_scale}}},
        {"y", {{"field", "depth"}, {"type", "quantitative"}, {"scale", y_scale}}},
        {"strokeDash", {{"field", "curve"}, {"type", "nominal"}, {"title", "theory"},
                        {"scale", {{"domain", {"xi_c", "6 xi_c"}}, {"range", Json::array({Json::array({4, 3}), Json::array({1, 0})})}}}}}}}};
  Json spec = {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"}, {"width", 520}, {"height", 320}};
  spec["layer"] = Json::array({heatmap, curves});
  std::string caption = fmt::format(
      "Test accuracy after training, over sigma_w2 (columns) and depth (rows), {} at sigma_b2 = {}; the solid line is "
      "6 xi_c, the dashed one xi_c (cut at the top of the chart where they grow without bound, at the critical line).",
      o.activation, o.sigma_b2);
  if (diverged > 0) caption += fmt::format(" {} cell(s) diverged (a NaN or infinity stopped training) and are left blank.", diverged);
  page.add_chart(spec, caption);
}

}  // namespace gradlab::cli
