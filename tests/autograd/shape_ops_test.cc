#include "gradlab/autograd/shape_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::all_close;
using test::check_gradients;
using test::random_tensor;
using test::iota;
using ::testing::HasSubstr;

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ShapeOps, BroadcastShape) {
  EXPECT_EQ(broadcast_shape({4, 1, 3}, {5, 1}), Shape({4, 5, 3}));
  EXPECT_EQ(broadcast_shape({}, {2, 3}), Shape({2, 3}));
  EXPECT_EQ(broadcast_shape({2, 1}, {1, 3}), Shape({2, 3}));
  EXPECT_EQ(broadcast_shape({0, 3}, {1, 3}), Shape({0, 3}));
  EXPECT_THAT(error_of([] { broadcast_shape({3, 4}, {5}, "add"); }),
              HasSubstr("add: shapes [3, 4] and [5] do not broadcast"));
  EXPECT_THAT(error_of([] { broadcast_shape({2, 3}, {3, 3}); }), HasSubstr("[2, 3] and [3, 3]"));
}

TEST(ShapeOps, ReshapeInfersOneDimension) {
  const Tensor x = iota({2, 3, 4});
  const Tensor y = reshape(x, {4, -1});
  EXPECT_EQ(y.shape(), Shape({4, 6}));
  EXPECT_EQ(y.to_vector(), x.to_vector());
  EXPECT_EQ(reshape(x, {-1}).shape(), Shape({24}));
  EXPECT_EQ(reshape(iota({1}), {}).shape(), Shape({}));
}

TEST(ShapeOps, ReshapeErrors) {
  const Tensor x = iota({2, 3});
  EXPECT_THAT(error_of([&] { reshape(x, {4, 2}); }), HasSubstr("reshape: cannot reshape [2, 3] (6 elements) to [4, 2]"));
  EXPECT_THAT(error_of([&] { reshape(x, {-1, -1}); }), HasSubstr("only one dimension may be -1"));
  EXPECT_THAT(error_of([&] { reshape(x, {4, -1}); }), HasSubstr("cannot reshape [2, 3] (6 elements) to [4, -1]"));
  EXPECT_THAT(error_of([&] { reshape(x, {-2, 3}); }), HasSubstr("invalid dimension -2"));
}

TEST(ShapeOps, TransposeValues) {
  const Tensor x = iota({2, 3}, DType::float32);
  EXPECT_TRUE(all_close(transpose(x), {3, 2}, {0, 3, 1, 4, 2, 5}));
  const Tensor y = iota({2, 3, 4});
  const Tensor t = transpose(y, {1, 2, 0});
  ASSERT_EQ(t.shape(), Shape({3, 4, 2}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(t.at({j, k, i}), y.at({i, j, k}));
    }
  }
  EXPECT_TRUE(all_close(transpose(y, {0, 1, 2}), {2, 3, 4}, y.to_vector()));
}

TEST(ShapeOps, TransposeErrors) {
  const Tensor x = iota({2, 3, 4});
  EXPECT_THAT(error_of([&] { transpose(x, {0, 1}); }), HasSubstr("transpose: permutation [0, 1] has 2 entries"));
  EXPECT_THAT(error_of([&] { transpose(x, {0, 1, 1}); }), HasSubstr("is not a permutation"));
  EXPECT_THAT(error_of([&] { transpose(x, {0, 1, 3}); }), HasSubstr("is not a permutation"));
}

TEST(ShapeOps, ConcatValues) {
  const Tensor a = from_values({2, 2}, {1, 2, 3, 4}, DType::float64);
  const Tensor b = from_values({2, 1}, {5, 6}, DType::float64);
  EXPECT_TRUE(all_close(concat({a, b}, -1), {2, 3}, {1, 2, 5, 3, 4, 6}));
  EXPECT_TRUE(all_close(concat({b, a}, 1), {2, 3}, {5, 1, 2, 6, 3, 4}));
  const Tensor c = from_values({1, 2}, {7, 8}, DType::float64);
  EXPECT_TRUE(all_close(concat({a, c}, 0), {3, 2}, {1, 2, 3, 4, 7, 8}));
  EXPECT_TRUE(all_close(concat({a}, 0), {2, 2}, {1, 2, 3, 4}));
}

TEST(ShapeOps, ConcatErrors) {
  EXPECT_THAT(error_of([] { concat({}, 0); }), HasSubstr("concat: needs at least one tensor"));
  EXPECT_THAT(error_of([] { concat({zeros({2, 2}), zeros({3, 1})}, -1); }),
              HasSubstr("concat: input 1 has shape [3, 1] but input 0 has shape [2, 2]"));
  EXPECT_THAT(error_of([] { concat({zeros({2, 2}), zeros({2, 2}, DType::float64)}, -1); }),
              HasSubstr("concat: input 1 is float64[2, 2] but input 0 is float32[2, 2]"));
  EXPECT_THAT(error_of([] { concat({zeros({2, 2})}, 2); }), HasSubstr("concat: axis 2 is out of range"));
}

TEST(ShapeOps, SliceValues) {
  const Tensor x = iota({3, 4});
  EXPECT_TRUE(all_close(slice(x, {1, 1}, {2, 2}), {2, 2}, {5, 6, 9, 10}));
  EXPECT_TRUE(all_close(slice(x, {0, 2}, {-1, -1}), {3, 2}, {2, 3, 6, 7, 10, 11}));
  EXPECT_EQ(slice(x, {3, 0}, {0, 4}).shape(), Shape({0, 4}));
}

TEST(ShapeOps, SliceErrors) {
  const Tensor x = iota({3, 4});
  EXPECT_THAT(error_of([&] { slice(x, {0, 3}, {1, 2}); }),
              HasSubstr("slice: begin [0, 3] with size [1, 2] is out of range for shape [3, 4] (axis 1)"));
  EXPECT_THAT(error_of([&] { slice(x, {0}, {1}); }), HasSubstr("must each have one entry per axis"));
  EXPECT_THAT(error_of([&] { slice(x, {-1, 0}, {1, 1}); }), HasSubstr("out of range"));
}

TEST(ShapeOps, BroadcastToAndSumTo) {
  const Tensor b = from_values({3}, {1, 2, 3}, DType::float64);
  const Tensor wide = broadcast_to(b, {2, 3});
  EXPECT_TRUE(all_close(wide, {2, 3}, {1, 2, 3, 1, 2, 3}));
  EXPECT_TRUE(all_close(broadcast_to(from_values({2, 1}, {4, 5}, DType::float64), {2, 3}), {2, 3}, {4, 4, 4, 5, 5, 5}));
  const Tensor x = iota({2, 3});
  EXPECT_TRUE(all_close(sum_to(x, {3}), {3}, {3, 5, 7}));
  EXPECT_TRUE(all_close(sum_to(x, {1, 3}), {1, 3}, {3, 5, 7}));
  EXPECT_TRUE(all_close(sum_to(x, {2, 1}), {2, 1}, {3, 12}));
  EXPECT_TRUE(all_close(sum_to(x, {}), {}, {15}));
  EXPECT_TRUE(all_close(sum_to(x, {2, 3}), {2, 3}, x.to_vector()));
  const Tensor y = iota({2, 3, 4});
  EXPECT_TRUE(all_close(sum_to(y, {3, 1}), {3, 1}, {0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
                                                     8 + 9 + 10 + 11 + 20 + 21 + 22 + 23}));
  EXPECT_TRUE(all_close(sum_to(y, {2, 1, 4}), {2, 1, 4}, {12, 15, 18, 21, 48, 51, 54, 57}));
}

TEST(ShapeOps, BroadcastToAndSumToErrors) {
  EXPECT_THAT(error_of([] { broadcast_to(zeros({3}), {2, 4}); }), HasSubstr("broadcast_to: cannot broadcast [3] to [2, 4]"));
  EXPECT_THAT(error_of([] { broadcast_to(zeros({2, 3}), {3}); }), HasSubstr("cannot broadcast [2, 3] to [3]"));
  EXPECT_THAT(error_of([] { sum_to(zeros({2, 3}), {2}); }), HasSubstr("sum_to: cannot sum [2, 3] down to [2]"));
  EXPECT_THAT(error_of([] { sum_to(zeros({3}), {2, 3}); }), HasSubstr("sum_to: cannot sum [3] down to [2, 3]"));
}

TEST(ShapeOpsGradients, Reshape) {
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) { return reshape(in[0], {3, -1}) * reshape(in[1], {3, 4}); },
      {random_tensor({2, 6}, 1), random_tensor({12}, 2)}));
}

TEST(ShapeOpsGradients, Transpose) {
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return transpose(in[0]); }, {random_tensor({3, 4}, 3)}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return transpose(in[0], {2, 0, 1}) * in[1]; },
                              {random_tensor({2, 3, 4}, 4), random_tensor({4, 1, 3}, 5)}));
}

TEST(ShapeOpsGradients, ConcatAlongEveryAxisWithFanOut) {
  for (int64_t axis : {0, 1, 2, -1}) {
    Shape sa{2, 3, 4}, sb{2, 3, 4};
    std::vector<int64_t> db = sb.to_vector();
    db[axis < 0 ? 2 : axis] = 1;
    EXPECT_TRUE(check_gradients(
        [axis](const std::vector<Tensor>& in) { return concat({in[0], in[1], in[0]}, axis); },
        {random_tensor(sa, 6 + axis), random_tensor(Shape(db), 16 + axis)}))
        << "axis " << axis;
  }
}

TEST(ShapeOpsGradients, LessonConcatSkipConnection) {
  // layer2(concat([layer1_out, inputs], -1)) from the lesson, with tanh as the nonlinearity.
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) {
        const Tensor h1 = tanh(matmul(in[0], in[1]));
        return tanh(matmul(concat({h1, in[0]}, -1), in[2]));
      },
      {random_tensor({4, 5}, 30), random_tensor({5, 3}, 31), random_tensor({8, 2}, 32)}));
}

TEST(ShapeOpsGradients, Slice) {
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return slice(in[0], {1, 0, 2}, {2, -1, 2}); },
                              {random_tensor({3, 2, 5}, 40)}));
  // Overlapping slices of one tensor accumulate.
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) { return slice(in[0], {0, 0}, {2, 3}) * slice(in[0], {1, 1}, {2, 3}); },
      {random_tensor({3, 4}, 41)}));
}

TEST(ShapeOpsGradients, BroadcastToAndSumTo) {
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return broadcast_to(in[0], {4, 2, 3}); },
                              {random_tensor({2, 1}, 50)}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return broadcast_to(in[0], {2, 3}); },
                              {random_tensor({}, 51)}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return sum_to(in[0], {3, 1}); },
                              {random_tensor({2, 3, 4}, 52)}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return sum_to(in[0], {}); },
                              {random_tensor({2, 3}, 53)}));
}

}  // namespace
}  // namespace gradlab
