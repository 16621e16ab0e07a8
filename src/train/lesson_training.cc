#include "gradlab/train/lesson_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "gradlab/gradlab.h"
#include "gradlab/io/idx.h"
#include "gradlab/nn/layer_normalization.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kEvalBatch = 1000;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A model and the Dense layers whose kernel gradients are sampled, input side first.
struct StudyModel {
  Layer model;
  std::vector<Dense> dense;
};

std::string dense_name(int64_t index) { return fmt::format("dense_{}", index); }

// depth x Dense(width, activation) and the output layer: the deep plain stacks.
StudyModel plain_stack(const LessonTrainingOptions& o, int64_t classes, const std::string& activation,
                       const Initializer& init) {
  StudyModel m;
  std::vector<Layer> layers;
  for (int64_t i = 1; i <= o.depth; ++i) {
    m.dense.push_back(Dense(o.width, {.activation = activation, .kernel_initializer = init, .name = dense_name(i)}));
    layers.push_back(m.dense.back());
  }
  m.dense.push_back(Dense(classes, {.kernel_initializer = init, .name = "logits"}));
  layers.push_back(m.dense.back());
  m.model = Sequential(layers);
  return m;
}

// dense_1 maps the input to `width`; each later layer adds a residual branch x + Dense(relu)(x), or
// x + Dense(relu)(LayerNormalization(x)) with `normalize`. The branch kernels are He uniform scaled by
// 1 / depth: with plain He every branch adds as much variance as x already has, so x doubles in
// variance per block and a 30-block stack overflows after one SGD step (the exploding case again).
// Scaling each residual branch down with depth is Fixup's rule (Zhang et al. 2019; GPT-2 scales by
// 1 / sqrt(blocks)): the sum then grows by at most (1 + 1/depth)^depth ~ e.
StudyModel residual_stack(const LessonTrainingOptions& o, int64_t features, int64_t classes, bool normalize) {
  StudyModel m;
  const SymbolicTensor inputs = Input({features});
  m.dense.push_back(Dense(o.width, {.activation = "relu", .kernel_initializer = he_uniform(), .name = dense_name(1)}));
  SymbolicTensor x = m.dense.back()(inputs);
  const Initializer branch_init = variance_scaling(
      {.scale = 2.0 / static_cast<double>(o.depth), .mode = FanMode::fan_in, .distribution = Distribution::uniform});
  for (int64_t i = 2; i <= o.depth; ++i) {
    m.dense.push_back(Dense(o.width, {.activation = "relu", .kernel_initializer = branch_init, .name = dense_name(i)}));
    const SymbolicTensor h = normalize ? LayerNormalization({.name = fmt::format("layer_norm_{}", i)})(x) : x;
    x = x + m.dense.back()(h);
  }
  m.dense.push_back(Dense(classes, {.kernel_initializer = he_uniform(), .name = "logits"}));
  m.model = Model(inputs, m.dense.back()(x), normalize ? "deep_residual_norm" : "deep_residual");
  return m;
}

StudyModel lesson_mlp(int64_t classes) {
  StudyModel m;
  std::vector<Layer> layers;
  int64_t index = 1;
  for (int64_t units : {256, 128, 100}) {
    m.dense.push_back(Dense(units, {.activation = "relu", .kernel_initializer = he_uniform(), .name = dense_name(index++)}));
    layers.push_back(m.dense.back());
  }
  m.dense.push_back(Dense(classes, {.kernel_initializer = he_uniform(), .name = "logits"}));
  layers.push_back(m.dense.back());
  m.model = Sequential(layers);
  return m;
}

// Copies the rows order[begin, begin + count) of `features` and `labels` into fresh tensors.
std::pair<Tensor, Tensor> gather(const Tensor& features, const Tensor& labels, const std::vector<int64_t>& order,
                                 int64_t begin, int64_t count) {
  const int64_t width = features.dim(1);
  Tensor x = Tensor::empty({count, width});
  Tensor y = Tensor::empty({count});
  const float* src = features.data<float>();
  const float* ids = labels.data<float>();
  for (int64_t r = 0; r < count; ++r) {
    const int64_t row = order[static_cast<std::size_t>(begin + r)];
    std::memcpy(x.data<float>() + r * width, src + row * width, static_cast<std::size_t>(width) * sizeof(float));
    y.data<float>()[r] = ids[row];
  }
  return {x, y};
}

// Fisher-Yates from Rng(seed).fork(epoch): every run of the study sees the same batches.
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng = Rng(seed).fork(static_cast<uint64_t>(epoch));
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = std::min(i, static_cast<int64_t>(rng.next_double() * static_cast<double>(i + 1)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

// Mean loss and accuracy on the test set, in inference mode and without a tape.
std::pair<double, double> evaluate(const Layer& model, const LessonData& data) {
  const int64_t n = data.test_images.dim(0);
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  double loss = 0, correct = 0;
  for (int64_t begin = 0; begin < n; begin += kEvalBatch) {
    const int64_t count = std::min(kEvalBatch, n - begin);
    const auto [x, y] = gather(data.test_images, data.test_labels, order, begin, count);
    const Tensor logits = model(x);
    loss += sparse_categorical_crossentropy(y, logits, {.from_logits = true, .reduction = Reduction::sum}).item();
    correct += sum(sparse_categorical_accuracy(y, logits)).item();
  }
  return {loss / static_cast<double>(n), correct / static_cast<double>(n)};
}

// Trains `m` with `optimizer` for options.epochs epochs, sampling gradient norms and checking every
// op for non-finite values; stops at the first non-finite training loss.
TrainingRun train(std::string name, std::string description, const StudyModel& m, Optimizer& optimizer,
                  const LessonData& data, const LessonTrainingOptions& o) {
  TrainingRun run;
  run.name = std::move(name);
  run.description = std::move(description);
  m.model(zeros({1, data.train_images.dim(1)}));  // builds a Sequential's variables
  const std::vector<Variable> vars = m.model.trainable_variables();
  std::vector<std::size_t> kernel_index;
  for (const Dense& d : m.dense) {
    run.layers.push_back(d.name());
    const auto it = std::find_if(vars.begin(), vars.end(),
                                 [&](const Variable& v) { return v.name() == d.kernel().name(); });
    if (it == vars.end()) fail("lesson training: {} has no trainable kernel in model {}", d.name(), run.name);
    kernel_index.push_back(static_cast<std::size_t>(it - vars.begin()));
  }

  AnomalyDetector detector;
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = data.train_images.dim(0);
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= o.epochs && !run.diverged; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const std::vector<int64_t> order = epoch_order(n, o.seed, epoch);
    double loss_sum = 0, correct = 0;
    int64_t seen = 0;
    for (int64_t begin = 0; begin < n; begin += o.batch_size, ++step) {
      const int64_t count = std::min(o.batch_size, n - begin);
      const auto [x, y] = gather(data.train_images, data.train_labels, order, begin, count);
      detector.set_step(step);
      GradientTape tape;
      const Tensor logits = m.model(x, {.training = true});
      const Tensor loss = sparse_categorical_crossentropy(y, logits, {.from_logits = true});
      const std::vector<Tensor> grads = tape.gradient(loss, vars);
      const double loss_value = loss.item();
      const bool sampled = step % o.sample_every == 0 || !std::isfinite(loss_value);
      GradientSample sample{.step = step, .loss = loss_value};
      if (sampled) {
        for (std::size_t k : kernel_index) sample.kernel_grad_norms.push_back(norm(grads[k]).item());
      }
      sample.global_norm = optimizer.apply(grads, vars);
      if (sampled) run.samples.push_back(std::move(sample));
      if (!std::isfinite(loss_value)) {
        run.diverged = true;
        run.diverged_at_step = step;
        ++step;
        break;
      }
      loss_sum += loss_value * static_cast<double>(count);
      correct += sum(sparse_categorical_accuracy(y, logits)).item();
      seen += count;
    }
    EpochRecord record{.epoch = epoch};
    record.loss = run.diverged ? kNaN : loss_sum / static_cast<double>(seen);
    record.accuracy = seen > 0 ? correct / static_cast<double>(seen) : kNaN;
    if (run.diverged) {
      record.test_loss = record.test_accuracy = kNaN;
    } else {
      std::tie(record.test_loss, record.test_accuracy) = evaluate(m.model, data);
    }
    record.seconds = seconds_since(epoch_start);
    run.epochs.push_back(record);
  }
  run.steps = step;
  run.anomaly = detector.first();
  run.seconds = seconds_since(start);
  return run;
}

void check_options(const LessonTrainingOptions& o) {
  auto require = [](bool ok, const char* what, double value, const char* expected) {
    if (!ok) fail("lesson training: {} = {} is out of range (expected {})", what, value, expected);
  };
  require(o.epochs > 0, "epochs", double(o.epochs), "> 0");
  require(o.batch_size > 0, "batch_size", double(o.batch_size), "> 0");
  require(o.depth >= 6, "depth", double(o.depth), ">= 6, so that first and last three layers differ");
  require(o.width > 0, "width", double(o.width), "> 0");
  require(o.sample_every > 0, "sample_every", double(o.sample_every), "> 0");
  require(o.sgd_learning_rate > 0, "sgd_learning_rate", o.sgd_learning_rate, "> 0");
  require(o.exploding_stddev > 0, "exploding_stddev", o.exploding_stddev, "> 0");
  require(o.clipnorm > 0, "clipnorm", o.clipnorm, "> 0");
  require(o.train_examples >= 0, "train_examples", double(o.train_examples), ">= 0");
  require(o.test_examples >= 0, "test_examples", double(o.test_examples), ">= 0");
}

void check_data(const LessonData& d) {
  for (const auto& [t, what] : {std::pair{&d.train_images, "train images"}, {&d.test_images, "test images"}}) {
    if (!t->defined() || t->rank() != 2 || t->dtype() != DType::float32 || t->dim(0) == 0) {
      fail("lesson training: {} must be a non-empty float32 [N, features] tensor, got {}", what,
           t->defined() ? t->shape().to_string() : std::string("none"));
    }
  }
  if (d.train_images.dim(1) != d.test_images.dim(1)) {
    fail("lesson training: train images have {} features but test images {}", d.train_images.dim(1),
         d.test_images.dim(1));
  }
  for (const auto& [labels, images, what] :
       {std::tuple{&d.train_labels, &d.train_images, "train labels"}, {&d.test_labels, &d.test_images, "test labels"}}) {
    if (!labels->defined() || labels->rank() != 1 || labels->dtype() != DType::float32 ||
        labels->dim(0) != images->dim(0)) {
      fail("lesson training: {} must be float32 [{}], got {}", what, images->dim(0),
           labels->defined() ? labels->shape().to_string() : std::string("none"));
    }
  }
  if (d.classes < 2) fail("lesson training: classes = {} (expected >= 2)", d.classes);
}

std::string sgd_description(double lr, std::optional<double> clipnorm = std::nullopt) {
  std::string s = fmt::format("SGD({:g}, momentum 0.9", lr);
  if (clipnorm) s += fmt::format(", global_clipnorm {:g}", *clipnorm);
  return s + ")";
}

}  // namespace

LessonData load_lesson_data(const LessonTrainingOptions& options) {
  check_options(options);
  const FashionMnist f = load_fashion_mnist(options.data_dir);
  auto cut = [](const Tensor& images, const std::vector<int64_t>& ids, int64_t limit) {
    const int64_t n = limit > 0 ? std::min<int64_t>(limit, images.dim(0)) : images.dim(0);
    std::vector<double> labels(ids.begin(), ids.begin() + n);
    return std::pair{slice(images, {0, 0}, {n, -1}), from_values({n}, labels)};
  };
  LessonData d;
  std::tie(d.train_images, d.train_labels) = cut(f.train_images, f.train_labels, options.train_examples);
  std::tie(d.test_images, d.test_labels) = cut(f.test_images, f.test_labels, options.test_examples);
  d.classes = 10;
  d.description = fmt::format("Fashion-MNIST ({} training, {} test images)", d.train_images.dim(0),
                              d.test_images.dim(0));
  return d;
}

LessonTrainingResult run_lesson_training(const LessonData& data, const LessonTrainingOptions& o) {
  check_options(o);
  check_data(data);
  const auto start = std::chrono::steady_clock::now();
  const int64_t features = data.train_images.dim(1), classes = data.classes;
  const std::string stack = fmt::format("{} x Dense({}", o.depth, o.width);
  LessonTrainingResult r;
  r.options = o;
  r.data = data.description;
  r.classes = classes;

  set_seed(o.seed);
  {
    Adam adam({.learning_rate = 1e-3});
    r.mlp = train("mlp", fmt::format("{}-256-128-100-{} MLP, relu, he_uniform; Adam(0.001)", features, classes),
                  lesson_mlp(classes), adam, data, o);
  }
  set_seed(o.seed);
  {
    SGD sgd({.learning_rate = o.sgd_learning_rate, .momentum = 0.9});
    r.vanishing = train("deep_sigmoid", stack + ", sigmoid), glorot_uniform; " + sgd_description(o.sgd_learning_rate),
                        plain_stack(o, classes, "sigmoid", glorot_uniform()), sgd, data, o);
  }
  set_seed(o.seed);
  {
    SGD sgd({.learning_rate = o.sgd_learning_rate, .momentum = 0.9});
    r.remedies.push_back(train("deep_relu_he", stack + ", relu), he_uniform; " + sgd_description(o.sgd_learning_rate),
                               plain_stack(o, classes, "relu", he_uniform()), sgd, data, o));
  }
  for (const bool normalize : {false, true}) {
    set_seed(o.seed);
    SGD sgd({.learning_rate = o.sgd_learning_rate, .momentum = 0.9});
    const std::string what = normalize ? ", relu), he_uniform, residual (branches he_uniform / depth), layer normalization; "
                                       : ", relu), he_uniform, residual (branches he_uniform / depth); ";
    r.remedies.push_back(train(normalize ? "deep_residual_norm" : "deep_residual",
                               stack + what + sgd_description(o.sgd_learning_rate),
                               residual_stack(o, features, classes, normalize), sgd, data, o));
  }
  const std::string exploding = stack + fmt::format(", relu), random_normal(stddev {:g}); ", o.exploding_stddev);
  for (const bool clipped : {false, true}) {
    set_seed(o.seed);
    SGD sgd({.learning_rate = o.sgd_learning_rate,
             .momentum = 0.9,
             .global_clipnorm = clipped ? std::optional<double>(o.clipnorm) : std::nullopt});
    TrainingRun run = train(clipped ? "exploding_clipped" : "exploding",
                            exploding + sgd_description(o.sgd_learning_rate,
                                                        clipped ? std::optional<double>(o.clipnorm) : std::nullopt),
                            plain_stack(o, classes, "relu", random_normal(0.0, o.exploding_stddev)), sgd, data, o);
    (clipped ? r.exploding_clipped : r.exploding) = std::move(run);
  }
  r.seconds = seconds_since(start);
  return r;
}

double TrainingRun::final_test_accuracy() const { return epochs.empty() ? 0.0 : epochs.back().test_accuracy; }

double TrainingRun::early_to_late_gradient_ratio() const {
  std::vector<double> ratios;
  for (const GradientSample& s : samples) {
    const std::size_t n = s.kernel_grad_norms.size();
    if (n < 6 || !std::isfinite(s.loss)) continue;
    const double early = (s.kernel_grad_norms[0] + s.kernel_grad_norms[1] + s.kernel_grad_norms[2]) / 3;
    const double late = (s.kernel_grad_norms[n - 1] + s.kernel_grad_norms[n - 2] + s.kernel_grad_norms[n - 3]) / 3;
    if (late > 0 && std::isfinite(early) && std::isfinite(late)) ratios.push_back(early / late);
  }
  if (ratios.empty()) return kNaN;
  std::nth_element(ratios.begin(), ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2), ratios.end());
  return ratios[ratios.size() / 2];
}

}  // namespace gradlab
