#!/usr/bin/python3
"""PyTorch peer of bench/train_step.cc: one training step of an MLP 784-1024-1024-1024-10 at batch 256.

ReLU, He-uniform kernels and zero biases, F.cross_entropy on the logits, loss.backward() and
torch.optim.SGD(lr=0.01, momentum=0.9), with the same deterministic batch as the gradlab side. The
"sgemm" case runs the step's twelve matrix products with torch.mm (PyTorch's own BLAS), the floor of
a step on this side. Timing statistic as in bench/torch/peer.py.

Run with Debian's interpreter (/usr/bin/python3, python3-torch):
  /usr/bin/python3 bench/torch/train_step.py --threads 1 --json out.json
"""
import sys

import torch
import torch.nn.functional as F
from torch import nn

import peer

BATCH = 256
WIDTHS = [784, 1024, 1024, 1024, 10]


def batch():
    # The formula bench/train_step.cc uses, so both sides train on the same numbers.
    i = torch.arange(BATCH).unsqueeze(1)
    j = torch.arange(WIDTHS[0]).unsqueeze(0)
    images = ((i * 7 + j * 13) % 256).to(torch.float32) / 255.0
    labels = torch.arange(BATCH) % 10
    return images, labels


def mlp():
    layers = []
    for i in range(len(WIDTHS) - 1):
        linear = nn.Linear(WIDTHS[i], WIDTHS[i + 1])
        nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")  # He uniform, as gradlab's
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i + 2 < len(WIDTHS):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def train_step_case():
    model = mlp()
    images, labels = batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def sgemm_case():
    products = []
    for i in range(len(WIDTHS) - 1):
        n_in, n_out = WIDTHS[i], WIDTHS[i + 1]
        x, w, dz = torch.full((BATCH, n_in), 0.5), torch.full((n_in, n_out), 0.25), torch.full((BATCH, n_out), 0.25)
        products += [(x, w), (x.t(), dz), (dz, w.t())]  # z = x W, dW = x^T dz, dx = dz W^T

    def step():
        for a, b in products:
            torch.mm(a, b)
    return step


def make_cases():
    torch.manual_seed(0)
    return {"train_step": train_step_case(), "sgemm": sgemm_case()}


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
