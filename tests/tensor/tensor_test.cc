#include "gradlab/tensor/tensor.h"

#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

using ::testing::HasSubstr;

TEST(Shape, HoldsUpToMaxRankDimensionsInline) {
  const Shape s{2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(s.rank(), Shape::kMaxRank);
  EXPECT_EQ(s[-1], 9);
  EXPECT_EQ(s.to_vector(), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(Shape(s.to_vector()), s);
  EXPECT_NE(Shape({2, 3}), Shape({2, 3, 1}));
  try {
    [[maybe_unused]] const Shape too_deep(std::vector<int64_t>(9, 1));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("rank 9 is not supported"));
  }
}

TEST(Tensor, ExclusiveOwnershipSeesCopiesAndViews) {
  Tensor t = zeros({4, 4});
  EXPECT_TRUE(t.owns_storage_exclusively());
  {
    const Tensor copy = t;
    EXPECT_FALSE(t.owns_storage_exclusively());
  }
  EXPECT_TRUE(t.owns_storage_exclusively());
  Tensor v = t.view({16});
  EXPECT_FALSE(t.owns_storage_exclusively());
  EXPECT_FALSE(v.owns_storage_exclusively());
  t = Tensor();
  EXPECT_TRUE(v.owns_storage_exclusively());  // the view is now the only way to the bytes
}

TEST(Tensor, RecycledBuffersKeepTensorsApart) {
  // Buffers return to a per-thread cache; a new tensor must never get one that is still in use.
  std::vector<Tensor> live;
  for (int i = 0; i < 100; ++i) {
    live.push_back(full({32, 32}, static_cast<double>(i)));
    if (i % 3 == 0) live.erase(live.begin());
  }
  for (const Tensor& t : live) {
    const double first = t.at({0, 0});
    EXPECT_EQ(t.at({31, 31}), first);
  }
}

TEST(Tensor, TensorsMayBeFreedOnAnotherThread) {
  std::vector<Tensor> made;
  std::thread maker([&] {
    for (int i = 0; i < 64; ++i) made.push_back(full({16, 16}, 1.0));
  });
  maker.join();
  std::thread freer([&] { made.clear(); });
  freer.join();
  // And used on a thread after its maker exited.
  const Tensor t = full({8}, 2.0);
  std::thread reader([&] { EXPECT_EQ(t.at({7}), 2.0); });
  reader.join();
}

}  // namespace
}  // namespace gradlab
