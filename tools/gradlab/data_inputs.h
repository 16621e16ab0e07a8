#pragma once
// `--data`: a model's input taken from real examples (a view of Fashion-MNIST, or a CSV file of the
// user's) for `probe` and `gradients`, instead of a drawn input or a safetensors file.
#include <string>

#include "commands.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/nn/layer.h"
#include "gradlab/tensor/tensor.h"
#include "gradlab/train/dataset.h"

namespace gradlab::cli {

/// What `--data`, `--limit`, `--label-column` and `--data-dir` say.
struct DataInputSettings {
  /// A Fashion-MNIST view (fashion_mnist_views(): "fashion-mnist", "fashion-mnist-sequence",
  /// "fashion-mnist-images") or a CSV file; empty when --data is not given.
  std::string data;
  /// Rows used: the first `limit` training examples (Fashion-MNIST's training set, the CSV's rows).
  int64_t limit = 32;
  /// CSV: a column left out of the features (the labels); empty: every column is a feature.
  std::string label_column;
  /// Folder of Fashion-MNIST's IDX files.
  std::string data_dir = DataOptions{}.fashion_mnist_dir;
};

/// Adds --data, --limit, --label-column and --data-dir to `cmd`, each excluding `input` (--input).
/// --data's help lists the Fashion-MNIST views from fashion_mnist_views(). Returns the --data option.
CLI::Option* add_data_options(CLI::App* cmd, DataInputSettings& settings, CLI::Option* input);

/// What --data accepts, for messages: "fashion-mnist|fashion-mnist-sequence|fashion-mnist-images|FILE.csv".
std::string data_choices();

/// The examples of `settings.data` as float32 [rows, ...]: a Fashion-MNIST view's first `limit`
/// training images in [0, 1], each in the view's shape ([784], [28, 28] or [28, 28, 1]), or a CSV
/// file's first `limit` rows without the label column ([rows, features]). A missing or malformed
/// file is a UsageError naming it.
Tensor read_data_features(const DataInputSettings& settings);

/// "fashion-mnist (first 32 training images, 784 features)",
/// "fashion-mnist-images (first 32 training images, 28x28x1)" or "houses.csv (first 32 rows, 8 features)".
std::string data_description(const DataInputSettings& settings, const Tensor& features);

/// Checks that `features` fit `spec` — one model input, whose shape is the examples' row shape — and
/// returns the name of that input. Otherwise a UsageError naming the data, its examples' shape, the
/// input and its shape, and the Fashion-MNIST view of that shape when the data is Fashion-MNIST and
/// one has it (a [28, 28, 1] input given fashion-mnist: fashion-mnist-images).
std::string data_input_name(const ModelSpec& spec, const DataInputSettings& settings, const Tensor& features);

/// As data_input_name, for a model object (Python's probe(model=...)): a functional Model's one
/// Input must have the examples' shape. A layer without declared inputs is built on the examples.
void check_data_fits_model(const Layer& model, const DataInputSettings& settings, const Tensor& features);

/// Checks that the examples' rows have `rank` dimensions, as the inline network `network` takes them
/// (`layout`: "[features]", "[time, features]", "[height, width, channels]"); a UsageError naming the
/// data, its examples' shape, the network and the Fashion-MNIST view of that rank otherwise.
void check_inline_data_rank(const DataInputSettings& settings, const Tensor& features, int64_t rank,
                            const std::string& network, const std::string& layout);

/// One example's shape: `features` without its first (batch) dimension.
Shape example_shape(const Tensor& features);

}  // namespace gradlab::cli
