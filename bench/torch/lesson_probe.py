#!/usr/bin/python3
"""PyTorch peer of bench/lesson_probe.cc: the lesson's gradient probe in eager PyTorch.

Each case mirrors a gradlab benchmark of the same name. The statistic matches Google Benchmark's:
one repetition runs a batch of iterations and yields the mean wall time per iteration; we report the
median (and p10/p90) over repetitions, in microseconds, and every repetition's value (wall, and
process CPU time over all threads) so a runner can pool several interleaved runs.

Run with Debian's interpreter (/usr/bin/python3, python3-torch), not a pyenv one:
  /usr/bin/python3 bench/torch/lesson_probe.py --threads 1 --json out.json
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

IN_FEATURES, BATCH, UNITS = 128, 32, 32


def dense(fan_in):
    # Keras's Dense defaults (glorot_uniform kernel, zero bias), so activations (and ReLU sparsity)
    # look like gradlab's; the timing does not depend on it but the arithmetic stays identical.
    layer = nn.Linear(fan_in, UNITS)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def plain_net():
    l1, l2, l3, l4 = dense(IN_FEATURES), dense(UNITS), dense(UNITS), dense(UNITS)
    relu = torch.relu

    def net(x):
        return relu(l4(relu(l3(relu(l2(relu(l1(x))))))))
    return net


def residual_net():
    l1, l2, l3, l4 = dense(IN_FEATURES), dense(UNITS), dense(UNITS), dense(UNITS)
    relu = torch.relu

    def net(x):
        o1 = relu(l1(x))
        o2 = relu(l2(o1))
        o3 = relu(l3(o2 + o1))
        return relu(l4(o3 + o2))
    return net


def concat_net():
    l1 = dense(IN_FEATURES)
    l2 = dense(UNITS + IN_FEATURES)
    l3 = dense(2 * UNITS + IN_FEATURES)
    l4 = dense(3 * UNITS)
    relu = torch.relu

    def net(x):
        o1 = relu(l1(x))
        o2 = relu(l2(torch.cat([o1, x], dim=-1)))
        o3 = relu(l3(torch.cat([o2, o1, x], dim=-1)))
        return relu(l4(torch.cat([o3, o2, o1], dim=-1)))
    return net


def backward_step(net, x):
    # Only the input's gradient is asked for, as tape.gradient(mean, inputs) in the lesson.
    def step():
        m = net(x).mean()
        (g,) = torch.autograd.grad(m, x)
        return g
    return step


def forward_step(net, x):
    # gradlab's forward-only case runs without a tape; no_grad is PyTorch's equivalent.
    def step():
        with torch.no_grad():
            return net(x).mean()
    return step


def make_cases():
    torch.manual_seed(0)
    x = torch.rand(BATCH, IN_FEATURES, dtype=torch.float32, requires_grad=True)
    plain, residual, concat = plain_net(), residual_net(), concat_net()
    return {
        "plain": backward_step(plain, x),
        "residual": backward_step(residual, x),
        "concat": backward_step(concat, x),
        "plain_forward": forward_step(plain, x),
    }


def time_case(step, repetitions, min_time_s, warmup_s):
    deadline = time.perf_counter() + warmup_s
    while time.perf_counter() < deadline:
        step()
    # Size one repetition to about min_time_s, as Google Benchmark sizes its iteration count.
    iters = 1
    while True:
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            step()
        elapsed = time.perf_counter_ns() - t0
        if elapsed >= min_time_s * 1e9 or iters >= 1 << 20:
            break
        iters = max(iters * 2, int(iters * min_time_s * 1e9 / max(elapsed, 1) * 1.2))
    samples, cpu_samples = [], []
    for _ in range(repetitions):
        t0, c0 = time.perf_counter_ns(), time.process_time_ns()
        for _ in range(iters):
            step()
        samples.append((time.perf_counter_ns() - t0) / iters / 1e3)
        cpu_samples.append((time.process_time_ns() - c0) / iters / 1e3)
    return iters, samples, cpu_samples


def quantile(values, q):
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds per repetition")
    parser.add_argument("--warmup", type=float, default=0.3, help="seconds of warm-up per case")
    parser.add_argument("--cases", default="", help="comma-separated subset of the cases")
    parser.add_argument("--json", help="write the results here as well")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    cases = make_cases()
    wanted = [c for c in args.cases.split(",") if c] or list(cases)
    unknown = [c for c in wanted if c not in cases]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {list(cases)}")

    results = []
    for name in wanted:
        iters, samples, cpu_samples = time_case(cases[name], args.repetitions, args.min_time, args.warmup)
        results.append({
            "case": name, "threads": args.threads, "iterations": iters,
            "median_us": statistics.median(samples),
            "p10_us": quantile(samples, 0.1), "p90_us": quantile(samples, 0.9),
            "samples_us": samples, "cpu_median_us": statistics.median(cpu_samples),
            "cpu_samples_us": cpu_samples,
        })
        r = results[-1]
        print(f"{name:16s} threads={args.threads} median {r['median_us']:8.2f} us "
              f"(p10 {r['p10_us']:.2f}, p90 {r['p90_us']:.2f}; {args.repetitions} x {iters} iterations)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch_version": torch.__version__, "threads": args.threads,
                       "torch_threads": torch.get_num_threads(), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
