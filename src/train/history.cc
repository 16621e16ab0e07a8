// History to and from JSON and CSV. Doubles are written with enough digits to read back exactly (a
// checkpoint's history must resume bit-identical); non-finite ones as strings, since JSON has none.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "gradlab/error.h"
#include "gradlab/io/json_error.h"
#include "gradlab/train/history.h"

namespace gradlab {
namespace {

using nlohmann::json;

json number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

json optional_number(const std::optional<double>& v) { return v ? number(*v) : json(nullptr); }

double to_double(const json& j, const std::string& source, const char* what) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  fail("{}: history field '{}' is not a number: {}", source, what, j.dump());
}

std::optional<double> to_optional(const json& j, const std::string& source, const char* what) {
  if (j.is_null()) return std::nullopt;
  return to_double(j, source, what);
}

const json& field(const json& j, const char* key, const std::string& source) {
  if (!j.is_object() || !j.contains(key)) fail("{}: history has no field '{}'", source, key);
  return j.at(key);
}

// Integers are read only from JSON integers: nlohmann's get<int64_t>() of a float out of range is
// undefined behaviour (the checkpoint fuzzer found 2.2e20 as a step).
int64_t integer_field(const json& j, const char* key, const std::string& source) {
  const json& v = field(j, key, source);
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX})) {
    fail("{}: history field '{}' is not an integer: {}", source, key, v.dump());
  }
  return v.get<int64_t>();
}

uint64_t unsigned_field(const json& j, const char* key, const std::string& source) {
  const json& v = field(j, key, source);
  if (!v.is_number_unsigned()) fail("{}: history field '{}' is not an integer >= 0: {}", source, key, v.dump());
  return v.get<uint64_t>();
}

struct Column {
  const char* name;
  std::optional<double> (*get)(const EpochLogs&);
  void (*set)(EpochLogs&, std::optional<double>);
};

// The epoch columns in Keras's order; "epoch" and the always-present ones first.
const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"loss", [](const EpochLogs& e) -> std::optional<double> { return e.loss; },
       [](EpochLogs& e, std::optional<double> v) { e.loss = v.value_or(0); }},
      {"accuracy", [](const EpochLogs& e) { return e.accuracy; },
       [](EpochLogs& e, std::optional<double> v) { e.accuracy = v; }},
      {"val_loss", [](const EpochLogs& e) { return e.val_loss; },
       [](EpochLogs& e, std::optional<double> v) { e.val_loss = v; }},
      {"val_accuracy", [](const EpochLogs& e) { return e.val_accuracy; },
       [](EpochLogs& e, std::optional<double> v) { e.val_accuracy = v; }},
      {"learning_rate", [](const EpochLogs& e) -> std::optional<double> { return e.learning_rate; },
       [](EpochLogs& e, std::optional<double> v) { e.learning_rate = v.value_or(0); }},
      {"seconds", [](const EpochLogs& e) -> std::optional<double> { return e.seconds; },
       [](EpochLogs& e, std::optional<double> v) { e.seconds = v.value_or(0); }},
  };
  return all;
}

bool present(const std::vector<EpochLogs>& epochs, const Column& c) {
  for (const EpochLogs& e : epochs) {
    if (c.get(e)) return true;
  }
  return false;
}

json anomaly_json(const Anomaly& a) {
  return {{"phase", pass_phase_name(a.phase)}, {"step", a.step},           {"layer", a.layer},
          {"op", a.op},                        {"input_index", a.input_index}, {"tensor", a.tensor},
          {"nonfinite_count", a.nonfinite_count}, {"first_index", a.first_index},
          {"first_value", number(a.first_value)}, {"description", a.describe()}};
}

Anomaly anomaly_from(const json& j, const std::string& s) {
  Anomaly a;
  a.phase = field(j, "phase", s).get<std::string>() == "backward" ? PassPhase::backward : PassPhase::forward;
  a.step = integer_field(j, "step", s);
  a.layer = field(j, "layer", s).get<std::string>();
  a.op = field(j, "op", s).get<std::string>();
  a.input_index = integer_field(j, "input_index", s);
  a.tensor = field(j, "tensor", s).get<std::string>();
  a.nonfinite_count = integer_field(j, "nonfinite_count", s);
  a.first_index = integer_field(j, "first_index", s);
  a.first_value = to_double(field(j, "first_value", s), s, "first_value");
  return a;
}

}  // namespace

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::completed: return "completed";
    case StopReason::stopped: return "stopped";
    case StopReason::should_stop: return "should_stop";
    case StopReason::anomaly: return "anomaly";
    case StopReason::max_steps: return "max_steps";
  }
  return "completed";
}

std::string History::to_json() const {
  json j = json::object();
  json epoch_column = json::array();
  for (const EpochLogs& e : epochs) epoch_column.push_back(e.epoch);
  j["epoch"] = epoch_column;
  for (const Column& c : columns()) {
    if (!present(epochs, c) && !epochs.empty()) continue;
    json values = json::array();
    for (const EpochLogs& e : epochs) values.push_back(optional_number(c.get(e)));
    j[c.name] = values;
  }
  json sample_list = json::array();
  for (const TrainingSample& s : samples) {
    json layers = json::array();
    for (const LayerSample& l : s.layers) {
      layers.push_back({{"layer", l.layer},
                        {"grad_norm", number(l.grad_norm)},
                        {"update_ratio", number(l.update_ratio)},
                        {"has_variables", l.has_variables},
                        {"output_grad_norm", optional_number(l.output_grad_norm)},
                        {"update_norm", number(l.update_norm)},
                        {"dead_fraction", optional_number(l.dead_fraction)},
                        {"saturated_fraction", optional_number(l.saturated_fraction)}});
    }
    sample_list.push_back({{"step", s.step},
                           {"epoch", s.epoch},
                           {"loss", number(s.loss)},
                           {"global_grad_norm", number(s.global_grad_norm)},
                           {"layers", layers}});
  }
  j["samples"] = sample_list;
  const TrainingProgress& p = progress;
  j["progress"] = {{"epoch", p.epoch},       {"step_in_epoch", p.step_in_epoch}, {"global_step", p.global_step},
                   {"loss_sum", number(p.loss_sum)}, {"correct", number(p.correct)}, {"examples", p.examples},
                   {"seconds", number(p.seconds)},   {"seed", p.seed},             {"batch_size", p.batch_size},
                   {"train_size", p.train_size}};
  j["stop_reason"] = stop_reason_name(stop_reason);
  if (anomaly) j["anomaly"] = anomaly_json(*anomaly);
  return j.dump(1) + "\n";
}

History History::from_json(const std::string& text, const std::string& s) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("{}: history is not a JSON object", s);
  History h;
  try {
    const json& epoch_column = field(j, "epoch", s);
    if (!epoch_column.is_array()) fail("{}: history field 'epoch' is not an array", s);
    for (const json& e : epoch_column) {
      if (!e.is_number_integer()) fail("{}: history field 'epoch' holds a value that is not an integer: {}", s, e.dump());
      h.epochs.push_back({.epoch = e.get<int64_t>()});
    }
    for (const Column& c : columns()) {
      if (!j.contains(c.name)) continue;
      const json& values = j.at(c.name);
      if (!values.is_array() || values.size() != h.epochs.size()) {
        fail("{}: history column '{}' must have one value per epoch ({})", s, c.name, h.epochs.size());
      }
      for (std::size_t i = 0; i < h.epochs.size(); ++i) c.set(h.epochs[i], to_optional(values[i], s, c.name));
    }
    for (const json& js : field(j, "samples", s)) {
      TrainingSample sample{.step = integer_field(js, "step", s),
                            .epoch = integer_field(js, "epoch", s),
                            .loss = to_double(field(js, "loss", s), s, "loss"),
                            .global_grad_norm = to_double(field(js, "global_grad_norm", s), s, "global_grad_norm")};
      for (const json& jl : field(js, "layers", s)) {
        sample.layers.push_back({.layer = field(jl, "layer", s).get<std::string>(),
                                 .grad_norm = to_double(field(jl, "grad_norm", s), s, "grad_norm"),
                                 .update_ratio = to_double(field(jl, "update_ratio", s), s, "update_ratio"),
                                 // Histories written before these keys existed read as before.
                                 .has_variables = !jl.contains("has_variables") || jl.at("has_variables").get<bool>(),
                                 .output_grad_norm = jl.contains("output_grad_norm")
                                                         ? to_optional(jl.at("output_grad_norm"), s, "output_grad_norm")
                                                         : std::nullopt,
                                 .update_norm = jl.contains("update_norm")
                                                    ? to_double(jl["update_norm"], s, "update_norm")
                                                    : 0.0,
                                 .dead_fraction = to_optional(field(jl, "dead_fraction", s), s, "dead_fraction"),
                                 .saturated_fraction =
                                     to_optional(field(jl, "saturated_fraction", s), s, "saturated_fraction")});
      }
      h.samples.push_back(std::move(sample));
    }
    const json& p = field(j, "progress", s);
    h.progress = {.epoch = integer_field(p, "epoch", s),
                  .step_in_epoch = integer_field(p, "step_in_epoch", s),
                  .global_step = integer_field(p, "global_step", s),
                  .loss_sum = to_double(field(p, "loss_sum", s), s, "loss_sum"),
                  .correct = to_double(field(p, "correct", s), s, "correct"),
                  .examples = integer_field(p, "examples", s),
                  .seconds = to_double(field(p, "seconds", s), s, "seconds"),
                  .seed = unsigned_field(p, "seed", s),
                  .batch_size = integer_field(p, "batch_size", s),
                  .train_size = integer_field(p, "train_size", s)};
    const std::string reason = field(j, "stop_reason", s).get<std::string>();
    for (StopReason r : {StopReason::completed, StopReason::stopped, StopReason::should_stop, StopReason::anomaly,
                         StopReason::max_steps}) {
      if (reason == stop_reason_name(r)) h.stop_reason = r;
    }
    if (j.contains("anomaly")) h.anomaly = anomaly_from(j.at("anomaly"), s);
  } catch (const json::exception& e) {
    fail("{}: malformed history: {}", s, json_error_text(e));
  }
  return h;
}

std::string History::to_csv() const {
  std::string out = "epoch";
  std::vector<const Column*> used;
  for (const Column& c : columns()) {
    if (present(epochs, c) || epochs.empty()) {
      used.push_back(&c);
      out += std::string(",") + c.name;
    }
  }
  out += "\n";
  for (const EpochLogs& e : epochs) {
    out += std::to_string(e.epoch);
    for (const Column* c : used) {
      const std::optional<double> v = c->get(e);
      out += v ? fmt::format(",{}", *v) : ",";
    }
    out += "\n";
  }
  return out;
}

}  // namespace gradlab
