#pragma once
// The network, batch and optimizer of bench/conv_step.cc's training step, shared with its peak-memory
// probe (bench/conv_step_memory.cc). bench/torch/conv_step_model.py builds the same on the PyTorch side.
#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/gradlab.h"

namespace gradlab::bench {

/// One CNN training step at issue 18's speed target: batch 64 of 28 x 28 x 1 images, 3 x
/// (Conv2D(32, 3 x 3, "same") + normalization + ReLU), GlobalAveragePooling2D, Dense(10), sparse
/// softmax cross-entropy from logits, SGD(0.01, momentum 0.9). `norm` is "batch_norm" or "group_norm"
/// (8 groups of 4 channels); epsilon 1e-3 in both.
class ConvStep {
 public:
  static constexpr int64_t kBatch = 64, kSide = 28, kFilters = 32, kLayers = 3, kClasses = 10;

  explicit ConvStep(const std::string& norm) : model_(layers(norm)) {
    model_(images_);  // builds the variables outside the timed loop
    variables_ = model_.trainable_variables();
  }

  /// One step: forward, loss, backward, update. Returns the loss.
  double run() {
    GradientTape tape;
    const Tensor loss =
        sparse_categorical_crossentropy(labels_, model_(images_, {.training = true}), {.from_logits = true});
    optimizer_.apply(tape.gradient(loss, variables_), variables_);
    return loss.item();
  }

  /// 3 x 2 x the convolutions' multiply-adds per step.
  static double flops() {
    double macs = 0;
    int64_t in = 1;
    for (int64_t l = 0; l < kLayers; ++l, in = kFilters)
      macs += double(kBatch * kSide * kSide) * double(9 * in * kFilters);
    return 3 * 2 * macs;
  }

 private:
  static std::vector<Layer> layers(const std::string& norm) {
    set_seed(0);
    std::vector<Layer> out;
    for (int64_t l = 0; l < kLayers; ++l) {
      out.push_back(Conv2D(kFilters, {3, 3}, {.padding = "same"}));
      if (norm == "group_norm") {
        out.push_back(GroupNormalization({.groups = 8}));
      } else {
        out.push_back(BatchNormalization());
      }
      out.push_back(Activation("relu"));
    }
    out.push_back(GlobalAveragePooling2D());
    out.push_back(Dense(kClasses));
    return out;
  }

  // The formula bench/torch/conv_step_model.py uses, so both sides train on the same numbers: pixel
  // values in [0, 1], labels cycling through the ten classes.
  static Tensor batch_images() {
    std::vector<double> v(static_cast<std::size_t>(kBatch * kSide * kSide));
    for (int64_t i = 0; i < kBatch; ++i) {
      for (int64_t j = 0; j < kSide * kSide; ++j)
        v[static_cast<std::size_t>(i * kSide * kSide + j)] = double((i * 7 + j * 13) % 256) / 255.0;
    }
    return from_values({kBatch, kSide, kSide, 1}, v);
  }

  static Tensor batch_labels() {
    std::vector<double> v(static_cast<std::size_t>(kBatch));
    for (int64_t i = 0; i < kBatch; ++i) v[static_cast<std::size_t>(i)] = double(i % kClasses);
    return from_values({kBatch}, v);
  }

  Tensor images_ = batch_images(), labels_ = batch_labels();
  Sequential model_;
  std::vector<Variable> variables_;
  SGD optimizer_{{.learning_rate = 0.01, .momentum = 0.9}};
};

}  // namespace gradlab::bench
