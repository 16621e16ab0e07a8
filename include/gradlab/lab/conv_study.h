#pragma once
/// Deep plain CNNs against residual CNNs with a true identity shortcut (x + F(x), He et al. 2016), with
/// no normalization and with batch (Ioffe & Szegedy 2015), group (Wu & He 2018), layer (Ba et al. 2016)
/// and instance normalization (Ulyanov et al. 2016), on Fashion-MNIST-shaped images [N, 28, 28, 1]:
/// the gradient at initialization over depth, and over a short training run (issue 18, item 5). The
/// study behind `gradlab report`'s convolutional section and `gradlab lesson`'s convolutional table.
///
///   ConvStudyOptions options;                                  // the report's defaults
///   DataSplits data = load_dataset("fashion-mnist", {.limit = 2048});
///   ConvStudy study = run_conv_study(options, &data.train);    // nullptr: drawn U[0, 1) images
///   study.cell(SkipConnection::identity, SkipNormalization::group, 56).ratio();   // SeedSpread of log10
///   for (const ConvFinding& f : study.findings) std::cout << f.text << "\n";
///
/// Every network is conv_network_spec() (lab/conv_network.h): `depth` blocks of Conv2D(filters, 3x3,
/// "same") with the normalization between the convolution and the activation, the identity shortcut
/// l_k = l_{k-1} + block_k(l_{k-1}) for k >= 2 (the image's one channel is not added), then global
/// average pooling and Dense(10).
///
/// At initialization each arm (skip x normalization) at each depth is probed once per seed, in training
/// mode: trial t builds its weights from Rng(conv_trial_seed(seed, t)), sees image batch t (examples
/// [t x batch, (t + 1) x batch) of the data, or a U[0, 1) draw from the same seed), and differentiates
/// L = mean(logits * R) with R ~ N(0, 1) fixed by the same seed (ProbeLoss::random_projection): the
/// plain mean sends the same gradient to every example and position, and a normalization's backward
/// removes the part of a gradient that is constant over what it normalizes (Ioffe & Szegedy 2015,
/// section 3), so every arm gets the same varying target. g_k is
/// ||dL/d input of conv k||_2, so g_1 is the gradient reaching the image; the study reports g_1 and
/// R = g_1 / g_L over the convolutions, and the verdict of FlowSummary's rule applied to R: the
/// squared gain per layer g = R^(2 / (L - 1)) (squared_gain_of_ratio), vanishing or exploding when the
/// stack is deeper than 6 depth scales (Schoenholz et al. 2017; verdict_of_gain).
///
/// Over training, each arm at options.training_depth is trained training_seeds times with SGD with
/// momentum on the first training_examples images (run i of every arm shares its seed, so its batches),
/// recording every step's batch loss and, every sample_every steps, conv1's kernel gradient norm.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/lab/seed_spread.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/train/dataset.h"

namespace gradlab {

/// Settings of the study. The defaults are the report's: about a minute of CPU on a 2-core machine at
/// the convolution speed of this release (docs/report.md gives the measured cost and how to scale up).
struct ConvStudyOptions {
  /// The arms: every skip (none, identity) with every normalization.
  std::vector<SkipConnection> skips = {SkipConnection::none, SkipConnection::identity};
  std::vector<SkipNormalization> normalizations = {SkipNormalization::none, SkipNormalization::batch,
                                                   SkipNormalization::group, SkipNormalization::layer,
                                                   SkipNormalization::instance};
  /// Convolution blocks of the probed networks, each in [2, kMaxConvStudyDepth], increasing.
  std::vector<int> depths = {8, 20, 56};
  /// Filters of every convolution, and the groups of group norm (dividing the filters; 4 groups of 2
  /// channels sit between layer norm's 1 group and instance norm's 8; Wu & He 2018 use 32 groups of
  /// wider layers).
  int64_t filters = 8;
  int64_t groups = 4;
  std::string activation = "relu";
  std::string kernel_initializer = "he_uniform";
  /// Images per probed batch, and probes (seeds) per arm and depth.
  int64_t batch = 32;
  int seeds = 2;
  /// Over training: the depth (0 leaves training out), SGD steps, batch, examples, seeds, the
  /// optimizer, and steps between samples of conv1's gradient norm.
  int training_depth = 8;
  int64_t training_steps = 80;
  int64_t training_batch = 16;
  int64_t training_examples = 1280;
  int training_seeds = 2;
  double learning_rate = 0.02;
  double momentum = 0.9;
  int64_t sample_every = 5;
  /// The study's seed: every trial's and run's seed derives from it.
  uint64_t seed = 0;
};

/// The deepest network the study builds.
inline constexpr int kMaxConvStudyDepth = 200;

/// The seed of probe trial `trial` (its weights, its drawn images, its projection R).
uint64_t conv_trial_seed(uint64_t study_seed, int trial);
/// The seed of training run `index` of every arm (weights and batches).
uint64_t conv_training_seed(uint64_t study_seed, int index);

/// One arm: a skip and a normalization.
struct ConvArm {
  SkipConnection skip = SkipConnection::none;
  SkipNormalization normalization = SkipNormalization::none;
  /// "identity skip, group norm", "no skip, no norm".
  std::string label() const;
};

/// One probe of an arm at one depth.
struct ConvProbeTrial {
  uint64_t seed = 0;
  /// g_1 .. g_L: ||dL/d input of conv k||_2.
  std::vector<double> grad_norms;
  /// g_1 / g_L (NaN when g_L is 0 or either is not finite).
  double ratio = 0;
  /// verdict_of_gain(squared_gain_of_ratio(ratio, L - 1), L); nonfinite or zero as summarize_flow says.
  FlowVerdict verdict = FlowVerdict::healthy;
};

/// An arm at one depth over its seeds.
struct ConvProbeCell {
  ConvArm arm;
  int depth = 0;
  std::vector<ConvProbeTrial> trials;
  /// The first trial's whole pass and summary, for per-layer charts.
  PassRecord first_pass;
  FlowSummary first_summary;

  /// log10(g_1) and log10(g_1 / g_L) over the trials (non-finite and zero values left out).
  SeedSpread log_input_grad() const;
  SeedSpread log_ratio() const;
  /// The verdict every trial gave, or nullopt when they differ.
  std::optional<FlowVerdict> verdict() const;
};

/// One training run of an arm.
struct ConvTrainingRun {
  uint64_t seed = 0;
  /// The batch loss of every step made (index = step).
  std::vector<double> losses;
  /// Sampled steps and conv1's kernel gradient norm at each.
  std::vector<int64_t> sample_steps;
  std::vector<double> first_layer_grad_norms;
  /// True when the anomaly check stopped it at a NaN or infinity (losses then end before the step).
  bool stopped_by_anomaly = false;
  /// The step the anomaly check stopped it at (-1 when it was not stopped).
  int64_t stopped_at = -1;
  double seconds = 0;
  /// Mean batch loss of the last quarter of training_steps (at least one step); NaN when the run
  /// stopped before it.
  double final_loss(int64_t training_steps) const;
};

/// An arm trained at options.training_depth.
struct ConvTrainingArm {
  ConvArm arm;
  std::vector<ConvTrainingRun> runs;
  /// final_loss over the runs.
  SeedSpread final_loss(int64_t training_steps) const;
  int64_t runs_stopped_by_anomaly() const;
};

/// A sentence the measurements chose, and the figures it rests on (shown beside it).
struct ConvFinding {
  std::string text;
  std::string figures;
};

/// Everything run_conv_study() measured.
struct ConvStudy {
  ConvStudyOptions options;
  /// "fashion-mnist/train (first 64 images)" or "U[0, 1) draws".
  std::string inputs;
  /// Arm-major (options.skips, then normalizations), then depth.
  std::vector<ConvProbeCell> cells;
  /// One per arm, in arm order; empty when training_depth is 0.
  std::vector<ConvTrainingArm> training;
  std::vector<ConvFinding> findings;
  double seconds = 0;

  /// The arms in order.
  std::vector<ConvArm> arms() const;
  /// The cell of an arm at a depth; Error when there is none.
  const ConvProbeCell& cell(SkipConnection skip, SkipNormalization normalization, int depth) const;
  /// The training arm; Error when there is none.
  const ConvTrainingArm& trained(SkipConnection skip, SkipNormalization normalization) const;
};

/// Thresholds of the wording, stated with every finding.
struct ConvWordingThresholds {
  /// A difference of log10 g_1 / g_L (or g_1) counts when the two arms' ranges over the seeds do not
  /// overlap and their means differ by at least this many decades.
  double min_decades = 1.0;
  /// A difference of final training loss counts when the ranges do not overlap and the means differ
  /// by at least this (nats).
  double min_loss_gap = 0.1;
};

/// The sentences of a study (its cells and training arms as measured; nothing is assumed): at the
/// deepest depth, what the identity shortcut does with each normalization, what each normalization
/// does against none, where instance and group norm stand against batch and layer norm, and over
/// training the same comparisons of the final loss and the runs the anomaly check stopped.
std::vector<ConvFinding> conv_findings(const ConvStudy& study, const ConvWordingThresholds& thresholds = {});

/// Where the study is: for a progress bar, and a place to interrupt it (it may throw; passed through).
struct ConvStudyProgress {
  /// "probe" or "training".
  std::string stage;
  int64_t done = 0;
  int64_t total = 0;
};
using ConvStudyCallback = std::function<void(const ConvStudyProgress&)>;

/// Throws Error naming the first bad option.
void validate(const ConvStudyOptions& options);

/// Runs the study (file comment) on `images` (Fashion-MNIST as fashion-mnist loads it: rows of 784
/// pixels in [0, 1], or images [N, 28, 28, 1]); without images the probes draw U[0, 1) images and
/// training is left out. Error when the images are too few (seeds x batch for the probes,
/// training_examples for training) or not 28 x 28 x 1.
ConvStudy run_conv_study(const ConvStudyOptions& options, const Dataset* images = nullptr,
                         const ConvStudyCallback& progress = {});

}  // namespace gradlab
