#!/usr/bin/env bash
# Side-by-side cost of the affinity estimators: MultiTaskKit's `mtk bench train --workload cnn
# [--affinity tag_affinity|grad_cos]` against the PyTorch peers (mtl_cnn.py, tag_affinity.py,
# grad_cos.py in ../shared/bench/pytorch), interleaved run by run, same machine and thread count.
# Prints, per side and workload, s/epoch (min / median) and the overhead over that side's own
# plain training (median against median).
# Usage: scripts/compare_affinity.sh THREADS [ROUNDS]
# Needs a release build (make build) and PYTHON pointing at a Python with torch and numpy.
set -euo pipefail
threads=${1:?threads}; rounds=${2:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER_DIR:-$here/../shared/bench/pytorch}
python=${PYTHON:-python3}
out=$(mktemp)
for round in $(seq "$rounds"); do
  for workload in mtl_cnn tag_affinity grad_cos; do
    if [ "$workload" = mtl_cnn ]; then extra=(); else extra=(--affinity "$workload"); fi
    "$here/.build/release/mtk" bench train --workload cnn --threads "$threads" "${extra[@]}" >> "$out"
    (cd "$peer" && "$python" "$workload.py" --threads "$threads") | tail -n 1 >> "$out"
  done
done
"$python" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
runs = {}
for r in rows:
    side = r.get("engine", "PyTorch " + r.get("torch", ""))
    runs.setdefault((side, r["workload"]), []).append(r["train_s_per_epoch"])
for (side, workload), t in sorted(runs.items()):
    plain = statistics.median(runs[(side, "mtl_cnn")])
    median = statistics.median(t)
    print(json.dumps({"side": side, "workload": workload, "threads": rows[0]["threads"], "runs": len(t),
                      "train_s_per_epoch_min": round(min(t), 3), "train_s_per_epoch_median": round(median, 3),
                      "overhead_vs_plain_median": round(median / plain - 1, 3)}))
PY
rm -f "$out"
