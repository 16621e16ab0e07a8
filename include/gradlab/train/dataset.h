#pragma once
/// Dataset: examples for training — features [N, ...] and labels [N] (class ids) or [N, k] (targets) —
/// with seeded per-epoch shuffling, batching, a validation split, loaders by name and input
/// normalization.
///
///   DataSplits data = load_dataset("fashion-mnist");                 // train 60,000, test 10,000
///   auto [train, val] = split_validation(data.train, 0.1);           // the LAST 10%, as Keras
///   std::vector<int64_t> order = epoch_order(train.size(), seed, epoch);
///   Batch batch;
///   for (int64_t b = 0; b < batch_count(train.size(), 128); ++b) {
///     gather_batch(train, batch_rows(order, b, 128), batch);          // reuses batch's buffers
///     ... model(batch.features), loss on batch.labels ...
///   }
///
/// Shuffling: epoch e's order is a Fisher-Yates permutation drawn from Rng(seed).fork(e), a function
/// of (seed, epoch) only, so a resumed run recomputes the order of the epoch it stopped in.
/// Batching keeps the last partial batch, as Keras does: ceil(N / batch_size) batches.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/io/byte_rows.h"
#include "gradlab/io/csv.h"
#include "gradlab/nn/input_normalization.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Labeled examples. Rows of `features` and `labels` correspond.
struct Dataset {
  /// float32 [N, ...]: one row per example. Undefined when `feature_bytes` holds the features.
  Tensor features;
  /// The features kept as bytes instead (Fashion-MNIST's pixels: a quarter of the memory), read as
  /// float32 a batch at a time; slices share them. Undefined when `features` holds them.
  ByteRows feature_bytes;
  /// float32 [N] of class ids in [0, classes) (for the sparse cross-entropy), or [N, k] targets.
  Tensor labels;
  /// Number of classes for class-id labels; 0 for regression targets.
  int64_t classes = 0;
  /// Where the data came from ("fashion-mnist/train", "houses.csv"), for messages.
  std::string name;

  /// N, the number of examples (0 for an empty dataset).
  int64_t size() const;
  /// [N, ...]: the shape of the features as float32, wherever they are kept.
  Shape feature_shape() const;
  /// The features of the examples at `rows`, in that order, as float32 [rows.size(), ...].
  Tensor feature_rows(std::span<const int64_t> rows) const;
  /// Examples [begin, begin + count) as a new dataset; float32 features are copied, bytes shared.
  Dataset slice(int64_t begin, int64_t count) const;
  /// The examples at `rows` (in that order) as a new dataset; indexes must be in [0, N).
  Dataset gather(std::span<const int64_t> rows) const;
};

/// Checks that the features (float32, or bytes) and the float32 labels are defined, with the same
/// number of examples, and
/// that class-id labels are integers in [0, classes); Error naming `dataset.name` otherwise.
void check_dataset(const Dataset& dataset);

/// (train, validation): the validation set is the LAST `fraction` of the examples, taken before any
/// shuffling, as Keras's validation_split does (so sort order matters: shuffle a sorted file first).
/// The validation set has floor(N * fraction) examples. fraction must be in [0, 1); 0 gives an
/// empty validation set.
std::pair<Dataset, Dataset> split_validation(const Dataset& dataset, double fraction);

/// The order of epoch `epoch`'s examples: a permutation of [0, size) drawn from
/// Rng(seed).fork(epoch) (Fisher-Yates), or 0, 1, ... when `shuffle` is false.
std::vector<int64_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch, bool shuffle = true);

/// ceil(size / batch_size): the last partial batch is kept. batch_size must be positive.
int64_t batch_count(int64_t size, int64_t batch_size);

/// The rows of batch `index` in `order`: order[index * batch_size, ...), at most batch_size of them.
std::span<const int64_t> batch_rows(std::span<const int64_t> order, int64_t index, int64_t batch_size);

/// One batch: features [B, ...] and labels [B] or [B, k].
struct Batch {
  Tensor features;
  Tensor labels;
};

/// Copies the examples at `rows` into `batch`, reusing its tensors when they have the right shape
/// and nothing else holds them (so a steady training loop allocates no batch buffers).
void gather_batch(const Dataset& dataset, std::span<const int64_t> rows, Batch& batch);

/// The training and test sets of a named dataset.
struct DataSplits {
  Dataset train;
  /// Empty (size 0) when the source has no test set (a CSV file).
  Dataset test;
};

/// What load_dataset() reads and how.
struct DataOptions {
  /// For CSV files: the column holding the labels; required for CSV.
  std::string label_column;
  /// For CSV files: labels are class ids (integers in [0, classes)) when true, regression targets
  /// when false; unset: class ids when every label is a non-negative integer below 1000.
  std::optional<bool> classification;
  /// Keep only the first `limit` training and test examples (for quick runs); unset: all.
  std::optional<int64_t> limit;
  /// The adding problem (adding_problem.h): steps per example (unset: 100), the data's seed and the
  /// number of training and test examples generated (before `limit`). Error when `time_steps` is set
  /// for another dataset, which has its own.
  std::optional<int64_t> time_steps;
  uint64_t data_seed = 0;
  int64_t generated_train_examples = 10000;
  int64_t generated_test_examples = 1000;
  /// Directory of Fashion-MNIST's IDX files.
  std::string fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  CsvOptions csv;
};

/// One way load_dataset reads Fashion-MNIST's images: the same bytes, one shape per example.
struct FashionMnistView {
  /// The dataset's name ("fashion-mnist-images"); the name with underscores is accepted too.
  std::string name;
  /// One example's shape without the batch: [784], [28, 28] or [28, 28, 1].
  Shape example_shape;
  /// What the view is for, in a few words ("channels-last images, for convolutional specs").
  std::string purpose;
};

/// The views of Fashion-MNIST load_dataset knows, flat vectors first.
const std::vector<FashionMnistView>& fashion_mnist_views();

/// The view named `name` (or its name with underscores, "fashion_mnist_images"); nullptr for any
/// other name (a CSV file, another dataset).
const FashionMnistView* find_fashion_mnist_view(const std::string& name);

/// The first view whose example shape satisfies `fits` (flat vectors first); nullptr if none does.
const FashionMnistView* find_fashion_mnist_view_if(const std::function<bool(const Shape&)>& fits);

/// The views for help texts: "fashion-mnist ([784]: flat vectors, for Dense specs), ...".
std::string describe_fashion_mnist_views();

/// By name:
///   "fashion-mnist"           features [N, 784] in [0, 1], 10 classes;
///   "fashion-mnist-sequence"  the same images as sequences for recurrent layers: [N, 28, 28], 28 time
///                             steps (the image's rows, top first) of 28 pixels;
///   "fashion-mnist-images"    the same images channels last for convolutions: [N, 28, 28, 1];
///   "adding-problem"          the adding problem (adding_problem.h): [N, T, 2], regression targets [N, 1];
///   a path to a CSV file      features: every column but the label column, in file order.
/// A missing or corrupt file is an Error naming it.
DataSplits load_dataset(const std::string& name, const DataOptions& options = {});

/// A CSV file as a dataset; see DataOptions.
Dataset load_csv_dataset(const std::string& path, const DataOptions& options);

/// A Normalization layer (axis -1) adapted to `dataset`'s features, streamed in batches of
/// `batch_size` through update_state (the merge is exact: Chan et al.'s parallel formulas), so its
/// statistics equal adapt() on the whole set. Use it as the model's first layer, or apply it to the
/// data with normalize_features().
Normalization adapt_normalization(const Dataset& dataset, int64_t batch_size = 4096);

/// `dataset` with its features passed through `normalization` (inference mode), in batches.
Dataset normalize_features(const Dataset& dataset, const Normalization& normalization, int64_t batch_size = 4096);

}  // namespace gradlab
