#!/usr/bin/python3
"""Writes tests/golden_lesson/lesson_medians.json: the distribution of the lesson's input-gradient
norm ||d mean(output) / d input||_2 for its three 4 x Dense(32, relu) networks (In [192]-[194]:
glorot_uniform kernels, zero biases, input U[0, 1) of 32 x 128), computed with PyTorch over M
independent draws, independently of gradlab (issue 14, item 11). It stores quantiles of the norm at
probabilities 0.40, 0.41, ..., 0.60; tests/lab/lesson_medians_test.cc checks that gradlab's median
over N trials falls between the quantiles at 0.5 -+ z sqrt(0.25 / N + 0.25 / M), the spread of a
sample median in probability (order statistics), with z chosen for the false-failure rate stated
there. About 10 s on one core. Regenerate with:

    /usr/bin/python3 tools/golden/lesson_medians.py
"""
import json
import os

import torch

M = 10000
CHUNK = 1000
SEED = 14
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden_lesson", "lesson_medians.json")


def glorot(gen, n, fan_in, fan_out):
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return (torch.rand(n, fan_in, fan_out, generator=gen) * 2 - 1) * limit


def norms(network, gen, n):
    x = torch.rand(n, 32, 128, generator=gen).requires_grad_(True)
    relu = torch.relu
    if network == "no_skip":
        w = [glorot(gen, n, i, 32) for i in (128, 32, 32, 32)]
        l1 = relu(x @ w[0]); l2 = relu(l1 @ w[1]); l3 = relu(l2 @ w[2]); l4 = relu(l3 @ w[3])
    elif network == "residual":
        w = [glorot(gen, n, i, 32) for i in (128, 32, 32, 32)]
        l1 = relu(x @ w[0]); l2 = relu(l1 @ w[1]); l3 = relu((l2 + l1) @ w[2]); l4 = relu((l3 + l2) @ w[3])
    else:
        w = [glorot(gen, n, i, 32) for i in (128, 160, 192, 96)]
        l1 = relu(x @ w[0])
        l2 = relu(torch.cat([l1, x], -1) @ w[1])
        l3 = relu(torch.cat([l2, l1, x], -1) @ w[2])
        l4 = relu(torch.cat([l3, l2, l1], -1) @ w[3])
    # Each trial's loss is the mean of its own output; their sum has each trial's gradient.
    l4.mean(dim=(1, 2)).sum().backward()
    return x.grad.double().pow(2).sum(dim=(1, 2)).sqrt()


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    probabilities = [round(0.40 + 0.01 * k, 2) for k in range(21)]
    out = {"source": "tools/golden/lesson_medians.py", "torch": torch.__version__, "draws": M, "seed": SEED,
           "dtype": "float32", "probabilities": probabilities, "networks": {}}
    for network in ("no_skip", "residual", "concat_skip"):
        values = torch.cat([norms(network, gen, CHUNK) for _ in range(M // CHUNK)])
        q = torch.quantile(values, torch.tensor(probabilities, dtype=torch.float64)).tolist()
        out["networks"][network] = {"quantiles": q, "zero_fraction": float((values == 0).double().mean())}
        print(network, "median", q[10])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
