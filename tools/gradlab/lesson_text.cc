#include "lesson_text.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gradlab/instrument/flow_summary.h"
#include "recurrent_study_output.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

std::string fixed4(double v) { return fmt::format("{:.4g}", v); }
std::string sci(double v) { return v == 0.0 ? "0" : fmt::format("{:.1e}", v); }
std::string percent(double v) { return fmt::format("{:.1f}%", v); }

std::string kernel_table(const LessonStudy& study) {
  TextTable t({{"initializer"},
               {"in x out", Align::right},
               {"limit", Align::right},
               {"theory", Align::right},
               {"median", Align::right},
               {"5%", Align::right},
               {"95%", Align::right},
               {"lesson", Align::right},
               {"lesson at", Align::right}});
  for (const KernelVarianceResult& r : study.kernel_variance) {
    t.add_row({r.layer.initializer, fmt::format("{}x{}", r.layer.fan_in, r.layer.units),
               fixed4(std::sqrt(3.0 * r.theory)), fixed4(r.theory), fixed4(r.measured.median),
               fixed4(r.measured.p5), fixed4(r.measured.p95), fixed4(r.lesson), percent(r.lesson_percentile)});
  }
  return t.render("   ");
}

std::string skip_table(const LessonStudy& study) {
  TextTable t({{"network"},
               {"median", Align::right},
               {"5%", Align::right},
               {"95%", Align::right},
               {"all zero", Align::right},
               {"lesson", Align::right},
               {"lesson at", Align::right}});
  for (const GradientNormResult& r : study.skip_connections) {
    t.add_row({std::string(skip_connection_label(r.skip)), fixed4(r.measured.median), fixed4(r.measured.p5),
               fixed4(r.measured.p95), percent(100 * r.measured.zero_fraction), r.lesson ? fixed4(*r.lesson) : "",
               r.lesson_percentile ? percent(*r.lesson_percentile) : ""});
  }
  return t.render("   ");
}

std::string cell(const SampleSummary& s) {
  return fmt::format("{} [{}, {}]", sci(s.median), sci(s.p5), sci(s.p95));
}

// The median of `skip` in the skip-connection table (section 2); NaN when the table lacks it.
double skip_median(const LessonStudy& study, SkipConnection skip) {
  for (const GradientNormResult& r : study.skip_connections)
    if (r.skip == skip) return r.measured.median;
  return std::nan("");
}

// Section 2's measured sentence: each skip's median as a multiple of no skip's.
std::string skip_sentence(const LessonStudy& study) {
  const double base = skip_median(study, SkipConnection::none);
  std::string out = "   Measured: the median is";
  for (SkipConnection skip : {SkipConnection::residual, SkipConnection::concat}) {
    out += fmt::format("{} {:.2f}x no skip's with {}", skip == SkipConnection::residual ? "" : ",",
                       skip_median(study, skip) / base, skip_connection_label(skip));
  }
  return out + ".\n";
}

// The factor by which the grid's median changes per added layer between its shallowest and deepest
// rows for `activation` and `skip`: (m_deep / m_shallow)^(1 / (d_deep - d_shallow)); NaN with fewer
// than two depths or a zero median.
double per_layer_factor(const LessonStudy& study, const std::string& activation, SkipConnection skip) {
  const GradientNormResult *shallow = nullptr, *deep = nullptr;
  for (const GradientNormResult& r : study.depth_grid) {
    if (r.activation != activation || r.skip != skip) continue;
    if (!shallow || r.depth < shallow->depth) shallow = &r;
    if (!deep || r.depth > deep->depth) deep = &r;
  }
  if (!shallow || shallow == deep || shallow->measured.median <= 0 || deep->measured.median <= 0)
    return std::nan("");
  return std::pow(deep->measured.median / shallow->measured.median, 1.0 / (deep->depth - shallow->depth));
}

// Section 3's measured sentences: per activation, the per-layer factor of each skip kind, and
// whether the norm grows or shrinks with depth (by more than 1% per layer).
std::string depth_sentences(const LessonStudy& study) {
  std::string out;
  for (const std::string& activation : study.options.activations) {
    out += fmt::format("   Measured, {}: per added layer the median changes by", activation);
    for (SkipConnection skip : kSkipConnections) {
      const double f = per_layer_factor(study, activation, skip);
      out += fmt::format("{} x{:.3g} with {} ({})", skip == SkipConnection::none ? "" : ",", f,
                         skip_connection_label(skip),
                         std::isnan(f) ? "not measured" : (f < 0.99 ? "shrinks" : (f > 1.01 ? "grows" : "level within 1%")));
    }
    out += ".\n";
  }
  return out;
}

std::string grid_table(const LessonStudy& study) {
  std::vector<Column> columns{{"activation"}, {"depth", Align::right}};
  for (SkipConnection skip : kSkipConnections) {
    columns.push_back({std::string(skip_connection_label(skip))});
  }
  TextTable t(std::move(columns));
  const auto& rows = study.depth_grid;
  const std::size_t per_row = std::size(kSkipConnections);
  for (std::size_t i = 0; i + per_row <= rows.size(); i += per_row) {
    std::vector<std::string> cells{rows[i].activation, std::to_string(rows[i].depth)};
    for (std::size_t k = 0; k < per_row; ++k) cells.push_back(cell(rows[i + k].measured));
    t.add_row(std::move(cells));
  }
  return t.render("   ");
}

std::string norm_label(SkipNormalization n) {
  switch (n) {
    case SkipNormalization::none: return "no norm";
    case SkipNormalization::batch: return "batch norm";
    case SkipNormalization::layer: return "layer norm";
    case SkipNormalization::group: return "group norm";
    case SkipNormalization::instance: return "instance norm";
  }
  return "";
}

// Median input-gradient norm, and in parentheses the median ratio of layer 1's gradient norm to the
// last layer's: how much of the gradient survives the trip back through the stack.
std::string norm_cell(const NormalizationCell& c) {
  return fmt::format("{:.1e} ({:.0e})", c.input_grad_norm.median, c.first_to_last.median);
}

// One row per run of norms.size() consecutive cells (which differ only in their normalization):
// the row's leading cells, then norm_cell() of each.
std::string normalization_table(const std::vector<NormalizationCell>& cells, const std::vector<SkipNormalization>& norms,
                                std::vector<Column> leading,
                                const std::function<std::vector<std::string>(const NormalizationCell&)>& row_label) {
  std::vector<Column> columns = std::move(leading);
  for (SkipNormalization n : norms) columns.push_back({norm_label(n), Align::right});
  TextTable t(std::move(columns));
  for (std::size_t i = 0; i + norms.size() <= cells.size(); i += norms.size()) {
    std::vector<std::string> row = row_label(cells[i]);
    for (std::size_t k = 0; k < norms.size(); ++k) row.push_back(norm_cell(cells[i + k]));
    t.add_row(std::move(row));
  }
  return t.render("   ");
}

// The reading of a first/last ratio over `depth` Dense layers: the verdict of instrument/flow_summary.h
// for the squared gain it implies (verdict_of_gain, FlowThresholds' defaults).
const char* ratio_reading(double ratio, int depth) {
  if (std::isnan(ratio) || std::isinf(ratio)) return flow_verdict_name(FlowVerdict::nonfinite);
  if (ratio == 0) return flow_verdict_name(FlowVerdict::zero);
  return flow_verdict_name(verdict_of_gain(squared_gain_of_ratio(ratio, depth - 1), depth));
}

// Section 4's measured lines: for each activation and initializer at the deepest depth, each
// normalization's median layer 1 / last ratio with its reading, and the output's spread across the
// examples of the batch (0: every example gets the same output, the forward signal has collapsed).
std::string normalization_sentences(const NormalizationStudy& study) {
  int deepest = 0;
  for (const NormalizationCell& c : study.cells) deepest = std::max(deepest, c.depth);
  std::string out = fmt::format("   Measured at depth {} (layer 1 / last layer, reading; output std across examples):\n", deepest);
  std::string row_key;
  for (const NormalizationCell& c : study.cells) {
    if (c.depth != deepest) continue;
    const std::string key = c.activation + "/" + c.initializer;
    if (key != row_key) {
      out += (row_key.empty() ? "" : "\n") + fmt::format("   {:<22}", key);
      row_key = key;
    } else {
      out += ";";
    }
    out += fmt::format(" {} {:.0e} {}, {}", norm_label(c.normalization), c.first_to_last.median,
                       ratio_reading(c.first_to_last.median, c.depth), sci(c.output_std_across_examples));
  }
  return out + "\n";
}

std::string depth_table(const NormalizationStudy& study) {
  return normalization_table(study.cells, study.options.normalizations,
                             {{"activation"}, {"init"}, {"depth", Align::right}}, [](const NormalizationCell& c) {
                               return std::vector<std::string>{c.activation, c.initializer, std::to_string(c.depth)};
                             });
}

std::string instance_table(const NormalizationStudy& study) {
  const NormalizationStudyOptions& o = study.options;
  return normalization_table(
      study.instance_cells, {std::begin(kSkipNormalizations), std::end(kSkipNormalizations)},
      {{"activation"}, {"input"}}, [&o](const NormalizationCell& c) {
        return std::vector<std::string>{
            c.activation, c.steps == 0 ? fmt::format("[{}, 128] vectors", o.batch)
                                       : fmt::format("[{}, {}, 128] sequences", o.sequence_batch, c.steps)};
      });
}

std::string range_label(const InputRange& r) { return fmt::format("U[{}, {})", r.low, r.high); }

std::string input_normalization_table(const NormalizationStudy& study) {
  TextTable t({{"activation"}, {"input"}, {"in front"}, {"|d mean / d input|", Align::right},
               {"layer 1 / layer 4", Align::right}, {"output std over examples", Align::right}});
  for (const InputNormalizationRow& r : study.input_normalization) {
    t.add_row({r.activation, range_label(r.input), r.adapted ? "Normalization" : "-", sci(r.input_grad_norm.median),
               sci(r.first_to_last.median), sci(r.output_std_across_examples)});
  }
  return t.render("   ");
}

std::string modes_table(const BatchNormModes& m) {
  TextTable t({{"batch norm uses"}, {"|d mean / d input|", Align::right}, {"output std over batch", Align::right}});
  t.add_row({"batch statistics (training)", fmt::format("{:.3e}", m.training_input_grad_norm),
             fmt::format("{:.3e}", m.training_output_std)});
  t.add_row({"moving statistics (inference)", fmt::format("{:.3e}", m.inference_input_grad_norm),
             fmt::format("{:.3e}", m.inference_output_std)});
  return t.render("   ") + fmt::format("   largest |training output - inference output|: {:.3e}\n", m.max_output_difference);
}

std::string small_batch_table(const NormalizationStudy& study) {
  TextTable t({{"batch", Align::right}, {"normalization"}, {"|d mean / d input| median", Align::right},
               {"all zero", Align::right}, {"output std over examples", Align::right}});
  for (const SmallBatchRow& r : study.small_batches) {
    t.add_row({std::to_string(r.batch), norm_label(r.normalization), fmt::format("{:.3e}", r.input_grad_norm.median),
               fmt::format("{:.0f}%", 100 * r.input_grad_norm.zero_fraction),
               r.batch < 2 ? "-" : fmt::format("{:.3e}", r.output_std_across_examples)});
  }
  return t.render("   ");
}

}  // namespace

std::string lesson_text(const LessonStudy& study) {
  const LessonStudyOptions& o = study.options;
  std::string out = fmt::format(
      "gradlab lesson: vanishing and exploding gradients, the lesson's cells over many seeds\n"
      "seed {}, {} trials per row (depth grid: {} per cell), {}\n\n",
      o.seed, o.trials, o.grid_trials, dtype_name(o.dtype));

  out +=
      "1. Variance of a freshly built Dense kernel (In [15], In [16]); Dense(out) called on a [32, in] input\n"
      "   U[-limit, limit] has variance limit^2/3: He-uniform 2/in, Glorot-uniform 2/(in + out). Glorot & Bengio\n"
      "   (2010) derived 2/(in + out) to keep signals from shrinking in units with slope 1 at 0 (tanh); relu\n"
      "   zeroes half of each layer's signal, so with Glorot's variance a relu stack loses a factor of 2 in\n"
      "   variance (sqrt(2) in norm) per layer, which He et al. (2015) made up with 2/in. The vanishing of\n"
      "   the relu/glorot rows below comes from that initializer, not from relu itself.\n\n";
  out += kernel_table(study);

  out += fmt::format(
      "\n2. Input-gradient norm ||d mean(output) / d input||_2 of 4 x Dense(32, relu), input U[0,1) [32, 128]\n"
      "   (In [192]-[194]; glorot_uniform kernels, zero biases; {} trials each). The lesson: skip connections\n"
      "   allow \"gradients to flow more directly from the output layer to the earlier layers\". Its residual\n"
      "   is a sum-skip, layer_k(l[k-1] + l[k-2]), with no identity path (not He et al. 2016's x + F(x)).\n",
      o.trials);
  out += skip_sentence(study) + "\n";
  out += skip_table(study);

  out += fmt::format(
      "\n3. The same norm as the networks grow deeper ({} kernels): median [5th, 95th percentile] over {} trials per cell\n"
      "   The lesson: backpropagation multiplies the gradient by each layer's weights and by its activation's\n"
      "   derivative (sigmoid's is at most 1/4), so small weights downscale it layer after layer and large\n"
      "   ones scale it up. The lesson's residual and concat skips shorten the path back to the input 2x and 3x.\n",
      o.grid_initializer, o.grid_trials);
  out += depth_sentences(study) + "\n";
  out += grid_table(study);

  out +=
      "\n   limit, theory: the initializer's bound and variance limit^2/3. lesson: the figure the lesson\n"
      "   printed for its single run; lesson at: the percentile of our trials where it falls (50% = typical).\n"
      "   all zero (and a grid value of 0): no gradient reached the input (every path blocked by inactive\n"
      "   ReLUs, or underflow); inf: it overflowed. Residual: layer k sees l[k-1] + l[k-2]; concat skip:\n"
      "   concat of l[k-1], l[k-2], l[k-3] (the input counts as l[0]).\n";

  const NormalizationStudy& n = study.normalization;
  const std::string recurrent = study.recurrent ? recurrent_study_text(*study.recurrent, "9.") : std::string();
  if (n.cells.empty()) return out + recurrent;
  out += fmt::format(
      "\n4. Normalization at depth: median ||d mean(output) / d input||_2 over {} trials, and in parentheses\n"
      "   layer 1's gradient norm over the last layer's (1 = nothing lost on the way back). Blocks are\n"
      "   Dense({}, linear) -> normalization -> activation, in training mode. Normalizing every layer's\n"
      "   pre-activations changes how the gradient scales with depth: compare the columns of a row. Yang et\n"
      "   al. (2019, A Mean Field Theory of Batch Normalization) show that batch norm makes gradients grow\n"
      "   with depth in deep relu stacks. A deep stack without normalization can also lose its forward\n"
      "   signal: when the output's spread across examples falls toward 0, every example gets the same output\n"
      "   (the ordered phase: Poole et al. 2016, Schoenholz et al. 2017). Readings: gradlab probe's verdict\n"
      "   for the squared norm's gain per layer g = ratio^(2 / (depth - 1)): vanishing (g < 1) or exploding\n"
      "   (g > 1) when the depth exceeds {:g} xi = {:g} / |ln g| (Schoenholz et al. 2017).\n\n",
      n.options.trials, n.options.width, FlowThresholds{}.trainable_depth_scales, FlowThresholds{}.trainable_depth_scales);
  out += depth_table(n);
  out += "\n" + normalization_sentences(n);
  out += fmt::format(
      "\n5. Batch norm behaves differently in training and in inference (same batch of {}, same weights,\n"
      "   depth {}, relu, he_uniform): with batch statistics it normalizes; with its fresh moving\n"
      "   statistics (mean 0, variance 1) it barely rescales, so the network computes another function.\n\n",
      n.options.batch, 16);
  out += modes_table(n.batch_norm_modes);
  out +=
      "\n6. Batch norm needs a batch: with 1 example every unit normalizes to beta (0), so the output\n"
      "   ignores the input and no gradient reaches it; with 2, every unit is +-1 and the gradient is\n"
      "   erratic. Layer norm normalizes each example over its own units and does not care (depth 16,\n"
      "   relu, he_uniform, training mode).\n\n";
  out += small_batch_table(n);
  out += fmt::format(
      "\n7. Input normalization: the lesson's 4 x Dense({}) stacks (glorot_uniform) fed inputs far from zero\n"
      "   mean and unit scale, raw or through a Normalization adapted on 1024 other draws of the same\n"
      "   distribution (medians over {} trials). Saturating activations need it: inputs in the hundreds drive\n"
      "   tanh and sigmoid units to their flat ends, and layer 1 passes back little of the gradient (compare\n"
      "   layer 1 / layer 4 down a column). Relu stacks with zero biases scale with their input: the\n"
      "   gradient does not change, the activations grow 255 times. With Normalization in front,\n"
      "   |d mean / d input| is the gradient with respect to the raw input, divided by the input's standard\n"
      "   deviation (74 for U[0, 255)) on the way through; layer 1 / layer 4 is free of those units.\n\n",
      n.options.width, n.options.trials);
  out += input_normalization_table(n);
  out += fmt::format(
      "\n8. Instance normalization normalizes each unit of each example over the positions of a sequence\n"
      "   (or an image). On the vectors of tables 4 to 6 each unit has one value, which normalizes to beta\n"
      "   (0): the output ignores the input and no gradient reaches it (0). On sequences of {} positions it\n"
      "   works like batch norm with the positions as the batch, and keeps deep sigmoid stacks alive\n"
      "   (depth 16, glorot_uniform; median input-gradient norm (layer 1 / layer 16), {} trials).\n\n",
      n.options.steps, n.options.trials);
  out += instance_table(n);
  return out + recurrent;
}

}  // namespace gradlab::cli
