#include "gradlab/train/dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "gradlab/io/atomic_file.h"
#include "support/test_helpers.h"
#include "train_test_data.h"

namespace gradlab {
namespace {

using test::error_of;

Dataset numbered(int64_t n) {
  Tensor x = Tensor::empty({n, 2}, DType::float32), y = Tensor::empty({n}, DType::float32);
  for (int64_t i = 0; i < n; ++i) {
    x.data<float>()[2 * i] = static_cast<float>(i);
    x.data<float>()[2 * i + 1] = static_cast<float>(-i);
    y.data<float>()[i] = static_cast<float>(i % 3);
  }
  return {.features = x, .labels = y, .classes = 3, .name = "numbered"};
}

TEST(Dataset, EpochOrderIsASeededPermutationOfSeedAndEpoch) {
  const std::vector<int64_t> a = epoch_order(100, 5, 2), again = epoch_order(100, 5, 2);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, epoch_order(100, 5, 3));
  EXPECT_NE(a, epoch_order(100, 6, 2));
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, epoch_order(100, 5, 2, false));
  EXPECT_NE(a, sorted);
}

TEST(Dataset, BatchesKeepTheLastPartialBatch) {
  EXPECT_EQ(batch_count(10, 4), 3);
  EXPECT_EQ(batch_count(8, 4), 2);
  const std::vector<int64_t> order = epoch_order(10, 0, 0, false);
  EXPECT_EQ(batch_rows(order, 2, 4).size(), 2u);
  EXPECT_EQ(batch_rows(order, 2, 4)[0], 8);
  EXPECT_EQ(error_of([] { batch_count(10, 0); }), "batch size must be at least 1, got 0");
}

TEST(Dataset, ValidationSplitTakesTheLastFractionBeforeShuffling) {
  const auto [train, val] = split_validation(numbered(10), 0.3);
  ASSERT_EQ(train.size(), 7);
  ASSERT_EQ(val.size(), 3);
  EXPECT_EQ(train.features.at({6, 0}), 6.0);
  EXPECT_EQ(val.features.at({0, 0}), 7.0);
  EXPECT_EQ(val.labels.at({2}), 9 % 3);
  EXPECT_EQ(error_of([] { split_validation(numbered(4), 1.0); }), "validation split must be in [0, 1), got 1");
}

TEST(Dataset, GatherBatchReusesItsBuffers) {
  const Dataset d = numbered(10);
  const std::vector<int64_t> order = epoch_order(10, 1, 0);
  Batch batch;
  gather_batch(d, batch_rows(order, 0, 4), batch);
  const float* buffer = batch.features.data<float>();
  EXPECT_EQ(batch.features.at({1, 0}), static_cast<double>(order[1]));
  EXPECT_EQ(batch.labels.at({3}), static_cast<double>(order[3] % 3));
  gather_batch(d, batch_rows(order, 1, 4), batch);
  EXPECT_EQ(batch.features.data<float>(), buffer);
  EXPECT_EQ(batch.features.at({0, 1}), -static_cast<double>(order[4]));
  gather_batch(d, batch_rows(order, 2, 4), batch);  // the partial batch gets its own shape
  EXPECT_EQ(batch.features.shape(), (Shape{2, 2}));
}

TEST(Dataset, CheckRefusesBadLabels) {
  Dataset d = numbered(4);
  d.labels.data<float>()[2] = 3;
  EXPECT_EQ(error_of([&] { check_dataset(d); }), "numbered: label 3 of example 2 is not a class id in [0, 3)");
  d.labels = zeros({3});
  EXPECT_EQ(error_of([&] { check_dataset(d); }),
            "numbered: features [4, 2] and labels [3] must have the same number of examples (first dimension)");
}

TEST(Dataset, CsvDatasetByLabelColumn) {
  const std::string path = test::temp_file("train_dataset.csv");
  write_file_atomically(path, "x1,label,x2\n0.5,1,2\n1.5,0,3\n2.5,2,4\n");
  const DataSplits s = load_dataset(path, {.label_column = "label"});
  ASSERT_EQ(s.train.size(), 3);
  EXPECT_EQ(s.test.size(), 0);
  EXPECT_EQ(s.train.classes, 3);
  EXPECT_EQ(s.train.features.shape(), (Shape{3, 2}));
  EXPECT_EQ(s.train.features.at({1, 1}), 3.0);
  EXPECT_EQ(s.train.labels.at({2}), 2.0);
  const Dataset r = load_csv_dataset(path, {.label_column = "x1"});  // 0.5: regression targets
  EXPECT_EQ(r.classes, 0);
  EXPECT_EQ(r.labels.shape(), (Shape{3, 1}));
  EXPECT_EQ(error_of([&] { load_dataset(path, {.label_column = "y"}); }),
            path + ": no column 'y'; the columns are 'x1', 'label', 'x2'");
  EXPECT_EQ(error_of([&] { load_dataset(path, {}); }), path + ": a CSV dataset needs a label column (--label-column NAME)");
  EXPECT_EQ(error_of([&] { load_csv_dataset(path, {.label_column = "x1", .classification = true}); }),
            path + ": column 'x1' must hold class ids (integers in [0, 1000)) for classification");
}

TEST(Dataset, UnknownOrMissingDatasetIsAClearError) {
  EXPECT_EQ(error_of([] { load_dataset("mnist-ish"); }), "unknown dataset 'mnist-ish': use fashion-mnist, fashion-mnist-sequence, fashion-mnist-images, "
            "adding-problem or a path to a .csv file");
  const std::string message = error_of([] { load_dataset("fashion-mnist", {.fashion_mnist_dir = "/nonexistent/fm"}); });
  EXPECT_NE(message.find("/nonexistent/fm"), std::string::npos) << message;
}

TEST(Dataset, FashionMnistWithALimit) {
  const DataSplits s = load_dataset("fashion-mnist", {.limit = 64});
  EXPECT_EQ(s.train.size(), 64);
  EXPECT_EQ(s.test.size(), 64);
  EXPECT_EQ(s.train.feature_shape(), (Shape{64, 784}));
  EXPECT_EQ(s.train.classes, 10);
  check_dataset(s.train);
}

TEST(Dataset, StreamedNormalizationEqualsWholeSetAdapt) {
  const Dataset d = test::xor_dataset(37);
  const Normalization streamed = adapt_normalization(d, 5);
  Normalization whole;
  whole.adapt(d.features);
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(streamed.mean().value().at({i}), whole.mean().value().at({i}), 1e-7);
    EXPECT_NEAR(streamed.variance().value().at({i}), whole.variance().value().at({i}), 1e-7);
  }
  const Dataset n = normalize_features(d, streamed, 8);
  double sum = 0;
  for (int64_t r = 0; r < n.size(); ++r) sum += n.features.at({r, 0});
  EXPECT_NEAR(sum / static_cast<double>(n.size()), 0.0, 1e-5);
}

}  // namespace
// Fashion-MNIST keeps its pixels as bytes; every way of reading them gives exactly the float32
// values the file's array converts to, and slices share the bytes instead of copying them.
TEST(Dataset, FashionMnistBytesReadAsTheSameFloatsAsAFloatCopy) {
  const DataSplits s = load_dataset("fashion-mnist", {.limit = 300});
  ASSERT_TRUE(s.train.feature_bytes.defined());
  ASSERT_FALSE(s.train.features.defined());
  const Tensor all = s.train.feature_bytes.to_tensor();
  const Dataset floats{.features = all, .labels = s.train.labels, .classes = 10, .name = "floats"};
  const std::vector<int64_t> rows{299, 0, 17, 17, 150};
  Batch from_bytes, from_floats;
  gather_batch(s.train, rows, from_bytes);
  gather_batch(floats, rows, from_floats);
  ASSERT_EQ(from_bytes.features.shape(), (Shape{5, 784}));
  EXPECT_EQ(0, std::memcmp(from_bytes.features.data<float>(), from_floats.features.data<float>(), 5 * 784 * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(from_bytes.labels.data<float>(), from_floats.labels.data<float>(), 5 * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(s.train.feature_rows(rows).data<float>(), from_floats.features.data<float>(), 5 * 784 * sizeof(float)));

  const auto [train, validation] = split_validation(s.train, 0.1);
  EXPECT_EQ(train.feature_bytes.bytes, s.train.feature_bytes.bytes) << "a slice shares the bytes";
  EXPECT_EQ(validation.size(), 30);
  EXPECT_EQ(validation.feature_rows(std::vector<int64_t>{0}).at({0, 400}), all.at({270, 400}));
  const Dataset picked = s.train.gather(rows);
  EXPECT_TRUE(picked.feature_bytes.defined());
  EXPECT_EQ(picked.feature_rows(std::vector<int64_t>{1}).at({0, 300}), all.at({0, 300}));
  check_dataset(train);
  EXPECT_THROW(s.train.feature_rows(std::vector<int64_t>{300}), Error);
}

}  // namespace gradlab
