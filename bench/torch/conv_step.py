#!/usr/bin/python3
"""PyTorch peer of bench/conv_step.cc: one training step of a small CNN at batch 64 of 28 x 28 x 1.

3 x (Conv2d(32, 3 x 3, padding 1) + BatchNorm2d or GroupNorm(8) + ReLU), global average pooling,
Linear(10), F.cross_entropy, loss.backward() and torch.optim.SGD(lr=0.01, momentum=0.9), on the same
deterministic batch as the gradlab side (bench/torch/conv_step_model.py). PyTorch runs its
convolutions on its bundled oneDNN (MKL-DNN), in NCHW, its default and on this machine its faster
layout for the step (channels_last measured no faster with batch norm and slower with group norm).
The max_pool and avg_pool cases time F.max_pool2d / F.avg_pool2d (2 x 2) forward and backward on
[64, 32, 28, 28]. Timing statistic as in bench/torch/peer.py.

Run with Debian's interpreter (/usr/bin/python3, python3-torch):
  /usr/bin/python3 bench/torch/conv_step.py --threads 1 --json out.json
"""
import sys

import torch
import torch.nn.functional as F

import conv_step_model
import peer


def pooling_case(pool):
    torch.manual_seed(0)
    x = torch.randn(conv_step_model.BATCH, conv_step_model.FILTERS, conv_step_model.SIDE, conv_step_model.SIDE,
                    requires_grad=True)

    def step():
        return torch.autograd.grad(pool(x, 2).sum(), [x])
    return step


def make_cases():
    cases = {norm: conv_step_model.step_function(norm) for norm in ("batch_norm", "group_norm")}
    cases["max_pool"] = pooling_case(F.max_pool2d)
    cases["avg_pool"] = pooling_case(F.avg_pool2d)
    return cases


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
