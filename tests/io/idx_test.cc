#include "gradlab/io/idx.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;

std::string big_endian(std::uint64_t value, int width) {
  std::string out(static_cast<std::size_t>(width), '\0');
  for (int i = width - 1; i >= 0; --i, value >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
  return out;
}

// An IDX file: magic 00 00 type rank, big-endian u32 dims, then `data` as given.
std::string idx_file(std::uint8_t type, std::initializer_list<std::uint32_t> dims, const std::string& data) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) out += big_endian(d, 4);
  return out + data;
}

template <typename T>
std::string big_endian_values(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    out += big_endian(bits, sizeof(T));
  }
  return out;
}

std::string gzip(const std::string& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void expect_error(const std::string& bytes, std::initializer_list<const char*> fragments, const IdxLimits& limits = {}) {
  try {
    parse_idx(bytes, "images.idx", limits);
    FAIL() << "expected an error containing '" << *fragments.begin() << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("images.idx"), std::string::npos) << message;
    for (const char* f : fragments) EXPECT_NE(message.find(f), std::string::npos) << "missing '" << f << "' in: " << message;
  }
}

TEST(Idx, ReadsEveryElementTypeBigEndian) {
  const IdxArray u8 = parse_idx(idx_file(0x08, {2, 3}, std::string("\x00\x01\x7f\x80\xfe\xff", 6)));
  EXPECT_EQ(u8.type(), IdxType::u8);
  EXPECT_EQ(u8.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(u8.shape(), (Shape{2, 3}));
  EXPECT_EQ(u8.to_tensor().to_vector(), (std::vector<double>{0, 1, 127, 128, 254, 255}));

  EXPECT_EQ(parse_idx(idx_file(0x09, {3}, "\x01\xff\x80")).to_labels(), (std::vector<int64_t>{1, -1, -128}));
  EXPECT_EQ(parse_idx(idx_file(0x0B, {3}, big_endian_values<std::int16_t>({-2, 300, -32768}))).to_labels(),
            (std::vector<int64_t>{-2, 300, -32768}));
  EXPECT_EQ(parse_idx(idx_file(0x0C, {2}, big_endian_values<std::int32_t>({-70000, 2147483647}))).to_labels(),
            (std::vector<int64_t>{-70000, 2147483647}));
  const IdxArray f32 = parse_idx(idx_file(0x0D, {1, 2}, big_endian_values<float>({1.5f, -0.25f})));
  EXPECT_EQ(f32.type(), IdxType::f32);
  EXPECT_EQ(f32.value(1), -0.25);
  const IdxArray f64 = parse_idx(idx_file(0x0E, {2}, big_endian_values<double>({1e-300, -3.0})));
  EXPECT_EQ(f64.to_tensor({.dtype = DType::float64}).to_vector(), (std::vector<double>{1e-300, -3.0}));
  EXPECT_EQ(idx_type_size(IdxType::f64), 8u);
  EXPECT_STREQ(idx_type_name(IdxType::i16), "i16");
}

TEST(Idx, GzipAndPlainFilesGiveTheSameArray) {
  std::string pixels;
  for (int i = 0; i < 4 * 28 * 28; ++i) pixels += static_cast<char>((i * 37) % 256);
  const std::string plain = idx_file(0x08, {4, 28, 28}, pixels);
  const IdxArray a = parse_idx(plain);
  const IdxArray b = parse_idx(gzip(plain));
  EXPECT_EQ(a.dims(), b.dims());
  EXPECT_EQ(a.to_tensor().to_vector(), b.to_tensor().to_vector());
  // gzip(1) and zlib's gzread accept concatenated members; so does gradlab.
  const std::string two_members = gzip(plain.substr(0, 1000)) + gzip(plain.substr(1000));
  EXPECT_EQ(parse_idx(two_members).to_tensor().to_vector(), a.to_tensor().to_vector());
}

TEST(Idx, ToTensorScalesFlattensAndMatchesFloatDivision) {
  std::string all;
  for (int v = 0; v < 256; ++v) all += static_cast<char>(v);
  const IdxArray bytes = parse_idx(idx_file(0x08, {4, 8, 8}, all));
  const Tensor x = bytes.to_tensor({.scale = 1.0 / 255, .flatten = true});
  EXPECT_EQ(x.shape(), (Shape{4, 64}));
  EXPECT_EQ(x.dtype(), DType::float32);
  const float* p = x.data<float>();
  for (int v = 0; v < 256; ++v) {
    // The same float32 values as PyTorch's `x.float() / 255` and Keras's `x.astype("float32") / 255`.
    EXPECT_EQ(p[v], static_cast<float>(v) / 255.0f) << "pixel value " << v;
  }
  EXPECT_EQ(p[0], 0.0f);
  EXPECT_EQ(p[255], 1.0f);
  EXPECT_EQ(parse_idx(idx_file(0x08, {0, 28, 28}, "")).to_tensor({.flatten = true}).shape(), (Shape{0, 784}));
  EXPECT_EQ(parse_idx(idx_file(0x08, {3}, "abc")).to_tensor({.flatten = true}).shape(), (Shape{3, 1}));
}

TEST(Idx, ToTensorRefusesValuesThatOverflowTheDtype) {
  const IdxArray big = parse_idx(idx_file(0x0E, {1, 2}, big_endian_values<double>({1.0, 1e300})), "big.idx");
  EXPECT_EQ(big.to_tensor({.dtype = DType::float64}).to_vector()[1], 1e300);
  try {
    big.to_tensor();
    FAIL() << "1e300 does not fit float32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.idx: element [0, 1]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("float32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(big.to_tensor({.scale = NAN}), Error);
}

TEST(Idx, LabelsMustBeOneDimensionalIntegers) {
  EXPECT_EQ(parse_idx(idx_file(0x08, {4}, std::string("\x09\x00\x03\x01", 4))).to_labels(),
            (std::vector<int64_t>{9, 0, 3, 1}));
  try {
    parse_idx(idx_file(0x0D, {1}, big_endian_values<float>({1.0f})), "labels.idx").to_labels();
    FAIL() << "float labels are refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("labels.idx: labels must be integers"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_idx(idx_file(0x08, {2, 2}, "abcd")).to_labels(), Error);
}

TEST(Idx, RejectsEveryMalformedHeaderNamingFileAndPlace) {
  expect_error("", {"truncated", "4-byte magic"});
  expect_error(std::string("\x00\x00\x08", 3), {"truncated", "3 bytes"});
  expect_error(std::string("PK\x03\x04", 4), {"not an IDX file", "50 4b"});
  expect_error(std::string("\x00\x00\x07\x01", 4) + big_endian(1, 4) + "x", {"byte 2", "unknown IDX type code 0x07"});
  expect_error(std::string("\x00\x00\x08\x00", 4), {"byte 3", "0 dimensions"});
  expect_error(std::string("\x00\x00\x08\x09", 4) + std::string(36, '\0'), {"byte 3", "9 dimensions", "at most 8"});
  expect_error(std::string("\x00\x00\x08\x03", 4) + big_endian(10, 4), {"truncated in the header", "16 header bytes"});
}

TEST(Idx, RejectsBadDataNamingFileAndPlace) {
  expect_error(idx_file(0x08, {2, 3}, "abcde"), {"truncated", "dims [2, 3] of u8 need 6 bytes", "only 5 follow"});
  expect_error(idx_file(0x0C, {2}, "abcd"), {"truncated", "need 8 bytes", "only 4"});
  expect_error(idx_file(0x08, {2, 3}, "abcdefgh"), {"2 bytes follow", "at byte 18"});
  expect_error(idx_file(0x0D, {2, 2}, big_endian_values<float>({1.0f, 2.0f, NAN, 4.0f})),
               {"element [1, 0]", "index 2", "NaN", "finite"});
  expect_error(idx_file(0x0E, {3}, big_endian_values<double>({0.0, -INFINITY, 1.0})), {"element [1]", "-inf"});
}

TEST(Idx, RefusesHugeDimsBeforeAllocating) {
  // 2^32 * 4 overflows nothing in 64 bits, but the product of four 2^32 - 1 sizes does.
  expect_error(idx_file(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, ""),
               {"dims [4294967295, 4294967295, 4294967295, 4294967295] of u8", "more than the limit"});
  expect_error(idx_file(0x0E, {60000, 28, 28}, ""), {"more than the limit of 1024 bytes"}, {.max_data_bytes = 1024});
  // An empty array's other sizes must be sane too, or flattening [0, a, b] to [0, a * b] overflows
  // (found by the fuzzer: tests/fuzz/regressions/idx/).
  EXPECT_EQ(parse_idx(idx_file(0x08, {0, 1000, 1000}, "")).to_tensor({.flatten = true}).shape(), (Shape{0, 1000000}));
  expect_error(idx_file(0x08, {0, 0xfeff0000u, 0xff00001cu}, ""), {"more than the limit"});
}

TEST(Idx, RejectsCorruptTruncatedAndOversizedGzipStreams) {
  std::string pixels(5000, '\0');
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>(i * i % 251);
  const std::string packed = gzip(idx_file(0x08, {5, 1000}, pixels));

  std::string corrupt = packed;
  for (std::size_t i = 20; i < 40; ++i) corrupt[i] = static_cast<char>(~corrupt[i]);
  expect_error(corrupt, {"gzip stream is corrupt", "compressed byte"});
  expect_error(packed.substr(0, packed.size() - 12), {"gzip stream is truncated"});
  expect_error(packed.substr(0, 2), {"gzip stream is truncated"});
  expect_error(packed + "junk", {"4 bytes after the end of the gzip stream", "not gzip data"});

  // A "zip bomb": a small file whose header is modest but which inflates to far more data than it
  // describes. Reading stops at a bounded count instead of inflating everything.
  const std::string bomb = gzip(idx_file(0x08, {10}, std::string(64 << 20, '\0')));
  EXPECT_LT(bomb.size(), 100u << 10);
  expect_error(bomb, {"at least 1048576 bytes follow the 10 bytes of data", "decompressed"});
  // One that claims huge dims is refused before anything is allocated.
  expect_error(gzip(idx_file(0x08, {1u << 31, 4}, std::string(1000, '\0'))), {"more than the limit"});
  // One whose dims fit the limit but whose data is missing fails as truncated, having allocated only
  // what it inflated to.
  expect_error(gzip(idx_file(0x08, {1u << 30, 2}, std::string(100, '\0'))), {"truncated", "only 100 follow"});
}

class IdxFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_idx_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& bytes) const { write_file_atomically(path(name), bytes); }
  // A small Fashion-MNIST-shaped folder: `n` training and test images with labels.
  void write_fashion(std::uint32_t n, const std::string& labels, bool compressed = true) const {
    const auto put = [&](const std::string& name, const std::string& bytes) {
      write(compressed ? name + ".gz" : name, compressed ? gzip(bytes) : bytes);
    };
    std::string images(n * 28 * 28, '\0');
    for (std::size_t i = 0; i < images.size(); ++i) images[i] = static_cast<char>(i % 256);
    for (const char* split : {"train", "t10k"}) {
      put(std::string(split) + "-images-idx3-ubyte", idx_file(0x08, {n, 28, 28}, images));
      put(std::string(split) + "-labels-idx1-ubyte", idx_file(0x08, {static_cast<std::uint32_t>(labels.size())}, labels));
    }
  }
  fs::path dir_;
};

TEST_F(IdxFiles, ReadIdxNamesThePath) {
  write("a.idx.gz", gzip(idx_file(0x08, {2}, "\x01\x02")));
  EXPECT_EQ(read_idx(path("a.idx.gz")).to_labels(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(read_idx(path("a.idx.gz")).source(), path("a.idx.gz"));
  write("bad.idx", std::string("\x00\x00\x08\x01", 4));
  try {
    read_idx(path("bad.idx"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path("bad.idx") + ": truncated in the header"), std::string::npos) << e.what();
  }
  try {
    read_idx(path("missing.idx"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path("missing.idx")), std::string::npos) << e.what();
  }
}

TEST_F(IdxFiles, FashionMnistLoaderReadsAFolderOfEitherForm) {
  write_fashion(3, std::string("\x09\x00\x05", 3));
  FashionMnist data = load_fashion_mnist(dir_.string());
  EXPECT_EQ(data.train_images.shape(), (Shape{3, 784}));
  EXPECT_EQ(data.test_images.shape(), (Shape{3, 784}));
  EXPECT_EQ(data.train_labels, (std::vector<int64_t>{9, 0, 5}));
  const Tensor train = data.train_images.to_tensor();
  EXPECT_EQ(train.at({0, 255}), 1.0);
  EXPECT_EQ(train.at({1, 0}), static_cast<float>(784 % 256) / 255.0f);
  // Kept as bytes: the same values as the float32 conversion of the file's array.
  EXPECT_EQ(data.train_images.bytes->size(), 3u * 784);

  fs::remove_all(dir_);
  fs::create_directories(dir_);
  write_fashion(2, std::string("\x01\x02", 2), false);
  EXPECT_EQ(load_fashion_mnist(dir_.string()).test_labels, (std::vector<int64_t>{1, 2}));
}

TEST_F(IdxFiles, FashionMnistLoaderNamesTheBadFile) {
  try {
    load_fashion_mnist(path("nowhere"));
    FAIL() << "a missing data set is an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path("nowhere/train-images-idx3-ubyte.gz")), std::string::npos) << m;
    EXPECT_NE(m.find("apt-get install dataset-fashion-mnist"), std::string::npos) << m;
  }
  write_fashion(2, std::string("\x01\x0a", 2));
  try {
    load_fashion_mnist(dir_.string());
    FAIL() << "label 10 is not a class";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train-labels-idx1-ubyte.gz: label 1 is 10"), std::string::npos) << e.what();
  }
  write_fashion(2, std::string("\x01\x02\x03", 3));
  EXPECT_THROW(load_fashion_mnist(dir_.string()), Error) << "3 labels for 2 images";
  write("train-images-idx3-ubyte.gz", gzip(idx_file(0x08, {2, 28, 27}, std::string(2 * 28 * 27, '\0'))));
  try {
    load_fashion_mnist(dir_.string());
    FAIL() << "27-pixel rows are not Fashion-MNIST";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz: expected Fashion-MNIST images"), std::string::npos)
        << e.what();
  }
}

TEST(FashionMnist, DebianPackageHasTheExpectedSplitsAndBalancedClasses) {
  if (!fs::exists(fs::path(kFashionMnistDir) / "train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)";
  }
  const FashionMnist data = load_fashion_mnist();
  EXPECT_EQ(data.train_images.shape(), (Shape{60000, 784}));
  EXPECT_EQ(data.test_images.shape(), (Shape{10000, 784}));
  ASSERT_EQ(data.train_labels.size(), 60000u);
  ASSERT_EQ(data.test_labels.size(), 10000u);
  // The data set is balanced: 6,000 training and 1,000 test images per class.
  std::vector<int> train_count(10), test_count(10);
  for (int64_t y : data.train_labels) ++train_count[static_cast<std::size_t>(y)];
  for (int64_t y : data.test_labels) ++test_count[static_cast<std::size_t>(y)];
  EXPECT_EQ(train_count, std::vector<int>(10, 6000));
  EXPECT_EQ(test_count, std::vector<int>(10, 1000));
  EXPECT_EQ(data.train_labels[0], 9) << "the first training image is an ankle boot";
  const Tensor train = data.train_images.to_tensor();
  const float* x = train.data<float>();
  float lo = 1, hi = 0;
  double sum = 0;
  for (int64_t i = 0; i < train.numel(); ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    sum += x[i];
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  // Fashion-MNIST's training pixel mean is 0.2860 (the value torchvision users normalize with).
  EXPECT_NEAR(sum / static_cast<double>(train.numel()), 0.2860, 5e-4);
}

}  // namespace
}  // namespace gradlab
