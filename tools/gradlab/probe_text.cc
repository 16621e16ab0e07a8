// The terminal form of `gradlab probe`: per-layer rows with a log-scale bar, then summary and verdict.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "gradlab/instrument/learning_variable.h"
#include "probe_report.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

constexpr int kBarWidth = 40;

std::string sci(double v) {
  if (v == 0) return "0";
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.2e}", v);
}
std::string num(double v) { return std::isfinite(v) && std::abs(v) >= 1e-3 && std::abs(v) < 1e4 ? fmt::format("{:.4g}", v) : sci(v); }
std::string percent(const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", 100 * *v) : "-"; }
std::string norm_of(const std::optional<GradientStats>& g) { return g ? sci(g->l2_norm) : "-"; }

// The kernel's ratio, else the first variable's: the figure that says how fast a layer would learn.
std::string weight_ratio(const LayerCallRecord& call) {
  const VariableGradientStats* v = learning_variable(call);
  if (!v) return "-";
  return v->weight_norm == 0 ? "w = 0" : sci(v->grad_to_weight_ratio);
}

const std::optional<GradientStats>& measured(const LayerCallRecord& call, FlowMeasure measure) {
  return measure == FlowMeasure::input_grad ? call.input_grad : call.output_grad;
}

// A bar whose length grows with log10(norm) from the smallest positive norm (1 block) to the largest
// (kBarWidth blocks).
// A fixed scale: the largest norm fills the bar, and each decade below it takes kBlocksPerDecade
// blocks off, so a 2x spread is a block, not the whole width. A pass spanning more decades than the
// bar holds gets fewer blocks per decade, and the legend says how many.
class LogBar {
 public:
  static constexpr double kBlocksPerDecade = 4;

  LogBar(const PassRecord& pass, FlowMeasure measure) {
    for (const LayerCallRecord& call : pass.layers) {
      const auto& g = measured(call, measure);
      if (!g || !(g->l2_norm > 0) || !std::isfinite(g->l2_norm)) continue;
      lo_ = std::min(lo_, std::log10(g->l2_norm));
      hi_ = std::max(hi_, std::log10(g->l2_norm));
    }
    if (any()) blocks_per_decade_ = std::min(kBlocksPerDecade, hi_ > lo_ ? (kBarWidth - 1) / (hi_ - lo_) : kBlocksPerDecade);
  }
  std::string operator()(const std::optional<GradientStats>& g) const {
    if (!g) return "";
    const double v = g->l2_norm;
    if (!std::isfinite(v)) return "(not finite)";
    if (v == 0) return "(zero)";
    return blocks(kBarWidth - static_cast<int>(std::lround((hi_ - std::log10(v)) * blocks_per_decade_)));
  }
  static std::string blocks(int n) {
    std::string bar;
    for (int i = 0; i < std::max(n, 1); ++i) bar += "\u2588";
    return bar;
  }
  std::string legend() const {
    return fmt::format("  bar: full width = {}; each {:.3g} block{} shorter = 10x smaller (log scale)\n", sci(std::pow(10.0, hi_)),
                       blocks_per_decade_, blocks_per_decade_ == 1 ? "" : "s");
  }
  bool any() const { return hi_ >= lo_; }

 private:
  double lo_ = INFINITY, hi_ = -INFINITY;
  double blocks_per_decade_ = kBlocksPerDecade;
};

// "dead/256": the share of units 0 for every one of the examples the measurement ran over ("dead"
// when it did not run: no relu layer, or an anomaly).
std::string dead_heading(const PassRecord& pass) {
  return pass.dead_unit_examples > 0 ? fmt::format("dead/{}", pass.dead_unit_examples) : std::string("dead");
}

std::string layer_rows(const ProbeReport& r) {
  const FlowMeasure measure = r.summary.measure;
  const char* bar_heading = measure == FlowMeasure::input_grad ? "|dL/d in|, log scale" : "|dL/d out|, log scale";
  TextTable table({{"layer"},
                   {"type"},
                   {"activation"},
                   {"mean", Align::right},
                   {"std", Align::right},
                   {"spread", Align::right},
                   {"zeros", Align::right},
                   {"silent", Align::right},
                   {dead_heading(r.pass), Align::right},
                   {"saturated", Align::right},
                   {"|dL/d out|", Align::right},
                   {"|dL/d in|", Align::right},
                   {"|dL/dW|/|W|", Align::right}});
  for (const LayerCallRecord& call : r.pass.layers) {
    const ForwardStats& f = call.output;
    table.add_row({call.layer, call.type, call.activation, num(f.mean), num(f.std),
                   call.std_across_examples ? num(*call.std_across_examples) : "-", percent(f.zero_fraction),
                   percent(f.silent_fraction), percent(call.dead_fraction), percent(f.saturated_fraction), norm_of(call.output_grad),
                   norm_of(call.input_grad), weight_ratio(call)});
  }
  // The bar goes after the table, each line padded to one width: its characters are wider in bytes
  // than on screen, so the table is not asked to align it.
  const LogBar bar(r.pass, measure);
  std::vector<std::string> lines;
  std::istringstream in(table.render("  "));
  std::size_t width = 0;
  for (std::string line; std::getline(in, line);) {
    width = std::max(width, line.size());
    lines.push_back(line);
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string tail = i == 0 ? bar_heading : i == 1 ? std::string(kBarWidth, '-') : bar(measured(r.pass.layers[i - 2], measure));
    out += tail.empty() ? lines[i] + "\n" : fmt::format("{:<{}}  {}\n", lines[i], width, tail);
  }
  return out;
}

// The forward signal across examples, first weight layer against the network's output; the
// sentence about collapse is printed only when the measurement shows one.
std::string spread_lines(const ProbeReport& r) {
  // A 100x fall in the spread between examples is where we call the signal collapsed (two decades,
  // as gradlab's verdict once used for the gradient norm).
  constexpr double kCollapsed = 1e-2;
  const LayerCallRecord& first = r.pass.layers[r.summary.depth_layers.front()];
  const LayerCallRecord& output = r.pass.layers.back();
  if (!first.std_across_examples || !output.std_across_examples) return "";
  const double a = *first.std_across_examples, b = *output.std_across_examples;
  std::string out = fmt::format("  spread across examples {} at {} -> {} at {}   (std over the batch, mean over units)\n",
                                num(a), first.layer, num(b), output.layer);
  if (a > 0 && b < kCollapsed * a) {
    const std::string how = b == 0 ? std::string("the output is the same for every example")
                                   : fmt::format("the output differs {:.3g}x less between examples than {}'s", a / b, first.layer);
    out += fmt::format(
        "  {}: the forward signal collapsed toward one output for every input\n"
        "  (the ordered phase of Poole et al. 2016 and Schoenholz et al. 2017)\n",
        how);
  }
  return out;
}

std::string optional_num(const std::optional<double>& v) { return v ? num(*v) : "-"; }

// The forward signal and the gain per weight layer, with the theory's columns when it applies.
std::string signal_lines(const ProbeReport& r) {
  const std::vector<SignalRow> rows = signal_rows(r);
  bool any = false;
  for (const SignalRow& row : rows) any |= row.measured.has_value();
  if (!any) return "";
  const bool theory = r.mean_field.has_value();
  std::vector<Column> columns{{"layer"}, {"q", Align::right}, {"c", Align::right}, {"gain", Align::right}};
  if (theory) {
    columns = {{"layer"}, {"q", Align::right}, {"q theory", Align::right}, {"c", Align::right},
               {"c theory", Align::right}, {"gain", Align::right}, {"gain theory", Align::right}};
  }
  TextTable table(columns);
  for (const SignalRow& row : rows) {
    const std::string q = row.measured ? num(row.measured->mean_square) : "-";
    const std::string c = row.measured ? optional_num(row.measured->correlation) : "-";
    const std::string gain = std::isnan(row.gain) ? "-" : num(row.gain);
    if (theory) {
      table.add_row({row.layer, q, num(row.theory->q), c, num(row.theory->c), gain, num(row.theory->gain)});
    } else {
      table.add_row({row.layer, q, c, gain});
    }
  }
  std::string out =
      "\nforward signal and gradient gain per weight layer (q: mean squared pre-activation; c: correlation between\n"
      "two examples' pre-activations; gain: (|dL/d in| / |dL/d in of the next layer|)^2; Poole et al. 2016,\n"
      "Schoenholz et al. 2017):\n";
  out += table.render("  ");
  const std::string sentence = mean_field_sentence(r);
  if (!sentence.empty()) out += sentence + "\n";
  return out;
}

}  // namespace

std::string probe_text(const ProbeReport& r) {
  const FlowSummary& s = r.summary;
  std::string out = fmt::format("gradlab probe: {}\n  input: {}; {}, {} mode; loss {} = {}\n\n", r.network, r.input,
                                dtype_name(r.pass.dtype), r.mode, probe_loss_label(r.pass.loss_kind), sci(r.pass.loss));
  out += layer_rows(r);
  const LogBar bar(r.pass, s.measure);
  if (bar.any()) out += bar.legend();
  out += signal_lines(r);
  out += jacobian_text(r);

  const std::string& first = r.pass.layers[s.depth_layers.front()].layer;
  const std::string& last = r.pass.layers[s.depth_layers.back()].layer;
  out += fmt::format("\nsummary over {} weight layers ({} of each):\n", s.depth_layers.size(),
                     s.measure == FlowMeasure::input_grad ? "|dL/d input|" : "|dL/d output|");
  out += fmt::format("  mean gain per layer   {}   (the norm's factor per layer, flowing back toward the input)\n", num(s.mean_gain));
  out += fmt::format("  squared gain g        {}   (the squared norm's factor per layer; what chi_1 predicts)\n", num(s.squared_gain));
  out += fmt::format("  depth scale xi        {}   (layers per factor e of the squared norm: 1 / |ln g|)\n", num(s.depth_scale));
  out += fmt::format("  first/last ratio      {}   ({} / {})\n", sci(s.first_to_last_ratio), first, last);
  out += fmt::format("  saturation begins     {}   (saturated fraction above {:g}%)\n", s.saturation_begins.value_or("nowhere"),
                     100 * s.thresholds.saturated_fraction);
  if (r.pass.dead_unit_examples > 0) {
    out += fmt::format("  dead units begin      {}   (above {:g}% of units 0 for all {} examples, {} batch{}; Lu et al. 2019)\n",
                       s.dead_units_begin.value_or("nowhere"), 100 * s.thresholds.dead_fraction, r.pass.dead_unit_examples,
                       r.pass.dead_unit_batches, r.pass.dead_unit_batches == 1 ? "" : "es");
  }
  out += spread_lines(r);
  std::string verdict = flow_verdict_name(s.verdict);
  std::transform(verdict.begin(), verdict.end(), verdict.begin(), [](unsigned char c) { return std::toupper(c); });
  out += fmt::format("verdict: {}: {}\n", verdict, s.reason);
  out += through_time_text(r.through_time);
  if (r.underflow.underflowed) {
    out += fmt::format("underflow: {}\n", r.underflow.message);
    if (!r.underflow.measured_in_float64) out += "  Run with --dtype float64 to measure these gradients.\n";
  } else {
    out += fmt::format("underflow: none; every gradient fits float32{}\n",
                       r.compared_with_float64 ? " (checked against float64)" : "");
  }
  out += r.pass.anomaly ? fmt::format("anomaly: {}\n", r.pass.anomaly->describe())
                        : "anomaly: none; no NaN or infinity in the forward or backward pass\n";
  return out;
}

}  // namespace gradlab::cli
