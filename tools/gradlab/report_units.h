#pragma once
// `gradlab report`'s work as units, shared across the ranks of the team (team.h) as a sweep's
// configurations are: the lesson's tables, each depth-sweep cell, and each of the other sections.
// Each unit has an expected cost in CPU seconds (lab/sweep_shares.h's multiply-add models times a
// rate per kind of unit, measured); every rank takes its
// share of the units by split_costs, runs them, and sends each result (report_archive.h, exact
// bytes) to rank 0, which assembles the same ReportResults a single process computes. A unit's
// seeds come from what it measures (configuration ids and streams), never from the rank or the
// order the units run in, so the page and the summary are the same bytes for any number of ranks.
//
//   const ReportWork work{.study = options, .edge = EdgeOfChaosOptions{}};
//   std::optional<ReportResults> r = run_report_work(work, progress);   // set on rank 0 only
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/lab/adding_study.h"
#include "gradlab/lab/conv_study.h"
#include "gradlab/lab/dynamical_isometry.h"
#include "gradlab/lab/edge_of_chaos.h"
#include "gradlab/lab/lesson_training.h"
#include "gradlab/lab/trainability_study.h"
#include "report_study.h"

namespace gradlab::cli {

/// What `gradlab report` runs: the study's options and, for each section that is on, its options
/// (nullopt: the section is left out). The training sections' data are loaded once, up front, so a
/// missing dataset is bad input before minutes of work.
struct ReportWork {
  ReportStudyOptions study;
  std::optional<EdgeOfChaosOptions> edge;
  std::optional<LessonTrainingOptions> training;
  std::shared_ptr<const DataSplits> training_data;  ///< set with `training`
  std::optional<TrainabilityStudyOptions> trainability;
  std::shared_ptr<const DataSplits> trainability_data;  ///< set with `trainability`
  std::optional<AddingStudyOptions> adding;
  std::optional<ConvStudyOptions> conv;
  std::shared_ptr<const Dataset> conv_images;  ///< set with `conv`
};

/// Everything the report shows, as rank 0 assembles it from the units' results.
struct ReportResults {
  ReportStudy study;
  std::optional<EdgeOfChaos> edge;
  std::optional<DynamicalIsometry> isometry;  ///< set with `edge`
  std::optional<LessonTrainingResult> training;
  std::optional<TrainabilityStudy> trainability;
  std::optional<AddingStudyResult> adding;
  std::optional<ConvStudy> conv;
};

/// What a unit computes.
enum class ReportUnitKind { lesson, cell, edge, training, trainability, adding, conv };

/// One unit of the report's work and its expected cost in CPU seconds of the 2-core Zen 3 development
/// machine (only the ratios matter: they split the units).
struct ReportUnit {
  ReportUnitKind kind = ReportUnitKind::lesson;
  RemedyConfig config;  ///< for a cell: its configuration and depth (report_cells)
  int depth = 0;
  double cost = 0;
};

/// The units of `work` in page order: the lesson, the depth cells, then the sections that are on.
std::vector<ReportUnit> report_units(const ReportWork& work);

/// Runs `unit` and returns its result's bytes (to_archive); `stop()` is checked as it goes and, when
/// true, ends the unit with Interrupted. The thread's default generator is reseeded to 0 first, so a
/// unit draws the same on any thread after any other unit.
std::string run_report_unit(const ReportWork& work, const ReportUnit& unit, const std::function<bool()>& stop);

/// Runs every unit of `work` across team() (see the file comment). On rank 0: calls
/// `progress(done, total)` as units finish (its own and the other ranks') and returns the assembled
/// results; throws Interrupted after Ctrl-C or SIGTERM and Error naming the rank after a failure on
/// any rank, and Error when a rank stopped answering with units missing. Elsewhere: runs its share,
/// sends the results to rank 0 and returns nullopt.
std::optional<ReportResults> run_report_work(const ReportWork& work, const std::function<void(int64_t, int64_t)>& progress);

}  // namespace gradlab::cli
