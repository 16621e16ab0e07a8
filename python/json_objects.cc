// JSON values (the CLI's JSON forms) as plain Python objects, so the Python lab returns exactly what
// `gradlab probe --json`, `gradlab sweep --out x.jsonl` and `gradlab lesson --json` print.
#include "json_objects.h"

namespace gradlab::python {

py::object json_to_python(const nlohmann::ordered_json& value) {
  using Kind = nlohmann::ordered_json::value_t;
  switch (value.type()) {
    case Kind::null:
    case Kind::discarded:
      return py::none();
    case Kind::boolean:
      return py::bool_(value.get<bool>());
    case Kind::number_integer:
      return py::int_(value.get<int64_t>());
    case Kind::number_unsigned:
      return py::int_(value.get<uint64_t>());
    case Kind::number_float:
      return py::float_(value.get<double>());
    case Kind::string:
      return py::str(value.get_ref<const std::string&>());
    case Kind::array: {
      py::list list;
      for (const auto& item : value) list.append(json_to_python(item));
      return list;
    }
    case Kind::object: {
      py::dict dict;
      for (const auto& [key, item] : value.items()) dict[py::str(key)] = json_to_python(item);
      return dict;
    }
    case Kind::binary:
      break;
  }
  throw py::type_error("a JSON value of a kind gradlab never writes (binary)");
}

}  // namespace gradlab::python
