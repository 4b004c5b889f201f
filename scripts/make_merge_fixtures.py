#!/usr/bin/env python3
"""Reference merges written by PyTorch, for Tests/MultiTaskTests/CheckpointMergeTests.swift.

  make_merge_fixtures.py write [DIR]     (default DIR: Tests/Fixtures/merge)
      Writes three checkpoints of a small two-task network with PyTorch's state_dict names
      (base, ft1, ft2; ft2 also sharded with an index, and bf16 copies), two diagonal Fishers,
      and the merges below computed in float64 by torch and rounded once to float32:
        expected_task_arithmetic.safetensors  base + 0.7 * (1.0*(ft1-base) + 0.5*(ft2-base))
        expected_ties.safetensors             TIES, density 0.5 per tensor, weights 1 and 0.5, normalize
        expected_linear.safetensors           (1*ft1 + 3*ft2) / 4
        expected_fisher.safetensors           Fisher-weighted average, floor 1e-6 on the first model, normalised Fishers
      The random values have no repeated magnitudes, so TIES's top-k needs no tie rule.

  make_merge_fixtures.py verify OUTPUT_DIR...
      Loads merges written by `mtk merge` (each directory's model.safetensors or sharded index)
      with PyTorch's safetensors loader and prints the largest difference to the matching expected
      file (named by the directory: out-task_arithmetic, ...).

Needs torch, numpy and safetensors (a virtual environment outside the repository).
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def network(seed):
    g = torch.Generator().manual_seed(seed)
    shapes = {
        "trunk.0.weight": (16, 12), "trunk.0.bias": (16,),
        "trunk.2.weight": (8, 16), "trunk.2.bias": (8,),
        "heads.a.0.weight": (3, 8), "heads.a.0.bias": (3,),
        "heads.b.0.weight": (2, 8), "heads.b.0.bias": (2,),
    }
    return {name: torch.randn(shape, generator=g, dtype=torch.float32) * 0.1 for name, shape in shapes.items()}


def tuned(base, seed):
    g = torch.Generator().manual_seed(seed)
    return {k: (v + torch.randn(v.shape, generator=g) * 0.02).contiguous() for k, v in base.items()}


def ties_merge(base, models, weights, density):
    out = {}
    for name, b in base.items():
        b64 = b.double()
        values = []
        for m, w in zip(models, weights):
            delta = m[name].float() - b  # ranked in float32, as mtk ranks
            k = int(density * delta.numel())
            keep = torch.zeros(delta.numel(), dtype=torch.bool)
            keep[torch.topk(delta.abs().flatten(), k).indices] = True
            values.append(torch.where(keep.view(delta.shape), w * (m[name].double() - b64), torch.zeros_like(b64)))
        stacked = torch.stack(values)
        total = stacked.sum(0)
        positive = total >= 0
        agree = torch.where(positive, stacked > 0, stacked < 0)
        s = torch.where(agree, stacked, torch.zeros_like(stacked)).sum(0)
        wsum = sum(torch.where(agree[i], torch.full_like(b64, w), torch.zeros_like(b64)) for i, w in enumerate(weights))
        wsum = torch.where(wsum == 0, torch.ones_like(wsum), wsum)
        out[name] = (b64 + 1.0 * (s / wsum)).float()
    return out


def write(directory):
    os.makedirs(directory, exist_ok=True)
    base = network(0)
    ft1, ft2 = tuned(base, 1), tuned(base, 2)
    for name, sd in [("base", base), ("ft1", ft1), ("ft2", ft2)]:
        save_file(sd, os.path.join(directory, f"{name}.safetensors"), metadata={"format": "pt"})
        save_file({k: v.bfloat16() for k, v in sd.items()}, os.path.join(directory, f"{name}_bf16.safetensors"), metadata={"format": "pt"})
    # ft2 sharded as Hugging Face does: two files and an index.
    shard_dir = os.path.join(directory, "ft2_sharded")
    os.makedirs(shard_dir, exist_ok=True)
    names = list(ft2)
    halves = [names[:4], names[4:]]
    weight_map = {}
    for i, part in enumerate(halves):
        file = f"model-{i + 1:05d}-of-00002.safetensors"
        save_file({k: ft2[k] for k in part}, os.path.join(shard_dir, file), metadata={"format": "pt"})
        weight_map.update({k: file for k in part})
    total = sum(v.numel() * 4 for v in ft2.values())
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    # Fishers: positive, with some exact zeros in the second.
    g = torch.Generator().manual_seed(3)
    fisher1 = {k: torch.rand(v.shape, generator=g) for k, v in base.items()}
    fisher2 = {k: torch.rand(v.shape, generator=g) * (torch.rand(v.shape, generator=g) > 0.2) for k, v in base.items()}
    save_file(fisher1, os.path.join(directory, "fisher1.safetensors"))
    save_file(fisher2, os.path.join(directory, "fisher2.safetensors"))

    f64 = lambda sd: {k: v.double() for k, v in sd.items()}
    b, m1, m2 = f64(base), f64(ft1), f64(ft2)
    # Task arithmetic: base + (λ / divisor) * Σ wᵢ(θᵢ − base), divisor 1 (normalize off).
    ta = {k: (b[k] + 0.7 * (1.0 * (m1[k] - b[k]) + 0.5 * (m2[k] - b[k]))).float() for k in b}
    save_file(ta, os.path.join(directory, "expected_task_arithmetic.safetensors"))
    save_file(ties_merge(base, [ft1, ft2], [1.0, 0.5], 0.5), os.path.join(directory, "expected_ties.safetensors"))
    save_file({k: ((1.0 * m1[k] + 3.0 * m2[k]) / 4.0).float() for k in b}, os.path.join(directory, "expected_linear.safetensors"))
    norm = lambda sd: sum((v.double() ** 2).sum() for v in sd.values()).sqrt()
    c1, c2 = 1.0 / norm(fisher1), 1.0 / norm(fisher2)
    fm = {}
    for k in b:
        f1 = torch.clamp(fisher1[k].double(), min=1e-6)
        f2 = fisher2[k].double()
        fm[k] = ((c1 * f1 * m1[k] + c2 * f2 * m2[k]) / (c1 * f1 + c2 * f2)).float()
    save_file(fm, os.path.join(directory, "expected_fisher.safetensors"))
    print(f"wrote {directory}")


def load_output(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        out = {}
        for file in files:
            out.update(load_file(os.path.join(directory, file)))
        return out
    return load_file(os.path.join(directory, "model.safetensors"))


def verify(directories):
    fixtures = os.path.join(HERE, "..", "Tests", "Fixtures", "merge")
    worst = 0.0
    for directory in directories:
        method = os.path.basename(os.path.normpath(directory)).removeprefix("out-")
        expected = load_file(os.path.join(fixtures, f"expected_{method}.safetensors"))
        merged = load_output(directory)
        assert set(merged) == set(expected), (directory, sorted(set(merged) ^ set(expected)))
        diff = max((merged[k].float() - expected[k]).abs().max().item() for k in expected)
        worst = max(worst, diff)
        print(json.dumps({"output": directory, "loaded_by": f"torch {torch.__version__}", "tensors": len(merged), "max_abs_diff": diff}))
    sys.exit(0 if worst == 0 else 1)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "write":
        write(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "Tests", "Fixtures", "merge"))
    elif len(sys.argv) >= 3 and sys.argv[1] == "verify":
        verify(sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)
