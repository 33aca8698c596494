#!/usr/bin/env bash
# A capture larger than its memory allows: writes ~GB gigabytes of activation shards from a toy model under a memory
# cap (a cgroup: v2 memory.max or v1 memory.limit_in_bytes, swap off), and prints the peak RSS, the cgroup's peak
# usage (page cache of the written shards included, which the kernel reclaims), the bytes written and the time.
# The capture streams its writes (one shard of at most 256 MiB buffered), so memory stays flat in data.tokens.
# Root is needed to create the cgroup.
#
# usage: bench/capture-bounded.sh [GB=4] [CAP=1536M] [DTYPE=float32|bfloat16|float16]
set -euo pipefail
GB=${1:-4}
CAP=${2:-1536M}
DTYPE=${3:-float32}
root=$(cd "$(dirname "$0")/.." && pwd)
case $DTYPE in float32) elem=4 ;; bfloat16|float16) elem=2 ;; *) echo "DTYPE must be float32, bfloat16 or float16" >&2; exit 2 ;; esac
width=4096                                        # hook mlp_hidden of a toy model with d_mlp 4096
tokens=$(python3 -c "print(int($GB * 1e9 / ($width * $elem + 16)) // 4096 * 4096)")

work=$(mktemp -d /var/tmp/runner-bounded.XXXXXX)  # a disk, not a tmpfs (tmpfs pages would count as memory)
cg=""
cleanup() {
  rm -rf "$work"
  if [[ -n $cg && -d $cg ]]; then rmdir "$cg" 2>/dev/null || true; fi
}
trap cleanup EXIT

cat > "$work/bounded.yaml" <<YAML
name: capture-bounded
device: cpu
model: { source: toy, toy: { layers: 1, d_model: 256, heads: 4, d_mlp: 4096, context: 64, steps: 20, tokens: 200_000, batch_size: 8 } }
data: { corpus: planted-topics, tokens: $tokens, context: 64, bos: false, activation_dtype: $DTYPE }
hook: { layer: 0, site: mlp_hidden }
sae: { architecture: topk, dict_size: 256, k: 8, batch_size: 512, tokens: 4096 }
evaluate: { tokens: 4096, top_features: 0 }
tracking: none
YAML

"$root/runner" --help > /dev/null                 # build outside the cap
"$root/runner" run "$work/bounded.yaml" --cache-dir "$work/cache" --runs-dir "$work/runs" --dry-run | tail -3

# The cgroup: under this process's own (v1) or in the v2 hierarchy.
bytes=$(python3 -c "s='$CAP'.upper().rstrip('B'); m={'K':1<<10,'M':1<<20,'G':1<<30}; print(int(float(s[:-1])*m[s[-1]]) if s[-1] in m else int(s))")
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  cg=/sys/fs/cgroup/runner-bounded-$$
  mkdir "$cg"
  echo "$bytes" > "$cg/memory.max"
  echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
  peak_file=$cg/memory.peak
else
  cg=/sys/fs/cgroup/memory$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)/runner-bounded-$$
  mkdir "$cg"
  echo "$bytes" > "$cg/memory.limit_in_bytes"
  echo "$bytes" > "$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true
  peak_file=$cg/memory.max_usage_in_bytes
fi

echo "capture of $tokens rows x $width $DTYPE under a $CAP memory cap ($cg)"
set +e
( echo $BASHPID > "$cg/cgroup.procs"
  exec python3 - "$root/runner" "$work" <<'PY'
# Runs the spec, follows its stage lines on stderr, and samples the process's resident memory (anonymous and
# file-backed: mapped shards) every 0.1 s, keeping the peak of each stage.
import json, os, re, subprocess, sys, threading, time
runner, work = sys.argv[1], sys.argv[2]
proc = subprocess.Popen([runner, "run", f"{work}/bounded.yaml", "--cache-dir", f"{work}/cache", "--runs-dir", f"{work}/runs"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
stage, peaks, started, seconds = "startup", {}, time.time(), {}
def sample():
    while proc.poll() is None:
        try:
            fields = dict(l.split(":", 1) for l in open(f"/proc/{proc.pid}/status"))
            anon, file = (int(fields[k].split()[0]) * 1024 for k in ("RssAnon", "RssFile"))
            a, f = peaks.get(stage, (0, 0))
            peaks[stage] = (max(a, anon), max(f, file))
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
for line in proc.stderr:
    m = re.search(r"\] (\w+): (computing|done in ([\d.]+) s)", line)
    if m and m.group(2) == "computing": stage = m.group(1)
    if m and m.group(3): seconds[m.group(1)] = float(m.group(3))
    if "error" in line: sys.stderr.write(line)
rc = proc.wait()
json.dump({"rc": rc, "peaks": peaks, "seconds": seconds, "wall": time.time() - started}, open(f"{work}/monitor.json", "w"))
PY
) 
set -e
capture=$(ls -d "$work"/cache/capture/*/ 2>/dev/null | head -1)
written=$( [[ -n $capture ]] && du -sb "$capture" | cut -f1 || echo 0)
python3 - <<PY
import json, os
m = json.load(open("$work/monitor.json"))
peak = int(open("$peak_file").read()) if os.path.exists("$peak_file") else 0
written = int("$written")
print(f"exit code          {m['rc']}")
print(f"memory cap         $CAP ({int('$bytes') / 1e9:.2f} GB)")
print(f"shards written     {written / 1e9:.2f} GB by capture ({written / int('$bytes'):.1f}x the cap), in {m['seconds'].get('capture', float('nan')):.0f} s ({written / 1e6 / max(1e-9, m['seconds'].get('capture', 0)):.0f} MB/s)")
print("peak resident memory per stage (anonymous + file-backed, i.e. mapped shards):")
for stage, (anon, file) in m["peaks"].items():
    print(f"  {stage:10} {anon / 1e6:7.0f} MB + {file / 1e6:6.0f} MB   ({m['seconds'].get(stage, 0):.1f} s)")
print(f"cgroup peak        {peak / 1e6:.0f} MB (page cache of the written shards included; the kernel reclaims it)")
print(f"whole run          {m['wall']:.0f} s")
exit(m["rc"])
PY
