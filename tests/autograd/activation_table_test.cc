// Every row of the table of activations (src/autograd/activation_table.h) reaches each place that
// uses it: the name registry, the fused Dense op, the unfused op, and the saturation statistic.
#include "autograd/activation_table.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/dense_op.h"
#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::random_tensor;

struct Row {
  std::string name;
  bool elementwise;
  Saturation saturation;
};

// The table's rows, aliases with their row's saturation.
std::vector<Row> table_rows() {
  std::vector<Row> rows = {
#define GRADLAB_ROW(name, slope_from, forward, slope, saturation, ...) {#name, true, Saturation::saturation},
      GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_ROW)
#undef GRADLAB_ROW
  };
  const auto saturation_of = [&rows](const std::string& name) {
    return std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.name == name; })->saturation;
  };
#define GRADLAB_ALIAS_ROW(alias, name) rows.push_back({#alias, true, saturation_of(#name)});
  GRADLAB_ACTIVATION_ALIASES(GRADLAB_ALIAS_ROW)
#undef GRADLAB_ALIAS_ROW
#define GRADLAB_AXIS_ROW(name) rows.push_back({#name, false, Saturation::none});
  GRADLAB_AXIS_ACTIVATIONS(GRADLAB_AXIS_ROW)
#undef GRADLAB_AXIS_ROW
  return rows;
}

TEST(ActivationTable, EveryRowIsNamedInTableOrder) {
  std::vector<std::string> names;
  for (const Row& row : table_rows()) {
    names.push_back(row.name);
    const ActivationFacts* facts = find_activation_facts(row.name);
    ASSERT_NE(facts, nullptr) << row.name;
    EXPECT_EQ(facts->name, row.name);
    EXPECT_EQ(facts->elementwise, row.elementwise) << row.name;
    EXPECT_NO_THROW(get_activation(row.name)) << row.name;
  }
  EXPECT_EQ(activation_names(), names);
  EXPECT_EQ(find_activation_facts("rleu"), nullptr);
}

TEST(ActivationTable, ElementwiseRowsRunFusedInDenseAndUnfusedByName) {
  const Tensor x = random_tensor({3, 4}, 40, -2, 2);
  const Tensor kernel = random_tensor({4, 5}, 41);
  const Tensor bias = random_tensor({5}, 42);
  for (const Row& row : table_rows()) {
    EXPECT_EQ(detail::fused_activation(row.name).has_value(), row.elementwise) << row.name;
    GradientTape tape;
    tape.watch(x);
    const Tensor fused = dense(x, kernel, bias, row.name);
    // Fused: the whole layer is one "dense" node; unfused (softmax, log_softmax): matmul, add, then the activation.
    ASSERT_EQ(tape.nodes().size(), row.elementwise ? 1u : 3u) << row.name;
    EXPECT_STREQ(tape.nodes()[0].op, row.elementwise ? "dense" : "matmul") << row.name;
    const Tensor unfused = get_activation(row.name)(matmul(x, kernel) + bias);
    EXPECT_TRUE(all_close(fused, unfused.shape(), unfused.to_vector())) << row.name;
  }
}

TEST(ActivationTable, SaturatingRowsReachTheSaturationStatistic) {
  // Pre-activations of +-1000 drive every saturating activation past the default thresholds (0.99, and
  // 0.01 below for the unit interval: softsign(1000) = 0.999); +-0.1 leaves them all in the middle.
  const Tensor z = from_values({1, 4}, {-1000.0, 1000.0, 0.1, -0.1}, DType::float64);
  for (const Row& row : table_rows()) {
    const ForwardStats stats = forward_stats(get_activation(row.name)(z), row.name);
    EXPECT_EQ(is_saturating(row.name), row.saturation != Saturation::none) << row.name;
    if (row.saturation == Saturation::none) {
      EXPECT_FALSE(stats.saturated_fraction.has_value()) << row.name;
    } else {
      ASSERT_TRUE(stats.saturated_fraction.has_value()) << row.name;
      EXPECT_EQ(*stats.saturated_fraction, 0.5) << row.name;
    }
  }
}

}  // namespace
}  // namespace gradlab
