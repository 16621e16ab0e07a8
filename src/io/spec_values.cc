#include <cmath>
#include <limits>

#include "gradlab/error.h"
#include "gradlab/io/json_error.h"
#include "io/layer_registry.h"

namespace gradlab::spec {
namespace {

[[noreturn]] void bad_value(const Json& options, const char* key, const Context& where, const char* expected) {
  fail("{}: layer '{}' ({}): key '{}' must be {}, got {}", where.source, where.layer, where.type, key, expected,
       options.at(key).dump());
}

double number_arg(const Json& spec, const char* key, double fallback, const Context& where, const char* init) {
  if (!spec.contains(key)) return fallback;
  const Json& v = spec.at(key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) {
    fail("{}: layer '{}' ({}): initializer '{}': '{}' must be a finite number, got {}", where.source, where.layer,
         where.type, init, key, v.dump());
  }
  return v.get<double>();
}

std::string string_arg(const Json& spec, const char* key, const char* fallback, const Context& where, const char* init) {
  if (!spec.contains(key)) return fallback;
  const Json& v = spec.at(key);
  if (!v.is_string()) {
    fail("{}: layer '{}' ({}): initializer '{}': '{}' must be a string, got {}", where.source, where.layer, where.type,
         init, key, v.dump());
  }
  return v.get<std::string>();
}

}  // namespace

std::string get_string(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  if (!v.is_string()) bad_value(options, key, where, "a string");
  return v.get<std::string>();
}

bool get_bool(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  if (!v.is_boolean()) bad_value(options, key, where, "true or false");
  return v.get<bool>();
}

int64_t get_int(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  if (!v.is_number_integer()) bad_value(options, key, where, "an integer");
  return v.get<int64_t>();
}

double get_number(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) bad_value(options, key, where, "a finite number");
  return v.get<double>();
}

Initializer get_initializer(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  try {
    if (v.is_string()) return Initializer(v.get<std::string>());
    if (!v.is_object() || !v.contains("name") || !v.at("name").is_string()) {
      bad_value(options, key, where, "an initializer name or an object {\"name\": ..., arguments}");
    }
    const std::string name = v.at("name").get<std::string>();
    static const std::map<std::string, std::vector<std::string>> arguments = {
        {"constant", {"value"}},
        {"random_uniform", {"minval", "maxval"}},
        {"random_normal", {"mean", "stddev"}},
        {"truncated_normal", {"mean", "stddev"}},
        {"variance_scaling", {"scale", "mode", "distribution"}},
        {"orthogonal", {"gain"}},
        {"delta_orthogonal", {"gain"}},
        {"identity", {"gain"}},
    };
    auto allowed = arguments.find(name);
    for (const auto& [arg, value] : v.items()) {
      if (arg == "name") continue;
      if (allowed == arguments.end() ||
          std::find(allowed->second.begin(), allowed->second.end(), arg) == allowed->second.end()) {
        fail("{}: layer '{}' ({}): key '{}': initializer '{}' has no argument '{}'", where.source, where.layer,
             where.type, key, name, arg);
      }
    }
    const char* init = name.c_str();
    if (name == "constant") return constant(number_arg(v, "value", 0.0, where, init));
    if (name == "random_uniform") {
      return random_uniform(number_arg(v, "minval", -0.05, where, init), number_arg(v, "maxval", 0.05, where, init));
    }
    if (name == "random_normal") {
      return random_normal(number_arg(v, "mean", 0.0, where, init), number_arg(v, "stddev", 0.05, where, init));
    }
    if (name == "truncated_normal") {
      return truncated_normal_initializer(number_arg(v, "mean", 0.0, where, init),
                                          number_arg(v, "stddev", 0.05, where, init));
    }
    if (name == "orthogonal") return orthogonal(number_arg(v, "gain", 1.0, where, init));
    if (name == "delta_orthogonal") return delta_orthogonal(number_arg(v, "gain", 1.0, where, init));
    if (name == "identity") return identity(number_arg(v, "gain", 1.0, where, init));
    if (name == "variance_scaling") {
      VarianceScalingOptions o;
      o.scale = number_arg(v, "scale", 1.0, where, init);
      const std::string mode = string_arg(v, "mode", "fan_in", where, init);
      const std::string dist = string_arg(v, "distribution", "truncated_normal", where, init);
      o.mode = parse_fan_mode(mode);
      o.distribution = parse_distribution(dist);
      return variance_scaling(o);
    }
    return Initializer(name);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: layer '{}' ({}): key '{}': {}", where.source, where.layer, where.type, key, json_error_text(e));
  } catch (const Error& e) {
    const std::string prefix = fmt::format("{}: layer '{}' ({}):", where.source, where.layer, where.type);
    if (std::string_view(e.what()).starts_with(prefix)) throw;
    fail("{} key '{}': {}", prefix, key, e.what());
  }
}

}  // namespace gradlab::spec
