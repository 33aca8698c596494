#!/usr/bin/env bash
# A real single-node Slurm cluster (Debian's slurm-wlm: munged, slurmctld -i, slurmd) in a temp folder, private ports
# and sockets; a 4-point synthetic sweep through `./runner run --executor slurm`; checks every point's outputs, that the
# shared capture was computed once, and the MLflow parent run with its children; stops the daemons by pid.
# Needs root (slurmd runs jobs as their user) and slurm-wlm installed. Usage: tests/slurm/run.sh [--keep]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in munged slurmctld slurmd sbatch squeue; do
  command -v "$tool" >/dev/null 2>&1 || { echo "slurm test: $tool is missing (apt-get install slurm-wlm)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "slurm test: needs root (slurmd)" >&2; exit 2; }
start=$(date +%s)
D="$(mktemp -d /tmp/runner-slurm.XXXXXX)"
chmod 755 "$D"
HOST="$(hostname -s)"
CPUS="$(nproc)"
PORT=$((20000 + RANDOM % 20000))
export SLURM_CONF="$D/slurm.conf"
pids=()
stop() {
  local rc=$?
  for f in "$D/slurmd.pid" "$D/slurmctld.pid" "$D/munged.pid"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  for f in "$D/slurmd.pid" "$D/slurmctld.pid" "$D/munged.pid"; do
    [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    echo "slurm test failed; daemon logs:" >&2
    tail -n 20 "$D"/*.log >&2 2>/dev/null || true
    for f in "$D"/work/runs/*/.slurm/*.out; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }; done
  fi
  [ "${1:-}" = --keep ] || [ $rc -ne 0 ] || rm -rf "$D"
  exit $rc
}
trap stop EXIT

mkdir -p "$D/state" "$D/spool" "$D/munge" "$D/work"
chmod 700 "$D/munge"
dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$D/munge/munge.key"
munged --force --key-file="$D/munge/munge.key" --socket="$D/munge/munge.sock" --pid-file="$D/munged.pid" \
  --log-file="$D/munged.log" --seed-file="$D/munge/munge.seed"

cat > "$SLURM_CONF" <<CONF
ClusterName=runnertest
SlurmctldHost=$HOST
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
  sinfo -h -o "%T" 2>/dev/null | grep -qE "^(idle|mixed|allocated)" && break
  sleep 0.5
done
sinfo -h -o "%T" | grep -qE "^(idle|mixed|allocated)" || { echo "slurm test: the node did not come up: $(sinfo -h 2>&1)" >&2; exit 1; }
echo "slurm test: cluster up on $HOST ($CPUS CPUs) in $(( $(date +%s) - start )) s"

cd "$D/work"
cat > tiny.yaml <<'SPEC'
name: tiny-slurm
seed: 3
device: cpu
data:
  synthetic: { features: 24, d_in: 16, frequency: 0.05 }
  tokens: 20_000
sae: { architecture: topk, dict_size: 64, k: 4, lr: 3e-3, batch_size: 256, tokens: 30_000 }
evaluate: { tokens: 4_000 }
sweep: { sae.k: [2, 3, 4, 5] }
SPEC
RUNNER_SLURM_POLL=1 "$ROOT/runner" run tiny.yaml --executor slurm --max-parallel 4 --slurm-arg=--time=10 | tee run.out

fail() { echo "slurm test: $*" >&2; exit 1; }
for k in 2 3 4 5; do
  run="runs/tiny-slurm/k=$k"
  [ -s "$run/metrics.json" ] || fail "$run/metrics.json is missing"
  grep -q '"evaluate.fvu"' "$run/metrics.json" || fail "$run has no evaluate metrics"
  grep -q '"status": "failed"' "$run/stages.json" && fail "$run failed"
  [ -f "$run/sae/cfg.json" ] || fail "$run/sae is missing"
done
logs=(runs/tiny-slurm/.slurm/*_*.out)
[ "${#logs[@]}" = 4 ] || fail "expected 4 array task logs, found ${#logs[@]}"
computed=$(cat "${logs[@]}" | grep -c "capture: computing" || true)
[ "$computed" = 1 ] || fail "the shared capture was computed $computed times (expected once)"
[ -f runs/tiny-slurm/sweep.parquet ] || fail "no sweep table"
parents=$(ls mlruns/*/*/tags/mlflow.parentRunId 2>/dev/null | wc -l)
[ "$parents" = 4 ] || fail "expected 4 MLflow child runs, found $parents"
grep -q "COMPLETED" run.out || fail "no per-point progress in the output"
# A failing point (a CUDA device this node lacks): the runner exits 1 and names the task's log; the other point completes.
sed -i 's/^sweep: .*/sweep: { device: [cpu, "cuda:63"] }/; s/^name: .*/name: tiny-slurm-fail/' tiny.yaml
rc=0
RUNNER_SLURM_POLL=1 "$ROOT/runner" run tiny.yaml --executor slurm >fail.out 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat fail.out >&2; fail "a failing point gave exit $rc (expected 1)"; }
grep -q "device=cuda_63: FAILED (log: runs/tiny-slurm-fail/.slurm/" fail.out || { cat fail.out >&2; fail "no FAILED line with the log path"; }
grep -q "error: point 1 (device=cuda_63) failed" fail.out || { cat fail.out >&2; fail "no error line for the failed point"; }
[ -s runs/tiny-slurm-fail/device=cpu/metrics.json ] || fail "the other point did not complete"
echo "slurm test: ok — 4 points through one job array, capture computed once, a failing point reported; in $(( $(date +%s) - start )) s"
