#pragma once
// `--data`: a model's input taken from real examples (Fashion-MNIST, or a CSV file of the user's)
// for `probe` and `gradients`, instead of a drawn input or a safetensors file.
#include <string>

#include "commands.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/tensor/tensor.h"
#include "gradlab/train/dataset.h"

namespace gradlab::cli {

/// What `--data`, `--limit`, `--label-column` and `--data-dir` say.
struct DataInputSettings {
  /// "fashion-mnist" or a CSV file; empty when --data is not given.
  std::string data;
  /// Rows used: the first `limit` training examples (Fashion-MNIST's training set, the CSV's rows).
  int64_t limit = 32;
  /// CSV: a column left out of the features (the labels); empty: every column is a feature.
  std::string label_column;
  /// Folder of Fashion-MNIST's IDX files.
  std::string data_dir = DataOptions{}.fashion_mnist_dir;
};

/// Adds --data, --limit, --label-column and --data-dir to `cmd`, each excluding `input` (--input).
/// Returns the --data option.
CLI::Option* add_data_options(CLI::App* cmd, DataInputSettings& settings, CLI::Option* input);

/// The features of `settings.data` as float32 [rows, features]: Fashion-MNIST's first `limit`
/// training images ([limit, 784] in [0, 1]) or a CSV file's first `limit` rows without the label
/// column. A missing or malformed file is a UsageError naming it.
Tensor read_data_features(const DataInputSettings& settings);

/// "fashion-mnist (first 32 training images, 784 features)" or "houses.csv (first 32 rows, 8 features)".
std::string data_description(const DataInputSettings& settings, const Tensor& features);

/// Checks that `features` fit `spec` — one model input, whose shape is the features' row shape — and
/// returns the name of that input; a UsageError naming the data and the input otherwise.
std::string data_input_name(const ModelSpec& spec, const DataInputSettings& settings, const Tensor& features);

}  // namespace gradlab::cli
