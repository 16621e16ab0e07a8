#!/usr/bin/python3
"""PyTorch peer of bench/recurrent_memory.cc: how far the resident-set high-water mark rises during one
forward plus backward step of torch.nn.LSTM / RNN (tanh) / GRU at batch 32, 100 steps of 128 float32
features, 128 units (batch_first), gradients of sum(output of every step) with respect to the input
and every parameter.

  /usr/bin/python3 bench/torch/recurrent_memory.py lstm --threads 2
"""
import argparse
import json

import torch
from torch import nn

from process_memory import reset_peak_resident_set, status_bytes


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("case", choices=["lstm", "simple_rnn", "gru"])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(32, 100, 128, dtype=torch.float32, requires_grad=True)
    module = {"lstm": nn.LSTM, "simple_rnn": nn.RNN, "gru": nn.GRU}[args.case](128, 128, batch_first=True)
    params = list(module.parameters())
    reset_peak_resident_set()
    before = status_bytes("VmRSS")
    y = module(x)[0]
    grads = torch.autograd.grad(y.sum(), [x] + params)
    del y, grads
    high = status_bytes("VmHWM")
    print(json.dumps({"case": args.case, "step_peak_bytes": high - before, "rss_before_bytes": before}))


if __name__ == "__main__":
    main()
