#!/usr/bin/python3
"""PyTorch peer of bench/deep_probe.cc: a per-layer gradient probe of a deep tanh network in eager PyTorch.

50 Linear(256, 256) + tanh layers (Keras's defaults: glorot_uniform weights, zero biases) on a
128 x 256 float32 input from U[0, 1). One iteration of `deep_probe` does what gradlab's probe_pass
does, the way a PyTorch user writes it (forward hooks are not needed: the loop keeps the outputs):

- forward: each layer's output y (after tanh) has retain_grad(), and its statistics are taken: mean,
  population std, min, max, share of exact zeros, share with |y| > 0.99, count of non-finite values;
- backward of mean(output), with gradients for the input, every retained output and every parameter;
- per layer: L2 norm, RMS, max |g|, zero count and count below float32's smallest normal of the
  gradient of its output and of its input; per parameter: grad norm, max |g|, weight norm and their
  ratio.

The statistics are reduced in float32 (gradlab accumulates in double, which costs it more) and fetched
once at the end of the pass with one tolist(), not per value. No anomaly detection on this side
(gradlab's probe runs it); torch.autograd.detect_anomaly would cost far more.

`sgemm` times the pass's 150 matrix products (128 x 256 x 256: x W^T forward, dy W and dy^T x
backward) with torch.mm on preallocated tensors, as gradlab's `sgemm` case does with cblas_sgemm.

  /usr/bin/python3 bench/torch/deep_probe.py --threads 1
"""
import sys

import torch
from torch import nn

import peer

DEPTH, WIDTH, BATCH = 50, 256, 128
TINY = torch.finfo(torch.float32).tiny  # float32's smallest normal number, 2^-126


def make_layers():
    layers = []
    for _ in range(DEPTH):
        layer = nn.Linear(WIDTH, WIDTH)
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        layers.append(layer)
    return layers


def forward_stats(y):
    n = y.numel()
    return torch.stack([
        y.mean(), y.std(unbiased=False), y.min(), y.max(),
        (y == 0).sum() / n, (y.abs() > 0.99).sum() / n, (~torch.isfinite(y)).sum().float(),
    ])


def gradient_stats(g):
    a = g.abs()
    norm = torch.linalg.vector_norm(g)
    return torch.stack([
        norm, norm / g.numel() ** 0.5, a.max(), (g == 0).sum().float(), ((a > 0) & (a < TINY)).sum().float(),
    ])


def variable_stats(p):
    grad_norm = torch.linalg.vector_norm(p.grad)
    weight_norm = torch.linalg.vector_norm(p.detach())
    return torch.stack([grad_norm, p.grad.abs().max(), weight_norm, grad_norm / weight_norm])


def probe_step(layers, x):
    params = [p for layer in layers for p in layer.parameters()]

    def step():
        for p in params:
            p.grad = None
        x.grad = None
        outputs, forward = [], []
        h = x
        for layer in layers:
            h = torch.tanh(layer(h))
            h.retain_grad()
            outputs.append(h)
            with torch.no_grad():
                forward.append(forward_stats(h))
        loss = h.mean()
        loss.backward()
        with torch.no_grad():
            # A layer's input gradient is the previous layer's output gradient (the input's for layer 1).
            grads = [x.grad] + [o.grad for o in outputs]
            backward = [gradient_stats(g) for g in grads]
            variables = [variable_stats(p) for p in params]
            return torch.cat(forward + backward + variables).tolist()
    return step


def sgemm_step(layers):
    w = [layer.weight.detach() for layer in layers]
    a = [torch.rand(BATCH, WIDTH) for _ in range(DEPTH + 1)]
    dy = [torch.rand(BATCH, WIDTH) for _ in range(DEPTH)]
    dx = torch.empty(BATCH, WIDTH)
    dw = torch.empty(WIDTH, WIDTH)

    def step():
        for k in range(DEPTH):
            torch.mm(a[k], w[k].t(), out=a[k + 1])
        for k in reversed(range(DEPTH)):
            torch.mm(dy[k], w[k], out=dx)
            torch.mm(dy[k].t(), a[k], out=dw)
    return step


def make_cases():
    torch.manual_seed(0)
    layers = make_layers()
    x = torch.rand(BATCH, WIDTH, dtype=torch.float32, requires_grad=True)
    return {"deep_probe": probe_step(layers, x), "sgemm": sgemm_step(layers)}


if __name__ == "__main__":
    sys.exit(peer.main(make_cases, __doc__))
