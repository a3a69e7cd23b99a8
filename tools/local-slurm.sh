#!/usr/bin/env bash
# A genuine single-node Slurm cluster on this machine, for tests and for trying the Slurm executor by hand:
# munged, slurmctld and slurmd with their configuration, sockets, state and logs in one directory, on free
# local ports (proctrack/linuxproc, task/none, no accounting, one node with this machine's CPUs and memory).
#   tools/local-slurm.sh start DIR   brings it up and waits until the node takes jobs; prints "export SLURM_CONF=..."
#   tools/local-slurm.sh stop DIR    cancels every job, stops the three daemons and waits until they are gone
# Not a production setup: the daemons run as the calling user, with the same user as SlurmUser.
set -euo pipefail
action=${1:?usage: local-slurm.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: local-slurm.sh start|stop DIR}" && cd "$2" && pwd)

stop_pid() { # stops the daemon whose pid file is $1 and waits for it
  [[ -s $1 ]] || return 0
  local pid; pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

stop_all() { # cancels every job of the cluster, then stops slurmd, slurmctld and munged
  if [[ -s $dir/slurmctld.pid ]]; then
    SLURM_CONF=$dir/slurm.conf scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do [[ -z $(SLURM_CONF=$dir/slurm.conf squeue -h 2>/dev/null) ]] && break; sleep 0.2; done
  fi
  stop_pid "$dir/slurmd.pid"; stop_pid "$dir/slurmctld.pid"; stop_pid "$dir/munged.pid"
}

if [[ $action == stop ]]; then
  stop_all
  exit 0
fi
[[ $action == start ]] || { echo "local-slurm.sh: unknown action '$action' (start or stop)" >&2; exit 2; }
for tool in munged slurmctld slurmd sbatch scontrol; do
  command -v "$tool" >/dev/null || { echo "local-slurm.sh: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 3; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
user=$(id -un) host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" && chmod 700 "$dir"
[[ -s $dir/munge.key ]] || { head -c 1024 /dev/urandom >"$dir/munge.key"; chmod 600 "$dir/munge.key"; }
memory=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
cat >"$dir/slurm.conf" <<CONF
ClusterName=lstmlens-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$((memory / $(nproc)))
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
KillWait=15
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
trap 'stop_all' ERR # a daemon that fails to start takes the others down with it
munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
export SLURM_CONF=$dir/slurm.conf
slurmctld -i
slurmd
for _ in $(seq 150); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [[ $state == idle* ]] && { echo "export SLURM_CONF=$dir/slurm.conf"; exit 0; }
  sleep 0.2
done
echo "local-slurm.sh: the node did not come up (state '${state:-none}'); logs in $dir" >&2
stop_all
exit 1
