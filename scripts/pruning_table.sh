#!/usr/bin/env bash
# The tables of docs/pruning.md from scripts/pruning_study.sh's output directory (needs jq).
# Usage: scripts/pruning_table.sh [OUT_DIR]
set -euo pipefail
out=${1:-runs/pruning-study}
tasks=(class footwear upper footwear_noisy random)
accuracy() { jq -r --arg t "$1" '.test.tasks[] | select(.task == $t) | .metrics[0].value * 10000 | round / 10000' "$2/results.json"; }
header="| method | trunk sparsity | $(printf '%s | ' "${tasks[@]}")Δm% vs dense |"
echo "$header"
echo "|---|---|$(printf -- '---|%.0s' "${tasks[@]}")---|"
row() {
  local name=$1 dir=$2 reached delta
  reached=$(grep -o 'trunk sparsity [0-9.]*%' "$dir.log" | head -1 | sed 's/trunk sparsity //' || true)
  delta=$(grep -o 'Δm% against the dense run [^:]*: [-+0-9.]*%' "$dir.log" | sed 's/.*: //' || true)
  local cells=""
  for t in "${tasks[@]}"; do cells+="$(accuracy "$t" "$dir") | "; done
  echo "| $name | ${reached:-0%} | $cells${delta:-–} |"
}
row dense "$out/dense"
for sparsity in 0.5 0.7 0.9; do
  for method in snip static dynamic pt; do
    case $method in snip) label="SNIP" ;; static) label="DiSparse static" ;; dynamic) label="DiSparse dynamic" ;; *) label="DiSparse pt" ;; esac
    row "$label, $sparsity" "$out/$method-$sparsity"
  done
done
