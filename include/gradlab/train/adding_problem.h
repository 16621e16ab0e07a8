#pragma once
/// The adding problem: a regression task whose answer depends on two inputs far apart in time, the
/// long-time-lag test of Hochreiter & Schmidhuber 1997 ("Long Short-Term Memory", Neural Computation
/// 9(8), experiment 4), in the formulation later papers use (Le et al. 2015, "A Simple Way to Initialize
/// Recurrent Networks of Rectified Linear Units"; Arjovsky et al. 2016, "Unitary Evolution Recurrent
/// Neural Networks").
///
///   DataSplits data = load_adding_problem({.time_steps = 100});   // features [10000, 100, 2]
///   // a recurrent spec (lstm) whose last state feeds Dense(1), trained with the mse loss
///
/// Each example is T steps of two features: a value drawn uniformly from [0, 1) and a marker, 0 or 1.
/// Exactly two steps are marked, one drawn uniformly from the first half [0, floor(T/2)) and one from
/// the second half [floor(T/2), T); the target is the sum of the two marked values.
///
/// Chance level: the two marked values are independent U(0, 1), so the target has mean 1 and variance
/// 1/12 + 1/12 = 1/6. A model that ignores its input does best predicting the mean, 1, and its
/// expected mean squared error is that variance, 1/6 ~ 0.167 (adding_problem_chance_mse).
///
/// Determinism: example i of a split is drawn from its own generator, Rng(seed).fork(split).fork(i)
/// (tensor/rng.h, Philox), so a split is a function of (seed, split, i) only: the same on every machine
/// and thread count, and the first n examples are the same whatever the number asked for.
#include <cstdint>
#include <string>

#include "gradlab/train/dataset.h"

namespace gradlab {

/// The longest sequence the generator accepts (bounds memory: T x 2 floats per example).
inline constexpr int64_t kMaxAddingTimeSteps = 100000;

/// What load_adding_problem() generates.
struct AddingProblemOptions {
  /// T, steps per example: at least 2 (each half holds one marker), at most kMaxAddingTimeSteps.
  int64_t time_steps = 100;
  /// Examples of the training and test splits (the test split may be 0; the training one not).
  int64_t train_examples = 10000;
  int64_t test_examples = 1000;
  /// The data's seed: the same seed gives the same examples (independent of any training seed).
  uint64_t seed = 0;
};

/// The expected MSE of predicting the mean target, 1: Var(U1 + U2) = 2 x 1/12 = 1/6 (file comment).
inline constexpr double adding_problem_chance_mse() { return 1.0 / 6.0; }

/// `count` examples of split `split` (0 train, 1 test) as a Dataset: features float32 [count, T, 2]
/// (value, marker), targets float32 [count, 1], classes 0, named `name`. Error for T outside
/// [2, kMaxAddingTimeSteps] or a negative count.
Dataset adding_problem(int64_t time_steps, int64_t count, uint64_t seed, int64_t split, std::string name);

/// The training and test splits ("adding-problem-T100/train", ".../test"). Errors as adding_problem().
DataSplits load_adding_problem(const AddingProblemOptions& options);

}  // namespace gradlab
