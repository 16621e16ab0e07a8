#!/usr/bin/python3
"""PyTorch peer of bench/lesson_probe.cc: the lesson's gradient probe in eager PyTorch.

Each case mirrors a gradlab benchmark of the same name. The statistic matches Google Benchmark's:
one repetition runs a batch of iterations and yields the mean wall time per iteration; we report the
median (and p10/p90) over repetitions, in microseconds, and every repetition's value (wall, and
process CPU time over all threads) so a runner can pool several interleaved runs.

Run with Debian's interpreter (/usr/bin/python3, python3-torch), not a pyenv one:
  /usr/bin/python3 bench/torch/lesson_probe.py --threads 1 --json out.json
"""
import sys

import torch
from torch import nn

import peer

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


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
