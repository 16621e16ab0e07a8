"""Runs a gradlab model spec in PyTorch, from the same weights, as the reference for golden tests.

Keras's Dense kernel is (in, out); PyTorch's Linear weight is (out, in): y = x @ kernel + bias.
Recurrent layers run in torch.nn.RNN, LSTM and GRU (batch_first) with their weights mapped from
Keras's layout (see recurrent_weights and docs/conventions.md).
Convolution and pooling layers are channels-last as in Keras: images move to [N, C, H, W], kernels
(KH, KW, Cin / groups, Cout) to PyTorch's (Cout, Cin / groups, KH, KW), and TensorFlow's "same"
padding (the smaller half before) is applied with F.pad, since PyTorch pads symmetrically.
Normalization layers are channels-last as in Keras; the channel axis is moved to dim 1 for PyTorch's
functional batch_norm / group_norm. Keras updates the moving variance with the biased batch variance,
PyTorch with the unbiased one ("moving_variance_update": "unbiased" runs PyTorch's own update).
"""
import math

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": F.elu,
    "selu": F.selu,
    "gelu": lambda x: F.gelu(x, approximate="none"),
    "sigmoid": torch.sigmoid,
    # F.hardsigmoid's CPU backward multiplies by 1/6 rounded to float32 even for float64 tensors;
    # the same function through clamp has an exact gradient.
    "hard_sigmoid": lambda x: torch.clamp(x + 3, 0, 6) / 6,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "swish": F.silu,
    "silu": F.silu,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
}

DENSE_DEFAULTS = {"activation": "linear", "use_bias": True}
NORM_DEFAULTS = {"axis": -1, "epsilon": 1e-3, "center": True, "scale": True}
BN_DEFAULTS = {**NORM_DEFAULTS, "momentum": 0.99, "moving_variance_update": "biased"}
KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), the floor of Normalization's standard deviation


def same_pads(size, window, stride, dilation=1):
    """TensorFlow's "same" padding along one axis: (before, after), the smaller half before."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (window - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def output_size(size, window, stride, dilation, padding):
    """Positions along one axis after a convolution or pooling window."""
    if padding == "same":
        return math.ceil(size / stride)
    return (size - (window - 1) * dilation - 1) // stride + 1


def pad_channels_first(x, window, strides, dilation, padding, value):
    """F.pad of x [N, C, *spatial] with TensorFlow's padding; F.pad lists the last axis first."""
    if padding == "valid":
        return x
    pads = []
    for size, k, s, d in reversed(list(zip(x.shape[2:], window, strides, dilation))):
        pads.extend(same_pads(size, k, s, d))
    return F.pad(x, pads, value=value)


def conv(x, kernel, bias, strides, padding, dilation, groups):
    """Keras's Conv1D/Conv2D without activation: x [N, *spatial, Cin], kernel (*window, Cin/g, Cout)."""
    rank = x.dim() - 2
    weight = kernel.permute(rank + 1, rank, *range(rank))  # (Cout, Cin/g, *window)
    padded = pad_channels_first(x.movedim(-1, 1), kernel.shape[:rank], strides, dilation, padding, 0.0)
    fn = F.conv1d if rank == 1 else F.conv2d
    return fn(padded, weight, bias, stride=tuple(strides), dilation=tuple(dilation), groups=groups).movedim(1, -1)


def max_pool(x, pool_size, strides, padding):
    """Keras's MaxPooling2D on x [N, H, W, C] (MaxPooling1D on [N, T, C]): padding never wins (-inf)."""
    ones = (1,) * len(pool_size)
    padded = pad_channels_first(x.movedim(-1, 1), pool_size, strides, ones, padding, -math.inf)
    fn = F.max_pool1d if len(pool_size) == 1 else F.max_pool2d
    return fn(padded, tuple(pool_size), tuple(strides)).movedim(1, -1)


def avg_pool(x, pool_size, strides, padding):
    """Keras's AveragePooling2D on x [N, H, W, C] (AveragePooling1D on [N, T, C]): the mean of each
    window's real positions."""
    ones = (1,) * len(pool_size)
    fn = F.avg_pool1d if len(pool_size) == 1 else F.avg_pool2d
    nchw = x.movedim(-1, 1)
    total = fn(pad_channels_first(nchw, pool_size, strides, ones, padding, 0.0), tuple(pool_size), tuple(strides))
    count = fn(pad_channels_first(torch.ones_like(nchw), pool_size, strides, ones, padding, 0.0),
               tuple(pool_size), tuple(strides))
    return (total / count).movedim(1, -1)


def window(value, rank):
    """A spec's size: one integer for every axis, or a list."""
    return [value] * rank if isinstance(value, int) else list(value)


CONV_DEFAULTS = {"strides": 1, "padding": "valid", "dilation_rate": 1, "groups": 1, "activation": "linear",
                 "use_bias": True}


def conv_layer(x, name, entry, weights):
    opts = {**CONV_DEFAULTS, **entry}
    rank = 1 if entry["type"] == "conv1d" else 2
    bias = weights[f"{name}/bias"] if opts["use_bias"] else None
    y = conv(x, weights[f"{name}/kernel"], bias, window(opts["strides"], rank), opts["padding"],
             window(opts["dilation_rate"], rank), opts["groups"])
    return ACTIVATIONS[opts["activation"]](y)


def depthwise_conv_layer(x, name, entry, weights):
    """Keras's DepthwiseConv2D: kernel (KH, KW, C, M) is PyTorch's Conv2d(C, C * M, groups=C) weight
    (C * M, 1, KH, KW), output channel c * M + m from input channel c."""
    opts = {**CONV_DEFAULTS, "depth_multiplier": 1, **entry}
    kernel = weights[f"{name}/kernel"]
    kh, kw, c, m = kernel.shape
    bias = weights[f"{name}/bias"] if opts["use_bias"] else None
    y = conv(x, kernel.reshape(kh, kw, 1, c * m), bias, window(opts["strides"], 2), opts["padding"],
             window(opts["dilation_rate"], 2), c)
    return ACTIVATIONS[opts["activation"]](y)


def pooling_layer(x, entry):
    rank = 1 if entry["type"].endswith("1d") else 2
    pool_size = window(entry.get("pool_size", [2] * rank), rank)
    strides = window(entry.get("strides") or pool_size, rank)
    fn = max_pool if entry["type"].startswith("max_") else avg_pool
    return fn(x, pool_size, strides, entry.get("padding", "valid"))


def global_pooling_layer(x, entry):
    dims = tuple(range(1, x.dim() - 1))
    keep = entry.get("keepdims", False)
    if entry["type"].startswith("global_max"):
        return x.amax(dim=dims, keepdim=keep)
    return x.mean(dim=dims, keepdim=keep)


def zero_padding(value):
    """((top, bottom), (left, right)) from Keras's int, (h, w) or ((top, bottom), (left, right))."""
    if isinstance(value, int):
        return (value, value), (value, value)
    if isinstance(value[0], int):
        return (value[0], value[0]), (value[1], value[1])
    return tuple(value[0]), tuple(value[1])


def zero_padding_layer(x, entry):
    """Keras's ZeroPadding2D on [N, H, W, C] as F.pad on [N, C, H, W] (last axis first)."""
    (top, bottom), (left, right) = zero_padding(entry.get("padding", 1))
    return F.pad(x.movedim(-1, 1), (left, right, top, bottom)).movedim(1, -1)


def _affine(weights, name, opts):
    return (weights[f"{name}/gamma"] if opts["scale"] else None,
            weights[f"{name}/beta"] if opts["center"] else None)


def batch_normalization(x, name, entry, weights, training, state):
    opts = {**BN_DEFAULTS, **entry}
    axis = opts["axis"] % x.dim()
    xm = x.movedim(axis, 1)
    gamma, beta = _affine(weights, name, opts)
    mean, var = weights[f"{name}/moving_mean"], weights[f"{name}/moving_variance"]
    if not training:
        y = F.batch_norm(xm, mean, var, gamma, beta, training=False, eps=opts["epsilon"])
        return y.movedim(1, axis)
    m = opts["momentum"]
    if opts["moving_variance_update"] == "unbiased":
        running_mean, running_var = mean.detach().clone(), var.detach().clone()
        y = F.batch_norm(xm, running_mean, running_var, gamma, beta, training=True, momentum=1 - m,
                         eps=opts["epsilon"])
    else:
        y = F.batch_norm(xm, None, None, gamma, beta, training=True, eps=opts["epsilon"])
        dims = [d for d in range(xm.dim()) if d != 1]
        batch_mean = xm.detach().mean(dim=dims)
        batch_var = xm.detach().var(dim=dims, unbiased=False)
        running_mean = m * mean.detach() + (1 - m) * batch_mean
        running_var = m * var.detach() + (1 - m) * batch_var
    state[f"{name}/moving_mean"] = running_mean
    state[f"{name}/moving_variance"] = running_var
    return y.movedim(1, axis)


def layer_normalization(x, name, entry, weights):
    opts = {**NORM_DEFAULTS, **entry}
    axes = opts["axis"] if isinstance(opts["axis"], list) else [opts["axis"]]
    axes = sorted(a % x.dim() for a in axes)
    kept = [d for d in range(x.dim()) if d not in axes]
    perm = kept + axes
    xp = x.permute(perm)
    gamma, beta = _affine(weights, name, opts)
    y = F.layer_norm(xp, [x.shape[a] for a in axes], gamma, beta, eps=opts["epsilon"])
    inverse = [perm.index(d) for d in range(x.dim())]
    return y.permute(inverse)


def group_normalization(x, name, entry, weights, groups):
    opts = {**NORM_DEFAULTS, **entry}
    axis = opts["axis"] % x.dim()
    xm = x.movedim(axis, 1)
    gamma, beta = _affine(weights, name, opts)
    groups = xm.shape[1] if groups == -1 else groups
    return F.group_norm(xm, groups, gamma, beta, eps=opts["epsilon"]).movedim(1, axis)


def input_normalization(x, name, entry, weights):
    axis = entry.get("axis", -1)
    kept = sorted(a % x.dim() for a in (axis if isinstance(axis, list) else [axis]))
    shape = [x.shape[d] if d in kept else 1 for d in range(x.dim())]
    mean = weights[f"{name}/mean"].reshape(shape)
    deviation = torch.clamp(torch.sqrt(weights[f"{name}/variance"]), min=KERAS_EPSILON).reshape(shape)
    return mean + x * deviation if entry.get("invert", False) else (x - mean) / deviation


RECURRENT_DEFAULTS = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                      "reset_after": True, "return_sequences": False, "go_backwards": False}
TORCH_MODULES = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def recurrent_weights(kind, units, weights, name, use_bias, suffix=""):
    """PyTorch's parameters from Keras's kernel (in, G*u), recurrent_kernel (u, G*u) and bias.

    PyTorch stores weight_ih (G*u, in) and weight_hh (G*u, u), the transposes. LSTM gates are in the
    same order (Keras i, f, c, o = PyTorch i, f, g, o). GRU gates are z, r, h in Keras and r, z, n in
    PyTorch, so the first two blocks swap. PyTorch has two biases: Keras's single bias (SimpleRNN,
    LSTM) is bias_ih with bias_hh = 0; a reset_after GRU's bias rows are bias_ih and bias_hh."""
    def order(m):  # gate blocks along the last axis, Keras order -> PyTorch order
        if kind != "gru":
            return m
        z, r, h = m[..., :units], m[..., units:2 * units], m[..., 2 * units:]
        return torch.cat([r, z, h], dim=-1)
    kernel, recurrent = weights[f"{name}/kernel"], weights[f"{name}/recurrent_kernel"]
    params = {f"weight_ih_l0{suffix}": order(kernel).T, f"weight_hh_l0{suffix}": order(recurrent).T}
    if use_bias:
        bias = weights[f"{name}/bias"]
        if kind == "gru":
            params[f"bias_ih_l0{suffix}"], params[f"bias_hh_l0{suffix}"] = order(bias[0]), order(bias[1])
        else:
            params[f"bias_ih_l0{suffix}"] = bias
            params[f"bias_hh_l0{suffix}"] = torch.zeros_like(bias)
    return params


def recurrent_module(kind, features, opts, bidirectional, dtype):
    if opts["recurrent_activation"] != "sigmoid" or (kind != "simple_rnn" and opts["activation"] != "tanh"):
        raise ValueError("PyTorch's LSTM and GRU have tanh and sigmoid only")
    if kind == "gru" and not opts["reset_after"]:
        raise ValueError("PyTorch's GRU is Keras's reset_after=True")
    kw = {"nonlinearity": opts["activation"]} if kind == "simple_rnn" else {}
    return TORCH_MODULES[kind](features, opts["units"], batch_first=True, bias=opts["use_bias"],
                               bidirectional=bidirectional, dtype=dtype, **kw)


def run_module(module, params, x):
    """Runs `module` with `params` (tensors built from the Keras leaves, so gradients reach them) in
    place of its own parameters; RNNBase.__setattr__ keeps its flat weight list in step."""
    for key, value in params.items():
        del module._parameters[key]
        setattr(module, key, value)
    return module(x)[0]


def recurrent(x, name, entry, weights):
    """A Keras recurrent layer: go_backwards feeds the reversed sequence and returns the outputs in
    processing order, as Keras does."""
    kind, opts = entry["type"], {**RECURRENT_DEFAULTS, **entry}
    module = recurrent_module(kind, x.shape[-1], opts, False, x.dtype)
    params = recurrent_weights(kind, opts["units"], weights, name, opts["use_bias"])
    y = run_module(module, params, x.flip(1) if opts["go_backwards"] else x)
    return y if opts["return_sequences"] else y[:, -1]


def bidirectional(x, name, entry, weights):
    """keras.layers.Bidirectional as one bidirectional PyTorch module: its reverse direction is
    Keras's backward layer with outputs put back in time order; without return_sequences Keras
    merges the forward layer's last output with the backward layer's last (PyTorch's step 0)."""
    inner = entry["layer"]
    kind, opts = inner["type"], {**RECURRENT_DEFAULTS, **inner}
    inner_name = inner.get("name", name)
    module = recurrent_module(kind, x.shape[-1], opts, True, x.dtype)
    params = {**recurrent_weights(kind, opts["units"], weights, f"forward_{inner_name}", opts["use_bias"]),
              **recurrent_weights(kind, opts["units"], weights, f"backward_{inner_name}", opts["use_bias"], "_reverse")}
    y = run_module(module, params, x)
    u = opts["units"]
    forward, backward = y[..., :u], y[..., u:]
    if not opts["return_sequences"]:
        forward, backward = forward[:, -1], backward[:, 0]
    mode = entry.get("merge_mode", "concat")
    if mode == "concat":
        return torch.cat([forward, backward], dim=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mul":
        return forward * backward
    return (forward + backward) / 2


def layer_names(spec):
    """Resolves default names and inputs exactly as gradlab's spec parser does."""
    counts, layers = {}, []
    first_input = next(iter(spec["inputs"]))
    for i, entry in enumerate(spec["layers"]):
        entry = dict(entry)
        if "name" not in entry:
            n = counts.get(entry["type"], 0)
            counts[entry["type"]] = n + 1
            entry["name"] = entry["type"] if n == 0 else f"{entry['type']}_{n}"
        if "inputs" not in entry:
            entry["inputs"] = [first_input if i == 0 else layers[-1]["name"]]
        elif isinstance(entry["inputs"], str):
            entry["inputs"] = [entry["inputs"]]
        layers.append(entry)
    return layers


def run(spec, weights, inputs, training=False, state=None):
    """Returns (outputs dict name -> tensor) for leaf tensors in `weights` and `inputs`. In training
    mode batch normalization uses batch statistics and writes its updated moving ones to `state`."""
    state = {} if state is None else state
    values = dict(inputs)
    pending = layer_names(spec)
    while pending:  # the spec may list layers before their inputs; run each once its inputs exist
        progressed = False
        for entry in list(pending):
            if not all(i in values for i in entry["inputs"]):
                continue
            args = [values[i] for i in entry["inputs"]]
            name, kind = entry["name"], entry["type"]
            if kind == "dense":
                opts = {**DENSE_DEFAULTS, **entry}
                y = args[0] @ weights[f"{name}/kernel"]
                if opts["use_bias"]:
                    y = y + weights[f"{name}/bias"]
                y = ACTIVATIONS[opts["activation"]](y)
            elif kind == "activation":
                y = ACTIVATIONS[entry["activation"]](args[0])
            elif kind == "add":
                y = args[0]
                for a in args[1:]:
                    y = y + a
            elif kind == "concatenate":
                y = torch.cat(args, dim=entry.get("axis", -1))
            elif kind == "batch_normalization":
                y = batch_normalization(args[0], name, entry, weights, training, state)
            elif kind == "layer_normalization":
                y = layer_normalization(args[0], name, entry, weights)
            elif kind == "group_normalization":
                y = group_normalization(args[0], name, entry, weights, entry.get("groups", 32))
            elif kind == "instance_normalization":
                y = group_normalization(args[0], name, entry, weights, -1)
            elif kind == "normalization":
                y = input_normalization(args[0], name, entry, weights)
            elif kind in TORCH_MODULES:
                y = recurrent(args[0], name, entry, weights)
            elif kind == "bidirectional":
                y = bidirectional(args[0], name, entry, weights)
            elif kind in ("conv1d", "conv2d"):
                y = conv_layer(args[0], name, entry, weights)
            elif kind == "depthwise_conv2d":
                y = depthwise_conv_layer(args[0], name, entry, weights)
            elif kind in ("max_pooling2d", "average_pooling2d", "max_pooling1d", "average_pooling1d"):
                y = pooling_layer(args[0], entry)
            elif kind.startswith("global_"):
                y = global_pooling_layer(args[0], entry)
            elif kind == "flatten":
                y = args[0].reshape(args[0].shape[0], -1)
            elif kind == "reshape":
                y = args[0].reshape(args[0].shape[0], *entry["target_shape"])
            elif kind == "zero_padding2d":
                y = zero_padding_layer(args[0], entry)
            elif kind == "dropout":
                # Masks come from different generators in PyTorch and gradlab: compare inference only.
                if training:
                    raise ValueError("golden cases run dropout in inference mode only")
                y = args[0]
            else:
                raise ValueError(f"golden generator does not know layer type {kind}")
            values[name] = y
            pending.remove(entry)
            progressed = True
        if not progressed:
            raise ValueError("cycle in spec")
    outputs = spec.get("outputs", [layer_names(spec)[-1]["name"]])
    return {o: values[o] for o in outputs}
