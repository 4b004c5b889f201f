#!/usr/bin/env bash
# Side-by-side training benchmark: MultiTaskKit's `mtk bench train` against the PyTorch peer scripts
# (../shared/bench/pytorch), interleaved, same machine and thread count; prints min/median per side.
# Usage: scripts/compare_train.sh WORKLOAD(mlp|cnn) THREADS [ROUNDS]
# Needs a release build (make build) and PYTHON pointing at a Python with torch and numpy
# (default: python3); PEER_DIR overrides the peer scripts' folder.
set -euo pipefail
workload=${1:?workload mlp or cnn}; threads=${2:?threads}; rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER_DIR:-$here/../shared/bench/pytorch}
python=${PYTHON:-python3}
out=$(mktemp)
for round in $(seq "$rounds"); do
  "$here/.build/release/mtk" bench train --workload "$workload" --threads "$threads" >> "$out"
  (cd "$peer" && "$python" "mtl_$workload.py" --threads "$threads") | tail -n 1 >> "$out"
done
"$python" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
sides = {}
for r in rows:
    sides.setdefault(r.get("engine", "PyTorch " + r.get("torch", "")), []).append(r)
for name, runs in sides.items():
    t = sorted(r["train_s_per_epoch"] for r in runs)
    acc = {k: round(statistics.median(r["test_acc"][k] for r in runs), 4) for k in runs[0]["test_acc"]}
    print(json.dumps({"side": name, "workload": runs[0]["workload"], "threads": runs[0]["threads"], "runs": len(runs),
                      "train_s_per_epoch_min": round(t[0], 3), "train_s_per_epoch_median": round(statistics.median(t), 3),
                      "test_acc_median": acc}))
PY
rm -f "$out"
