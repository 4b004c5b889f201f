#!/usr/bin/env python3
"""Synthetic checkpoints for the model-merge benchmark (`mtk merge` against mergekit), and its check.

  make_merge_bench_models.py make OUT_DIR [--size 1g|small] [--layers N] [--seed S] [--force]
      Writes three model directories under OUT_DIR -- base/, ft1/, ft2/ -- each holding a
      config.json (LlamaForCausalLM, so mergekit knows the architecture) and one F32
      model.safetensors. base is random (N(0, 0.02), norms 1.0); ftK = base + N(0, 0.001) noise.
      Deterministic: every tensor comes from its own numpy PCG64 stream keyed by (seed, model,
      tensor name), so the files are byte-identical between runs with the same numpy version.
      Sizes (tied embeddings, no lm_head tensor; num_key_value_heads = num_attention_heads):
        1g     hidden 2048, intermediate 5504, 4 layers, vocab 32000: 267,929,600 parameters,
               1,071,722,688-byte files (~0.998 GiB each, ~3.2 GB for the three).
        small  hidden 256, intermediate 688, 2 layers, vocab 1000: for smoke tests (~7 MB each).
      --layers overrides the preset's layer count. An existing model directory with the same
      manifest (bench.json) is kept unless --force.

  make_merge_bench_models.py verify OUT_DIR MERGED [--weights 1.0,1.0]
      Compares a merged model (MERGED: a .safetensors file, or a directory whose every
      *.safetensors is read, any sharding; a missing lm_head is fine, as the inputs tie it)
      against task arithmetic computed with numpy:
      base + w1*(ft1-base) + w2*(ft2-base), summed in mergekit's order. Prints one JSON line
      with the max abs difference and exits 1 if it exceeds float32 rounding (1e-6 here, the
      values being O(0.1)).

Needs only numpy and safetensors (both come with mergekit's virtual environment); downloads nothing.
"""
import argparse
import glob
import json
import os
import sys
import zlib

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

PRESETS = {
    "1g": dict(hidden=2048, intermediate=5504, layers=4, vocab=32000, heads=16),
    "small": dict(hidden=256, intermediate=688, layers=2, vocab=1000, heads=4),
}
MODELS = ("base", "ft1", "ft2")
BASE_STD, NOISE_STD = 0.02, 0.001


def shapes(p):
    h, i = p["hidden"], p["intermediate"]
    out = [("model.embed_tokens.weight", (p["vocab"], h))]
    for layer in range(p["layers"]):
        pre = f"model.layers.{layer}."
        out += [(pre + "input_layernorm.weight", (h,)),
                (pre + "post_attention_layernorm.weight", (h,))]
        out += [(pre + f"self_attn.{n}_proj.weight", (h, h)) for n in "qkvo"]
        out += [(pre + "mlp.gate_proj.weight", (i, h)), (pre + "mlp.up_proj.weight", (i, h)),
                (pre + "mlp.down_proj.weight", (h, i))]
    out.append(("model.norm.weight", (h,)))
    return out


def config_json(p):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": p["hidden"], "intermediate_size": p["intermediate"],
        "num_hidden_layers": p["layers"], "num_attention_heads": p["heads"],
        "num_key_value_heads": p["heads"], "vocab_size": p["vocab"],
        "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "tie_word_embeddings": True,
        "bos_token_id": 1, "eos_token_id": 2,
    }


def rng(seed, model, name):
    return np.random.Generator(np.random.PCG64([seed, model, zlib.crc32(name.encode())]))


def base_tensor(seed, name, shape):
    if name.endswith("norm.weight"):
        return np.ones(shape, dtype=np.float32)
    return rng(seed, 0, name).standard_normal(shape, dtype=np.float32) * np.float32(BASE_STD)


def model_tensors(seed, model_index, p):
    """Tensors of MODELS[model_index], one at a time (name, array)."""
    for name, shape in shapes(p):
        t = base_tensor(seed, name, shape)
        if model_index:
            t += rng(seed, model_index, name).standard_normal(shape, dtype=np.float32) * np.float32(NOISE_STD)
        yield name, t


def make(args):
    p = dict(PRESETS[args.size])
    if args.layers:
        p["layers"] = args.layers
    manifest = {"preset": args.size, **p, "seed": args.seed, "numpy": np.__version__,
                "base_std": BASE_STD, "noise_std": NOISE_STD}
    n_params = sum(int(np.prod(s)) for _, s in shapes(p))
    for k, model in enumerate(MODELS):
        d = os.path.join(args.out_dir, model)
        mpath = os.path.join(d, "bench.json")
        os.makedirs(d, exist_ok=True)
        json.dump(config_json(p), open(os.path.join(d, "config.json"), "w"), indent=2)
        if not args.force and os.path.exists(mpath) and os.path.exists(os.path.join(d, "model.safetensors")):
            if json.load(open(mpath)) == {**manifest, "model": model}:
                print(f"{d}: up to date", file=sys.stderr)
                continue
        # ~1 GB in memory for the 1g preset; safetensors' save_file wants the whole dict.
        tensors = dict(model_tensors(args.seed, k, p))
        tmp = os.path.join(d, "model.safetensors.tmp")
        save_file(tensors, tmp, metadata={"format": "pt"})
        del tensors
        os.replace(tmp, os.path.join(d, "model.safetensors"))
        json.dump({**manifest, "model": model}, open(mpath, "w"), indent=2)
        print(f"{d}: {n_params:,} parameters, {os.path.getsize(os.path.join(d, 'model.safetensors')):,} bytes",
              file=sys.stderr)


def verify(args):
    weights = [np.float32(w) for w in args.weights.split(",")]
    files = {}
    merged = args.merged_dir
    paths = [merged] if os.path.isfile(merged) else sorted(glob.glob(os.path.join(merged, "*.safetensors")))
    for f in paths:
        with safe_open(f, "numpy") as h:
            for name in h.keys():
                files[name] = f
    ins = [safe_open(os.path.join(args.out_dir, m, "model.safetensors"), "numpy") for m in MODELS]
    names = list(ins[0].keys())
    missing = [n for n in names if n not in files]
    extra = sorted(set(files) - set(names) - {"lm_head.weight"})
    max_diff, max_diff_naive, bad_dtype = 0.0, 0.0, []
    for name in names:
        if name not in files:
            continue
        base, ft1, ft2 = (h.get_tensor(name) for h in ins)
        with safe_open(files[name], "numpy") as h:
            out = h.get_tensor(name)
        if out.dtype != np.float32:
            bad_dtype.append(f"{name}:{out.dtype}")
            out = out.astype(np.float32)
        # mergekit: deltas stacked, scaled by weight, summed over models, added to base.
        expect = base + ((ft1 - base) * weights[0] + (ft2 - base) * weights[1])
        naive = ft1 + ft2 - base
        max_diff = max(max_diff, float(np.max(np.abs(out - expect))))
        max_diff_naive = max(max_diff_naive, float(np.max(np.abs(out - naive))))
    if "lm_head.weight" in files:  # tied: must equal the merged embedding
        with safe_open(files["lm_head.weight"], "numpy") as h, \
                safe_open(files["model.embed_tokens.weight"], "numpy") as e:
            max_diff = max(max_diff, float(np.max(np.abs(
                h.get_tensor("lm_head.weight").astype(np.float32) - e.get_tensor("model.embed_tokens.weight")))))
    ok = not missing and not extra and not bad_dtype and max_diff <= 1e-6
    print(json.dumps({"verify": "ok" if ok else "FAIL", "tensors": len(names) - len(missing),
                      "max_abs_diff": max_diff, "max_abs_diff_vs_ft1+ft2-base": max_diff_naive,
                      "missing": missing, "extra": extra, "non_f32": bad_dtype,
                      "shards": sorted(set(os.path.basename(f) for f in files.values()))}))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out_dir")
    m.add_argument("--size", choices=sorted(PRESETS), default="1g")
    m.add_argument("--layers", type=int)
    m.add_argument("--seed", type=int, default=20240601)
    m.add_argument("--force", action="store_true")
    v = sub.add_parser("verify")
    v.add_argument("out_dir")
    v.add_argument("merged_dir", metavar="merged")
    v.add_argument("--weights", default="1.0,1.0")
    args = ap.parse_args()
    if args.cmd == "make":
        make(args)
        return 0
    return verify(args)


if __name__ == "__main__":
    sys.exit(main())
