// The convolutional section of `gradlab report`: options, the run with a progress bar, and the page.
#include "report_conv.h"

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "conv_study_output.h"
#include "interrupt.h"
#include "model_files.h"
#include "progress_bar.h"
#include "report_charts.h"

namespace gradlab::cli {
namespace {

using Json = nlohmann::json;

const char* const kSchema = "https://vega.github.io/schema/vega-lite/v6.json";

// g_1 / g_L over arm (rows) x depth (columns), coloured by log10 on a diverging scale centred on 1.
Json ratio_heatmap(const ConvStudy& s, int& left_out) {
  Json rows = Json::array();
  for (const ConvProbeCell& c : s.cells) {
    const SeedSpread r = c.log_ratio(), g = c.log_input_grad();
    if (r.count == 0) {
      ++left_out;
      continue;
    }
    rows.push_back({{"arm", c.arm.label()},
                    {"depth", c.depth},
                    {"log10_ratio", r.mean},
                    {"ratio", std::pow(10.0, r.mean)},
                    {"g1", g.count ? Json(std::pow(10.0, g.mean)) : Json(nullptr)},
                    {"verdict", c.verdict() ? flow_verdict_name(*c.verdict()) : "mixed"}});
  }
  Json order = Json::array();
  for (const ConvArm& a : s.arms()) order.push_back(a.label());
  return {{"$schema", kSchema},
          {"width", {{"step", 64}}},
          {"height", {{"step", 18}}},
          {"data", {{"values", rows}}},
          {"mark", {{"type", "rect"}, {"tooltip", true}}},
          {"encoding",
           {{"x", {{"field", "depth"}, {"type", "ordinal"}, {"title", "convolution blocks"}}},
            {"y", {{"field", "arm"}, {"type", "nominal"}, {"sort", order}, {"title", nullptr}, {"axis", {{"labelLimit", 300}}}}},
            {"color", {{"field", "log10_ratio"}, {"type", "quantitative"},
                       {"scale", {{"scheme", "redblue"}, {"reverse", true}, {"domainMid", 0}}},
                       {"title", "log10 g_1/g_L"}}},
            {"tooltip", Json::array({{{"field", "arm"}, {"type", "nominal"}},
                                     {{"field", "depth"}, {"type", "ordinal"}},
                                     {{"field", "ratio"}, {"type", "quantitative"}, {"format", ".2e"}, {"title", "g_1/g_L (geometric mean)"}},
                                     {{"field", "g1"}, {"type", "quantitative"}, {"format", ".2e"}, {"title", "g_1 = ||dL/d image||"}},
                                     {{"field", "verdict"}, {"type", "nominal"}}})}}}};
}

// A line per arm (mean over the runs) with a band from the smallest to the largest run, per step.
struct BandPoint {
  std::string series;
  double x = 0;
  std::vector<double> values;
};

Json band_chart(const std::vector<BandPoint>& points, const std::string& x_title, const std::string& y_title, bool log_y,
                int& left_out) {
  Json rows = Json::array();
  for (const BandPoint& p : points) {
    const SeedSpread s = seed_spread(p.values);
    const bool shown = s.count > 0 && (!log_y || s.min > 0);
    if (!shown) {
      ++left_out;
      continue;
    }
    rows.push_back({{"arm", p.series}, {"x", p.x}, {"mean", s.mean}, {"min", s.min}, {"max", s.max}, {"runs", s.count}});
  }
  const Json y_scale = log_y ? Json{{"type", "log"}} : Json{{"zero", false}};
  return {{"$schema", kSchema},
          {"width", 560},
          {"height", 300},
          {"data", {{"values", rows}}},
          {"encoding", {{"x", {{"field", "x"}, {"type", "quantitative"}, {"title", x_title}}},
                        {"color", {{"field", "arm"}, {"type", "nominal"}, {"legend", {{"labelLimit", 300}}}}}}},
          {"layer",
           Json::array({{{"mark", {{"type", "area"}, {"opacity", 0.15}}},
                         {"encoding", {{"y", {{"field", "min"}, {"type", "quantitative"}, {"scale", y_scale}}},
                                       {"y2", {{"field", "max"}}}}}},
                        {{"mark", {{"type", "line"}, {"tooltip", true}}},
                         {"encoding", {{"y", {{"field", "mean"}, {"type", "quantitative"}, {"scale", y_scale},
                                              {"title", y_title}}}}}}})}};
}

std::string left_out_text(int n) {
  return n > 0 ? fmt::format(" {} point(s) with no finite value (or none above 0 on a log axis) are left out.", n) : "";
}

}  // namespace

void add_conv_options(CLI::App& cmd, ConvReportSettings& s) {
  ConvStudyOptions& o = s.options;
  cmd.add_flag("!--no-conv", s.enabled,
               "Leave out the convolutional section (plain and identity-shortcut CNNs with no, batch, group, layer and "
               "instance norm on Fashion-MNIST images, at initialization and over training; about a minute of CPU)");
  cmd.add_option("--conv-depth,--conv-depths", o.depths, "Convolutional section: convolution blocks of the probed networks, increasing")
      ->delimiter(',')
      ->check(CLI::Range(2, kMaxConvStudyDepth))
      ->capture_default_str();
  cmd.add_option("--conv-seeds", o.seeds, "Convolutional section: probes (seeds) per arm and depth")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_option("--conv-filters", o.filters, "Convolutional section: filters of every convolution")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}))
      ->capture_default_str();
  cmd.add_option("--conv-train-depth", o.training_depth,
                 "Convolutional section: convolution blocks of the trained networks (0 leaves training out)")
      ->check(CLI::Range(0, kMaxConvStudyDepth))
      ->capture_default_str();
  cmd.add_option("--conv-train-steps", o.training_steps, "Convolutional section: SGD steps of every training run")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  cmd.add_option("--conv-train-examples", o.training_examples, "Convolutional section: Fashion-MNIST training images trained on")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}))
      ->capture_default_str();
  cmd.add_option("--conv-train-seeds", o.training_seeds, "Convolutional section: training runs per arm")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_option("--conv-learning-rate", o.learning_rate, "Convolutional section: SGD's learning rate (momentum 0.9)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

Dataset load_conv_images(const ConvReportSettings& s, const std::string& data_dir) {
  return as_bad_input([&] {
    validate(s.options);
    const ConvStudyOptions& o = s.options;
    const int64_t needed = std::max<int64_t>(o.seeds * o.batch, o.training_depth > 0 ? o.training_examples : 0);
    return load_dataset("fashion-mnist", {.limit = needed, .fashion_mnist_dir = data_dir}).train;
  });
}

void add_conv_section(HtmlReport& page, const ConvStudy& s) {
  const ConvStudyOptions& o = s.options;
  page.add_heading("Convolutional networks: identity shortcuts and normalization");
  page.add_paragraph(
      "The lesson: skip connections allow \"gradients to flow more directly from the output layer to the earlier "
      "layers\", and batch, layer, instance and group normalization rescale and offset the input \"such that gradients "
      "can flow better\". Measured here on convolutional networks, where instance and group norm have positions to "
      "normalize over. " +
      conv_study_setting(s));
  int left_heat = 0;
  const Json heat = ratio_heatmap(s, left_heat);
  page.add_chart(heat, "g_1/g_L, the gradient reaching the image over the one reaching the last convolution (geometric "
                       "mean over the seeds), for every arm (rows) and depth (columns), colour on log10: white is 1, red "
                       "above (the gradient grows toward the input, the exploding side), blue below (it shrinks, the "
                       "vanishing side). The tooltip has g_1 and the verdict." +
                           left_out_text(left_heat));

  std::vector<std::vector<TableCell>> rows;
  for (const ConvArm& arm : s.arms()) {
    std::vector<TableCell> row{conv_skip_word(arm.skip), conv_norm_word(arm.normalization)};
    for (int d : o.depths) {
      const ConvProbeCell& c = s.cell(arm.skip, arm.normalization, d);
      const SeedSpread r = c.log_ratio();
      const std::string text = (c.verdict() ? std::string(flow_verdict_name(*c.verdict())) : std::string("mixed")) +
                               (r.count ? fmt::format(" {:.1e}", std::pow(10.0, r.mean)) : std::string(" -"));
      row.push_back(c.verdict() ? TableCell(text, verdict_tone(*c.verdict())) : TableCell(text));
    }
    rows.push_back(row);
  }
  std::vector<std::string> heads{"skip", "normalization"};
  for (int d : o.depths) heads.push_back(fmt::format("depth {}", d));
  page.add_table(heads, rows, "Verdict (the same in every seed, else mixed) and g_1/g_L, geometric mean over the seeds.");

  const int deep = o.depths.back();
  page.add_heading(fmt::format("Layer by layer at depth {}", deep), 3);
  std::vector<FlowRun> runs;
  for (const ConvArm& arm : s.arms()) {
    const ConvProbeCell& c = s.cell(arm.skip, arm.normalization, deep);
    runs.push_back({arm.label(),
                    {{"skip", conv_skip_word(arm.skip)}, {"normalization", conv_norm_word(arm.normalization)}},
                    c.first_pass,
                    c.first_summary});
  }
  const Chart per_layer = gradient_norm_chart(runs);
  page.add_chart(per_layer.spec, "The first seed of every arm at the deepest depth: the gradient norm entering each "
                                 "weight layer (conv1 .. conv" + std::to_string(deep) + ", then the Dense head), log axis. " +
                                     per_layer.caption);

  if (!s.training.empty()) {
    page.add_heading(fmt::format("Over training at depth {}", o.training_depth), 3);
    page.add_paragraph(fmt::format(
        "Every arm trained {} time(s) at depth {}: SGD({:g}, momentum {:g}), sparse cross-entropy, batch {}, {} steps on "
        "the first {} training images (run i of every arm shares its seed, so its initial draw and its batches). The "
        "anomaly check stops a run before a step that would make a NaN or infinity. A short run: it shows how each arm "
        "starts to learn, not where it ends.",
        o.training_seeds, o.training_depth, o.learning_rate, o.momentum, o.training_batch, o.training_steps,
        o.training_examples));
    std::vector<BandPoint> loss, grad;
    for (const ConvTrainingArm& a : s.training) {
      for (int64_t step = 0; step < o.training_steps; ++step) {
        BandPoint p{a.arm.label(), static_cast<double>(step), {}};
        for (const ConvTrainingRun& r : a.runs) {
          p.values.push_back(step < static_cast<int64_t>(r.losses.size()) ? r.losses[static_cast<std::size_t>(step)] : NAN);
        }
        loss.push_back(std::move(p));
      }
      std::map<int64_t, BandPoint> by_step;
      for (const ConvTrainingRun& r : a.runs) {
        for (std::size_t i = 0; i < r.sample_steps.size(); ++i) {
          BandPoint& p = by_step[r.sample_steps[i]];
          p.series = a.arm.label();
          p.x = static_cast<double>(r.sample_steps[i]);
          p.values.push_back(r.first_layer_grad_norms[i]);
        }
      }
      for (auto& [step, p] : by_step) grad.push_back(std::move(p));
    }
    int left_loss = 0, left_grad = 0;
    const Json loss_chart = band_chart(loss, "step", "batch loss (mean over runs)", false, left_loss);
    const Json grad_chart = band_chart(grad, "step", "||dL/d conv1 kernel|| (mean over runs)", true, left_grad);
    page.add_chart(loss_chart, "The batch loss of every step, mean over the runs, with the range (smallest to largest run) "
                               "as a band; a stopped run leaves the mean at its last step." + left_out_text(left_loss));
    page.add_chart(grad_chart, fmt::format("The gradient norm of the first convolution's kernel and bias every {} steps, "
                                           "mean and range over the runs, log axis.", o.sample_every) +
                                   left_out_text(left_grad));
    std::vector<std::vector<TableCell>> trained;
    for (const ConvTrainingArm& a : s.training) {
      const SeedSpread l = a.final_loss(o.training_steps);
      const int64_t stopped = a.runs_stopped_by_anomaly();
      trained.push_back({conv_skip_word(a.arm.skip), conv_norm_word(a.arm.normalization),
                         l.count ? fmt::format("{:.3f} ({:.3f}-{:.3f})", l.mean, l.min, l.max) : "-",
                         stopped ? TableCell(fmt::format("{} of {}", stopped, a.runs.size()), CellTone::exploding)
                                 : TableCell("none", CellTone::healthy)});
    }
    page.add_table({"skip", "normalization", "final loss", "stopped at a NaN or infinity"}, trained,
                   "final loss: the mean batch loss of the last quarter of the steps, mean over the runs (range).");
  }
  std::vector<std::vector<TableCell>> findings;
  for (const ConvFinding& f : s.findings) findings.push_back({f.text, f.figures});
  page.add_table({"what the measurements say", "figures"}, findings,
                 "Each sentence is chosen by comparing the measured values; the rule for a difference is in its figures.");
}

}  // namespace gradlab::cli
