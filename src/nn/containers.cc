#include "nn/containers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace gradlab::detail {
namespace {

std::string grouped(int64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::vector<Variable> unique_variables(const std::vector<Layer>& layers) {
  std::vector<Variable> out;
  std::unordered_set<uint64_t> seen;
  for (const Layer& layer : layers) {
    for (const Variable& v : layer.variables()) {
      if (seen.insert(v.value().id()).second) out.push_back(v);
    }
  }
  std::stable_partition(out.begin(), out.end(), [](const Variable& v) { return v.trainable(); });
  return out;
}

std::string display_type(const std::string& type) {
  std::string out;
  bool upper = true;
  for (char c : type) {
    if (c == '_') {
      upper = true;
      continue;
    }
    // Keras writes the dimension of a layer as 1D, 2D: conv2d is Conv2D.
    if (c == 'd' && !out.empty() && std::isdigit(static_cast<unsigned char>(out.back()))) upper = true;
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

std::string batch_shape_string(const Shape& shape) {
  std::string out = "(None";
  for (int64_t d : shape) out += fmt::format(", {}", d);
  return out + ")";
}

std::string summary_table(const std::string& title, const std::vector<SummaryRow>& rows,
                          const std::vector<Variable>& variables) {
  std::size_t layer_width = std::string_view("Layer (type)").size();
  std::size_t shape_width = std::string_view("Output Shape").size();
  std::size_t param_width = std::string_view("Param #").size();
  for (const SummaryRow& row : rows) {
    layer_width = std::max(layer_width, row.layer.size());
    shape_width = std::max(shape_width, row.output_shape.size());
    param_width = std::max(param_width, grouped(row.params).size());
  }
  const std::size_t width = layer_width + shape_width + param_width + 6;
  std::string out = fmt::format("Model: \"{}\"\n", title);
  out += std::string(width, '=') + "\n";
  out += fmt::format("{:<{}}   {:<{}}   {:>{}}\n", "Layer (type)", layer_width, "Output Shape", shape_width,
                     "Param #", param_width);
  out += std::string(width, '-') + "\n";
  for (const SummaryRow& row : rows) {
    out += fmt::format("{:<{}}   {:<{}}   {:>{}}\n", row.layer, layer_width, row.output_shape, shape_width,
                       grouped(row.params), param_width);
  }
  out += std::string(width, '=') + "\n";
  int64_t total = 0;
  int64_t trainable = 0;
  for (const Variable& v : variables) {
    total += v.shape().numel();
    if (v.trainable()) trainable += v.shape().numel();
  }
  out += fmt::format("Total params: {}\n", grouped(total));
  out += fmt::format("Trainable params: {}\n", grouped(trainable));
  out += fmt::format("Non-trainable params: {}\n", grouped(total - trainable));
  return out;
}

}  // namespace gradlab::detail
