#!/usr/bin/python3
"""PyTorch peer of bench/sweep.cc: the same 200-configuration sweep in eager PyTorch.

Each configuration does what a PyTorch user writes to get gradlab's per-layer figures: build the
network (nn.Linear with the initializer, zero bias, nn.BatchNorm1d when normalized), draw the input
U[0, 1) [32, 128], run it in training mode with retain_grad() on every Dense layer's input, record each
layer output's mean, std, min, max and zero fraction (as gradlab's forward statistics), backward from
mean(output), and summarize: per-layer input-gradient norms, first/last ratio, mean gain (least-squares
slope of ln g over depth) and the verdict. One timed iteration is the whole sweep; torch uses the
run's thread count (intra-op), gradlab as many sweep workers.

  /usr/bin/python3 bench/torch/sweep.py --threads 1 --repetitions 3 --min-time 0.5
"""
import itertools
import math
import sys

import torch
import torch.nn.functional as F
from torch import nn

import peer

IN_FEATURES, BATCH, UNITS = 128, 32, 32
DEPTHS = (4, 8, 16, 32, 64)
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "elu": F.elu, "selu": F.selu}
INITS = {"glorot_uniform": nn.init.xavier_uniform_,
         "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")}  # U(+-sqrt(6 / fan_in))
NORMS = ("none", "batch")
SKIPS = ("none", "residual")


def gain_and_ratio(norms):
    points = [(k, math.log(g)) for k, g in enumerate(norms) if 0 < g < math.inf]
    if len(points) >= 2:
        mk = sum(k for k, _ in points) / len(points)
        ml = sum(lg for _, lg in points) / len(points)
        slope = sum((k - mk) * (lg - ml) for k, lg in points) / sum((k - mk) ** 2 for k, _ in points)
        gain = math.exp(-slope)
    else:
        gain = math.nan
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else math.nan
    return gain, ratio


def verdict(norms, gain):
    # gradlab's rule (instrument/flow_summary.h): the squared gain g = gain^2 against 6 depth scales.
    if any(not math.isfinite(g) for g in norms):
        return "nonfinite"
    if norms[0] == 0:
        return "zero"
    if not math.isfinite(gain) or len(norms) * abs(2 * math.log(gain)) <= 6:
        return "healthy"
    return "vanishing" if gain < 1 else "exploding"


def run_config(depth, activation, init, norm, skip, seed):
    torch.manual_seed(seed)
    act = ACTIVATIONS[activation]
    blocks = []
    for k in range(depth):
        linear = nn.Linear(IN_FEATURES if k == 0 else UNITS, UNITS)
        INITS[init](linear.weight)
        nn.init.zeros_(linear.bias)
        blocks.append((linear, nn.BatchNorm1d(UNITS, eps=1e-3, momentum=0.01) if norm == "batch" else None))
    x = torch.rand(BATCH, IN_FEATURES, requires_grad=True)
    outs, inputs, stats = [x], [], []
    for k, (linear, bn) in enumerate(blocks, start=1):
        h_in = outs[k - 1] + outs[k - 2] if skip == "residual" and k >= 3 else outs[k - 1]
        if h_in is not x:
            h_in.retain_grad()
        inputs.append(h_in)
        h = linear(h_in)
        if bn is not None:
            h = bn(h)
        y = act(h)
        with torch.no_grad():
            stats.append(torch.stack([y.mean(), y.std(unbiased=False), y.min(), y.max(), (y == 0).float().mean()]))
        outs.append(y)
    outs[-1].mean().backward()
    norms = torch.stack([t.grad.double().norm() for t in inputs]).tolist()
    torch.stack(stats).tolist()
    gain, ratio = gain_and_ratio(norms)
    return verdict(norms, gain)


def sweep():
    counts = {}
    for seed, (depth, activation, init, norm, skip) in enumerate(
            itertools.product(DEPTHS, ACTIVATIONS, INITS, NORMS, SKIPS)):
        v = run_config(depth, activation, init, norm, skip, seed)
        counts[v] = counts.get(v, 0) + 1
    return counts


def make_cases():
    assert sum(sweep().values()) == 200
    return {"sweep": sweep}


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
