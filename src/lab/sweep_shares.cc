#include "gradlab/lab/sweep_shares.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "gradlab/error.h"

namespace gradlab {
namespace {

// Fixed cost of a configuration (building the network, the summary), as for a SkipNetwork below.
constexpr double kPerConfiguration = 1.5e6;

// T steps of each layer multiply the recurrent kernel (units x gates*units) and read its input
// (the sequence's features, then the layer below's units) through the kernel; the probe runs
// forward and backward twice (the probed pass and the time axis), which scales every configuration
// alike and so drops out of the split.
double recurrent_cost(const RecurrentNetworkOptions& n) {
  const double gates = n.cell == RecurrentCell::lstm ? 4 : n.cell == RecurrentCell::gru ? 3 : 1;
  const double units = static_cast<double>(n.units);
  const double per_step = n.layers * gates * units * units +
                          gates * units * (static_cast<double>(n.input_features) + (n.layers - 1) * units);
  return kPerConfiguration + static_cast<double>(n.batch) * static_cast<double>(n.time_steps) * per_step *
                                 (n.dtype == DType::float64 ? 2.0 : 1.0);
}

}  // namespace

double expected_cost(const SweepConfig& config) {
  if (config.spec) {
    const double batch = static_cast<double>(config.spec->batch_or_default());
    return batch * (config.spec->dtype_or_default() == DType::float64 ? 2.0 : 1.0);
  }
  if (config.recurrent) return recurrent_cost(*config.recurrent);
  const SkipNetworkOptions& n = config.network;
  const double units = static_cast<double>(n.units);
  // The first layer reads the input; each later layer its predecessor, twice as wide under a concat skip.
  const double later_fan_in = n.skip == SkipConnection::concat ? 2 * units : units;
  const double products = static_cast<double>(n.input_features) * units + (n.depth - 1) * later_fan_in * units;
  // Besides the products each unit of each layer costs about as much as kPerUnit multiply-adds
  // (activation, statistics, backward), and each configuration a fixed kPerConfiguration (building
  // the network, the summary): fitted to probe times on a 2-core Zen 3 (docs/distributed.md).
  constexpr double kPerUnit = 54;
  const double per_example = products + kPerUnit * n.depth * units;
  const double probe = kPerConfiguration + static_cast<double>(n.batch) * std::max(1.0, static_cast<double>(n.steps)) *
                                               per_example * (n.dtype == DType::float64 ? 2.0 : 1.0);
  return probe + (config.training ? training_cost(config) : 0.0);
}

double training_cost(const SweepConfig& config) {
  if (!config.training) return 0;
  const SkipNetworkOptions& n = config.network;
  const TrainabilitySettings& s = config.training->settings;
  const double units = static_cast<double>(n.units);
  const double features = config.training->data ? static_cast<double>(config.training->data->train.feature_shape()[1]) : 784.0;
  const double classes = config.training->data ? static_cast<double>(config.training->data->train.classes) : 10.0;
  // A step's forward and backward products cost about three forward passes (the backward computes the
  // input's and the kernel's gradients); the element-wise work is priced as the probe's.
  constexpr double kPerUnit = 54;
  const double forward = features * units + (n.depth - 1) * units * units + units * classes + kPerUnit * n.depth * units;
  const double examples_evaluated = static_cast<double>(s.train_examples + s.test_examples);
  return static_cast<double>(s.steps) * static_cast<double>(s.batch_size) * 3 * forward + examples_evaluated * forward;
}

std::vector<std::vector<std::size_t>> split_costs(const std::vector<double>& costs, int parts) {
  if (parts < 1) fail("split_costs: parts must be at least 1, got {}", parts);
  for (std::size_t i = 0; i < costs.size(); ++i) {
    if (!std::isfinite(costs[i]) || costs[i] < 0) fail("split_costs: cost {} is {}; costs must be finite and >= 0", i, costs[i]);
  }
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  // Ties keep the given order, so the split is the same on every rank and every run.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(static_cast<std::size_t>(parts), 0.0);
  std::vector<std::vector<std::size_t>> chosen(static_cast<std::size_t>(parts));
  for (std::size_t i : order) {
    const auto lightest = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[lightest] += costs[i];
    chosen[lightest].push_back(i);
  }
  for (std::vector<std::size_t>& share : chosen) std::sort(share.begin(), share.end());
  return chosen;
}

std::vector<std::vector<SweepConfig>> split_by_cost(const std::vector<SweepConfig>& configs, int parts) {
  if (parts < 1) fail("split_by_cost: parts must be at least 1, got {}", parts);
  std::vector<double> cost(configs.size());
  for (std::size_t i = 0; i < configs.size(); ++i) cost[i] = expected_cost(configs[i]);
  const std::vector<std::vector<std::size_t>> chosen = split_costs(cost, parts);
  std::vector<std::vector<SweepConfig>> shares(chosen.size());
  for (std::size_t p = 0; p < chosen.size(); ++p) {
    for (std::size_t i : chosen[p]) shares[p].push_back(configs[i]);
  }
  return shares;
}

}  // namespace gradlab
