#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the tests: `start` writes
# /etc/slurm/slurm.conf for localhost, starts munged, slurmctld and slurmd
# and waits until the node is idle; `stop` shuts them down; `status` says
# whether the node answers. Both are idempotent. Needs root and Debian's
# slurmctld, slurmd, slurm-client and munge packages
# (scripts/install-deps.sh); no systemd. Why the settings are as they are:
# no cgroup plugin (proctrack/linuxproc, task/none), because the default
# cgroup tracking finds no freezer controller on such machines, and a job
# then never runs yet reports COMPLETED 0:0 and the node drains; the node
# has an address (127.0.0.1), because with a host name that does not
# resolve slurmd loops on "Unable to resolve"; the state folder is wiped on
# start, because a drained node stays drained through the saved state.
set -euo pipefail

STATE=${EF_SLURM_STATE:-/tmp/ef-slurm}
CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)

log() { echo "slurm-local: $*" >&2; }

node_state() {
  sinfo -h -n "$HOST" -o %t 2>/dev/null | head -n1 || true
}

# A finished daemon can stay a zombie for seconds here, so "alive" means a
# process that exists and is not in state Z.
alive() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

pid_of() { # pid_of FILE
  [ -r "$1" ] && tr -dc '0-9' <"$1" || true
}

daemons_alive() {
  alive "$(pid_of "$STATE/slurmctld.pid")" && alive "$(pid_of "$STATE/slurmd.pid")"
}

write_conf() {
  local cpus mem
  # A slurm.conf someone else wrote belongs to a real cluster: keep it.
  if [ -f "$CONF" ] && ! grep -q '^# Written by scripts/slurm-local.sh' "$CONF" &&
    [ -z "${EF_SLURM_FORCE:-}" ]; then
    log "$CONF was not written by this script; not replacing it" \
      "(EF_SLURM_FORCE=1 to replace it)"
    exit 1
  fi
  cpus=$(nproc)
  # slurmd drains a node that claims more memory than it detects.
  mem=$(($(free -m | awk '/^Mem:/ {print $2}') - 1024))
  [ "$mem" -lt 256 ] && mem=256
  mkdir -p /etc/slurm "$STATE"
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster for the tests.
ClusterName=ci
SlurmctldHost=$HOST(127.0.0.1)
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
EOF
  mv "$CONF.tmp" "$CONF"
}

start_munge() {
  if alive "$(pid_of /run/munge/munged.pid)"; then
    return
  fi
  if [ ! -s /etc/munge/munge.key ]; then
    runuser -u munge -- mungekey --create
  fi
  mkdir -p /run/munge
  chown munge:munge /run/munge
  chmod 0755 /run/munge
  # A lock left by a killed munged makes the next one refuse to start.
  rm -f /run/munge/munge.socket.2.lock
  # As root munged fails on its log file's owner and leaves a root-owned
  # lock behind, so it runs as its own user.
  runuser -u munge -- /usr/sbin/munged
}

start() {
  if [ "$(id -u)" -ne 0 ]; then
    log "must run as root"
    exit 1
  fi
  for b in slurmctld slurmd sinfo munged; do
    if ! command -v "$b" >/dev/null && [ ! -x "/usr/sbin/$b" ]; then
      log "$b is missing: apt-get install slurmctld slurmd slurm-client munge"
      exit 1
    fi
  done
  # sinfo waits ~10 s for a controller that is not there: ask it only
  # when both daemons are alive.
  if daemons_alive; then
    case "$(node_state)" in
    idle | mix | alloc)
      log "already running"
      return
      ;;
    esac
  fi
  stop_daemons quiet
  write_conf
  # A drained node survives a restart through the saved controller state.
  rm -rf "$STATE/ctld" "$STATE/d"
  mkdir -p "$STATE/ctld" "$STATE/d"
  start_munge
  slurmctld
  slurmd
  local i t0=$SECONDS
  for i in $(seq 1 300); do
    case "$(node_state)" in
    idle | mix | alloc)
      log "node $HOST up ($(nproc) CPUs) after $((SECONDS - t0)) s"
      return
      ;;
    drain* | down*)
      scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
      ;;
    esac
    sleep 0.1
  done
  log "node $HOST did not become idle; logs in $STATE"
  tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
  exit 1
}

wait_gone() { # wait_gone PID: up to 10 s
  local pid=$1 i
  for i in $(seq 1 100); do
    alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

stop_daemons() {
  local quiet=${1:-} ctld d m
  ctld=$(pid_of "$STATE/slurmctld.pid")
  d=$(pid_of "$STATE/slurmd.pid")
  if alive "$ctld" || alive "$d"; then
    # Shuts down slurmctld and every slurmd; jobs still running are killed.
    scontrol shutdown >/dev/null 2>&1 || true
    for pid in $ctld $d; do
      if ! wait_gone "$pid"; then
        kill "$pid" 2>/dev/null || true
        wait_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
      fi
    done
  fi
  m=$(pid_of /run/munge/munged.pid)
  if alive "$m"; then
    kill "$m" 2>/dev/null || true
    wait_gone "$m" || kill -9 "$m" 2>/dev/null || true
  fi
  [ -z "$quiet" ] && log "stopped" || true
}

case "${1:-}" in
start) start ;;
stop) stop_daemons ;;
status)
  s=""
  daemons_alive && s=$(node_state)
  echo "${s:-down}"
  [ -n "$s" ]
  ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
