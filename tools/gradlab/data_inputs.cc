#include "data_inputs.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gradlab/io/csv.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"
#include "model_files.h"

namespace gradlab::cli {
namespace {

// "its examples have shape [28, 28, 1]" for a Fashion-MNIST view; a CSV file's rows are features.
std::string examples_text(const DataInputSettings& s, const Shape& example) {
  if (find_fashion_mnist_view(s.data) == nullptr) return fmt::format("its examples have {} features", example.numel());
  return fmt::format("its examples have shape {}", example.to_string());
}

// Fashion-MNIST read in the wrong view is the likely mistake: name the view that fits, if one does.
// Only for Fashion-MNIST data: a CSV file of the user's is not replaced by our images.
std::string view_hint(const DataInputSettings& s, const std::function<bool(const Shape&)>& fits) {
  if (find_fashion_mnist_view(s.data) == nullptr) return "";
  const FashionMnistView* view = find_fashion_mnist_view_if(fits);
  if (view == nullptr) return "";
  return fmt::format("; --data {} gives {} ({})", view->name, view->example_shape.to_string(), view->purpose);
}

// What data_input_name and check_data_fits_model share. The model (`model`, a description) has one input:
void check_one_input(const DataInputSettings& s, const std::string& model, std::size_t inputs) {
  if (inputs == 1) return;
  throw UsageError(fmt::format("--data {}: the model {} has {} inputs; --data feeds a model with one input (use --input "
                               "with a safetensors file for several)",
                               s.data, model, inputs));
}

// and the examples have that input's shape; `fix` is the hint when no Fashion-MNIST view fits.
void check_input_shape(const DataInputSettings& s, const Tensor& features, const std::string& name, const Shape& shape,
                       const std::string& fix) {
  const Shape example = example_shape(features);
  if (shape == example) return;
  std::string hint = view_hint(s, [&](const Shape& view) { return view == shape; });
  if (hint.empty()) hint = fix;
  throw UsageError(fmt::format("--data {}: {}, but the model's input '{}' has shape {}{}", s.data, examples_text(s, example),
                               name, shape.to_string(), hint));
}

}  // namespace

std::string data_choices() {
  std::vector<std::string> names;
  for (const FashionMnistView& view : fashion_mnist_views()) names.push_back(view.name);
  names.emplace_back("FILE.csv");
  return fmt::format("{}", fmt::join(names, "|"));
}

CLI::Option* add_data_options(CLI::App* cmd, DataInputSettings& s, CLI::Option* input) {
  CLI::Option* data =
      cmd->add_option("--data", s.data,
                      fmt::format("Input from real examples instead: Fashion-MNIST's training images as {}; or a CSV file "
                                  "(a header row, then numbers; every column but --label-column is a feature)",
                                  describe_fashion_mnist_views()))
          ->excludes(input);
  cmd->add_option("--limit", s.limit, "With --data: use the first N examples")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}))
      ->needs(data)
      ->capture_default_str();
  cmd->add_option("--label-column", s.label_column, "With a CSV --data: the column that is not a feature (the labels)")
      ->needs(data);
  cmd->add_option("--data-dir", s.data_dir, "With a Fashion-MNIST --data: folder of its IDX files")->needs(data)->capture_default_str();
  return data;
}

Shape example_shape(const Tensor& features) {
  const std::vector<int64_t> dims = features.shape().to_vector();
  return Shape(std::vector<int64_t>(dims.begin() + 1, dims.end()));
}

Tensor read_data_features(const DataInputSettings& s) {
  return as_bad_input([&]() -> Tensor {
    if (const FashionMnistView* view = find_fashion_mnist_view(s.data)) {
      const DataSplits splits = load_dataset(view->name, {.limit = s.limit, .fashion_mnist_dir = s.data_dir});
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
  const Shape example = example_shape(features);
  const std::string row =
      example.rank() == 1 ? fmt::format("{} features", example[0]) : fmt::format("{}", fmt::join(example.to_vector(), "x"));
  const FashionMnistView* view = find_fashion_mnist_view(s.data);
  return view != nullptr ? fmt::format("{} (first {} training images, {})", view->name, features.dim(0), row)
                         : fmt::format("{} (first {} rows, {})", s.data, features.dim(0), row);
}

std::string data_input_name(const ModelSpec& spec, const DataInputSettings& s, const Tensor& features) {
  check_one_input(s, spec.name, spec.inputs.size());
  const auto& [name, shape] = spec.inputs.front();
  const Shape example = example_shape(features);
  // Redeclaring the input fits a model of the examples' rank; a CSV file's flat rows do not make
  // images or sequences, so a model of another rank takes its input from a file instead.
  const std::string fix =
      shape.rank() == example.rank()
          ? fmt::format(" (declare \"inputs\": {{\"{}\": {}}} in the spec)", name, example.to_string())
          : fmt::format("; give it with --input, a safetensors file of shape [batch, {}", shape.to_string().substr(1));
  check_input_shape(s, features, name, shape, fix);
  return name;
}

void check_data_fits_model(const Layer& model, const DataInputSettings& s, const Tensor& features) {
  const auto* functional = model.as<ModelImpl>();
  if (functional == nullptr) return;
  check_one_input(s, fmt::format("'{}'", model.name()), functional->inputs().size());
  const SymbolicTensor& input = functional->inputs().front();
  check_input_shape(s, features, input.name(), input.shape(), "");
}

void check_inline_data_rank(const DataInputSettings& s, const Tensor& features, int64_t rank, const std::string& network,
                            const std::string& layout) {
  const Shape example = example_shape(features);
  if (example.rank() == rank) return;
  std::string hint = view_hint(s, [&](const Shape& view) { return view.rank() == rank; });
  if (hint.empty()) hint = fmt::format("; --input takes a safetensors file [batch, {}", layout.substr(1));
  throw UsageError(fmt::format("--data {}: {}, but {} takes examples {}{}", s.data, examples_text(s, example), network, layout,
                               hint));
}

}  // namespace gradlab::cli
