#include "gradlab/lab/conv_study.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/tensor/creation.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

ConvStudyOptions tiny() {
  ConvStudyOptions o;
  o.depths = {2, 8};
  o.filters = 4;
  o.groups = 2;
  o.batch = 4;
  o.seeds = 2;
  o.training_depth = 3;
  o.training_steps = 6;
  o.training_batch = 4;
  o.training_examples = 16;
  o.training_seeds = 2;
  o.sample_every = 2;
  o.seed = 3;
  return o;
}

// Fashion-MNIST-shaped rows of 784 pixels in [0, 1) with class ids, as fashion-mnist loads them.
Dataset images(int64_t n) {
  Rng rng(11);
  Dataset d;
  d.features = uniform(Shape{n, 784}, rng, 0.0, 1.0, DType::float32);
  std::vector<double> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(static_cast<double>(i % 10));
  d.labels = from_values({n}, labels, DType::float32);
  d.classes = 10;
  d.name = "made-up images";
  return d;
}

TEST(ConvStudy, ProbesEveryArmAtEveryDepthAndTrainsEveryArm) {
  const ConvStudyOptions o = tiny();
  const Dataset data = images(16);
  int calls = 0;
  const ConvStudy s = run_conv_study(o, &data, [&](const ConvStudyProgress& p) {
    ++calls;
    EXPECT_LE(p.done, p.total);
  });
  ASSERT_EQ(s.cells.size(), 2u * 5 * 2);
  EXPECT_EQ(calls, 2 * 5 * 2 * 2 + 2 * 5 * 2 * 6);
  for (const ConvProbeCell& c : s.cells) {
    ASSERT_EQ(c.trials.size(), 2u) << c.arm.label();
    EXPECT_EQ(c.trials[0].seed, conv_trial_seed(3, 0));
    EXPECT_EQ(c.trials[1].seed, conv_trial_seed(3, 1));
    EXPECT_EQ(c.trials[0].grad_norms.size(), static_cast<std::size_t>(c.depth)) << c.arm.label();
    // conv1 .. conv_depth, then the Dense head.
    EXPECT_EQ(c.first_summary.grad_norms.size(), static_cast<std::size_t>(c.depth) + 1);
    if (c.arm.normalization != SkipNormalization::none) {
      for (const ConvProbeTrial& t : c.trials) {
        EXPECT_TRUE(std::isfinite(t.ratio) && t.ratio > 0) << c.arm.label() << " depth " << c.depth;
      }
    }
  }
  ASSERT_EQ(s.training.size(), 10u);
  for (const ConvTrainingArm& a : s.training) {
    ASSERT_EQ(a.runs.size(), 2u);
    EXPECT_EQ(a.runs[1].seed, conv_training_seed(3, 1));
    if (a.arm.normalization == SkipNormalization::none) continue;
    for (const ConvTrainingRun& r : a.runs) {
      EXPECT_FALSE(r.stopped_by_anomaly) << a.arm.label();
      EXPECT_EQ(r.losses.size(), 6u);
      EXPECT_EQ(r.sample_steps, (std::vector<int64_t>{0, 2, 4}));
      EXPECT_TRUE(std::isfinite(r.final_loss(6)));
    }
  }
  EXPECT_FALSE(s.findings.empty());
  // Same options, same numbers.
  const ConvStudy again = run_conv_study(o, &data);
  EXPECT_EQ(again.cell(SkipConnection::identity, SkipNormalization::group, 8).trials[1].ratio,
            s.cell(SkipConnection::identity, SkipNormalization::group, 8).trials[1].ratio);
}

// With groups == filters each group is one channel, normalized over H and W per example: instance norm
// by definition (Wu & He 2018, Figure 2). Both arms draw the same kernels (the normalizations' scale
// and offset start at 1 and 0), so the measured gradients agree up to the two layers' epsilons.
TEST(ConvStudy, GroupNormWithOneChannelPerGroupMeasuresAsInstanceNorm) {
  ConvStudyOptions o = tiny();
  o.groups = o.filters;
  o.normalizations = {SkipNormalization::group, SkipNormalization::instance};
  o.skips = {SkipConnection::none};
  o.training_depth = 0;
  const ConvStudy s = run_conv_study(o);
  for (int d : o.depths) {
    const ConvProbeCell& g = s.cell(SkipConnection::none, SkipNormalization::group, d);
    const ConvProbeCell& i = s.cell(SkipConnection::none, SkipNormalization::instance, d);
    for (std::size_t t = 0; t < g.trials.size(); ++t) {
      EXPECT_NEAR(std::log10(g.trials[t].ratio), std::log10(i.trials[t].ratio), 0.01) << "depth " << d;
    }
  }
  EXPECT_EQ(s.inputs, "images drawn from U[0, 1)");
}

// He et al. 2016: through x + F(x) the backward map is I + J_F, and with F's kernels drawn
// independently of the incoming gradient E||(I + J_F)^T v||^2 = ||v||^2 + E||J_F^T v||^2: every block
// adds to the squared norm, where a plain relu block with He initialization keeps it in expectation
// (He et al. 2015). Over 7 shortcuts that is about 2^3.5 ~ 11x in g_1/g_L; the test asks for any gap
// over 2x between the geometric means of 2 seeds (8 filters, 16 images), measured 20x on real images.
// Seeds are fixed, so the outcome is fixed; the margin (a factor ~5 below the expected gap) covers the
// rounding differences between CPUs.
TEST(ConvStudy, IdentityShortcutWithoutNormalizationRaisesTheGradientReachingTheImage) {
  ConvStudyOptions o = tiny();
  o.depths = {8};
  o.filters = 8;
  o.groups = 4;
  o.batch = 16;
  o.normalizations = {SkipNormalization::none};
  o.training_depth = 0;
  const ConvStudy s = run_conv_study(o);
  const SeedSpread identity = s.cell(SkipConnection::identity, SkipNormalization::none, 8).log_ratio();
  const SeedSpread plain = s.cell(SkipConnection::none, SkipNormalization::none, 8).log_ratio();
  ASSERT_EQ(identity.count, 2);
  ASSERT_EQ(plain.count, 2);
  EXPECT_GT(identity.mean - plain.mean, std::log10(2.0)) << identity.mean << " vs " << plain.mean;
  EXPECT_GT(s.cell(SkipConnection::identity, SkipNormalization::none, 8).log_input_grad().mean,
            s.cell(SkipConnection::none, SkipNormalization::none, 8).log_input_grad().mean);
}

TEST(ConvStudy, BadOptionsAndTooFewImagesAreErrors) {
  ConvStudyOptions o = tiny();
  o.depths = {8, 4};
  EXPECT_NE(error_of([&] { validate(o); }).find("depths must increase"), std::string::npos);
  o = tiny();
  o.groups = 3;
  EXPECT_NE(error_of([&] { validate(o); }).find("3 groups do not divide 4 filters"), std::string::npos);
  o = tiny();
  o.skips = {SkipConnection::residual};
  EXPECT_NE(error_of([&] { validate(o); }).find("not studied"), std::string::npos);
  o = tiny();
  const Dataset few = images(7);
  EXPECT_NE(error_of([&] { run_conv_study(o, &few); }).find("made-up images has 7 examples"), std::string::npos);
}

// ---- the wording, on made-up measurements -------------------------------------------------------

ConvProbeCell made_up_cell(SkipConnection skip, SkipNormalization norm, int depth, std::vector<double> ratios,
                           FlowVerdict verdict) {
  ConvProbeCell c{.arm = {skip, norm}, .depth = depth};
  for (double r : ratios) c.trials.push_back({.grad_norms = {r, 1.0}, .ratio = r, .verdict = verdict});
  return c;
}

ConvStudy made_up(double identity_ratio, double spread) {
  ConvStudy s;
  s.options.depths = {56};
  s.options.normalizations = {SkipNormalization::none, SkipNormalization::instance};
  s.options.training_depth = 0;
  const FlowVerdict identity_verdict = identity_ratio > 100 ? FlowVerdict::exploding : FlowVerdict::healthy;
  s.cells = {made_up_cell(SkipConnection::none, SkipNormalization::none, 56, {0.2, 0.2 * spread}, FlowVerdict::healthy),
             made_up_cell(SkipConnection::none, SkipNormalization::instance, 56, {2.0, 2.0 * spread}, FlowVerdict::healthy),
             made_up_cell(SkipConnection::identity, SkipNormalization::none, 56, {identity_ratio, identity_ratio * spread},
                          identity_verdict),
             made_up_cell(SkipConnection::identity, SkipNormalization::instance, 56, {3.0, 3.0 * spread}, FlowVerdict::healthy)};
  return s;
}

bool says(const std::vector<ConvFinding>& findings, const std::string& fragment) {
  for (const ConvFinding& f : findings) {
    if (f.text.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string all_text(const std::vector<ConvFinding>& findings) {
  std::string out;
  for (const ConvFinding& f : findings) out += f.text + "\n";
  return out;
}

TEST(ConvFindings, ChooseTheirSentenceFromTheMeasurements) {
  // The identity shortcut 1e12 against 0.2: 12.7 decades apart, tight seeds.
  const std::vector<ConvFinding> far = conv_findings(made_up(1e12, 1.5));
  EXPECT_TRUE(says(far, "With no normalization at depth 56, the identity shortcut raises g_1/g_L 12.7 decades above"))
      << all_text(far);
  EXPECT_TRUE(says(far, "In the identity shortcut at depth 56, instance norm keeps g_1/g_L healthy where no normalization "
                        "gives exploding; it brings g_1/g_L 11.5 decades closer to 1"))
      << all_text(far);
  // The same means with seeds 100x apart: the ranges overlap and nothing is claimed.
  const std::vector<ConvFinding> noisy = conv_findings(made_up(1.0, 100.0));
  EXPECT_TRUE(says(noisy, "With no normalization at depth 56, the identity shortcut and the plain stack give g_1/g_L not "
                          "distinguishable here"))
      << all_text(noisy);
  EXPECT_FALSE(says(noisy, "decades above")) << all_text(noisy);
  // Identity 0.3 against plain 0.2: ranges apart, but less than the stated decade.
  const std::vector<ConvFinding> near = conv_findings(made_up(0.3, 1.01));
  EXPECT_TRUE(says(near, "the identity shortcut and the plain stack give g_1/g_L not distinguishable")) << all_text(near);
  EXPECT_TRUE(says(near, "instance norm and no normalization both keep g_1/g_L healthy")) << all_text(near);
  // A looser threshold turns the same numbers into a claim.
  const std::vector<ConvFinding> loose = conv_findings(made_up(0.3, 1.01), {.min_decades = 0.1});
  EXPECT_TRUE(says(loose, "the identity shortcut raises g_1/g_L 0.2 decades above")) << all_text(loose);
}

TEST(ConvFindings, TrainingSentencesNameStoppedRunsAndGaps) {
  ConvStudy s = made_up(1e12, 1.5);
  s.options.training_depth = 20;
  s.options.training_steps = 4;
  const auto run = [](std::vector<double> losses, bool stopped) {
    ConvTrainingRun r{.losses = std::move(losses), .stopped_by_anomaly = stopped};
    if (stopped) r.stopped_at = static_cast<int64_t>(r.losses.size());
    return r;
  };
  s.training = {{.arm = {SkipConnection::none, SkipNormalization::none}, .runs = {run({2.3, 2.3, 2.3, 2.3}, false), run({2.3, 2.3, 2.3, 2.31}, false)}},
                {.arm = {SkipConnection::none, SkipNormalization::instance}, .runs = {run({2.3, 2.0, 1.5, 1.2}, false), run({2.3, 2.0, 1.5, 1.3}, false)}},
                {.arm = {SkipConnection::identity, SkipNormalization::none}, .runs = {run({2.3}, true), run({2.3, 9.0}, true)}},
                {.arm = {SkipConnection::identity, SkipNormalization::instance}, .runs = {run({2.3, 2.0, 1.5, 1.25}, false), run({2.3, 2.0, 1.5, 1.22}, false)}}};
  const std::vector<ConvFinding> f = conv_findings(s);
  EXPECT_TRUE(says(f, "At depth 20 the anomaly check stopped runs at a NaN or infinity in: identity skip, no norm (2 of 2).")) << all_text(f);
  EXPECT_TRUE(says(f, "In the plain stack, instance norm ended 1.055 lower in final loss than no skip, no norm (depth 20).")) << all_text(f);
  EXPECT_TRUE(says(f, "With instance norm, the identity shortcut ended with a final loss not distinguishable from no skip, "
                      "instance norm's")) << all_text(f);
  EXPECT_TRUE(says(f, "In the identity shortcut, instance norm finished 2 of 2 runs where identity skip, no norm finished none"))
      << all_text(f);
}

}  // namespace
}  // namespace gradlab
