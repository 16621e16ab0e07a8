#pragma once
// The convolutional section of `gradlab report` (issue 18, item 5): plain against identity-shortcut
// CNNs with every normalization (lab/conv_study.h) on Fashion-MNIST images: a heatmap of g_1 / g_L
// over arm x depth, the per-layer gradient norms of the deepest networks, the training curves with
// their spread over the seeds, and the findings with their figures.
//
//   ConvReportSettings settings;
//   add_conv_options(*cmd, settings);                          // --no-conv, --conv-depths, ...
//   Dataset images = load_conv_images(settings, data_dir);   // before any probing
//   ConvStudy study = run_conv_study(settings.options, &images);  // a report unit (report_units.h)
//   add_conv_section(page, study);
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "gradlab/lab/conv_study.h"
#include "gradlab/train/dataset.h"
#include "html_report.h"

namespace gradlab::cli {

/// The report's settings of the study: whether to run it and its options (ConvStudyOptions' defaults,
/// about a minute of CPU; docs/report.md).
struct ConvReportSettings {
  bool enabled = true;
  ConvStudyOptions options;
};

/// Registers --no-conv, --conv-depths, --conv-seeds, --conv-filters, --conv-train-depth,
/// --conv-train-steps, --conv-train-examples, --conv-train-seeds and --conv-learning-rate on `cmd`.
void add_conv_options(CLI::App& cmd, ConvReportSettings& settings);

/// The Fashion-MNIST training images the study needs, from `data_dir`. Bad options or a missing or
/// corrupt file are bad input (exit 2), found before any probing.
Dataset load_conv_images(const ConvReportSettings& settings, const std::string& data_dir);

/// Adds the section (a level-2 heading, then level-3 headings) to `page`.
void add_conv_section(HtmlReport& page, const ConvStudy& study);

}  // namespace gradlab::cli
