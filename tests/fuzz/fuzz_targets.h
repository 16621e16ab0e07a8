#pragma once
// What each fuzz target does with one input, shared by the libFuzzer programs (tests/fuzz/*_fuzz.cc)
// and by the regression test that replays the committed corpus and crash inputs in every ordinary
// test build (tests/io/fuzz_regressions_test.cc). A gradlab::Error is the expected answer to bad
// input; anything else escaping (another exception, a crash, a sanitizer report) is a bug.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/reduce_ops.h"
#include "gradlab/error.h"
#include "gradlab/io/csv.h"
#include "gradlab/io/idx.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/model.h"
#include "gradlab/optim/adam.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/train/checkpoint.h"

namespace gradlab::fuzz {

/// The fuzz targets by name, as scripts/fuzz and the corpus folders name them.
inline const std::vector<std::string>& target_names() {
  static const std::vector<std::string> names = {"model_spec", "safetensors", "idx", "csv", "checkpoint"};
  return names;
}

namespace detail {

// Per-example elements and variable sizes a fuzzed spec may reach before it is built. Specs that are
// valid but huge ({"units": 100000000}) would only measure the machine's memory; the parser's own
// checks are what is being fuzzed, and build_model() and a training step still run on every small spec.
constexpr int64_t kMaxActivation = 1 << 12;
constexpr int64_t kMaxVariable = 1 << 16;
constexpr std::size_t kMaxLayers = 64;

inline int64_t product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// Follows the shapes through the layers, in build order, and says whether building stays small.
// A layer whose shapes do not fit together ends the walk: build_model() stops with an Error there,
// before anything after it is made. Where the outcome is unclear the spec is skipped.
inline bool small_enough(const ModelSpec& spec) {
  if (spec.layers.size() > kMaxLayers) return false;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [name, shape] : spec.inputs) {
    shapes[name] = shape.to_vector();
    if (product(shapes[name]) > kMaxActivation) return false;
  }
  for (const LayerSpec& layer : spec.layers) {
    std::vector<std::vector<int64_t>> in;
    for (const std::string& name : layer.inputs) in.push_back(shapes.at(name));
    std::vector<int64_t> out = in[0];
    if (layer.type == "dense") {
      const auto& units = layer.options.at("units");
      if (!units.is_number_integer() || units.get<int64_t>() <= 0) return true;
      if (units.get<int64_t>() > kMaxVariable || out.back() * units.get<int64_t>() > kMaxVariable) return false;
      out.back() = units.get<int64_t>();
    } else if (layer.type == "add") {
      if (!std::all_of(in.begin(), in.end(), [&](const auto& s) { return s == in[0]; })) return false;
    } else if (layer.type == "concatenate") {
      const auto& axis_value = layer.options.at("axis");
      if (!axis_value.is_number_integer()) return true;
      const int64_t rank = static_cast<int64_t>(out.size()) + 1;  // with the batch dimension
      int64_t axis = axis_value.get<int64_t>();
      if (axis < 0) axis += rank;
      if (axis <= 0 || axis >= rank) return false;
      out[static_cast<std::size_t>(axis - 1)] = 0;
      for (const auto& s : in) {
        if (s.size() != out.size()) return false;
        for (std::size_t d = 0; d < s.size(); ++d) {
          if (d != static_cast<std::size_t>(axis - 1) && s[d] != in[0][d]) return false;
        }
        out[static_cast<std::size_t>(axis - 1)] += s[static_cast<std::size_t>(axis - 1)];
      }
    } else if (layer.type != "activation" && layer.type.find("normalization") == std::string::npos) {
      return false;  // a layer type this walk does not know yet
    }
    if (product(out) > kMaxActivation) return false;
    shapes[layer.name] = out;
  }
  return true;
}

}  // namespace detail

/// Parses a spec; when it parses and is small, builds it and runs one training-mode forward and
/// backward pass on a batch of two.
inline void model_spec(std::string_view bytes) {
  std::optional<ModelSpec> spec;
  try {
    spec = parse_model_spec(std::string(bytes), "fuzz.json");
  } catch (const Error&) {
    return;
  }
  if (!detail::small_enough(*spec)) return;
  try {
    Rng rng(7);
    Model model = build_model(*spec, {.rng = &rng});
    std::vector<Tensor> inputs;
    for (const auto& [name, shape] : spec->inputs) {
      std::vector<int64_t> dims = shape.to_vector();
      dims.insert(dims.begin(), 2);
      inputs.push_back(uniform(Shape(dims), rng, -1.0, 1.0));
    }
    GradientTape tape;
    const Tensor loss = sum(model.call_all(inputs, {.training = true}).front());
    tape.gradient(loss, model.trainable_variables());
  } catch (const Error&) {
  }
}

/// Parses safetensors bytes; what parses must serialize and parse back to the same tensors.
inline void safetensors(std::string_view bytes) {
  TensorFile file;
  try {
    file = parse_safetensors(bytes, "fuzz.safetensors");
  } catch (const Error&) {
    return;
  }
  const std::string written = serialize_safetensors(file);
  const TensorFile back = parse_safetensors(written, "round trip");
  if (back.size() != file.size() || back.metadata != file.metadata || serialize_safetensors(back) != written) {
    throw std::logic_error("safetensors: parse(serialize(file)) differs from file");
  }
  for (std::size_t i = 0; i < file.size(); ++i) {
    if (file.tensors()[i].first != back.tensors()[i].first ||
        file.tensors()[i].second.shape() != back.tensors()[i].second.shape()) {
      throw std::logic_error("safetensors: the round trip changed tensor '" + file.tensors()[i].first + "'");
    }
  }
}

/// Parses IDX bytes (plain or gzip) under a 16 MiB data limit and converts what parses.
inline void idx(std::string_view bytes) {
  try {
    const IdxArray array = parse_idx(bytes, "fuzz.idx", {.max_data_bytes = 16 << 20});
    array.to_tensor({.scale = 1.0 / 255, .flatten = true});
    array.to_tensor({.dtype = DType::float64});
    if (array.type() != IdxType::f32 && array.type() != IdxType::f64 && array.dims().size() == 1) array.to_labels();
  } catch (const Error&) {
  }
}

/// Parses CSV text with each usual delimiter and small limits; what parses must be a consistent table.
inline void csv(std::string_view bytes) {
  for (char delimiter : {',', ';', '\t'}) {
    CsvTable table;
    try {
      table = parse_csv(bytes, "fuzz.csv", {.delimiter = delimiter, .limits = {.max_columns = 1000, .max_cells = 1 << 16}});
    } catch (const Error&) {
      continue;
    }
    if (table.columns.empty() || table.values.size() != static_cast<std::size_t>(table.rows()) * table.columns.size()) {
      throw std::logic_error("csv: the cells do not fill rows x columns");
    }
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      if (table.column_index(table.columns[c]) != static_cast<int64_t>(c)) throw std::logic_error("csv: column_index");
    }
    for (double v : table.values) {
      if (!std::isfinite(v)) throw std::logic_error("csv: a parsed cell is not finite");
    }
  }
}

namespace detail {

// The fixed model every fuzzed checkpoint is checked against: the seeds in corpus/checkpoint/ were
// saved from it (or from a near relative, to show the refusals).
inline Sequential checkpoint_model() {
  clear_session();
  set_seed(7);
  Sequential model({Dense(4, {.activation = "relu"}), Dropout(0.1), Dense(2)});
  model(zeros({1, 2}));
  return model;
}

}  // namespace detail

/// Parses safetensors bytes as a training checkpoint and loads it into a small fixed model and an Adam
/// optimizer; what loads must leave the model's variables equal to the checkpoint's tensors.
inline void checkpoint(std::string_view bytes) {
  TensorFile file;
  try {
    file = parse_safetensors(bytes, "fuzz.safetensors");
  } catch (const Error&) {
    return;
  }
  Sequential model = detail::checkpoint_model();
  Adam optimizer;
  try {
    load_checkpoint(file, model, optimizer);
  } catch (const Error&) {
    return;
  }
  for (const Variable& v : model.variables()) {
    // Bytes, not values: a fuzzed checkpoint may hold NaN, which never compares equal.
    const Tensor& saved = file.get("model/" + v.name());
    const auto bytes = static_cast<std::size_t>(saved.numel()) * dtype_size(saved.dtype());
    if (v.value().numel() != saved.numel() || std::memcmp(v.value().raw_data(), saved.raw_data(), bytes) != 0) {
      throw std::logic_error("checkpoint: variable '" + v.name() + "' differs from the loaded checkpoint");
    }
  }
}

/// Runs the target called `name` on `bytes`; throws std::invalid_argument for an unknown name.
inline void run_target(const std::string& name, std::string_view bytes) {
  if (name == "model_spec") return model_spec(bytes);
  if (name == "safetensors") return safetensors(bytes);
  if (name == "idx") return idx(bytes);
  if (name == "csv") return csv(bytes);
  if (name == "checkpoint") return checkpoint(bytes);
  throw std::invalid_argument("unknown fuzz target '" + name + "'");
}

}  // namespace gradlab::fuzz
