#include "gradlab/train/adding_problem.h"

#include <fmt/format.h>

#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {

Dataset adding_problem(int64_t time_steps, int64_t count, uint64_t seed, int64_t split, std::string name) {
  if (time_steps < 2 || time_steps > kMaxAddingTimeSteps) {
    fail("{}: time steps must be in [2, {}] (one marker in each half of the sequence), got {}", name,
         kMaxAddingTimeSteps, time_steps);
  }
  if (count < 0) fail("{}: the number of examples must be >= 0, got {}", name, count);
  if (count > (int64_t{1} << 31) / time_steps) {
    fail("{}: {} examples of {} steps are too many (at most {})", name, count, time_steps, (int64_t{1} << 31) / time_steps);
  }
  Dataset d;
  d.name = std::move(name);
  d.features = zeros({count, time_steps, 2});
  d.labels = Tensor::empty({count, 1}, DType::float32);
  const Rng split_rng = Rng(seed).fork(static_cast<uint64_t>(split));
  const int64_t half = time_steps / 2;
  std::vector<float> values(static_cast<std::size_t>(time_steps));
  for (int64_t i = 0; i < count; ++i) {
    Rng rng = split_rng.fork(static_cast<uint64_t>(i));
    rng.uniform(values.data(), time_steps, 0.0, 1.0);
    const auto first = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(half)));
    const auto second = half + static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(time_steps - half)));
    float* x = d.features.data<float>() + i * time_steps * 2;
    for (int64_t t = 0; t < time_steps; ++t) x[2 * t] = values[static_cast<std::size_t>(t)];
    x[2 * first + 1] = 1;
    x[2 * second + 1] = 1;
    // The sum in float, as the model sees the two values.
    d.labels.data<float>()[i] = values[static_cast<std::size_t>(first)] + values[static_cast<std::size_t>(second)];
  }
  return d;
}

DataSplits load_adding_problem(const AddingProblemOptions& o) {
  const std::string name = fmt::format("adding-problem-T{}", o.time_steps);
  if (o.train_examples < 1) fail("{}: at least 1 training example is needed, got {}", name, o.train_examples);
  return {.train = adding_problem(o.time_steps, o.train_examples, o.seed, 0, name + "/train"),
          .test = adding_problem(o.time_steps, o.test_examples, o.seed, 1, name + "/test")};
}

}  // namespace gradlab
