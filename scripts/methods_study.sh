#!/usr/bin/env bash
# The gradient-method study of docs/gradient-methods.md: every loss weighting and gradient method on
# five fashion-attributes tasks with the small MLP of docs/merging/fashion-mlp.yaml, 3 epochs, seeds
# 0, 1 and 2, each with its single-task baselines (--baselines): Δm% (mean ± std over seeds), per-task
# test metrics, seconds per epoch and the overhead over equal weighting. Then one epoch of each on
# the reference CNN, to check that none produces a NaN.
# Usage: scripts/methods_study.sh [OUT_DIR]   (after a release build: make build; needs jq)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/methods-study}
mtk=.build/release/mtk
tasks=class,footwear,upper,footwear_noisy,random
opts=(--suite fashion-attributes --tasks "$tasks" --threads 1)
methods=(equal uw famo pcgrad mgda cagrad imtl aligned graddrop gradvac nash gradnorm dbmtl)
flag() { case $1 in equal|uw|famo) echo --weighting "$1" ;; *) echo --gradient-method "$1" ;; esac; }
mkdir -p "$out/mlp" "$out/cnn"
for seed in 0 1 2; do
  for m in "${methods[@]}"; do
    dir="$out/mlp/$m-$seed"
    # shellcheck disable=SC2046
    [[ -f "$dir/results.json" ]] || "$mtk" train "${opts[@]}" --model docs/merging/fashion-mlp.yaml --epochs 3 --seed "$seed" $(flag "$m") \
      --baselines -o "$dir" --overwrite > "$dir.log" 2>&1
  done
done
for m in "${methods[@]}"; do
  dir="$out/cnn/$m"
  # shellcheck disable=SC2046
  [[ -f "$dir/results.json" ]] || "$mtk" train "${opts[@]}" --model reference-cnn --epochs 1 $(flag "$m") -o "$dir" --overwrite > "$dir.log" 2>&1 \
    || echo "$m failed on the reference CNN (see $dir.log)"
done
# The table.
mean_std() { awk '{ s += $1; q += $1 * $1; n++ } END { m = s / n; v = q / n - m * m; if (v < 0) v = 0; printf "%+.2f ± %.2f", m, sqrt(v) }'; }
echo "| method | Δm% (3 seeds) | $(echo "$tasks" | tr ',' '\n' | sed 's/$/ (test)/' | paste -sd'|' | sed 's/|/ | /g') | s / epoch | × equal | reference CNN, 1 epoch |" > "$out/table.md"
echo "|---|---|---|---|---|---|---|---|---|---|" >> "$out/table.md"
base=$(for s in 0 1 2; do jq '[.[] | .seconds] | add / length' < <(jq -s '.' "$out/mlp/equal-$s/metrics.jsonl"); done | awk '{ s += $1 } END { print s / NR }')
for m in "${methods[@]}"; do
  delta=$(for s in 0 1 2; do jq '.deltaM.improvement' "$out/mlp/$m-$s/results.json"; done | mean_std)
  cells=$(for t in ${tasks//,/ }; do
    for s in 0 1 2; do jq --arg t "$t" '.test.tasks[] | select(.task == $t) | .metrics[0].value' "$out/mlp/$m-$s/results.json"; done | awk '{ s += $1 } END { printf "%.4f\n", s / NR }'
  done | paste -sd'|' | sed 's/|/ | /g')
  raw=$(for s in 0 1 2; do jq '[.[] | .seconds] | add / length' < <(jq -s '.' "$out/mlp/$m-$s/metrics.jsonl"); done | awk '{ s += $1 } END { print s / NR }')
  seconds=$(awk -v a="$raw" 'BEGIN { printf "%.2f", a }')
  overhead=$(awk -v a="$raw" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
  cnn=$(jq -r '[.test.tasks[] | .metrics[0].value] | if all(. == .) then "ok, no NaN" else "NaN" end' "$out/cnn/$m/results.json" 2>/dev/null || echo "failed")
  echo "| $m | $delta | $cells | $seconds | $overhead | $cnn |" >> "$out/table.md"
done
cat "$out/table.md"
