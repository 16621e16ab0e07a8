// Files: safetensors in and out (arrays by name), and JSON model specs as Models.
#include <map>
#include <optional>
#include <string>

#include "bindings.h"

namespace gradlab::python {

void bind_io(py::module_& m) {
  m.def(
      "load_safetensors",
      [](const std::string& path) {
        TensorFile file;
        {
          py::gil_scoped_release release;
          file = read_safetensors(path);
        }
        py::dict out;
        for (const auto& [name, tensor] : file.tensors()) out[py::str(name)] = to_numpy(tensor);
        return out;
      },
      py::arg("path"), "The tensors of a safetensors file (float32 / float64), as NumPy arrays by name");
  m.def(
      "load_safetensors_metadata",
      [](const std::string& path) {
        py::gil_scoped_release release;
        return read_safetensors(path).metadata;
      },
      py::arg("path"), "The __metadata__ strings of a safetensors file");
  m.def(
      "save_safetensors",
      [](const py::dict& tensors, const std::string& path, std::optional<std::map<std::string, std::string>> metadata) {
        TensorFile file;
        for (const auto& [name, value] : tensors) file.add(py::str(name).cast<std::string>(), to_tensor(value));
        if (metadata) file.metadata = *metadata;
        py::gil_scoped_release release;
        write_safetensors(path, file);
      },
      py::arg("tensors"), py::arg("path"), py::arg("metadata") = py::none(),
      "Writes arrays by name to a safetensors file (through a temporary file and a rename)");
  m.def(
      "load_spec",
      [](const std::string& path_or_json, py::handle dtype, std::optional<uint64_t> seed) {
        std::optional<Rng> rng;
        if (seed) rng.emplace(*seed);
        const BuildOptions options{.dtype = to_dtype(dtype, DType::float32), .rng = rng ? &*rng : nullptr};
        Model model = [&] {
          py::gil_scoped_release release;
          const bool json = path_or_json.find_first_not_of(" \t\r\n") != std::string::npos &&
                            path_or_json[path_or_json.find_first_not_of(" \t\r\n")] == '{';
          return build_model(json ? parse_model_spec(path_or_json) : read_model_spec(path_or_json), options);
        }();
        return layer_object(model);
      },
      py::arg("spec"), py::arg("dtype") = py::none(), py::arg("seed") = py::none(),
      "A Model from a JSON model spec (docs/model-spec.md): a file's path, or the JSON text itself");
}

}  // namespace gradlab::python
