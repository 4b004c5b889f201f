#!/usr/bin/env bash
# The pruning study of docs/pruning.md, on five fashion-attributes tasks with the reference CNN
# (the tasks and settings of docs/grouping-study.md): a dense network; plain SNIP, DiSparse static,
# DiSparse dynamic and DiSparse from the trained dense network (pt) at 50, 70 and 90% trunk sparsity; per-task test
# metrics and Δm% against dense. Then the mask-similarity estimator, at initialisation and on the
# trained dense network, beside TAG's matrix (and, given the grouping study's ground truth,
# scored against it).
# Usage: scripts/pruning_study.sh [OUT_DIR] [GROUND_TRUTH_DIR]   (after a release build: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/pruning-study}
truth=${2:-}
mtk=.build/release/mtk
opts=(--suite fashion-attributes --tasks class,footwear,upper,footwear_noisy,random --model reference-cnn --epochs 2 --threads 1 --seed 0)
mkdir -p "$out"
run() { local dir=$1; shift; [[ -f "$out/$dir/results.json" ]] || "$@" -o "$out/$dir" --overwrite > "$out/$dir.log" 2>&1; }

run dense "$mtk" train "${opts[@]}"
for sparsity in 0.5 0.7 0.9; do
  run "snip-$sparsity" "$mtk" prune "${opts[@]}" --method snip --sparsity "$sparsity" --dense "$out/dense"
  run "static-$sparsity" "$mtk" prune "${opts[@]}" --method disparse-static --sparsity "$sparsity" --dense "$out/dense"
  run "dynamic-$sparsity" "$mtk" prune "${opts[@]}" --method disparse-dynamic --sparsity "$sparsity" --dense "$out/dense"
  # pt: prune the trained dense network, then fine-tune it for one epoch at a tenth of the rate.
  run "pt-$sparsity" "$mtk" prune "${opts[@]}" --method disparse-pt --sparsity "$sparsity" \
    --init "$out/dense/best.safetensors" --epochs 1 --lr 1e-4 --dense "$out/dense"
done
for where in init trained; do
  extra=()
  [[ $where == trained ]] && extra=(--init "$out/dense/best.safetensors")
  [[ -f "$out/masks-$where/masks-iou.json" ]] || "$mtk" masks similarity "${opts[@]}" --sparsity 0.9 "${extra[@]}" -o "$out/masks-$where" > "$out/masks-$where.log" 2>&1
done
[[ -f "$out/tag/affinity/tag.json" ]] || "$mtk" affinity "${opts[@]}" --method tag -o "$out/tag" --overwrite > "$out/tag.log" 2>&1
if [[ -n "$truth" ]]; then
  "$mtk" evaluate-groupings --groundtruth "$truth" --estimator "$out/tag/affinity/tag.json" \
    --estimator "snip-iou-init=$out/masks-init/masks-iou.json" --estimator "snip-rank-init=$out/masks-init/masks-rank.json" \
    --estimator "snip-iou-trained=$out/masks-trained/masks-iou.json" --estimator "snip-rank-trained=$out/masks-trained/masks-rank.json" \
    --random 1000 --seed 0 -o "$out/groupings.md" > /dev/null
fi
echo "wrote $out"
