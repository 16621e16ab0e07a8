#!/usr/bin/python3
"""PyTorch peer of bench/recurrent.cc: forward plus backward through time of one recurrent layer.

Each case mirrors the gradlab benchmark of the same name: batch 32, 100 steps of 128 float32
features, 128 units (torch.nn.LSTM, torch.nn.RNN with tanh, torch.nn.GRU; batch_first), the
gradients of sum(output of every step) with respect to the input and every parameter. PyTorch
keeps two biases where Keras keeps one; that costs an addition, not a product. The timing
statistic matches Google Benchmark's, as in bench/torch/lesson_probe.py.

Run with Debian's interpreter (/usr/bin/python3, python3-torch):
  /usr/bin/python3 bench/torch/recurrent.py --threads 1 --json out.json
"""
import sys

import torch
from torch import nn

import peer

BATCH, STEPS, FEATURES, UNITS = 32, 100, 128, 128


def layer_step(module, x):
    params = list(module.parameters())

    def step():
        y = module(x)[0]
        return torch.autograd.grad(y.sum(), [x] + params)
    return step


def make_cases():
    torch.manual_seed(0)
    x = torch.randn(BATCH, STEPS, FEATURES, dtype=torch.float32, requires_grad=True)
    modules = {
        "lstm": nn.LSTM(FEATURES, UNITS, batch_first=True),
        "simple_rnn": nn.RNN(FEATURES, UNITS, batch_first=True),
        "gru": nn.GRU(FEATURES, UNITS, batch_first=True),
    }
    return {name: layer_step(module, x) for name, module in modules.items()}


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
