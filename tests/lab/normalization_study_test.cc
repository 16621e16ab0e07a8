#include "gradlab/lab/normalization_study.h"

#include <limits>

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
          .batch = 16,
          .steps = 8};
}

// The study of small_options(), run once for the tests that only read it.
const NormalizationStudy& small_study() {
  static const NormalizationStudy study = run_normalization_study(small_options());
  return study;
}

const NormalizationCell& cell(const NormalizationStudy& s, const std::string& activation, SkipNormalization n) {
  for (const NormalizationCell& c : s.cells) {
    if (c.activation == activation && c.normalization == n) return c;
  }
  throw Error("no such cell");
}

TEST(NormalizationStudy, CoversEveryConfigurationWithPerLayerNorms) {
  const NormalizationStudy& s = small_study();
  ASSERT_EQ(s.cells.size(), 2u * 1 * 1 * 4);
  for (const NormalizationCell& c : s.cells) {
    EXPECT_EQ(c.layer_grad_norms.size(), 12u);
    EXPECT_EQ(c.input_grad_norm.count, 3);
    // Layer 1's gradient norm is the input-gradient norm of the first trial.
    EXPECT_GT(c.layer_grad_norms.front(), 0.0);
  }
  // Input normalization: 2 activations x 2 input ranges x raw, adapted.
  ASSERT_EQ(s.input_normalization.size(), 2u * 2 * 2);
  EXPECT_EQ(s.input_normalization[3].activation, "sigmoid");
  EXPECT_EQ(s.input_normalization[3].input.high, 255.0);
  EXPECT_TRUE(s.input_normalization[3].adapted);
  // Instance table: 2 activations x (vectors, sequences) x 5 normalizations.
  ASSERT_EQ(s.instance_cells.size(), 2u * 2 * 5);
  EXPECT_EQ(s.instance_cells[5].steps, 8);
  EXPECT_EQ(s.instance_cells[9].normalization, SkipNormalization::instance);
}

const NormalizationCell& instance_cell(const NormalizationStudy& s, const std::string& activation, int64_t steps,
                                       SkipNormalization n) {
  for (const NormalizationCell& c : s.instance_cells) {
    if (c.activation == activation && c.steps == steps && c.normalization == n) return c;
  }
  throw Error("no such instance cell");
}

TEST(NormalizationStudy, InstanceNormNeedsPositionsToNormalizeOver) {
  const NormalizationStudy& s = small_study();
  for (const char* activation : {"sigmoid", "relu"}) {
    const NormalizationCell& vectors = instance_cell(s, activation, 0, SkipNormalization::instance);
    EXPECT_EQ(vectors.input_grad_norm.zero_fraction, 1.0) << activation << ": one value per statistic, output = beta";
    EXPECT_EQ(vectors.output_std_across_examples, 0.0) << activation;
    const NormalizationCell& sequences = instance_cell(s, activation, 8, SkipNormalization::instance);
    EXPECT_EQ(sequences.input_grad_norm.zero_fraction, 0.0) << activation;
    EXPECT_GT(sequences.output_std_across_examples, 0.01) << activation;
  }
  // Over the positions it acts as batch norm does over the batch: deep sigmoid stacks keep their gradient.
  EXPECT_GT(instance_cell(s, "sigmoid", 8, SkipNormalization::instance).input_grad_norm.median,
            1e3 * instance_cell(s, "sigmoid", 8, SkipNormalization::none).input_grad_norm.median);
}

const InputNormalizationRow& input_row(const NormalizationStudy& s, const std::string& activation, double high,
                                       bool adapted) {
  for (const InputNormalizationRow& r : s.input_normalization) {
    if (r.activation == activation && r.input.high == high && r.adapted == adapted) return r;
  }
  throw Error("no such input-normalization row");
}

TEST(NormalizationStudy, InputNormalizationKeepsLargeInputsFromSaturatingTheFirstLayer) {
  const NormalizationStudy& s = small_study();
  // Sigmoid units fed U[0, 255) sit on their flat ends: layer 1 loses most of the gradient.
  EXPECT_GT(input_row(s, "sigmoid", 255, true).first_to_last.median,
            4 * input_row(s, "sigmoid", 255, false).first_to_last.median);
  // A relu stack with zero biases is positively homogeneous: 255 times the input, 255 times the output.
  EXPECT_GT(input_row(s, "relu", 255, false).output_std_across_examples,
            50 * input_row(s, "relu", 1, false).output_std_across_examples);
  // Through the adapted Normalization the raw input's gradient is divided by its spread (about 74).
  EXPECT_LT(input_row(s, "relu", 255, true).input_grad_norm.median,
            0.1 * input_row(s, "relu", 255, false).input_grad_norm.median);
}

TEST(NormalizationStudy, BatchNormKeepsADeepSigmoidStackAlive) {
  const NormalizationStudy& s = small_study();
  const double plain = cell(s, "sigmoid", SkipNormalization::none).input_grad_norm.median;
  const double batch = cell(s, "sigmoid", SkipNormalization::batch).input_grad_norm.median;
  EXPECT_GT(batch, 1e3 * plain) << "12 sigmoid layers shrink the gradient by orders of magnitude; batch norm does not";
}

TEST(NormalizationStudy, BatchNormNeedsABatchAndLayerNormDoesNot) {
  const NormalizationStudy& s = small_study();
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
  const BatchNormModes& m = small_study().batch_norm_modes;
  EXPECT_GT(m.max_output_difference, 0.1);
  EXPECT_GT(m.training_output_std, 2 * m.inference_output_std)
      << "batch statistics normalize; fresh moving statistics (0, 1) barely rescale";
}

TEST(NormalizationStudy, SameSeedSameResults) {
  const NormalizationStudy& a = small_study();
  const NormalizationStudy b = run_normalization_study(small_options());
  NormalizationStudyOptions other = small_options();
  other.seed = 4;
  const NormalizationStudy c = run_normalization_study(other);
  EXPECT_EQ(a.cells[1].layer_grad_norms, b.cells[1].layer_grad_norms);
  EXPECT_NE(a.cells[1].layer_grad_norms, c.cells[1].layer_grad_norms);
  EXPECT_EQ(a.instance_cells[9].layer_grad_norms, b.instance_cells[9].layer_grad_norms);
  EXPECT_NE(a.instance_cells[9].layer_grad_norms, c.instance_cells[9].layer_grad_norms);
  EXPECT_EQ(a.input_normalization[3].input_grad_norm.median, b.input_normalization[3].input_grad_norm.median);
  EXPECT_NE(a.input_normalization[3].input_grad_norm.median, c.input_normalization[3].input_grad_norm.median);
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
  o = small_options();
  o.input_ranges = {{0, 1}, {1, 1}};
  EXPECT_THROW(run_normalization_study(o), Error);
  o.input_ranges = {{0, std::numeric_limits<double>::infinity()}};
  EXPECT_THROW(run_normalization_study(o), Error);
  o = small_options();
  o.steps = 1;
  EXPECT_THROW(run_normalization_study(o), Error);
  o = small_options();
  o.sequence_batch = 0;
  EXPECT_THROW(run_normalization_study(o), Error);
}

}  // namespace
}  // namespace gradlab
