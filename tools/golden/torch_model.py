"""Runs a gradlab model spec in PyTorch, from the same weights, as the reference for golden tests.

Keras's Dense kernel is (in, out); PyTorch's Linear weight is (out, in): y = x @ kernel + bias.
"""
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
    "hard_sigmoid": F.hardsigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "swish": F.silu,
    "silu": F.silu,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
}

DENSE_DEFAULTS = {"activation": "linear", "use_bias": True}


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


def run(spec, weights, inputs):
    """Returns (outputs dict name -> tensor) for leaf tensors in `weights` and `inputs`."""
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
            else:
                raise ValueError(f"golden generator does not know layer type {kind}")
            values[name] = y
            pending.remove(entry)
            progressed = True
        if not progressed:
            raise ValueError("cycle in spec")
    outputs = spec.get("outputs", [layer_names(spec)[-1]["name"]])
    return {o: values[o] for o in outputs}
