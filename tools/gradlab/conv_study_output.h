#pragma once
// The convolutional study (lab/conv_study.h) as `gradlab lesson` and `gradlab report` print it: the
// table of g_1 / g_L per arm and depth, the training table, the findings, and the JSON of all of it.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/lab/conv_study.h"

namespace gradlab::cli {

/// The papers the section cites, one sentence: He et al. 2016 (identity), Ioffe & Szegedy 2015
/// (batch), Ba et al. 2016 (layer), Ulyanov et al. 2016 (instance), Wu & He 2018 (group).
extern const char* const kConvStudyCitations;

/// What was probed, in one paragraph: the network, the inputs, the loss, the measure and the verdict's
/// rule (for the page and the terminal).
std::string conv_study_setting(const ConvStudy& study);

/// The arms x depths table: "verdict g_1/g_L" (geometric mean over the seeds) per depth; then, when
/// the study trained, the final loss per arm; then every finding with its figures. `number` heads the
/// section ("10."; empty for none), `indent` starts each table line.
std::string conv_study_text(const ConvStudy& study, const std::string& number);

/// The study as JSON: options, inputs; cells (skip, normalization, depth, verdict or null
/// for mixed verdicts, g_1 and g_1/g_L as geometric mean, min and max over the seeds, and every trial);
/// training arms (final loss mean, min, max, count, runs; runs stopped; every run's seed, final loss,
/// stopped_at, and its sampled conv1 gradient norms); findings (text, figures).
nlohmann::ordered_json conv_study_json(const ConvStudy& study);

/// Table 10 of `gradlab lesson` (and gradlab.lesson): the study at initialization on drawn images,
/// untrained (the lesson trains nothing; `gradlab report` trains the arms on Fashion-MNIST).
ConvStudyOptions lesson_conv_options();

/// Runs table 10 with the lesson's seed, as `gradlab lesson` does; nothing when `options.seeds` is 0.
std::optional<ConvStudy> run_lesson_conv(ConvStudyOptions options, uint64_t seed);

/// "no norm" / "group norm" for a normalization, and "plain" / "identity" for a skip: table words.
std::string conv_norm_word(SkipNormalization normalization);
std::string conv_skip_word(SkipConnection skip);

}  // namespace gradlab::cli
