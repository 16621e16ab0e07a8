#!/usr/bin/env python3
"""gradlab from Python against PyTorch in the same run (issue 19's speed targets).

  PYTHONPATH=build/python /usr/bin/python3 bench/python_calls.py [--repetitions 7] [--threads 1]

Cases, each timed on both sides in alternation, median over repetitions of the mean per call:
  small_op     add of two 1-element float32 tensors: the per-call cost of crossing into the library
  lesson_probe the lesson's In [192] as its cells run it: a new U[0, 1) 32 x 128 input and four new
               Dense(32, relu) layers (glorot_uniform kernels, zero biases) each trial, a tape, the mean,
               the input gradient and its norm as a Python float
Targets: small_op <= 2 us per call; lesson_probe PyTorch / gradlab >= 5.
"""
import argparse
import os
import statistics
import time


def per_call(fn, min_time=0.2):
    """Mean seconds per call of fn over a batch sized to take about min_time."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n
        n = n * 2 if elapsed < min_time / 8 else int(n * min_time / elapsed) + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    import gradlab
    import torch

    torch.set_num_threads(args.threads)

    a = gradlab.random.uniform((1,))
    b = gradlab.random.uniform((1,))
    ta, tb = torch.rand(1), torch.rand(1)

    def gradlab_probe():
        inputs = gradlab.random.uniform((32, 128))
        layers = [gradlab.layers.Dense(32, activation="relu") for _ in range(4)]
        with gradlab.GradientTape() as tape:
            tape.watch(inputs)
            out = inputs
            for layer in layers:
                out = layer(out)
            mean = gradlab.reduce_mean(out)
        return float(gradlab.norm(tape.gradient(mean, inputs)))

    def torch_probe():
        inputs = torch.rand(32, 128, requires_grad=True)
        out = inputs
        fan_in = 128
        for _ in range(4):
            linear = torch.nn.Linear(fan_in, 32)
            torch.nn.init.xavier_uniform_(linear.weight)
            torch.nn.init.zeros_(linear.bias)
            out = torch.relu(linear(out))
            fan_in = 32
        mean = out.mean()
        (grad,) = torch.autograd.grad(mean, inputs)
        return float(grad.norm())

    cases = [
        ("small_op", lambda: gradlab.add(a, b), lambda: torch.add(ta, tb)),
        ("lesson_probe", gradlab_probe, torch_probe),
    ]
    print(f"gradlab {gradlab.__version__} vs PyTorch {torch.__version__}, {args.threads} thread(s), "
          f"median of {args.repetitions} repetitions (alternating sides)")
    print(f"{'case':<14}{'gradlab':>12}{'PyTorch':>12}{'PyTorch / gradlab':>20}")
    for name, ours, theirs in cases:
        times = {"gradlab": [], "torch": []}
        for rep in range(args.repetitions):
            order = [("gradlab", ours), ("torch", theirs)]
            if rep % 2:
                order.reverse()
            for side, fn in order:
                times[side].append(per_call(fn))
        g, t = statistics.median(times["gradlab"]), statistics.median(times["torch"])
        print(f"{name:<14}{g * 1e6:>10.2f}us{t * 1e6:>10.2f}us{t / g:>19.2f}x")


if __name__ == "__main__":
    main()
