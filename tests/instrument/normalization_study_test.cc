#include "gradlab/instrument/normalization_study.h"

#include <gtest/gtest.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

NormalizationStudyOptions small_options() {
  return {.seed = 3,
          .trials = 3,
          .depths = {12},
          .activations = {"sigmoid", "relu"},
          .initializers = {"glorot_uniform"},
          .width = 16,
          .batch = 16};
}

const NormalizationCell& cell(const NormalizationStudy& s, const std::string& activation, SkipNormalization n) {
  for (const NormalizationCell& c : s.cells) {
    if (c.activation == activation && c.normalization == n) return c;
  }
  throw Error("no such cell");
}

TEST(NormalizationStudy, CoversEveryConfigurationWithPerLayerNorms) {
  const NormalizationStudy s = run_normalization_study(small_options());
  ASSERT_EQ(s.cells.size(), 2u * 1 * 1 * 4);
  for (const NormalizationCell& c : s.cells) {
    EXPECT_EQ(c.layer_grad_norms.size(), 12u);
    EXPECT_EQ(c.input_grad_norm.count, 3);
    // Layer 1's gradient norm is the input-gradient norm of the first trial.
    EXPECT_GT(c.layer_grad_norms.front(), 0.0);
  }
}

TEST(NormalizationStudy, BatchNormKeepsADeepSigmoidStackAlive) {
  const NormalizationStudy s = run_normalization_study(small_options());
  const double plain = cell(s, "sigmoid", SkipNormalization::none).input_grad_norm.median;
  const double batch = cell(s, "sigmoid", SkipNormalization::batch).input_grad_norm.median;
  EXPECT_GT(batch, 1e3 * plain) << "12 sigmoid layers shrink the gradient by orders of magnitude; batch norm does not";
}

TEST(NormalizationStudy, BatchNormNeedsABatchAndLayerNormDoesNot) {
  const NormalizationStudy s = run_normalization_study(small_options());
  ASSERT_EQ(s.small_batches.size(), 6u);
  const SmallBatchRow& bn1 = s.small_batches[0];
  const SmallBatchRow& ln1 = s.small_batches[1];
  ASSERT_EQ(bn1.batch, 1);
  ASSERT_EQ(bn1.normalization, SkipNormalization::batch);
  EXPECT_EQ(bn1.input_grad_norm.zero_fraction, 1.0) << "one example: every unit normalizes to beta, no gradient";
  EXPECT_EQ(ln1.input_grad_norm.zero_fraction, 0.0);
  EXPECT_GT(ln1.input_grad_norm.median, 0.0);
  const SmallBatchRow& bn_full = s.small_batches[4];
  EXPECT_EQ(bn_full.batch, 16);
  EXPECT_GT(bn_full.output_std_across_examples, 0.0);
}

TEST(NormalizationStudy, TrainingAndInferenceModesDiffer) {
  const BatchNormModes m = run_normalization_study(small_options()).batch_norm_modes;
  EXPECT_GT(m.max_output_difference, 0.1);
  EXPECT_GT(m.training_output_std, 2 * m.inference_output_std)
      << "batch statistics normalize; fresh moving statistics (0, 1) barely rescale";
}

TEST(NormalizationStudy, SameSeedSameResults) {
  const NormalizationStudy a = run_normalization_study(small_options());
  const NormalizationStudy b = run_normalization_study(small_options());
  NormalizationStudyOptions other = small_options();
  other.seed = 4;
  const NormalizationStudy c = run_normalization_study(other);
  EXPECT_EQ(a.cells[1].layer_grad_norms, b.cells[1].layer_grad_norms);
  EXPECT_NE(a.cells[1].layer_grad_norms, c.cells[1].layer_grad_norms);
}

TEST(NormalizationStudy, RejectsBadOptions) {
  NormalizationStudyOptions o = small_options();
  o.trials = 0;
  EXPECT_THROW(run_normalization_study(o), Error);
  o = small_options();
  o.activations = {"relux"};
  EXPECT_THROW(run_normalization_study(o), Error);
  o = small_options();
  o.initializers = {"he_unifrom"};
  EXPECT_THROW(run_normalization_study(o), Error);
}

}  // namespace
}  // namespace gradlab
