#include "report_adding.h"

#include <fmt/format.h>

#include <cmath>

#include "interrupt.h"
#include "json_number.h"
#include "lesson_training_claims.h"
#include "progress_bar.h"
#include "report_charts.h"

namespace gradlab::cli {
namespace {

const char* const kCells[] = {"simple_rnn", "lstm", "gru"};

std::string title(std::string_view cell) {
  return cell == "lstm" ? "LSTM" : cell == "gru" ? "GRU" : cell == "simple_rnn" ? "SimpleRNN" : std::string(cell);
}

std::string reading_name(AddingReading reading) {
  switch (reading) {
    case AddingReading::solved: return "solved";
    case AddingReading::learned: return "learned";
    case AddingReading::at_chance: return "at chance";
    case AddingReading::worse: return "worse than chance";
    case AddingReading::mixed: return "mixed";
    case AddingReading::not_measured: return "not measured";
  }
  return "?";
}

// What each reading means, in the words the sentences use.
std::string reading_words(AddingReading reading) {
  switch (reading) {
    case AddingReading::solved: return "solved it (every run below 0.01)";
    case AddingReading::learned: return "learned part of it (every run below half of chance, not all below 0.01)";
    case AddingReading::at_chance: return "stayed at chance (every run within 0.9-1.1 x chance)";
    case AddingReading::worse: return "did worse than chance (every run above 1.1 x chance)";
    case AddingReading::mixed: return "gave mixed results (its runs fall in different bands)";
    case AddingReading::not_measured: return "finished no epoch with a finite loss";
  }
  return "?";
}

CellTone reading_tone(AddingReading reading) {
  switch (reading) {
    case AddingReading::solved:
    case AddingReading::learned: return CellTone::healthy;
    case AddingReading::at_chance: return CellTone::vanishing;
    case AddingReading::worse: return CellTone::exploding;
    case AddingReading::not_measured: return CellTone::exploding;
    case AddingReading::mixed: return CellTone::plain;
  }
  return CellTone::plain;
}

std::string mse_text(const SeedSpread& s) { return spread_text(s, 4); }

const AddingRun* first_run(const AddingArm& arm) { return arm.runs.empty() ? nullptr : &arm.runs.front(); }

void add_chart(HtmlReport& page, const Chart& chart) { page.add_chart(chart.spec, chart.caption); }

}  // namespace

AddingStudyOptions report_adding_options() {
  AddingStudyOptions o;
  o.time_steps = {50, 100, 200};
  o.units = 16;
  o.batch_size = 64;
  o.train_examples = 3200;
  o.test_examples = 512;
  o.epochs = 8;
  return o;
}

void add_adding_options(CLI::App& cmd, AddingReportSettings& s) {
  AddingStudyOptions& o = s.options;
  cmd.add_flag("!--no-adding-problem", s.enabled,
               "Leave out the adding problem (Hochreiter & Schmidhuber 1997: SimpleRNN, LSTM and GRU as T grows, and "
               "an exploding SimpleRNN with and without clipping; about a minute of CPU)");
  cmd.add_option("--adding-time-steps", o.time_steps, "Adding problem: sequence lengths T, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{2}, int64_t{100000}))
      ->capture_default_str();
  cmd.add_option("--adding-units", o.units, "Adding problem: units of each recurrent layer")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd.add_option("--adding-examples", o.train_examples, "Adding problem: generated training examples per T")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  cmd.add_option("--adding-epochs", o.epochs, "Adding problem: epochs of every run")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd.add_option("--adding-seeds", o.seeds, "Adding problem: runs per arm, each with its own seed derived from --seed")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
}

std::optional<AddingStudyResult> run_adding_for_report(const AddingReportSettings& s, uint64_t seed) {
  if (!s.enabled) return std::nullopt;
  AddingStudyOptions o = s.options;
  o.seed = seed;
  std::optional<ProgressBar> bar;
  int bar_run = -1;
  AddingStudyResult r = run_adding_study(o, [&](const StudyProgress& p) {
    if (interrupt_requested()) throw Interrupted(fmt::format("report stopped while training '{}'; nothing written", p.run));
    if (p.run_index != bar_run) {
      if (bar) bar->finish();
      bar.emplace(fmt::format("adding problem {} seed {} ({}/{})", p.run, p.seed_index, p.run_index + 1, p.runs), p.steps);
      bar_run = p.run_index;
    }
    bar->update(p.step);
  });
  if (bar) bar->finish();
  return r;
}

namespace {

// A gap the seeds separate can still be too small to matter: both arms at chance, say. Under 5% of the
// chance MSE, the sentence says so rather than let the ordering read as one cell learning better.
std::string small_gap_words(double gap, double chance) {
  return gap < 0.05 * chance ? fmt::format(", a gap under 5% of chance ({:.3f})", chance) : "";
}

}  // namespace

std::string adding_claim(const AddingStudyResult& r, int64_t t) {
  const double chance = r.chance_at(t);
  std::string text = fmt::format("T = {} (chance {:.3f}):", t, chance);
  for (const char* cell : kCells) {
    const AddingArm& a = r.arm(cell, t);
    const SeedSpread mse = a.test_mse();
    text += fmt::format(" {} {}, test MSE {};", title(cell), reading_words(read_adding(mse, chance)), mse_text(mse));
  }
  const SeedSpread simple = r.arm("simple_rnn", t).test_mse();
  for (const char* cell : {"lstm", "gru"}) {
    const SeedSpread gated = r.arm(cell, t).test_mse();
    switch (read_gap(gated, simple)) {
      case GapReading::below:
        text += fmt::format(" {} {:.4f} below SimpleRNN, every run below every SimpleRNN run{};", title(cell),
                            simple.mean - gated.mean, small_gap_words(simple.mean - gated.mean, chance));
        break;
      case GapReading::above:
        text += fmt::format(" {} {:.4f} above SimpleRNN, every run above every SimpleRNN run{};", title(cell),
                            gated.mean - simple.mean, small_gap_words(gated.mean - simple.mean, chance));
        break;
      case GapReading::overlapping:
        text += fmt::format(" {} and SimpleRNN not distinguishable with these seeds (the ranges overlap);", title(cell));
        break;
      case GapReading::not_measured: break;
    }
  }
  text.back() = '.';
  return text;
}

std::string adding_clipping_claim(const AddingStudyResult& r) {
  const int64_t t = r.options.exploding_time_steps;
  const AddingArm& e = r.arm("exploding", t);
  const AddingArm& c = r.arm("exploding_clipped", t);
  const int64_t stopped = e.runs_stopped_by_anomaly(), clipped_stopped = c.runs_stopped_by_anomaly();
  std::string text = fmt::format("Without clipping the anomaly check stopped {} of {} runs at a NaN or infinity", stopped,
                                 e.runs.size());
  if (const AddingRun* run = first_run(e); run && run->history.anomaly) {
    text += fmt::format(" (seed index 0: {})", run->history.anomaly->describe());
  }
  text += fmt::format("; with global_clipnorm {:g} it stopped {} of {}", r.options.clipnorm, clipped_stopped, c.runs.size());
  const SeedSpread mse = c.test_mse();
  if (mse.count > 0) {
    text += fmt::format(", and the clipped runs ended at test MSE {} against chance {:.3f} ({})", mse_text(mse),
                        r.chance_at(t), reading_name(read_adding(mse, r.chance_at(t))));
  }
  text += fmt::format(". SGD without momentum moves the weights by at most lr x clipnorm = {:g} per clipped step",
                      r.options.exploding_learning_rate * r.options.clipnorm);
  return text;
}

void add_adding_section(HtmlReport& page, const AddingStudyResult& r) {
  const AddingStudyOptions& o = r.options;
  page.add_heading("Training recurrent networks: the adding problem (Hochreiter & Schmidhuber 1997)");
  page.add_paragraph(fmt::format(
      "Each example is T steps of two features, a value drawn from [0, 1) and a marker; one step in each half of the "
      "sequence is marked and the target is the sum of the two marked values, so the network must carry a value across "
      "about T/2 steps. Predicting the mean target scores the targets' variance, 1/12 + 1/12 = 1/6 ~ 0.167: the chance "
      "level (measured on each test set below). Each cell: cell({}) on the last state -> Dense(1), Adam({:g}), MSE loss, "
      "batch {}, {} training and {} test examples per T, {} epochs ({} steps), {} seeds per arm (run i of every arm "
      "shares seed i and its batches); {:.0f} s in all. Readings: solved = every run below 0.01 (issue 17's bar), "
      "learned = every run below half of chance, at chance = every run within 0.9-1.1 x chance. Longer runs at T = 50, "
      "100, 200 and the commands are in docs/training.md.",
      o.units, o.learning_rate, o.batch_size, o.train_examples, o.test_examples, o.epochs,
      o.epochs * ((o.train_examples + o.batch_size - 1) / o.batch_size), r.seeds.size(), r.seconds));
  std::vector<std::vector<TableCell>> rows;
  for (const AddingArm& a : r.arms) {
    const SeedSpread mse = a.test_mse();
    const AddingReading reading = read_adding(mse, r.chance_at(a.time_steps));
    double seconds = 0;
    for (const AddingRun& run : a.runs) seconds += run.seconds;
    const int64_t stopped = a.runs_stopped_by_anomaly();
    rows.push_back({a.name, std::to_string(a.time_steps), a.description, mse_text(mse),
                    fmt::format("{:.3f}", r.chance_at(a.time_steps)), TableCell(reading_name(reading), reading_tone(reading)),
                    stopped ? TableCell(fmt::format("{} of {} runs", stopped, a.runs.size()), CellTone::exploding)
                            : TableCell("none", CellTone::healthy),
                    fmt::format("{:.1f}", seconds)});
  }
  page.add_table({"arm", "T", "model and optimizer", "test MSE", "chance", "reading", "non-finite values", "seconds"}, rows,
                 "test MSE: the last epoch's, mean over the seeds, then the range. chance: the MSE of predicting the "
                 "test targets' mean. non-finite values: runs the anomaly check stopped. seconds: all the arm's runs.");
  std::string claims;
  for (int64_t t : o.time_steps) claims += (claims.empty() ? "" : " ") + adding_claim(r, t);
  page.add_paragraph(claims);
  std::vector<LinePoint> by_t;
  for (const char* cell : kCells) {
    for (int64_t t : o.time_steps) by_t.push_back({title(cell), static_cast<double>(t), r.arm(cell, t).test_mse().mean});
  }
  for (int64_t t : o.time_steps) by_t.push_back({"chance", static_cast<double>(t), r.chance_at(t)});
  add_chart(page, line_chart(by_t, {.x_title = "time steps T",
                                    .y_title = "test MSE (mean over seeds)",
                                    .series_title = "cell",
                                    .log_y = true,
                                    .caption = "Test MSE after the last epoch against T, mean over the seeds (the table "
                                               "gives the ranges); chance is predicting the mean target."}));
  std::vector<LinePoint> curves;
  const int64_t longest = o.time_steps.back();
  for (const char* cell : kCells) {
    if (const AddingRun* run = first_run(r.arm(cell, longest))) {
      for (const TrainingSample& s : run->history.samples) curves.push_back({title(cell), static_cast<double>(s.step), s.loss});
    }
  }
  add_chart(page, line_chart(curves, {.x_title = "step",
                                      .y_title = "training MSE (batch)",
                                      .series_title = "cell",
                                      .log_y = true,
                                      .caption = fmt::format("Learning curves at T = {}: the training MSE of the sampled "
                                                             "steps of each cell's first run (seed index 0).",
                                                             longest)}));

  page.add_heading(fmt::format("An exploding SimpleRNN and gradient clipping (Pascanu et al. 2013), T = {}",
                               o.exploding_time_steps),
                   3);
  page.add_paragraph(fmt::format("{}. One change between the two arms: global_clipnorm {:g} on or off; run i of both "
                                 "starts from the same weights and sees the same batches. {}.",
                                 r.arm("exploding", o.exploding_time_steps).description, o.clipnorm,
                                 adding_clipping_claim(r)));
  std::vector<LinePoint> loss, norm;
  for (const char* name : {"exploding", "exploding_clipped"}) {
    if (const AddingRun* run = first_run(r.arm(name, o.exploding_time_steps))) {
      for (const TrainingSample& s : run->history.samples) {
        loss.push_back({name, static_cast<double>(s.step), s.loss});
        norm.push_back({name, static_cast<double>(s.step), s.global_grad_norm});
      }
    }
  }
  add_chart(page, line_chart(loss, {.x_title = "step",
                                    .y_title = "training MSE (batch)",
                                    .series_title = "arm",
                                    .log_y = true,
                                    .caption = "Training MSE of the sampled steps with and without clipping (seed index "
                                               "0, the same initial weights); a run the anomaly check stopped ends at its "
                                               "last finite step."}));
  add_chart(page, line_chart(norm, {.x_title = "step",
                                    .y_title = "global gradient norm (before clipping)",
                                    .series_title = "arm",
                                    .log_y = true,
                                    .caption = "The global gradient norm each sampled step, measured before clipping "
                                               "(seed index 0)."}));
}

std::string adding_text(const AddingStudyResult& r) {
  std::string text;
  for (const AddingArm& a : r.arms) {
    const SeedSpread mse = a.test_mse();
    text += fmt::format("  {:<18} T={:<5} test MSE {:<40} {}\n", a.name, a.time_steps, mse_text(mse),
                        reading_name(read_adding(mse, r.chance_at(a.time_steps))));
  }
  for (int64_t t : r.options.time_steps) text += "  " + adding_claim(r, t) + "\n";
  text += "  " + adding_clipping_claim(r) + ".\n";
  return text;
}

nlohmann::ordered_json adding_json(const AddingStudyResult& r) {
  const AddingStudyOptions& o = r.options;
  nlohmann::ordered_json json;
  json["time_steps"] = o.time_steps;
  json["chance"] = nlohmann::ordered_json::array();
  for (double c : r.chance) json["chance"].push_back(json_number(c));
  json["units"] = o.units;
  json["train_examples"] = o.train_examples;
  json["test_examples"] = o.test_examples;
  json["epochs"] = o.epochs;
  json["batch_size"] = o.batch_size;
  json["seed"] = o.seed;
  json["seeds"] = r.seeds;
  json["seconds"] = r.seconds;
  json["arms"] = nlohmann::ordered_json::array();
  for (const AddingArm& a : r.arms) {
    const SeedSpread s = a.test_mse();
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (const AddingRun& run : a.runs) {
      runs.push_back({{"seed", run.seed},
                      {"test_mse", json_number(run.final_test_mse())},
                      {"stop_reason", stop_reason_name(run.history.stop_reason)},
                      {"seconds", run.seconds}});
    }
    json["arms"].push_back({{"name", a.name},
                            {"time_steps", a.time_steps},
                            {"description", a.description},
                            {"test_mse",
                             {{"mean", json_number(s.mean)},
                              {"min", json_number(s.min)},
                              {"max", json_number(s.max)},
                              {"count", s.count},
                              {"runs", s.runs}}},
                            {"reading", reading_name(read_adding(s, r.chance_at(a.time_steps)))},
                            {"runs", runs}});
  }
  return json;
}

}  // namespace gradlab::cli
