#!/usr/bin/env python3
"""PyTorch reference fixtures for MultiTaskKit.

MultiTaskKit must reproduce PyTorch's numbers (within 1e-5 relative). CI has
no torch, so this script is run once by hand and its outputs are committed
under Tests/Fixtures/pytorch/. It writes:

  mlp_init, mlp_batch, mlp_forward     initial weights, the batch, logits /
  cnn_init, cnn_batch, cnn_forward     losses / gradients at init
  mlp_sgd, mlp_adam, mlp_adamw,        parameters after optimiser steps 1
  mlp_sgd_plain, cnn_sgd, cnn_adam     and 3 on the same batch
  losses                               cross-entropy / BCE / MSE / L1 / Huber
  layers                               BatchNorm, GELU, pooling, conv, linear
  schedules.json                       LR schedules and gradient clipping
  README.md                            every file and every key, with meaning

(all but the last two are .safetensors files, every tensor float32 and
contiguous, integer labels stored as float32, metadata {"torch": version,
"generator": "scripts/pytorch_reference.py"}).

Usage:
  python scripts/pytorch_reference.py --out Tests/Fixtures/pytorch
  python scripts/pytorch_reference.py --verify CHECKPOINT.safetensors [--model mlp|cnn]

--verify loads a checkpoint written by MultiTaskKit into the PyTorch model
with load_state_dict(strict=True), prints OK and a forward pass on the batch.

Needs torch, numpy, safetensors, and the Fashion-MNIST IDX gz files (Debian
package dataset-fashion-mnist) in --data. Everything runs on the CPU, with one
thread, deterministic algorithms and fixed seeds.
"""

import argparse
import copy
import gzip
import json
import os
import struct
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

GENERATOR = "scripts/pytorch_reference.py"
DEFAULT_DATA = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
BATCH_SIZE = 32
STEPS = 3
STORED_STEPS = (1, 3)


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def read_idx(path):
    """Read a gzipped uint8 IDX file into a numpy array of its stored shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not a uint8 IDX file")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_train_head(data_dir, n):
    """First n Fashion-MNIST training images ([n,28,28] float32 in [0,1])
    and their class labels ([n] int64)."""
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))[:n]
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))[:n]
    x = torch.from_numpy(images.astype(np.float32)) / 255.0
    return x, torch.from_numpy(labels.astype(np.int64))


TASK_LABELS = {
    "class": lambda y: y,
    "parity": lambda y: y % 2,
    "footwear": lambda y: torch.isin(y, torch.tensor([5, 7, 9])).long(),
    "upper": lambda y: torch.isin(y, torch.tensor([0, 2, 4, 6])).long(),
}
TASK_MEANING = {
    "class": "10-way class label y",
    "parity": "y % 2",
    "footwear": "1 if y in {5,7,9} (sandal, sneaker, ankle boot) else 0",
    "upper": "1 if y in {0,2,4,6} (t-shirt, pullover, coat, shirt) else 0",
}


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

class MultiTaskNet(nn.Module):
    """Shared trunk followed by one head per task; returns {task: logits}."""

    def __init__(self, trunk, heads):
        super().__init__()
        self.trunk = trunk
        self.heads = nn.ModuleDict(heads)

    def forward(self, x):
        h = self.trunk(x)
        return {k: head(h) for k, head in self.heads.items()}


def build_mlp():
    """Linear(784,100)+ReLU trunk; heads class (10) and parity (2)."""
    return MultiTaskNet(
        nn.Sequential(nn.Linear(784, 100), nn.ReLU()),
        {"class": nn.Sequential(nn.Linear(100, 10)),
         "parity": nn.Sequential(nn.Linear(100, 2))})


def build_cnn():
    """Two conv+ReLU+maxpool blocks, Linear(3136,128)+ReLU trunk; heads
    class (10), footwear (2), upper (2)."""
    return MultiTaskNet(
        nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU()),
        {"class": nn.Sequential(nn.Linear(128, 10)),
         "footwear": nn.Sequential(nn.Linear(128, 2)),
         "upper": nn.Sequential(nn.Linear(128, 2))})


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model, shape its input and weight its task losses."""
    build: object
    input_shape: tuple
    task_weights: dict
    optimizers: tuple


MODELS = {
    "mlp": ModelSpec(build_mlp, (BATCH_SIZE, 784),
                     {"class": 1.0, "parity": 0.5},
                     ("sgd", "adam", "adamw", "sgd_plain")),
    "cnn": ModelSpec(build_cnn, (BATCH_SIZE, 1, 28, 28),
                     {"class": 1.0, "footwear": 1.0, "upper": 1.0},
                     ("sgd", "adam")),
}

OPTIMIZERS = {
    "sgd": ("SGD(lr=0.05, momentum=0.9, dampening=0, nesterov=True, weight_decay=1e-3)",
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.0,
                                      nesterov=True, weight_decay=1e-3)),
    "adam": ("Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-3) "
             "(L2: weight_decay*param is added to the gradient)",
             lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                        weight_decay=1e-3)),
    "adamw": ("AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01) "
              "(decoupled: param *= 1 - lr*weight_decay before the Adam update)",
              lambda p: torch.optim.AdamW(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                          weight_decay=0.01)),
    "sgd_plain": ("SGD(lr=0.05, momentum=0.9, dampening=0.1, nesterov=False, weight_decay=0)",
                  lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1,
                                            nesterov=False, weight_decay=0.0)),
}


def make_batch(model_name, data_dir):
    """The model's input batch and {task: int64 labels} for its tasks."""
    spec = MODELS[model_name]
    images, y = load_train_head(data_dir, BATCH_SIZE)
    x = images.reshape(spec.input_shape).contiguous()
    return x, {task: TASK_LABELS[task](y) for task in spec.task_weights}


def multitask_loss(outputs, labels, task_weights):
    """Per-task mean cross-entropy and their weighted sum (in task order)."""
    per_task = {t: F.cross_entropy(outputs[t], labels[t]) for t in task_weights}
    total = None
    for task, weight in task_weights.items():
        term = weight * per_task[task]
        total = term if total is None else total + term
    return per_task, total


# --------------------------------------------------------------------------
# Output bookkeeping
# --------------------------------------------------------------------------

class Bundle:
    """Tensors for one safetensors file plus a meaning per key (for README)."""

    def __init__(self, name, summary):
        self.name = name
        self.summary = summary
        self.tensors = {}
        self.meanings = {}

    def add(self, key, tensor, meaning):
        """Store a float32, contiguous, unshared copy of tensor under key."""
        if key in self.tensors:
            raise KeyError(f"{self.name}: duplicate key {key}")
        self.tensors[key] = tensor.detach().to(torch.float32).contiguous().clone()
        self.meanings[key] = meaning

    def save(self, out_dir):
        """Write <out_dir>/<name>; return its path."""
        path = os.path.join(out_dir, self.name)
        save_file(self.tensors, path,
                  metadata={"torch": torch.__version__, "generator": GENERATOR})
        return path

    def readme(self):
        """Markdown section: summary and a key | shape | meaning table."""
        lines = [f"## {self.name}", "", self.summary, "",
                 "| key | shape | meaning |", "| --- | --- | --- |"]
        for key, tensor in self.tensors.items():
            shape = "[" + ", ".join(str(d) for d in tensor.shape) + "]"
            lines.append(f"| `{key}` | {shape} | {self.meanings[key]} |")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Models: init, batch, forward/backward, optimiser steps
# --------------------------------------------------------------------------

def model_bundles(model_name, data_dir):
    """All bundles for one model: init, batch, forward and one per optimiser."""
    spec = MODELS[model_name]
    torch.manual_seed(0)
    net = spec.build()
    x, labels = make_batch(model_name, data_dir)
    weights_text = " + ".join(f"{w}*CE({t})" for t, w in spec.task_weights.items())

    init = Bundle(f"{model_name}_init.safetensors",
                  f"Initial state_dict of the {model_name.upper()} "
                  "(torch.manual_seed(0) right before construction; modules "
                  "constructed trunk first, then heads in order). Keys are "
                  "exactly the PyTorch state_dict names.")
    for name, value in net.state_dict().items():
        init.add(name, value, f"initial `{name}`")

    batch = Bundle(f"{model_name}_batch.safetensors",
                   f"The first {BATCH_SIZE} Fashion-MNIST training images "
                   "(pixels / 255, no other normalisation) and their task "
                   "labels (integers stored as float32).")
    batch.add("x", x, f"input batch, {'flattened ' if x.dim() == 2 else ''}"
                      "images / 255")
    for task, y in labels.items():
        batch.add(f"y.{task}", y, f"label: {TASK_MEANING[task]}")

    forward = Bundle(f"{model_name}_forward.safetensors",
                     f"Forward pass and one backward at init. loss.total = "
                     f"{weights_text} (F.cross_entropy, mean reduction, "
                     "summed in this order).")
    outputs = net(x)
    per_task, total = multitask_loss(outputs, labels, spec.task_weights)
    total.backward()
    for task, logits in outputs.items():
        forward.add(f"out.{task}", logits, f"`{task}` head logits at init")
    for task, loss in per_task.items():
        forward.add(f"loss.{task}", loss, f"CE({task}) at init, unweighted")
    forward.add("loss.total", total, f"{weights_text} at init")
    for name, param in net.named_parameters():
        forward.add(f"grad.{name}", param.grad, f"d loss.total / d `{name}` at init")

    bundles = [init, batch, forward]
    initial = copy.deepcopy(net.state_dict())
    for opt_name in spec.optimizers:
        bundles.append(optimizer_bundle(model_name, opt_name, initial, x, labels))
    return bundles


def optimizer_bundle(model_name, opt_name, initial_state, x, labels):
    """Run STEPS optimiser steps on the batch from the initial weights."""
    spec = MODELS[model_name]
    description, make_optimizer = OPTIMIZERS[opt_name]
    net = spec.build()
    net.load_state_dict(initial_state, strict=True)
    optimizer = make_optimizer(net.parameters())

    bundle = Bundle(f"{model_name}_{opt_name}.safetensors",
                    f"{description}, from `{model_name}_init`, {STEPS} steps on "
                    "the same batch (zero_grad, forward, backward, step). "
                    "`loss.step<k>` is loss.total before step k; "
                    "`step<k>.<param>` the parameter after step k.")
    losses = []
    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        _, total = multitask_loss(net(x), labels, spec.task_weights)
        total.backward()
        optimizer.step()
        losses.append(total.detach())
        if step in STORED_STEPS:
            for name, param in net.named_parameters():
                bundle.add(f"step{step}.{name}", param,
                           f"`{name}` after step {step}")
    for step, loss in enumerate(losses, start=1):
        bundle.add(f"loss.step{step}", loss, f"loss.total before step {step}")
    return bundle


# --------------------------------------------------------------------------
# Loss functions
# --------------------------------------------------------------------------

def add_loss_case(bundle, key, fn, inp, meaning, grad_of):
    """Store fn(inp) under key and its gradient w.r.t. inp under key.grad."""
    leaf = inp.clone().requires_grad_(True)
    value = fn(leaf)
    (value.sum() if value.dim() else value).backward()
    bundle.add(key, value, meaning)
    bundle.add(f"{key}.grad", leaf.grad,
               f"d {'sum(' + key + ')' if value.dim() else key} / d {grad_of}")


def losses_bundle():
    """Cross-entropy variants, BCE-with-logits, MSE, L1 and Huber (seed 1)."""
    torch.manual_seed(1)
    logits = torch.randn(6, 5) * 2
    targets = torch.randint(0, 5, (6,))
    targets[4] = -100
    targets_full = torch.where(targets == -100, torch.tensor(2), targets)
    logits_b = torch.randn(4, 3)
    targets_b = torch.randint(0, 2, (4, 3)).float()
    targets_b[1, 2] = 0.3
    pred = torch.randn(5, 2)
    target = torch.randn(5, 2) * 1.5
    class_weight = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0])
    pos_weight = torch.tensor([1.0, 2.0, 3.0])

    b = Bundle("losses.safetensors",
               "Loss values and gradients (torch.manual_seed(1); draws in the "
               "order logits, targets, logits_b, targets_b, pred, target). "
               "`<key>.grad` is the gradient w.r.t. the loss input (logits, "
               "logits_b or pred) of the scalar loss, or of its sum for "
               "reduction='none'.")
    b.add("logits", logits, "CE input: randn(6,5)*2")
    b.add("targets", targets, "CE targets: randint(0,5,(6,)) with row 4 set to -100 (ignored)")
    b.add("targets_full", targets_full, "`targets` with the -100 replaced by class 2")
    b.add("ce.weight", class_weight, "per-class CE weight")
    b.add("logits_b", logits_b, "BCE input: randn(4,3)")
    b.add("targets_b", targets_b, "BCE targets: randint(0,2,(4,3)) with [1,2] set to 0.3 (soft)")
    b.add("bce.pos_weight", pos_weight, "BCE pos_weight (per column)")
    b.add("pred", pred, "regression prediction: randn(5,2)")
    b.add("target", target, "regression target: randn(5,2)*1.5")

    full, ignore = targets_full, targets
    ce_cases = [
        ("ce.mean", dict(target=full), "F.cross_entropy(logits, targets_full)"),
        ("ce.sum", dict(target=full, reduction="sum"), "reduction='sum', targets_full"),
        ("ce.none", dict(target=full, reduction="none"), "reduction='none', targets_full"),
        ("ce.ignore.mean", dict(target=ignore, ignore_index=-100),
         "targets (row 4 = -100), ignore_index=-100, mean over the 5 kept rows"),
        ("ce.smooth.mean", dict(target=full, label_smoothing=0.1),
         "label_smoothing=0.1, targets_full"),
        ("ce.weighted.mean", dict(target=full, weight=class_weight),
         "weight=ce.weight, targets_full (mean = sum w_y*nll / sum w_y)"),
        ("ce.weighted.ignore.mean", dict(target=ignore, weight=class_weight, ignore_index=-100),
         "weight=ce.weight, targets with ignore_index=-100"),
        ("ce.weighted.smooth.mean", dict(target=full, weight=class_weight, label_smoothing=0.2),
         "weight=ce.weight, label_smoothing=0.2, targets_full"),
    ]
    for key, kwargs, meaning in ce_cases:
        add_loss_case(b, key, lambda z, kw=kwargs: F.cross_entropy(z, **kw),
                      logits, meaning, "logits")

    bce_cases = [
        ("bce.mean", {}, "F.binary_cross_entropy_with_logits(logits_b, targets_b)"),
        ("bce.sum", dict(reduction="sum"), "reduction='sum'"),
        ("bce.none", dict(reduction="none"), "reduction='none'"),
        ("bce.pos_weight.mean", dict(pos_weight=pos_weight), "pos_weight=bce.pos_weight, mean"),
    ]
    for key, kwargs, meaning in bce_cases:
        add_loss_case(b, key,
                      lambda z, kw=kwargs: F.binary_cross_entropy_with_logits(z, targets_b, **kw),
                      logits_b, meaning, "logits_b")

    regression_cases = [
        ("mse.mean", F.mse_loss, {}, "F.mse_loss(pred, target)"),
        ("mse.sum", F.mse_loss, dict(reduction="sum"), "F.mse_loss, reduction='sum'"),
        ("mse.none", F.mse_loss, dict(reduction="none"), "F.mse_loss, reduction='none'"),
        ("l1.mean", F.l1_loss, {}, "F.l1_loss(pred, target)"),
        ("l1.sum", F.l1_loss, dict(reduction="sum"), "F.l1_loss, reduction='sum'"),
        ("l1.none", F.l1_loss, dict(reduction="none"), "F.l1_loss, reduction='none'"),
        ("huber.mean", F.huber_loss, dict(delta=1.0), "F.huber_loss(pred, target, delta=1.0)"),
        ("huber.delta0.5.mean", F.huber_loss, dict(delta=0.5), "F.huber_loss, delta=0.5, mean"),
        ("huber.none", F.huber_loss, dict(delta=1.0, reduction="none"),
         "F.huber_loss, delta=1.0, reduction='none'"),
    ]
    for key, fn, kwargs, meaning in regression_cases:
        add_loss_case(b, key, lambda z, f=fn, kw=kwargs: f(z, target, **kw),
                      pred, meaning, "pred")
    return b


# --------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------

def add_batchnorm_case(bundle, prefix, bn, x, weight, bias, seed):
    """One train-mode forward/backward, then one eval-mode forward."""
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
    bn.train()
    leaf = x.clone().requires_grad_(True)
    out = bn(leaf)
    (out * seed).sum().backward()
    bn.eval()
    with torch.no_grad():
        eval_out = bn(x)

    bundle.add(f"{prefix}.weight", weight, "affine weight (gamma)")
    bundle.add(f"{prefix}.bias", bias, "affine bias (beta)")
    bundle.add(f"{prefix}.seed", seed, "upstream gradient w for the backward")
    bundle.add(f"{prefix}.train.out", out, "train-mode forward (batch statistics, biased variance)")
    bundle.add(f"{prefix}.running_mean", bn.running_mean,
               "after that forward: 0.9*0 + 0.1*batch mean")
    bundle.add(f"{prefix}.running_var", bn.running_var,
               "after that forward: 0.9*1 + 0.1*UNBIASED batch variance (n/(n-1))")
    bundle.add(f"{prefix}.num_batches_tracked", bn.num_batches_tracked,
               "number of train forwards (1)")
    bundle.add(f"{prefix}.eval.out", eval_out, "eval-mode forward using the updated running stats")
    bundle.add(f"{prefix}.train.grad_x", leaf.grad, "d sum(train.out * seed) / d input")
    bundle.add(f"{prefix}.train.grad_weight", bn.weight.grad, "d sum(train.out * seed) / d weight")
    bundle.add(f"{prefix}.train.grad_bias", bn.bias.grad, "d sum(train.out * seed) / d bias")


def layers_bundle():
    """BatchNorm, activations, pooling, grouped/dilated conv, linear (seed 2)."""
    torch.manual_seed(2)
    x4 = torch.randn(3, 4, 5, 5)
    x2 = torch.randn(6, 4)
    bn2d_weight, bn2d_bias, bn2d_seed = torch.randn(4), torch.randn(4), torch.randn(3, 4, 5, 5)
    bn1d_weight, bn1d_bias, bn1d_seed = torch.randn(4), torch.randn(4), torch.randn(6, 4)
    w_g, b_g = torch.randn(6, 2, 3, 3), torch.randn(6)
    w_d, b_d = torch.randn(2, 4, 2, 2), torch.randn(2)
    w_l, b_l = torch.randn(3, 4), torch.randn(3)

    b = Bundle("layers.safetensors",
               "Layer references (torch.manual_seed(2); draws in the order x4, "
               "x2, bn2d weight/bias/seed, bn1d weight/bias/seed, conv_grouped "
               "weight/bias, conv_dilated weight/bias, linear weight/bias). "
               "BatchNorm: momentum 0.1, eps 1e-5, fresh running stats "
               "(mean 0, var 1).")
    b.add("x4", x4, "4-D input randn(3,4,5,5)")
    b.add("x2", x2, "2-D input randn(6,4)")
    add_batchnorm_case(b, "bn2d", nn.BatchNorm2d(4, eps=1e-5, momentum=0.1),
                       x4, bn2d_weight, bn2d_bias, bn2d_seed)
    add_batchnorm_case(b, "bn1d", nn.BatchNorm1d(4, eps=1e-5, momentum=0.1),
                       x2, bn1d_weight, bn1d_bias, bn1d_seed)

    b.add("gelu.out", F.gelu(x2), "F.gelu(x2) (exact, erf)")
    b.add("gelu_tanh.out", F.gelu(x2, approximate="tanh"), "F.gelu(x2, approximate='tanh')")
    b.add("leaky.out", F.leaky_relu(x2, 0.2), "F.leaky_relu(x2, 0.2)")
    b.add("avgpool.out", F.avg_pool2d(x4, 3, stride=2, padding=1),
          "F.avg_pool2d(x4, 3, stride=2, padding=1) (count_include_pad=True: always /9)")
    b.add("avgpool_nopad.out",
          F.avg_pool2d(x4, 3, stride=2, padding=1, count_include_pad=False),
          "same with count_include_pad=False (divide by in-bounds count)")
    b.add("adaptive.out", F.adaptive_avg_pool2d(x4, (2, 3)),
          "F.adaptive_avg_pool2d(x4, (2,3)); bin i spans [floor(i*in/out), ceil((i+1)*in/out))")
    b.add("maxpool.out", F.max_pool2d(x4, 3, stride=2, padding=1),
          "F.max_pool2d(x4, 3, stride=2, padding=1) (padding is -inf)")
    b.add("conv_grouped.weight", w_g, "randn(6,2,3,3)")
    b.add("conv_grouped.bias", b_g, "randn(6)")
    b.add("conv_grouped.out", F.conv2d(x4, w_g, b_g, stride=2, padding=1, dilation=1, groups=2),
          "F.conv2d(x4, w, b, stride=2, padding=1, dilation=1, groups=2)")
    b.add("conv_dilated.weight", w_d, "randn(2,4,2,2)")
    b.add("conv_dilated.bias", b_d, "randn(2)")
    b.add("conv_dilated.out", F.conv2d(x4, w_d, b_d, stride=1, padding=1, dilation=2),
          "F.conv2d(x4, w, b, stride=1, padding=1, dilation=2)")
    b.add("linear.weight", w_l, "randn(3,4)")
    b.add("linear.bias", b_l, "randn(3)")
    b.add("linear.out", F.linear(x2, w_l, b_l), "F.linear(x2, W, b) = x2 @ W.T + b")
    return b


# --------------------------------------------------------------------------
# Schedules and clipping (JSON)
# --------------------------------------------------------------------------

SCHEDULES = {
    "step": "StepLR(step_size=3, gamma=0.5)",
    "cosine": "CosineAnnealingLR(T_max=10, eta_min=0.001)",
    "warmup_linear": "LinearLR(start_factor=0.1, end_factor=1.0, total_iters=4)",
    "warmup_cosine": "SequentialLR([LinearLR(start_factor=0.1, total_iters=3), "
                     "CosineAnnealingLR(T_max=8, eta_min=0)], milestones=[3])",
}
EPOCHS = 12
BASE_LR = 0.1
CLIP_GRADS = [[3.0, 4.0], [1.0, 2.0, 2.0], [[0.5, 0.5], [0.5, 0.5]]]
CLIP_MAX_NORM = 2.0


def make_scheduler(name, optimizer):
    """The scheduler described by SCHEDULES[name] on optimizer."""
    sched = torch.optim.lr_scheduler
    if name == "step":
        return sched.StepLR(optimizer, step_size=3, gamma=0.5)
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)
    if name == "warmup_linear":
        return sched.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=4)
    if name == "warmup_cosine":
        return sched.SequentialLR(
            optimizer,
            [sched.LinearLR(optimizer, start_factor=0.1, total_iters=3),
             sched.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.0)],
            milestones=[3])
    raise KeyError(name)


def schedule_lrs(name):
    """LR at the start of each epoch 0..EPOCHS-1 (read before that epoch's
    scheduler.step(), which follows optimizer.step())."""
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=BASE_LR)
    scheduler = make_scheduler(name, optimizer)
    lrs = []
    for _ in range(EPOCHS):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def clip_case(norm_type):
    """clip_grad_norm_ on CLIP_GRADS: returned total norm and clipped grads."""
    params = []
    for values in CLIP_GRADS:
        grad = torch.tensor(values, dtype=torch.float32)
        param = nn.Parameter(torch.zeros_like(grad))
        param.grad = grad
        params.append(param)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm=CLIP_MAX_NORM,
                                           norm_type=norm_type)
    return {"norm_type": "inf" if norm_type == float("inf") else norm_type,
            "total_norm": total.item(),
            "clipped": [p.grad.tolist() for p in params]}


def schedules_json():
    """The schedules.json document."""
    return {
        "torch": torch.__version__,
        "generator": GENERATOR,
        "base_lr": BASE_LR,
        "epochs": EPOCHS,
        "protocol": "SGD(lr=0.1); per epoch: record param_groups[0]['lr'], "
                    "optimizer.step(), scheduler.step()",
        "schedules": {name: {"scheduler": SCHEDULES[name], "lr": schedule_lrs(name)}
                      for name in SCHEDULES},
        "clip": {
            "grads": CLIP_GRADS,
            "max_norm": CLIP_MAX_NORM,
            "l2": clip_case(2.0),
            "inf": clip_case(float("inf")),
        },
    }


SCHEDULES_README = """## schedules.json

Plain JSON (values are float64 as Python prints them; the clip values come
from float32 tensors).

| key | meaning |
| --- | --- |
| `torch`, `generator` | provenance |
| `base_lr`, `epochs`, `protocol` | SGD(lr=0.1); for epoch 0..11: record lr, optimizer.step(), scheduler.step() |
| `schedules.step.lr` | 12 lrs, StepLR(step_size=3, gamma=0.5) |
| `schedules.cosine.lr` | 12 lrs, CosineAnnealingLR(T_max=10, eta_min=0.001) (epoch 10 = T_max gives eta_min; epoch 11 rises again: the schedule is periodic, not clamped) |
| `schedules.warmup_linear.lr` | 12 lrs, LinearLR(start_factor=0.1, end_factor=1.0, total_iters=4) |
| `schedules.warmup_cosine.lr` | 12 lrs, SequentialLR([LinearLR(0.1, total_iters=3), CosineAnnealingLR(T_max=8, eta_min=0)], milestones=[3]) |
| `schedules.<name>.scheduler` | the constructor, as text |
| `clip.grads` | the three gradient tensors ([2], [3], [2,2]) |
| `clip.max_norm` | 2.0 |
| `clip.l2.total_norm` | value returned by clip_grad_norm_(max_norm=2.0) (L2 over all grads, before clipping) |
| `clip.l2.clipped` | grads after clipping: g * min(1, max_norm / (total_norm + 1e-6)) |
| `clip.inf.*` | the same with norm_type=inf (max abs value) |
"""

NOTES_README = """## Semantics worth knowing

- BatchNorm train mode normalises with the biased batch variance, but
  `running_var` is updated with the unbiased one (n/(n-1)):
  `running_var = (1-momentum)*running_var + momentum*var_unbiased`.
- Adam's `weight_decay` is L2: `g += wd*p` before the moments. AdamW is
  decoupled: `p *= 1 - lr*wd`, then the Adam update with the raw gradient.
  Both use `p -= lr * m_hat / (sqrt(v_hat) + eps)` (eps outside the sqrt).
- SGD: `g += wd*p`; the momentum buffer starts as `b = g` on the first step
  (no dampening then), afterwards `b = momentum*b + (1-dampening)*g`; the
  update is `g + momentum*b` with nesterov, else `b`.
- Cross-entropy mean with class weights divides by the sum of the targets'
  weights (ignored rows excluded). With label smoothing eps and weights w:
  `(1-eps)*weighted_nll_mean + eps/C * sum_i(-sum_c w_c*logp_ic) / sum_i w_{y_i}`.
- clip_grad_norm_ scales by `max_norm / (total_norm + 1e-6)` when that is
  below 1, so the clipped norm is slightly under max_norm.
- SequentialLR switches to the second scheduler at the milestone and restarts
  it from its epoch 0 (lr 0.1 at epoch 3).

## Comparing

The fixtures are float32, so an equally correct float32 implementation with a
different summation order differs from them by float32 rounding. Against a
float64 recomputation every tensor here satisfies
`|a-b| <= 1e-5*|b| + 1e-6*max|b|` (per tensor), except the Adam steps: where
`g + wd*p` is near zero the first Adam update is `+-lr` with an unstable sign,
so `mlp_adam` needs an absolute term of about 4e-5*max|b| and `cnn_adam`
about 3.2e-4*max|b| (a few hundred of the fc weight's 401,408 entries); the
norm-relative error `||a-b|| / ||b||` stays below 2e-6 everywhere. A pure
elementwise 1e-5 relative check fails on near-zero entries of gradients and
logits.
"""


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def setup_determinism():
    """One CPU thread and deterministic kernels."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def write_readme(out_dir, bundles, sizes):
    """README.md listing every file (with size) and every key."""
    header = [
        "# PyTorch reference fixtures",
        "",
        f"Generated by `{GENERATOR}` with torch {torch.__version__} on the CPU "
        "(1 thread, deterministic algorithms). Regenerate with "
        "`python scripts/pytorch_reference.py --out Tests/Fixtures/pytorch`; "
        "do not edit by hand.",
        "",
        "Every `.safetensors` tensor is float32 and contiguous; integer "
        "labels are stored as float32. Scalars have shape []. Metadata: "
        '`{"torch": <version>, "generator": "scripts/pytorch_reference.py"}`.',
        "",
        "| file | bytes |",
        "| --- | --- |",
    ]
    header += [f"| `{name}` | {size} |" for name, size in sizes]
    header.append(f"| total (without this README) | {sum(size for _, size in sizes)} |")
    body = [NOTES_README] + [bundle.readme() for bundle in bundles] + [SCHEDULES_README]
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(header) + "\n\n" + "\n".join(body))


def generate(out_dir, data_dir):
    """Write every fixture to out_dir and print a size summary."""
    os.makedirs(out_dir, exist_ok=True)
    bundles = []
    for model_name in MODELS:
        bundles += model_bundles(model_name, data_dir)
    bundles += [losses_bundle(), layers_bundle()]

    sizes = []
    for bundle in bundles:
        path = bundle.save(out_dir)
        sizes.append((bundle.name, os.path.getsize(path)))
    json_path = os.path.join(out_dir, "schedules.json")
    with open(json_path, "w") as f:
        json.dump(schedules_json(), f, indent=1)
        f.write("\n")
    sizes.append(("schedules.json", os.path.getsize(json_path)))
    write_readme(out_dir, bundles, sizes)

    print(f"torch {torch.__version__}; wrote to {out_dir}:")
    for name, size in sizes:
        print(f"  {name:32s} {size:>10,d} bytes")
    print(f"  {'total (without README.md)':32s} {sum(s for _, s in sizes):>10,d} bytes")


def infer_model(state):
    """'cnn' if the state dict has the CNN's second conv, else 'mlp'."""
    return "cnn" if "trunk.3.weight" in state else "mlp"


def verify(path, model_name=None, data_dir=DEFAULT_DATA):
    """Load a checkpoint into the model (strict) and run it on the batch.

    Prints OK, the logits' first row, loss and accuracy per task and the
    total loss; returns False (after printing why) if it does not load."""
    state = load_file(path)
    model_name = model_name or infer_model(state)
    spec = MODELS[model_name]
    net = spec.build()
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:
        print(f"FAIL: {path} does not load into the {model_name} model:\n{error}")
        return False
    x, labels = make_batch(model_name, data_dir)
    with torch.no_grad():
        outputs = net(x)
        per_task, total = multitask_loss(outputs, labels, spec.task_weights)
    print(f"OK: {path} loads into the {model_name} model "
          f"(load_state_dict strict=True, {len(state)} tensors)")
    for task, logits in outputs.items():
        row = ", ".join(f"{v:.6f}" for v in logits[0].tolist())
        accuracy = (logits.argmax(1) == labels[task]).float().mean().item()
        print(f"  {task:9s} logits {tuple(logits.shape)}  row 0 [{row}]  "
              f"loss {per_task[task].item():.6f}  acc {accuracy:.3f}")
    print(f"  loss.total {total.item():.6f}")
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring for the list of outputs.")
    parser.add_argument("--out", default="Tests/Fixtures/pytorch",
                        help="output folder (default: %(default)s)")
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="folder with the Fashion-MNIST IDX gz files (default: %(default)s)")
    parser.add_argument("--verify", metavar="FILE",
                        help="load a MultiTaskKit checkpoint (.safetensors) instead of generating")
    parser.add_argument("--model", choices=sorted(MODELS),
                        help="model for --verify (default: inferred from the keys)")
    args = parser.parse_args(argv)
    setup_determinism()
    if args.verify:
        return 0 if verify(args.verify, args.model, args.data) else 1
    if args.model:
        parser.error("--model only applies to --verify")
    generate(args.out, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
