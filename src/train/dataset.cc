#include "gradlab/train/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gradlab/error.h"
#include "gradlab/io/idx.h"
#include "gradlab/train/adding_problem.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

// Elements per example of `t` (product of every dimension after the first).
int64_t row_size(const Tensor& t) {
  int64_t n = 1;
  for (int64_t i = 1; i < t.rank(); ++i) n *= t.dim(i);
  return n;
}

Shape with_rows(const Shape& shape, int64_t rows) {
  std::vector<int64_t> dims = shape.to_vector();
  dims[0] = rows;
  return Shape(dims);
}

// Copies rows `rows` of `from` into `to` (already shaped [rows.size(), ...]).
void copy_rows(const Tensor& from, std::span<const int64_t> rows, Tensor& to) {
  const int64_t width = row_size(from);
  const int64_t n = from.dim(0);
  const float* src = from.data<float>();
  float* dst = to.data<float>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= n) fail("dataset row {} is out of range [0, {})", rows[i], n);
    std::memcpy(dst + static_cast<int64_t>(i) * width, src + rows[i] * width, static_cast<std::size_t>(width) * sizeof(float));
  }
}

Tensor gather_rows(const Tensor& from, std::span<const int64_t> rows) {
  Tensor out = Tensor::empty(with_rows(from.shape(), static_cast<int64_t>(rows.size())), from.dtype());
  copy_rows(from, rows, out);
  return out;
}

std::vector<int64_t> iota_rows(int64_t begin, int64_t count) {
  std::vector<int64_t> rows(static_cast<std::size_t>(count));
  for (int64_t i = 0; i < count; ++i) rows[static_cast<std::size_t>(i)] = begin + i;
  return rows;
}

Dataset first(const Dataset& d, std::optional<int64_t> limit) {
  if (!limit || *limit >= d.size()) return d;
  if (*limit < 1) fail("{}: the example limit must be at least 1, got {}", d.name, *limit);
  return d.slice(0, *limit);
}

Dataset from_images(ByteRows images, const std::vector<int64_t>& labels, std::string name) {
  Tensor y = Tensor::empty({static_cast<int64_t>(labels.size())}, DType::float32);
  float* p = y.data<float>();
  for (std::size_t i = 0; i < labels.size(); ++i) p[i] = static_cast<float>(labels[i]);
  return {.feature_bytes = std::move(images), .labels = std::move(y), .classes = 10, .name = std::move(name)};
}

}  // namespace

int64_t Dataset::size() const {
  if (features.defined()) return features.dim(0);
  return feature_bytes.defined() ? feature_bytes.rows : 0;
}

Shape Dataset::feature_shape() const {
  if (features.defined()) return features.shape();
  if (feature_bytes.defined()) return feature_bytes.shape();
  fail("{}: dataset has no features", name);
}

Tensor Dataset::feature_rows(std::span<const int64_t> rows) const {
  if (features.defined()) return gather_rows(features, rows);
  Tensor out = Tensor::empty(with_rows(feature_shape(), static_cast<int64_t>(rows.size())), DType::float32);
  feature_bytes.read_rows(rows, out.data<float>());
  return out;
}

Dataset Dataset::slice(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size()) {
    fail("{}: examples [{}, {}) are outside the dataset's {}", name, begin, begin + count, size());
  }
  const std::vector<int64_t> rows = iota_rows(begin, count);
  if (!feature_bytes.defined()) return gather(rows);
  return {.feature_bytes = feature_bytes.slice(begin, count), .labels = gather_rows(labels, rows), .classes = classes,
          .name = name};
}

Dataset Dataset::gather(std::span<const int64_t> rows) const {
  if (feature_bytes.defined()) {
    return {.feature_bytes = feature_bytes.gather(rows), .labels = gather_rows(labels, rows), .classes = classes,
            .name = name};
  }
  return {.features = gather_rows(features, rows), .labels = gather_rows(labels, rows), .classes = classes, .name = name};
}

void check_dataset(const Dataset& d) {
  if (d.features.defined() == d.feature_bytes.defined() || !d.labels.defined()) {
    fail("{}: dataset needs labels and features, either as float32 or as bytes (not both)", d.name);
  }
  if ((d.features.defined() && d.features.dtype() != DType::float32) || d.labels.dtype() != DType::float32) {
    fail("{}: features and labels must be float32, got {} and {}", d.name,
         d.features.defined() ? dtype_name(d.features.dtype()) : "bytes", dtype_name(d.labels.dtype()));
  }
  const Shape features = d.feature_shape();
  if (features.rank() < 1 || d.labels.rank() < 1 || features[0] != d.labels.dim(0)) {
    fail("{}: features {} and labels {} must have the same number of examples (first dimension)", d.name,
         features.to_string(), d.labels.shape().to_string());
  }
  if (d.classes > 0) {
    const float* y = d.labels.data<float>();
    for (int64_t i = 0; i < d.labels.numel(); ++i) {
      if (!(y[i] >= 0 && y[i] < static_cast<float>(d.classes)) || y[i] != std::floor(y[i])) {
        fail("{}: label {} of example {} is not a class id in [0, {})", d.name, y[i], i, d.classes);
      }
    }
  }
}

std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction) {
  if (!(fraction >= 0 && fraction < 1)) fail("validation split must be in [0, 1), got {}", fraction);
  const int64_t n = d.size();
  const auto val = static_cast<int64_t>(std::floor(static_cast<double>(n) * fraction));
  Dataset train = d.slice(0, n - val);
  Dataset validation = d.slice(n - val, val);
  validation.name = d.name + " (validation)";
  return {std::move(train), std::move(validation)};
}

std::vector<int64_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch, bool shuffle) {
  std::vector<int64_t> order = iota_rows(0, size);
  if (!shuffle) return order;
  Rng rng = Rng(seed).fork(static_cast<uint64_t>(epoch));
  for (int64_t i = size - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(i + 1)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

int64_t batch_count(int64_t size, int64_t batch_size) {
  if (batch_size < 1) fail("batch size must be at least 1, got {}", batch_size);
  return (size + batch_size - 1) / batch_size;
}

std::span<const int64_t> batch_rows(std::span<const int64_t> order, int64_t index, int64_t batch_size) {
  const auto begin = static_cast<std::size_t>(index * batch_size);
  if (index < 0 || begin >= order.size()) fail("batch {} is past the end of the epoch", index);
  return order.subspan(begin, std::min(order.size() - begin, static_cast<std::size_t>(batch_size)));
}

void gather_batch(const Dataset& d, std::span<const int64_t> rows, Batch& batch) {
  const auto count = static_cast<int64_t>(rows.size());
  const auto reuse = [count](Tensor& to, const Shape& shape) {
    const Shape want = with_rows(shape, count);
    if (!to.defined() || to.shape() != want || !to.owns_storage_exclusively()) to = Tensor::empty(want, DType::float32);
  };
  reuse(batch.features, d.feature_shape());
  if (d.feature_bytes.defined()) {
    d.feature_bytes.read_rows(rows, batch.features.data<float>());
  } else {
    copy_rows(d.features, rows, batch.features);
  }
  reuse(batch.labels, d.labels.shape());
  copy_rows(d.labels, rows, batch.labels);
}

Dataset load_csv_dataset(const std::string& path, const DataOptions& options) {
  if (options.label_column.empty()) fail("{}: a CSV dataset needs a label column (--label-column NAME)", path);
  const CsvTable table = read_csv(path, options.csv);
  const int64_t label = table.column_index(options.label_column);
  const int64_t rows = table.rows();
  const auto width = static_cast<int64_t>(table.columns.size());
  if (width < 2) fail("{}: only the label column '{}'; no feature columns", path, options.label_column);
  bool ids = true;
  double largest = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double y = table.value(r, label);
    ids = ids && y >= 0 && y == std::floor(y) && y < 1000;
    largest = std::max(largest, y);
  }
  const bool classification = options.classification.value_or(ids);
  if (classification && !ids) {
    fail("{}: column '{}' must hold class ids (integers in [0, 1000)) for classification", path, options.label_column);
  }
  Dataset d;
  d.name = path;
  d.features = Tensor::empty({rows, width - 1}, DType::float32);
  d.labels = Tensor::empty(classification ? Shape{rows} : Shape{rows, 1}, DType::float32);
  d.classes = classification ? static_cast<int64_t>(largest) + 1 : 0;
  float* x = d.features.data<float>();
  float* y = d.labels.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < width; ++c) {
      const double v = table.value(r, c);
      if (c == label) {
        y[r] = static_cast<float>(v);
      } else {
        if (std::fabs(v) > 3.4e38) {
          fail("{}: row {} column '{}': {} does not fit float32", path, r + 1, table.columns[static_cast<std::size_t>(c)], v);
        }
        *x++ = static_cast<float>(v);
      }
    }
  }
  return d;
}

const std::vector<FashionMnistView>& fashion_mnist_views() {
  static const std::vector<FashionMnistView> views{
      {"fashion-mnist", Shape{kFashionMnistSide * kFashionMnistSide}, "flat vectors, for Dense specs"},
      {"fashion-mnist-sequence", Shape{kFashionMnistSide, kFashionMnistSide}, "28 steps of 28 pixels, for recurrent specs"},
      {"fashion-mnist-images", Shape{kFashionMnistSide, kFashionMnistSide, 1}, "channels-last images, for convolutional specs"}};
  return views;
}

const FashionMnistView* find_fashion_mnist_view(const std::string& name) {
  for (const FashionMnistView& view : fashion_mnist_views()) {
    std::string underscored = view.name;
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    if (name == view.name || name == underscored) return &view;
  }
  return nullptr;
}

const FashionMnistView* find_fashion_mnist_view_if(const std::function<bool(const Shape&)>& fits) {
  for (const FashionMnistView& view : fashion_mnist_views()) {
    if (fits(view.example_shape)) return &view;
  }
  return nullptr;
}

std::string describe_fashion_mnist_views() {
  std::vector<std::string> views;
  for (const FashionMnistView& view : fashion_mnist_views()) {
    views.push_back(fmt::format("{} ({}: {})", view.name, view.example_shape.to_string(), view.purpose));
  }
  return fmt::format("{}", fmt::join(views, ", "));
}

DataSplits load_dataset(const std::string& name, const DataOptions& options) {
  if (name == "adding-problem" || name == "adding_problem") {
    const AddingProblemOptions o{.time_steps = options.time_steps.value_or(100),
                                 .train_examples = std::min(options.generated_train_examples, options.limit.value_or(INT64_MAX)),
                                 .test_examples = std::min(options.generated_test_examples, options.limit.value_or(INT64_MAX)),
                                 .seed = options.data_seed};
    return load_adding_problem(o);
  }
  if (options.time_steps) {
    fail("{}: time steps can be chosen for the adding problem only (fashion-mnist-sequence has 28)", name);
  }
  if (const FashionMnistView* view = find_fashion_mnist_view(name)) {
    FashionMnist f = load_fashion_mnist(options.fashion_mnist_dir);
    // Every view reads the same bytes; only the shape of a row changes.
    f.train_images.row_shape = view->example_shape;
    f.test_images.row_shape = view->example_shape;
    return {.train = first(from_images(std::move(f.train_images), f.train_labels, view->name + "/train"), options.limit),
            .test = first(from_images(std::move(f.test_images), f.test_labels, view->name + "/test"), options.limit)};
  }
  if (name.size() >= 4 && name.substr(name.size() - 4) == ".csv") {
    return {.train = first(load_csv_dataset(name, options), options.limit), .test = {}};
  }
  std::vector<std::string> names;
  for (const FashionMnistView& view : fashion_mnist_views()) names.push_back(view.name);
  fail("unknown dataset '{}': use {}, adding-problem or a path to a .csv file", name, fmt::join(names, ", "));
}

Normalization adapt_normalization(const Dataset& d, int64_t batch_size) {
  const int64_t batches = batch_count(d.size(), batch_size);
  if (d.size() == 0) fail("{}: cannot adapt a normalization to an empty dataset", d.name);
  Normalization norm;
  norm.reset_state();
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t begin = b * batch_size;
    const std::vector<int64_t> rows = iota_rows(begin, std::min(batch_size, d.size() - begin));
    norm.update_state(d.feature_rows(rows));
  }
  norm.finalize_state();
  return norm;
}

Dataset normalize_features(const Dataset& d, const Normalization& normalization, int64_t batch_size) {
  Dataset out = d;
  out.feature_bytes = {};
  out.features = Tensor::empty(d.feature_shape(), DType::float32);
  const int64_t width = row_size(out.features);
  for (int64_t b = 0; b < batch_count(d.size(), batch_size); ++b) {
    const int64_t begin = b * batch_size;
    const std::vector<int64_t> rows = iota_rows(begin, std::min(batch_size, d.size() - begin));
    const Tensor y = normalization(d.feature_rows(rows));
    std::memcpy(out.features.data<float>() + begin * width, y.data<float>(),
                static_cast<std::size_t>(y.numel()) * sizeof(float));
  }
  return out;
}

}  // namespace gradlab
