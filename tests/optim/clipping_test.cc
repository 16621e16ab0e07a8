// The clipping functions on known vectors, and their handling of non-finite values.
#include "gradlab/optim/clipping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

Tensor vec(const std::vector<double>& values, DType dtype = DType::float64) {
  return from_values(Shape{static_cast<int64_t>(values.size())}, values, dtype);
}

TEST(Clipping, GlobalNormSkipsUndefinedTensors) {
  EXPECT_DOUBLE_EQ(global_norm({vec({3.0, 4.0}), Tensor(), vec({12.0}, DType::float32)}), 13.0);
  EXPECT_EQ(global_norm({}), 0.0);
}

TEST(Clipping, ClipByNorm) {
  EXPECT_TRUE(test::all_close(clip_by_norm(vec({3.0, 4.0}), 1.0), Shape{2}, {0.6, 0.8}));
  EXPECT_TRUE(test::all_close(clip_by_norm(vec({3.0, 4.0}), 10.0), Shape{2}, {3.0, 4.0}));
  EXPECT_TRUE(test::all_close(clip_by_norm(vec({0.0, 0.0}), 1.0), Shape{2}, {0.0, 0.0}));
  EXPECT_THROW(clip_by_norm(vec({1.0}), 0.0), Error);
}

TEST(Clipping, ClipByGlobalNorm) {
  double norm = 0;
  const std::vector<Tensor> out = clip_by_global_norm({vec({3.0, 4.0}), Tensor(), vec({12.0})}, 6.5, &norm);
  EXPECT_DOUBLE_EQ(norm, 13.0);
  EXPECT_TRUE(test::all_close(out[0], Shape{2}, {1.5, 2.0}));
  EXPECT_FALSE(out[1].defined());
  EXPECT_TRUE(test::all_close(out[2], Shape{1}, {6.0}));
  const std::vector<Tensor> same = clip_by_global_norm({vec({3.0, 4.0})}, 5.0);
  EXPECT_TRUE(test::all_close(same[0], Shape{2}, {3.0, 4.0}));
}

TEST(Clipping, ClipByValue) {
  EXPECT_TRUE(test::all_close(clip_by_value(vec({3.0, -4.0, 0.5}), 1.0), Shape{3}, {1.0, -1.0, 0.5}));
  EXPECT_TRUE(std::isnan(clip_by_value(vec({std::nan("")}), 1.0).item()));
}

TEST(Clipping, NonFiniteGradients) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(all_finite({vec({1.0, 2.0}), Tensor()}));
  EXPECT_FALSE(all_finite({vec({1.0}), vec({inf})}));
  EXPECT_FALSE(all_finite({vec({std::nan("")}, DType::float32)}));
  EXPECT_TRUE(std::isinf(global_norm({vec({inf, 1.0})})));
  EXPECT_TRUE(std::isnan(global_norm({vec({std::nan(""), 1.0})})));
  // As tf.clip_by_global_norm: a non-finite norm makes every output NaN, even finite ones.
  const std::vector<Tensor> out = clip_by_global_norm({vec({inf}), vec({1.0})}, 1.0);
  EXPECT_TRUE(std::isnan(out[0].item()));
  EXPECT_TRUE(std::isnan(out[1].item()));
  // As Keras's clipnorm: an infinite norm zeroes the finite elements.
  const Tensor clipped = clip_by_norm(vec({inf, 1.0}), 1.0);
  EXPECT_TRUE(std::isnan(clipped.at({0})));
  EXPECT_EQ(clipped.at({1}), 0.0);
}

}  // namespace
}  // namespace gradlab
