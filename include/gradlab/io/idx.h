#pragma once
/// IDX files: the format of MNIST and Fashion-MNIST, read plain or gzip-compressed, and the
/// Fashion-MNIST data set from Debian's `dataset-fashion-mnist` package.
///
/// Layout (big-endian): two zero bytes, a type code, the number of dimensions D, then D unsigned
/// 32-bit sizes, then the elements in row-major order. Type codes: 0x08 u8, 0x09 i8, 0x0B i16,
/// 0x0C i32, 0x0D f32, 0x0E f64. A file that starts with the gzip magic 1f 8b is inflated first.
///
///   IdxArray images = read_idx("train-images-idx3-ubyte.gz");   // u8 [60000, 28, 28]
///   Tensor x = images.to_tensor({.scale = 1.0 / 255, .flatten = true});   // float32 [60000, 784]
///   std::vector<int64_t> y = read_idx("train-labels-idx1-ubyte.gz").to_labels();
///
///   FashionMnist data = load_fashion_mnist();   // the four files under kFashionMnistDir
///
/// Every reader treats its input as hostile: a bad magic number, an unknown type code, more than
/// kIdxMaxDims dimensions, sizes whose product overflows or passes IdxLimits::max_data_bytes (checked
/// before anything is allocated), truncated data, bytes after the data, a corrupt or truncated gzip
/// stream, and NaN or infinite values are each an Error naming the file and where the problem is.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/io/byte_rows.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The element type of an IDX file, with the file's type code as value.
enum class IdxType : std::uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

/// "u8", "i8", "i16", "i32", "f32" or "f64".
const char* idx_type_name(IdxType type);
/// Bytes per element: 1, 1, 2, 4, 4 or 8.
std::size_t idx_type_size(IdxType type);

/// The most dimensions an IDX file may declare; the format allows 255, real files use 1 to 4.
inline constexpr int kIdxMaxDims = 8;

/// Limits applied while reading, before anything is allocated.
struct IdxLimits {
  /// Largest element data accepted, in bytes after decompression (4 GiB by default; Fashion-MNIST's
  /// training images are 47 MB). A file whose dimensions ask for more, or a gzip stream that
  /// inflates past it, is refused.
  std::uint64_t max_data_bytes = std::uint64_t{1} << 32;
};

/// How IdxArray::to_tensor() converts elements.
struct IdxTensorOptions {
  DType dtype = DType::float32;
  /// Each element is multiplied by this: 1.0 / 255 maps u8 pixels to [0, 1].
  double scale = 1.0;
  /// Keep the first dimension and flatten the rest: [N, 28, 28] becomes [N, 784].
  bool flatten = false;
};

/// The content of one IDX file: its element type, dimensions and elements (in host byte order).
class IdxArray {
 public:
  /// Used by parse_idx(); `data` holds numel() elements of `type` in host byte order. Throws Error
  /// when a size is negative, the sizes (zeros counted as ones) pass kMaxTensorElements, or `data`
  /// has the wrong length.
  IdxArray(std::string source, IdxType type, std::vector<int64_t> dims, std::vector<std::uint8_t> data);

  IdxType type() const { return type_; }
  /// The sizes as the file gives them, outermost first (for images [N, rows, columns]).
  const std::vector<int64_t>& dims() const { return dims_; }
  Shape shape() const { return Shape(dims_); }
  int64_t numel() const;
  /// Element `index` (row-major) converted to double.
  double value(int64_t index) const;
  /// The file the array came from, or the source given to parse_idx(), for error messages.
  const std::string& source() const { return source_; }

  /// The elements of a u8 array as rows of bytes: dims()[0] rows of the remaining dims, each byte
  /// read as byte * scale. Moves the bytes out, leaving this array empty.
  ByteRows take_byte_rows(double scale);
  /// The elements as a tensor of dims() (or [N, rest] with `flatten`), each multiplied by `scale`.
  /// A value that does not fit the dtype after scaling (an f64 of 1e300 read as float32) is an Error
  /// naming the file and the element.
  Tensor to_tensor(const IdxTensorOptions& options = {}) const;
  /// The elements of a one-dimensional integer array (u8, i8, i16 or i32) as class ids, the form
  /// Keras's sparse losses take. Any other type or rank is an Error naming the file.
  std::vector<int64_t> to_labels() const;

 private:
  std::string source_;
  IdxType type_;
  std::vector<int64_t> dims_;
  std::vector<std::uint8_t> data_;
};

/// Parses IDX bytes, inflating them first when they start with the gzip magic 1f 8b. `source`
/// names them in errors. See the file comment for every case that is refused.
IdxArray parse_idx(std::string_view bytes, const std::string& source = "<memory>", const IdxLimits& limits = {});
/// Reads an IDX file, plain or gzip-compressed; errors name `path`.
IdxArray read_idx(const std::string& path, const IdxLimits& limits = {});

/// Where Debian's `dataset-fashion-mnist` package installs the four Fashion-MNIST files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
/// Fashion-MNIST's images are kFashionMnistSide x kFashionMnistSide pixels.
inline constexpr int64_t kFashionMnistSide = 28;
/// Fashion-MNIST's ten classes, indexed by label.
inline constexpr std::array<const char*, 10> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28x28 grey images of clothing in ten classes,
/// 60,000 for training and 10,000 for testing.
struct FashionMnist {
  /// 60,000 rows of shape [784], kept as bytes and read as pixels scaled to [0, 1] (scale 1/255),
  /// each image's rows one after another. `.to_tensor()` gives float32 [60000, 784].
  ByteRows train_images;
  /// 60,000 class ids in [0, 10); see kFashionMnistClasses.
  std::vector<int64_t> train_labels;
  /// 10,000 rows, as train_images.
  ByteRows test_images;
  /// 10,000 class ids in [0, 10).
  std::vector<int64_t> test_labels;
};

/// Loads Fashion-MNIST from `dir`, which holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each gzip-compressed (".gz") or plain. A
/// missing file is an Error naming it and saying to install `dataset-fashion-mnist`; files that are
/// not 28x28 u8 images with as many u8 labels in [0, 10) are Errors naming the file.
FashionMnist load_fashion_mnist(const std::string& dir = kFashionMnistDir);

}  // namespace gradlab
