// Data-parallel collectives on top of Replicas::exchange and broadcast (see train/replicas.h).
#include "gradlab/train/replicas.h"

#include <cstring>

#include "gradlab/error.h"

namespace gradlab {
namespace {

// Chunk c of n of a buffer of `length` elements: balanced, in order.
RowRange chunk(int64_t length, int c, int n) { return shard_rows(length, c, n); }

template <typename T>
void ring_sum(Replicas& replicas, std::span<T> values) {
  const int n = replicas.size();
  if (n <= 1) return;
  const int r = replicas.rank();
  const int next = (r + 1) % n, previous = (r + n - 1) % n;
  const auto length = static_cast<int64_t>(values.size());
  const auto part = [&](int c) {
    const RowRange range = chunk(length, ((c % n) + n) % n, n);
    return values.subspan(static_cast<std::size_t>(range.begin), static_cast<std::size_t>(range.size()));
  };
  std::vector<T> incoming(static_cast<std::size_t>((length + n - 1) / n));
  // Reduce-scatter: at step s replica r passes on chunk r - s and adds its own values to chunk
  // r - s - 1, so chunk c is summed as ((x_c + x_{c+1}) + x_{c+2}) + ... and ends, whole, on
  // replica c - 1.
  for (int s = 0; s < n - 1; ++s) {
    const std::span<T> out = part(r - s), in = part(r - s - 1);
    replicas.exchange(next, std::as_bytes(std::span<const T>(out)), previous,
                      std::as_writable_bytes(std::span<T>(incoming.data(), in.size())));
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = incoming[i] + in[i];
  }
  // All-gather: the summed chunks travel once around the ring, copied, never added again.
  for (int s = 0; s < n - 1; ++s) {
    const std::span<T> out = part(r + 1 - s), in = part(r - s);
    replicas.exchange(next, std::as_bytes(std::span<const T>(out)), previous, std::as_writable_bytes(in));
  }
}

template <typename T>
void sum_gradients_of(Replicas& replicas, std::vector<Tensor>& grads, const std::vector<Variable>& vars, double weight,
                      const std::vector<bool>& defined, DType dtype) {
  int64_t length = 0;
  for (const Variable& v : vars) {
    if (v.dtype() == dtype) length += v.value().numel();
  }
  if (length == 0) return;
  std::vector<T> buffer(static_cast<std::size_t>(length), T(0));
  int64_t at = 0;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (vars[i].dtype() != dtype) continue;
    const int64_t n = vars[i].value().numel();
    if (grads[i].defined()) {
      const T* g = grads[i].data<T>();
      for (int64_t k = 0; k < n; ++k) buffer[static_cast<std::size_t>(at + k)] = static_cast<T>(g[k] * weight);
    }
    at += n;
  }
  sum_over_replicas(replicas, std::span<T>(buffer));
  at = 0;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (vars[i].dtype() != dtype) continue;
    const int64_t n = vars[i].value().numel();
    if (defined[i]) {
      Tensor g = Tensor::empty(vars[i].shape(), dtype);
      std::memcpy(g.data<T>(), buffer.data() + at, static_cast<std::size_t>(n) * sizeof(T));
      grads[i] = g;
    } else {
      grads[i] = Tensor();
    }
    at += n;
  }
}

}  // namespace

RowRange shard_rows(int64_t rows, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size || rows < 0) {
    fail("shard_rows: replica {} of {} cannot take a share of {} rows", rank, size, rows);
  }
  const int64_t base = rows / size, longer = rows % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, longer);
  return {.begin = begin, .end = begin + base + (rank < longer ? 1 : 0)};
}

void sum_over_replicas(Replicas& replicas, std::span<float> values) { ring_sum(replicas, values); }
void sum_over_replicas(Replicas& replicas, std::span<double> values) { ring_sum(replicas, values); }

void sum_gradients(Replicas& replicas, std::vector<Tensor>& grads, const std::vector<Variable>& vars, double weight,
                   const std::vector<bool>& defined) {
  if (grads.size() != vars.size() || defined.size() != vars.size()) {
    fail("sum_gradients: {} gradients and {} definedness flags for {} variables", grads.size(), defined.size(), vars.size());
  }
  sum_gradients_of<float>(replicas, grads, vars, weight, defined, DType::float32);
  sum_gradients_of<double>(replicas, grads, vars, weight, defined, DType::float64);
}

std::string broadcast_text(Replicas& replicas, const std::string& text, int root) {
  uint64_t length = text.size();
  replicas.broadcast(std::as_writable_bytes(std::span<uint64_t>(&length, 1)), root);
  std::string out = replicas.rank() == root ? text : std::string(length, '\0');
  replicas.broadcast(std::as_writable_bytes(std::span<char>(out.data(), out.size())), root);
  return out;
}

void broadcast_variables(Replicas& replicas, const std::vector<Variable>& vars, int root) {
  if (replicas.size() <= 1) return;
  std::size_t length = 0;
  for (const Variable& v : vars) length += static_cast<std::size_t>(v.value().numel()) * dtype_size(v.dtype());
  if (length == 0) return;
  std::vector<std::byte> buffer(length);
  std::size_t at = 0;
  for (const Variable& v : vars) {
    const std::size_t n = static_cast<std::size_t>(v.value().numel()) * dtype_size(v.dtype());
    std::memcpy(buffer.data() + at, v.value().raw_data(), n);
    at += n;
  }
  replicas.broadcast(buffer, root);
  at = 0;
  for (const Variable& v : vars) {
    const std::size_t n = static_cast<std::size_t>(v.value().numel()) * dtype_size(v.dtype());
    Tensor value = Tensor::empty(v.shape(), v.dtype());
    std::memcpy(value.raw_data(), buffer.data() + at, n);
    Variable(v).assign(value);
    at += n;
  }
}

}  // namespace gradlab
