#!/usr/bin/python3
"""Writes the convolution and pooling golden cases under tests/golden_conv/ from Debian's python3-torch.

gradlab lays images out channels last, [N, H, W, C], with kernels (KH, KW, Cin / groups, Cout) as
Keras does; PyTorch takes [N, C, H, W] and weights (Cout, Cin / groups, KH, KW). Each case maps
gradlab's tensors to PyTorch's (docs/conventions.md), computes in float64, and maps the results
back, through torch_model's conv, max_pool and avg_pool: padding "same" is TensorFlow's,
total = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0) with the smaller half before, applied
with F.pad (zeros for convolution, -inf for max pooling; average pooling divides by the count of
real positions, as TensorFlow does).

Each case is one file <name>.safetensors holding input, kernel, bias (convolutions), projection r,
output and grad/input, grad/kernel, grad/bias of the loss sum(r * output), with the options as
metadata. float64 only: the tests compare at 1e-10. Regenerate with:

    /usr/bin/python3 tools/golden/make_conv_golden.py
"""
import math
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
import torch_model  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden_conv")


def conv_case(name, image, kernel, strides=None, padding="valid", dilation=None, groups=1, bias=True):
    """conv2d on an image [N, H, W, Cin] with a kernel (KH, KW, Cin / groups, Cout); a rank-3 image
    [N, T, Cin] and kernel (K, Cin / groups, Cout) make a conv1d case."""
    ones = (1,) * (len(image) - 2)
    return dict(name=name, op="conv1d" if len(image) == 3 else "conv2d", image=image, kernel=kernel,
                strides=strides or ones, dilation=dilation or ones, padding=padding, groups=groups, bias=bias)


def pool_case(name, op, image, pool_size, strides, padding="valid"):
    return dict(name=name, op=op, image=image, pool_size=pool_size, strides=strides, padding=padding)


def cases():
    return [
        conv_case("conv2d_valid", [2, 5, 6, 3], [3, 3, 3, 4]),
        conv_case("conv2d_same_odd", [2, 5, 6, 3], [3, 3, 3, 4], padding="same"),
        conv_case("conv2d_same_even", [2, 6, 5, 2], [4, 2, 2, 3], padding="same"),
        conv_case("conv2d_same_stride", [2, 7, 8, 2], [3, 4, 2, 3], strides=(2, 3), padding="same"),
        conv_case("conv2d_valid_stride", [2, 7, 8, 2], [3, 2, 2, 3], strides=(2, 3)),
        conv_case("conv2d_dilation", [2, 8, 7, 2], [3, 2, 2, 3], dilation=(2, 3)),
        conv_case("conv2d_dilation_same", [2, 8, 7, 2], [3, 2, 2, 3], dilation=(2, 3), padding="same"),
        conv_case("conv2d_groups", [2, 5, 5, 6], [3, 3, 2, 9], groups=3, padding="same"),
        conv_case("conv2d_depthwise_groups", [2, 5, 5, 4], [2, 2, 1, 8], groups=4, strides=(2, 2), padding="same"),
        conv_case("conv2d_no_bias", [3, 4, 4, 2], [1, 1, 2, 5], bias=False),
        conv_case("conv1d_valid", [2, 9, 3], [3, 3, 4]),
        conv_case("conv1d_same_even_stride", [2, 9, 3], [4, 3, 5], strides=(2,), padding="same"),
        conv_case("conv1d_dilation_groups", [2, 10, 4], [3, 2, 6], dilation=(2,), groups=2, padding="same"),
        pool_case("max_pool2d_valid", "max_pool2d", [2, 6, 7, 3], (2, 2), (2, 2)),
        pool_case("max_pool2d_overlap", "max_pool2d", [2, 6, 7, 3], (3, 3), (1, 2)),
        pool_case("max_pool2d_same", "max_pool2d", [2, 5, 7, 3], (2, 3), (2, 2), "same"),
        pool_case("avg_pool2d_valid", "avg_pool2d", [2, 6, 7, 3], (2, 2), (2, 2)),
        pool_case("avg_pool2d_overlap", "avg_pool2d", [2, 6, 7, 3], (3, 2), (1, 2)),
        pool_case("avg_pool2d_same", "avg_pool2d", [2, 5, 7, 3], (2, 3), (2, 2), "same"),
        pool_case("avg_pool2d_same_even", "avg_pool2d", [2, 5, 6, 2], (4, 4), (3, 1), "same"),
    ]


def run(case, gen):
    image = case["image"]
    x = (torch.rand(*image, generator=gen, dtype=torch.float64) * 4 - 2).requires_grad_(True)
    tensors = {"input": x}
    leaves = [x]
    if case["op"] in ("conv1d", "conv2d"):
        kernel_shape = case["kernel"]
        fan_in = math.prod(kernel_shape[:-1])
        kernel = ((torch.rand(*kernel_shape, generator=gen, dtype=torch.float64) * 2 - 1)
                  / math.sqrt(fan_in)).requires_grad_(True)
        tensors["kernel"] = kernel
        leaves.append(kernel)
        bias = None
        if case["bias"]:
            bias = (torch.rand(kernel_shape[-1], generator=gen, dtype=torch.float64) - 0.5).requires_grad_(True)
            tensors["bias"] = bias
            leaves.append(bias)
        y = torch_model.conv(x, kernel, bias, case["strides"], case["padding"], case["dilation"], case["groups"])
        meta = {"strides": case["strides"], "dilation_rate": case["dilation"], "groups": case["groups"]}
    else:
        window, strides = case["pool_size"], case["strides"]
        fn = torch_model.max_pool if case["op"] == "max_pool2d" else torch_model.avg_pool
        y = fn(x, window, strides, case["padding"])
        meta = {"pool_size": window, "strides": strides}
    r = torch.rand(*y.shape, generator=gen, dtype=torch.float64) * 2 - 1
    loss = (r * y).sum()
    grads = torch.autograd.grad(loss, leaves)
    out = dict(tensors)
    out["projection"] = r
    out["output"] = y
    for name, g in zip(tensors, grads):
        out[f"grad/{name}"] = g
    meta = {k: ",".join(map(str, v)) if isinstance(v, (tuple, list)) else v for k, v in meta.items()}
    meta.update(op=case["op"], padding=case["padding"], torch=torch.__version__)
    return out, meta


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    for case in cases():
        gen = torch.Generator().manual_seed(sum(map(ord, case["name"])))
        tensors, meta = run(case, gen)
        safetensors_io.save(tensors, os.path.join(ROOT, case["name"] + ".safetensors"), meta)
    print(f"wrote {len(cases())} golden cases under {os.path.normpath(ROOT)}")


if __name__ == "__main__":
    main()
