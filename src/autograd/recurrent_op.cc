#include "gradlab/autograd/recurrent_op.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include <fmt/ranges.h>

#include "autograd/activation_table.h"
#include "autograd/op_checks.h"
#include "gradlab/autograd/record.h"
#include "kernels/blas.h"
#include "kernels/parallel.h"

namespace gradlab {
namespace {

thread_local std::vector<RecurrentStepObserver*> step_observers;

// Σ g² of a block of rows, summed in double.
template <typename T>
double squared_norm(const T* g, int64_t count) {
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) sum += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return sum;
}

// Rows of the batch one task carries through every step. The rows of a batch are independent until
// the weight gradients, which are single products over all rows afterwards, so each block of rows
// runs its whole recurrence (its per-step products and gate arithmetic) on one thread, and the
// blocks share the pool with no synchronization per step. Blocks of about 16 rows: on an AVX2 Zen 3,
// oneDNN's sgemm took 33 µs for a 16-row lstm step of 128 units (16 x 128 by 128 x 512) against
// 76 µs for 32 rows, and 28.5 against 51.5 µs for the backward step's product. The cut depends on
// the batch size alone, so every row meets the same products whatever the thread count.
constexpr int64_t kRowsPerBlock = 16;

struct RowBlocks {
  int64_t count, rows;  // blocks, and rows in each (the last may have fewer)
  int64_t begin(int64_t block) const { return block * rows; }
  int64_t size(int64_t block, int64_t n) const { return std::min(rows, n - block * rows); }
};

RowBlocks row_blocks(int64_t n) {
  const int64_t even = std::max<int64_t>(1, (n + kRowsPerBlock - 1) / kRowsPerBlock);
  const int64_t rows = std::max<int64_t>(1, (n + even - 1) / even);
  return {(n + rows - 1) / rows, rows};
}

// Runs body(block, first_row, rows) for every block of `blocks` (row_blocks(n)) on the pool; an
// exception from any block is rethrown here, on the calling thread, after every block has finished.
template <typename Body>
void for_each_row_block(const RowBlocks& blocks, int64_t n, const Body& body) {
  std::exception_ptr failure;
  std::mutex failure_lock;
  kernels::parallel_for(blocks.count, kernels::blas_threads(), [&](int64_t block) {
    try {
      body(block, blocks.begin(block), blocks.size(block, n));
    } catch (...) {
      const std::lock_guard lock(failure_lock);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
}

using detail::Fused;
using detail::SlopeFrom;

// Everything the forward pass and BPTT need to know about one call.
struct Plan {
  RecurrentCell cell;
  Fused activation;
  Fused recurrent_activation;
  bool reset_after;
  bool go_backwards;
  bool has_bias;
  bool keep_pre;  // the gate pre-activations are kept: some activation's slope needs them
  int64_t n, steps, features, units, gates;
  int64_t gu() const { return gates * units; }
  // The input step that processing step t reads (Keras's go_backwards reverses the input).
  int64_t source(int64_t t) const { return go_backwards ? steps - 1 - t : t; }
  bool gru_reset_after() const { return cell == RecurrentCell::gru && reset_after; }
  bool gru_reset_before() const { return cell == RecurrentCell::gru && !reset_after; }
};

// The forward results backward reads. Buffers shaped [N, T, ...] are in processing order.
struct Saved {
  Tensor x, h0, c0, kernel, recurrent_kernel;
  Tensor out;    // [S, N, T, U]: h_t (and c_t for lstm)
  Tensor gates;  // [N, T, G·U] activated gates (lstm, gru)
  Tensor pre;    // [N, T, G·U] pre-activations, when plan.keep_pre
  Tensor extra;  // [N, T, U]: lstm f(c_t); gru reset_after h U_h + b_h; gru reset-before r ⊙ h_{t-1}
};

Fused element_wise(std::string_view name, std::string_view layer, const char* role) {
  const std::optional<Fused> a = detail::fused_activation(name);
  if (!a) {
    fail("{}: {} '{}' is not an element-wise activation (linear, relu, sigmoid, tanh, ...)", layer, role, name);
  }
  return *a;
}

Plan make_plan(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
               const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentSequenceOptions& o) {
  const std::string_view name = o.name;
  if (!x.defined() || !h0.defined() || !kernel.defined() || !recurrent_kernel.defined()) {
    fail("{}: the input, initial state, kernel and recurrent kernel must be defined tensors", name);
  }
  if (x.rank() != 3) {
    fail("{}: expected a sequence input of rank 3 [batch, time, features], got shape {}", name,
         x.shape().to_string());
  }
  if (x.dim(1) == 0) fail("{}: the input sequence has 0 time steps; a recurrent layer needs at least 1", name);
  Plan p{};
  p.cell = o.cell;
  p.activation = element_wise(o.activation, name, "activation");
  p.recurrent_activation = element_wise(o.recurrent_activation, name, "recurrent_activation");
  p.reset_after = o.reset_after;
  p.go_backwards = o.go_backwards;
  p.has_bias = bias.defined();
  p.keep_pre = detail::slope_from(p.activation) == SlopeFrom::pre_activation ||
               (o.cell != RecurrentCell::simple_rnn && detail::slope_from(p.recurrent_activation) == SlopeFrom::pre_activation);
  p.n = x.dim(0);
  p.steps = x.dim(1);
  p.features = x.dim(2);
  p.gates = gate_count(o.cell);
  for (const Tensor* t : {&h0, &kernel, &recurrent_kernel}) detail::require_same_dtype(x, *t, "recurrent_sequence");
  if (kernel.rank() != 2 || kernel.dim(0) != p.features || kernel.dim(1) % p.gates != 0 || kernel.dim(1) == 0) {
    fail("{}: kernel is {} but a {} over {} features needs (features, {}·units) = ({}, {}·units): {} gates", name,
         kernel.shape().to_string(), cell_name(o.cell), p.features, p.gates, p.features, p.gates, p.gates);
  }
  p.units = kernel.dim(1) / p.gates;
  if (recurrent_kernel.shape() != Shape{p.units, p.gu()}) {
    fail("{}: recurrent_kernel is {} but a {} of {} units needs ({}, {}) ({} gates)", name,
         recurrent_kernel.shape().to_string(), cell_name(o.cell), p.units, p.units, p.gu(), p.gates);
  }
  if (p.has_bias) {
    detail::require_same_dtype(x, bias, "recurrent_sequence");
    const Shape want = p.gru_reset_after() ? Shape{2, p.gu()} : Shape{p.gu()};
    if (bias.shape() != want) {
      fail("{}: bias is {} but a {} of {} units{} needs {}", name, bias.shape().to_string(), cell_name(o.cell),
           p.units, p.gru_reset_after() ? " with reset_after" : "", want.to_string());
    }
  }
  if (h0.shape() != Shape{p.n, p.units}) {
    fail("{}: initial state is {} but the batch of {} and {} units need [{}, {}]", name, h0.shape().to_string(), p.n,
         p.units, p.n, p.units);
  }
  if (o.cell == RecurrentCell::lstm) {
    if (!c0.defined()) fail("{}: an lstm needs an initial cell state", name);
    detail::require_same_dtype(x, c0, "recurrent_sequence");
    if (c0.shape() != Shape{p.n, p.units}) {
      fail("{}: initial cell state is {} but the batch of {} and {} units need [{}, {}]", name,
           c0.shape().to_string(), p.n, p.units, p.n, p.units);
    }
  } else if (c0.defined()) {
    fail("{}: a {} has one state; got an initial cell state", name, cell_name(o.cell));
  }
  return p;
}

// ---- forward ----

template <typename T>
void run_forward(const Plan& p, Saved& s, const Tensor& bias) {
  const int64_t N = p.n, TT = p.steps, F = p.features, U = p.units, GU = p.gu();
  const T* W = s.kernel.data<T>();
  const T* R = s.recurrent_kernel.data<T>();
  const T* b = p.has_bias ? bias.data<T>() : nullptr;
  const T* rb = p.has_bias && p.gru_reset_after() ? b + GU : nullptr;  // the recurrent bias row
  T* H = s.out.data<T>();
  T* C = p.cell == RecurrentCell::lstm ? H + N * TT * U : nullptr;
  T* A = s.gates.defined() ? s.gates.data<T>() : nullptr;
  T* P = s.pre.defined() ? s.pre.data<T>() : nullptr;
  T* E = s.extra.defined() ? s.extra.data<T>() : nullptr;

  // The input products of every step at once, with the (input) bias: xw [N·T, G·U] in input order.
  Tensor xw_tensor = Tensor::empty(Shape{N * TT, GU}, s.x.dtype());
  T* xw = xw_tensor.data<T>();
  kernels::gemm<T>(false, false, N * TT, GU, F, s.x.data<T>(), W, xw);
  if (b) {
    for (int64_t r = 0; r < N * TT; ++r) {
      T* row = xw + r * GU;
      for (int64_t j = 0; j < GU; ++j) row[j] += b[j];
    }
  }
  const Fused f = p.activation, sg = p.recurrent_activation;
  const int64_t rec_cols = p.gru_reset_before() ? 2 * U : GU;

  for_each_row_block(row_blocks(N), N, [&](int64_t, int64_t n0, int64_t rows) {
    std::vector<T> rec(static_cast<std::size_t>(rows * GU));
    std::vector<T> scratch(static_cast<std::size_t>(GU));
    for (int64_t t = 0; t < TT; ++t) {
      const int64_t src = p.source(t);
      const T* hprev = t == 0 ? s.h0.data<T>() : H + (t - 1) * U;
      const int64_t ldh = t == 0 ? U : TT * U;
      const int64_t at = t * GU;  // offset of step t in a [N, T, G·U] row
      auto pre_row = [&](int64_t n) { return P ? P + n * TT * GU + at : scratch.data(); };
      auto xw_row = [&](int64_t n) { return xw + (n * TT + src) * GU; };
      auto h_row = [&](int64_t n) { return H + n * TT * U + t * U; };
      auto rec_row = [&](int64_t n) { return rec.data() + (n - n0) * GU; };
      kernels::gemm<T>(false, false, rows, rec_cols, U, T(1), hprev + n0 * ldh, ldh, R, GU, T(0), rec.data(), GU);
      for (int64_t n = n0; n < n0 + rows; ++n) {
        T* z = pre_row(n);
        const T* xr = xw_row(n);
        const T* rr = rec_row(n);
        const T* hp = hprev + n * ldh;
        T* h = h_row(n);
        switch (p.cell) {
          case RecurrentCell::simple_rnn: {
            for (int64_t j = 0; j < U; ++j) z[j] = xr[j] + rr[j];
            detail::activate(f, z, h, U);
            break;
          }
          case RecurrentCell::lstm: {
            T* a = A + n * TT * GU + at;
            for (int64_t j = 0; j < GU; ++j) z[j] = xr[j] + rr[j];
            detail::activate(sg, z, a, 2 * U);
            detail::activate(f, z + 2 * U, a + 2 * U, U);
            detail::activate(sg, z + 3 * U, a + 3 * U, U);
            const T* cp = t == 0 ? s.c0.data<T>() + n * U : C + n * TT * U + (t - 1) * U;
            T* c = C + n * TT * U + t * U;
            for (int64_t j = 0; j < U; ++j) c[j] = a[U + j] * cp[j] + a[j] * a[2 * U + j];
            T* fc = E + n * TT * U + t * U;
            detail::activate(f, c, fc, U);
            for (int64_t j = 0; j < U; ++j) h[j] = a[3 * U + j] * fc[j];
            break;
          }
          case RecurrentCell::gru: {
            T* a = A + n * TT * GU + at;
            for (int64_t j = 0; j < 2 * U; ++j) z[j] = xr[j] + rr[j] + (rb ? rb[j] : T(0));
            detail::activate(sg, z, a, 2 * U);
            if (p.reset_after) {
              T* rh = E + n * TT * U + t * U;  // h U_h + b_h, which the reset gate scales
              for (int64_t j = 0; j < U; ++j) rh[j] = rr[2 * U + j] + (rb ? rb[2 * U + j] : T(0));
              for (int64_t j = 0; j < U; ++j) z[2 * U + j] = xr[2 * U + j] + a[U + j] * rh[j];
              detail::activate(f, z + 2 * U, a + 2 * U, U);
              for (int64_t j = 0; j < U; ++j) h[j] = a[j] * hp[j] + (T(1) - a[j]) * a[2 * U + j];
            } else {
              T* rh = E + n * TT * U + t * U;  // r ⊙ h_{t-1}, multiplied by U_h below
              for (int64_t j = 0; j < U; ++j) rh[j] = a[U + j] * hp[j];
            }
            break;
          }
        }
      }
      if (p.gru_reset_before()) {
        kernels::gemm<T>(false, false, rows, U, U, T(1), E + n0 * TT * U + t * U, TT * U, R + 2 * U, GU, T(0),
                         rec.data() + 2 * U, GU);
        for (int64_t n = n0; n < n0 + rows; ++n) {
          T* z = pre_row(n);
          T* a = A + n * TT * GU + at;
          const T* xr = xw_row(n);
          const T* rr = rec_row(n);
          const T* hp = hprev + n * ldh;
          for (int64_t j = 0; j < U; ++j) z[2 * U + j] = xr[2 * U + j] + rr[2 * U + j];
          detail::activate(f, z + 2 * U, a + 2 * U, U);
          T* h = h_row(n);
          for (int64_t j = 0; j < U; ++j) h[j] = a[j] * hp[j] + (T(1) - a[j]) * a[2 * U + j];
        }
      }
    }
  });
}

// ---- backward (BPTT) ----

// Column sums of a [rows, cols] matrix into out (cols).
template <typename T>
void column_sums(const T* m, int64_t rows, int64_t cols, T* out) {
  std::fill(out, out + cols, T(0));
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = m + r * cols;
    for (int64_t j = 0; j < cols; ++j) out[j] += row[j];
  }
}

// The buffers each step's gate arithmetic reads and writes never overlap; saying so (restrict) lets
// the compiler vectorize these loops, which it otherwise keeps scalar for fear of aliasing.

// The lstm's gate gradients o = [di, df, dg, do] (before the gates' slopes) and the cell-state
// gradient dc_{t-1} (into dc), from dL/dh_t (d), the gates a, c_{t-1}, f(c_t), the output gradient of
// c_t (gc), dL/dc_t through h_t (through_h) and dc from the later steps.
template <typename T>
void lstm_gate_gradients(int64_t U, const T* __restrict d, const T* __restrict a, const T* __restrict cp,
                         const T* __restrict fc, const T* __restrict gc, const T* __restrict through_h,
                         T* __restrict dc, T* __restrict o) {
  for (int64_t j = 0; j < U; ++j) {
    const T dct = gc[j] + dc[j] + through_h[j];
    o[j] = dct * a[2 * U + j];
    o[U + j] = dct * cp[j];
    o[2 * U + j] = dct * a[j];
    o[3 * U + j] = d[j] * fc[j];
    dc[j] = dct * a[U + j];
  }
}

// The gru's update and candidate gate gradients (before the gates' slopes) and the share of
// dL/dh_{t-1} that skips the products (direct), from dL/dh_t (d), the gates a and h_{t-1}.
template <typename T>
void gru_gate_gradients(int64_t U, const T* __restrict d, const T* __restrict a, const T* __restrict hp,
                        T* __restrict direct, T* __restrict o) {
  for (int64_t j = 0; j < U; ++j) {
    o[j] = d[j] * (hp[j] - a[2 * U + j]);
    o[2 * U + j] = d[j] * (T(1) - a[j]);
    direct[j] = d[j] * a[j];
  }
}

// Gradients of x, h0, c0, kernel, recurrent_kernel, bias (undefined where not needed).
template <typename T>
std::vector<Tensor> run_backward(const Plan& p, const Saved& s, const std::string& layer, const Tensor& grad,
                                 std::span<const bool> needs) {
  const int64_t N = p.n, TT = p.steps, F = p.features, U = p.units, GU = p.gu();
  const T* R = s.recurrent_kernel.data<T>();
  const T* H = s.out.data<T>();
  const T* C = p.cell == RecurrentCell::lstm ? H + N * TT * U : nullptr;
  const T* A = s.gates.defined() ? s.gates.data<T>() : nullptr;
  const T* P = s.pre.defined() ? s.pre.data<T>() : nullptr;
  const T* E = s.extra.defined() ? s.extra.data<T>() : nullptr;
  const T* GH = grad.data<T>();
  const T* GC = p.cell == RecurrentCell::lstm ? GH + N * TT * U : nullptr;
  const Fused f = p.activation, sg = p.recurrent_activation;

  // Gate gradients in input order (so the kernel and input gradients are single products):
  // dz for the input product; dzr for the recurrent product where it differs (gru reset_after).
  Tensor dz_tensor = Tensor::empty(Shape{N * TT, GU}, s.x.dtype());
  Tensor dzr_tensor = p.gru_reset_after() ? Tensor::empty(Shape{N * TT, GU}, s.x.dtype()) : Tensor();
  T* dz = dz_tensor.data<T>();
  T* DZR = p.gru_reset_after() ? dzr_tensor.data<T>() : dz;
  // The state each step's recurrent product read ([N, T, U], input order): h_{t-1}; and r ⊙ h_{t-1}
  // for gru reset-before.
  Tensor hprev_tensor = Tensor::empty(Shape{N * TT, U}, s.x.dtype());
  T* hprev_all = hprev_tensor.data<T>();
  std::vector<T> rh_all(p.gru_reset_before() ? static_cast<std::size_t>(N * TT * U) : 0);
  std::vector<T> dh(static_cast<std::size_t>(N * U), T(0));  // dL/dh_{t} from later steps
  std::vector<T> dc(p.cell == RecurrentCell::lstm ? static_cast<std::size_t>(N * U) : 0, T(0));
  // Each block's share of Σ (∂L/∂h_t)² per step, for the observers, which are this thread's.
  const bool observed = !step_observers.empty();
  const RowBlocks blocks = row_blocks(N);
  std::vector<double> squares(observed ? static_cast<std::size_t>(blocks.count * TT) : 0);
  const int64_t rec_cols = p.gru_reset_before() ? 2 * U : GU;

  for_each_row_block(blocks, N, [&](int64_t block, int64_t n0, int64_t rows) {
    std::vector<T> dht(static_cast<std::size_t>(rows * U));     // the full dL/dh_t
    std::vector<T> direct(static_cast<std::size_t>(rows * U));  // dL/dh_{t-1} not through the products
    std::vector<T> row(static_cast<std::size_t>(U));
    std::vector<T> drh(p.gru_reset_before() ? static_cast<std::size_t>(rows * U) : 0);  // d(r ⊙ h_{t-1})
    T* dhb = dh.data() + n0 * U;
    for (int64_t t = TT - 1; t >= 0; --t) {
      const int64_t src = p.source(t);
      const T* hprev = t == 0 ? s.h0.data<T>() : H + (t - 1) * U;
      const int64_t ldh = t == 0 ? U : TT * U;
      for (int64_t i = 0; i < rows; ++i) {
        const int64_t n = n0 + i;
        const T* g = GH + n * TT * U + t * U;
        for (int64_t j = 0; j < U; ++j) dht[i * U + j] = g[j] + dhb[i * U + j];
        std::copy(hprev + n * ldh, hprev + n * ldh + U, hprev_all + (n * TT + src) * U);
      }
      if (observed) squares[block * TT + t] = squared_norm(dht.data(), rows * U);
      for (int64_t i = 0; i < rows; ++i) {
        const int64_t n = n0 + i;
        const T* d = dht.data() + i * U;
        T* o = dz + (n * TT + src) * GU;
        const T* z = P ? P + n * TT * GU + t * GU : nullptr;
        const T* hp = hprev + n * ldh;
        switch (p.cell) {
          case RecurrentCell::simple_rnn:
            detail::activation_slope(f, d, z, H + n * TT * U + t * U, o, U);
            break;
          case RecurrentCell::lstm: {
            const T* a = A + n * TT * GU + t * GU;
            const T* c = C + n * TT * U + t * U;
            const T* cp = t == 0 ? s.c0.data<T>() + n * U : C + n * TT * U + (t - 1) * U;
            const T* fc = E + n * TT * U + t * U;
            const T* gc = GC + n * TT * U + t * U;
            T* dcn = dc.data() + n * U;
            for (int64_t j = 0; j < U; ++j) row[j] = d[j] * a[3 * U + j];
            detail::activation_slope(f, row.data(), c, fc, row.data(), U);
            lstm_gate_gradients(U, d, a, cp, fc, gc, row.data(), dcn, o);
            detail::activation_slope(sg, o, z, a, o, 2 * U);
            detail::activation_slope(f, o + 2 * U, z ? z + 2 * U : nullptr, a + 2 * U, o + 2 * U, U);
            detail::activation_slope(sg, o + 3 * U, z ? z + 3 * U : nullptr, a + 3 * U, o + 3 * U, U);
            break;
          }
          case RecurrentCell::gru: {
            const T* a = A + n * TT * GU + t * GU;
            gru_gate_gradients(U, d, a, hp, direct.data() + i * U, o);
            detail::activation_slope(f, o + 2 * U, z ? z + 2 * U : nullptr, a + 2 * U, o + 2 * U, U);
            if (p.reset_after) {
              const T* rh = E + n * TT * U + t * U;
              T* orr = DZR + (n * TT + src) * GU;
              for (int64_t j = 0; j < U; ++j) {
                o[U + j] = o[2 * U + j] * rh[j];
                orr[2 * U + j] = o[2 * U + j] * a[U + j];
              }
              detail::activation_slope(sg, o, z, a, o, 2 * U);
              std::copy(o, o + 2 * U, orr);
            } else {
              const T* rh = E + n * TT * U + t * U;
              std::copy(rh, rh + U, rh_all.data() + (n * TT + src) * U);
            }
            break;
          }
        }
      }
      if (p.gru_reset_before()) {
        // d(r ⊙ h_{t-1}) = dz_h U_h^T, then the reset gate's and h_{t-1}'s shares of it.
        kernels::gemm<T>(false, true, rows, U, U, T(1), dz + (n0 * TT + src) * GU + 2 * U, TT * GU, R + 2 * U, GU,
                         T(0), drh.data(), U);
        for (int64_t i = 0; i < rows; ++i) {
          const int64_t n = n0 + i;
          T* o = dz + (n * TT + src) * GU;
          const T* a = A + n * TT * GU + t * GU;
          const T* z = P ? P + n * TT * GU + t * GU : nullptr;
          const T* hp = hprev + n * ldh;
          for (int64_t j = 0; j < U; ++j) {
            o[U + j] = drh[i * U + j] * hp[j];
            direct[i * U + j] += drh[i * U + j] * a[U + j];
          }
          detail::activation_slope(sg, o, z, a, o, 2 * U);
        }
      }
      // dL/dh_{t-1} through the recurrent product (and the gru's direct path).
      kernels::gemm<T>(false, true, rows, U, rec_cols, T(1), DZR + (n0 * TT + src) * GU, TT * GU, R, GU, T(0), dhb,
                       U);
      if (p.cell == RecurrentCell::gru) {
        for (int64_t i = 0; i < rows * U; ++i) dhb[i] += direct[i];
      }
    }
  });
  // The observers see each step's norm over the whole batch, the blocks' shares summed in block order.
  for (int64_t t = TT - 1; observed && t >= 0; --t) {
    double sum = 0;
    for (int64_t block = 0; block < blocks.count; ++block) sum += squares[block * TT + t];
    for (RecurrentStepObserver* o : step_observers) o->on_state_gradient(layer, t, TT, std::sqrt(sum));
  }

  std::vector<Tensor> grads(6);
  if (needs[0]) {
    grads[0] = Tensor::empty(s.x.shape(), s.x.dtype());
    kernels::gemm<T>(false, true, N * TT, F, GU, dz, s.kernel.data<T>(), grads[0].data<T>());
  }
  if (needs[1]) {
    grads[1] = Tensor::empty(s.h0.shape(), s.h0.dtype());
    std::copy(dh.begin(), dh.end(), grads[1].data<T>());
  }
  if (needs[2] && p.cell == RecurrentCell::lstm) {
    grads[2] = Tensor::empty(s.c0.shape(), s.c0.dtype());
    std::copy(dc.begin(), dc.end(), grads[2].data<T>());
  }
  if (needs[3]) {
    grads[3] = Tensor::empty(s.kernel.shape(), s.kernel.dtype());
    kernels::gemm<T>(true, false, F, GU, N * TT, s.x.data<T>(), dz, grads[3].data<T>());
  }
  if (needs[4]) {
    grads[4] = Tensor::empty(s.recurrent_kernel.shape(), s.recurrent_kernel.dtype());
    T* dR = grads[4].data<T>();
    if (p.gru_reset_before()) {
      kernels::gemm<T>(true, false, U, 2 * U, N * TT, T(1), hprev_all, U, dz, GU, T(0), dR, GU);
      kernels::gemm<T>(true, false, U, U, N * TT, T(1), rh_all.data(), U, dz + 2 * U, GU, T(0), dR + 2 * U, GU);
    } else {
      kernels::gemm<T>(true, false, U, GU, N * TT, hprev_all, DZR, dR);
    }
  }
  if (needs[5] && p.has_bias) {
    const Shape shape = p.gru_reset_after() ? Shape{2, GU} : Shape{GU};
    grads[5] = Tensor::empty(shape, s.x.dtype());
    T* db = grads[5].data<T>();
    column_sums(dz, N * TT, GU, db);
    if (p.gru_reset_after()) column_sums(DZR, N * TT, GU, db + GU);
  }
  return grads;
}

}  // namespace

int64_t gate_count(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::simple_rnn: return 1;
    case RecurrentCell::lstm: return 4;
    case RecurrentCell::gru: return 3;
  }
  return 1;
}

std::string_view cell_name(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::simple_rnn: return "simple_rnn";
    case RecurrentCell::lstm: return "lstm";
    case RecurrentCell::gru: return "gru";
  }
  return "simple_rnn";
}

std::vector<std::string> recurrent_cell_names() {
  std::vector<std::string> names;
  for (RecurrentCell cell : kRecurrentCells) names.emplace_back(cell_name(cell));
  return names;
}

RecurrentCell parse_recurrent_cell(std::string_view name) {
  for (RecurrentCell cell : kRecurrentCells) {
    if (cell_name(cell) == name) return cell;
  }
  fail("unknown recurrent cell '{}' (known: {})", name, fmt::join(recurrent_cell_names(), ", "));
}

Tensor recurrent_sequence(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                          const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentSequenceOptions& options) {
  const Plan p = make_plan(x, h0, c0, kernel, recurrent_kernel, bias, options);
  const int64_t states = p.cell == RecurrentCell::lstm ? 2 : 1;
  const DType dtype = x.dtype();
  Saved s{x, h0, c0, kernel, recurrent_kernel, Tensor::empty(Shape{states, p.n, p.steps, p.units}, dtype), {}, {}, {}};
  if (p.cell != RecurrentCell::simple_rnn) s.gates = Tensor::empty(Shape{p.n, p.steps, p.gu()}, dtype);
  if (p.keep_pre) s.pre = Tensor::empty(Shape{p.n, p.steps, p.gu()}, dtype);
  if (p.cell != RecurrentCell::simple_rnn) s.extra = Tensor::empty(Shape{p.n, p.steps, p.units}, dtype);
  dispatch(dtype, [&](auto tag) { run_forward<decltype(tag)>(p, s, bias); });
  const Tensor out = s.out;
  if (should_record({x, h0, c0, kernel, recurrent_kernel, bias})) {
    record("recurrent_sequence", {x, h0, c0, kernel, recurrent_kernel, bias}, out,
           [p, s = std::move(s), layer = current_layer()](const Tensor& g, std::span<const bool> needs) {
             std::vector<Tensor> grads;
             dispatch(g.dtype(), [&](auto tag) { grads = run_backward<decltype(tag)>(p, s, layer, g, needs); });
             return grads;
           });
  }
  return out;
}

ObserveRecurrentSteps::ObserveRecurrentSteps(RecurrentStepObserver& observer) : observer_(&observer) {
  step_observers.push_back(observer_);
}

ObserveRecurrentSteps::~ObserveRecurrentSteps() { std::erase(step_observers, observer_); }

}  // namespace gradlab
