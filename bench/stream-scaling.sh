#!/usr/bin/env bash
# Scaling of data.store stream (and disk) in tokens, on golden-gate-mini's toy model (1 layer, d 64; pretrained once,
# cached) with a TopK SAE (512 latents, k 16, batch 4096): per TOKENS value and mode, wall seconds of the train stage
# (and capture for disk), tokens/s, peak RSS of the process and bytes the run added to the cache (capture + train
# entries: for stream only the eval set and the SAE). Expected: stream time linear, RSS flat, nothing stored; disk
# bytes linear. Usage: bench/stream-scaling.sh [TOKENS="1000000 4000000 16000000"] [MODES="stream"] [CACHE=<fresh>]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/common.sh"
tokens_list="${1:-1000000 4000000 16000000}"; modes="${2:-stream}"
work="$(mktemp -d /tmp/stream-scaling.XXXXXX)"; cache="${3:-$work/cache}"
cd "$work"
cat > scaling.yaml <<YAML
name: stream-scaling
seed: 0
device: cpu
model: { source: toy, toy: { layers: 1, d_model: 64, heads: 4, context: 64, steps: 1500 } }   # golden-gate-mini's model
data: { corpus: planted-topics, tokens: 1_000_000, context: 64, bos: false }
hook: { layer: 0, site: resid_post }
sae: { architecture: topk, dict_size: 512, k: 16, lr: 1e-3, batch_size: 4096, tokens: 1_000_000 }
evaluate: { tokens: 16384, top_features: 0 }
tracking: none
YAML
printf '%-7s %10s %9s %9s %11s %12s %12s\n' mode tokens train_s tok_per_s peak_rss_mb written_mb capture_s
for mode in $modes; do
  for tokens in $tokens_list; do
    runs="runs-$mode-$tokens"
    /usr/bin/time -f "%M" -o "rss-$mode-$tokens" "$ROOT/runner" run scaling.yaml --cache-dir "$cache" --runs-dir "$runs" --force capture \
      --set data.store="$mode" --set data.tokens="$tokens" --set sae.tokens="$tokens" >"log-$mode-$tokens" 2>&1
    python3 - "$runs/stream-scaling/stream-scaling" "$(cat "rss-$mode-$tokens")" "$mode" "$tokens" <<'PY'
import json, os, sys
run, rss, mode, tokens = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
st = {s["name"]: s for s in json.load(open(os.path.join(run, "stages.json")))["stages"]}
size = lambda p: sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(p) for f in fs)
train, cap = st["train"]["seconds"], st["capture"]["seconds"]
total = train + (cap if mode == "disk" else 0)
print(f"{mode:<7} {tokens:>10} {train:>9.1f} {tokens / total:>9.0f} {rss / 1024:>11.0f} {(size(st['capture']['entry']) + size(st['train']['entry'])) / 1e6:>12.1f} {cap:>12.1f}")
PY
  done
done
echo "work folder: $work"
