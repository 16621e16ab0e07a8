#include "gradlab/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <type_traits>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"

namespace gradlab {
namespace {

bool is_known_type(std::uint8_t code) {
  return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D || code == 0x0E;
}

std::string dims_text(const std::vector<int64_t>& dims) { return Shape(dims).to_string(); }

// "[3, 14, 7]": where element `index` sits, so an error points at the image and pixel.
std::string element_position(const std::vector<int64_t>& dims, int64_t index) {
  std::vector<int64_t> at(dims.size());
  for (std::size_t d = dims.size(); d-- > 0;) {
    at[d] = index % dims[d];
    index /= dims[d];
  }
  return dims_text(at);
}

// The (decompressed) bytes of an IDX file, in order.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to `n` bytes; fewer only at the end of the data.
  virtual std::size_t read(std::uint8_t* out, std::size_t n) = 0;
  // Bytes left, when known without reading them (plain input); lets truncation be found before allocating.
  virtual std::optional<std::uint64_t> remaining() const = 0;
};

class PlainReader final : public ByteReader {
 public:
  explicit PlainReader(std::string_view bytes) : bytes_(bytes) {}
  std::size_t read(std::uint8_t* out, std::size_t n) override {
    const std::size_t count = std::min(n, bytes_.size() - position_);
    if (count > 0) std::memcpy(out, bytes_.data() + position_, count);
    position_ += count;
    return count;
  }
  std::optional<std::uint64_t> remaining() const override { return bytes_.size() - position_; }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

// Inflates one or more concatenated gzip members (as gzip(1) and zlib's gzread accept), never
// producing more than is asked for, so a "zip bomb" costs only what the caller reads.
class GzipReader final : public ByteReader {
 public:
  GzipReader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {
    // 16 + MAX_WBITS: a gzip wrapper, not zlib or raw deflate.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) fail("{}: cannot start zlib's inflate", source_);
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes_.data()));
    stream_.avail_in = 0;
  }
  ~GzipReader() override { inflateEnd(&stream_); }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  std::size_t read(std::uint8_t* out, std::size_t n) override {
    std::size_t produced = 0;
    while (produced < n && !finished_) {
      if (stream_.avail_in == 0) {
        const std::size_t left = bytes_.size() - consumed();
        if (left == 0) {
          fail("{}: the gzip stream is truncated: it ends after {} compressed bytes, before its end marker", source_,
               bytes_.size());
        }
        // avail_in is 32-bit; feed very large inputs in pieces.
        stream_.avail_in = static_cast<uInt>(std::min<std::size_t>(left, std::size_t{1} << 30));
      }
      const std::size_t want = std::min<std::size_t>(n - produced, std::size_t{1} << 30);
      stream_.next_out = out + produced;
      stream_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&stream_, Z_NO_FLUSH);
      produced += want - stream_.avail_out;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail("{}: the gzip stream is corrupt at compressed byte {}: {}", source_, consumed(),
             stream_.msg ? stream_.msg : zError(rc));
      }
    }
    return produced;
  }
  std::optional<std::uint64_t> remaining() const override { return std::nullopt; }

 private:
  std::size_t consumed() const {
    return static_cast<std::size_t>(reinterpret_cast<const char*>(stream_.next_in) - bytes_.data());
  }
  void next_member() {
    const std::size_t at = consumed();
    if (at == bytes_.size()) {
      finished_ = true;
      return;
    }
    if (bytes_.size() - at < 2 || static_cast<std::uint8_t>(bytes_[at]) != 0x1f ||
        static_cast<std::uint8_t>(bytes_[at + 1]) != 0x8b) {
      fail("{}: {} bytes after the end of the gzip stream (at compressed byte {}) are not gzip data", source_,
           bytes_.size() - at, at);
    }
    inflateReset(&stream_);
  }

  std::string_view bytes_;
  const std::string& source_;
  z_stream stream_{};
  bool finished_ = false;
};

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

void to_host_order(std::vector<std::uint8_t>& data, std::size_t width) {
  if constexpr (std::endian::native == std::endian::little) {
    if (width == 1) return;
    for (std::size_t i = 0; i < data.size(); i += width) std::reverse(data.begin() + i, data.begin() + i + width);
  }
}

template <typename T>
void check_finite(const std::vector<std::uint8_t>& data, const std::vector<int64_t>& dims, const std::string& where) {
  const std::size_t n = data.size() / sizeof(T);
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
    if (!std::isfinite(v)) {
      fail("{}: element {} (index {}) is {}; input data must be finite", where,
           element_position(dims, static_cast<int64_t>(i)), i, std::isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf"));
    }
  }
}

template <typename In>
double load(const std::uint8_t* data, int64_t index) {
  In v;
  std::memcpy(&v, data + index * static_cast<int64_t>(sizeof(In)), sizeof(In));
  return static_cast<double>(v);
}

double element(IdxType type, const std::uint8_t* data, int64_t index) {
  switch (type) {
    case IdxType::u8: return load<std::uint8_t>(data, index);
    case IdxType::i8: return load<std::int8_t>(data, index);
    case IdxType::i16: return load<std::int16_t>(data, index);
    case IdxType::i32: return load<std::int32_t>(data, index);
    case IdxType::f32: return load<float>(data, index);
    case IdxType::f64: return load<double>(data, index);
  }
  return 0.0;
}

template <typename In, typename Out>
void convert(const IdxArray& array, const std::uint8_t* data, Out* out, double scale) {
  const int64_t n = array.numel();
  for (int64_t i = 0; i < n; ++i) {
    const Out v = static_cast<Out>(load<In>(data, i) * scale);
    if (!std::isfinite(v)) {
      fail("{}: element {} is {} and becomes {} when scaled by {} and stored as {}", array.source(),
           element_position(array.dims(), i), load<In>(data, i), v, scale,
           std::is_same_v<Out, float> ? "float32" : "float64");
    }
    out[i] = v;
  }
}

template <typename Out>
void convert_from(const IdxArray& array, const std::uint8_t* data, Out* out, double scale) {
  switch (array.type()) {
    case IdxType::u8: return convert<std::uint8_t>(array, data, out, scale);
    case IdxType::i8: return convert<std::int8_t>(array, data, out, scale);
    case IdxType::i16: return convert<std::int16_t>(array, data, out, scale);
    case IdxType::i32: return convert<std::int32_t>(array, data, out, scale);
    case IdxType::f32: return convert<float>(array, data, out, scale);
    case IdxType::f64: return convert<double>(array, data, out, scale);
  }
}

// The first of `name`.gz and `name` found in `dir`; a missing data set is the common case, so say how to get it.
std::string find_fashion_file(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path gz = fs::path(dir) / (name + ".gz"), plain = fs::path(dir) / name;
  std::error_code ec;
  if (fs::exists(gz, ec)) return gz.string();
  if (fs::exists(plain, ec)) return plain.string();
  fail("{}: not found (nor {}): Fashion-MNIST is missing; install Debian's package with "
       "'apt-get install dataset-fashion-mnist', or pass the folder that holds its four files",
       gz.string(), plain.string());
}

}  // namespace

const char* idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::u8: return "u8";
    case IdxType::i8: return "i8";
    case IdxType::i16: return "i16";
    case IdxType::i32: return "i32";
    case IdxType::f32: return "f32";
    case IdxType::f64: return "f64";
  }
  return "?";
}

std::size_t idx_type_size(IdxType type) {
  switch (type) {
    case IdxType::u8:
    case IdxType::i8: return 1;
    case IdxType::i16: return 2;
    case IdxType::i32:
    case IdxType::f32: return 4;
    case IdxType::f64: return 8;
  }
  return 1;
}

IdxArray::IdxArray(std::string source, IdxType type, std::vector<int64_t> dims, std::vector<std::uint8_t> data)
    : source_(std::move(source)), type_(type), dims_(std::move(dims)), data_(std::move(data)) {
  std::uint64_t extent = 1;
  for (int64_t d : dims_) {
    const std::uint64_t factor = std::max<int64_t>(d, 1);
    if (d < 0 || extent > static_cast<std::uint64_t>(kMaxTensorElements) / factor) {
      fail("{}: dims {} are negative or too large", source_, dims_text(dims_));
    }
    extent *= factor;
  }
  if (static_cast<std::uint64_t>(numel()) * idx_type_size(type_) != data_.size()) {
    fail("{}: dims {} of {} need {} bytes, got {}", source_, dims_text(dims_), idx_type_name(type_),
         static_cast<std::uint64_t>(numel()) * idx_type_size(type_), data_.size());
  }
}

int64_t IdxArray::numel() const {
  if (std::find(dims_.begin(), dims_.end(), 0) != dims_.end()) return 0;
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

double IdxArray::value(int64_t index) const {
  if (index < 0 || index >= numel()) fail("{}: element index {} is out of range [0, {})", source_, index, numel());
  return element(type_, data_.data(), index);
}

Tensor IdxArray::to_tensor(const IdxTensorOptions& options) const {
  if (!std::isfinite(options.scale)) fail("{}: scale must be finite, got {}", source_, options.scale);
  Shape shape(dims_);
  if (options.flatten) {
    // The product of the trailing sizes, not numel() / N, so that [0, 28, 28] becomes [0, 784].
    int64_t rest = 1;
    for (std::size_t d = 1; d < dims_.size(); ++d) rest *= dims_[d];
    shape = Shape({dims_.empty() ? 1 : dims_[0], rest});
  }
  Tensor t = Tensor::empty(shape, options.dtype);
  if (options.dtype == DType::float32) {
    convert_from(*this, data_.data(), t.data<float>(), options.scale);
  } else {
    convert_from(*this, data_.data(), t.data<double>(), options.scale);
  }
  return t;
}

ByteRows IdxArray::take_byte_rows(double scale) {
  if (type_ != IdxType::u8) fail("{}: byte rows need a u8 array, but the file holds {}", source_, idx_type_name(type_));
  if (dims_.empty()) fail("{}: byte rows need at least one dimension", source_);
  const std::vector<int64_t> row(dims_.begin() + 1, dims_.end());
  ByteRows out{.bytes = std::make_shared<const std::vector<std::uint8_t>>(std::move(data_)),
               .first = 0, .rows = dims_[0], .row_shape = Shape(row), .scale = scale};
  data_.clear();
  dims_.assign(1, 0);
  return out;
}

std::vector<int64_t> IdxArray::to_labels() const {
  if (type_ == IdxType::f32 || type_ == IdxType::f64) {
    fail("{}: labels must be integers (u8, i8, i16 or i32), but the file holds {}", source_, idx_type_name(type_));
  }
  if (dims_.size() != 1) {
    fail("{}: labels must be a one-dimensional array, but the file has dims {}", source_, dims_text(dims_));
  }
  const int64_t n = numel();
  std::vector<int64_t> labels(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<std::size_t>(i)] = static_cast<int64_t>(element(type_, data_.data(), i));
  return labels;
}

IdxArray parse_idx(std::string_view bytes, const std::string& source, const IdxLimits& limits) {
  const bool gzip = bytes.size() >= 2 && static_cast<std::uint8_t>(bytes[0]) == 0x1f &&
                    static_cast<std::uint8_t>(bytes[1]) == 0x8b;
  std::unique_ptr<ByteReader> reader;
  if (gzip) {
    reader = std::make_unique<GzipReader>(bytes, source);
  } else {
    reader = std::make_unique<PlainReader>(bytes);
  }
  // Byte positions in messages count decompressed bytes when the file is compressed.
  const char* which = gzip ? " of the decompressed data" : "";

  std::uint8_t magic[4];
  if (const std::size_t n = reader->read(magic, 4); n < 4) {
    fail("{}: truncated: {} bytes{}, but an IDX file starts with a 4-byte magic number (00 00 type dims)", source, n,
         which);
  }
  if (magic[0] != 0 || magic[1] != 0) {
    fail("{}: not an IDX file: it starts with bytes {:02x} {:02x}{}, expected 00 00", source, magic[0], magic[1], which);
  }
  if (!is_known_type(magic[2])) {
    fail("{}: byte 2{}: unknown IDX type code 0x{:02x} (known: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, "
         "0x0E f64)",
         source, which, magic[2]);
  }
  const auto type = static_cast<IdxType>(magic[2]);
  const int rank = magic[3];
  if (rank == 0) fail("{}: byte 3{}: the file declares 0 dimensions; an IDX array has at least one", source, which);
  if (rank > kIdxMaxDims) {
    fail("{}: byte 3{}: the file declares {} dimensions; gradlab reads at most {}", source, which, rank, kIdxMaxDims);
  }

  std::uint8_t dim_bytes[4 * kIdxMaxDims];
  const std::size_t dims_size = 4 * static_cast<std::size_t>(rank);
  if (const std::size_t n = reader->read(dim_bytes, dims_size); n < dims_size) {
    fail("{}: truncated in the header: {} dimensions need {} header bytes{}, but the file has {}", source, rank,
         4 + dims_size, which, 4 + n);
  }
  std::vector<int64_t> dims;
  const std::size_t width = idx_type_size(type);
  const std::uint64_t max_elements = limits.max_data_bytes / width;
  // Zeros count as ones here: an empty array's other sizes still have to be sane, or reshaping it
  // ([0, rows, columns] to [0, rows * columns]) would overflow.
  std::uint64_t extent = 1;
  bool too_large = false;
  for (int d = 0; d < rank; ++d) {
    const std::uint64_t size = big_endian_u32(dim_bytes + 4 * d);
    dims.push_back(static_cast<int64_t>(size));
    const std::uint64_t factor = std::max<std::uint64_t>(size, 1);
    if (extent > max_elements / factor) too_large = true;
    if (!too_large) extent *= factor;
  }
  if (too_large) {
    fail("{}: dims {} of {} need more than the limit of {} bytes of data (IdxLimits::max_data_bytes)", source,
         dims_text(dims), idx_type_name(type), limits.max_data_bytes);
  }
  const bool empty = std::find(dims.begin(), dims.end(), 0) != dims.end();
  const std::uint64_t data_size = empty ? 0 : extent * width;
  const std::uint64_t header_size = 4 + dims_size;
  const auto truncated = [&](std::uint64_t got) {
    fail("{}: truncated: dims {} of {} need {} bytes of data after the {}-byte header{}, but only {} follow", source,
         dims_text(dims), idx_type_name(type), data_size, header_size, which, got);
  };
  if (auto left = reader->remaining(); left && *left < data_size) truncated(*left);

  // Grown as bytes arrive, so a small gzip file that claims huge dims allocates only what it inflates to.
  std::vector<std::uint8_t> data;
  std::uint64_t filled = 0;
  while (filled < data_size) {
    const std::uint64_t step = std::min<std::uint64_t>(data_size - filled, std::max<std::uint64_t>(filled, 1 << 16));
    data.resize(static_cast<std::size_t>(filled + step));
    const std::size_t got = reader->read(data.data() + filled, static_cast<std::size_t>(step));
    filled += got;
    if (got < step) truncated(filled);
  }

  std::uint8_t scratch[1 << 12];
  constexpr std::uint64_t kCountCap = 1 << 20;
  std::uint64_t extra = 0;
  for (std::size_t got; extra < kCountCap && (got = reader->read(scratch, sizeof scratch)) > 0;) extra += got;
  if (extra > 0) {
    fail("{}: {}{} bytes follow the {} bytes of data that dims {} of {} describe (at byte {}{})", source,
         extra >= kCountCap ? "at least " : "", extra, data_size, dims_text(dims), idx_type_name(type),
         header_size + data_size, which);
  }

  to_host_order(data, width);
  if (type == IdxType::f32) check_finite<float>(data, dims, source);
  if (type == IdxType::f64) check_finite<double>(data, dims, source);
  return IdxArray(source, type, std::move(dims), std::move(data));
}

IdxArray read_idx(const std::string& path, const IdxLimits& limits) {
  // Deflate never grows data by more than a few bytes per 16 KiB block, so this bounds any valid file.
  const std::uint64_t max_data = std::min<std::uint64_t>(limits.max_data_bytes, std::uint64_t{1} << 60);
  const std::uint64_t max_file = max_data + max_data / 256 + (1 << 16);
  const std::string bytes = read_file(path, max_file);
  return parse_idx(bytes, path == "-" ? "standard input" : path, limits);
}

FashionMnist load_fashion_mnist(const std::string& dir) {
  const auto load_split = [&](const char* images_name, const char* labels_name, ByteRows& images,
                              std::vector<int64_t>& labels) {
    const std::string images_path = find_fashion_file(dir, images_name);
    const std::string labels_path = find_fashion_file(dir, labels_name);
    IdxArray image_array = read_idx(images_path);
    const std::vector<int64_t>& dims = image_array.dims();
    if (image_array.type() != IdxType::u8 || dims.size() != 3 || dims[1] != 28 || dims[2] != 28) {
      fail("{}: expected Fashion-MNIST images, u8 of dims [N, 28, 28], got {} of dims {}", images_path,
           idx_type_name(image_array.type()), dims_text(dims));
    }
    const IdxArray label_array = read_idx(labels_path);
    if (label_array.type() != IdxType::u8) {
      fail("{}: expected Fashion-MNIST labels of type u8, got {}", labels_path, idx_type_name(label_array.type()));
    }
    labels = label_array.to_labels();
    if (static_cast<int64_t>(labels.size()) != dims[0]) {
      fail("{}: {} labels for the {} images of {}", labels_path, labels.size(), dims[0], images_path);
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0 || labels[i] >= static_cast<int64_t>(kFashionMnistClasses.size())) {
        fail("{}: label {} is {}, outside the {} classes [0, {})", labels_path, i, labels[i],
             kFashionMnistClasses.size(), kFashionMnistClasses.size());
      }
    }
    images = image_array.take_byte_rows(1.0 / 255);
    images.row_shape = Shape{images.row_size()};  // [28, 28] flattened to [784], as Dense layers take it
  };
  FashionMnist data;
  load_split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", data.train_images, data.train_labels);
  load_split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", data.test_images, data.test_labels);
  return data;
}

}  // namespace gradlab
