// report_units: the units' costs, running one, and sharing them across the team with run_team_work
// (sweep_team.h), whose engine also carries `gradlab sweep`.
#include "report_units.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "gradlab/lab/recurrent_depth_study.h"
#include "gradlab/lab/sweep_shares.h"
#include "gradlab/tensor/rng.h"
#include "interrupt.h"
#include "report_archive.h"
#include "sweep_team.h"
#include "team.h"

namespace gradlab::cli {
namespace {

// CPU seconds per modelled multiply-add of each kind of unit, and the edge section's fixed work (the
// mean-field theory's critical lines and initializer rows, and dynamical isometry's spectra), fitted
// to units timed one by one on the 2-core Zen 3 development machine (docs/distributed.md): the
// multiply-add models rank units of one kind well, but a training step, a recurrent probe and a
// Dense probe turn multiply-adds into seconds at rates 30 times apart.
constexpr double kCellSecondsPerMac = 0.16e-9;
constexpr double kLessonSecondsPerMac = 0.30e-9;
constexpr double kEdgeSecondsPerMac = 1.0e-9;
constexpr double kEdgeFixedSeconds = 2.5;
constexpr double kTrainingSecondsPerMac = 0.039e-9;
constexpr double kTrainabilitySecondsPerMac = 0.19e-9;
constexpr double kAddingSecondsPerMac = 0.03e-9;

// The arms of run_lesson_training (lab/lesson_training.cc), for its cost only.
constexpr double kLessonArms = 9;
// The lesson's three 4-layer networks (plain, residual, concat) and the adding problem's three cells.
constexpr double kLessonNetworks = 3;
constexpr double kAddingCells = 3;

double cell_cost(const RemedyConfig& config, int depth, const ReportStudyOptions& o) {
  // A model's variants cost the same as each other, so they are priced as the default network.
  SweepConfig c;
  if (!o.model) c.network = {.skip = config.skip, .depth = depth, .activation = config.activation, .normalization = config.normalization};
  // The dead-unit batches are forward passes only, about a third of a probed pass each.
  return kCellSecondsPerMac * (o.trials + o.dead_unit_batches / 3.0) * expected_cost(c);
}

double recurrent_cost(RecurrentCell cell, int layers, int64_t time_steps, int64_t units, int64_t batch, DType dtype) {
  SweepConfig c;
  c.recurrent = RecurrentNetworkOptions{.cell = cell, .layers = layers, .units = units, .time_steps = time_steps, .batch = batch, .dtype = dtype};
  return expected_cost(c);
}

double lesson_cost(const ReportStudyOptions& o) {
  double cost = o.lesson_trials * kLessonNetworks * expected_cost(SweepConfig{});
  if (o.recurrent_trials == 0) return kLessonSecondsPerMac * cost;
  // RecurrentDepthStudy: each case over the time axis (one layer) and over its layers.
  const RecurrentDepthStudyOptions r{.time_steps = o.recurrent_time_steps, .trials = o.recurrent_trials};
  for (const RecurrentDepthCase& c : recurrent_depth_cases()) {
    for (const int64_t t : r.time_steps) cost += r.trials * recurrent_cost(c.cell, 1, t, r.units, r.batch, r.dtype);
    for (const int layers : r.layers) cost += r.trials * recurrent_cost(c.cell, layers, r.layers_time_steps, r.units, r.batch, r.dtype);
  }
  return kLessonSecondsPerMac * cost;
}

double edge_cost(const EdgeOfChaosOptions& o) {
  SweepConfig c;
  c.network = {.depth = o.depth, .units = o.width, .batch = o.batch};
  return kEdgeFixedSeconds + kEdgeSecondsPerMac * static_cast<double>(o.activations.size()) * o.grid.sigma_w2_points *
                                 o.grid.sigma_b2_points * expected_cost(c);
}

double training_run_cost(const LessonTrainingOptions& o) {
  SweepConfig c;
  c.network = {.depth = static_cast<int>(o.depth), .units = o.width};
  const int64_t steps = o.epochs * ((o.train_examples + o.batch_size - 1) / o.batch_size);
  c.training = std::make_shared<const TrainabilityTask>(TrainabilityTask{.settings = {
      .steps = steps, .train_examples = o.train_examples, .test_examples = o.test_examples, .batch_size = o.batch_size}});
  return kTrainingSecondsPerMac * training_cost(c);
}

double trainability_cost(const TrainabilityStudyOptions& o, const std::shared_ptr<const DataSplits>& data) {
  double cost = 0;
  const auto task = std::make_shared<const TrainabilityTask>(TrainabilityTask{.settings = o.training, .data = data});
  for (const SweepConfig& c : expand_grid(trainability_grid(o, task))) cost += expected_cost(c);
  return kTrainabilitySecondsPerMac * cost;
}

// A training run of the adding problem: epochs x examples sequences forward and back (about three
// forward passes), for each cell at each T, and the exploding SimpleRNN with and without clipping.
double adding_cost(const AddingStudyOptions& o) {
  const int64_t sequences = o.epochs * o.train_examples;
  double per_seed = 0;
  for (const int64_t t : o.time_steps) {
    per_seed += kAddingCells * 3 * recurrent_cost(RecurrentCell::lstm, 1, t, o.units, sequences, DType::float32);
  }
  per_seed += 2 * 3 * recurrent_cost(RecurrentCell::simple_rnn, 1, o.exploding_time_steps, o.units, sequences, DType::float32);
  return kAddingSecondsPerMac * static_cast<double>(o.seeds) * per_seed;
}

// The convolutional study: its probes (forward and backward, about three times the forward's
// multiply-adds, over every arm, depth, seed and image) and its training runs. The rate is the one
// measured for the section before float32 convolutions moved to oneDNN (62 s of CPU at the
// defaults, docs/report.md), so it overstates the section's share now; only ratios split units.
constexpr double kConvSecondsPerMac = 0.18e-9;

double conv_cost(const ConvStudyOptions& o) {
  const double arms = static_cast<double>(o.skips.size() * o.normalizations.size());
  const double per_image_per_block = 28.0 * 28.0 * static_cast<double>(o.filters * o.filters) * 9.0;
  double blocks = 0;
  for (const int depth : o.depths) blocks += depth;
  const double probes = arms * blocks * o.seeds * static_cast<double>(o.batch) * per_image_per_block;
  const double training = arms * o.training_seeds * static_cast<double>(o.training_steps * o.training_batch) *
                          o.training_depth * per_image_per_block;
  return kConvSecondsPerMac * 3 * (probes + training);
}

std::function<void(int64_t, int64_t)> counting_stop(const std::function<bool()>& stop, const char* what) {
  return [&stop, what](int64_t, int64_t) {
    if (stop()) throw Interrupted(fmt::format("report stopped during {}; nothing written", what));
  };
}

// A message: the unit's index, then its result's bytes.
std::string message(std::size_t index, std::string result) {
  Archive a;
  uint64_t i = index;
  a(i, result);
  return a.bytes();
}

}  // namespace

std::vector<ReportUnit> report_units(const ReportWork& work) {
  std::vector<ReportUnit> units;
  units.push_back({.kind = ReportUnitKind::lesson, .cost = lesson_cost(work.study)});
  for (const auto& [config, depth] : report_cells(work.study)) {
    units.push_back({.kind = ReportUnitKind::cell, .config = config, .depth = depth, .cost = cell_cost(config, depth, work.study)});
  }
  if (work.edge) units.push_back({.kind = ReportUnitKind::edge, .cost = edge_cost(*work.edge)});
  if (work.training) {
    units.push_back({.kind = ReportUnitKind::training, .cost = kLessonArms * static_cast<double>(work.training->seeds) * training_run_cost(*work.training)});
  }
  if (work.trainability) {
    units.push_back({.kind = ReportUnitKind::trainability, .cost = trainability_cost(*work.trainability, work.trainability_data)});
  }
  if (work.adding) units.push_back({.kind = ReportUnitKind::adding, .cost = adding_cost(*work.adding)});
  if (work.conv) units.push_back({.kind = ReportUnitKind::conv, .cost = conv_cost(*work.conv)});
  return units;
}

std::string run_report_unit(const ReportWork& work, const ReportUnit& unit, const std::function<bool()>& stop) {
  // Every thread's default generator starts as Rng(0) (tensor/rng.h); a unit that draws from it
  // without seeding it first must not see what the units before it on this thread drew.
  set_seed(0);
  if (stop()) throw Interrupted("report stopped; nothing written");
  switch (unit.kind) {
    case ReportUnitKind::lesson: return to_archive(run_report_lesson(work.study));
    case ReportUnitKind::cell: return to_archive(measure_report_cell(unit.config, unit.depth, work.study));
    case ReportUnitKind::edge: {
      std::pair<EdgeOfChaos, DynamicalIsometry> edge{run_edge_of_chaos(*work.edge, counting_stop(stop, "the edge-of-chaos phase diagram")),
                                                     run_dynamical_isometry({.seed = work.edge->seed})};
      return to_archive(edge);
    }
    case ReportUnitKind::training:
      return to_archive(run_lesson_training(*work.training_data, *work.training, [&](const StudyProgress& p) {
        if (stop()) throw Interrupted(fmt::format("report stopped while training '{}'; nothing written", p.run));
      }));
    case ReportUnitKind::trainability:
      return to_archive(run_trainability_study(*work.trainability, work.trainability_data, counting_stop(stop, "the trainability grid")));
    case ReportUnitKind::adding:
      return to_archive(run_adding_study(*work.adding, [&](const StudyProgress& p) {
        if (stop()) throw Interrupted(fmt::format("report stopped while training '{}'; nothing written", p.run));
      }));
    case ReportUnitKind::conv:
      return to_archive(run_conv_study(*work.conv, work.conv_images.get(), [&](const ConvStudyProgress& p) {
        if (stop()) throw Interrupted(fmt::format("report stopped in the convolutional {}; nothing written", p.stage));
      }));
  }
  throw Error("report: a unit of an unknown kind");
}

std::optional<ReportResults> run_report_work(const ReportWork& work, const std::function<void(int64_t, int64_t)>& progress) {
  const std::vector<ReportUnit> units = report_units(work);
  std::vector<double> costs;
  for (const ReportUnit& u : units) costs.push_back(u.cost);
  const std::vector<std::size_t> mine = split_costs(costs, team().size())[static_cast<std::size_t>(team().rank())];

  std::vector<std::optional<std::string>> results(units.size());
  int64_t done = 0;
  run_team_work(
      [&](const std::function<void(std::string)>& deliver, const std::function<bool()>& stop) {
        for (const std::size_t i : mine) {
          if (stop()) return;
          deliver(message(i, run_report_unit(work, units[i], stop)));
        }
      },
      [&](const std::string& text) {
        Archive a(text, "a report unit's result");
        uint64_t i = 0;
        std::string bytes;
        a(i, bytes);
        a.finish();
        if (i >= units.size() || results[i]) throw Error(fmt::format("report: a rank sent unit {} of {} twice or out of range", i, units.size()));
        results[i] = std::move(bytes);
        if (progress) progress(++done, static_cast<int64_t>(units.size()));
      });
  if (team().rank() != 0) return std::nullopt;

  const int64_t missing = std::count(results.begin(), results.end(), std::nullopt);
  if (missing > 0) {
    if (interrupt_requested()) {
      throw Interrupted(fmt::format("report stopped after {} of {} units; nothing written", done, units.size()));
    }
    throw Error(fmt::format("report: {} of {} units never arrived (a rank stopped answering); nothing written", missing, units.size()));
  }
  ReportResults r{.study = {.options = with_sorted_depths(work.study)}};
  for (std::size_t i = 0; i < units.size(); ++i) {
    const std::string& bytes = *results[i];
    switch (units[i].kind) {
      case ReportUnitKind::lesson: r.study.lesson = from_archive<LessonStudy>(bytes, "the lesson's tables"); break;
      case ReportUnitKind::cell: r.study.cells.push_back(from_archive<RemedyCell>(bytes, "a depth-sweep cell")); break;
      case ReportUnitKind::edge: {
        auto edge = from_archive<std::pair<EdgeOfChaos, DynamicalIsometry>>(bytes, "the edge-of-chaos section");
        r.edge = std::move(edge.first);
        r.isometry = std::move(edge.second);
        break;
      }
      case ReportUnitKind::training: r.training = from_archive<LessonTrainingResult>(bytes, "the training section"); break;
      case ReportUnitKind::trainability: r.trainability = from_archive<TrainabilityStudy>(bytes, "the trainability section"); break;
      case ReportUnitKind::adding: r.adding = from_archive<AddingStudyResult>(bytes, "the adding problem"); break;
      case ReportUnitKind::conv: r.conv = from_archive<ConvStudy>(bytes, "the convolutional section"); break;
    }
  }
  return r;
}

}  // namespace gradlab::cli
