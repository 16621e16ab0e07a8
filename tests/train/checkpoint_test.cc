#include "gradlab/train/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>

#include "gradlab/io/safetensors.h"
#include "support/test_helpers.h"
#include "train_test_data.h"

namespace gradlab {
namespace {

using test::error_of;

// The bytes of every tensor, by name.
std::vector<std::pair<std::string, std::string>> bytes_of(const NamedTensors& tensors) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, t] : tensors) {
    out.emplace_back(name, std::string(static_cast<const char*>(t.raw_data()),
                                       static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype())));
  }
  return out;
}

NamedTensors weights_of(const Layer& model) {
  NamedTensors out;
  for (const Variable& v : model.variables()) out.emplace_back(v.name(), v.value());
  return out;
}

// The history without wall times, which no two runs share.
std::string timeless(History h) {
  for (EpochLogs& e : h.epochs) e.seconds = 0;
  h.progress.seconds = 0;
  return h.to_json();
}

FitOptions run_options(std::shared_ptr<Optimizer> optimizer) {
  return {.optimizer = std::move(optimizer),
          .epochs = 3,
          .batch_size = 8,
          .seed = 11,
          .validation_split = 0.2,
          .sample_every = 3};
}

TEST(Checkpoint, InterruptedAndResumedRunEndsBitIdentical) {
  const Dataset data = test::xor_dataset(50);  // 40 training examples: 5 steps per epoch
  Sequential reference = test::small_classifier();
  std::shared_ptr<Optimizer> reference_optimizer = make_optimizer("adam", {.learning_rate = 0.01, .global_clipnorm = 1.0});
  const History uninterrupted = fit(reference, data, run_options(reference_optimizer));

  const std::string path = test::temp_file("resume.safetensors");
  for (int64_t stop_after : {7, 10}) {  // mid-epoch, and at an epoch boundary
    Sequential first = test::small_classifier();
    CheckpointCallback checkpoint(path);
    int64_t steps = 0;
    FitOptions options = run_options(make_optimizer("adam", {.learning_rate = 0.01, .global_clipnorm = 1.0}));
    options.callbacks = {&checkpoint};
    options.should_stop = [&] { return ++steps == stop_after; };
    const History stopped = fit(first, data, options);
    ASSERT_EQ(stopped.stop_reason, StopReason::should_stop);
    ASSERT_EQ(stopped.progress.global_step, stop_after);

    Sequential resumed = test::small_classifier(99);  // other initial weights: the checkpoint replaces them
    std::shared_ptr<Optimizer> optimizer = make_optimizer("adam", {.learning_rate = 0.01, .global_clipnorm = 1.0});
    FitOptions more = run_options(optimizer);
    more.resume = load_checkpoint(path, resumed, *optimizer);
    const History finished = fit(resumed, data, more);

    EXPECT_EQ(bytes_of(weights_of(resumed)), bytes_of(weights_of(reference))) << "stopped after " << stop_after;
    EXPECT_EQ(bytes_of(optimizer->state()), bytes_of(reference_optimizer->state()));
    EXPECT_EQ(timeless(finished), timeless(uninterrupted));
  }
}

TEST(Checkpoint, HoldsEverythingInOneFile) {
  Sequential model = test::small_classifier();
  std::shared_ptr<Optimizer> optimizer = make_optimizer("sgd", {.momentum = 0.9});
  const History h = fit(model, test::xor_dataset(16), {.optimizer = optimizer, .epochs = 1, .batch_size = 8});
  const std::string path = test::temp_file("one_file.safetensors");
  save_checkpoint(path, model, *optimizer, h);
  const TensorFile file = read_safetensors(path);
  EXPECT_TRUE(file.contains("model/dense/kernel"));
  EXPECT_TRUE(file.contains("optimizer/dense/kernel/momentum"));
  EXPECT_TRUE(file.contains("optimizer/iterations"));
  EXPECT_EQ(file.metadata.at("format"), kCheckpointFormat);
  EXPECT_TRUE(file.metadata.count("rng/dropout"));
  EXPECT_TRUE(file.metadata.count("rng/default"));
  EXPECT_EQ(History::from_json(file.metadata.at("history")).progress.global_step, 2);
}

TEST(Checkpoint, FromADifferentModelIsRefusedAndChangesNothing) {
  Sequential model = test::small_classifier();
  std::shared_ptr<Optimizer> optimizer = make_optimizer("adam");
  const std::string path = test::temp_file("other_model.safetensors");
  save_checkpoint(path, model, *optimizer, History{});

  clear_session();
  Sequential wider({Dense(17, {.activation = "relu"}), Dropout(0.1), Dense(2)});
  wider(zeros({1, 2}));
  const std::vector<double> before = wider.variables()[0].value().to_vector();
  Adam adam;
  EXPECT_EQ(error_of([&] { load_checkpoint(path, wider, adam); }),
            path + ": checkpoint of a different model: variable 'dense/kernel' is float32[2, 16] in the checkpoint but "
                   "float32[2, 17] in model 'sequential'");
  EXPECT_EQ(wider.variables()[0].value().to_vector(), before);

  clear_session();
  Sequential other({Dense(16, {.name = "hidden"}), Dense(2)});
  other(zeros({1, 2}));
  EXPECT_NE(error_of([&] { load_checkpoint(path, other, adam); }).find("checkpoint of a different model: it has no variable 'hidden/kernel'"),
            std::string::npos);

  Sequential same = test::small_classifier();
  SGD sgd;
  EXPECT_NE(error_of([&] { load_checkpoint(path, same, sgd); }).find("saved with optimizer adam("), std::string::npos);

  const std::string weights_only = test::temp_file("weights_only.safetensors");
  write_safetensors(weights_only, TensorFile{});
  EXPECT_EQ(error_of([&] { load_checkpoint(weights_only, same, adam); }),
            weights_only + ": not a gradlab training checkpoint (metadata format is '', expected 'gradlab-checkpoint-1')");
}

TEST(Checkpoint, ResumeWithOtherSettingsIsRefused) {
  Sequential model = test::small_classifier();
  History h;
  h.progress = {.seed = 1, .batch_size = 8, .train_size = 16};
  EXPECT_EQ(error_of([&] {
              fit(model, test::xor_dataset(16), {.optimizer = make_optimizer("sgd"), .batch_size = 4, .seed = 1, .resume = h});
            }),
            "cannot resume: the checkpoint's run used seed 1, batch size 8 and 16 training examples, this one seed 1, "
            "batch size 4 and 16; resume with the same settings");
}

}  // namespace
}  // namespace gradlab
