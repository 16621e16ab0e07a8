#include <memory>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/tensor/tensor.h"

namespace gradlab {
namespace {

using ::testing::HasSubstr;

TEST(TensorWrap, SharesTheOwnersMemoryAndKeepsTheOwnerAlive) {
  auto buffer = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4, 5, 6});
  std::weak_ptr<std::vector<float>> watch = buffer;
  Tensor t = Tensor::wrap(buffer->data(), Shape{2, 3}, DType::float32, buffer);
  float* data = buffer->data();
  buffer.reset();
  EXPECT_FALSE(watch.expired());  // the tensor holds the owner
  EXPECT_EQ(t.data<float>(), data);
  EXPECT_EQ(t.at({1, 2}), 6.0);
  t.data<float>()[0] = 10;
  EXPECT_EQ(watch.lock()->at(0), 10.0f);  // writes reach the owner's memory
  Tensor row = t.view(Shape{6});
  t = Tensor();
  EXPECT_FALSE(watch.expired());  // a view keeps it too
  row = Tensor();
  EXPECT_TRUE(watch.expired());
}

TEST(TensorWrap, NeverOwnsItsStorageExclusively) {
  // Gradient accumulation writes into a sum it owns exclusively; a wrapped array belongs to its owner.
  auto buffer = std::make_shared<std::vector<double>>(4, 1.0);
  Tensor t = Tensor::wrap(buffer->data(), Shape{4}, DType::float64, buffer);
  buffer.reset();
  EXPECT_FALSE(t.owns_storage_exclusively());
  EXPECT_FALSE(t.view(Shape{2, 2}).owns_storage_exclusively());
  EXPECT_TRUE(Tensor::empty(Shape{4}).owns_storage_exclusively());
}

TEST(TensorWrap, RefusesMisalignedData) {
  auto buffer = std::make_shared<std::vector<double>>(4, 1.0);
  char* misaligned = reinterpret_cast<char*>(buffer->data()) + 1;
  try {
    Tensor::wrap(misaligned, Shape{2}, DType::float64, buffer);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not aligned to 8 bytes"));
  }
}

}  // namespace
}  // namespace gradlab
