#!/usr/bin/python3
"""Writes the optimizer golden cases under tests/golden_optim/ from Debian's python3-torch.

Each case is one safetensors file, <case>_<f32|f64>.safetensors, holding
  param/<i>               the initial parameters (a [3, 4] matrix and a [4] vector)
  grad/<step>/<i>         the gradient fed at each of STEPS steps (fixed, not computed from a loss)
  expected/<step>/<i>     the parameters after that step
  norm/<step>             the global gradient norm before clipping (float64)
and in its metadata "config" (the optimizer as JSON: type, options, schedule) and "reference"
(what produced the expected values). tests/optim/golden_optim_test.cc replays them without Python.

Where torch.optim computes the same update as Keras 3 under a documented parameter mapping
(SGD with constant lr; Adam/AdamW/RMSprop/Adagrad with epsilon = 0 on both sides and Adagrad's
initial_accumulator_value passed on) the expected values come from torch.optim itself, and the script
asserts that its own Keras-formula implementation agrees. Everywhere else (Keras's epsilon placement,
decoupled weight decay in SGD/Adam/RMSprop/Adagrad, Keras clipping, schedules with momentum) the
expected values come from Keras 3's update written out in torch tensor ops below.

Regenerate with:  /usr/bin/python3 tools/golden/make_optim_golden.py
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden_optim")
STEPS = 5
SHAPES = [(3, 4), (4,)]


# ----- learning-rate schedules (keras.optimizers.schedules) -----

def schedule_lr(config, step):
    lr = config["learning_rate"]
    if not isinstance(lr, dict):
        return lr
    kind = lr["type"]
    if kind == "exponential_decay":
        p = step / lr["decay_steps"]
        if lr.get("staircase", False):
            p = math.floor(p)
        return lr["initial_learning_rate"] * lr["decay_rate"] ** p
    if kind == "cosine_decay":
        decay_steps, alpha = lr["decay_steps"], lr.get("alpha", 0.0)

        def decay(s, start):
            return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * (s / decay_steps))) + alpha)
        if "warmup_target" not in lr:
            return decay(min(step, decay_steps), lr["initial_learning_rate"])
        warm = lr["warmup_steps"]
        s = min(step, decay_steps + warm)
        if s < warm:
            return (lr["warmup_target"] - lr["initial_learning_rate"]) * (s / warm) + lr["initial_learning_rate"]
        return decay(s - warm, lr["warmup_target"])
    raise ValueError(kind)


# ----- Keras 3's updates in torch ops, in the same operation order as src/kernels/optim.cc -----

def keras_prepare(grads, config):
    """Keras clipping: at most one of clipnorm, global_clipnorm, clipvalue."""
    if "clipnorm" in config:
        c = config["clipnorm"]
        return [g * (c / max(math.sqrt(float((g.double() ** 2).sum())), c)) for g in grads]
    if "global_clipnorm" in config:
        c = config["global_clipnorm"]
        n = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
        scale = c * min(1.0 / n, 1.0 / c) + (n - n)
        return [g * scale for g in grads]
    if "clipvalue" in config:
        c = config["clipvalue"]
        return [torch.clamp(g, -c, c) for g in grads]
    return grads


def keras_step(params, grads, state, config, iteration):
    kind = config["type"]
    dtype = params[0].dtype
    lr = torch.tensor(schedule_lr(config, iteration), dtype=dtype)
    wd = config.get("weight_decay", 0.004 if kind == "adamw" else None)
    grads = keras_prepare(grads, config)
    out = []
    for i, (w, g) in enumerate(zip(params, grads)):
        s = state.setdefault(i, {})
        if wd is not None:
            w = w - (w * torch.tensor(wd, dtype=dtype)) * lr
        if kind == "sgd":
            m = config.get("momentum", 0.0)
            if m == 0:
                w = w - g * lr
            else:
                mt = torch.tensor(m, dtype=dtype)
                v = s.get("v", torch.zeros_like(w)) * mt - g * lr
                s["v"] = v
                w = w + (v * mt - g * lr) if config.get("nesterov", False) else w + v
        elif kind in ("adam", "adamw"):
            b1, b2 = config.get("beta_1", 0.9), config.get("beta_2", 0.999)
            eps = torch.tensor(config.get("epsilon", 1e-7), dtype=dtype)
            t = torch.tensor(float(iteration + 1), dtype=dtype)
            b1p = torch.pow(torch.tensor(b1, dtype=dtype), t)
            b2p = torch.pow(torch.tensor(b2, dtype=dtype), t)
            alpha = lr * torch.sqrt(1 - b2p) / (1 - b1p)
            m = s.get("m", torch.zeros_like(w))
            v = s.get("v", torch.zeros_like(w))
            m = m + (g - m) * torch.tensor(1 - b1, dtype=dtype)
            v = v + (g * g - v) * torch.tensor(1 - b2, dtype=dtype)
            s["m"], s["v"] = m, v
            if config.get("amsgrad", False):
                v = torch.maximum(s.get("vh", torch.zeros_like(w)), v)
                s["vh"] = v
            w = w - (m * alpha) / (torch.sqrt(v) + eps)
        elif kind == "rmsprop":
            rho = config.get("rho", 0.9)
            rho_t, one_minus = torch.tensor(rho, dtype=dtype), torch.tensor(1 - rho, dtype=dtype)
            eps = torch.tensor(config.get("epsilon", 1e-7), dtype=dtype)
            v = rho_t * s.get("v", torch.zeros_like(w)) + one_minus * (g * g)
            s["v"] = v
            if config.get("centered", False):
                a = rho_t * s.get("a", torch.zeros_like(w)) + one_minus * g
                s["a"] = a
                denominator = v - a * a + eps
            else:
                denominator = v + eps
            step = (lr * g) / torch.sqrt(denominator)
            mom = config.get("momentum", 0.0)
            if mom > 0:
                b = torch.tensor(mom, dtype=dtype) * s.get("b", torch.zeros_like(w)) + step
                s["b"] = b
                w = w - b
            else:
                w = w - step
        elif kind == "adagrad":
            eps = torch.tensor(config.get("epsilon", 1e-7), dtype=dtype)
            acc = s.get("acc", torch.full_like(w, config.get("initial_accumulator_value", 0.1))) + g * g
            s["acc"] = acc
            w = w - (lr * g) / torch.sqrt(acc + eps)
        else:
            raise ValueError(kind)
        out.append(w)
    return out


# ----- torch.optim with the documented mapping -----

def torch_optimizer(config, params):
    kind, lr = config["type"], config["learning_rate"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.get("momentum", 0.0),
                               nesterov=config.get("nesterov", False))
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(config.get("beta_1", 0.9), config.get("beta_2", 0.999)),
                                eps=config["epsilon"], amsgrad=config.get("amsgrad", False))
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, eps=config["epsilon"], weight_decay=config.get("weight_decay", 0.004))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=config.get("rho", 0.9), eps=config["epsilon"],
                                   momentum=config.get("momentum", 0.0), centered=config.get("centered", False))
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=config["epsilon"],
                                   initial_accumulator_value=config.get("initial_accumulator_value", 0.1))
    raise ValueError(kind)


def run_torch(config, params, grads_per_step):
    leaves = [p.clone().requires_grad_(True) for p in params]
    opt = torch_optimizer(config, leaves)
    history = []
    for grads in grads_per_step:
        for leaf, g in zip(leaves, grads):
            leaf.grad = g.clone()
        opt.step()
        history.append([leaf.detach().clone() for leaf in leaves])
    return history


def run_keras(config, params, grads_per_step):
    state, current, history = {}, [p.clone() for p in params], []
    for step, grads in enumerate(grads_per_step):
        current = keras_step(current, grads, state, config, step)
        history.append([c.clone() for c in current])
    return history


# name, config, reference ("torch" when torch.optim computes Keras's update), gradient scale
CASES = [
    ("sgd", {"type": "sgd", "learning_rate": 0.1}, "torch", 1.0),
    ("sgd_momentum", {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9}, "torch", 1.0),
    ("sgd_nesterov", {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, "torch", 1.0),
    ("sgd_decay_clipvalue", {"type": "sgd", "learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.01,
                             "clipvalue": 0.5}, "keras", 1.0),
    ("sgd_clipnorm", {"type": "sgd", "learning_rate": 0.1, "clipnorm": 0.5}, "keras", 2.0),
    ("sgd_momentum_exponential", {"type": "sgd", "momentum": 0.9, "learning_rate": {
        "type": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}},
     "keras", 1.0),
    ("adam", {"type": "adam", "learning_rate": 0.01}, "keras", 1.0),
    ("adam_small_gradients", {"type": "adam", "learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}, "keras", 1e-5),
    ("adam_eps0", {"type": "adam", "learning_rate": 0.01, "epsilon": 0.0}, "torch", 1.0),
    ("adam_amsgrad", {"type": "adam", "learning_rate": 0.01, "amsgrad": True}, "keras", 1.0),
    ("adam_amsgrad_eps0", {"type": "adam", "learning_rate": 0.01, "amsgrad": True, "epsilon": 0.0}, "torch", 1.0),
    ("adam_global_clipnorm", {"type": "adam", "learning_rate": 0.01, "global_clipnorm": 1.0}, "keras", 3.0),
    ("adam_cosine_warmup", {"type": "adam", "learning_rate": {
        "type": "cosine_decay", "initial_learning_rate": 0.0, "decay_steps": 3, "alpha": 0.1,
        "warmup_target": 0.01, "warmup_steps": 2}}, "keras", 1.0),
    ("adamw", {"type": "adamw", "learning_rate": 0.01}, "keras", 1.0),
    ("adamw_eps0", {"type": "adamw", "learning_rate": 0.01, "weight_decay": 0.1, "epsilon": 0.0}, "torch", 1.0),
    ("rmsprop", {"type": "rmsprop", "learning_rate": 0.01}, "keras", 1.0),
    ("rmsprop_centered_momentum", {"type": "rmsprop", "learning_rate": 0.01, "rho": 0.8, "momentum": 0.9,
                                   "centered": True, "weight_decay": 0.05}, "keras", 1.0),
    ("rmsprop_eps0", {"type": "rmsprop", "learning_rate": 0.01, "momentum": 0.9, "centered": True,
                      "epsilon": 0.0}, "torch", 1.0),
    ("adagrad", {"type": "adagrad", "learning_rate": 0.1}, "keras", 1.0),
    ("adagrad_eps0", {"type": "adagrad", "learning_rate": 0.1, "epsilon": 0.0}, "torch", 1.0),
]


def close(a, b, rtol):
    return all(torch.allclose(x.double(), y.double(), rtol=rtol, atol=rtol) for x, y in zip(a, b))


def write_case(name, config, reference, scale, dtype):
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    params64 = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in SHAPES]
    grads64 = [[torch.randn(*s, generator=gen, dtype=torch.float64) * scale for s in SHAPES] for _ in range(STEPS)]
    params = [p.to(dtype) for p in params64]
    grads = [[g.to(dtype) for g in step] for step in grads64]
    keras = run_keras(config, params, grads)
    if reference == "torch":
        expected = run_torch(config, params, grads)
        rtol = 1e-12 if dtype == torch.float64 else 1e-4
        for step, (k, t) in enumerate(zip(keras, expected)):
            if not close(k, t, rtol):
                raise SystemExit(f"{name}: Keras formula and torch.optim disagree at step {step}")
        source = "torch.optim (" + type(torch_optimizer(config, [torch.zeros(1)])).__name__ + ", documented mapping)"
    else:
        expected = keras
        source = "Keras 3 update in torch tensor ops (tools/golden/make_optim_golden.py)"
    tensors = {}
    for i, p in enumerate(params):
        tensors[f"param/{i}"] = p
    for step in range(STEPS):
        for i, g in enumerate(grads[step]):
            tensors[f"grad/{step}/{i}"] = g
        for i, e in enumerate(expected[step]):
            tensors[f"expected/{step}/{i}"] = e
        norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads[step]))
        tensors[f"norm/{step}"] = torch.tensor(norm, dtype=torch.float64)
    suffix = "f32" if dtype == torch.float32 else "f64"
    path = os.path.join(ROOT, f"{name}_{suffix}.safetensors")
    safetensors_io.save(tensors, path, {"config": json.dumps(config), "reference": source,
                                        "torch": torch.__version__})


def main():
    os.makedirs(ROOT, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    for name, config, reference, scale in CASES:
        for dtype in (torch.float64, torch.float32):
            write_case(name, config, reference, scale, dtype)
    print(f"wrote {2 * len(CASES)} cases to {os.path.normpath(ROOT)}")


if __name__ == "__main__":
    main()
