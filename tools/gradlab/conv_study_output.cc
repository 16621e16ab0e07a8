// The convolutional study as text and JSON, for `gradlab lesson` and `gradlab report`.
#include "conv_study_output.h"

#include <cmath>

#include <fmt/format.h>

#include "json_number.h"
#include "text_table.h"

namespace gradlab::cli {

const char* const kConvStudyCitations =
    "Identity shortcut x + F(x): He et al. 2016 (Identity Mappings in Deep Residual Networks); batch norm: Ioffe & "
    "Szegedy 2015; layer norm: Ba et al. 2016; instance norm: Ulyanov et al. 2016; group norm: Wu & He 2018.";

namespace {

using nlohmann::ordered_json;

std::string sci(double log10_value) { return fmt::format("{:.1e}", std::pow(10.0, log10_value)); }

std::string cell_text(const ConvProbeCell& c) {
  const SeedSpread r = c.log_ratio();
  const std::string verdict = c.verdict() ? flow_verdict_name(*c.verdict()) : "mixed";
  if (r.count == 0) return verdict + " -";
  return fmt::format("{} {}", verdict, sci(r.mean));
}

ordered_json decades_json(const SeedSpread& s) {
  const auto up = [&](double v) { return s.count > 0 ? json_number(std::pow(10.0, v)) : ordered_json(nullptr); };
  return {{"geometric_mean", up(s.mean)}, {"min", up(s.min)}, {"max", up(s.max)}, {"count", s.count}, {"runs", s.runs}};
}

}  // namespace

std::string conv_norm_word(SkipNormalization n) {
  return n == SkipNormalization::none ? std::string("no norm") : fmt::format("{} norm", skip_normalization_name(n));
}

std::string conv_skip_word(SkipConnection skip) { return skip == SkipConnection::identity ? "identity" : "plain"; }

std::string conv_study_setting(const ConvStudy& s) {
  const ConvStudyOptions& o = s.options;
  return fmt::format(
      "Each network: depth x [Conv2D({}, 3x3, same) -> normalization (group norm: {} groups) -> {}], {} kernels, the identity arms adding "
      "l_k = l_(k-1) + block_k(l_(k-1)) from block 2 on, then global average pooling and Dense(10). Inputs: {} "
      "[{}, 28, 28, 1], training mode, L = mean(logits * R) with R ~ N(0, 1) fixed by the seed (the plain mean "
      "sends the same gradient to every example and position, and a normalization's backward removes the part of a "
      "gradient that is constant over what it normalizes, Ioffe & Szegedy 2015, section 3). g_k = ||dL/d input of "
      "conv k||, so g_1 is the gradient reaching the image; g_1/g_L over the convolutions, {} seed(s) per arm and "
      "depth. Verdict, from g_1/g_L with the squared gain per layer g = (g_1/g_L)^(2/(L-1)): {}. {}",
      o.filters, o.groups, o.activation, o.kernel_initializer, s.inputs, o.batch, o.seeds, flow_verdict_rule(), kConvStudyCitations);
}

std::string conv_study_text(const ConvStudy& s, const std::string& number) {
  const ConvStudyOptions& o = s.options;
  std::string out = fmt::format(
      "\n{}Convolutional networks: plain against identity shortcuts, with each normalization. The lesson: skip "
      "connections allow \"gradients to flow more directly from the output layer to the earlier layers\", and batch, "
      "layer, instance and group normalization rescale and offset \"such that gradients can flow better\".\n   {}\n\n",
      number.empty() ? std::string() : number + " ", conv_study_setting(s));
  std::vector<Column> heads{{"skip"}, {"normalization"}};
  for (int d : o.depths) heads.push_back({fmt::format("depth {}", d), Align::right});
  TextTable table(heads);
  for (const ConvArm& arm : s.arms()) {
    std::vector<std::string> row{conv_skip_word(arm.skip), conv_norm_word(arm.normalization)};
    for (int d : o.depths) row.push_back(cell_text(s.cell(arm.skip, arm.normalization, d)));
    table.add_row(row);
  }
  out += "   verdict and g_1/g_L (geometric mean over the seeds):\n\n" + table.render("   ");
  if (!s.training.empty()) {
    out += fmt::format(
        "\n   Over training at depth {}: SGD({:g}, momentum {:g}), batch {}, {} steps on {} images, {} run(s) per arm; "
        "final loss = mean batch loss of the last quarter of the steps, mean (range):\n\n",
        o.training_depth, o.learning_rate, o.momentum, o.training_batch, o.training_steps, o.training_examples,
        o.training_seeds);
    TextTable trained({{"skip"}, {"normalization"}, {"final loss", Align::right}, {"range", Align::right},
                       {"stopped (NaN/inf)", Align::right}});
    for (const ConvTrainingArm& a : s.training) {
      const SeedSpread l = a.final_loss(o.training_steps);
      trained.add_row({conv_skip_word(a.arm.skip), conv_norm_word(a.arm.normalization),
                       l.count ? fmt::format("{:.3f}", l.mean) : "-",
                       l.count ? fmt::format("{:.3f}-{:.3f}", l.min, l.max) : "-",
                       fmt::format("{} of {}", a.runs_stopped_by_anomaly(), a.runs.size())});
    }
    out += trained.render("   ");
  }
  out += "\n   What the measurements say:\n";
  for (const ConvFinding& f : s.findings) out += fmt::format("   - {}\n     ({})\n", f.text, f.figures);
  return out;
}

ordered_json conv_study_json(const ConvStudy& s) {
  const ConvStudyOptions& o = s.options;
  ordered_json cells = ordered_json::array();
  for (const ConvProbeCell& c : s.cells) {
    ordered_json trials = ordered_json::array();
    for (const ConvProbeTrial& t : c.trials) {
      ordered_json norms = ordered_json::array();
      for (double g : t.grad_norms) norms.push_back(json_number(g));
      trials.push_back({{"seed", t.seed},
                        {"ratio", json_number(t.ratio)},
                        {"verdict", flow_verdict_name(t.verdict)},
                        {"grad_norms", norms}});
    }
    cells.push_back({{"skip", std::string(skip_connection_name(c.arm.skip))},
                     {"normalization", std::string(skip_normalization_name(c.arm.normalization))},
                     {"depth", c.depth},
                     {"verdict", c.verdict() ? ordered_json(flow_verdict_name(*c.verdict())) : ordered_json(nullptr)},
                     {"input_grad", decades_json(c.log_input_grad())},
                     {"ratio", decades_json(c.log_ratio())},
                     {"trials", trials}});
  }
  ordered_json training = ordered_json::array();
  for (const ConvTrainingArm& a : s.training) {
    const SeedSpread l = a.final_loss(o.training_steps);
    ordered_json runs = ordered_json::array();
    for (const ConvTrainingRun& r : a.runs) {
      ordered_json norms = ordered_json::array();
      for (std::size_t i = 0; i < r.sample_steps.size(); ++i) {
        norms.push_back({{"step", r.sample_steps[i]}, {"conv1_grad_norm", json_number(r.first_layer_grad_norms[i])}});
      }
      runs.push_back({{"seed", r.seed},
                      {"final_loss", json_number(r.final_loss(o.training_steps))},
                      {"stopped_at", r.stopped_by_anomaly ? ordered_json(r.stopped_at) : ordered_json(nullptr)},
                      {"samples", norms}});
    }
    training.push_back({{"skip", std::string(skip_connection_name(a.arm.skip))},
                        {"normalization", std::string(skip_normalization_name(a.arm.normalization))},
                        {"final_loss",
                         {{"mean", json_number(l.mean)}, {"min", json_number(l.min)}, {"max", json_number(l.max)},
                          {"count", l.count}, {"runs", l.runs}}},
                        {"runs_stopped", a.runs_stopped_by_anomaly()},
                        {"runs", runs}});
  }
  ordered_json findings = ordered_json::array();
  for (const ConvFinding& f : s.findings) findings.push_back({{"text", f.text}, {"figures", f.figures}});
  return {{"options",
           {{"depths", o.depths},
            {"filters", o.filters},
            {"groups", o.groups},
            {"activation", o.activation},
            {"kernel_initializer", o.kernel_initializer},
            {"batch", o.batch},
            {"seeds", o.seeds},
            {"training_depth", o.training_depth},
            {"training_steps", o.training_steps},
            {"training_batch", o.training_batch},
            {"training_examples", o.training_examples},
            {"training_seeds", o.training_seeds},
            {"learning_rate", o.learning_rate},
            {"momentum", o.momentum},
            {"seed", o.seed}}},
          {"inputs", s.inputs},
          {"cells", cells},
          {"training", training},
          {"findings", findings}};
}

ConvStudyOptions lesson_conv_options() { return ConvStudyOptions{.training_depth = 0}; }

std::optional<ConvStudy> run_lesson_conv(ConvStudyOptions options, uint64_t seed) {
  if (options.seeds == 0) return std::nullopt;
  options.seed = seed;
  return run_conv_study(options);
}

}  // namespace gradlab::cli
