// Sweeps over variants of a model spec: which layers a variant changes, the inputs it draws, ids,
// seeds, order, and results that do not depend on the number of workers.
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "gradlab/lab/sweep_run.h"
#include "gradlab/tensor/creation.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

// A hidden Dense with an activation, a linear projection followed by an activation layer, and a
// softmax output: each kind of layer the overrides treat differently.
constexpr const char* kSpec = R"({"name": "small",
 "inputs": {"x": [6]},
 "layers": [
   {"name": "d1", "type": "dense", "units": 5, "activation": "relu"},
   {"name": "proj", "type": "dense", "units": 5},
   {"name": "act", "type": "activation", "activation": "sigmoid"},
   {"name": "out", "type": "dense", "units": 3, "activation": "softmax", "kernel_initializer": "zeros"}],
 "outputs": ["out"]})";

std::shared_ptr<const ModelSpec> small_spec() {
  return std::make_shared<const ModelSpec>(parse_model_spec(kSpec, "small.json"));
}

const LayerSpec& layer(const ModelSpec& spec, const std::string& name) {
  for (const LayerSpec& l : spec.layers) {
    if (l.name == name) return l;
  }
  throw std::runtime_error("no layer " + name);
}

std::string option(const ModelSpec& spec, const std::string& name, const char* key) {
  return layer(spec, name).options[key].get<std::string>();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(SpecVariant, InitializerReplacesEveryDenseKernelAndActivationOnlyTheHiddenNonLinearOnes) {
  const ModelSpec spec = *small_spec();
  const ModelSpec v = apply_spec_overrides(spec, {.kernel_initializer = "HeUniform", .hidden_activation = "tanh"});
  for (const char* dense : {"d1", "proj", "out"}) EXPECT_EQ(option(v, dense, "kernel_initializer"), "he_uniform") << dense;
  EXPECT_EQ(option(v, "d1", "activation"), "tanh");
  EXPECT_EQ(option(v, "act", "activation"), "tanh");
  EXPECT_EQ(option(v, "proj", "activation"), "linear") << "a linear projection stays linear";
  EXPECT_EQ(option(v, "out", "activation"), "softmax") << "the output keeps its activation";
  // An absent override leaves its key as the spec says.
  const ModelSpec init_only = apply_spec_overrides(spec, {.kernel_initializer = "lecun_normal"});
  EXPECT_EQ(option(init_only, "d1", "activation"), "relu");
  EXPECT_EQ(option(init_only, "act", "activation"), "sigmoid");
  const ModelSpec activation_only = apply_spec_overrides(spec, {.hidden_activation = "elu"});
  EXPECT_EQ(option(activation_only, "out", "kernel_initializer"), "zeros");
  EXPECT_EQ(option(activation_only, "d1", "kernel_initializer"), "glorot_uniform");
  EXPECT_NO_THROW(build_model(v));
}

TEST(SpecVariant, RefusesOverridesTheSpecCannotTakeNamingIt) {
  const ModelSpec spec = *small_spec();
  EXPECT_NE(test::error_of([&] { apply_spec_overrides(spec, {.kernel_initializer = "he_unifrom"}); })
                .find("small.json (model 'small'): unknown kernel initializer 'he_unifrom'"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { apply_spec_overrides(spec, {.hidden_activation = "relux"}); }).find("unknown activation 'relux'"),
            std::string::npos);
  const ModelSpec no_dense = parse_model_spec(
      R"({"name": "act_only", "inputs": {"x": [4]}, "layers": [{"type": "activation", "activation": "tanh"},
          {"type": "activation", "activation": "sigmoid"}]})", "act_only.json");
  EXPECT_NE(test::error_of([&] { apply_spec_overrides(no_dense, {.kernel_initializer = "he_uniform"}); })
                .find("act_only.json (model 'act_only'): has no Dense or convolution layer"),
            std::string::npos);
  EXPECT_NO_THROW(apply_spec_overrides(no_dense, {.hidden_activation = "relu"}));
  const ModelSpec linear = parse_model_spec(
      R"({"name": "lin", "inputs": {"x": [4]}, "layers": [{"type": "dense", "units": 3}, {"type": "dense", "units": 2}]})",
      "lin.json");
  EXPECT_NE(test::error_of([&] { apply_spec_overrides(linear, {.hidden_activation = "relu"}); })
                .find("lin.json (model 'lin'): has no hidden activation for 'relu' to replace"),
            std::string::npos);
}

TEST(SpecVariant, DrawsOneInputPerSpecInputFromItsOwnStream) {
  const ModelSpec two = parse_model_spec(R"({"name": "two", "inputs": {"a": [3], "b": [2, 4]},
      "layers": [{"name": "da", "type": "dense", "units": 2, "inputs": ["a"]},
                 {"name": "db", "type": "dense", "units": 2, "inputs": ["b"]}], "outputs": ["da", "db"]})");
  const std::vector<Tensor> xs = draw_spec_inputs(two, 5, InputDistribution::normal, 9, DType::float64);
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_EQ(xs[0].shape().to_string(), "[5, 3]");
  EXPECT_EQ(xs[1].shape().to_string(), "[5, 2, 4]");
  EXPECT_EQ(xs[1].dtype(), DType::float64);
  Rng rng = Rng(9).fork(1);
  const Tensor a = normal({5, 3}, rng, 0.0, 1.0, DType::float64), b = normal({5, 2, 4}, rng, 0.0, 1.0, DType::float64);
  EXPECT_EQ(xs[0].to_vector(), a.to_vector());
  EXPECT_EQ(xs[1].to_vector(), b.to_vector());
  const std::vector<Tensor> u = draw_spec_inputs(two, 5, InputDistribution::uniform, 9);
  for (const double v : u[0].to_vector()) EXPECT_TRUE(v >= 0 && v < 1);
  EXPECT_EQ(parse_input_distribution("normal"), InputDistribution::normal);
  EXPECT_THROW(parse_input_distribution("gaussian"), Error);
}

TEST(SpecSweepGrid, ExpandsTheGivenAxesInOrderAndLeavesTheOthersOutOfTheIds) {
  const SpecSweepGrid g{.spec = small_spec(), .initializers = {"he_uniform", "GlorotUniform"},
                        .activations = {"relu", "tanh"}, .trials = 2, .seed = 4};
  const std::vector<SweepConfig> c = expand_spec_grid(g);
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(spec_grid_size(g), 8);
  EXPECT_EQ(c[0].id, "model=small,init=he_uniform,activation=relu,trial=0");
  EXPECT_EQ(c[1].id, "model=small,init=he_uniform,activation=relu,trial=1");
  EXPECT_EQ(c[2].id, "model=small,init=he_uniform,activation=tanh,trial=0");
  EXPECT_EQ(c[7].id, "model=small,init=glorot_uniform,activation=tanh,trial=1") << "aliases by their canonical name";
  for (const SweepConfig& config : c) {
    ASSERT_TRUE(config.spec);
    EXPECT_EQ(config.seed, sweep_config_seed(4, config.id));
    EXPECT_FALSE(config.spec->batch);
    EXPECT_EQ(config.spec->batch_or_default(), 32);
    EXPECT_EQ(config.spec->dtype_or_default(), DType::float32);
  }
  EXPECT_EQ(sweep_config_parameters(c[2]),
            (std::vector<std::pair<std::string, std::string>>{{"model", "small"}, {"init", "he_uniform"}, {"activation", "tanh"}}));

  const SpecSweepGrid all{.spec = small_spec(), .batches = {4}, .input_distributions = {InputDistribution::normal},
                          .dtypes = {DType::float64}};
  const std::vector<SweepConfig> one = expand_spec_grid(all);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, "model=small,batch=4,input=normal,dtype=float64,trial=0");
  EXPECT_EQ(expand_spec_grid({.spec = small_spec()})[0].id, "model=small,trial=0");
}

TEST(SpecSweepGrid, RefusesBadGridsNamingTheListTheValueOrTheSpec) {
  const auto error = [](const SpecSweepGrid& g) { return test::error_of([&] { validate_spec_grid(g); }); };
  EXPECT_NE(error({}).find("no model spec"), std::string::npos);
  EXPECT_NE(error({.spec = small_spec(), .activations = {"tanh", "tanh"}}).find("'activation' lists 'tanh' twice"),
            std::string::npos);
  EXPECT_NE(error({.spec = small_spec(), .initializers = {"he"}}).find("'init' value 'he' is unknown"), std::string::npos);
  EXPECT_NE(error({.spec = small_spec(), .batches = {0}}).find("'batch' value 0 is out of range"), std::string::npos);
  EXPECT_NE(error({.spec = small_spec(), .trials = 0}).find("'trials' is 0"), std::string::npos);
  auto linear = std::make_shared<const ModelSpec>(parse_model_spec(
      R"({"name": "lin", "inputs": {"x": [4]}, "layers": [{"type": "dense", "units": 2}]})", "lin.json"));
  EXPECT_NE(error({.spec = linear, .activations = {"relu"}}).find("lin.json (model 'lin'): has no hidden activation"),
            std::string::npos);
  // Given inputs: they must fit the spec's inputs and fix the batch.
  const auto given = [](Shape shape) {
    return std::make_shared<const std::vector<Tensor>>(std::vector<Tensor>{zeros(shape)});
  };
  EXPECT_NE(error({.spec = small_spec(), .inputs = given({3, 7}), .inputs_source = "x.st"})
                .find("the given tensor for input 'x' of model 'small' is"),
            std::string::npos);
  EXPECT_NE(error({.spec = small_spec(), .batches = {4}, .inputs = given({3, 6}), .inputs_source = "x.st"})
                .find("given inputs (x.st) fix the batch"),
            std::string::npos);
  EXPECT_EQ(error({.spec = small_spec(), .inputs = given({3, 6})}), "(no error)");
}

TEST(SpecSweepRun, ARowIsTheProbeOfItsVariantAndBitIdenticalWithOneOrTwoWorkers) {
  const SpecSweepGrid g{.spec = small_spec(), .initializers = {"he_uniform", "lecun_normal"},
                        .activations = {"relu", "tanh", "sigmoid"}, .batches = {4}, .trials = 2, .seed = 11};
  const std::vector<SweepConfig> configs = expand_spec_grid(g);
  std::map<std::string, SweepResult> one, two;
  run_sweep(configs, {.workers = 1}, [&](const SweepResult& r) { one.emplace(r.config.id, r); });
  run_sweep(configs, {.workers = 2}, [&](const SweepResult& r) { two.emplace(r.config.id, r); });
  ASSERT_EQ(one.size(), configs.size());
  ASSERT_EQ(two.size(), configs.size());
  for (const auto& [id, r] : one) {
    SCOPED_TRACE(id);
    const SweepResult& o = two.at(id);
    EXPECT_TRUE(same_bits(r.input_grad_norm, o.input_grad_norm));
    EXPECT_TRUE(same_bits(r.loss, o.loss));
    EXPECT_EQ(r.layer_grad_norms.size(), 3u) << "one per Dense layer, as probe's summary";
    for (std::size_t k = 0; k < r.layer_grad_norms.size(); ++k) EXPECT_TRUE(same_bits(r.layer_grad_norms[k], o.layer_grad_norms[k]));
  }
  // What `gradlab probe --model` does with the same variant and seed.
  const SweepConfig& c = configs[7];
  EXPECT_EQ(c.id, "model=small,init=lecun_normal,activation=relu,batch=4,trial=1");
  const ModelSpec spec = apply_spec_overrides(*g.spec, {.kernel_initializer = "lecun_normal", .hidden_activation = "relu"});
  Rng rng(c.seed);
  const Model model = build_model(spec, {.rng = &rng});
  const PassRecord pass = probe_pass(model, draw_spec_inputs(spec, 4, InputDistribution::uniform, c.seed), {.training = true});
  EXPECT_TRUE(same_bits(one.at(c.id).input_grad_norm, pass.input_grad->l2_norm));
  EXPECT_TRUE(same_bits(one.at(c.id).loss, pass.loss));
  const FlowSummary summary = summarize_flow(pass);
  EXPECT_TRUE(same_bits(one.at(c.id).mean_gain, summary.mean_gain));
  EXPECT_TRUE(same_bits(one.at(c.id).first_to_last_ratio, summary.first_to_last_ratio));
  EXPECT_EQ(pass.layers[0].activation, "relu");
  // The variant is what runs: the hidden layers of a tanh row are tanh, the output softmax.
  const SweepResult tanh_row = run_sweep_config(configs[8], {}, true);
  EXPECT_EQ(configs[8].spec->overrides.hidden_activation, "tanh");
  EXPECT_EQ(tanh_row.pass->layers[0].activation, "tanh");
  EXPECT_EQ(tanh_row.pass->layers[2].activation, "tanh");
  EXPECT_EQ(tanh_row.pass->layers[3].activation, "softmax");
}

TEST(SpecSweepRun, GivenInputsAreUsedInEachConfigurationsDtype) {
  Rng rng(3);
  auto inputs = std::make_shared<const std::vector<Tensor>>(std::vector<Tensor>{uniform({7, 6}, rng, 0, 1, DType::float64)});
  const std::vector<SweepConfig> configs = expand_spec_grid(
      {.spec = small_spec(), .dtypes = {DType::float32, DType::float64}, .inputs = inputs, .inputs_source = "x.st"});
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[1].id, "model=small,dtype=float64,trial=0");
  const SweepResult r32 = run_sweep_config(configs[0], {}, true), r64 = run_sweep_config(configs[1], {}, true);
  EXPECT_EQ(r32.pass->dtype, DType::float32);
  EXPECT_EQ(r64.pass->dtype, DType::float64);
  EXPECT_EQ(r64.pass->layers[0].output_shape, "[7, 5]");
  const std::vector<Tensor> xs = spec_variant_inputs(*configs[1].spec, configs[1].seed);
  EXPECT_EQ(xs[0].to_vector(), (*inputs)[0].to_vector());
}

TEST(SpecDigest, NamesTheNetworkWhateverTheLayoutOfItsFile) {
  const std::string a = spec_digest(*small_spec());
  EXPECT_EQ(a.size(), 16u);
  // The same network with its layers listed in another order and other spacing.
  const ModelSpec reordered = parse_model_spec(R"({"outputs": ["out"], "name": "small", "inputs": {"x": [6]},
   "layers": [
     {"name": "out", "type": "dense", "kernel_initializer": "zeros", "units": 3, "activation": "softmax", "inputs": ["act"]},
     {"name": "d1", "type": "dense", "units": 5, "activation": "relu", "inputs": ["x"]},
     {"name": "act", "type": "activation", "activation": "sigmoid", "inputs": ["proj"]},
     {"name": "proj", "type": "dense", "units": 5, "inputs": ["d1"]}]})");
  EXPECT_EQ(spec_digest(reordered), a);
  std::string wider = kSpec;
  wider.replace(wider.find("\"units\": 5"), 10, "\"units\": 9");
  EXPECT_NE(spec_digest(parse_model_spec(wider)), a);
}

}  // namespace
}  // namespace gradlab
