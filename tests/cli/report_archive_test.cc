// report_archive: a unit's result read back is the result written, bit for bit (NaN, infinities and
// -0 included), so rank 0 builds the same page from another rank's results as from its own; and
// bytes that are not a whole result are an Error, never a crash or a huge allocation.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "html_report.h"
#include "report_archive.h"
#include "report_conv.h"
#include "report_study.h"
#include "report_units.h"

namespace gradlab {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }

cli::ReportStudyOptions small_study() {
  cli::ReportStudyOptions o{.trials = 2, .depths = {3}, .lesson_trials = 2, .recurrent_trials = 1,
                            .recurrent_time_steps = {4, 8}};
  o.initializers = {"he_uniform"};
  o.activations = {"relu"};
  o.skips = {SkipConnection::residual};
  o.normalizations = {SkipNormalization::batch};
  return o;
}

TEST(ReportArchive, NumbersComeBackBitForBit) {
  // A payload NaN, both infinities, -0, the smallest subnormal and the extremes of the integers.
  const double payload_nan = std::bit_cast<double>(uint64_t{0x7ff8'0000'0000'1234});
  std::vector<double> doubles = {payload_nan, kInf, -kInf, -0.0, std::numeric_limits<double>::denorm_min(), 0.1};
  std::vector<int64_t> ints = {std::numeric_limits<int64_t>::min(), -1, std::numeric_limits<int64_t>::max()};
  std::optional<double> none, some = -kInf;
  std::string text("a\0b\n", 4);
  cli::Archive out;
  out(doubles, ints, none, some, text);
  std::vector<double> d;
  std::vector<int64_t> i;
  std::optional<double> n = 1.0, s;
  std::string t = "old";
  cli::Archive in(out.bytes(), "the test's values");
  in(d, i, n, s, t);
  in.finish();
  ASSERT_EQ(d.size(), doubles.size());
  for (std::size_t k = 0; k < d.size(); ++k) EXPECT_EQ(bits(d[k]), bits(doubles[k])) << k;
  EXPECT_EQ(i, ints);
  EXPECT_FALSE(n.has_value());
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, -kInf);
  EXPECT_EQ(t, text);
}

TEST(ReportArchive, AMeasuredCellComesBackAndDrawsTheSamePage) {
  const cli::ReportStudyOptions o = small_study();
  const auto cells = cli::report_cells(o);
  ASSERT_EQ(cells.size(), 1u);
  cli::RemedyCell cell = cli::measure_report_cell(cells[0].first, cells[0].second, o);
  // What a blown-up pass records, so the trip is tested on it too.
  cell.first.pass.layers.front().output.mean = std::nan("");
  cell.first.pass.layers.front().input_grad = GradientStats{.count = 3, .l2_norm = kInf, .max_abs = kInf, .nonfinite_count = 1};
  cell.first.pass.anomaly = Anomaly{.phase = PassPhase::backward, .layer = "dense_2", .op = "matmul", .first_value = -kInf};
  cell.first.summary.layer_gains.push_back(std::nan(""));

  const std::string bytes = cli::to_archive(cell);
  const cli::RemedyCell back = cli::from_archive<cli::RemedyCell>(bytes, "a cell");
  EXPECT_EQ(cli::to_archive(back), bytes);
  EXPECT_EQ(back.config.skip, SkipConnection::residual);
  EXPECT_EQ(back.first.label, cell.first.label);
  EXPECT_EQ(bits(back.input_grad_median), bits(cell.input_grad_median));
  EXPECT_TRUE(std::isnan(back.first.pass.layers.front().output.mean));
  ASSERT_TRUE(back.first.pass.anomaly.has_value());
  EXPECT_EQ(back.first.pass.anomaly->layer, "dense_2");
  EXPECT_EQ(back.first.pass.layers.size(), cell.first.pass.layers.size());

  cli::ReportStudy here{.options = o}, there{.options = o};
  here.cells = {cell};
  there.cells = {back};
  cli::HtmlReport a("t"), b("t");
  cli::add_depth_section(a, here);
  cli::add_depth_section(b, there);
  EXPECT_EQ(a.render(), b.render());
  EXPECT_EQ(cli::report_json(here, "x.html").dump(), cli::report_json(there, "x.html").dump());
}

TEST(ReportArchive, TheLessonsTablesAndRecurrentSectionComeBack) {
  const LessonStudy lesson = cli::run_report_lesson(small_study());
  ASSERT_TRUE(lesson.recurrent.has_value());
  const std::string bytes = cli::to_archive(lesson);
  const LessonStudy back = cli::from_archive<LessonStudy>(bytes, "the lesson");
  EXPECT_EQ(cli::to_archive(back), bytes);
  ASSERT_TRUE(back.recurrent.has_value());
  EXPECT_EQ(back.recurrent->cases.size(), lesson.recurrent->cases.size());
  EXPECT_EQ(back.recurrent->heatmap.layers.size(), lesson.recurrent->heatmap.layers.size());
  cli::HtmlReport a("t"), b("t");
  cli::add_lesson_section(a, lesson);
  cli::add_recurrent_section(a, *lesson.recurrent);
  cli::add_lesson_section(b, back);
  cli::add_recurrent_section(b, *back.recurrent);
  EXPECT_EQ(a.render(), b.render());
}

TEST(ReportArchive, TrainingHistoriesComeBack) {
  AddingStudyResult r;
  r.options.time_steps = {5};
  r.seeds = {7};
  r.chance = {1.0 / 6};
  r.exploding_chance = kInf;
  AddingRun run{.seed = 7, .seconds = 0.25};
  run.history.epochs.push_back({.epoch = 1, .loss = std::nan(""), .val_loss = 0.5, .seconds = 1});
  run.history.samples.push_back({.step = 3, .loss = kInf, .layers = {{.layer = "lstm", .grad_norm = -0.0, .dead_fraction = 0.5}}});
  run.history.stop_reason = StopReason::anomaly;
  run.history.anomaly = Anomaly{.step = 3, .layer = "lstm", .first_value = std::nan("")};
  r.arms.push_back({.name = "lstm", .time_steps = 5, .description = "LSTM(16)", .runs = {run}});
  const std::string bytes = cli::to_archive(r);
  const AddingStudyResult back = cli::from_archive<AddingStudyResult>(bytes, "the adding problem");
  EXPECT_EQ(cli::to_archive(back), bytes);
  ASSERT_EQ(back.arms.size(), 1u);
  const History& h = back.arms[0].runs[0].history;
  EXPECT_TRUE(std::isnan(h.epochs[0].loss));
  EXPECT_EQ(h.epochs[0].val_loss, 0.5);
  EXPECT_FALSE(h.epochs[0].accuracy.has_value());
  EXPECT_EQ(bits(h.samples[0].layers[0].grad_norm), bits(-0.0));
  EXPECT_EQ(h.stop_reason, StopReason::anomaly);
  EXPECT_EQ(back.exploding_chance, kInf);
}

TEST(ReportArchive, TheConvolutionalStudyComesBackAndDrawsTheSamePage) {
  ConvStudyOptions o{.depths = {2, 3}, .filters = 4, .groups = 2, .batch = 4, .seeds = 1, .training_depth = 0};
  o.normalizations = {SkipNormalization::none, SkipNormalization::instance};
  ConvStudy study = run_conv_study(o);  // drawn images, no training
  study.training.push_back({.arm = {.skip = SkipConnection::identity},
                            .runs = {{.seed = 3, .losses = {2.3, std::nan("")}, .sample_steps = {0},
                                      .first_layer_grad_norms = {-0.0}, .stopped_by_anomaly = true, .stopped_at = 1}}});
  const std::string bytes = cli::to_archive(study);
  const ConvStudy back = cli::from_archive<ConvStudy>(bytes, "the convolutional section");
  EXPECT_EQ(cli::to_archive(back), bytes);
  ASSERT_EQ(back.cells.size(), study.cells.size());
  EXPECT_EQ(back.cells[3].arm.normalization, SkipNormalization::instance);
  EXPECT_EQ(bits(back.training[0].runs[0].first_layer_grad_norms[0]), bits(-0.0));
  EXPECT_TRUE(std::isnan(back.training[0].runs[0].losses[1]));
  cli::HtmlReport a("a"), b("a");
  study.training.clear();
  ConvStudy back_without_training = back;
  back_without_training.training.clear();
  cli::add_conv_section(a, study);
  cli::add_conv_section(b, back_without_training);
  EXPECT_EQ(a.render(), b.render());
}

TEST(ReportArchive, BytesThatAreNotAWholeResultAreAnError) {
  const LessonStudy lesson = cli::run_report_lesson({.lesson_trials = 2, .recurrent_trials = 0});
  const std::string bytes = cli::to_archive(lesson);
  EXPECT_THROW(cli::from_archive<LessonStudy>(bytes.substr(0, bytes.size() - 1), "short"), Error);
  EXPECT_THROW(cli::from_archive<LessonStudy>(bytes + "x", "long"), Error);
  // A length far beyond the bytes left is refused before anything is allocated.
  std::string huge(8, '\xff');
  EXPECT_THROW(cli::from_archive<std::string>(huge, "huge"), Error);
  EXPECT_THROW(cli::from_archive<std::vector<double>>(huge, "huge"), Error);
}

TEST(ReportUnits, EveryCellAndSectionIsAUnitWithAPositiveCost) {
  cli::ReportWork work{.study = small_study(), .edge = EdgeOfChaosOptions{}};
  work.study.depths = {4, 64};
  const std::vector<cli::ReportUnit> units = cli::report_units(work);
  ASSERT_EQ(units.size(), 4u);  // the lesson, two cells, the edge section
  EXPECT_EQ(units[0].kind, cli::ReportUnitKind::lesson);
  EXPECT_EQ(units[1].kind, cli::ReportUnitKind::cell);
  EXPECT_EQ(units[2].depth, 64);
  EXPECT_EQ(units[2].config.skip, SkipConnection::residual);
  EXPECT_EQ(units[3].kind, cli::ReportUnitKind::edge);
  for (const cli::ReportUnit& u : units) EXPECT_GT(u.cost, 0);
  // A depth-64 cell costs more than a depth-4 one.
  EXPECT_GT(units[2].cost, 3 * units[1].cost);

  // The convolutional section is one more unit, its cost growing with its training steps.
  work.conv = ConvStudyOptions{};
  const std::vector<cli::ReportUnit> with_conv = cli::report_units(work);
  ASSERT_EQ(with_conv.size(), 5u);
  EXPECT_EQ(with_conv[4].kind, cli::ReportUnitKind::conv);
  work.conv->training_steps *= 10;
  EXPECT_GT(cli::report_units(work)[4].cost, 2 * with_conv[4].cost);
}

}  // namespace
}  // namespace gradlab
