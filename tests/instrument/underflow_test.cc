#include "gradlab/instrument/underflow.h"

#include <gtest/gtest.h>

#include "gradlab/lab/skip_network.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// A deep sigmoid stack whose gradient shrinks by ~4x per layer: below 2^-126 well before layer 1.
const SkipNetworkOptions kDeepSigmoid{.depth = 90, .units = 32, .activation = "sigmoid", .batch = 16, .input_features = 32};

PassRecord probe(const SkipNetwork& net, const Tensor& x) {
  return probe_pass([&](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{net(xs[0], o)}; },
                    {x});
}

struct Twins {
  PassRecord f32, f64;
};

// The same network and input in float32 and float64: the float64 twin takes the float32 weights.
Twins probe_twins(SkipNetworkOptions options) {
  Rng rng(8);
  SkipNetwork net32(options, rng);
  const Tensor x32 = uniform({options.batch, options.input_features}, rng);
  options.dtype = DType::float64;
  SkipNetwork net64(options, rng);
  const Tensor x64 = x32.to(DType::float64);
  net32(x32);
  net64(x64);
  std::vector<Variable> v32 = net32.trainable_variables(), v64 = net64.trainable_variables();
  for (std::size_t i = 0; i < v32.size(); ++i) v64[i].assign(v32[i].value().to(DType::float64));
  return {probe(net32, x32), probe(net64, x64)};
}

TEST(Float32Underflow, DeepSigmoidUnderflowsInFloat32AndFloat64MeasuresIt) {
  const Twins t = probe_twins(kDeepSigmoid);
  EXPECT_TRUE(suspect_float32_underflow(t.f32));

  const Float32Underflow u = float32_underflow(t.f32, &t.f64);
  ASSERT_TRUE(u.underflowed);
  EXPECT_FALSE(u.measured_in_float64);
  EXPECT_EQ(u.layers.front(), "layer1");
  EXPECT_GT(u.elements, 0);
  EXPECT_GT(u.float64_min_norm, 0.0);
  EXPECT_LT(u.float64_min_norm, kFloat32MinNormal * 1e3);
  EXPECT_NE(u.message.find("float32 underflowed"), std::string::npos) << u.message;
  EXPECT_NE(u.message.find("where float64 gives non-zero values"), std::string::npos) << u.message;

  const Float32Underflow w = float32_underflow(t.f64);
  ASSERT_TRUE(w.underflowed);
  EXPECT_TRUE(w.measured_in_float64);
  EXPECT_NE(w.message.find("float32 would underflow"), std::string::npos) << w.message;
  EXPECT_EQ(w.layers.front(), "layer1");
}

TEST(Float32Underflow, ShallowNetworkDoesNotUnderflow) {
  SkipNetworkOptions options = kDeepSigmoid;
  options.depth = 8;
  const Twins t = probe_twins(options);
  EXPECT_FALSE(suspect_float32_underflow(t.f32));
  EXPECT_FALSE(float32_underflow(t.f32, &t.f64).underflowed);
  EXPECT_FALSE(float32_underflow(t.f64).underflowed);
  EXPECT_TRUE(float32_underflow(t.f32).message.empty());
}

TEST(Float32Underflow, DeadReluZerosAreNotUnderflow) {
  // Exact zeros that float64 has too (inactive ReLUs) are not counted.
  const Twins t = probe_twins({.depth = 6, .units = 32, .activation = "relu", .batch = 16, .input_features = 32});
  EXPECT_FALSE(float32_underflow(t.f32, &t.f64).underflowed);
}

TEST(Float32Underflow, ReferenceOfAnotherNetworkIsRefused) {
  SkipNetworkOptions options = kDeepSigmoid;
  options.depth = 3;
  const Twins a = probe_twins(options);
  options.depth = 4;
  const Twins b = probe_twins(options);
  EXPECT_THROW(float32_underflow(a.f32, &b.f64), Error);
  EXPECT_THROW(float32_underflow(a.f32, &a.f32), Error);
}

}  // namespace
}  // namespace gradlab
