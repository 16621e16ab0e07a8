#include "gradlab/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/io/json_error.h"

namespace gradlab {

// The format stores data little-endian; gradlab copies it as is.
static_assert(std::endian::native == std::endian::little, "gradlab's safetensors I/O assumes a little-endian host");

namespace {

using Json = nlohmann::json;

// Larger headers are refused before parsing, as the reference implementation does.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

const char* safetensors_dtype(DType dtype) { return dtype == DType::float32 ? "F32" : "F64"; }

DType parse_dtype_code(const std::string& code, const std::string& source, const std::string& name) {
  if (code == "F32") return DType::float32;
  if (code == "F64") return DType::float64;
  static const std::set<std::string> known = {"BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32",
                                              "I64", "U64", "F8_E5M2", "F8_E4M3"};
  if (known.count(code)) {
    fail("{}: tensor '{}' has dtype {}, which gradlab does not read (it reads F32 and F64; convert with "
         "tensor.float() or tensor.double() before saving)",
         source, name, code);
  }
  fail("{}: tensor '{}' has unknown dtype '{}'", source, name, code);
}

std::uint64_t as_count(const Json& value, const std::string& source, const std::string& name, const char* what) {
  if (!value.is_number_unsigned()) {
    fail("{}: tensor '{}': {} must hold non-negative integers, got {}", source, name, what, value.dump());
  }
  return value.get<std::uint64_t>();
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};

Entry parse_entry(const std::string& name, const Json& info, const std::string& source) {
  if (!info.is_object()) fail("{}: header entry '{}' must be an object, got {}", source, name, info.dump());
  for (const auto& [key, value] : info.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      fail("{}: tensor '{}': unknown header key '{}'", source, name, key);
    }
  }
  if (!info.contains("dtype") || !info["dtype"].is_string()) fail("{}: tensor '{}': missing string 'dtype'", source, name);
  if (!info.contains("shape") || !info["shape"].is_array()) fail("{}: tensor '{}': missing array 'shape'", source, name);
  if (!info.contains("data_offsets") || !info["data_offsets"].is_array() || info["data_offsets"].size() != 2) {
    fail("{}: tensor '{}': 'data_offsets' must be an array [begin, end]", source, name);
  }
  Entry e{name, parse_dtype_code(info["dtype"].get<std::string>(), source, name), {}, 0, 0};
  std::vector<int64_t> dims;
  std::uint64_t numel = 1;
  for (const Json& d : info["shape"]) {
    const std::uint64_t n = as_count(d, source, name, "shape");
    if (n != 0 && numel > static_cast<std::uint64_t>(kMaxTensorElements) / n) {
      fail("{}: tensor '{}': shape {} is too large", source, name, info["shape"].dump());
    }
    numel *= n;
    dims.push_back(static_cast<int64_t>(n));
  }
  if (numel > static_cast<std::uint64_t>(kMaxTensorElements)) {
    fail("{}: tensor '{}': shape {} is too large", source, name, info["shape"].dump());
  }
  e.shape = Shape(std::move(dims));
  e.begin = as_count(info["data_offsets"][0], source, name, "data_offsets");
  e.end = as_count(info["data_offsets"][1], source, name, "data_offsets");
  if (e.end < e.begin) fail("{}: tensor '{}': data_offsets end {} is before begin {}", source, name, e.end, e.begin);
  const std::uint64_t expected = numel * dtype_size(e.dtype);
  if (e.end - e.begin != expected) {
    fail("{}: tensor '{}': shape {} of {} needs {} bytes but data_offsets span {}", source, name,
         e.shape.to_string(), dtype_name(e.dtype), expected, e.end - e.begin);
  }
  return e;
}

}  // namespace

void TensorFile::add(const std::string& name, const Tensor& tensor) {
  if (name.empty()) fail("{}: tensor names must not be empty", source_);
  if (!tensor.defined()) fail("{}: tensor '{}' is undefined", source_, name);
  if (index_.count(name)) fail("{}: duplicate tensor name '{}'", source_, name);
  index_.emplace(name, tensors_.size());
  tensors_.emplace_back(name, tensor);
}

const Tensor* TensorFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second].second;
}

const Tensor& TensorFile::get(const std::string& name) const {
  if (const Tensor* t = find(name)) return *t;
  fail("{}: no tensor named '{}'", source_, name);
}

TensorFile parse_safetensors(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 8) {
    fail("{}: truncated: {} bytes, but a safetensors file starts with an 8-byte header length", source, bytes.size());
  }
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  if (header_size > kMaxHeaderBytes) {
    fail("{}: header length {} is larger than the limit of {} bytes", source, header_size, kMaxHeaderBytes);
  }
  if (header_size > bytes.size() - 8) {
    fail("{}: header length {} points past the end of the file ({} bytes)", source, header_size, bytes.size());
  }
  const std::string_view header_text = bytes.substr(8, header_size);
  const std::string_view data = bytes.substr(8 + header_size);

  // nlohmann keeps the last of duplicate keys silently; the callback sees every top-level key.
  std::set<std::string> seen;
  std::string duplicate;
  Json header;
  try {
    header = Json::parse(header_text, [&](int depth, Json::parse_event_t event, Json& parsed) {
      if (depth == 1 && event == Json::parse_event_t::key && !seen.insert(parsed.get<std::string>()).second) {
        duplicate = parsed.get<std::string>();
      }
      return true;
    });
  } catch (const Json::exception& e) {
    fail("{}: header is not valid JSON: {}", source, json_error_text(e));
  }
  if (!duplicate.empty()) fail("{}: duplicate tensor name '{}' in the header", source, duplicate);
  if (!header.is_object()) fail("{}: header must be a JSON object", source);

  TensorFile file;
  file.set_source(source);
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) fail("{}: __metadata__ must be an object of strings", source);
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) fail("{}: __metadata__ value for '{}' must be a string", source, key);
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(name, info, source));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t position = 0;
  for (const Entry& e : entries) {
    if (e.begin != position) {
      fail("{}: tensor '{}' starts at byte {} of the data but the previous tensor ends at {} ({})", source, e.name,
           e.begin, position, e.begin < position ? "they overlap" : "the data has a gap");
    }
    if (e.end > data.size()) {
      fail("{}: tensor '{}' ends at byte {} of the data, past its end ({} bytes): the file is truncated", source,
           e.name, e.end, data.size());
    }
    position = e.end;
  }
  if (position != data.size()) {
    fail("{}: {} bytes of data after the last tensor; the header does not describe them", source,
         data.size() - position);
  }
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(t.raw_data(), data.data() + e.begin, e.end - e.begin);
    file.add(e.name, t);
  }
  return file;
}

std::string serialize_safetensors(const TensorFile& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : file.tensors()) {
    const std::uint64_t bytes = static_cast<std::uint64_t>(tensor.numel()) * dtype_size(tensor.dtype());
    header[name] = {{"dtype", safetensors_dtype(tensor.dtype())},
                    {"shape", tensor.shape().to_vector()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const std::uint64_t size = text.size();
  out.append(reinterpret_cast<const char*>(&size), 8);
  out += text;
  for (const auto& [name, tensor] : file.tensors()) {
    out.append(static_cast<const char*>(tensor.raw_data()), static_cast<std::size_t>(tensor.numel()) * dtype_size(tensor.dtype()));
  }
  return out;
}

TensorFile read_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  return parse_safetensors(bytes, path == "-" ? "standard input" : path);
}

void write_safetensors(const std::string& path, const TensorFile& file) {
  write_file_atomically(path, serialize_safetensors(file));
}

}  // namespace gradlab
