"""The timing harness shared by the PyTorch peers: warm-up, repetitions sized like Google Benchmark's,
median and p10/p90 of wall and CPU time per iteration, JSON output that bench/compare.py reads."""
import argparse
import json
import statistics
import time

import torch


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


def main(make_cases, description):
    """Times every case `make_cases()` returns (name -> step function) and prints and saves the results."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
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

