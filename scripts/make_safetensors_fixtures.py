#!/usr/bin/env python3
"""Safetensors interoperability with the reference implementation (the `safetensors` package).

  make_safetensors_fixtures.py write [FIXTURES_DIR]
      Writes the fixtures read by Tests/NNTests/SafetensorsTests.swift (default directory:
      Tests/Fixtures/safetensors). The tests hard-code the same values; change both together.

  make_safetensors_fixtures.py verify EXPORT_DIR
      Checks files written by our Swift writer: run the tests with SAFETENSORS_EXPORT_DIR=EXPORT_DIR
      first (see `exportForPythonVerification` in the tests), then this reads them with the
      reference implementation and compares every value.

Needs `pip install safetensors numpy` (a virtual environment outside the repository is enough).
"""
import json
import math
import os
import struct
import sys

import numpy as np
from safetensors import TensorSpec, deserialize, serialize_file
from safetensors.numpy import load_file, save_file

F16_BITS = [0x3C00, 0xC000, 0x7BFF, 0x0400, 0x0001, 0x0200, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3555]
BF16_BITS = [0x3F80, 0xC040, 0x3EAB, 0x7F80, 0x0001, 0x8000]
F64_VALUES = [0.1, -1e300, 1e-50, math.pi, 1 + 2.0**-24, 1 + 3 * 2.0**-24]


def spec(array, dtype):
    """A TensorSpec for a contiguous little-endian array, stored as `dtype` (a reference dtype name)."""
    return TensorSpec(dtype=dtype, shape=array.shape, data_ptr=array.ctypes.data, data_len=array.nbytes)


def write_fixtures(directory):
    arrays = {
        "f32_matrix": (np.array([[1.5, -2.25, 0.0], [3.4028235e38, 1e-45, -0.0]], dtype="<f4"), "float32"),
        "f16_specials": (np.array(F16_BITS, dtype="<u2"), "float16"),
        "bf16_values": (np.array(BF16_BITS, dtype="<u2").reshape(2, 3), "bfloat16"),
        "f64_values": (np.array(F64_VALUES, dtype="<f8"), "float64"),
        "scalar": (np.array(42.0, dtype="<f4"), "float32"),
        "empty": (np.zeros((0, 3), dtype="<f4"), "float32"),
    }
    specs = {name: spec(array, dtype) for name, (array, dtype) in arrays.items()}
    metadata = {"format": "np", "source": "make_safetensors_fixtures.py"}
    serialize_file(specs, os.path.join(directory, "python_written.safetensors"), metadata=metadata)

    shards = {
        "sharded-00001-of-00002.safetensors": {
            "layer.0.weight": np.array([[1, 2], [3, 4]], dtype="<f4"),
            "layer.0.bias": np.array([0.5, -0.5], dtype="<f4"),
        },
        "sharded-00002-of-00002.safetensors": {
            "layer.1.weight": np.array([0.25, -8], dtype="<f2"),
        },
    }
    weight_map = {}
    total_size = 0
    for shard, tensors in shards.items():
        save_file(tensors, os.path.join(directory, shard), metadata={"format": "np"})
        weight_map.update({name: shard for name in tensors})
        total_size += sum(t.nbytes for t in tensors.values())
    index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
    with open(os.path.join(directory, "sharded.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")


# Must match `SafetensorsTests.exportValues` (Float32 values).
EXPORT_VALUES = np.array(
    [0, -0.0, 1, -2.5, 0.1, 65504, 65520, 1e-8, 3.4e38, math.inf, -math.inf, 1 / 3, 1e-45], dtype="<f4")


def bf16_round(values):
    """Float32 -> bfloat16 bit patterns, round to nearest even (no NaNs in the inputs)."""
    bits = values.view("<u4").astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def check(condition, message):
    if not condition:
        raise SystemExit("FAIL: " + message)
    print("ok:", message)


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def verify(directory):
    def path(name):
        return os.path.join(directory, name)

    def header(name):
        with open(path(name), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            return n, json.loads(f.read(n))

    values = EXPORT_VALUES
    f32 = load_file(path("ours_f32.safetensors"))
    check(same_bits(f32["values"], values), "F32 values bit-exact")
    check(same_bits(f32["matrix"], np.arange(24, dtype="<f4").reshape(2, 3, 4) * 0.5), "F32 rank-3 tensor")
    check(same_bits(f32["scalar"], np.array(-7.25, dtype="<f4")), "F32 scalar (shape [])")
    check(f32["empty"].shape == (3, 0), "empty tensor shape [3, 0]")
    check(np.isnan(f32["nan"]).all(), "NaN stays NaN")
    n, h = header("ours_f32.safetensors")
    check(n % 8 == 0, "header length %d is a multiple of 8" % n)
    check(h["__metadata__"] == {"epoch": "3", "task": "seg+depth"}, "metadata read by the reference")

    f16 = load_file(path("ours_f16.safetensors"))
    with np.errstate(over="ignore"):  # 65520 rounds to infinity in float16, as it should
        expected_f16 = values.astype("<f2")
    check(same_bits(f16["values"], expected_f16), "F16 values equal numpy's float16 rounding")
    f64 = load_file(path("ours_f64.safetensors"))
    check(same_bits(f64["values"], values.astype("<f8")), "F64 values equal the widened Float32 values")

    with open(path("ours_bf16.safetensors"), "rb") as f:
        tensors = dict(deserialize(f.read()))
    bf16 = tensors["values"]
    check(bf16["dtype"] == "BF16" and list(bf16["shape"]) == [len(values)], "BF16 dtype and shape")
    check(bytes(bf16["data"]) == bf16_round(values).astype("<u2").tobytes(), "BF16 bits equal round-to-nearest-even")

    with open(path("ours_sharded.safetensors.index.json")) as f:
        index = json.load(f)
    shards = sorted(set(index["weight_map"].values()))
    loaded = {}
    for shard in shards:
        loaded.update(load_file(path(shard)))
    check(set(loaded) == set(index["weight_map"]), "sharded: every mapped tensor is in its shard")
    check(index["metadata"]["total_size"] == sum(t.nbytes for t in loaded.values()), "sharded: total_size")
    for i in range(5):
        check(same_bits(loaded["w%d" % i], np.full((3, 5), i, dtype="<f4")), "sharded: w%d" % i)
    print("all checks passed for", directory)


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else "write"
    if command == "write":
        here = os.path.dirname(os.path.abspath(__file__))
        default = os.path.join(here, "..", "Tests", "Fixtures", "safetensors")
        write_fixtures(sys.argv[2] if len(sys.argv) > 2 else default)
    elif command == "verify" and len(sys.argv) == 3:
        verify(sys.argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
