#include "gradlab/autograd/recurrent_op.h"

#include <cmath>
#include <cstring>
#include <ostream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/tensor/threads.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::check_gradients;
using test::random_tensor;
using ::testing::HasSubstr;

// One configuration of the op under test.
struct Case {
  RecurrentCell cell;
  bool reset_after = true;
  bool go_backwards = false;
  bool use_bias = true;
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  std::string label;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

Shape bias_shape(const Case& c, int64_t units) {
  const int64_t gu = gate_count(c.cell) * units;
  if (c.cell == RecurrentCell::gru && c.reset_after) return Shape{2, gu};
  return Shape{gu};
}

// Columns [begin, begin + width) of a [N, K] matrix.
Tensor columns(const Tensor& m, int64_t begin, int64_t width) { return slice(m, {0, begin}, {-1, width}); }

// The cell written step by step with the unfused ops, straight from Keras's definitions: the
// reference the fused op must equal. Returns [S, N, T, U] like recurrent_sequence.
Tensor reference(const Case& c, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                 const Tensor& recurrent, const Tensor& bias) {
  const int64_t n = x.dim(0), steps = x.dim(1), f = x.dim(2), u = h0.dim(1);
  const auto act = get_activation(c.activation);
  const auto sig = get_activation(c.recurrent_activation);
  Tensor input_bias = bias, recurrent_bias;
  if (bias.defined() && bias.rank() == 2) {
    input_bias = reshape(slice(bias, {0, 0}, {1, -1}), {-1});
    recurrent_bias = reshape(slice(bias, {1, 0}, {1, -1}), {-1});
  }
  Tensor h = h0, cell_state = c0;
  std::vector<Tensor> hs, cs;
  for (int64_t t = 0; t < steps; ++t) {
    const int64_t src = c.go_backwards ? steps - 1 - t : t;
    const Tensor xt = reshape(slice(x, {0, src, 0}, {-1, 1, -1}), {n, f});
    Tensor xw = matmul(xt, kernel);
    if (input_bias.defined()) xw = xw + input_bias;
    switch (c.cell) {
      case RecurrentCell::simple_rnn: h = act(xw + matmul(h, recurrent)); break;
      case RecurrentCell::lstm: {
        const Tensor z = xw + matmul(h, recurrent);
        const Tensor i = sig(columns(z, 0, u)), fg = sig(columns(z, u, u)), g = act(columns(z, 2 * u, u)),
                     o = sig(columns(z, 3 * u, u));
        cell_state = fg * cell_state + i * g;
        h = o * act(cell_state);
        cs.push_back(reshape(cell_state, {n, 1, u}));
        break;
      }
      case RecurrentCell::gru: {
        if (c.reset_after) {
          Tensor rec = matmul(h, recurrent);
          if (recurrent_bias.defined()) rec = rec + recurrent_bias;
          const Tensor z = sig(columns(xw, 0, u) + columns(rec, 0, u));
          const Tensor r = sig(columns(xw, u, u) + columns(rec, u, u));
          const Tensor hh = act(columns(xw, 2 * u, u) + r * columns(rec, 2 * u, u));
          h = z * h + (1.0 - z) * hh;
        } else {
          const Tensor rec = matmul(h, columns(recurrent, 0, 2 * u));
          const Tensor z = sig(columns(xw, 0, u) + columns(rec, 0, u));
          const Tensor r = sig(columns(xw, u, u) + columns(rec, u, u));
          const Tensor hh = act(columns(xw, 2 * u, u) + matmul(r * h, columns(recurrent, 2 * u, u)));
          h = z * h + (1.0 - z) * hh;
        }
        break;
      }
    }
    hs.push_back(reshape(h, {n, 1, u}));
  }
  Tensor out = reshape(concat(hs, 1), {1, n, steps, u});
  if (c.cell == RecurrentCell::lstm) out = concat({out, reshape(concat(cs, 1), {1, n, steps, u})}, 0);
  return out;
}

RecurrentSequenceOptions options_of(const Case& c) {
  return {.cell = c.cell,
          .activation = c.activation,
          .recurrent_activation = c.recurrent_activation,
          .reset_after = c.reset_after,
          .go_backwards = c.go_backwards};
}

std::vector<Case> cases() {
  using enum RecurrentCell;
  return {
      {.cell = simple_rnn, .label = "simple_rnn"},
      {.cell = simple_rnn, .go_backwards = true, .label = "simple_rnn_backwards"},
      {.cell = simple_rnn, .use_bias = false, .activation = "softsign", .label = "simple_rnn_softsign_no_bias"},
      {.cell = simple_rnn, .activation = "elu", .label = "simple_rnn_elu"},
      {.cell = lstm, .label = "lstm"},
      {.cell = lstm, .go_backwards = true, .use_bias = false, .label = "lstm_backwards_no_bias"},
      {.cell = lstm, .activation = "softsign", .recurrent_activation = "hard_sigmoid", .label = "lstm_softsign_hard_sigmoid"},
      {.cell = gru, .label = "gru_reset_after"},
      {.cell = gru, .reset_after = false, .label = "gru_reset_before"},
      {.cell = gru, .reset_after = false, .go_backwards = true, .use_bias = false, .label = "gru_reset_before_backwards"},
      {.cell = gru, .go_backwards = true, .use_bias = false, .activation = "softsign", .label = "gru_reset_after_softsign"},
  };
}

class RecurrentOpCases : public ::testing::TestWithParam<Case> {};

struct Operands {
  Tensor x, h0, c0, kernel, recurrent, bias;
  // x, h0, kernel, recurrent, then c0 and bias where defined.
  std::vector<Tensor> defined() const {
    std::vector<Tensor> all = {x, h0, kernel, recurrent};
    if (c0.defined()) all.push_back(c0);
    if (bias.defined()) all.push_back(bias);
    return all;
  }
};

Operands operands(const Case& c, int64_t n, int64_t steps, int64_t f, int64_t u, uint64_t seed) {
  const int64_t gu = gate_count(c.cell) * u;
  Operands o;
  o.x = random_tensor({n, steps, f}, seed, -1, 1);
  o.h0 = random_tensor({n, u}, seed + 1, -0.5, 0.5);
  if (c.cell == RecurrentCell::lstm) o.c0 = random_tensor({n, u}, seed + 2, -0.5, 0.5);
  o.kernel = random_tensor({f, gu}, seed + 3, -0.8, 0.8);
  o.recurrent = random_tensor({u, gu}, seed + 4, -0.8, 0.8);
  if (c.use_bias) o.bias = random_tensor(bias_shape(c, u), seed + 5, -0.5, 0.5);
  return o;
}

TEST_P(RecurrentOpCases, ForwardMatchesTheCellWrittenWithUnfusedOps) {
  const Case c = GetParam();
  for (DType dtype : {DType::float64, DType::float32}) {
    Operands o = operands(c, 3, 5, 4, 6, 11);
    auto cast_all = [&](Tensor& t) {
      if (t.defined()) t = t.to(dtype);
    };
    for (Tensor* t : {&o.x, &o.h0, &o.c0, &o.kernel, &o.recurrent, &o.bias}) cast_all(*t);
    const Tensor fused = recurrent_sequence(o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias, options_of(c));
    const Tensor expected = reference(c, o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias);
    EXPECT_TRUE(all_close(fused, expected.shape(), expected.to_vector(), dtype == DType::float64 ? 1e-12 : 1e-5))
        << c.label << " " << dtype_name(dtype);
  }
}

// Float64 central differences for every input, initial state and weight.
TEST_P(RecurrentOpCases, BackpropagationThroughTimeMatchesFiniteDifferences) {
  const Case c = GetParam();
  const Operands o = operands(c, 2, 4, 3, 3, 21);
  std::vector<Tensor> inputs = o.defined();
  const bool has_c0 = o.c0.defined(), has_bias = o.bias.defined();
  const auto f = [&](const std::vector<Tensor>& in) {
    std::size_t next = 4;
    const Tensor c0 = has_c0 ? in[next++] : Tensor();
    const Tensor bias = has_bias ? in[next++] : Tensor();
    return recurrent_sequence(in[0], in[1], c0, in[2], in[3], bias, options_of(c));
  };
  // hard_sigmoid's kinks at +-3 are far outside the pre-activations these weights produce.
  EXPECT_TRUE(check_gradients(f, inputs)) << c.label;
}

INSTANTIATE_TEST_SUITE_P(EveryCellAndOption, RecurrentOpCases, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.label; });

// A batch of 37 rows runs as three blocks of rows (13, 12, 12), each through every step on its own;
// the blocks must join into the same values and gradients as the cell written with unfused ops.
TEST_P(RecurrentOpCases, ABatchCutIntoRowBlocksMatchesTheCellWrittenWithUnfusedOps) {
  const Case c = GetParam();
  const Operands o = operands(c, 37, 4, 3, 5, 51);
  const std::vector<Tensor> sources = o.defined();
  const Tensor weights = random_tensor(Shape{gate_count(c.cell) == 4 ? 2 : 1, 37, 4, 5}, 57, -1, 1);
  auto run = [&](bool fused) {
    GradientTape tape;
    for (const Tensor& t : sources) tape.watch(t);
    const Tensor out = fused ? recurrent_sequence(o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias, options_of(c))
                             : reference(c, o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias);
    std::vector<Tensor> results = tape.gradient(sum(out * weights), sources);
    results.insert(results.begin(), out);
    return results;
  };
  const std::vector<Tensor> fused = run(true), expected = run(false);
  for (std::size_t i = 0; i < fused.size(); ++i) {
    EXPECT_TRUE(all_close(fused[i], expected[i].shape(), expected[i].to_vector(), 1e-12)) << c.label << " result " << i;
  }
}

// Every thread count runs the same blocks of rows through the same products, so the outputs, the
// gradients and the per-step norms the instruments see are the same bytes. The lstm of 320 units
// makes each block's step products large enough to be cut into tiles inside the block's task.
TEST(RecurrentOp, ResultsAreBitIdenticalWithAnyThreadCount) {
  struct Norms : RecurrentStepObserver {
    std::vector<double> seen;
    void on_state_gradient(const std::string&, int64_t, int64_t, double norm) override { seen.push_back(norm); }
  };
  std::vector<std::pair<Case, int64_t>> configurations;
  for (const Case& c : cases()) configurations.emplace_back(c, 16);
  configurations.emplace_back(Case{.cell = RecurrentCell::lstm, .label = "lstm_320_units"}, 320);
  for (const auto& [c, units] : configurations) {
    Operands o = operands(c, 40, 6, 8, units, 61);
    for (Tensor* t : {&o.x, &o.h0, &o.c0, &o.kernel, &o.recurrent, &o.bias}) {
      if (t->defined()) *t = t->to(DType::float32);
    }
    const std::vector<Tensor> sources = o.defined();
    auto run = [&](int threads) {
      BlasThreadsScope scope(threads);
      Norms norms;
      const ObserveRecurrentSteps observe(norms);
      GradientTape tape;
      for (const Tensor& t : sources) tape.watch(t);
      const Tensor out = recurrent_sequence(o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias, options_of(c));
      std::vector<Tensor> results = tape.gradient(sum(out * out), sources);
      results.insert(results.begin(), out);
      return std::pair{results, norms.seen};
    };
    const auto [one, one_norms] = run(1);
    ASSERT_EQ(one_norms.size(), 6u) << c.label;
    for (int threads : {2, 3}) {
      const auto [many, many_norms] = run(threads);
      EXPECT_EQ(one_norms, many_norms) << c.label << " with " << threads << " threads";
      for (std::size_t i = 0; i < one.size(); ++i) {
        const Tensor& a = one[i];
        const Tensor& b = many[i];
        ASSERT_EQ(a.shape(), b.shape());
        EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.numel() * dtype_size(a.dtype())), 0)
            << c.label << " result " << i << " with " << threads << " threads";
      }
    }
  }
}

TEST(RecurrentOp, RecordsOneNodeAndBackpropagatesAThousandSteps) {
  const Case c{.cell = RecurrentCell::lstm};
  const Operands o = operands(c, 2, 1000, 3, 4, 31);
  GradientTape tape;
  tape.watch(o.x);
  const Tensor out = recurrent_sequence(o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias, options_of(c));
  ASSERT_EQ(tape.nodes().size(), 1u);
  EXPECT_STREQ(tape.nodes()[0].op, "recurrent_sequence");
  const Tensor last = slice(out, {0, 0, 999, 0}, {1, -1, 1, -1});
  const Tensor dx = tape.gradient(sum(last), o.x);
  ASSERT_TRUE(dx.defined());
  EXPECT_EQ(dx.shape(), o.x.shape());
  // The last step's input reaches the last state; the first step's gradient is finite.
  EXPECT_NE(dx.at({0, 999, 0}), 0.0);
  EXPECT_TRUE(std::isfinite(dx.at({0, 0, 0})));
}

TEST(RecurrentOp, RefusesBadShapesWithClearErrors) {
  const Case c{.cell = RecurrentCell::lstm};
  const Operands o = operands(c, 2, 3, 3, 2, 41);
  const RecurrentSequenceOptions opts{.cell = RecurrentCell::lstm, .name = "lstm_7"};
  auto message = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message([&] { recurrent_sequence(random_tensor({2, 3}, 1), o.h0, o.c0, o.kernel, o.recurrent, o.bias, opts); }),
              HasSubstr("lstm_7: expected a sequence input of rank 3 [batch, time, features], got shape [2, 3]"));
  EXPECT_THAT(message([&] { recurrent_sequence(random_tensor({2, 0, 3}, 1), o.h0, o.c0, o.kernel, o.recurrent, o.bias, opts); }),
              HasSubstr("0 time steps"));
  // Three gates' worth of columns where an lstm needs four.
  EXPECT_THAT(message([&] {
                recurrent_sequence(o.x, o.h0, o.c0, random_tensor({3, 6}, 2), random_tensor({2, 6}, 3), Tensor(), opts);
              }),
              HasSubstr("4 gates"));
  EXPECT_THAT(message([&] { recurrent_sequence(o.x, o.h0, o.c0, o.kernel, random_tensor({2, 6}, 3), o.bias, opts); }),
              HasSubstr("recurrent_kernel is [2, 6]"));
  EXPECT_THAT(message([&] { recurrent_sequence(o.x, o.h0, o.c0, o.kernel, o.recurrent, random_tensor({6}, 4), opts); }),
              HasSubstr("bias is [6]"));
  EXPECT_THAT(message([&] { recurrent_sequence(o.x, o.h0, Tensor(), o.kernel, o.recurrent, o.bias, opts); }),
              HasSubstr("initial cell state"));
  RecurrentSequenceOptions softmax = opts;
  softmax.activation = "softmax";
  EXPECT_THAT(message([&] { recurrent_sequence(o.x, o.h0, o.c0, o.kernel, o.recurrent, o.bias, softmax); }),
              HasSubstr("not an element-wise activation"));
}

}  // namespace
}  // namespace gradlab
