#!/usr/bin/env python3
"""PyTorch reference fixtures for MultiTaskKit's task-affinity estimators.

Run once by hand (CI has no torch); the outputs are committed under
Tests/Fixtures/pytorch/. For both reference models, from `<model>_init` on the
`<model>_batch` batch, after `pre` real optimiser steps on the weighted loss:

  losses            L_j, each task's unweighted loss at theta_s
  Z                 TAG lookahead Z[i][j] = 1 - L_j(theta_s - D_i) / L_j(theta_s),
                    D_i = the update the optimiser (a copy, state included) makes when
                    only the shared (trunk) parameters have a gradient, task i's g_i
  first             <D_i, g_j> / L_j (first-order lookahead)
  cos               cos(g_i, g_j) over all shared parameters
  Z64, first64      the same computed in float64 from the same float32 start (the
                    shadow: |Z - Z64| shows float32 noise)

Optimisers: sgd_plain (SGD lr 0.1, no momentum, pre 0), sgd (the SGD of
pytorch_reference.py: lr 0.05, momentum 0.9, Nesterov, weight decay 1e-3; pre 1,
so the momentum buffer is filled), adam (Adam lr 1e-3, weight decay 1e-3; pre 2).
Files: <model>_affinity_<optimiser>.safetensors, rows = source task i,
columns = target task j, tasks in head order.

Usage: python scripts/pytorch_affinity_reference.py --out Tests/Fixtures/pytorch
"""

import argparse
import copy
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import MODELS, OPTIMIZERS, setup_determinism  # noqa: E402

GENERATOR = "scripts/pytorch_affinity_reference.py"
CASES = {
    "sgd_plain": (lambda p: torch.optim.SGD(p, lr=0.1), 0),
    "sgd": (OPTIMIZERS["sgd"][1], 1),
    "adam": (OPTIMIZERS["adam"][1], 2),
}


def task_losses(net, x, labels, tasks):
    out = net(x)
    return [F.cross_entropy(out[t], labels[t]) for t in tasks]


def affinity(model_name, case, fixtures, dtype):
    spec = MODELS[model_name]
    make_optimizer, pre = CASES[case]
    net = spec.build()
    net.load_state_dict(load_file(os.path.join(fixtures, f"{model_name}_init.safetensors")), strict=True)
    batch = load_file(os.path.join(fixtures, f"{model_name}_batch.safetensors"))
    tasks = list(spec.task_weights)
    x = batch["x"]
    labels = {t: batch[f"y.{t}"].long() for t in tasks}
    optimizer = make_optimizer(net.parameters())
    for _ in range(pre):  # real steps in float32, as the trainer takes them
        optimizer.zero_grad()
        losses = task_losses(net, x, labels, tasks)
        sum(w * l for w, l in zip(spec.task_weights.values(), losses)).backward()
        optimizer.step()
    if dtype == torch.float64:  # the shadow starts from the same float32 state
        state = copy.deepcopy(optimizer.state_dict())
        net = net.double()
        optimizer = make_optimizer(net.parameters())
        optimizer.load_state_dict(state)  # (state is a private copy here)
        for s in optimizer.state.values():
            for k, v in s.items():
                if torch.is_tensor(v) and v.is_floating_point() and k != "step":
                    s[k] = v.double()
        x = x.double()
    shared = [(n, p) for n, p in net.named_parameters() if n.startswith("trunk.")]
    losses = task_losses(net, x, labels, tasks)
    before = [l.item() for l in losses]
    grads = [torch.autograd.grad(l, [p for _, p in shared], retain_graph=True) for l in losses]
    updates = []
    for g in grads:
        twin = copy.deepcopy(net)
        twin_opt = make_optimizer(twin.parameters())
        # A deep copy: load_state_dict keeps the very tensors it is given when their dtype already
        # fits, so the twin's in-place momentum/moment updates would otherwise change `optimizer`'s
        # state, and every task after the first would start from a corrupted buffer.
        twin_opt.load_state_dict(copy.deepcopy(optimizer.state_dict()))
        for s in twin_opt.state.values():
            for k, v in s.items():
                if torch.is_tensor(v) and v.is_floating_point() and k != "step":
                    s[k] = v.to(dtype)
        named = dict(twin.named_parameters())
        for p in twin.parameters():
            p.grad = None
        for (n, _), gi in zip(shared, g):
            named[n].grad = gi.clone()
        twin_opt.step()
        updates.append([p.detach() - named[n].detach() for n, p in shared])
    T = len(tasks)
    Z = torch.zeros(T, T, dtype=torch.float64)
    first = torch.zeros(T, T, dtype=torch.float64)
    cos = torch.zeros(T, T, dtype=torch.float64)
    with torch.no_grad():
        for i in range(T):
            twin = copy.deepcopy(net)
            named = dict(twin.named_parameters())
            for (n, p), d in zip(shared, updates[i]):
                named[n].copy_(p - d)
            after = [l.item() for l in task_losses(twin, x, labels, tasks)]
            for j in range(T):
                Z[i, j] = 1 - after[j] / before[j]
                first[i, j] = sum((d.double() * g.double()).sum() for d, g in zip(updates[i], grads[j])).item() / before[j]
                gi = torch.cat([g.double().flatten() for g in grads[i]])
                gj = torch.cat([g.double().flatten() for g in grads[j]])
                cos[i, j] = (gi @ gj / (gi.norm() * gj.norm())).item()
    return tasks, torch.tensor(before), Z, first, cos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/Fixtures/pytorch")
    a = ap.parse_args()
    setup_determinism()
    for model_name in ("mlp", "cnn"):
        for case in CASES:
            tasks, losses, Z, first, cos = affinity(model_name, case, a.out, torch.float32)
            _, _, Z64, first64, _ = affinity(model_name, case, a.out, torch.float64)
            tensors = {"losses": losses.float(), "Z": Z.float(), "first": first.float(), "cos": cos.float(),
                       "Z64": Z64.float(), "first64": first64.float()}
            path = os.path.join(a.out, f"{model_name}_affinity_{case}.safetensors")
            save_file({k: v.contiguous() for k, v in tensors.items()}, path,
                      metadata={"torch": torch.__version__, "generator": GENERATOR, "tasks": ",".join(tasks),
                                "pre_steps": str(CASES[case][1])})
            print(path, "max |Z - Z64| =", (Z - Z64).abs().max().item())


if __name__ == "__main__":
    main()
