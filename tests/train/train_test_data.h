#pragma once
// Small datasets and models shared by the train tests.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "gradlab/gradlab.h"

namespace gradlab::test {

/// `n` points in [-1, 1]^2 labelled by quadrant parity (XOR): class 1 when x * y > 0. Deterministic.
inline Dataset xor_dataset(int64_t n, uint64_t seed = 3) {
  Rng rng(seed);
  Tensor x = uniform({n, 2}, rng, -1.0, 1.0, DType::float32);
  Tensor y = Tensor::empty({n}, DType::float32);
  for (int64_t i = 0; i < n; ++i) {
    y.data<float>()[i] = x.data<float>()[2 * i] * x.data<float>()[2 * i + 1] > 0 ? 1.0f : 0.0f;
  }
  return {.features = x, .labels = y, .classes = 2, .name = "xor"};
}

/// Dense(16, relu) -> Dropout(0.1) -> Dense(2), built for 2 features with fixed names and seed.
inline Sequential small_classifier(uint64_t seed = 7, bool dropout = true) {
  clear_session();
  set_seed(seed);
  std::vector<Layer> layers = {Dense(16, {.activation = "relu", .kernel_initializer = he_uniform()})};
  if (dropout) layers.push_back(Dropout(0.1));
  layers.push_back(Dense(2));
  Sequential model(layers);
  model(zeros({1, 2}));  // build
  return model;
}

/// A path in the test temporary directory.
inline std::string temp_file(const std::string& name) { return std::string(::testing::TempDir()) + name; }

}  // namespace gradlab::test
