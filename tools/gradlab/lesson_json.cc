#include "lesson_json.h"

#include <string>

#include "gradlab/tensor/dtype.h"
#include "recurrent_study_output.h"

namespace gradlab::cli {
namespace {

using json = nlohmann::ordered_json;

json summary_json(const SampleSummary& s) {
  return json{{"count", s.count}, {"mean", s.mean},     {"min", s.min},
              {"p5", s.p5},       {"median", s.median}, {"p95", s.p95},
              {"max", s.max},     {"zero_fraction", s.zero_fraction},
              {"infinite_fraction", s.infinite_fraction}};
}

json gradient_row(const GradientNormResult& r) {
  json row{{"network", std::string(skip_connection_key(r.skip))},
           {"depth", r.depth},
           {"activation", r.activation},
           {"input_gradient_norm", summary_json(r.measured)}};
  if (r.lesson) {
    row["lesson"] = *r.lesson;
    row["lesson_percentile"] = *r.lesson_percentile;
  }
  return row;
}

json cells_json(const std::vector<NormalizationCell>& cells, bool with_steps) {
  json out = json::array();
  for (const NormalizationCell& c : cells) {
    json cell{{"activation", c.activation}, {"initializer", c.initializer}, {"depth", c.depth}};
    if (with_steps) cell["steps"] = c.steps;
    cell["normalization"] = std::string(skip_normalization_name(c.normalization));
    cell["input_gradient_norm"] = summary_json(c.input_grad_norm);
    cell["first_to_last_layer_ratio"] = summary_json(c.first_to_last);
    cell["output_std_across_examples"] = c.output_std_across_examples;
    cell["layer_gradient_norms"] = c.layer_grad_norms;
    out.push_back(std::move(cell));
  }
  return out;
}

json normalization_json(const NormalizationStudy& n) {
  const BatchNormModes& m = n.batch_norm_modes;
  json small = json::array();
  for (const SmallBatchRow& r : n.small_batches) {
    small.push_back(json{{"batch", r.batch},
                         {"normalization", std::string(skip_normalization_name(r.normalization))},
                         {"input_gradient_norm", summary_json(r.input_grad_norm)},
                         {"output_std_across_examples", r.output_std_across_examples}});
  }
  json inputs = json::array();
  for (const InputNormalizationRow& r : n.input_normalization) {
    inputs.push_back(json{{"activation", r.activation},
                          {"input_low", r.input.low},
                          {"input_high", r.input.high},
                          {"adapted", r.adapted},
                          {"input_gradient_norm", summary_json(r.input_grad_norm)},
                          {"first_to_last_layer_ratio", summary_json(r.first_to_last)},
                          {"output_std_across_examples", r.output_std_across_examples}});
  }
  return json{{"trials", n.options.trials},
              {"width", n.options.width},
              {"batch", n.options.batch},
              {"sequence_batch", n.options.sequence_batch},
              {"steps", n.options.steps},
              {"depth_table", cells_json(n.cells, false)},
              {"batch_norm_modes", json{{"training_input_gradient_norm", m.training_input_grad_norm},
                                        {"inference_input_gradient_norm", m.inference_input_grad_norm},
                                        {"training_output_std", m.training_output_std},
                                        {"inference_output_std", m.inference_output_std},
                                        {"max_output_difference", m.max_output_difference}}},
              {"small_batches", std::move(small)},
              {"input_normalization", std::move(inputs)},
              {"instance_table", cells_json(n.instance_cells, true)}};
}

}  // namespace

json lesson_json(const LessonStudy& study) {
  const LessonStudyOptions& o = study.options;
  json out;
  out["command"] = "lesson";
  out["version"] = GRADLAB_VERSION;
  out["options"] = json{{"seed", o.seed},   {"trials", o.trials},           {"grid_trials", o.grid_trials},
                        {"depths", o.depths}, {"activations", o.activations}, {"initializer", o.grid_initializer},
                        {"dtype", std::string(dtype_name(o.dtype))}};
  json kernels = json::array();
  for (const KernelVarianceResult& r : study.kernel_variance) {
    kernels.push_back(json{{"initializer", r.layer.initializer},
                           {"fan_in", r.layer.fan_in},
                           {"units", r.layer.units},
                           {"theory", r.theory},
                           {"variance", summary_json(r.measured)},
                           {"lesson", r.lesson},
                           {"lesson_percentile", r.lesson_percentile}});
  }
  out["kernel_variance"] = std::move(kernels);
  json skips = json::array();
  for (const GradientNormResult& r : study.skip_connections) skips.push_back(gradient_row(r));
  out["skip_connections"] = std::move(skips);
  json grid = json::array();
  for (const GradientNormResult& r : study.depth_grid) grid.push_back(gradient_row(r));
  out["depth_grid"] = std::move(grid);
  if (!study.normalization.cells.empty()) out["normalization"] = normalization_json(study.normalization);
  if (study.recurrent) out["recurrent"] = recurrent_study_json(*study.recurrent);
  return out;
}

}  // namespace gradlab::cli
