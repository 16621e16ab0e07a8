#!/usr/bin/python3
"""PyTorch peer of bench/normalization_layers.cc: forward plus backward of each normalization layer.

Each case mirrors the gradlab benchmark of the same name on a (256, 1024) float32 input: the
gradients of sum(y) with respect to the input and the layer's weight and bias, in training mode
(BatchNorm1d with batch statistics and its running-statistics update). Keras's defaults are used
where PyTorch's differ only in a constant (eps 1e-3, momentum 0.01 = 1 - 0.99), which does not change
the work. The timing statistic matches Google Benchmark's, as in bench/torch/lesson_probe.py.

Run with Debian's interpreter (/usr/bin/python3, python3-torch):
  /usr/bin/python3 bench/torch/normalization_layers.py --threads 1 --json out.json
"""
import sys

import torch
from torch import nn

import peer

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


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
