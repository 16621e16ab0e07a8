// Data-parallel training (train/replicas.h, fit()'s replicas) on thread replicas: the shares, the
// ring sum's order and exactness, and fit() on 2 and 3 replicas against one process.
#include "gradlab/train/replicas.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>

#include "gradlab/gradlab.h"
#include "support/test_helpers.h"
#include "thread_replicas.h"
#include "train_test_data.h"

namespace gradlab {
namespace {

using test::run_replicas;

TEST(ShardRows, ContiguousSharesInRankOrderDifferingByAtMostOneRow) {
  for (int size = 1; size <= 5; ++size) {
    for (int64_t rows : {0, 1, 2, 7, 64, 65}) {
      int64_t next = 0, smallest = rows, largest = 0;
      for (int r = 0; r < size; ++r) {
        const RowRange share = shard_rows(rows, r, size);
        EXPECT_EQ(share.begin, next);
        next = share.end;
        smallest = std::min(smallest, share.size());
        largest = std::max(largest, share.size());
      }
      EXPECT_EQ(next, rows);
      EXPECT_LE(largest - smallest, 1);
      if (rows > 0) EXPECT_GT(shard_rows(rows, 0, size).size(), 0);
    }
  }
  EXPECT_THAT(test::error_of([] { shard_rows(8, 2, 2); }), testing::HasSubstr("replica 2 of 2"));
}

// Element i of chunk c summed as the file comment says: ((x_c + x_{c+1}) + x_{c+2}) + ..., replica
// indices mod n.
template <typename T>
std::vector<T> ring_order_sum(const std::vector<std::vector<T>>& inputs) {
  const int n = static_cast<int>(inputs.size());
  const auto length = static_cast<int64_t>(inputs[0].size());
  std::vector<T> out(inputs[0].size());
  for (int c = 0; c < n; ++c) {
    const RowRange range = shard_rows(length, c, n);
    for (int64_t i = range.begin; i < range.end; ++i) {
      T total = inputs[static_cast<std::size_t>(c)][static_cast<std::size_t>(i)];
      for (int k = 1; k < n; ++k) total = total + inputs[static_cast<std::size_t>((c + k) % n)][static_cast<std::size_t>(i)];
      out[static_cast<std::size_t>(i)] = total;
    }
  }
  return out;
}

template <typename T>
void check_ring_sum() {
  for (int n = 1; n <= 5; ++n) {
    for (int64_t length : {0, 1, 3, 7, 1000}) {
      std::vector<std::vector<T>> inputs(static_cast<std::size_t>(n));
      for (int r = 0; r < n; ++r) {
        Rng rng(100 + static_cast<uint64_t>(r));
        inputs[static_cast<std::size_t>(r)].resize(static_cast<std::size_t>(length));
        // Magnitudes spread over 2^-20..2^20, so a different order of the sum gives different bits.
        for (T& v : inputs[static_cast<std::size_t>(r)]) v = static_cast<T>((rng.next_double() - 0.5) * std::ldexp(1.0, static_cast<int>(rng.next_below(41)) - 20));
      }
      const std::vector<T> expected = ring_order_sum(inputs);
      std::vector<std::vector<T>> outputs = inputs;
      run_replicas(n, [&](Replicas& replicas) {
        sum_over_replicas(replicas, std::span<T>(outputs[static_cast<std::size_t>(replicas.rank())]));
      });
      for (int r = 0; r < n; ++r) {
        // Bit-identical on every replica, and summed in the documented order.
        ASSERT_EQ(outputs[static_cast<std::size_t>(r)], expected) << "n " << n << " length " << length << " replica " << r;
      }
    }
  }
}

TEST(SumOverReplicas, EveryReplicaHoldsTheRingOrderSumBitForBit) {
  check_ring_sum<float>();
  check_ring_sum<double>();
}

TEST(BroadcastText, EveryReplicaGetsTheRootsText) {
  std::vector<std::string> got(3);
  run_replicas(3, [&](Replicas& replicas) {
    got[static_cast<std::size_t>(replicas.rank())] = broadcast_text(replicas, replicas.rank() == 1 ? "from one" : "", 1);
  });
  EXPECT_THAT(got, testing::Each(std::string("from one")));
}

// Dense(16, relu) -> [BatchNormalization] -> Dropout(0.25) -> Dense(2).
Sequential classifier(bool batch_norm) {
  clear_session();
  set_seed(7);
  std::vector<Layer> layers = {Dense(16, {.activation = "relu", .kernel_initializer = he_uniform()})};
  if (batch_norm) layers.push_back(BatchNormalization());
  layers.push_back(Dropout(0.25));
  layers.push_back(Dense(2));
  Sequential model(layers);
  model(zeros({1, 2}));
  return model;
}


struct ReplicaRun {
  History history;
  std::vector<std::vector<double>> weights;  // every variable, trainable or not
};

// Trains one model per replica on `n` thread replicas (n = 0: one process, no replicas).
std::vector<ReplicaRun> train_on_replicas(int n, bool batch_norm, int64_t batch_size = 32) {
  const int copies = std::max(n, 1);
  std::vector<Sequential> models;
  // Layers are built on this thread (clear_session and the default generator are per thread here).
  for (int r = 0; r < copies; ++r) models.push_back(classifier(batch_norm));
  const Dataset data = test::xor_dataset(240);
  const Dataset validation = test::xor_dataset(50);
  std::vector<ReplicaRun> runs(static_cast<std::size_t>(copies));
  const auto train = [&](Replicas* replicas) {
    const int r = replicas ? replicas->rank() : 0;
    FitOptions o{.optimizer = make_optimizer("adam", {.learning_rate = 0.01}),
                 .epochs = 3,
                 .batch_size = batch_size,
                 .seed = 5,
                 .validation_data = validation,
                 .replicas = replicas};
    ReplicaRun& run = runs[static_cast<std::size_t>(r)];
    run.history = fit(models[static_cast<std::size_t>(r)], data, o);
    for (const Variable& v : models[static_cast<std::size_t>(r)].variables()) run.weights.push_back(v.value().to_vector());
  };
  if (n == 0) {
    train(nullptr);
  } else {
    run_replicas(n, [&](Replicas& replicas) { train(&replicas); });
  }
  return runs;
}

double largest_difference(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t k = 0; k < a[i].size(); ++k) largest = std::max(largest, std::abs(a[i][k] - b[i][k]));
  }
  return largest;
}

TEST(DataParallelFit, OneReplicaIsTheOneProcessRunBitForBit) {
  const std::vector<ReplicaRun> alone = train_on_replicas(0, false), one = train_on_replicas(1, false);
  EXPECT_EQ(one[0].weights, alone[0].weights);
  EXPECT_EQ(one[0].history.epochs.back().loss, alone[0].history.epochs.back().loss);
  EXPECT_EQ(one[0].history.epochs.back().val_loss, alone[0].history.epochs.back().val_loss);
}

// Two and three replicas (32-row batches, the last of each epoch 16 rows: shares of 16/16, 11/11/10,
// 6/5/5) run the one-process computation with the batch's sums split by share: float32 rounding
// differences (6e-8 relative per sum) which 3 epochs of Adam (21 steps) carried to 1.2e-7 in the
// weights (one unit in the last place of the largest, |w| ~ 1) when this test was written. The
// tolerance, 1e-5, is 100 such units; a share weighted wrongly (counted twice, or by 1 instead of
// its fraction of the batch) moves the weights by about the learning rate, 1e-2, per step. Dropout's
// masks are the whole batch's rows, so they match too.
TEST(DataParallelFit, TwoAndThreeReplicasMatchOneProcessAndAgreeBitForBit) {
  const std::vector<ReplicaRun> alone = train_on_replicas(0, false);
  for (int n : {2, 3}) {
    const std::vector<ReplicaRun> runs = train_on_replicas(n, false);
    for (int r = 0; r < n; ++r) {
      const ReplicaRun& run = runs[static_cast<std::size_t>(r)];
      EXPECT_EQ(run.weights, runs[0].weights) << n << " replicas, replica " << r;
      EXPECT_EQ(run.history.epochs.back().loss, runs[0].history.epochs.back().loss);
      EXPECT_EQ(run.history.epochs.back().val_accuracy, runs[0].history.epochs.back().val_accuracy);
    }
    EXPECT_LT(largest_difference(runs[0].weights, alone[0].weights), 1e-5) << n << " replicas";
    EXPECT_NEAR(runs[0].history.epochs.back().loss, alone[0].history.epochs.back().loss, 1e-6);
    EXPECT_NEAR(*runs[0].history.epochs.back().val_loss, *alone[0].history.epochs.back().val_loss, 1e-6);
    EXPECT_EQ(runs[0].history.progress.global_step, alone[0].history.progress.global_step);
    // Run after run: the same bits.
    EXPECT_EQ(train_on_replicas(n, false)[0].weights, runs[0].weights);
  }
}

// A batch of 2 rows on 3 replicas leaves replica 2 without a share at every step: it adds nothing,
// and still applies the batch's update.
TEST(DataParallelFit, AReplicaWithoutAShareKeepsInStep) {
  const std::vector<ReplicaRun> alone = train_on_replicas(0, false, 2);
  const std::vector<ReplicaRun> runs = train_on_replicas(3, false, 2);
  EXPECT_EQ(runs[2].weights, runs[0].weights);
  EXPECT_LT(largest_difference(runs[0].weights, alone[0].weights), 1e-5);
}

// Batch normalization normalizes each share by its own statistics (so the run differs from one
// process'), and replica 0's moving statistics are copied to every replica after each step.
TEST(DataParallelFit, BatchNormalizationKeepsReplicasIdentical) {
  const std::vector<ReplicaRun> runs = train_on_replicas(2, true);
  EXPECT_EQ(runs[1].weights, runs[0].weights);
  EXPECT_EQ(runs[1].history.epochs.back().val_loss, runs[0].history.epochs.back().val_loss);
}

// A NaN in replica 1's share stops every replica before the update, with replica 1's anomaly.
TEST(DataParallelFit, AnAnomalyOnOneReplicaStopsAllBeforeTheUpdate) {
  Dataset data = test::xor_dataset(64);
  data.features.data<float>()[2 * 40] = std::nanf("");  // row 40: replica 1's share of the batch of 64
  std::vector<Sequential> models = {classifier(false), classifier(false)};
  const std::vector<double> before = models[0].variables()[0].value().to_vector();
  std::vector<History> histories(2);
  run_replicas(2, [&](Replicas& replicas) {
    const auto r = static_cast<std::size_t>(replicas.rank());
    histories[r] = fit(models[r], data, {.optimizer = make_optimizer("sgd"), .epochs = 1, .batch_size = 64,
                                         .shuffle = false, .replicas = &replicas});
  });
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(histories[r].stop_reason, StopReason::anomaly);
    ASSERT_TRUE(histories[r].anomaly.has_value());
    EXPECT_EQ(histories[r].anomaly->describe(), histories[1].anomaly->describe());
    EXPECT_EQ(models[r].variables()[0].value().to_vector(), before);
  }
}

}  // namespace
}  // namespace gradlab
