// Running a sweep: one configuration per worker thread, results handed to the caller's thread.
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "gradlab/error.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/tensor/threads.h"

namespace gradlab {

std::optional<SweepTimeAxis> sweep_time_axis(const ThroughTimeRecord& record) {
  if (record.layers.empty()) return std::nullopt;
  const RecurrentLayerThroughTime& bottom = record.layers.front();
  const RecurrentLayerThroughTime& top = record.layers.back();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SweepTimeAxis a{.time_steps = bottom.time_steps,
                  .recurrent_layers = static_cast<int64_t>(record.layers.size()),
                  .first_step_grad_norm = bottom.grad_norm.empty() ? nan : bottom.grad_norm.front(),
                  .last_step_grad_norm = top.grad_norm.empty() ? nan : top.grad_norm.back(),
                  .first_to_last_ratio = record.first_to_last_ratio,
                  .gain_per_step = bottom.grad_norm.empty() ? nan : bottom.gain_per_step,
                  .verdict = record.verdict,
                  .spectral_radius = bottom.spectrum.gates.empty() ? nan : 0.0,
                  .largest_singular_value = bottom.spectrum.gates.empty() ? nan : 0.0,
                  .pascanu_bound = bottom.spectrum.pascanu_bound,
                  .vanishing_guaranteed = bottom.spectrum.vanishing_guaranteed,
                  .forget_gate_near_zero = nan,
                  .forget_gate_near_one = nan};
  for (const GateSpectrum& g : bottom.spectrum.gates) {
    a.spectral_radius = std::max(a.spectral_radius, g.spectral_radius);
    a.largest_singular_value = std::max(a.largest_singular_value, g.largest_singular_value);
  }
  for (const GateSaturation& g : bottom.gates) {
    if (g.gate == "f" && bottom.cell == "lstm") {
      a.forget_gate_near_zero = g.near_zero;
      a.forget_gate_near_one = g.near_one;
    }
  }
  return a;
}

SweepResult run_sweep_config(const SweepConfig& config, const FlowThresholds& thresholds, bool keep_pass) {
  // Exactly what `gradlab probe --seed <seed>` does with the same network (probe_configuration.h), so
  // any row can be looked at layer by layer with probe.
  ProbeSubject subject;
  if (config.spec) {
    if (!config.spec->spec) fail("sweep configuration '{}' has no model spec", config.id);
    subject = spec_variant_subject(*config.spec, config.seed);
  } else if (config.recurrent) {
    auto rng = std::make_shared<Rng>(config.seed);
    const Tensor x = draw_recurrent_input(*config.recurrent, InputDistribution::uniform, *rng);
    subject = recurrent_network_subject(*config.recurrent, x, rng);
  } else {
    auto rng = std::make_shared<Rng>(config.seed);
    const Tensor x = draw_probe_input(config.network, InputDistribution::uniform, *rng);
    subject = skip_network_subject(config.network, x, rng);
    subject.more_inputs = more_probe_inputs(config.network, InputDistribution::uniform, config.seed);
  }
  // Variable statistics are not reported (and the summary's depth axis, the weight layers, does not
  // need them), so the tape is not asked for the kernels' gradients.
  ConfigurationProbe probe = probe_subject(
      subject, {.pass = {.training = true,
                         .detect_anomalies = true,
                         .probe = {.variables = false},
                         .loss = config.probe_loss,
                         .projection_seed = config.seed},
                .thresholds = thresholds,
                .check_underflow = false});
  PassRecord& pass = probe.pass;
  const FlowSummary& summary = probe.summary;

  SweepResult r;
  r.config = config;
  r.input_grad_norm = pass.input_grad ? pass.input_grad->l2_norm : 0.0;
  r.layer_grad_norms = summary.grad_norms;
  r.first_to_last_ratio = summary.first_to_last_ratio;
  r.mean_gain = summary.mean_gain;
  r.squared_gain = summary.squared_gain;
  r.depth_scale = summary.depth_scale;
  r.verdict = summary.verdict;
  r.saturation_begins = summary.saturation_begins;
  r.dead_units_begin = summary.dead_units_begin;
  r.loss = pass.loss;
  r.probe_loss = pass.loss_kind;
  if (pass.anomaly) r.anomaly = pass.anomaly->describe();
  r.time_axis = sweep_time_axis(probe.through_time);
  if (config.recurrent && r.time_axis) {
    r.verdict = r.time_axis->verdict;
    r.first_to_last_ratio = r.time_axis->first_to_last_ratio;
  }
  if (keep_pass && !probe.through_time.layers.empty()) {
    r.through_time = std::make_shared<const ThroughTimeRecord>(std::move(probe.through_time));
  }
  if (keep_pass) r.pass = std::make_shared<const PassRecord>(std::move(pass));
  return r;
}

int usable_cpus() {
  // The CPUs this process may run on: fewer than the machine's under taskset, a cgroup's cpuset, or an
  // MPI launcher that binds each rank to its cores.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int64_t run_sweep(const std::vector<SweepConfig>& configs, const SweepOptions& options,
                  const SweepResultCallback& on_result, const SweepStopPredicate& should_stop) {
  if (configs.empty()) return 0;
  const int hardware = usable_cpus();
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
