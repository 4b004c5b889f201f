#!/usr/bin/env bash
# A real single-node Slurm cluster (Debian's slurm-wlm + munge) for tests, with everything it
# writes kept under one state directory.
#
# Usage: scripts/slurm/cluster.sh start|stop|status STATE_DIR
#
#   start   installs slurm-wlm and munge when missing (apt-get, sudo when not root), writes
#           STATE_DIR/slurm.conf, starts munged, slurmctld and slurmd, and waits until `sinfo`
#           shows the node idle. Afterwards use the cluster with
#               export SLURM_CONF=STATE_DIR/slurm.conf   (or: . STATE_DIR/env.sh)
#   stop    cancels this cluster's jobs, then stops exactly the daemons `start` started (PIDs from
#           the pid files under STATE_DIR/run) and waits for them to exit. Safe after a failed or
#           partial start, and when nothing was started. Does not delete STATE_DIR (logs are in
#           STATE_DIR/log).
#   status  prints the daemons' PIDs and `sinfo`; exit 0 when all three daemons run, 1 otherwise.
#
# Exit codes: 0 done; 1 failure (the daemons were installed but did not come up: a bug to fix, so
# never a skip); 2 usage; 3 Slurm cannot be installed here (no apt/network, not root and no
# passwordless sudo): the last line on stderr, also written to STATE_DIR/unavailable, says why,
# so a caller can skip with it.
#
# Outside STATE_DIR, `start` only installs the packages (slurm-wlm, munge) and creates
# /etc/munge/munge.key when there is none. /etc/slurm is not used: the daemons and every client
# read STATE_DIR/slurm.conf through SLURM_CONF. munged runs with its socket, pid, log and seed files
# in STATE_DIR/munge, so a system munged (if any) is neither used nor disturbed.
#
# Environment: MTK_SLURM_START_TIMEOUT (seconds to wait for the idle node, default 60);
# MTK_SLURMCTLD_PORT / MTK_SLURMD_PORT (default: the first free ports from 6817 / 6818 on).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status STATE_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
case $action in start|stop|status) ;; *) usage ;; esac
state=$2
[ -n "$state" ] || usage

log() { echo "cluster: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# Slurm cannot be installed or started here: one clear line, exit 3.
unavailable() {
  local reason="Slurm unavailable: $*"
  if [ -d "$state" ]; then printf '%s\n' "$reason" > "$state/unavailable" 2>/dev/null || true; fi
  echo "$reason" >&2
  exit 3
}

# Root, or passwordless sudo, for apt-get and the daemons.
SUDO=()
need_root() {
  if [ "$(id -u)" = 0 ]; then SUDO=(); return; fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); return; fi
  unavailable "not root and no passwordless sudo (needed to install and run slurmctld/slurmd/munged)"
}
as_root() { "${SUDO[@]}" "$@"; }

# Paths under STATE_DIR (absolute: they go into slurm.conf and are matched against environments).
if [ "$action" = start ]; then mkdir -p "$state"; fi
if [ -d "$state" ]; then state=$(cd "$state" && pwd); fi
conf=$state/slurm.conf
rundir=$state/run
logdir=$state/log
mungedir=$state/munge
ctld_pidfile=$rundir/slurmctld.pid
slurmd_pidfile=$rundir/slurmd.pid
munged_pidfile=$mungedir/munged.pid
munge_socket=$mungedir/munge.socket.2
export SLURM_CONF=$conf

# PID from a pid file, printed only when that process is alive and is the expected program
# (so a stale pid file never makes us signal a recycled PID).
live_pid() { # pidfile program
  local pidfile=$1 program=$2 pid comm
  [ -r "$pidfile" ] || return 1
  pid=$(tr -dc '0-9' < "$pidfile")
  [ -n "$pid" ] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [ "$comm" = "$program" ] || return 1
  # an exited daemon that PID 1 has not reaped yet is a zombie: not running
  [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

# ---------------------------------------------------------------------------------------------
# install

packages=(slurm-wlm munge)
install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then log "packages present: ${packages[*]}"; return; fi
  command -v apt-get >/dev/null 2>&1 || unavailable "no apt-get to install ${missing[*]}"
  need_root
  local t0 aptlog=$logdir/apt.log
  t0=$(now)
  log "installing ${missing[*]} with apt-get (log: $aptlog)"
  # Package scripts must not start system munge/slurm services: ours are the only daemons.
  # policy-rc.d (exit 101 = action forbidden) is the Debian mechanism; removed right after.
  local policy=/usr/sbin/policy-rc.d placed_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" \
      && placed_policy=1
    # shellcheck disable=SC2064
    [ $placed_policy = 0 ] || trap "${SUDO[*]} rm -f $policy" EXIT
  fi
  local ok=1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q > "$aptlog" 2>&1 || ok=0
  if [ $ok = 1 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}" >> "$aptlog" 2>&1 || ok=0
  fi
  if [ $placed_policy = 1 ]; then as_root rm -f "$policy"; trap - EXIT; fi
  if [ $ok = 0 ]; then
    tail -n 15 "$aptlog" >&2 || true
    unavailable "apt-get could not install ${missing[*]} (no network or package source?); see $aptlog"
  fi
  log "installed ${missing[*]} in $(since "$t0") s"
}

# ---------------------------------------------------------------------------------------------
# configuration

munge_key=/etc/munge/munge.key
ensure_munge_key() {
  if as_root test -s "$munge_key"; then return; fi
  log "creating $munge_key (none present)"
  as_root mkdir -p /etc/munge
  if ! as_root /usr/sbin/mungekey --create --keyfile="$munge_key" 2>/dev/null; then
    as_root dd if=/dev/urandom of="$munge_key" bs=1 count=1024 status=none
  fi
  as_root chown munge:munge /etc/munge "$munge_key"
  as_root chmod 0700 /etc/munge
  as_root chmod 0400 "$munge_key"
}

# Is a TCP port being listened on (IPv4 or IPv6)?
port_listening() {
  local hex
  hex=$(printf ':%04X ' "$1")
  awk -v p="$hex" 'NR > 1 && index($2 " ", p) && $4 == "0A" { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() { # first port from $1 on, in steps of 2, that nothing listens on
  local port=$1
  while port_listening "$port"; do port=$((port + 2)); done
  echo "$port"
}

write_config() {
  local host cpus mem topo line
  host=$(hostname -s)
  [ -n "$host" ] || unavailable "hostname -s is empty; slurmd needs a node name"
  # The node's hardware as slurmd sees it; nproc and /proc/meminfo when slurmd -C fails.
  topo=""; cpus=""; mem=""
  if line=$(as_root slurmd -C 2>/dev/null | grep -m1 '^NodeName='); then
    cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<< "$line")
    mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<< "$line")
    topo=$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' \
      <<< "$line" || true)
  fi
  [ -n "$cpus" ] || cpus=$(nproc)
  [ -n "$mem" ] || mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  # A node whose memory reads below RealMemory at registration is drained; leave 2 % headroom.
  mem=$((mem * 98 / 100))
  [ "$mem" -ge 1 ] || mem=1
  local ctld_port slurmd_port
  ctld_port=${MTK_SLURMCTLD_PORT:-$(free_port 6817)}
  slurmd_port=${MTK_SLURMD_PORT:-$(free_port 6818)}
  if [ "$slurmd_port" = "$ctld_port" ]; then slurmd_port=$(free_port $((ctld_port + 1))); fi
  log "node $host: CPUs=$cpus RealMemory=${mem}M ${topo:+($topo) }ports $ctld_port/$slurmd_port"
  cat > "$conf" <<EOF
# Written by scripts/slurm/cluster.sh: a single-node test cluster; everything under $state.
ClusterName=mtk-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$ctld_pidfile
SlurmdPidFile=$slurmd_pidfile
SlurmctldLogFile=$logdir/slurmctld.log
SlurmdLogFile=$logdir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
KillWait=5
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus ${topo:+$topo }RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  printf 'export SLURM_CONF=%q\n' "$conf" > "$state/env.sh"
  echo "$host" > "$state/node"
}

# ---------------------------------------------------------------------------------------------
# start / stop / status

show_logs() {
  local f
  for f in "$mungedir/munged.log" "$logdir/slurmctld.log" "$logdir/slurmd.log"; do
    echo "----- $f (last 40 lines) -----" >&2
    as_root tail -n 40 "$f" >&2 2>/dev/null || echo "(missing)" >&2
  done
}

start_failed() { # reason
  echo "cluster: start failed: $1; daemon logs follow" >&2
  show_logs
  echo "cluster: stopping what was started" >&2
  stop_cluster >&2 || true
  # Installed but not running is a bug in this script or the machine, not "unavailable": fail.
  echo "cluster: could not start a single-node cluster: $1 (logs in $state)" >&2
  exit 1
}

start_cluster() {
  rm -f "$state/unavailable"
  if live_pid "$ctld_pidfile" slurmctld >/dev/null || live_pid "$slurmd_pidfile" slurmd >/dev/null \
     || live_pid "$munged_pidfile" munged >/dev/null; then
    echo "cluster: a cluster from $state is already running; stop it first" >&2; exit 1
  fi
  mkdir -p "$logdir"
  local t0 t1
  t0=$(now)
  command -v dpkg >/dev/null 2>&1 || unavailable "not a Debian system (no dpkg)"
  install_packages
  need_root
  id munge >/dev/null 2>&1 || unavailable "no munge user after installing munge"

  # munged (as the munge user) must reach its directory; the rest stays private to the owner.
  chmod 755 "$state"
  as_root mkdir -p "$rundir" "$state/ctld" "$state/slurmd" "$mungedir"
  as_root chown munge:munge "$mungedir"
  as_root chmod 755 "$mungedir"
  ensure_munge_key
  write_config
  t1=$(now)

  log "starting munged (socket $munge_socket)"
  # --force: munged refuses a socket, log or pid file below a directory that is not owned by root
  # or munge (STATE_DIR is the caller's when not root); with it, those checks only warn.
  as_root runuser -u munge -- /usr/sbin/munged --force --socket="$munge_socket" --key-file="$munge_key" \
    --pid-file="$munged_pidfile" --log-file="$mungedir/munged.log" --seed-file="$mungedir/munged.seed" \
    || start_failed "munged did not start"
  if ! as_root munge --socket="$munge_socket" -n 2>/dev/null | as_root unmunge --socket="$munge_socket" >/dev/null 2>&1; then
    start_failed "munge credential round trip failed"
  fi

  log "starting slurmctld"
  as_root env SLURM_CONF="$conf" slurmctld -i || start_failed "slurmctld did not start"
  log "starting slurmd"
  as_root env SLURM_CONF="$conf" slurmd -N "$(cat "$state/node")" || start_failed "slurmd did not start"

  local timeout=${MTK_SLURM_START_TIMEOUT:-60} node st="" deadline
  node=$(cat "$state/node")
  deadline=$((SECONDS + timeout))
  log "waiting for node $node to be idle (timeout ${timeout} s)"
  while :; do
    live_pid "$munged_pidfile" munged >/dev/null || start_failed "munged exited"
    # slurmctld/slurmd write their pid files shortly after forking; give them a moment.
    if [ $((SECONDS - deadline + timeout)) -ge 3 ]; then
      live_pid "$ctld_pidfile" slurmctld >/dev/null || start_failed "slurmctld exited"
      live_pid "$slurmd_pidfile" slurmd >/dev/null || start_failed "slurmd exited"
    fi
    st=$(timeout 5 sinfo -h -N -n "$node" -o '%T' 2>/dev/null | head -n 1 || true)
    [ "$st" = idle ] && break
    [ $SECONDS -lt $deadline ] || start_failed "node $node not idle after ${timeout} s (state: ${st:-unknown})"
    sleep 0.5
  done
  log "cluster up: node $node idle after $(since "$t1") s of daemon start-up ($(since "$t0") s in all)"
  log "use it with: export SLURM_CONF=$conf"
}

stop_daemon() { # pidfile program
  local pid
  pid=$(live_pid "$1" "$2") || { log "$2: not running"; return 0; }
  log "stopping $2 (pid $pid)"
  as_root kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 100); do
    # gone, or a zombie (exited, not yet reaped by PID 1)
    if ! live_pid "$1" "$2" >/dev/null; then
      log "$2 (pid $pid) exited"
      return 0
    fi
    sleep 0.2
    [ "$i" != 50 ] || { log "$2 (pid $pid) still running after 10 s: SIGKILL"; as_root kill -KILL "$pid" 2>/dev/null || true; }
  done
  echo "cluster: $2 (pid $pid) did not exit" >&2
  return 1
}

# Leftovers of this cluster's jobs, should a job still run when the daemons stop (slurmctld gone,
# so no scancel): slurmstepd processes, whose environment (slurmd's) names our slurm.conf, and job
# processes, whose environment (the submitter's) names our slurm.conf and has a SLURM_JOB_ID.
# Prints "PID COMM" lines. This script and its ancestors are never listed.
our_leftovers() {
  local p pid comm env ancestors=" " a=$$
  while [ -n "$a" ] && [ "$a" != 0 ]; do
    ancestors+="$a "
    a=$(awk '/^PPid:/ { print $2 }' "/proc/$a/status" 2>/dev/null || true)
  done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $ancestors == *" $pid "* ]] && continue
    env=$(as_root cat "$p/environ" 2>/dev/null | tr '\0' '\n') || continue
    grep -qxF "SLURM_CONF=$conf" <<< "$env" || continue
    comm=$(cat "$p/comm" 2>/dev/null) || continue
    if [ "$comm" = slurmstepd ] || grep -q '^SLURM_JOB_ID=' <<< "$env"; then echo "$pid $comm"; fi
  done
  return 0
}

stop_cluster() {
  [ -d "$state" ] || { log "no state directory $state: nothing to stop"; return 0; }
  if ! live_pid "$slurmd_pidfile" slurmd >/dev/null && ! live_pid "$ctld_pidfile" slurmctld >/dev/null \
     && ! live_pid "$munged_pidfile" munged >/dev/null && [ -z "$(our_leftovers)" ]; then
    log "no daemons of $state running: nothing to stop"
    return 0
  fi
  need_root
  local ok=0 jobs pid
  if live_pid "$ctld_pidfile" slurmctld >/dev/null; then
    jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u | paste -sd ' ' || true)
    if [ -n "$jobs" ]; then
      log "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      local i
      for i in $(seq 40); do
        [ -z "$(squeue -h -o '%A' 2>/dev/null)" ] && break
        sleep 0.5
      done
    fi
  fi
  stop_daemon "$slurmd_pidfile" slurmd || ok=1
  stop_daemon "$ctld_pidfile" slurmctld || ok=1
  local comm
  while read -r pid comm; do
    log "killing leftover job process $comm (pid $pid)"
    as_root kill -KILL "$pid" 2>/dev/null || true
  done < <(our_leftovers)
  stop_daemon "$munged_pidfile" munged || ok=1
  [ $ok = 0 ] && log "stopped"
  return $ok
}

status_cluster() {
  local rc=0 pid
  check() { # pidfile program
    if pid=$(live_pid "$1" "$2"); then log "$2: running (pid $pid)"; else log "$2: not running"; rc=1; fi
  }
  check "$munged_pidfile" munged
  check "$ctld_pidfile" slurmctld
  check "$slurmd_pidfile" slurmd
  if live_pid "$ctld_pidfile" slurmctld >/dev/null; then sinfo -N -l 2>&1 | sed 's/^/cluster: /' || true; fi
  return $rc
}

case $action in
  start) start_cluster ;;
  stop) stop_cluster ;;
  status) status_cluster ;;
esac
