#include "gradlab/instrument/anomaly.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "gradlab/autograd/ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

TEST(FindNonFinite, CountsAndLocatesTheFirst) {
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dtype : {DType::float32, DType::float64}) {
    const NonFinite r = find_non_finite(from_values({6}, {1, 2, -inf, 4, NAN, 1e30}, dtype));
    EXPECT_EQ(r.count, 2) << dtype_name(dtype);
    EXPECT_EQ(r.first_index, 2);
    EXPECT_EQ(r.first_value, -inf);
  }
  // The largest finite values are not anomalies.
  EXPECT_EQ(find_non_finite(full({9}, std::numeric_limits<float>::max())).count, 0);
  EXPECT_EQ(find_non_finite(Tensor()).count, 0);
}

TEST(AnomalyDetector, NamesTheLayerAndOpOfTheFirstNaNInForward) {
  AnomalyDetector detector;
  detector.set_step(3);
  const Tensor x = from_values({2}, {-1, 2}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const std::string first = "first_log", second = "second_log";
  Tensor y, z;
  {
    LayerScope scope(first);
    y = log(x);  // log(-1) is NaN
  }
  {
    LayerScope scope(second);
    z = log(y - 10.0);  // every element is NaN here too; only the first anomaly is kept
  }
  ASSERT_TRUE(detector.first().has_value());
  const Anomaly& a = *detector.first();
  EXPECT_EQ(a.phase, PassPhase::forward);
  EXPECT_EQ(a.step, 3);
  EXPECT_EQ(a.layer, "first_log");
  EXPECT_EQ(a.op, "log");
  EXPECT_EQ(a.nonfinite_count, 1);
  EXPECT_EQ(a.first_index, 0);
  EXPECT_TRUE(std::isnan(a.first_value));
  EXPECT_EQ(a.tensor, "float64[2]");
  EXPECT_NE(a.describe().find("step 3, forward: layer 'first_log', op 'log'"), std::string::npos) << a.describe();
}

TEST(AnomalyDetector, NamesTheLayerWhereAHugeInitOverflows) {
  // d2 scales by 16e20, d3 by 16e20 again: 2.6e42 overflows float32 in d3, not before.
  Dense d1(16, {.name = "d1"});
  Dense d2(16, {.kernel_initializer = constant(1e20), .name = "d2"});
  Dense d3(16, {.kernel_initializer = constant(1e20), .name = "d3"});
  Dense d4(16, {.name = "d4"});
  const Tensor x = full({4, 8}, 0.5);
  AnomalyDetector detector;
  GradientTape tape;
  tape.watch(x);
  const Tensor out = d4(d3(d2(d1(x))));
  ASSERT_TRUE(detector.first().has_value());
  EXPECT_EQ(detector.first()->phase, PassPhase::forward);
  EXPECT_EQ(detector.first()->layer, "d3");
  // The kernel's product overflows: "matmul", or "dense" where the layer runs as one fused op.
  const std::string& op = detector.first()->op;
  EXPECT_TRUE(op == "matmul" || op == "dense") << op;
}

TEST(AnomalyDetector, FindsTheFirstNonFiniteGradientInBackward) {
  AnomalyDetector detector;
  detector.set_step(7);
  const Tensor x = from_values({2}, {0, 4}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const std::string name = "root";
  Tensor y;
  {
    LayerScope scope(name);
    y = sqrt(x);  // finite forward; d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at 0
  }
  const Tensor loss = sum(y) * 2.0;
  EXPECT_FALSE(detector.first().has_value());
  tape.gradient(loss, x);
  ASSERT_TRUE(detector.first().has_value());
  const Anomaly& a = *detector.first();
  EXPECT_EQ(a.phase, PassPhase::backward);
  EXPECT_EQ(a.step, 7);
  EXPECT_EQ(a.layer, "root");
  EXPECT_EQ(a.op, "sqrt");
  EXPECT_EQ(a.input_index, 0);
  EXPECT_EQ(a.first_index, 0);
  EXPECT_EQ(a.first_value, std::numeric_limits<double>::infinity());
}

TEST(AnomalyDetector, RaisesWhenAsked) {
  AnomalyDetector detector({.raise_error = true});
  const Tensor x = from_values({1}, {-1}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  try {
    log(x);
    FAIL() << "expected an AnomalyError";
  } catch (const AnomalyError& e) {
    EXPECT_EQ(e.anomaly().op, "log");
    EXPECT_NE(std::string(e.what()).find("op 'log'"), std::string::npos) << e.what();
  }
}

TEST(AnomalyDetector, ChecksOnlyWhileInstalledAndClearForgets) {
  const Tensor x = from_values({1}, {-1}, DType::float64);
  { AnomalyDetector gone; }
  AnomalyDetector detector({.backward = false});
  {
    GradientTape tape;
    tape.watch(x);
    log(x);
  }
  ASSERT_TRUE(detector.first().has_value());
  detector.clear();
  EXPECT_FALSE(detector.first().has_value());
  // Ops outside any tape are not checked.
  log(x);
  EXPECT_FALSE(detector.first().has_value());
}

TEST(AnomalyDetector, FiniteGradientsOfAHealthyModelRaiseNothing) {
  AnomalyDetector detector({.raise_error = true});
  SymbolicTensor in = Input({8});
  Model model(in, Dense(4, {.activation = "tanh"})(Dense(8, {.activation = "relu"})(in)));
  const Tensor x = full({3, 8}, 0.25);
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = mean(model(x));
  EXPECT_NO_THROW(tape.gradient(loss, model.trainable_variables()));
  EXPECT_FALSE(detector.first().has_value());
}

}  // namespace
}  // namespace gradlab
