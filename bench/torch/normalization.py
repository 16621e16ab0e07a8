#!/usr/bin/python3
"""PyTorch peer of bench/normalization.cc: forward plus backward of each normalization layer.

Each case mirrors the gradlab benchmark of the same name on a (256, 1024) float32 input: the
gradients of sum(y) with respect to the input and the layer's weight and bias, in training mode
(BatchNorm1d with batch statistics and its running-statistics update). Keras's defaults are used
where PyTorch's differ only in a constant (eps 1e-3, momentum 0.01 = 1 - 0.99), which does not change
the work. The timing statistic matches Google Benchmark's, as in bench/torch/lesson_probe.py.

Run with Debian's interpreter (/usr/bin/python3, python3-torch):
  /usr/bin/python3 bench/torch/normalization.py --threads 1 --json out.json
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

BATCH, FEATURES = 256, 1024


def layer_step(module, x, params):
    def step():
        y = module(x)
        return torch.autograd.grad(y.sum(), [x] + params)
    return step


def input_norm_step(x):
    # keras.layers.Normalization after adapt(): (x - mean) / max(sqrt(variance), 1e-7), no parameters.
    mean = x.detach().mean(dim=0)
    deviation = torch.clamp(torch.sqrt(x.detach().var(dim=0, unbiased=False)), min=1e-7)

    def step():
        y = (x - mean) / deviation
        return torch.autograd.grad(y.sum(), [x])
    return step


def make_cases():
    torch.manual_seed(0)
    x = torch.randn(BATCH, FEATURES, dtype=torch.float32, requires_grad=True)
    modules = {
        "batch_norm": nn.BatchNorm1d(FEATURES, eps=1e-3, momentum=0.01),
        "layer_norm": nn.LayerNorm(FEATURES, eps=1e-3),
        "group_norm": nn.GroupNorm(32, FEATURES, eps=1e-3),
        "instance_norm": nn.GroupNorm(FEATURES, FEATURES, eps=1e-3),
    }
    cases = {}
    for name, module in modules.items():
        module.train()
        cases[name] = layer_step(module, x, list(module.parameters()))
    cases["input_norm"] = input_norm_step(x)
    return cases


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
