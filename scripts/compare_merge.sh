#!/usr/bin/env bash
# Model-merge benchmark: mergekit's `mergekit-yaml` and our `mtk merge` doing
# task arithmetic over three ~1 GB F32 checkpoints (base + ft1 + ft2, made by
# make_merge_bench_models.py), from a warm page cache. Prints one JSON line per run on stdout:
#   {"tool":"mergekit","run":1,"wall_s":...,"max_rss_mb":...,"input_gb":...,"rc":0}
# wall_s and max_rss_mb come from GNU /usr/bin/time -v (max_rss_mb = "Maximum resident set size"
# in KiB / 1024; it includes file pages a tool has mmapped and touched, as safetensors readers do).
# input_gb is the three model.safetensors files' bytes / 1e9.
#
# Usage: scripts/compare_merge.sh WORK_DIR [RUNS]       (RUNS default 3)
# Environment:
#   MERGEKIT_VENV  a virtual environment with `pip install mergekit` (gives PYTHON and MERGEKIT)
#   PYTHON         Python with numpy + safetensors (default: $MERGEKIT_VENV/bin/python, else python3)
#   MERGEKIT       mergekit-yaml to run (default: $MERGEKIT_VENV/bin/mergekit-yaml, else on PATH)
#   MERGEKIT_ARGS  extra mergekit-yaml options (e.g. "-j 2"); word-split
#   MTK            path to the mtk binary; when set, mtk runs interleave with mergekit's
#                  (mergekit, mtk, mergekit, mtk, ...)
#   MTK_MODEL_REF  dir (default) or file: whether mtk.yaml names model directories or their
#                  model.safetensors files
#   SIZE           1g (default) or small (a ~7 MB smoke test); passed to the model maker
#   VERIFY=1       after each run, check the output against numpy (untimed; report on stderr)
# Models are made under WORK_DIR/{base,ft1,ft2} when missing (~3.2 GB; kept between calls); each
# run's output (~1.07 GB) goes to WORK_DIR/out-<tool> and is deleted before the next run of that
# tool. Before every run: sync (so no earlier writeback overlaps it) and cat the inputs to
# /dev/null (warm cache). Nothing is downloaded: mergekit runs with HF_HUB_OFFLINE=1.
set -euo pipefail
WORK=${1:?usage: compare_merge.sh WORK_DIR [RUNS]}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
if [[ -n "${MERGEKIT_VENV:-}" ]]; then
  PYTHON=${PYTHON:-$MERGEKIT_VENV/bin/python}
  MERGEKIT=${MERGEKIT:-$MERGEKIT_VENV/bin/mergekit-yaml}
fi
PYTHON=${PYTHON:-python3}
MERGEKIT=${MERGEKIT:-mergekit-yaml}
MTK=${MTK:-}
SIZE=${SIZE:-1g}
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v "$MERGEKIT" >/dev/null || { echo "mergekit-yaml not found: set MERGEKIT_VENV or MERGEKIT" >&2; exit 2; }

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
"$PYTHON" "$here/make_merge_bench_models.py" make "$WORK" --size "$SIZE"
inputs=("$WORK/base/model.safetensors" "$WORK/ft1/model.safetensors" "$WORK/ft2/model.safetensors")
input_gb=$(stat -c %s "${inputs[@]}" | awk '{s += $1} END {printf "%.3f", s / 1e9}')

cat > "$WORK/mergekit.yaml" <<EOF
merge_method: task_arithmetic
base_model: $WORK/base
models:
  - model: $WORK/ft1
    parameters: {weight: 1.0}
  - model: $WORK/ft2
    parameters: {weight: 1.0}
dtype: float32
EOF
if [[ "${MTK_MODEL_REF:-dir}" == file ]]; then ref=/model.safetensors; else ref=; fi
cat > "$WORK/mtk.yaml" <<EOF
merge_method: task_arithmetic
base_model: $WORK/base$ref
models:
  - model: $WORK/ft1$ref
    parameters: {weight: 1.0}
  - model: $WORK/ft2$ref
    parameters: {weight: 1.0}
dtype: float32
EOF

status=0
# timed TOOL RUN OUT CMD...: one timed run from a warm cache; prints its JSON line.
timed() {
  local tool=$1 run=$2 out=$3; shift 3
  local tv log rc
  tv=$(mktemp); log=$(mktemp)
  rm -rf "$out"
  sync
  cat "${inputs[@]}" > /dev/null
  rc=0
  /usr/bin/time -v -o "$tv" "$@" > "$log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    status=1
    echo "$tool run $run failed (rc $rc); last lines of its output:" >&2
    tail -n 20 "$log" >&2
  fi
  awk -v tool="$tool" -v run="$run" -v gb="$input_gb" -v rc="$rc" '
    /Elapsed \(wall clock\) time/ {
      n = split($NF, p, ":"); wall = 0
      for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
    }
    /Maximum resident set size/ { rss = $NF / 1024 }
    END { printf "{\"tool\":\"%s\",\"run\":%d,\"wall_s\":%.2f,\"max_rss_mb\":%.1f,\"input_gb\":%s,\"rc\":%d}\n",
                 tool, run, wall, rss, gb, rc }' "$tv"
  rm -f "$tv" "$log"
  if [[ $rc -eq 0 && "${VERIFY:-0}" == 1 ]]; then
    "$PYTHON" "$here/make_merge_bench_models.py" verify "$WORK" "$out" >&2 || status=1
  fi
}

run_mergekit() {
  # shellcheck disable=SC2086
  timed mergekit "$1" "$WORK/out-mergekit" env HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    "$MERGEKIT" "$WORK/mergekit.yaml" "$WORK/out-mergekit" \
    --no-copy-tokenizer --no-write-model-card --quiet ${MERGEKIT_ARGS:-}
}

# The mtk side: the same merge from $WORK/mtk.yaml (mergekit's vocabulary). Runs only when MTK is set.
run_mtk() {
  timed mtk "$1" "$WORK/out-mtk" "$MTK" merge "$WORK/mtk.yaml" -o "$WORK/out-mtk"
}

for run in $(seq "$runs"); do
  run_mergekit "$run"
  if [[ -n "$MTK" ]]; then run_mtk "$run"; fi
done
exit $status
