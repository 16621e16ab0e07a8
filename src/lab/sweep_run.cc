// Running a sweep: one configuration per worker thread, results handed to the caller's thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "gradlab/error.h"
#include "gradlab/lab/sweep.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/threads.h"

namespace gradlab {

SweepResult run_sweep_config(const SweepConfig& config, const FlowThresholds& thresholds, bool keep_pass) {
  // Exactly what `gradlab probe --seed <seed>` does with the same network (for a SkipNetwork: input
  // first, then the kernels, both from Rng(seed)), so any row can be looked at layer by layer with probe.
  Rng rng(config.seed);
  PassRecord pass;
  // Variable statistics are not reported (and the summary's depth axis, the weight layers, does not
  // need them), so the tape is not asked for the kernels' gradients.
  const ProbePassOptions options{.training = true, .detect_anomalies = true, .probe = {.variables = false}};
  if (config.spec) {
    // `gradlab probe --model`: the kernels from Rng(seed) as the model is built, the input from its
    // own stream (spec_variant_inputs).
    const SpecVariant& v = *config.spec;
    if (!v.spec) fail("sweep configuration '{}' has no model spec", config.id);
    const ModelSpec spec = apply_spec_overrides(*v.spec, v.overrides);
    const Model model = build_model(spec, {.dtype = v.dtype_or_default(), .rng = &rng});
    pass = probe_pass(model, spec_variant_inputs(v, config.seed), options);
  } else {
    const SkipNetworkOptions& o = config.network;
    const Tensor x = uniform({o.batch, o.input_features}, rng, 0.0, 1.0, o.dtype);
    const SkipNetwork network(o, rng);
    pass = probe_pass(
        [&network](const std::vector<Tensor>& xs, const CallOptions& call) { return std::vector<Tensor>{network(xs[0], call)}; },
        {x}, options);
  }
  const FlowSummary summary = summarize_flow(pass, thresholds);

  SweepResult r;
  r.config = config;
  r.input_grad_norm = pass.input_grad ? pass.input_grad->l2_norm : 0.0;
  r.layer_grad_norms = summary.grad_norms;
  r.first_to_last_ratio = summary.first_to_last_ratio;
  r.mean_gain = summary.mean_gain;
  r.verdict = summary.verdict;
  r.saturation_begins = summary.saturation_begins;
  r.dead_units_begin = summary.dead_units_begin;
  r.loss = pass.loss;
  if (pass.anomaly) r.anomaly = pass.anomaly->describe();
  if (keep_pass) r.pass = std::make_shared<const PassRecord>(std::move(pass));
  return r;
}

int64_t run_sweep(const std::vector<SweepConfig>& configs, const SweepOptions& options,
                  const SweepResultCallback& on_result, const SweepStopPredicate& should_stop) {
  if (configs.empty()) return 0;
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int workers = static_cast<int>(
      std::min<std::size_t>(configs.size(), static_cast<std::size_t>(options.workers > 0 ? options.workers : hardware)));

  // Each worker runs whole configurations; BLAS threads on top would only oversubscribe the cores.
  const BlasThreadsScope single_threaded_blas(1);

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<SweepResult> finished;
  std::exception_ptr failure;
  std::atomic<bool> stop{false};
  int running = workers;

  // Configurations are taken one at a time under `take`, asking should_stop first, so the predicate
  // is never called concurrently and decides exactly how many start.
  std::mutex take;
  std::size_t next = 0;
  const auto work = [&] {
    while (true) {
      std::size_t i = 0;
      {
        std::lock_guard lock(take);
        if (stop || next >= configs.size()) break;
        if (should_stop && should_stop()) {
          stop = true;
          break;
        }
        i = next++;
      }
      try {
        SweepResult r = run_sweep_config(configs[i], options.thresholds, options.keep_pass);
        std::lock_guard lock(mutex);
        finished.push_back(std::move(r));
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
      ready.notify_one();
    }
    std::lock_guard lock(mutex);
    --running;
    ready.notify_one();
  };

  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);

  int64_t delivered = 0;
  std::unique_lock lock(mutex);
  while (true) {
    // After a failure nothing more is delivered: only the workers' end is awaited, with the lock
    // released so they can finish.
    ready.wait_for(lock, std::chrono::milliseconds(20), [&] { return (!failure && !finished.empty()) || running == 0; });
    if (failure) finished.clear();
    while (!finished.empty() && !failure) {
      SweepResult r = std::move(finished.front());
      finished.pop_front();
      // The callback runs unlocked: it may write files or draw while the workers go on.
      lock.unlock();
      std::exception_ptr error;
      try {
        on_result(r);
        ++delivered;
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error) {
        if (!failure) failure = error;
        stop = true;
      }
    }
    if (running == 0) break;
  }
  lock.unlock();
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  return delivered;
}

}  // namespace gradlab
