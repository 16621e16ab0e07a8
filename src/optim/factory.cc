#include "gradlab/optim/factory.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "gradlab/error.h"
#include "gradlab/optim/optimizers.h"

namespace gradlab {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// An option the chosen optimizer does not take is refused rather than silently ignored.
void refuse(const std::string& name, const char* option, const std::vector<std::string>& valid) {
  fail("optimizer '{}' has no option '{}'; its options are {}", name, option, join(valid));
}

template <typename Options>
void apply_common(Options& o, const OptimizerSettings& s) {
  if (s.learning_rate) o.learning_rate = *s.learning_rate;
  if (s.weight_decay) o.weight_decay = *s.weight_decay;
  o.clipnorm = s.clipnorm;
  o.clipvalue = s.clipvalue;
  o.global_clipnorm = s.global_clipnorm;
}

const std::vector<std::string> kCommon = {"learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm"};

std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> all = kCommon;
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

}  // namespace

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = {"sgd", "adam", "adamw", "rmsprop", "adagrad"};
  return names;
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, const OptimizerSettings& s) {
  const std::string key = lower(name);
  if (key == "sgd") {
    SGDOptions o;
    apply_common(o, s);
    if (s.momentum) o.momentum = *s.momentum;
    if (s.nesterov) o.nesterov = *s.nesterov;
    return std::make_unique<SGD>(o);
  }
  if (s.nesterov) refuse(key, "nesterov", key == "rmsprop" ? with({"momentum"}) : kCommon);
  if (key == "rmsprop") {
    RMSpropOptions o;
    apply_common(o, s);
    if (s.momentum) o.momentum = *s.momentum;
    return std::make_unique<RMSprop>(o);
  }
  if (s.momentum && (key == "adam" || key == "adamw" || key == "adagrad")) refuse(key, "momentum", kCommon);
  if (key == "adam") {
    AdamOptions o;
    apply_common(o, s);
    return std::make_unique<Adam>(o);
  }
  if (key == "adamw") {
    AdamWOptions o;
    if (s.learning_rate) o.learning_rate = *s.learning_rate;
    if (s.weight_decay) o.weight_decay = *s.weight_decay;
    o.clipnorm = s.clipnorm;
    o.clipvalue = s.clipvalue;
    o.global_clipnorm = s.global_clipnorm;
    return std::make_unique<AdamW>(o);
  }
  if (key == "adagrad") {
    AdagradOptions o;
    apply_common(o, s);
    return std::make_unique<Adagrad>(o);
  }
  fail("unknown optimizer '{}'; valid names are {}", name, join(optimizer_names()));
}

namespace {

// "k=v,k=v" after the kind, each key checked against `allowed`.
std::map<std::string, std::string> parse_keys(std::string_view kind, std::string_view text,
                                              const std::vector<std::string>& allowed) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      fail("schedule '{}': '{}' is not key=value; keys are {}", kind, item, join(allowed));
    }
    const std::string k = lower(item.substr(0, eq));
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      fail("schedule '{}' has no key '{}'; keys are {}", kind, k, join(allowed));
    }
    out[k] = std::string(item.substr(eq + 1));
  }
  return out;
}

double number(std::string_view kind, const std::map<std::string, std::string>& keys, const std::string& key,
              std::optional<double> fallback = std::nullopt) {
  const auto it = keys.find(key);
  if (it == keys.end()) {
    if (fallback) return *fallback;
    fail("schedule '{}' needs '{}=<number>'", kind, key);
  }
  double value = 0;
  const char* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc() || ptr != end) fail("schedule '{}': {}='{}' is not a number", kind, key, it->second);
  return value;
}

int64_t count(std::string_view kind, const std::map<std::string, std::string>& keys, const std::string& key,
              std::optional<int64_t> fallback = std::nullopt) {
  const double value = number(kind, keys, key, fallback ? std::optional<double>(static_cast<double>(*fallback))
                                                        : std::nullopt);
  if (value != static_cast<double>(static_cast<int64_t>(value)) || value < 0) {
    fail("schedule '{}': {} must be a non-negative whole number, got {}", kind, key, value);
  }
  return static_cast<int64_t>(value);
}

}  // namespace

LearningRate parse_schedule(std::string_view text, double learning_rate) {
  const std::size_t colon = text.find(':');
  const std::string kind = lower(text.substr(0, colon));
  const std::string_view rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (kind == "constant" || kind.empty()) {
    parse_keys("constant", rest, {});
    return learning_rate;
  }
  if (kind == "exponential") {
    const auto keys = parse_keys(kind, rest, {"decay_steps", "decay_rate", "staircase"});
    const auto staircase = keys.find("staircase");
    bool stairs = false;
    if (staircase != keys.end()) {
      if (staircase->second != "true" && staircase->second != "false") {
        fail("schedule 'exponential': staircase must be true or false, got '{}'", staircase->second);
      }
      stairs = staircase->second == "true";
    }
    return exponential_decay(learning_rate, count(kind, keys, "decay_steps"), number(kind, keys, "decay_rate"), stairs);
  }
  if (kind == "step") {
    const auto keys = parse_keys(kind, rest, {"step_size", "gamma"});
    return step_decay(learning_rate, count(kind, keys, "step_size"), number(kind, keys, "gamma"));
  }
  if (kind == "cosine") {
    const auto keys = parse_keys(kind, rest, {"decay_steps", "alpha", "warmup_steps", "warmup_target"});
    CosineDecayOptions o{.initial_learning_rate = learning_rate,
                         .decay_steps = count(kind, keys, "decay_steps"),
                         .alpha = number(kind, keys, "alpha", 0.0),
                         .warmup_steps = count(kind, keys, "warmup_steps", 0)};
    if (keys.count("warmup_target")) o.warmup_target = number(kind, keys, "warmup_target");
    return cosine_decay(o);
  }
  fail("unknown schedule '{}'; valid kinds are constant, exponential, step, cosine", kind);
}

}  // namespace gradlab
