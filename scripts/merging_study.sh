#!/usr/bin/env bash
# The two task-vector studies of docs/merging.md, on fashion-attributes with the small MLP of
# docs/merging/fashion-mlp.yaml (one thread; every model is cached, so a rerun continues):
#   1. a trunk pretrained on one task set (lower_body, warm, bag, brightness), fine-tuned per
#      task; task vectors, their cosines and alignment, α sweeps on every task, task addition;
#   2. the task-arithmetic course protocol: unbalanced and class-balanced training, each keeping
#      the last, the best-validation or the highest-Fisher epoch; normalised accuracy of task
#      addition (α on validation) and each model's complexity (log-trace of the diagonal Fisher).
# Usage: scripts/merging_study.sh [OUT_DIR]   (after a release build: make build; needs jq)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/merging-study}
mtk=.build/release/mtk
command -v jq > /dev/null || { apt-get install -y jq > /dev/null 2>&1 || sudo apt-get install -y jq > /dev/null; }
spec=docs/merging/fashion-mlp.yaml
common=(--suite fashion-attributes --model "$spec" --threads 1 --seed 0)
mkdir -p "$out"

"$mtk" train "${common[@]}" --tasks lower_body,warm,bag,brightness --epochs 2 -o "$out/pretrained" > "$out/pretrained.log" 2>&1 \
  || [[ -f "$out/pretrained/results.json" ]]
pre="$out/pretrained/best.safetensors"

# Study 1.
"$mtk" finetune "${common[@]}" --init "$pre" --tasks class,footwear,upper,long_sleeves,height,random --epochs 3 --keep best \
  -o "$out/study1" > "$out/study1.log"
"$mtk" task-vectors "$out/study1" --threads 1 > /dev/null

# Study 2.
table="$out/study2.md"
{
  echo "| training | kept epoch by | task | kept epoch | fine-tuned test accuracy | log tr F | task addition: test accuracy | normalised |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$table"
for balanced in no yes; do
  for keep in last best fisher; do
    dir="$out/study2-$balanced-$keep"
    flags=(--tasks class,footwear,upper,long_sleeves --epochs 5 --keep "$keep")
    [[ $keep == best ]] && flags+=(--selection accuracy)   # each model's own validation accuracy
    [[ $balanced == yes ]] && flags+=(--balanced)
    "$mtk" finetune "${common[@]}" --init "$pre" "${flags[@]}" -o "$dir" > "$dir.log"
    "$mtk" task-vectors "$dir" --threads 1 > /dev/null
    name=$([[ $balanced == yes ]] && echo "class-balanced" || echo "as is")
    jq -r --arg name "$name" --arg keep "$keep" --slurpfile tv "$dir/task-vectors/results.json" '
      def r(d): . * d | round / d;
      ($tv[0]) as $s | ($s.addition[] | select(.alpha == $s.chosenAlpha)) as $p |
      (.models | to_entries[] |
        "| \($name) | \($keep) | \(.value.tasks[0]) | \(.value.epoch) of \(.value.epochs) | \(.value.test.tasks[0].metrics[0].value | r(10000)) | \(.value.fisherLogTrace | r(1000)) | \($p.test[.key].value | r(10000)) | \($p.test[.key].normalized | r(1000)) |"),
      "| \($name) | \($keep) | **mean** (α = \($s.chosenAlpha)) | | | | | \([$p.test[].normalized] | add / length | r(1000)) |"
    ' "$dir/finetune.json" >> "$table"
  done
done
echo "wrote $out/study1/task-vectors/report.md and $table"
