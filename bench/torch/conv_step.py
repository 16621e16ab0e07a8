#!/usr/bin/python3
"""PyTorch peer of bench/conv_step.cc: one training step of a small CNN at batch 64 of 28 x 28 x 1.

3 x (Conv2d(32, 3 x 3, padding 1) + BatchNorm2d or GroupNorm(8) + ReLU), global average pooling,
Linear(10), F.cross_entropy, loss.backward() and torch.optim.SGD(lr=0.01, momentum=0.9), on the same
deterministic batch as the gradlab side (bench/torch/conv_step_model.py). PyTorch runs its
convolutions on its bundled oneDNN (MKL-DNN). Timing statistic as in bench/torch/peer.py.

Run with Debian's interpreter (/usr/bin/python3, python3-torch):
  /usr/bin/python3 bench/torch/conv_step.py --threads 1 --json out.json
"""
import sys

import conv_step_model
import peer


def make_cases():
    return {norm: conv_step_model.step_function(norm) for norm in ("batch_norm", "group_norm")}


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
