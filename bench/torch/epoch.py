#!/usr/bin/python3
"""PyTorch peer of bench/epoch.cc: one training epoch of the Fashion-MNIST MLP 784-256-128-100-10.

ReLU, He-uniform kernels and zero biases, Adam(lr=1e-3, eps=1e-7 as Keras), batch 128, F.cross_entropy
on the logits, the training accuracy counted as gradlab's side counts it. The 60,000 training images
are read from Debian's dataset-fashion-mnist with gzip and numpy; each epoch shuffles with randperm
and gathers each batch by index. Timing statistic as in bench/torch/peer.py (one epoch per
repetition).

  /usr/bin/python3 bench/torch/epoch.py --threads 1 --repetitions 3
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import peer

DIR = "/usr/share/datasets/fashion-mnist"
BATCH = 128


def read_idx(name, offset):
    with gzip.open(f"{DIR}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def mlp():
    layers, widths = [], [784, 256, 128, 100, 10]
    for i in range(len(widths) - 1):
        linear = nn.Linear(widths[i], widths[i + 1])
        nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def epoch_case():
    images = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
    labels = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = images.shape[0]

    def epoch():
        order = torch.randperm(n)
        correct = 0
        for start in range(0, n, BATCH):
            rows = order[start:start + BATCH]
            x, y = images[rows], labels[rows]
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            correct += (logits.argmax(dim=1) == y).sum().item()
        return correct / n
    return epoch


def make_cases():
    torch.manual_seed(0)
    return {"epoch": epoch_case()}


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
