#!/usr/bin/python3
"""Runs a gradlab Google Benchmark program and its PyTorch peer in one run and prints the ratios.

Called by bench/run after it builds; see bench/README.md. For each thread count both sides run under
the same environment and CPU set: OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = N and
OMP_WAIT_POLICY=PASSIVE, PyTorch also with torch.set_num_threads(N). The machine is shared and noisy,
so the two sides alternate over several rounds and every repetition of every round is pooled before
taking the median.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

TORCH_PYTHON = "/usr/bin/python3"


def quantile(values, q):
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(samples):
    return {"median_us": statistics.median(samples), "p10_us": quantile(samples, 0.1),
            "p90_us": quantile(samples, 0.9), "samples": len(samples)}


def environment(threads):
    env = dict(os.environ)
    # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are inherited unchanged by both sides.
    for var in ("GRADLAB_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def pinned(cmd, cpus):
    return ["taskset", "-c", cpus] + cmd if cpus else cmd


def run_gradlab(exe, cases, threads, args):
    cmd = [exe, "--benchmark_format=json", f"--benchmark_repetitions={args.repetitions}",
           f"--benchmark_min_time={args.min_time}", "--benchmark_filter=^(" + "|".join(cases) + ")(/|$)"]
    out = subprocess.run(pinned(cmd, args.cpus), env=environment(threads), check=True,
                         capture_output=True, text=True).stdout
    samples = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
        # Names carry Google Benchmark's suffixes ("plain/process_time"); the case is the first part.
        wall, cpu, gflops = samples.setdefault(b["run_name"].split("/")[0], ([], [], []))
        wall.append(b["real_time"] * scale)
        cpu.append(b["cpu_time"] * scale)
        if "GFLOP/s" in b:
            gflops.append(b["GFLOP/s"])  # over wall time (the programs UseRealTime)
    return samples


def run_peak(exe, threads, args):
    """The machine's float32 FMA peak and sgemm rate for `threads` threads (bench/peak.cc)."""
    out = subprocess.run(pinned([exe, "--threads", str(threads), "--json"], args.cpus),
                         env=environment(threads), check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_torch(script, cases, threads, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [TORCH_PYTHON, script, f"--threads={threads}", f"--repetitions={args.repetitions}",
               f"--min-time={args.min_time}", f"--cases={','.join(cases)}", f"--json={f.name}"]
        subprocess.run(pinned(cmd, args.cpus), env=environment(threads), check=True,
                       stdout=subprocess.DEVNULL)
        data = json.load(open(f.name))
    return ({r["case"]: (r["samples_us"], r["cpu_samples_us"], []) for r in data["results"]},
            data["torch_version"])


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_atomic(path, obj):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".bench-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gradlab", required=True, help="the Google Benchmark program")
    p.add_argument("--torch", required=True, help="the PyTorch peer script")
    p.add_argument("--cases", default="plain,residual,concat,plain_forward")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--rounds", type=int, default=3, help="alternations of the two sides")
    p.add_argument("--repetitions", type=int, default=10, help="repetitions per side per round")
    p.add_argument("--min-time", type=float, default=0.05, help="seconds per repetition")
    p.add_argument("--cpus", default="", help="taskset CPU list for both sides (default: inherited)")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--peak", help="bench/peak program: GEMM-bound cases print their fraction of the "
                                  "measured FMA peak")
    args = p.parse_args()

    cases = [c for c in args.cases.split(",") if c]
    thread_counts = [int(t) for t in args.threads.split(",") if t]
    pooled = {}  # (side, case, threads) -> samples in microseconds
    torch_version = None
    for threads in thread_counts:
        for r in range(args.rounds):
            sides = ["gradlab", "torch"] if r % 2 == 0 else ["torch", "gradlab"]
            for side in sides:
                print(f"round {r + 1}/{args.rounds}, {threads} thread(s): {side}", file=sys.stderr)
                if side == "gradlab":
                    got = run_gradlab(args.gradlab, cases, threads, args)
                else:
                    got, torch_version = run_torch(args.torch, cases, threads, args)
                for case, (wall, cpu, gflops) in got.items():
                    pooled.setdefault((side, case, threads), []).extend(wall)
                    pooled.setdefault((side + "_cpu", case, threads), []).extend(cpu)
                    pooled.setdefault((side + "_gflops", case, threads), []).extend(gflops)
    peaks = {t: run_peak(args.peak, t, args) for t in thread_counts} if args.peak else {}

    rows = []
    for threads in thread_counts:
        for case in cases:
            g = summary(pooled[("gradlab", case, threads)])
            t = summary(pooled[("torch", case, threads)])
            gc = summary(pooled[("gradlab_cpu", case, threads)])
            tc = summary(pooled[("torch_cpu", case, threads)])
            row = {"case": case, "threads": threads, "gradlab": g, "torch": t,
                   "ratio": t["median_us"] / g["median_us"], "gradlab_cpu": gc,
                   "torch_cpu": tc, "cpu_ratio": tc["median_us"] / gc["median_us"]}
            gflops = pooled.get(("gradlab_gflops", case, threads))
            if gflops:
                row["gflops"] = statistics.median(gflops)
                if threads in peaks:
                    row["fma_peak_gflops"] = peaks[threads]["fma_peak_gflops"]
                    row["fraction_of_peak"] = row["gflops"] / row["fma_peak_gflops"]
            rows.append(row)

    print(f"{'case':15s} {'threads':>7s} {'gradlab us':>11s} {'PyTorch us':>11s} {'ratio':>7s}"
          f" {'CPU ratio':>9s}   (wall medians; p10-p90)")
    for row in rows:
        g, t = row["gradlab"], row["torch"]
        print(f"{row['case']:15s} {row['threads']:7d} {g['median_us']:11.2f} {t['median_us']:11.2f} "
              f"{row['ratio']:6.2f}x {row['cpu_ratio']:8.2f}x   gradlab {g['p10_us']:.2f}-{g['p90_us']:.2f}, "
              f"PyTorch {t['p10_us']:.2f}-{t['p90_us']:.2f}")
        if "gflops" in row:
            peak = (f" = {100 * row['fraction_of_peak']:.0f}% of the measured FMA peak "
                    f"({row['fma_peak_gflops']:.0f} GFLOP/s on {row['threads']} thread(s))"
                    if "fraction_of_peak" in row else "")
            print(f"{'':15s} {'':7s} gradlab {row['gflops']:.1f} GFLOP/s{peak}")
    for threads, peak in peaks.items():
        print(f"machine, {threads} thread(s): FMA peak {peak['fma_peak_gflops']:.1f} GFLOP/s (AVX2 "
              f"{peak['avx2_gflops']:.1f}, AVX-512 {peak['avx512_gflops']:.1f}), gradlab sgemm 1024^3 "
              f"{peak['sgemm_gflops']:.1f} GFLOP/s = {100 * peak['sgemm_gflops'] / peak['fma_peak_gflops']:.0f}%")

    if args.json:
        write_atomic(args.json, {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpu": cpu_model(), "cores": os.cpu_count(), "torch_version": torch_version,
            "rounds": args.rounds, "repetitions": args.repetitions, "min_time_s": args.min_time,
            "cpus": args.cpus or "inherited",
            "statistic": "median over pooled repetitions of the mean time per iteration; ratio is "
                         "PyTorch/gradlab wall time, cpu_ratio the same for process CPU time",
            "load_average": os.getloadavg(), "peaks": peaks,
            "results": rows,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
