#include "data_inputs.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "gradlab/io/csv.h"
#include "gradlab/tensor/creation.h"
#include "model_files.h"

namespace gradlab::cli {

CLI::Option* add_data_options(CLI::App* cmd, DataInputSettings& s, CLI::Option* input) {
  CLI::Option* data = cmd->add_option("--data", s.data,
                                      "Input from real examples instead: fashion-mnist (its training images), or a CSV file "
                                      "(a header row, then numbers; every column but --label-column is a feature)")
                          ->excludes(input);
  cmd->add_option("--limit", s.limit, "With --data: use the first N examples")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}))
      ->needs(data)
      ->capture_default_str();
  cmd->add_option("--label-column", s.label_column, "With a CSV --data: the column that is not a feature (the labels)")
      ->needs(data);
  cmd->add_option("--data-dir", s.data_dir, "With --data fashion-mnist: folder of its IDX files")->needs(data)->capture_default_str();
  return data;
}

Tensor read_data_features(const DataInputSettings& s) {
  return as_bad_input([&]() -> Tensor {
    if (s.data == "fashion-mnist") {
      const DataSplits splits = load_dataset(s.data, {.limit = s.limit, .fashion_mnist_dir = s.data_dir});
      std::vector<int64_t> rows(static_cast<std::size_t>(std::min(s.limit, splits.train.size())));
      std::iota(rows.begin(), rows.end(), int64_t{0});
      return splits.train.feature_rows(rows);
    }
    const CsvTable table = read_csv(s.data);
    std::vector<int64_t> columns(table.columns.size());
    std::iota(columns.begin(), columns.end(), int64_t{0});
    if (!s.label_column.empty()) columns.erase(columns.begin() + table.column_index(s.label_column));
    if (columns.empty()) fail("{}: no feature columns besides the label column '{}'", s.data, s.label_column);
    const int64_t rows = std::min(s.limit, table.rows());
    std::vector<double> values;
    values.reserve(static_cast<std::size_t>(rows) * columns.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (const int64_t c : columns) values.push_back(table.value(r, c));
    }
    return from_values(Shape{rows, static_cast<int64_t>(columns.size())}, values);
  });
}

std::string data_description(const DataInputSettings& s, const Tensor& features) {
  return s.data == "fashion-mnist"
             ? fmt::format("fashion-mnist (first {} training images, {} features)", features.dim(0), features.dim(1))
             : fmt::format("{} (first {} rows, {} features)", s.data, features.dim(0), features.dim(1));
}

std::string data_input_name(const ModelSpec& spec, const DataInputSettings& s, const Tensor& features) {
  if (spec.inputs.size() != 1) {
    throw UsageError(fmt::format("--data {}: the model {} has {} inputs; --data feeds a model with one input (use --input "
                                 "with a safetensors file for several)",
                                 s.data, spec.name, spec.inputs.size()));
  }
  const auto& [name, shape] = spec.inputs.front();
  if (!(shape == Shape{features.dim(1)})) {
    throw UsageError(fmt::format("--data {}: its examples have {} features, but the model's input '{}' has shape {} "
                                 "(declare \"inputs\": {{\"{}\": [{}]}} in the spec)",
                                 s.data, features.dim(1), name, shape.to_string(), name, features.dim(1)));
  }
  return name;
}

}  // namespace gradlab::cli
