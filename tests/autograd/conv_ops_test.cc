// conv2d, conv1d, max_pool2d and avg_pool2d: TensorFlow's padding arithmetic, float64 finite
// differences for every option, the golden cases from tools/golden/make_conv_golden.py (PyTorch,
// float64, 1e-10), float32 against float64, and the errors.
#include "gradlab/autograd/conv_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::check_gradients;
using test::random_tensor;
using ::testing::HasSubstr;

TEST(AxisWindows, SamePutsTheSmallerHalfOfTheHeadBefore) {
  // An even kernel of 4 at stride 1 over 7 positions pads 3: 1 before, 2 after (PyTorch's
  // padding="same" would also pad 1 before and 2 after, but only at stride 1).
  const AxisWindows even = axis_windows("t", 7, 4, 1, 1, Padding::same);
  EXPECT_EQ(even.before, 1);
  EXPECT_EQ(even.after, 2);
  EXPECT_EQ(even.outputs, 7);
  // Stride 2 over 8 positions with a kernel of 3: ceil(8 / 2) = 4 outputs, (4 - 1) * 2 + 3 - 8 = 1 pad,
  // after.
  const AxisWindows strided = axis_windows("t", 8, 3, 2, 1, Padding::same);
  EXPECT_EQ(strided.before, 0);
  EXPECT_EQ(strided.after, 1);
  EXPECT_EQ(strided.outputs, 4);
  // Dilation 3 makes a kernel of 3 span 7 positions: 10 inputs give 4 valid outputs.
  EXPECT_EQ(axis_windows("t", 10, 3, 1, 3, Padding::valid).outputs, 4);
  // Large strides need no padding at all.
  const AxisWindows none = axis_windows("t", 9, 2, 5, 1, Padding::same);
  EXPECT_EQ(none.before + none.after, 0);
  EXPECT_EQ(none.outputs, 2);
}

TEST(AxisWindows, RejectsZeroStridesAndWindowsLargerThanTheInput) {
  EXPECT_THAT([] { axis_windows("conv", 5, 3, 0, 1, Padding::same); },
              ::testing::ThrowsMessage<Error>(HasSubstr("strides must be positive, got 0")));
  EXPECT_THAT([] { axis_windows("conv", 5, 3, 1, 3, Padding::valid); },
              ::testing::ThrowsMessage<Error>(HasSubstr("spans 7 positions")));
  EXPECT_THAT([] { axis_windows("conv", 5, 0, 1, 1, Padding::valid); },
              ::testing::ThrowsMessage<Error>(HasSubstr("window size must be positive")));
  EXPECT_THAT([] { axis_windows("conv", 5, 3, 1, 0, Padding::valid); },
              ::testing::ThrowsMessage<Error>(HasSubstr("dilation_rate must be positive")));
}

TEST(Padding, NamesRoundTripAndUnknownOnesAreListed) {
  for (const std::string& name : padding_names()) EXPECT_EQ(padding_name(padding_from_name(name)), name);
  EXPECT_EQ(padding_from_name("SAME"), Padding::same);
  EXPECT_THAT([] { padding_from_name("causal"); }, ::testing::ThrowsMessage<Error>(HasSubstr("valid, same")));
}

// A direct sum over the formula in conv_ops.h, the reference the im2col path must equal.
std::vector<double> direct_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                                  const Conv2DArgs& a) {
  const AxisWindows rows =
      axis_windows("h", x.dim(1), kernel.dim(0), a.strides[0], a.dilation_rate[0], a.padding);
  const AxisWindows cols =
      axis_windows("w", x.dim(2), kernel.dim(1), a.strides[1], a.dilation_rate[1], a.padding);
  const std::vector<double> xv = x.to_vector(), kv = kernel.to_vector();
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  const int64_t kh = kernel.dim(0), kw = kernel.dim(1), cg = kernel.dim(2), f = kernel.dim(3),
                fg = f / a.groups;
  std::vector<double> out;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < rows.outputs; ++i) {
      for (int64_t j = 0; j < cols.outputs; ++j) {
        for (int64_t o = 0; o < f; ++o) {
          double s = bias.defined() ? bias.to_vector()[o] : 0.0;
          for (int64_t p = 0; p < kh; ++p) {
            for (int64_t q = 0; q < kw; ++q) {
              const int64_t y = i * a.strides[0] + p * a.dilation_rate[0] - rows.before;
              const int64_t z = j * a.strides[1] + q * a.dilation_rate[1] - cols.before;
              if (y < 0 || y >= h || z < 0 || z >= w) continue;
              for (int64_t ci = 0; ci < cg; ++ci) {
                s +=
                    xv[((b * h + y) * w + z) * c + (o / fg) * cg + ci] * kv[((p * kw + q) * cg + ci) * f + o];
              }
            }
          }
          out.push_back(s);
        }
      }
    }
  }
  return out;
}

struct ConvCase {
  std::string name;
  Shape image, kernel;
  Conv2DArgs args;
  bool bias = true;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"valid", {2, 5, 4, 3}, {3, 2, 3, 2}, {}},
      {"same_odd", {2, 4, 5, 2}, {3, 3, 2, 3}, {.padding = Padding::same}},
      {"same_even", {1, 5, 4, 2}, {2, 4, 2, 2}, {.padding = Padding::same}},
      {"strides_valid", {2, 7, 6, 2}, {3, 2, 2, 2}, {.strides = {2, 3}}},
      {"strides_same", {2, 7, 6, 2}, {2, 3, 2, 2}, {.strides = {3, 2}, .padding = Padding::same}},
      {"dilation", {1, 7, 6, 2}, {2, 3, 2, 2}, {.dilation_rate = {3, 2}}},
      {"dilation_same", {1, 6, 5, 2}, {3, 2, 2, 2}, {.padding = Padding::same, .dilation_rate = {2, 2}}},
      {"groups", {2, 4, 4, 4}, {3, 3, 2, 6}, {.padding = Padding::same, .groups = 2}},
      {"depthwise", {1, 5, 4, 3}, {2, 2, 1, 3}, {.strides = {2, 1}, .groups = 3}},
      {"no_bias", {2, 3, 3, 2}, {2, 2, 2, 3}, {}, false},
  };
}

class Conv2DOpCases : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2DOpCases, ForwardMatchesTheDirectSum) {
  const ConvCase& c = GetParam();
  const Tensor x = random_tensor(c.image, 1, -2, 2);
  const Tensor kernel = random_tensor(c.kernel, 2);
  const Tensor bias = c.bias ? random_tensor({c.kernel[3]}, 3) : Tensor();
  const Tensor y = conv2d(x, kernel, bias, c.args);
  EXPECT_TRUE(all_close(y, y.shape(), direct_conv2d(x, kernel, bias, c.args)));
}

TEST_P(Conv2DOpCases, GradientsMatchFiniteDifferences) {
  const ConvCase& c = GetParam();
  const Conv2DArgs args = c.args;
  std::vector<Tensor> inputs = {random_tensor(c.image, 4, -2, 2), random_tensor(c.kernel, 5)};
  if (c.bias) inputs.push_back(random_tensor({c.kernel[3]}, 6));
  EXPECT_TRUE(check_gradients(
      [args](const std::vector<Tensor>& in) {
        return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), args);
      },
      inputs));
}

TEST_P(Conv2DOpCases, Float32AgreesWithFloat64) {
  const ConvCase& c = GetParam();
  const Tensor x = random_tensor(c.image, 7, -2, 2);
  const Tensor kernel = random_tensor(c.kernel, 8);
  const Tensor y64 = conv2d(x, kernel, Tensor(), c.args);
  const Tensor y32 = conv2d(x.to(DType::float32), kernel.to(DType::float32), Tensor(), c.args);
  EXPECT_EQ(y32.dtype(), DType::float32);
  EXPECT_TRUE(all_close(y32, y64.shape(), y64.to_vector(), 1e-5));
}

// The float32 backward (oneDNN's primitives) against the float64 one (im2col): the input, kernel and
// bias gradients of a fixed random projection of the output.
TEST_P(Conv2DOpCases, Float32GradientsAgreeWithFloat64) {
  const ConvCase& c = GetParam();
  const Tensor x = random_tensor(c.image, 9, -2, 2);
  const Tensor kernel = random_tensor(c.kernel, 10);
  const Tensor bias = c.bias ? random_tensor({c.kernel[3]}, 11) : Tensor();
  const auto gradients = [&](DType dtype) {
    std::vector<Tensor> in = {x.to(dtype), kernel.to(dtype)};
    if (c.bias) in.push_back(bias.to(dtype));
    GradientTape tape;
    for (const Tensor& t : in) tape.watch(t);
    const Tensor y = conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.args);
    const Tensor projection = random_tensor(y.shape(), 12).to(dtype);
    return tape.gradient(sum(y * projection), in);
  };
  const std::vector<Tensor> g64 = gradients(DType::float64), g32 = gradients(DType::float32);
  ASSERT_EQ(g32.size(), g64.size());
  for (std::size_t i = 0; i < g32.size(); ++i) {
    EXPECT_EQ(g32[i].dtype(), DType::float32);
    EXPECT_TRUE(all_close(g32[i], g64[i].shape(), g64[i].to_vector(), 1e-5)) << "gradient " << i;
  }
}

// Batches that oneDNN runs in several chunks, the last one shorter (kernels/convolution_onednn.h):
// float32 against float64 for the output and every gradient, with strides, dilation and groups.
TEST(Conv2DChunks, Float32AgreesWithFloat64AcrossChunks) {
  const std::vector<ConvCase> cases = {
      {"same", {5, 20, 20, 16}, {3, 3, 16, 64}, {.padding = Padding::same}},
      {"strided_dilated", {7, 24, 22, 16}, {3, 2, 16, 64}, {.strides = {2, 1}, .dilation_rate = {1, 2}}},
      {"groups", {5, 20, 20, 32}, {3, 3, 8, 64}, {.padding = Padding::same, .groups = 4}},
      {"depthwise", {9, 64, 64, 32}, {3, 3, 1, 32}, {.padding = Padding::same, .groups = 32}},
  };
  for (const ConvCase& c : cases) {
    const Tensor x = random_tensor(c.image, 13, -1, 1);
    const Tensor kernel = random_tensor(c.kernel, 14, -0.3, 0.3);
    const Tensor bias = random_tensor({c.kernel[3]}, 15);
    const auto pass = [&](DType dtype) {
      std::vector<Tensor> in = {x.to(dtype), kernel.to(dtype), bias.to(dtype)};
      GradientTape tape;
      for (const Tensor& t : in) tape.watch(t);
      const Tensor y = conv2d(in[0], in[1], in[2], c.args);
      std::vector<Tensor> out = tape.gradient(sum(y * random_tensor(y.shape(), 16).to(dtype)), in);
      out.insert(out.begin(), y);
      return out;
    };
    const std::vector<Tensor> r64 = pass(DType::float64), r32 = pass(DType::float32);
    for (std::size_t i = 0; i < r32.size(); ++i) {
      // A kernel gradient sums up to 36,864 products here, some of which cancel to values near 0, so
      // the check is norm-wise: float32 rounding (2^-24 per operation, summed in blocks) stays far
      // below 1e-5 of the result's norm, a wrong chunk or layout far above it.
      const std::vector<double> a = r32[i].to_vector(), b = r64[i].to_vector();
      ASSERT_EQ(a.size(), b.size());
      double diff = 0, ref = 0;
      for (std::size_t e = 0; e < a.size(); ++e) {
        diff += (a[e] - b[e]) * (a[e] - b[e]);
        ref += b[e] * b[e];
      }
      EXPECT_LT(std::sqrt(diff), 1e-5 * std::sqrt(ref)) << c.name << ", result " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryOption, Conv2DOpCases, ::testing::ValuesIn(conv_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Conv1D, GradientsMatchFiniteDifferencesForEveryOption) {
  const std::vector<std::pair<Conv1DArgs, Shape>> cases = {
      {{}, {3, 2, 4}},
      {{.strides = 2, .padding = Padding::same}, {4, 2, 3}},
      {{.padding = Padding::same, .dilation_rate = 2, .groups = 2}, {3, 1, 4}},
  };
  for (const auto& [args, kernel_shape] : cases) {
    const auto f = [args](const std::vector<Tensor>& in) { return conv1d(in[0], in[1], in[2], args); };
    EXPECT_TRUE(check_gradients(f, {random_tensor({2, 9, 2}, 9, -2, 2), random_tensor(kernel_shape, 10),
                                    random_tensor({kernel_shape[2]}, 11)}))
        << padding_name(args.padding) << " strides " << args.strides;
  }
}

// Every input is distinct and at least 1e-3 from every other, so no finite-difference step (1e-6)
// changes which element is a window's maximum.
Tensor distinct_values(const Shape& shape, uint64_t seed) {
  const Tensor r = random_tensor(shape, seed);
  std::vector<double> v = r.to_vector();
  std::vector<std::size_t> order(v.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  for (std::size_t rank = 0; rank < order.size(); ++rank)
    v[order[rank]] = -1.0 + 0.01 * static_cast<double>(rank);
  return from_values(shape, v, DType::float64);
}

TEST(Pooling, GradientsMatchFiniteDifferencesForEveryOption) {
  const std::vector<Pool2DArgs> cases = {
      {},
      {.pool_size = {3, 2}, .strides = {1, 2}},
      {.pool_size = {2, 3}, .strides = {2, 2}, .padding = Padding::same},
      {.pool_size = {4, 2}, .strides = {3, 1}, .padding = Padding::same},
  };
  for (const Pool2DArgs& args : cases) {
    const Tensor x = distinct_values({2, 5, 6, 2}, 12);
    EXPECT_TRUE(
        check_gradients([args](const std::vector<Tensor>& in) { return max_pool2d(in[0], args); }, {x}))
        << "max_pool2d " << padding_name(args.padding);
    EXPECT_TRUE(
        check_gradients([args](const std::vector<Tensor>& in) { return avg_pool2d(in[0], args); }, {x}))
        << "avg_pool2d " << padding_name(args.padding);
  }
}

// Ties go to the first maximum in row-major window order and a NaN wins once seen (PyTorch's rules),
// in both dtypes: the gradient shows which element each output took.
TEST(Pooling, MaxTakesTheFirstMaximumAndPropagatesNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // One 2 x 2 window per channel: channel 0 ties at 3 (positions 1 and 2), channel 1 has a NaN at
  // position 2 after a larger number, channel 2 a NaN first.
  const std::vector<double> values = {1, 5, nan, 3, 9, 2, 3, nan, 4, 0, 1, 2};
  for (DType dtype : {DType::float64, DType::float32}) {
    const Tensor x = from_values({1, 2, 2, 3}, values, dtype);
    GradientTape tape;
    tape.watch(x);
    const Tensor y = max_pool2d(x);
    const std::vector<double> out = y.to_vector();
    EXPECT_EQ(out[0], 3);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_TRUE(std::isnan(out[2]));
    const std::vector<double> g = tape.gradient(sum(y), x).to_vector();
    EXPECT_EQ(g, (std::vector<double>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0})) << dtype_name(dtype);
  }
}

TEST(Pooling, SamePaddingIsSkippedNotCounted) {
  // 1 x 3 input, pool 1 x 2 at stride 2 "same": outputs ceil(3 / 2) = 2, padding 1 after. The last
  // window holds only the input's last element, so its average and maximum are that element.
  const Tensor x = from_values({1, 1, 3, 1}, {-1, -3, -5}, DType::float64);
  const Pool2DArgs args{.pool_size = {1, 2}, .strides = {1, 2}, .padding = Padding::same};
  EXPECT_TRUE(all_close(avg_pool2d(x, args), {1, 1, 2, 1}, {-2, -5}));
  EXPECT_TRUE(all_close(max_pool2d(x, args), {1, 1, 2, 1}, {-1, -5}));
}

std::array<int64_t, 2> pair_of(const std::string& text) {
  std::array<int64_t, 2> out{1, 1};
  std::stringstream in(text);
  std::string part;
  for (std::size_t i = 0; i < 2 && std::getline(in, part, ','); ++i) out[i] = std::stoll(part);
  return out;
}

// Relative to the tensor's largest element, as the model golden tests compare.
::testing::AssertionResult close(const Tensor& actual, const Tensor& expected, const std::string& name) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << name << ": shape " << actual.shape().to_string() << " vs " << expected.shape().to_string();
  }
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  double scale = 0;
  for (double v : e) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!(std::abs(a[i] - e[i]) <= 1e-10 * (std::abs(e[i]) + scale))) {
      return ::testing::AssertionFailure()
             << name << ": element " << i << " is " << a[i] << ", PyTorch gives " << e[i];
    }
  }
  return ::testing::AssertionSuccess();
}

class ConvGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvGolden, MatchesPyTorch) {
  const std::filesystem::path path =
      std::filesystem::path(GRADLAB_SOURCE_DIR) / "tests" / "golden_conv" / (GetParam() + ".safetensors");
  const TensorFile file = read_safetensors(path.string());
  const std::string op = file.metadata.at("op");
  const Padding padding = padding_from_name(file.metadata.at("padding"));
  const Tensor x = file.get("input");
  ASSERT_EQ(x.dtype(), DType::float64);
  std::vector<Tensor> sources = {x};
  for (const char* name : {"kernel", "bias"}) {
    if (file.contains(name)) sources.push_back(file.get(name));
  }
  GradientTape tape;
  for (const Tensor& s : sources) tape.watch(s);
  Tensor y;
  if (op == "conv2d" || op == "conv1d") {
    const std::array<int64_t, 2> strides = pair_of(file.metadata.at("strides"));
    const std::array<int64_t, 2> dilation = pair_of(file.metadata.at("dilation_rate"));
    const int64_t groups = std::stoll(file.metadata.at("groups"));
    const Tensor bias = file.contains("bias") ? file.get("bias") : Tensor();
    y = op == "conv2d"
            ? conv2d(x, file.get("kernel"), bias,
                     {.strides = strides, .padding = padding, .dilation_rate = dilation, .groups = groups})
            : conv1d(x, file.get("kernel"), bias,
                     {.strides = strides[0],
                      .padding = padding,
                      .dilation_rate = dilation[0],
                      .groups = groups});
  } else {
    const Pool2DArgs args{.pool_size = pair_of(file.metadata.at("pool_size")),
                          .strides = pair_of(file.metadata.at("strides")),
                          .padding = padding};
    y = op == "max_pool2d" ? max_pool2d(x, args) : avg_pool2d(x, args);
  }
  EXPECT_TRUE(close(y, file.get("output"), "output"));
  const std::vector<Tensor> grads = tape.gradient(sum(y * file.get("projection")), sources);
  const char* names[] = {"grad/input", "grad/kernel", "grad/bias"};
  for (std::size_t i = 0; i < grads.size(); ++i) EXPECT_TRUE(close(grads[i], file.get(names[i]), names[i]));
}

std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(GRADLAB_SOURCE_DIR) /
                                                               "tests" / "golden_conv")) {
    names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(PyTorch, ConvGolden, ::testing::ValuesIn(golden_cases()),
                         [](const auto& info) { return info.param; });

TEST(ConvGoldenCases, CoverEveryOpAndOption) {
  // The generator's list, so a lost file is a failure rather than one test fewer.
  EXPECT_EQ(golden_cases().size(), 20u);
}

TEST(Conv2DErrors, NameTheProblem) {
  const Tensor x = random_tensor({2, 5, 5, 6}, 13);
  const auto message = [](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message([&] {
                conv2d(x, random_tensor({3, 3, 2, 4}, 14), Tensor(), {.groups = 4});
              }),
              HasSubstr("6 input channels and 4 filters must both be divisible by groups = 4"));
  EXPECT_THAT(message([&] {
                conv2d(x, random_tensor({3, 3, 4, 4}, 14), Tensor(), {});
              }),
              HasSubstr("input has 6 channels but the kernel [3, 3, 4, 4] expects 4"));
  EXPECT_THAT(message([&] {
                conv2d(random_tensor({5, 5, 6}, 15), random_tensor({3, 3, 6, 4}, 14), Tensor(), {});
              }),
              HasSubstr("expected an image batch of rank 4"));
  EXPECT_THAT(message([&] {
                conv2d(x, random_tensor({6, 3, 6, 4}, 14), Tensor(), {});
              }),
              HasSubstr("conv2d (height): the window spans 6 positions"));
  EXPECT_THAT(message([&] {
                conv2d(x, random_tensor({3, 3, 6, 4}, 14), Tensor(), {.strides = {1, 0}});
              }),
              HasSubstr("conv2d (width): strides must be positive, got 0"));
  EXPECT_THAT(message([&] {
                conv2d(x, random_tensor({3, 3, 6, 4}, 14), random_tensor({3}, 16), {});
              }),
              HasSubstr("bias is [3] but the kernel has 4 filters"));
  EXPECT_THAT(message([&] {
                conv1d(x, random_tensor({3, 6, 4}, 14), Tensor(), {});
              }),
              HasSubstr("conv1d: expected a sequence batch of rank 3"));
  EXPECT_THAT(message([&] {
                conv1d(random_tensor({2, 2, 6}, 13), random_tensor({3, 6, 4}, 14), Tensor(), {});
              }),
              HasSubstr("conv1d (steps): the window spans 3 positions"));
  EXPECT_THAT(message([&] { max_pool2d(x, {.pool_size = {2, 7}}); }), HasSubstr("max_pool2d (width)"));
}

}  // namespace
}  // namespace gradlab
