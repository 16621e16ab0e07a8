#include "gradlab/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

std::string header_file(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}

void expect_error(const std::string& bytes, const std::string& fragment) {
  try {
    parse_safetensors(bytes, "w.safetensors");
    FAIL() << "expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("w.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, RoundTripKeepsOrderValuesDtypesAndMetadata) {
  TensorFile file;
  file.add("d1/kernel", from_values({2, 3}, {1, 2, 3, 4, 5, 6}));
  file.add("d1/bias", from_values({3}, {0.5, -0.25, 1e-30}, DType::float64));
  file.add("empty", zeros({0, 4}));
  file.add("scalar", scalar(7.0));
  file.metadata["format"] = "gradlab";
  const std::string bytes = serialize_safetensors(file);
  std::uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  EXPECT_EQ(header % 8, 0u) << "header is padded to 8 bytes";
  EXPECT_EQ(bytes[8], '{');

  TensorFile back = parse_safetensors(bytes);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back.tensors()[0].first, "d1/kernel");
  EXPECT_EQ(back.get("d1/kernel").shape(), (Shape{2, 3}));
  EXPECT_EQ(back.get("d1/kernel").to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(back.get("d1/bias").dtype(), DType::float64);
  EXPECT_EQ(back.get("d1/bias").at({2}), 1e-30);
  EXPECT_EQ(back.get("empty").shape(), (Shape{0, 4}));
  EXPECT_EQ(back.get("scalar").shape(), Shape{});
  EXPECT_EQ(back.get("scalar").item(), 7.0);
  EXPECT_EQ(back.metadata.at("format"), "gradlab");
}

TEST(Safetensors, ReadsAFileWrittenByTheReferenceLayout) {
  // Header as the Hugging Face library writes it: metadata first, tensors sorted, spaces as padding.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}   )";
  TensorFile f = parse_safetensors(header_file(header, floats({1.5f, -2.f, 3.f})));
  EXPECT_EQ(f.get("a").to_vector(), (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(f.get("b").item(), 3.0);
}

TEST(Safetensors, RejectsEveryMalformedFileWithANamedReason) {
  expect_error("", "truncated");
  expect_error("1234567", "truncated");
  expect_error(header_file("{}").substr(0, 8) + std::string(1, '{'), "points past the end");
  std::string huge(8, '\xff');
  expect_error(huge + "{}", "larger than the limit");
  expect_error(header_file("not json"), "not valid JSON");
  expect_error(header_file("[1, 2]"), "must be a JSON object");
  expect_error(header_file(R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", "xx"), "dtype F16");
  expect_error(header_file(R"({"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", "xxxx"), "unknown dtype");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "xxxx"), "needs 8 bytes");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "xxxx"), "truncated");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "xxxxxxxx"), "after the last tensor");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "xxxxxxxx"), "gap");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                           "xxxxxxxx"),
               "overlap");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                           "xxxxxxxx"),
               "duplicate tensor name 'a'");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "xxxx"), "non-negative");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", "xxxx"), "before begin");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "xxxx"), "data_offsets");
  expect_error(header_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", "xxxx"), "unknown header key");
  expect_error(header_file(R"({"__metadata__":{"k":1}})"), "must be a string");
}

TEST(Safetensors, RefusesAHugeShapeBeforeAllocating) {
  expect_error(header_file(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", "xxxxxxxx"),
               "too large");
  expect_error(header_file(R"({"a":{"dtype":"F64","shape":[65536,65536,65536],"data_offsets":[0,8]}})", "xxxxxxxx"),
               "too large");
}

TEST(Safetensors, FileRoundTripIsAtomicAndErrorsNameThePath) {
  const auto dir = std::filesystem::temp_directory_path() / "gradlab_safetensors_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "w.safetensors").string();
  TensorFile file;
  file.add("x", from_values({2}, {1, 2}));
  write_safetensors(path, file);
  EXPECT_EQ(read_safetensors(path).get("x").to_vector(), (std::vector<double>{1, 2}));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "w.safetensors") << "no temporary file is left behind";
  }
  try {
    write_safetensors((dir / "missing" / "w.safetensors").string(), file);
    FAIL() << "writing into a missing folder must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/w.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_safetensors((dir / "nope.safetensors").string()), Error);
  EXPECT_THROW(read_file(dir.string()), Error) << "a directory is not a file";
  std::filesystem::remove_all(dir);
}

TEST(TensorFile, RejectsDuplicateAndMissingNames) {
  TensorFile file;
  file.add("a", zeros({1}));
  EXPECT_THROW(file.add("a", zeros({1})), Error);
  EXPECT_THROW(file.add("", zeros({1})), Error);
  EXPECT_THROW(file.get("b"), Error);
  EXPECT_EQ(file.find("b"), nullptr);
}

}  // namespace
}  // namespace gradlab
