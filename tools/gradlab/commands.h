#pragma once
// The commands of the gradlab CLI. Each lives in its own file and registers itself on the app;
// main() parses, then runs the chosen command's work, so parsing and running fail differently.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "gradlab/error.h"

namespace gradlab::cli {

/// The chosen command's work, run by main() once the command line has parsed.
using CommandRun = std::function<void()>;

/// Bad usage or bad input found by a command after parsing (an unreadable file, say); exit status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

/// Adds `gradlab lesson` to `app`; when it is chosen, sets `run` to its work.
void add_lesson_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab init` (initialize a model spec's variables into a safetensors file).
void add_init_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab gradients` (one forward and backward pass; loss, outputs and gradients to safetensors).
void add_gradients_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab probe` (per-layer statistics, gradient-flow summary and verdict of one pass).
void add_probe_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab sweep` (probe every configuration of a grid in parallel; results to CSV or JSON Lines).
void add_sweep_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab train` (fit a model spec on Fashion-MNIST or a CSV file; checkpoints, --resume).
void add_train_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab theory` (mean-field signal propagation: figures, critical line, phase diagram).
void add_theory_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab summary` (a spec's layers, output shapes and parameter counts, as model.summary()).
void add_summary_command(CLI::App& app, CommandRun& run);
/// Adds `gradlab report` (the built-in study of the lesson's remedies: terminal summary and HTML report).
void add_report_command(CLI::App& app, CommandRun& run);

/// Accepts an unsigned 64-bit integer written in digits (a seed); CLI11 alone would wrap "-1"
/// around, and saturate a too-large value, into an unsigned option.
extern const CLI::Validator kUnsignedDigits;

/// Accepts any name Initializer(name) accepts (canonical, Keras class names, aliases); the error and
/// the help list the canonical names only.
extern const CLI::Validator kInitializerName;

/// Accepts a variance: a finite number >= 0 (--sigma-w2, --sigma-b2); NaN and infinity are refused.
extern const CLI::Validator kVariance;

/// Writes `text` to standard output and flushes; throws Error when the write fails (a full disk).
void write_stdout(const std::string& text);

}  // namespace gradlab::cli
