#!/usr/bin/python3
"""PyTorch peer of bench/conv_step_memory.cc: how far the resident-set high-water mark rises above the
resident set before the first step, over three training steps of bench/torch/conv_step_model.py's CNN.

  /usr/bin/python3 bench/torch/conv_step_memory.py batch_norm --threads 2
"""
import argparse
import json
import re

import torch

import conv_step_model


def status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(re.findall(r"\d+", line)[0]) * 1024
    return -1


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("case", choices=["batch_norm", "group_norm"])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    step = conv_step_model.step_function(args.case)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status_bytes("VmRSS")
    for _ in range(3):
        loss = step().item()
    high = status_bytes("VmHWM")
    print(json.dumps({"case": args.case, "step_peak_bytes": high - before, "rss_before_bytes": before,
                      "loss": round(loss, 6)}))


if __name__ == "__main__":
    main()
