// The theory's scalar activations are gradlab's: the same values as the tensor ops, and derivatives
// that are the derivatives.
#include "gradlab/theory/scalar_activation.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"

namespace gradlab::theory {
namespace {

TEST(ScalarActivation, CoversEveryElementwiseActivation) {
  std::vector<std::string> expected;
  for (const std::string& name : activation_names()) {
    if (name != "softmax" && name != "log_softmax") expected.push_back(name);
  }
  std::vector<std::string> got = scalar_activation_names();
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

TEST(ScalarActivation, ValuesAreTheTensorOpsAndDerivativesTheirSlopes) {
  const std::vector<double> xs = {-4.2, -3.1, -1.0, -0.3, 0.2, 0.9, 2.5, 3.3, 6.0};
  for (const std::string& name : scalar_activation_names()) {
    SCOPED_TRACE(name);
    const ScalarActivation& a = scalar_activation(name);
    const Tensor y = get_activation(name)(from_values({static_cast<int64_t>(xs.size())}, xs, DType::float64));
    for (std::size_t i = 0; i < xs.size(); ++i) {
      EXPECT_DOUBLE_EQ(a.value(xs[i]), y.data<double>()[i]);
      const double h = 1e-6;
      EXPECT_NEAR(a.derivative(xs[i]), (a.value(xs[i] + h) - a.value(xs[i] - h)) / (2 * h), 1e-7);
    }
    for (double k : a.kinks) EXPECT_TRUE(std::isfinite(a.derivative(k)));
  }
}

TEST(ScalarActivation, RefusesUnknownAndNonElementwiseNames) {
  EXPECT_THROW(scalar_activation("relu7"), Error);
  try {
    scalar_activation("softmax");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not elementwise"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gradlab::theory
