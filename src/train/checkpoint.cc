#include "gradlab/train/checkpoint.h"

#include <fmt/format.h>

#include <sstream>

#include "gradlab/error.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/train/fit.h"

namespace gradlab {
namespace {

constexpr const char* kModelPrefix = "model/";
constexpr const char* kOptimizerPrefix = "optimizer/";

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Every Dropout layer of the model, nested models included, in run order.
std::vector<DropoutImpl*> dropout_layers(const Layer& model) {
  std::vector<DropoutImpl*> found;
  std::vector<Layer> pending = {model};
  while (!pending.empty()) {
    const Layer layer = pending.back();
    pending.pop_back();
    if (auto* d = layer.as<DropoutImpl>()) found.push_back(d);
    const std::vector<Layer>* children = nullptr;
    if (auto* m = layer.as<ModelImpl>()) children = &m->layers();
    if (auto* s = layer.as<SequentialImpl>()) children = &s->layers();
    if (children) pending.insert(pending.end(), children->rbegin(), children->rend());
  }
  return found;
}

std::string rng_text(const Rng::State& s) { return fmt::format("{} {} {}", s.seed, s.counter_low, s.counter_high); }

Rng::State parse_rng(const std::string& text, const std::string& source, const std::string& key) {
  std::istringstream in(text);
  Rng::State s;
  std::string rest;
  if (!(in >> s.seed >> s.counter_low >> s.counter_high) || (in >> rest)) {
    fail("{}: metadata '{}' is not a generator state (three unsigned integers): '{}'", source, key, text);
  }
  return s;
}

const std::string& metadata(const TensorFile& file, const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) fail("{}: checkpoint has no metadata '{}'", file.source(), key);
  return it->second;
}

}  // namespace

void save_checkpoint(const std::string& path, const Layer& model, const Optimizer& optimizer, const History& history) {
  TensorFile file;
  for (const Variable& v : model.variables()) file.add(kModelPrefix + v.name(), v.value());
  for (const auto& [name, tensor] : optimizer.state()) file.add(kOptimizerPrefix + name, tensor);
  file.metadata["format"] = kCheckpointFormat;
  file.metadata["model"] = model.name();
  file.metadata["optimizer"] = optimizer.description();
  file.metadata["history"] = history.to_json();
  file.metadata["rng/default"] = rng_text(default_rng().state());
  for (DropoutImpl* d : dropout_layers(model)) file.metadata["rng/" + d->name()] = rng_text(d->generator().state());
  write_safetensors(path, file);
}

History load_checkpoint(const std::string& path, const Layer& model, Optimizer& optimizer) {
  return load_checkpoint(read_safetensors(path), model, optimizer);
}

History load_checkpoint(const TensorFile& file, const Layer& model, Optimizer& optimizer) {
  const std::string& path = file.source();
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != kCheckpointFormat) {
    fail("{}: not a gradlab training checkpoint (metadata format is '{}', expected '{}')", path,
         format == file.metadata.end() ? "" : format->second, kCheckpointFormat);
  }
  // Check everything before changing anything, so a wrong file leaves model and optimizer untouched.
  const std::vector<Variable> variables = model.variables();
  std::size_t model_tensors = 0;
  for (const auto& [name, tensor] : file.tensors()) model_tensors += starts_with(name, kModelPrefix) ? 1 : 0;
  for (const Variable& v : variables) {
    const Tensor* t = file.find(kModelPrefix + v.name());
    if (!t) {
      fail("{}: checkpoint of a different model: it has no variable '{}' of model '{}' (it was saved from model '{}')",
           path, v.name(), model.name(), metadata(file, "model"));
    }
    if (t->shape() != v.shape() || t->dtype() != v.dtype()) {
      fail("{}: checkpoint of a different model: variable '{}' is {} in the checkpoint but {} in model '{}'", path,
           v.name(), t->description(), v.value().description(), model.name());
    }
  }
  if (model_tensors != variables.size()) {
    for (const auto& [name, tensor] : file.tensors()) {
      if (!starts_with(name, kModelPrefix)) continue;
      bool known = false;
      for (const Variable& v : variables) known = known || name == kModelPrefix + v.name();
      if (!known) {
        fail("{}: checkpoint of a different model: variable '{}' is not in model '{}'", path,
             name.substr(std::string(kModelPrefix).size()), model.name());
      }
    }
  }
  if (metadata(file, "optimizer") != optimizer.description()) {
    fail("{}: the checkpoint was saved with optimizer {} but this run uses {}; resume with the same optimizer settings",
         path, metadata(file, "optimizer"), optimizer.description());
  }
  History history = History::from_json(metadata(file, "history"), path);
  const Rng::State default_state = parse_rng(metadata(file, "rng/default"), path, "rng/default");
  std::vector<std::pair<DropoutImpl*, Rng::State>> dropout_states;
  for (DropoutImpl* d : dropout_layers(model)) {
    const std::string key = "rng/" + d->name();
    dropout_states.emplace_back(d, parse_rng(metadata(file, key), path, key));
  }
  NamedTensors state;
  for (const auto& [name, tensor] : file.tensors()) {
    if (starts_with(name, kOptimizerPrefix)) state.emplace_back(name.substr(std::string(kOptimizerPrefix).size()), tensor);
  }
  try {
    optimizer.load_state(state, model.trainable_variables());
  } catch (const Error& e) {
    fail("{}: optimizer state does not fit this model: {}", path, e.what());
  }
  for (Variable v : variables) v.assign(file.get(kModelPrefix + v.name()));
  default_rng().set_state(default_state);
  for (auto& [d, s] : dropout_states) d->generator().set_state(s);
  return history;
}

CheckpointCallback::CheckpointCallback(std::string path) : path_(std::move(path)) {}

void CheckpointCallback::on_epoch_end(int64_t, const EpochLogs&) {
  TrainingRun& r = run();
  save_checkpoint(path_, r.model, *r.optimizer, r.history);
}

void CheckpointCallback::on_train_end() {
  TrainingRun& r = run();
  if (r.history.progress.step_in_epoch > 0) save_checkpoint(path_, r.model, *r.optimizer, r.history);
}

}  // namespace gradlab
