#pragma once
/// Sweep grids: the configurations a sweep probes — every combination of a grid of depths, widths,
/// activations, initializers, normalizations, skip connections, batch sizes, dtypes and trials of
/// the lesson's SkipNetwork, or many variants of a user's model spec (SpecSweepGrid, below) — each
/// with an id and a seed of its own. run_sweep (sweep_run.h) probes them.
///
///   SweepGrid grid{.depths = {8, 16, 32}, .activations = {"relu", "tanh"}, .trials = 3};
///   std::vector<SweepConfig> configs = expand_grid(grid);          // 18, in the documented order
///
/// Order: expand_grid() nests the lists as loops in this order, the last varying fastest:
///   depth, width, activation, init (or sigma_w2, sigma_b2), norm, skip, batch, dtype, trial.
/// Id: "depth=8,width=32,activation=relu,init=glorot_uniform,norm=none,skip=none,batch=32,
///   dtype=float32,trial=0" (one line, no spaces), unique within a grid; a network initialized by
///   variances has "sigma_w2=2,sigma_b2=0.05" (shortest round-trip numbers) in place of "init=...".
///   With a probe loss other than automatic (SweepGrid::probe_loss), ",loss=mean" or
///   ",loss=random_projection" comes before ",trial=".
/// Seed: Rng(grid.seed).fork(fnv1a_64(id)).seed() — a function of the base seed and the id only, so
///   the same configuration gets the same seed in any grid that contains it, wherever it is.
/// Each configuration is `gradlab probe --seed <seed>` of the same network (probe_configuration.h):
///   the input [batch, 128] is drawn from U[0, 1) with Rng(seed), then the kernels from the same
///   generator; one probe_pass in training mode (batch statistics) with anomaly detection,
///   differentiating the grid's probe_loss (automatic: random_projection where the network has batch
///   normalization, mean elsewhere; see ProbeLoss, probe.h) with projection seed `seed`;
///   summarize_flow.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/lab/spec_variant.h"
#include "gradlab/tensor/dtype.h"

namespace gradlab {

/// The lists a sweep combines; every list must be non-empty (validate_grid). Each defaults to the
/// lesson's network (SkipNetworkOptions).
struct SweepGrid {
  std::vector<int> depths{SkipNetworkOptions{}.depth};
  std::vector<int64_t> widths{SkipNetworkOptions{}.units};
  std::vector<std::string> activations{SkipNetworkOptions{}.activation};
  /// Kernel initializer names (initializer_names()); not used when sigma_w2s is given.
  std::vector<std::string> initializers{SkipNetworkOptions{}.kernel_initializer.name()};
  /// Initialization by variances instead of by initializer (SkipNetworkOptions::gaussian_init):
  /// weight variances times fan_in, each >= 0. Empty: the initializers axis is swept.
  std::vector<double> sigma_w2s;
  /// Bias variances, each >= 0, combined with every sigma_w2; only with sigma_w2s (empty: {0}).
  std::vector<double> sigma_b2s;
  std::vector<SkipNormalization> normalizations{SkipNetworkOptions{}.normalization};
  std::vector<SkipConnection> skips{SkipNetworkOptions{}.skip};
  std::vector<int64_t> batches{SkipNetworkOptions{}.batch};
  std::vector<DType> dtypes{SkipNetworkOptions{}.dtype};
  /// Trials of each combination, each with its own seed; at least 1.
  int trials = 1;
  /// The base seed every configuration's seed is derived from.
  uint64_t seed = 0;
  /// The scalar every configuration differentiates (ProbeLoss); one for the whole grid.
  ProbeLoss probe_loss = ProbeLoss::automatic;
};

/// Throws Error naming the list and value when a grid cannot be expanded: an empty list, a depth,
/// width or batch below 1 (or above 10000 layers / 2^20 units or rows), an unknown activation or
/// initializer, a sigma_w2 or sigma_b2 negative or not finite, sigma_b2s without sigma_w2s, a value
/// listed twice (its configurations would share an id), trials below 1.
void validate_grid(const SweepGrid& grid);

/// Number of configurations of `grid`: the product of the list sizes and trials.
int64_t grid_size(const SweepGrid& grid);

/// One configuration of a sweep: a SkipNetwork, or (when `spec` is set) a variant of a model spec, or
/// (when `recurrent` is set) an inline recurrent network.
struct SweepConfig {
  /// The network probed; input_features is 128, as in the lesson. Unused when `spec` or `recurrent` is set.
  SkipNetworkOptions network;
  /// The spec variant probed, in a sweep of a model spec (SpecSweepGrid).
  std::optional<SpecVariant> spec;
  /// The recurrent network probed, in a sweep of recurrent networks (RecurrentSweepGrid).
  std::optional<RecurrentNetworkOptions> recurrent;
  int trial = 0;
  /// Rng(seed) draws the input, then the kernels; also the probe loss's projection seed.
  uint64_t seed = 0;
  /// The scalar differentiated (ProbeLoss; automatic resolves per network as probe_pass does).
  ProbeLoss probe_loss = ProbeLoss::automatic;
  /// See the file comment.
  std::string id;
};

/// The id of a network and trial (see the file comment).
std::string sweep_config_id(const SkipNetworkOptions& network, int trial);
/// The seed of configuration `id` in a sweep with base seed `base_seed` (see the file comment).
uint64_t sweep_config_seed(uint64_t base_seed, std::string_view id);

/// Every configuration of `grid` in the documented order (validate_grid first).
std::vector<SweepConfig> expand_grid(const SweepGrid& grid);

/// The lists of a sweep over variants of one model spec. An empty list is an axis the sweep does not
/// vary: the spec's own setting (initializers, activations) or the default (batch 32, uniform input,
/// float32); only the axes given appear in the ids: a sweep of one list has ids such as
/// "model=net,init=he_uniform,trial=0".
///
///   SpecSweepGrid grid{.spec = std::make_shared<const ModelSpec>(read_model_spec("net.json")),
///                      .initializers = {"glorot_uniform", "he_uniform"}, .activations = {"relu", "tanh"},
///                      .trials = 5};
///   run_sweep(expand_spec_grid(grid), {}, on_result);                    // 20 configurations
///
/// Order: init, activation, batch, input distribution, dtype, trial, the last varying fastest.
/// Id: "model=net,init=he_uniform,activation=tanh,batch=32,input=uniform,dtype=float32,trial=0" with
///   the axes given. Seed: sweep_config_seed(seed, id), as for a SkipNetwork grid.
/// Each configuration is `gradlab probe --model net.json --seed <seed>` with the same options
///   (--init, --activation, --batch, --input-dist, --dtype, --input): the variant's spec
///   (apply_spec_overrides) built with Rng(seed), its input from spec_variant_inputs(); one
///   probe_pass in training mode with anomaly detection and, as probe, the variables' gradients
///   (the summary's depth axis is then the weight layers, as probe's); summarize_flow.
struct SpecSweepGrid {
  /// The user's spec; required.
  std::shared_ptr<const ModelSpec> spec;
  /// Kernel initializer names for every Dense layer (SpecOverrides::kernel_initializer).
  std::vector<std::string> initializers;
  /// Activation names for the hidden layers (SpecOverrides::hidden_activation).
  std::vector<std::string> activations;
  std::vector<int64_t> batches;
  std::vector<InputDistribution> input_distributions;
  std::vector<DType> dtypes;
  /// Inputs every configuration uses instead of drawn ones (one per spec input, [rows, its shape...]);
  /// batches and input_distributions must then be empty.
  std::shared_ptr<const std::vector<Tensor>> inputs;
  /// Where `inputs` came from, for the results.
  std::string inputs_source;
  int trials = 1;
  uint64_t seed = 0;
  /// As SweepGrid::probe_loss.
  ProbeLoss probe_loss = ProbeLoss::automatic;
};

/// Throws Error naming the list and value as validate_grid does (unknown names, values listed twice,
/// ranges, trials), and naming the spec when it is missing, when `initializers` are given for a spec
/// without a Dense layer or `activations` for one without a hidden activation (apply_spec_overrides),
/// or when `inputs` do not fit the spec's inputs or come with batches or input distributions.
void validate_spec_grid(const SpecSweepGrid& grid);

/// Number of configurations of `grid`: the product of the sizes of the lists given and trials.
int64_t spec_grid_size(const SpecSweepGrid& grid);

/// Every configuration of `grid` in the documented order (validate_spec_grid first).
std::vector<SweepConfig> expand_spec_grid(const SpecSweepGrid& grid);

/// The lists of a sweep over inline recurrent networks (recurrent_network.h): stacks of SimpleRNN, LSTM
/// or GRU layers over a drawn sequence [batch, time_steps, 128], the lesson's "number of layers times
/// the number of time-steps" as two axes. Each list defaults to RecurrentNetworkOptions's value.
///
///   RecurrentSweepGrid grid{.cells = {RecurrentCell::simple_rnn, RecurrentCell::lstm},
///                           .time_steps = {10, 100, 1000}, .trials = 3};
///   run_sweep(expand_recurrent_grid(grid), {}, on_result);              // 18 configurations
///
/// Order: cell, layers, units, time_steps, activation, init, recurrent_init, norm, batch, dtype,
///   trial, the last varying fastest.
/// Id: "cell=lstm,layers=2,units=32,time_steps=100,activation=tanh,init=glorot_uniform,
///   recurrent_init=orthogonal,norm=none,batch=32,dtype=float32,trial=0" (norm: none or layer, the
///   layer-normalized cells of Ba et al. 2016). Seed: sweep_config_seed(seed, id), as for a SkipNetwork.
/// Each configuration is `gradlab probe --cell <cell> --time-steps <T> --layers <L> --units <U> ...
///   --seed <seed>`: the sequence drawn from U[0, 1) with Rng(seed), then the kernels from the same
///   generator (recurrent_network_subject); one probe_pass in training mode with anomaly detection
///   differentiating the mean of the output, then the time axis (probe_through_time).
struct RecurrentSweepGrid {
  std::vector<RecurrentCell> cells{RecurrentNetworkOptions{}.cell};
  /// Recurrent layers stacked, each 1 to kMaxProbeDepth.
  std::vector<int> layers{RecurrentNetworkOptions{}.layers};
  std::vector<int64_t> units{RecurrentNetworkOptions{}.units};
  /// Time steps T of the drawn sequence, each 1 to kMaxProbeTimeSteps.
  std::vector<int64_t> time_steps{RecurrentNetworkOptions{}.time_steps};
  /// The cells' activation (the gates keep sigmoid).
  std::vector<std::string> activations{RecurrentNetworkOptions{}.activation};
  /// Kernel and recurrent kernel initializer names (initializer_names()).
  std::vector<std::string> initializers{RecurrentNetworkOptions{}.kernel_initializer.name()};
  std::vector<std::string> recurrent_initializers{RecurrentNetworkOptions{}.recurrent_initializer.name()};
  /// Layer-normalized cells or not.
  std::vector<bool> layer_norms{RecurrentNetworkOptions{}.layer_norm};
  std::vector<int64_t> batches{RecurrentNetworkOptions{}.batch};
  std::vector<DType> dtypes{RecurrentNetworkOptions{}.dtype};
  int trials = 1;
  uint64_t seed = 0;
};

/// Throws Error naming the list and value as validate_grid does: an empty list, a value listed twice,
/// layers, units, time steps or batch out of range, an unknown activation or initializer, trials out
/// of range, too many configurations.
void validate_recurrent_grid(const RecurrentSweepGrid& grid);

/// Number of configurations of `grid`: the product of the list sizes and trials.
int64_t recurrent_grid_size(const RecurrentSweepGrid& grid);

/// Every configuration of `grid` in the documented order (validate_recurrent_grid first).
std::vector<SweepConfig> expand_recurrent_grid(const RecurrentSweepGrid& grid);

/// The (name, value) pairs that make up a configuration's id, in id order, without the trial:
/// ("depth", "8"), ("width", "32"), ... for a SkipNetwork; ("model", "net") and the axes given for a
/// spec variant; ("cell", "lstm"), ("layers", "2"), ... for a recurrent network; then ("loss", name) when the probe loss is not automatic. Tables and reports label configurations with them.
std::vector<std::pair<std::string, std::string>> sweep_config_parameters(const SweepConfig& config);

/// A fingerprint of a spec as parsed (16 hex digits of a 64-bit FNV-1a hash of its layers, inputs,
/// outputs and name): the same for the same network whatever the file's spacing or key order, so a
/// results file can name the spec it was written for.
std::string spec_digest(const ModelSpec& spec);

/// The built-in study of the lesson's remedies over depth: depths 4, 8, 16, 32, 64; activations relu,
/// tanh, sigmoid; initializers glorot_uniform (Keras's default), he_uniform, lecun_normal;
/// normalizations none, batch, layer; skips none, residual, concat; width 32, batch 32, float32;
/// `trials` trials; 405 configurations per trial.
SweepGrid lesson_remedy_grid(int trials = 1, uint64_t seed = 0);

}  // namespace gradlab
