#pragma once
/// Splitting a sweep's configurations into shares of about equal cost, one per process of a
/// distributed sweep (`mpirun -np N gradlab sweep`, docs/distributed.md).
///
///   std::vector<std::vector<SweepConfig>> shares = split_by_cost(configs, 4);   // shares[rank]
///
/// The split is the longest-processing-time-first rule (Graham 1969, "Bounds on multiprocessing
/// timing anomalies"): configurations in decreasing expected cost, each to the share with the least
/// cost so far; its makespan is at most 4/3 of the best possible. It depends only on the
/// configurations and the number of shares, so every rank computes the same split on its own.

#include <vector>

#include "gradlab/lab/sweep_grid.h"

namespace gradlab {

/// The relative cost of probing `config`, in multiply-adds: its Dense layers' products (batch x fan_in
/// x units per layer; a concat skip doubles the fan-in), plus 54 per unit per layer and example for
/// the element-wise work, twice that for float64, plus 1.5e6 for the configuration itself (the last
/// two fitted to probe times: docs/distributed.md). A configuration of a model spec costs its batch
/// (x2 for float64): the variants of one spec differ only in batch and dtype as far as cost goes. A
/// recurrent network costs batch x T x (layers x gates x units^2 + gates x units x its layers' fan-in)
/// (gates: SimpleRNN 1, GRU 3, LSTM 4; x2 for float64) plus the same 1.5e6.
/// A configuration with SweepConfig::training adds training_cost().
double expected_cost(const SweepConfig& config);

/// The relative cost of training `config` (0 without SweepConfig::training), in multiply-adds on the
/// same scale: steps x batch x 3 forward passes (the backward pass costs about two) of the trained
/// network (784 x units + (depth - 1) x units^2 + units x 10 products, plus 54 per unit for the
/// element-wise work), plus one forward pass per example of the training and test subsets evaluated.
/// It grows as steps x depth x width^2, which dominates the probe's cost at any budget worth running.
double training_cost(const SweepConfig& config);

/// `configs` split into `parts` shares (see the file comment), each in the order of `configs`; a
/// share may be empty when there are fewer configurations than parts. Error when parts < 1.
std::vector<std::vector<SweepConfig>> split_by_cost(const std::vector<SweepConfig>& configs, int parts);

/// The same rule on bare costs: the indices of `costs` in each of `parts` shares, ascending (what
/// `gradlab report` shares its units by). Error when parts < 1 or a cost is negative or not finite.
///
///   split_costs({9, 1, 4, 4}, 2)   // {{0}, {1, 2, 3}}
std::vector<std::vector<std::size_t>> split_costs(const std::vector<double>& costs, int parts);

}  // namespace gradlab
