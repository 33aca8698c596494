#!/usr/bin/env bash
# Streaming against storing: the same GPT-2-small-shaped model (the toy model at GPT-2 small's shape, d 768, 12 heads,
# d_mlp 3072, context 128, pretrained for one step: random for our purpose), the same TopK SAE (8x, k 32, batch 4096),
# the same tokens; (a) data.store disk: capture writes the rows, train reads them; (b) data.store stream: train runs the
# model on a producer thread and trains through the shuffle buffer. For each TOKENS value it prints, per mode: tokens/s
# end to end (training tokens / seconds of capture + train, from stages.json), peak RSS of the process, bytes written to
# the cache (capture + train entries), and for disk "capture alone" and "train alone" rates, for stream the split of its
# time (model forward on the producer thread, SAE steps, waiting for rows). The goal: stream >= 0.9x the slower of
# capture alone and train alone (the overlap works), RSS flat in tokens, nothing stored but the eval set.
# The shuffle buffer is BUFFER rows (default 16384 = 4 batches): the first block is filled before training starts
# (no overlap there), so TOKENS should be several buffers.
# Usage: bench/stream-compare.sh [TOKENS="65536"] [LAYERS=2] [BUFFER=16384]   (LAYERS blocks run; the hook is the last one's resid_post)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/common.sh"   # builds once, sets OMP_WAIT_POLICY, defines field/median/load
tokens_list="${1:-65536}"; layers="${2:-2}"; buffer="${3:-16384}"
work="$(mktemp -d /tmp/stream-compare.XXXXXX)"
cd "$work"
cat > bench.yaml <<YAML
name: stream-compare
seed: 0
device: cpu
model: { source: toy, toy: { layers: $layers, d_model: 768, heads: 12, d_mlp: 3072, context: 128, steps: 1, batch_size: 1, tokens: 20000, warmup_steps: 0 } }
data: { corpus: planted-topics, tokens: 65536, context: 128, bos: false }
hook: { layer: $((layers - 1)), site: resid_post }
sae: { architecture: topk, dict_size: 6144, k: 32, batch_size: 4096, tokens: 65536 }
evaluate: { tokens: 4096, ce_loss: false, top_features: 0 }
tracking: none
YAML
# The model once, outside the timing (pretrain is cached for every run below).
"$ROOT/runner" run bench.yaml --runs-dir warm --set data.tokens=4096 --set sae.tokens=4096 --set sae.batch_size=1024 >/dev/null 2>&1

measure() {   # measure MODE TOKENS -> one line of key=value
  local mode="$1" tokens="$2" runs="runs-$1-$2" extra=()
  [ "$mode" = stream ] && extra=(--set data.shuffle_buffer="$buffer")
  /usr/bin/time -f "%M" -o "time-$mode-$tokens" "$ROOT/runner" run bench.yaml --runs-dir "$runs" --force capture \
    --set data.store="$mode" --set data.tokens="$tokens" --set sae.tokens="$tokens" "${extra[@]}" >"log-$mode-$tokens" 2>&1
  python3 - "$runs/stream-compare/stream-compare" "$(cat "time-$mode-$tokens")" "$tokens" "$mode" <<'PY'
import json, os, sys
run, rss_kb, tokens, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
stages = {s["name"]: s for s in json.load(open(os.path.join(run, "stages.json")))["stages"]}
metrics = json.load(open(os.path.join(run, "metrics.json")))
metrics = metrics["metrics"] if metrics.get("format") == "runner-metrics" else metrics   # versioned form, or the older flat one
def size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
cap, train = stages["capture"]["seconds"], stages["train"]["seconds"]
out = dict(mode=mode, tokens=tokens, e2e_tok_s=tokens / (cap + train), capture_s=cap, train_s=train, peak_rss_mb=rss_kb / 1024,
           written_mb=(size(stages["capture"]["entry"]) + size(stages["train"]["entry"])) / 1e6,
           eval_set_mb=size(os.path.join(stages["capture"]["entry"], "eval")) / 1e6)
if mode == "disk":
    out.update(capture_alone_tok_s=tokens / cap, train_alone_tok_s=tokens / train)
else:
    out.update(model_s=metrics["train.model_seconds"], sae_s=metrics["train.sae_seconds"], wait_s=metrics["train.wait_seconds"], passes=stages["train"].get("passes"))
print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in out.items()))
PY
}

for tokens in $tokens_list; do
  load_before=$(load)
  disk=$(measure disk "$tokens"); echo "$disk"
  stream=$(measure stream "$tokens"); echo "$stream"
  python3 - "$disk" "$stream" "$load_before" "$(load)" <<'PY'
import sys
d = dict(kv.split("=") for kv in sys.argv[1].split()); s = dict(kv.split("=") for kv in sys.argv[2].split())
slower = min(float(d["capture_alone_tok_s"]), float(d["train_alone_tok_s"]))
print(f"tokens {d['tokens']}: stream {float(s['e2e_tok_s']):.0f} tok/s end to end vs disk {float(d['e2e_tok_s']):.0f}; "
      f"slower of capture alone ({float(d['capture_alone_tok_s']):.0f}) and train alone ({float(d['train_alone_tok_s']):.0f}): {slower:.0f}; "
      f"ratio {float(s['e2e_tok_s']) / slower:.2f} (goal >= 0.9); peak RSS disk {d['peak_rss_mb']} MB, stream {s['peak_rss_mb']} MB; "
      f"written disk {d['written_mb']} MB, stream {s['written_mb']} MB (eval set {s['eval_set_mb']} MB); load {sys.argv[3]} -> {sys.argv[4]}")
PY
done
echo "work folder: $work"
