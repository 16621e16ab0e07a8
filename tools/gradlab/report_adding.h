#pragma once
// The recurrent part of `gradlab report`'s training section: the adding problem trained with SimpleRNN,
// LSTM and GRU as T grows, and an exploding SimpleRNN with and without gradient clipping
// (gradlab/lab/adding_study.h), as a table, sentences chosen from the measured ranges, and charts.
//
//   AddingReportSettings settings;
//   add_adding_options(*cmd, settings);              // --no-adding-problem, --adding-time-steps, ...
//   AddingStudyResult r = run_adding_study(settings.options);   // report_units.cc, when settings.enabled
//   add_adding_section(page, r);
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "gradlab/lab/adding_study.h"
#include "html_report.h"

namespace gradlab::cli {

/// The report's defaults of the study (docs/report.md gives their cost and how to scale them up):
/// AddingStudyOptions' with T = 50, 100, 200, 16 units, batch 64, 3200 examples x 8 epochs (400 steps).
AddingStudyOptions report_adding_options();

/// The report's settings of the study: whether to run it and its options.
struct AddingReportSettings {
  bool enabled = true;
  AddingStudyOptions options = report_adding_options();
};

/// Registers --no-adding-problem, --adding-time-steps, --adding-units, --adding-examples,
/// --adding-epochs and --adding-seeds on `cmd`.
void add_adding_options(CLI::App& cmd, AddingReportSettings& settings);

/// Adds the section (a level-2 heading, then level-3 headings) to `page`.
void add_adding_section(HtmlReport& page, const AddingStudyResult& result);

/// The terminal summary: one line per T and cell, then the sentences.
std::string adding_text(const AddingStudyResult& result);

/// The study as JSON for `gradlab report --json`: settings, chance per T, then each arm (name, T,
/// description, test MSE's mean/min/max/count/runs, reading, runs with seed, test MSE, stop reason).
nlohmann::ordered_json adding_json(const AddingStudyResult& result);

/// The sentence about the cells at `time_steps`, chosen from each arm's AddingReading and from the
/// gap between LSTM's (and GRU's) range and SimpleRNN's (read_gap).
std::string adding_claim(const AddingStudyResult& result, int64_t time_steps);

/// The sentence about the clipping pair: runs stopped by a NaN or infinity without the clip, the
/// clipped runs' outcome, and the bound SGD without momentum keeps (lr x clipnorm per update).
std::string adding_clipping_claim(const AddingStudyResult& result);

}  // namespace gradlab::cli
