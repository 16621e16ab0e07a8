#pragma once
/// Replicas: the processes of a data-parallel fit() (as Keras's MirroredStrategy and PyTorch's
/// DistributedDataParallel; on MPI in the gradlab command, docs/distributed.md). Every replica holds
/// the same model and optimizer state and walks the same batches; replica r takes its contiguous
/// share of each batch's rows (shard_rows), the gradients of the shares' losses are summed over the
/// replicas (each weighted by its share of the batch, so the sum is the whole batch's gradient), and
/// every replica applies the same update.
///
///   FitOptions o = ...;
///   o.replicas = &my_replicas;      // an MPI communicator's, or ThreadReplicas in tests
///   History h = fit(model, train, o);
///
/// The sum is a ring all-reduce (a reduce-scatter, then an all-gather; Patarasuk & Yuan 2009,
/// "Bandwidth optimal all-reduce algorithms for clusters of workstations", J. Parallel Distrib.
/// Comput. 69): each replica sends and receives 2 (n - 1) / n of the buffer, and each chunk is
/// summed once, by replicas in a fixed order that depends only on the replica count n, then copied.
/// So every replica holds the same bits, run after run, for a given n.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gradlab/autograd/variable.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The processes of a data-parallel run; see the file comment. Every call is collective: all
/// replicas make the same calls in the same order.
class Replicas {
 public:
  virtual ~Replicas() = default;
  /// This replica's index, 0 to size() - 1.
  virtual int rank() const = 0;
  /// The number of replicas.
  virtual int size() const = 0;
  /// Sends `send` to replica `to` while receiving `receive.size()` bytes from replica `from`
  /// (MPI_Sendrecv); the two may be this replica only when size() is 1.
  virtual void exchange(int to, std::span<const std::byte> send, int from, std::span<std::byte> receive) = 0;
  /// Replaces `bytes` on every replica by replica `root`'s (MPI_Bcast); every replica passes the same size.
  virtual void broadcast(std::span<std::byte> bytes, int root) = 0;
};

/// Rows [begin, end) of a batch.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

/// The rows of a batch of `rows` that replica `rank` of `size` takes: contiguous shares in rank
/// order, the first rows % size of them one row longer, so rank 0's is never empty when rows > 0.
RowRange shard_rows(int64_t rows, int rank, int size);

/// Replaces `values` on every replica by their elementwise sum over the replicas (the ring of the
/// file comment).
void sum_over_replicas(Replicas& replicas, std::span<float> values);
void sum_over_replicas(Replicas& replicas, std::span<double> values);

/// Sums gradients over the replicas: each replica's `grads` (its variables' gradients, in the same
/// order on every replica) scaled by `weight`, with an undefined gradient counting as zeros. A
/// gradient is defined afterwards where `defined[i]` (the same on every replica) says so.
void sum_gradients(Replicas& replicas, std::vector<Tensor>& grads, const std::vector<Variable>& vars, double weight,
                   const std::vector<bool>& defined);

/// Replica `root`'s `text` on every replica.
std::string broadcast_text(Replicas& replicas, const std::string& text, int root);

/// Copies replica `root`'s values of `vars` to every replica (PyTorch's DistributedDataParallel
/// broadcasts its buffers, such as batch normalization's moving statistics, from rank 0 this way).
void broadcast_variables(Replicas& replicas, const std::vector<Variable>& vars, int root);

}  // namespace gradlab
