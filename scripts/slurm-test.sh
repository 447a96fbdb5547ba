#!/usr/bin/env bash
# A real distributed run: the README's Slurm job array (section "Sharded runs"), run as
# written on a single-node Slurm cluster started on this machine, then merged, must give
# the rows of one unsharded run.
#
#   1. installs Debian's slurm-wlm and munge when they are missing (skips, saying why,
#      when they cannot be installed — no apt-get, or no root and no sudo — or when the
#      daemons cannot start on this machine);
#   2. starts munged, slurmctld and slurmd with a throw-away config under
#      .workingdir2/slurm/ (one node: this host, all its cores);
#   3. builds a corpus on disk with `moscorpus demo` (clips and labels), cuts the README's
#      job script out of the README, points its /data and /scratch at the working folder,
#      and submits it with `sbatch --wait`; then runs the README's merge line;
#   4. compares the merged rows with one unsharded ingest (timestamps masked), and stops
#      the daemons.
# Uses the `moscorpus` on PATH, else target/debug or target/release (built when neither).
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
skip() { echo "slurm-test: skipped: $*"; exit 0; }

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || skip "no apt-get to install slurm-wlm and munge"
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    skip "slurm-wlm and munge are missing and this user cannot install packages"
  fi
  as_root apt-get update -qq || skip "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null \
    || skip "slurm-wlm and munge could not be installed"
fi

moscorpus_bin=$(command -v moscorpus || true)
for candidate in target/debug/moscorpus target/release/moscorpus; do
  if [ -z "$moscorpus_bin" ] && [ -x "$candidate" ]; then moscorpus_bin="$root_dir/$candidate"; fi
done
if [ -z "$moscorpus_bin" ]; then
  cargo build --quiet --locked
  moscorpus_bin="$root_dir/target/debug/moscorpus"
fi
bin_dir=$(dirname "$moscorpus_bin")

work="$root_dir/.workingdir2/slurm"
rm -rf "$work"
mkdir -p "$work"/{etc,state,spool,log,data/lsvq,data/lsvq-shards,scratch,reference}
host=$(hostname -s)
cpus=$(nproc)

# munge: the key the package made, or a fresh one.
if [ ! -s /etc/munge/munge.key ]; then
  as_root mkdir -p /etc/munge
  as_root dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
as_root chown munge:munge /etc/munge/munge.key 2>/dev/null || true
as_root chmod 400 /etc/munge/munge.key
as_root mkdir -p /run/munge /var/log/munge /var/lib/munge
as_root chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! munge -n >/dev/null 2>&1; then
  as_root runuser -u munge -- munged --force 2>/dev/null || as_root munged --force
fi
for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
munge -n >/dev/null || { echo "slurm-test: munged did not start" >&2; exit 1; }

export SLURM_CONF="$work/etc/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=moscorpus-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/state/slurmctld.pid
SlurmdPidFile=$work/spool/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

stop_daemons() {
  for pidfile in "$work/spool/slurmd.pid" "$work/state/slurmctld.pid"; do
    if [ -s "$pidfile" ]; then as_root kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
}
trap stop_daemons EXIT
as_root env SLURM_CONF="$SLURM_CONF" slurmctld -i
as_root env SLURM_CONF="$SLURM_CONF" slurmd
ready=""
for _ in $(seq 120); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)'; then ready=yes; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  # The daemons themselves (cgroups, ports) are this machine's matter, not the product's:
  # say why, loudly, and skip; a failing job or merge below fails the run.
  echo "slurm-test: the node did not come up; logs:" >&2
  tail -n 30 "$work"/log/*.log >&2 || true
  skip "slurmd/slurmctld did not start on this machine (logs above)"
fi
echo "slurm-test: one-node cluster up ($host, $cpus CPUs)"

# A corpus on disk: the demo's clips and labels (only rows whose clip it fetched: ~1,200,
# above the README command's 1,000-row floor for an LSVQ label file).
"$moscorpus_bin" --log-level error demo --full --dir "$work/demo" >/dev/null
mv "$work/demo/clips" "$work/data/lsvq/clips"
awk -F, 'NR == 1 { print "name,mos"; next }
         { print $1 "," $3 }' "$work/demo/manifest.csv" \
  | while IFS= read -r line; do
      name=${line%%,*}
      if [ "$name" = name ] || [ -f "$work/data/lsvq/clips/$name.mp4" ]; then echo "$line"; fi
    done >"$work/data/lsvq/labels_train_test.csv"
rows=$(($(wc -l <"$work/data/lsvq/labels_train_test.csv") - 1))

# The README's job script and merge line, pointed at this folder.
readme_block=$(awk '/As a Slurm job array:$/ { found = 1; next }
                    found && /^```sh/ { inside = 1; next }
                    inside && /^```/ { exit }
                    inside { print }' README.md)
[ -n "$readme_block" ] || { echo "slurm-test: no Slurm job script in README.md" >&2; exit 1; }
echo "$readme_block" | sed -e "s#/scratch/#$work/scratch/#g" -e "s#/data/#$work/data/#g" \
  >"$work/job.sh"
merge_line=$(grep -E '^# then: ' "$work/job.sh" | sed -e 's/^# then: //')
[ -n "$merge_line" ] || { echo "slurm-test: no merge line in the README's job script" >&2; exit 1; }
cd "$work"
if ! PATH="$bin_dir:$PATH" sbatch --wait --output="$work/log/task-%a.out" "$work/job.sh"; then
  echo "slurm-test: the job array failed; its tasks said:" >&2
  tail -n 5 "$work"/log/task-*.out >&2 || true
  exit 1
fi
# Each task writes its shard and the audit file beside it (#23).
tasks=$(find "$work/data/lsvq-shards" -name '*.jsonl' ! -name '*.audit.jsonl' | wc -l)
if [ "$tasks" -ne 8 ]; then
  echo "slurm-test: $tasks shards written, 8 expected; the tasks said:" >&2
  tail -n 5 "$work"/log/task-*.out >&2 || true
  exit 1
fi
PATH="$bin_dir:$PATH" bash -c "$merge_line" >/dev/null

# One unsharded run over the same clips and labels.
"$moscorpus_bin" --log-level error ingest lsvq --full --dir "$work/reference" \
  --clips-subdir "$work/data/lsvq/clips" --manifest-csv "$work/data/lsvq/labels_train_test.csv" \
  --output "$work/reference/lsvq.jsonl" >/dev/null
mask() { sed -E 's/"ingested_at_utc": "[^"]*"/"ingested_at_utc": ""/' "$1"; }
if ! cmp -s <(mask "$work/data/lsvq/lsvq.jsonl") <(mask "$work/reference/lsvq.jsonl"); then
  echo "slurm-test: the merged shards differ from one unsharded run" >&2
  diff <(mask "$work/data/lsvq/lsvq.jsonl") <(mask "$work/reference/lsvq.jsonl") | head -n 20 >&2
  exit 1
fi
merged=$(wc -l <"$work/data/lsvq/lsvq.jsonl")
[ "$merged" -eq "$rows" ] || { echo "slurm-test: $merged rows merged, $rows labels" >&2; exit 1; }
# The merge joins the tasks' audit files beside its output: one verdict a clip.
audited=$(wc -l <"$work/data/lsvq/lsvq.audit.jsonl")
[ "$audited" -eq "$rows" ] || { echo "slurm-test: $audited audit lines merged, $rows labels" >&2; exit 1; }
echo "slurm-test: passed: $tasks array tasks under Slurm, merged $merged rows = one unsharded run"
