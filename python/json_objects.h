#pragma once
// JSON values as plain Python data, for the lab functions that return what the CLI's JSON forms print.

#include <nlohmann/json.hpp>

#include "bindings.h"

namespace gradlab::python {

/// A JSON value as plain Python data: dict (keys in order), list, str, int, float, bool, None.
py::object json_to_python(const nlohmann::ordered_json& value);

/// Adds gradlab.probe, gradlab.sweep and gradlab.lesson, and their result types (lab_bindings.cc).
void bind_lab(py::module_& m);

/// Adds gradlab.train (train_bindings.cc).
void bind_train(py::module_& m);

}  // namespace gradlab::python
