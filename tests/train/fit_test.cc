#include "gradlab/train/fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/test_helpers.h"
#include "train_test_data.h"

namespace gradlab {
namespace {

using test::error_of;

TEST(Fit, LearnsXor) {
  const Dataset data = test::xor_dataset(512);
  Sequential model = test::small_classifier(7, false);
  const History h = fit(model, data,
                        {.optimizer = make_optimizer("adam", {.learning_rate = 0.02}),
                         .epochs = 25,
                         .batch_size = 32,
                         .seed = 1,
                         .validation_split = 0.25});
  ASSERT_EQ(h.epochs.size(), 25u);
  EXPECT_EQ(h.stop_reason, StopReason::completed);
  EXPECT_LT(h.epochs.back().loss, h.epochs.front().loss);
  EXPECT_GT(*h.epochs.back().val_accuracy, 0.9);
  EXPECT_GT(evaluate(model, test::xor_dataset(256, 99)).accuracy.value(), 0.9);
  EXPECT_EQ(h.epochs.back().learning_rate, 0.02);
  EXPECT_EQ(h.progress.global_step, 25 * 12);  // 384 training examples, batches of 32
}

// Keras: validation_data overrides validation_split, so all 512 examples train (16 steps of 32 per
// epoch, not 12) and the validation metrics are those of the given data.
TEST(Fit, ValidationDataOverridesValidationSplit) {
  const Dataset data = test::xor_dataset(512);
  const Dataset held_out = test::xor_dataset(64, 5);
  Sequential model = test::small_classifier(7, false);
  const History h = fit(model, data,
                        {.optimizer = make_optimizer("adam", {.learning_rate = 0.02}),
                         .epochs = 2,
                         .batch_size = 32,
                         .seed = 1,
                         .validation_data = held_out,
                         .validation_split = 0.25});
  EXPECT_EQ(h.progress.global_step, 2 * 16);
  ASSERT_TRUE(h.epochs.back().val_loss.has_value());
  // The same computation as fit's (batches of 32), so the same bits: another batch size would sum the
  // loss in another order and may differ in the last place (it did in the Debug build).
  EXPECT_EQ(*h.epochs.back().val_loss, evaluate(model, held_out, {.batch_size = 32}).loss);
}

// Records the order in which fit() calls a callback.
class Recorder : public Callback {
 public:
  std::vector<std::string> events;
  void on_train_begin() override { events.push_back("train_begin"); }
  void on_train_end() override { events.push_back("train_end"); }
  void on_epoch_begin(int64_t epoch) override { events.push_back("epoch_begin " + std::to_string(epoch)); }
  void on_epoch_end(int64_t epoch, const EpochLogs&) override {
    events.push_back("epoch_end " + std::to_string(epoch) + " epochs=" + std::to_string(run().history.epochs.size()));
  }
  void on_batch_end(int64_t step, const BatchLogs& logs) override {
    events.push_back("batch " + std::to_string(step) + " " + std::to_string(logs.step_in_epoch) + "/" +
                     std::to_string(logs.steps_per_epoch) + " n=" + std::to_string(logs.batch_size));
  }
};

TEST(Fit, CallbacksRunInKerasOrder) {
  Recorder recorder;
  Sequential model = test::small_classifier();
  fit(model, test::xor_dataset(7),
      {.optimizer = make_optimizer("sgd"), .epochs = 2, .batch_size = 4, .callbacks = {&recorder}});
  const std::vector<std::string> expected = {
      "train_begin", "epoch_begin 0",         "batch 0 1/2 n=4", "batch 1 2/2 n=3", "epoch_end 0 epochs=1",
      "epoch_begin 1", "batch 2 1/2 n=4", "batch 3 2/2 n=3", "epoch_end 1 epochs=2", "train_end"};
  EXPECT_EQ(recorder.events, expected);
  EXPECT_EQ(error_of([&] { recorder.run(); }), "callback: run() is only available while fit() runs");
}

TEST(Fit, ShouldStopAndMaxStopAfterTheStep) {
  Sequential model = test::small_classifier();
  int polls = 0;
  const History h = fit(model, test::xor_dataset(40),
                        {.optimizer = make_optimizer("sgd"), .epochs = 3, .batch_size = 8,
                         .should_stop = [&] { return ++polls == 7; }});
  EXPECT_EQ(h.stop_reason, StopReason::should_stop);
  EXPECT_EQ(h.progress.global_step, 7);
  EXPECT_EQ(h.progress.epoch, 1);
  EXPECT_EQ(h.progress.step_in_epoch, 2);
  EXPECT_EQ(h.epochs.size(), 1u);
  const History m = fit(model, test::xor_dataset(40),
                        {.optimizer = make_optimizer("sgd"), .epochs = 3, .batch_size = 8, .max_steps = 5});
  EXPECT_EQ(m.stop_reason, StopReason::max_steps);
  EXPECT_EQ(m.progress.global_step, 5);
  EXPECT_EQ(m.epochs.size(), 1u);  // the fifth step ends the first epoch, which is recorded
}

TEST(Fit, EarlyStoppingStopsWhenTheMonitorStalls) {
  EarlyStopping early({.monitor = "loss", .min_delta = 10.0, .patience = 1});
  Sequential model = test::small_classifier();
  const History h = fit(model, test::xor_dataset(16),
                        {.optimizer = make_optimizer("sgd"), .epochs = 10, .batch_size = 8, .callbacks = {&early}});
  EXPECT_EQ(h.stop_reason, StopReason::stopped);
  EXPECT_EQ(h.epochs.size(), 3u);  // best at epoch 0, no improvement of 10 at epochs 1 and 2
}

TEST(Fit, SamplesInstrumentsWithoutChangingTheStep) {
  const Dataset data = test::xor_dataset(64);
  Sequential plain = test::small_classifier();
  fit(plain, data, {.optimizer = make_optimizer("adam"), .epochs = 1, .batch_size = 16, .seed = 2});
  Sequential sampled = test::small_classifier();
  const History h = fit(sampled, data, {.optimizer = make_optimizer("adam"), .epochs = 1, .batch_size = 16, .seed = 2,
                                        .sample_every = 2});
  const std::vector<Variable> a = plain.variables(), b = sampled.variables();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].value().to_vector(), b[i].value().to_vector()) << a[i].name();
  ASSERT_EQ(h.samples.size(), 2u);  // steps 0 and 2 of 4
  EXPECT_EQ(h.samples[1].step, 2);
  const TrainingSample& s = h.samples[0];
  ASSERT_EQ(s.layers.size(), 3u);  // dense, dropout, dense_1
  EXPECT_EQ(s.layers[0].layer, "dense");
  EXPECT_GT(s.layers[0].grad_norm, 0);
  EXPECT_GT(s.layers[0].update_ratio, 0);
  EXPECT_LT(s.layers[0].update_ratio, 0.1);
  // update_norm is the update's length: Adam's first step moves each element by at most about lr
  // (1e-3), so the layer's update is positive and at most lr x sqrt(its number of weights).
  int64_t weights = 0;
  for (const Variable& v : sampled.variables())
    if (v.name().rfind("dense/", 0) == 0) weights += v.value().numel();
  ASSERT_GT(weights, 0);
  EXPECT_GT(s.layers[0].update_norm, 0);
  EXPECT_LE(s.layers[0].update_norm, 1.001e-3 * std::sqrt(static_cast<double>(weights)));
  EXPECT_TRUE(s.layers[0].dead_fraction.has_value());
  EXPECT_EQ(s.layers[1].grad_norm, 0);
  EXPECT_GT(s.global_grad_norm, 0);
}

TEST(Fit, AnomalyStopsBeforeTheUpdateAndNamesTheLayer) {
  clear_session();
  Sequential model({Dense(4, {.kernel_initializer = constant(1e20), .name = "big"}),
                    Dense(2, {.kernel_initializer = constant(1e20), .name = "overflow"})});
  const History h = fit(model, test::xor_dataset(8), {.optimizer = make_optimizer("sgd"), .epochs = 1, .batch_size = 8});
  EXPECT_EQ(h.stop_reason, StopReason::anomaly);
  ASSERT_TRUE(h.anomaly.has_value());
  EXPECT_EQ(h.anomaly->layer, "overflow");
  EXPECT_EQ(h.anomaly->step, 0);
  EXPECT_EQ(h.progress.global_step, 0);
  for (const Variable& v : model.variables()) EXPECT_TRUE(std::isfinite(v.value().to_vector()[0])) << v.name();
}

TEST(Fit, TerminateOnNaNWithoutTheAnomalyCheck) {
  clear_session();
  Sequential model({Dense(4, {.kernel_initializer = constant(1e20)}), Dense(2, {.kernel_initializer = constant(1e20)})});
  TerminateOnNaN terminate;
  const History h = fit(model, test::xor_dataset(16), {.optimizer = make_optimizer("sgd"), .epochs = 2, .batch_size = 8,
                                                       .callbacks = {&terminate}, .detect_anomalies = false});
  EXPECT_EQ(h.stop_reason, StopReason::stopped);
  EXPECT_EQ(h.progress.global_step, 1);
}

TEST(Fit, BadOptionsAreClearErrors) {
  Sequential model = test::small_classifier();
  const Dataset data = test::xor_dataset(8);
  EXPECT_EQ(error_of([&] { fit(model, data, {}); }), "fit: no optimizer; pass .optimizer = make_optimizer(\"adam\")");
  EXPECT_EQ(error_of([&] { fit(model, data, {.optimizer = make_optimizer("sgd"), .batch_size = 0}); }),
            "fit: batch_size must be at least 1, got 0");
  EXPECT_EQ(error_of([&] { fit(model, data, {.optimizer = make_optimizer("sgd"), .metrics = {"auc"}}); }),
            "unknown metric 'auc'; the valid metric is accuracy");
  EXPECT_NE(error_of([&] { fit(model, data, {.optimizer = make_optimizer("sgd"), .loss = "hinge"}); }).find("hinge"),
            std::string::npos);
}

TEST(Fit, RegressionWithMeanSquaredError) {
  Tensor x = Tensor::empty({64, 1}, DType::float32), y = Tensor::empty({64, 1}, DType::float32);
  for (int64_t i = 0; i < 64; ++i) {
    x.data<float>()[i] = static_cast<float>(i) / 64.0f;
    y.data<float>()[i] = 3.0f * x.data<float>()[i] - 1.0f;
  }
  clear_session();
  Sequential model({Dense(1)});
  const History h = fit(model, {.features = x, .labels = y, .name = "line"},
                        {.optimizer = make_optimizer("sgd", {.learning_rate = 0.3}), .loss = "mse", .metrics = {},
                         .epochs = 60, .batch_size = 16});
  EXPECT_LT(h.epochs.back().loss, 1e-3);
  EXPECT_FALSE(h.epochs.back().accuracy.has_value());
}

TEST(History, JsonRoundTripsExactlyAndCsvHasOneRowPerEpoch) {
  History h;
  h.epochs = {{.epoch = 0, .loss = 0.1 + 0.2, .accuracy = 1.0 / 3, .learning_rate = 1e-3, .seconds = 1.5},
              {.epoch = 1, .loss = std::nan(""), .accuracy = 0.5, .learning_rate = 1e-3, .seconds = 2}};
  h.samples = {{.step = 4, .epoch = 1, .loss = 2.5, .global_grad_norm = INFINITY,
                .layers = {{.layer = "dense", .grad_norm = 0.7, .update_ratio = 1e-3, .update_norm = 0.02, .dead_fraction = 0.25}}}};
  h.progress = {.epoch = 2, .step_in_epoch = 3, .global_step = 9, .loss_sum = 1.0 / 7, .seed = 18446744073709551615u};
  h.stop_reason = StopReason::should_stop;
  const History back = History::from_json(h.to_json());
  EXPECT_EQ(back.to_json(), h.to_json());
  EXPECT_EQ(back.epochs[0].loss, 0.1 + 0.2);
  EXPECT_TRUE(std::isnan(back.epochs[1].loss));
  EXPECT_EQ(back.progress.loss_sum, 1.0 / 7);
  EXPECT_EQ(back.samples[0].layers[0].update_norm, 0.02);
  EXPECT_EQ(back.progress.seed, 18446744073709551615u);
  EXPECT_EQ(back.stop_reason, StopReason::should_stop);
  EXPECT_FALSE(back.epochs[0].val_loss.has_value());
  const std::string csv = h.to_csv();
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "epoch,loss,accuracy,learning_rate,seconds");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_NE(csv.find("\n1,nan,0.5,"), std::string::npos) << csv;
  EXPECT_EQ(error_of([] { History::from_json("{\"epoch\": []}", "h.json"); }), "h.json: history has no field 'samples'");
  EXPECT_EQ(error_of([] { History::from_json("[", "h.json"); }), "h.json: history is not a JSON object");
  // Integers only from JSON integers: a float out of int64's range was undefined behaviour (found by
  // the checkpoint fuzzer), and is now an error naming the field.
  std::string too_big = h.to_json();
  const std::size_t at = too_big.find("\"global_step\":");
  ASSERT_NE(at, std::string::npos) << too_big;
  too_big.replace(at, too_big.find_first_of(",}", at) - at, "\"global_step\": 2.18447e+20");
  EXPECT_EQ(error_of([&] { History::from_json(too_big, "h.json"); }),
            "h.json: history field 'global_step' is not an integer: 2.18447e+20");
  std::string negative_seed = h.to_json();
  const std::size_t seed_at = negative_seed.find("\"seed\":");
  negative_seed.replace(seed_at, negative_seed.find_first_of(",}", seed_at) - seed_at, "\"seed\": -1");
  EXPECT_EQ(error_of([&] { History::from_json(negative_seed, "h.json"); }),
            "h.json: history field 'seed' is not an integer >= 0: -1");
}

}  // namespace
}  // namespace gradlab
