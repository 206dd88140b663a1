#!/usr/bin/env bash
# A one-node SLURM cluster with accounting on this machine, for tests and CI.
#
#   scripts/slurm-test-cluster.sh          # set up or repair, then print node and account
#   scripts/slurm-test-cluster.sh --stop   # stop slurmd, slurmctld and slurmdbd (munged, mariadb,
#                                          # config and database stay: stop those by their pid files)
#
# Needs root on Debian. The first run installs Debian's slurm-wlm, slurmdbd,
# munge and mariadb-server (about a minute), writes a munge key,
# /etc/slurm/slurm.conf (the node line from `slurmd -C`, one partition
# "debug") and /etc/slurm/slurmdbd.conf, creates the accounting database
# slurm_acct_db, and starts munged, mariadb, slurmdbd, slurmctld and slurmd
# without systemd (logs in /var/log/slurm/). It then registers the cluster
# "parbench", the account "parbench" and root as its user, and resumes the
# node. A second run only checks each piece and (re)starts what is down, in
# seconds. The last line printed is `node=NAME account=parbench partition=debug`.
#
# What this shows an admin of a real cluster parbench needs: a container engine
# on every node (Docker, Podman or Apptainer: docs/engines.md; not set up
# here), a working directory shared by all nodes, and
# accounting (slurmdbd) because Snakemake's SLURM executor polls `sacct` and
# waits forever without it. Jobs are submitted with an account
# (AccountingStorageEnforce=associations makes the cluster refuse unknown ones)
# and measurement jobs ask for the whole node with --exclusive.
#
# Daemons run as root (SlurmUser=root): this is a throwaway test cluster.
set -euo pipefail

CLUSTER=parbench
ACCOUNT=parbench
PARTITION=debug
LOGDIR=/var/log/slurm
DB_PASS=parbench-test-only

say() { echo "slurm-test-cluster: $*" >&2; }
die() { echo "slurm-test-cluster: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts daemons): sudo $0"

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# Stop what this script starts, by the pids it recorded (never by name).
stop_daemons() {
  local pidfile
  for pidfile in /run/slurmd.pid /run/slurmctld.pid /run/slurmdbd.pid; do
    if pid_alive "$pidfile"; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$pidfile" || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}

if [ "${1:-}" = "--stop" ]; then
  stop_daemons
  say "slurmd, slurmctld and slurmdbd stopped (munged and mariadb left running)"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1'; usage: $0 [--stop]"

# 1. Packages.
missing=()
command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
command -v sinfo >/dev/null 2>&1 || missing+=(slurm-client)
command -v slurmdbd >/dev/null 2>&1 || missing+=(slurmdbd)
command -v munged >/dev/null 2>&1 || missing+=(munge)
command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get: install Debian's slurm-wlm slurmdbd munge mariadb-server"
  say "installing slurm-wlm slurmdbd munge mariadb-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurm-wlm slurmdbd munge mariadb-server mariadb-client >/dev/null \
    || die "apt-get install of slurm-wlm slurmdbd munge mariadb-server failed"
fi

mkdir -p /etc/slurm "$LOGDIR" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd

# Write a file only when its content changes; returns 0 if it changed.
write_if_changed() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; return 1; fi
  install -m "$mode" "$tmp" "$path"
  rm -f "$tmp"
  return 0
}

# 2. munge: a key and a running munged (as the munge user).
if [ ! -s /etc/munge/munge.key ]; then
  say "creating the munge key"
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
  say "starting munged"
  rm -f /run/munge/munged.pid
  runuser -u munge -- munged --force || die "munged did not start; see /var/log/munge/munged.log"
  for _ in $(seq 1 50); do munge_ok && break; sleep 0.1; done
  munge_ok || die "munged started but munge -n | unmunge fails; see /var/log/munge/munged.log"
fi

# 3. mariadb and the accounting database.
db_ok() { mariadb-admin ping >/dev/null 2>&1; }
if ! db_ok; then
  say "starting mariadb (log: $LOGDIR/mariadb.log)"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  setsid mysqld_safe </dev/null >>"$LOGDIR/mariadb.log" 2>&1 &
  for _ in $(seq 1 100); do db_ok && break; sleep 0.2; done
  db_ok || die "mariadb did not answer within 20 s; see $LOGDIR/mariadb.log"
fi
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
  CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" \
  || die "could not create slurm_acct_db in mariadb"

# 4. Configuration. The node line comes from the hardware as slurmd sees it.
node_line=$(slurmd -C | head -n1)
case $node_line in NodeName=*) ;; *) die "slurmd -C printed no NodeName line: $node_line" ;; esac
NODE=${node_line%% *}; NODE=${NODE#NodeName=}
changed=0
write_if_changed /etc/slurm/slurm.conf 0644 <<EOF && changed=1
# Written by parbench's scripts/slurm-test-cluster.sh: a one-node test cluster.
ClusterName=$CLUSTER
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$NODE
AccountingStorageEnforce=associations
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$node_line State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
write_if_changed /etc/slurm/slurmdbd.conf 0600 <<EOF && changed=1
# Written by parbench's scripts/slurm-test-cluster.sh.
AuthType=auth/munge
DbdHost=$NODE
SlurmUser=root
PidFile=/run/slurmdbd.pid
LogFile=$LOGDIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
if [ "$changed" -eq 1 ]; then
  say "configuration written; restarting any running SLURM daemons"
  stop_daemons
fi

# 5. slurmdbd, then the cluster, account and user, then slurmctld and slurmd.
start_daemon() {  # name pidfile
  local name=$1 pidfile=$2
  pid_alive "$pidfile" && return 0
  say "starting $name (log: $LOGDIR/$name.log)"
  rm -f "$pidfile"
  setsid "$name" -D </dev/null >>"$LOGDIR/$name.out" 2>&1 &
  echo $! >"$pidfile"
}
dbd_ok() { sacctmgr -n -P show cluster format=cluster >/dev/null 2>&1; }
start_daemon slurmdbd /run/slurmdbd.pid
for _ in $(seq 1 100); do dbd_ok && break; sleep 0.2; done
dbd_ok || die "slurmdbd does not answer sacctmgr within 20 s; see $LOGDIR/slurmdbd.log"

sacctmgr -n -P show cluster format=cluster | grep -qx "$CLUSTER" \
  || sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr could not add cluster $CLUSTER"
sacctmgr -n -P show account "$ACCOUNT" format=account | grep -qx "$ACCOUNT" \
  || sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="parbench test" Organization=parbench >/dev/null \
  || die "sacctmgr could not add account $ACCOUNT"
sacctmgr -n -P show assoc where user=root account="$ACCOUNT" cluster="$CLUSTER" format=user | grep -qx root \
  || sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null \
  || die "sacctmgr could not add user root to account $ACCOUNT"

start_daemon slurmctld /run/slurmctld.pid
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping 2>/dev/null | grep -q UP || die "slurmctld does not answer scontrol ping within 20 s; see $LOGDIR/slurmctld.log"
start_daemon slurmd /run/slurmd.pid

# 6. The node ready for jobs (a node that was down or drained is resumed).
state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n1; }
for _ in $(seq 1 100); do
  case $(state) in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|fail*) scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 0.2
done
case $(state) in
  idle|mixed|allocated|completing) ;;
  *) die "node $NODE is '$(state)', not idle after 20 s; see $LOGDIR/slurmd.log and $LOGDIR/slurmctld.log" ;;
esac
echo "node=$NODE account=$ACCOUNT partition=$PARTITION"
