#pragma once
/// The safetensors format (Hugging Face): the file gradlab reads and writes weights, inputs and
/// gradients in, so that PyTorch, JAX and Keras users can open them.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON header
/// {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
///  "__metadata__": {"key": "value"}}, then the raw little-endian data; offsets are relative to the
/// end of the header and must tile the data exactly (no gaps, no overlaps). gradlab reads F32 and F64
/// tensors; any other dtype is an error naming the tensor.
///
///   TensorFile f;
///   f.add("d1/kernel", kernel);  f.metadata["format"] = "gradlab";
///   write_safetensors("w.safetensors", f);
///   TensorFile g = read_safetensors("w.safetensors");
///   const Tensor& k = g.get("d1/kernel");          // throws Error naming the file if absent
///
/// In Python: `safetensors.torch.load_file("w.safetensors")`, or the reader in tools/golden/.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// An ordered collection of named tensors plus string metadata: the content of one safetensors file.
class TensorFile {
 public:
  /// Appends `tensor` under `name`; throws Error if the name is already present or empty.
  void add(const std::string& name, const Tensor& tensor);
  /// The tensor called `name`; throws Error naming `source()` and the tensor when absent.
  const Tensor& get(const std::string& name) const;
  /// The tensor called `name`, or nullptr.
  const Tensor* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  /// Tensors in file order.
  const std::vector<std::pair<std::string, Tensor>>& tensors() const { return tensors_; }
  std::size_t size() const { return tensors_.size(); }

  /// Where the tensors came from (a path, or "<memory>"), used in error messages.
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }

  /// Free-form string pairs stored under "__metadata__".
  std::map<std::string, std::string> metadata;

 private:
  std::vector<std::pair<std::string, Tensor>> tensors_;
  std::map<std::string, std::size_t> index_;
  std::string source_ = "<memory>";
};

/// Parses safetensors bytes. `source` names them in errors. Every malformed case (truncated file,
/// header length past the end, bad JSON, unknown dtype, shape and byte count disagreeing, offsets
/// out of range, overlapping or leaving gaps, duplicate names) is an Error naming the tensor and why.
TensorFile parse_safetensors(std::string_view bytes, const std::string& source = "<memory>");
/// The safetensors bytes of `file` (header padded with spaces to a multiple of 8 bytes).
std::string serialize_safetensors(const TensorFile& file);

/// Reads a safetensors file ("-" for standard input).
TensorFile read_safetensors(const std::string& path);
/// Writes a safetensors file atomically ("-" for standard output).
void write_safetensors(const std::string& path, const TensorFile& file);

}  // namespace gradlab
