#!/usr/bin/env bash
# The grouping study of docs/grouping-study.md: the ground truth of five fashion-attributes tasks,
# every estimator, and each estimator's grouping scored on the truth.
# Usage: scripts/grouping_study.sh [OUT_DIR] [SHARDS]   (after a release build: make build)
# SHARDS processes train the ground truth side by side, one thread each; each estimator then runs
# alone, on one thread. Every network is cached: a rerun continues where a stopped one ended.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/grouping-study}
shards=${2:-2}
mtk=.build/release/mtk
opts=(--suite fashion-attributes --tasks class,footwear,upper,footwear_noisy,random --model reference-cnn --epochs 2 --threads 1)

mkdir -p "$out/logs"
pids=()
for ((i = 0; i < shards; i++)); do
  "$mtk" groundtruth "${opts[@]}" -o "$out" --shard "$i/$shards" > "$out/logs/shard$i.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$mtk" groundtruth merge "$out"

# Pairwise training reuses the ground truth's singles and pairs (same settings and directory).
# ESA's networks train for half the epochs (one of two: Standley's 20% rounds to less than one).
"$mtk" pairwise "${opts[@]}" -o "$out" --method pairwise,esa --esa-fraction 0.5
estimators=(--estimator "$out/affinity/pairwise.json" --estimator "$out/affinity/esa.json")
for method in tag first-order cosine fisher; do
  "$mtk" affinity "${opts[@]}" --method "$method" -o "$out/estimators/$method" --overwrite > "$out/logs/$method.log" 2>&1
  estimators+=(--estimator "$out/estimators/$method/affinity/$method.json")
done
"$mtk" evaluate-groupings --groundtruth "$out" "${estimators[@]}" --random 1000 --seed 0 -o "$out/report.md"
