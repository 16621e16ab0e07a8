// `gradlab theory`: the mean-field theory's figures at one point (sigma_w2, sigma_b2) or for one Keras
// initializer, the critical line, and the phase diagram written to CSV or JSON.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "gradlab/io/atomic_file.h"
#include "model_files.h"
#include "theory_output.h"

namespace gradlab::cli {
namespace {

struct Settings {
  std::string activation, initializer, phase_diagram;
  double sigma_w2 = 0, sigma_b2 = 0, fan_in = 256, fan_out = 256, sigma_b2_max = 0.5;
  int points = 11;
  theory::PhaseGrid grid;
  bool critical_line = false, json = false;
};

bool ends_with(const std::string& s, const std::string& tail) { return s.size() >= tail.size() && s.ends_with(tail); }

TheoryPoint compute_point(const Settings& s, bool sigma_w2_given, const theory::ScalarActivation& phi) {
  TheoryPoint p{.activation = s.activation, .fans = {.fan_in = s.fan_in, .fan_out = s.fan_out, .layer_fan_in = s.fan_in}};
  p.variances = {.sigma_w2 = s.sigma_w2, .sigma_b2 = s.sigma_b2};
  if (!sigma_w2_given) {
    const Initializer kernel(s.initializer);
    p.initializer = kernel.description();
    p.variances.sigma_w2 = theory::kernel_sigma_w2(kernel, p.fans);
  }
  theory::check_variances(p.variances);
  p.figures = theory::signal_propagation(phi, p.variances);
  p.critical_sigma_w2 = theory::critical_sigma_w2(phi, p.variances.sigma_b2);
  p.initializers = theory::place_keras_initializers(phi, p.fans, p.variances.sigma_b2);
  return p;
}

}  // namespace

void add_theory_command(CLI::App& app, CommandRun& run) {
  auto s = std::make_shared<Settings>();
  CLI::App* cmd = app.add_subcommand(
      "theory", "Mean-field signal propagation: where an initialization sits relative to the edge of chaos");
  cmd->footer(
      "Examples: gradlab theory --activation tanh --sigma-w2 1.5 --sigma-b2 0.05\n"
      "          gradlab theory --activation relu --initializer he_uniform\n"
      "          gradlab theory --activation tanh --critical-line\n"
      "          gradlab theory --activation tanh --phase-diagram tanh.csv\n"
      "See docs/theory.md.");
  cmd->add_option("--activation", s->activation, "Activation of every layer (relu, tanh, gelu, ...)")->required();
  CLI::Option* w2 = cmd->add_option("--sigma-w2", s->sigma_w2, "Weight variance times fan_in (weights N(0, sigma_w2/fan_in))");
  CLI::Option* init = cmd->add_option("--initializer", s->initializer,
                                      "Keras kernel initializer whose sigma_w2 to use (he_uniform, glorot_normal, ...)");
  w2->excludes(init);
  cmd->add_option("--sigma-b2", s->sigma_b2, "Bias variance (biases N(0, sigma_b2))")->capture_default_str();
  cmd->add_option("--fan-in", s->fan_in, "Fan-in of the Dense layer the initializers are placed on")->capture_default_str();
  cmd->add_option("--fan-out", s->fan_out, "Fan-out of that layer")->capture_default_str();
  cmd->add_flag("--critical-line", s->critical_line, "Print the critical line sigma_w2(sigma_b2), chi_1 = 1");
  cmd->add_option("--sigma-b2-max", s->sigma_b2_max, "Largest sigma_b2 of the critical line")->capture_default_str();
  cmd->add_option("--points", s->points, "Points of the critical line")->capture_default_str();
  cmd->add_option("--phase-diagram", s->phase_diagram, "Write the phase diagram to FILE (.csv or .json)");
  cmd->add_option("--grid-sigma-w2", [s](const CLI::results_t& r) {
       s->grid.sigma_w2_min = std::stod(r[0]); s->grid.sigma_w2_max = std::stod(r[1]); s->grid.sigma_w2_points = std::stoi(r[2]);
       return true; }, "Phase diagram's sigma_w2 axis: MIN MAX POINTS (default 0.5 4 36)")
      ->expected(3)->check(CLI::Number);
  cmd->add_option("--grid-sigma-b2", [s](const CLI::results_t& r) {
       s->grid.sigma_b2_min = std::stod(r[0]); s->grid.sigma_b2_max = std::stod(r[1]); s->grid.sigma_b2_points = std::stoi(r[2]);
       return true; }, "Phase diagram's sigma_b2 axis: MIN MAX POINTS (default 0 0.3 16)")
      ->expected(3)->check(CLI::Number);
  cmd->add_flag("--json", s->json, "Print JSON instead of text");
  cmd->callback([s, w2, init, &run] {
    const bool point = w2->count() > 0 || init->count() > 0;
    run = [s, point, sigma_w2_given = w2->count() > 0] {
      if (!point && !s->critical_line && s->phase_diagram.empty()) {
        throw UsageError("theory: give --sigma-w2 or --initializer (the figures at one point), --critical-line, or "
                         "--phase-diagram FILE");
      }
      const bool csv = ends_with(s->phase_diagram, ".csv");
      if (!s->phase_diagram.empty() && !csv && !ends_with(s->phase_diagram, ".json")) {
        throw UsageError(fmt::format("--phase-diagram {}: the file name must end in .csv or .json", s->phase_diagram));
      }
      check_output_path("--phase-diagram", s->phase_diagram);
      const theory::ScalarActivation& phi = as_bad_input([&]() -> const theory::ScalarActivation& {
        return theory::scalar_activation(s->activation);
      });
      // Every input is checked before the first figure is computed, so a bad one prints nothing.
      as_bad_input([&] {
        theory::check_variances({.sigma_w2 = 0, .sigma_b2 = s->sigma_b2});
        if (s->critical_line) theory::check_variances({.sigma_w2 = 0, .sigma_b2 = s->sigma_b2_max});
        if (s->critical_line && (s->points < 2 || s->points > 1000)) fail("--points must be 2 to 1000, got {}", s->points);
        if (!s->phase_diagram.empty()) theory::check_phase_grid(s->grid);
      });
      nlohmann::ordered_json json = nlohmann::ordered_json::object();
      std::string text;
      if (point) {
        const TheoryPoint p = as_bad_input([&] { return compute_point(*s, sigma_w2_given, phi); });
        if (s->json) json = nlohmann::ordered_json::parse(theory_point_json(p));
        else text += theory_point_text(p);
      }
      if (s->critical_line) {
        const auto line = theory::critical_line(phi, s->sigma_b2_max, s->points);
        if (s->json) json.update(nlohmann::ordered_json::parse(critical_line_json(s->activation, line)));
        else text += (text.empty() ? "" : "\n") + critical_line_text(s->activation, line);
      }
      if (!s->phase_diagram.empty()) {
        const theory::PhaseDiagram d = theory::phase_diagram(phi, s->grid);
        as_bad_input([&] {
          write_file_atomically(s->phase_diagram, csv ? phase_diagram_csv(s->activation, d)
                                                      : phase_diagram_json(s->activation, d));
        });
        if (!s->json) {
          text += fmt::format("{}{} phase diagram: {} x {} points (sigma_w2 x sigma_b2) -> {}\n", text.empty() ? "" : "\n",
                              s->activation, s->grid.sigma_w2_points, s->grid.sigma_b2_points, s->phase_diagram);
        } else {
          json["phase_diagram"] = s->phase_diagram;
        }
      }
      write_stdout(s->json ? json.dump(2) + "\n" : text);
    };
  });
}

}  // namespace gradlab::cli
