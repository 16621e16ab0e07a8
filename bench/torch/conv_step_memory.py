#!/usr/bin/python3
"""PyTorch peer of bench/conv_step_memory.cc: how far the resident-set high-water mark rises above the
resident set before the first step, over three training steps of bench/torch/conv_step_model.py's CNN.

  /usr/bin/python3 bench/torch/conv_step_memory.py batch_norm --threads 2
"""
import argparse
import json

import torch

import conv_step_model
from process_memory import reset_peak_resident_set, status_bytes


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("case", choices=["batch_norm", "group_norm"])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    step = conv_step_model.step_function(args.case)
    reset_peak_resident_set()
    before = status_bytes("VmRSS")
    for _ in range(3):
        loss = step().item()
    high = status_bytes("VmHWM")
    print(json.dumps({"case": args.case, "step_peak_bytes": high - before, "rss_before_bytes": before,
                      "loss": round(loss, 6)}))


if __name__ == "__main__":
    main()
