#include "lesson_text.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

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

}  // namespace

std::string lesson_text(const LessonStudy& study) {
  const LessonStudyOptions& o = study.options;
  std::string out = fmt::format(
      "gradlab lesson: vanishing and exploding gradients, the lesson's cells over many seeds\n"
      "seed {}, {} trials per row (depth grid: {} per cell), {}\n\n",
      o.seed, o.trials, o.grid_trials, dtype_name(o.dtype));

  out +=
      "1. Variance of a freshly built Dense kernel (In [15], In [16]); Dense(out) called on a [32, in] input\n"
      "   U[-limit, limit] has variance limit^2/3: He-uniform 2/in (for relu, which zeroes half the signal),\n"
      "   Glorot-uniform 2/(in + out): variances that keep gradients from shrinking layer by layer.\n\n";
  out += kernel_table(study);

  out += fmt::format(
      "\n2. Input-gradient norm ||d mean(output) / d input||_2 of 4 x Dense(32, relu), input U[0,1) [32, 128]\n"
      "   (In [192]-[194]; glorot_uniform kernels, zero biases; {} trials each). Skip connections give the\n"
      "   gradient shorter paths back to the input, so more of it arrives.\n\n",
      o.trials);
  out += skip_table(study);

  out += fmt::format(
      "\n3. The same norm as the networks grow deeper: median [5th, 95th percentile] over {} trials per cell\n"
      "   Each layer multiplies the gradient by its weights and its activation's slope, so depth shrinks it\n"
      "   geometrically (sigmoid's slope is at most 1/4) or grows it. Residual and concat skips shorten the\n"
      "   path back to the input 2x and 3x; residual sums of relu layers make it explode.\n\n",
      o.grid_trials);
  out += grid_table(study);

  out +=
      "\n   limit, theory: the initializer's bound and variance limit^2/3. lesson: the figure the lesson\n"
      "   printed for its single run; lesson at: the percentile of our trials where it falls (50% = typical).\n"
      "   all zero (and a grid value of 0): no gradient reached the input (every path blocked by inactive\n"
      "   ReLUs, or underflow); inf: it overflowed. Residual: layer k sees l[k-1] + l[k-2]; concat skip:\n"
      "   concat of l[k-1], l[k-2], l[k-3] (the input counts as l[0]).\n";
  return out;
}

}  // namespace gradlab::cli
