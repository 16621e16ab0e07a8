#pragma once
/// Rng: a seeded counter-based random generator (Philox4x32-10, Salmon et al., SC'11 "Parallel
/// random numbers: as easy as 1, 2, 3"), the generator behind every random tensor and initializer.
///
/// Element i of a draw depends only on the seed, the generator's counter at the start of the draw
/// and i, so a draw gives the same values for the same seed whatever the thread count.
///
///   Rng rng(42);
///   Tensor w = uniform({10, 32}, rng, -0.1, 0.1);    // creation.h
///   Rng::State s = rng.state();  ...  rng.set_state(s);   // checkpoint and resume

#include <cstdint>

namespace gradlab {

/// Philox4x32-10 generator with a 64-bit key (the seed) and a 128-bit block counter.
///
/// Each block of the counter gives four 32-bit words. A draw of n values uses the blocks from the
/// current counter on and advances it by a fixed amount: ceil(n/4) blocks for uniform floats (24 bits
/// each), ceil(n/2) for uniform doubles (53 bits each) and for normals (one Box-Muller pair of 53-bit
/// uniforms per block), n for truncated normals (one block per value; its rare redraws come from
/// blocks 2^96 apart); one block for next_double and per attempt of next_below. Normals of either
/// type are computed in double, so a float draw is the rounded double draw. Big fills are split across
/// threads by block, which never changes the values.
class Rng {
 public:
  /// Everything needed to resume the stream exactly.
  struct State {
    uint64_t seed = 0;
    uint64_t counter_low = 0;
    uint64_t counter_high = 0;
    bool operator==(const State&) const = default;
  };

  explicit Rng(uint64_t seed = 0);

  uint64_t seed() const { return state_.seed; }
  State state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

  /// An independent generator for stream `stream`: its key is a 64-bit mix of (seed, stream) and its
  /// counter starts at 0, whatever this generator has drawn. For example one per sweep configuration
  /// or per trial.
  Rng fork(uint64_t stream) const;

  /// Fills `out[0..n)` with uniform values in [low, high).
  void uniform(float* out, int64_t n, double low, double high);
  void uniform(double* out, int64_t n, double low, double high);
  /// Elements [first, first + n) of the draw uniform(out, total, ...) would make, into out[0..n),
  /// advancing the counter as that whole draw does: each data-parallel replica draws its own rows of
  /// a batch's dropout mask this way. Error unless 0 <= first <= first + n <= total.
  void uniform_part(float* out, int64_t total, int64_t first, int64_t n, double low, double high);
  void uniform_part(double* out, int64_t total, int64_t first, int64_t n, double low, double high);
  /// Fills `out[0..n)` with normal values (Box-Muller).
  void normal(float* out, int64_t n, double mean, double stddev);
  void normal(double* out, int64_t n, double mean, double stddev);
  /// Fills `out[0..n)` with normal values, redrawing any beyond two standard deviations from the mean
  /// (tf.random.truncated_normal, used by Keras's TruncatedNormal and VarianceScaling).
  void truncated_normal(float* out, int64_t n, double mean, double stddev);
  void truncated_normal(double* out, int64_t n, double mean, double stddev);

  /// One uniform double in [0, 1) with 53 random bits.
  double next_double();
  /// One uniform integer in [0, bound) without modulo bias; bound must be positive.
  uint64_t next_below(uint64_t bound);

 private:
  State state_;
};

/// The calling thread's default generator, used by layers that are built without an explicit one.
/// Every thread's starts as Rng(0) until set_seed is called on that thread.
Rng& default_rng();
/// Reseeds the calling thread's default generator (as keras.utils.set_random_seed).
void set_seed(uint64_t seed);

}  // namespace gradlab
