#!/usr/bin/env bash
# End-to-end test on a real single-node Slurm cluster (scripts/slurm/cluster.sh).
#
# Usage (from the repository root): bash scripts/slurm/test-groundtruth.sh
#
# Starts a cluster in a temporary state directory (stopped again on every exit path, Ctrl-C
# included), runs a dummy 4-task job array (sbatch --array=0-3 --wait) and checks that every task
# ran once with the right SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, then runs
# run_groundtruth_test (mtk groundtruth as a Slurm array vs one process). Prints PASS or FAIL.
#
# When Slurm cannot be installed or started here (cluster.sh exits 3) it prints
# "SKIPPED: <reason>" and exits 0; set MTK_SLURM_REQUIRED=1 to make that a failure instead.
# MTK_SLURM_KEEP=1 keeps the state directory (config, daemon and job logs) for inspection.
set -euo pipefail
cd "$(dirname "$0")/../.."
cluster=scripts/slurm/cluster.sh

say() { echo "test-groundtruth: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)
state=$(mktemp -d "${TMPDIR:-/tmp}/mtk-slurm.XXXXXX")
started=0
result=FAIL

bg_pid=""
# Runs a long command (sbatch --wait, a training run) in the background and waits for it, so that
# Ctrl-C or SIGTERM reaches the traps at once instead of after the command ends.
interruptible() {
  local rc=0
  "$@" &
  bg_pid=$!
  wait "$bg_pid" || rc=$?
  bg_pid=""
  return $rc
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$bg_pid" ]; then kill "$bg_pid" 2>/dev/null || true; fi
  if [ $started = 1 ]; then
    local t0
    t0=$(now)
    bash "$cluster" stop "$state" || { say "cluster stop failed (state kept in $state)"; rc=1; MTK_SLURM_KEEP=1; }
    say "stop: $(since "$t0") s"
  fi
  # a failed run keeps the daemons' and jobs' logs
  if [ "$result" = FAIL ] && [ -e "$state/log/slurmctld.log" ]; then MTK_SLURM_KEEP=1; fi
  if [ "$result" = SKIPPED ] && [ -e "$state/log/slurmctld.log" ]; then MTK_SLURM_KEEP=1; fi
  if [ "${MTK_SLURM_KEEP:-0}" = 1 ]; then
    say "state kept in $state"
  else
    # the daemons wrote root-owned files there
    if [ "$(id -u)" = 0 ]; then rm -rf "$state"; else sudo -n rm -rf "$state" 2>/dev/null || rm -rf "$state" 2>/dev/null || true; fi
  fi
  if [ "$result" != PASS ] && [ "$result" != SKIPPED ] && [ $rc = 0 ]; then rc=1; fi
  if [ "$result" != SKIPPED ]; then say "$result (total $(since "$t_start") s)"; fi
  exit $rc
}
trap cleanup EXIT
trap 'result=INTERRUPTED; exit 130' INT
trap 'result=INTERRUPTED; exit 143' TERM

fail() { say "FAIL: $*"; result=FAIL; exit 1; }

# ---------------------------------------------------------------------------------------------
# cluster
say "state directory $state"
t0=$(now)
started=1   # from here on, stop on exit (safe after a failed start)
rc=0
bash "$cluster" start "$state" || rc=$?
if [ $rc = 3 ]; then
  reason=$(cat "$state/unavailable" 2>/dev/null || echo "cluster.sh exited with 3")
  if [ "${MTK_SLURM_REQUIRED:-0}" = 1 ]; then fail "$reason (MTK_SLURM_REQUIRED=1)"; fi
  echo "SKIPPED: $reason"
  result=SKIPPED
  exit 0
fi
[ $rc = 0 ] || fail "cluster.sh start exited with $rc"
say "install+start: $(since "$t0") s"
export SLURM_CONF=$state/slurm.conf

# ---------------------------------------------------------------------------------------------
# dummy job array: each task writes "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT" to a shared dir
run_dummy_array_test() {
  local shared=$state/shared/dummy joblogs=$state/jobs n=4
  mkdir -p "$shared" "$joblogs"
  cat > "$state/dummy-job.sh" <<EOF
#!/bin/bash
set -euo pipefail
echo "\$SLURM_ARRAY_TASK_ID \$SLURM_ARRAY_TASK_COUNT" > $(printf %q "$shared")/task-\$SLURM_ARRAY_TASK_ID.txt
EOF
  local t0 sbatch_rc=0
  t0=$(now)
  say "sbatch --array=0-$((n - 1)) --wait (dummy job)"
  interruptible timeout 300 sbatch --array=0-$((n - 1)) --wait --job-name=mtk-dummy --time=5 \
    --output="$joblogs/dummy-%A_%a.out" "$state/dummy-job.sh" || sbatch_rc=$?
  say "dummy job array: $(since "$t0") s (sbatch exit $sbatch_rc)"
  if [ $sbatch_rc != 0 ]; then
    tail -n 20 "$joblogs"/dummy-*.out 2>/dev/null || true
    fail "sbatch --wait exited with $sbatch_rc"
  fi
  local i got errors=0
  for i in $(seq 0 $((n - 1))); do
    got=$(cat "$shared/task-$i.txt" 2>/dev/null || echo "(missing)")
    if [ "$got" = "$i $n" ]; then say "task $i: '$got' ok"; else say "task $i: got '$got', want '$i $n'"; errors=$((errors + 1)); fi
  done
  local count
  count=$(find "$shared" -type f | wc -l)
  [ "$count" = "$n" ] || { say "$count output files, want $n"; errors=$((errors + 1)); }
  [ $errors = 0 ] || fail "dummy job array: $errors problem(s)"
  say "dummy job array: all $n tasks ran with the right id and count"
}

# ---------------------------------------------------------------------------------------------
# ===== run_groundtruth_test: the end-to-end test ==================================================
# A small ground truth (3 synthetic tasks, 7 networks) trained as a Slurm job array of 3 shards
# (the script `mtk groundtruth slurm` writes), merged, and compared byte for byte with the same
# study trained in one process without Slurm.
run_groundtruth_test() {
  local mtk=.build/release/mtk
  [ -x "$mtk" ] || fail "$mtk is missing: build it first (make build)"
  local shared=$state/gt t0
  mkdir -p "$shared"
  printf 'name: tiny\ninput: [32]\ntrunk: [{linear: {out: 16}}, relu]\nheads: {}\n' > "$shared/tiny.yaml"
  local opts=(--suite synthetic --tasks task0,task1,task5 --model "$shared/tiny.yaml" --epochs 2 --batch-size 64 --threads 1 --seed 7)
  t0=$(now)
  "$mtk" groundtruth slurm --output "$shared/gt-slurm" --shards 3 "${opts[@]}" > "$state/job.sh" || fail "mtk groundtruth slurm failed"
  grep -q '^#SBATCH --array=0-2$' "$state/job.sh" || fail "the script has no --array=0-2 line: $(cat "$state/job.sh")"
  say "groundtruth: sbatch --wait job.sh (3 array tasks)"
  interruptible timeout 600 sbatch --wait "$state/job.sh" || {
    for f in "$shared"/gt-slurm/slurm/*.out; do [ -e "$f" ] && { say "$f:"; tail -n 20 "$f"; }; done
    fail "the groundtruth job array failed"
  }
  local logs
  logs=$(find "$shared/gt-slurm/slurm" -name 'shard-*.out' | wc -l)
  [ "$logs" = 3 ] || fail "expected 3 array-task logs, found $logs"
  grep -q "of shard 2/3" "$shared/gt-slurm/slurm/shard-2.out" || fail "array task 2 did not train shard 2/3: $(tail -n 5 "$shared/gt-slurm/slurm/shard-2.out")"
  "$mtk" groundtruth merge "$shared/gt-slurm" > "$state/merge.log" || { cat "$state/merge.log"; fail "mtk groundtruth merge failed"; }
  say "groundtruth: array + merge $(since "$t0") s; now the same study in one process"
  interruptible "$mtk" groundtruth --output "$shared/gt-local" "${opts[@]}" > "$state/local.log" 2>&1 || { tail -n 20 "$state/local.log"; fail "one-process groundtruth failed"; }
  cmp "$shared/gt-slurm/groundtruth.json" "$shared/gt-local/groundtruth.json" || fail "sharded and one-process groundtruth.json differ"
  cmp "$shared/gt-slurm/groundtruth-validation.csv" "$shared/gt-local/groundtruth-validation.csv" || fail "the validation tables differ"
  say "groundtruth: the Slurm array's merged groundtruth.json equals the one-process one byte for byte ($(since "$t0") s)"
}
# ===== end of run_groundtruth_test ==================================================================

run_dummy_array_test
run_groundtruth_test
result=PASS
