#!/usr/bin/env bash
# `runner bench capture --random small` against ../shared/bench/gpt2_ref.py --mode capture (PyTorch eager,
# Debian python3-torch 1.13, nanoGPT GPT-2 with random weights) at the same point, interleaved A B B A ...
# (the order alternates per round) so machine noise hits both alike. Prints each run, the median tokens/s of
# each side and the ratio runner / reference, with the load average around each configuration. Usage:
#   bench/capture-compare.sh [ROUNDS=3] [THREADS="2"] [DTYPES="float32 bfloat16"] [LAYER=6] [SIZE=small]
# What is timed, on both sides: embeddings + the first LAYER blocks (gpt2_ref.py --layer LAYER; Runner
# --layer LAYER-1 --site resid_post), then the copy of the [B·T, d] residual into a float32 buffer holding all
# timed batches; batch 8, context 128, 3 warm-up + ITERS=10 timed batches; OMP_WAIT_POLICY=PASSIVE for both.
# bf16: Runner holds bf16 weights (norms, GELU and the softmax in float32); the reference runs torch.autocast
# (bfloat16) over float32 weights.
# Which figure: the ratio compares tokens_per_s_all of both sides: batch · T · timed batches / their total
# time, every timed batch counted (Runner computes it exactly as refcommon.py's StepRecorder "rate_all").
# Both sides also report tokens_per_s, the same rate over the "clean" batches only (foreign CPU load at most
# 0.10 cores with 2 threads, 1.10 with 1; Runner measures the foreign load as refcommon.py does, /proc/stat
# busy time minus its own getrusage time); it falls back to all batches when none is clean, so on a shared
# machine the two sides may mix clean and unclean figures: that ratio is printed second, with the clean counts.
# Needs: apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread python3-numpy
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="${GPT2_REF:-$ROOT/../shared/bench/gpt2_ref.py}"
PY="${PYTHON:-/usr/bin/python3}"
rounds="${1:-3}"; threads_list="${2:-2}"; dtypes="${3:-float32 bfloat16}"; layer="${4:-6}"; size="${5:-small}"
iters="${ITERS:-10}"; warmup="${WARMUP:-3}"; batch="${BATCH:-8}"; seq="${CONTEXT:-128}"
[ -f "$REF" ] || { echo "capture-compare: no reference at $REF (set GPT2_REF)" >&2; exit 2; }
[ "$layer" -ge 1 ] || { echo "capture-compare: LAYER must be >= 1 (blocks run), got $layer" >&2; exit 2; }
"$PY" -c 'import torch' 2>/dev/null || { echo "capture-compare: $PY cannot import torch; apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread python3-numpy" >&2; exit 2; }
. "$ROOT/bench/common.sh"   # builds once, sets OMP_WAIT_POLICY, defines field/median/load


summary=()
for threads in $threads_list; do
  for dtype in $dtypes; do
    refdtype=$([ "$dtype" = bfloat16 ] && echo bf16 || echo fp32)
    run_all=(); run_clean=(); ref_all=(); ref_clean=()
    load_before=$(load)
    for i in $(seq "$rounds"); do
      runner_side() {
        out=$("$ROOT/runner" bench capture --random "$size" --layer $((layer - 1)) --site resid_post --batch "$batch" --context "$seq" \
          --iters "$iters" --warmup "$warmup" --threads "$threads" --dtype "$dtype" --json)
        r_all=$(echo "$out" | field tokens_per_s_all | xargs printf "%.0f"); r_clean=$(echo "$out" | field tokens_per_s | xargs printf "%.0f")
        r_n=$(echo "$out" | field n_clean); r_f=$(echo "$out" | field foreign_load_cores | xargs printf "%.2f")
      }
      ref_side() {
        out=$("$PY" "$REF" --size "$size" --mode capture --layer "$layer" --batch "$batch" --seq "$seq" \
          --iters "$iters" --warmup "$warmup" --threads "$threads" --dtype "$refdtype" --json)
        p_all=$(echo "$out" | field tokens_per_s_all | xargs printf "%.0f"); p_clean=$(echo "$out" | field tokens_per_s | xargs printf "%.0f")
        p_n=$(echo "$out" | field n_clean); p_f=$(echo "$out" | field foreign_load_cores | xargs printf "%.2f")
      }
      if [ $((i % 2)) -eq 1 ]; then runner_side; ref_side; else ref_side; runner_side; fi
      run_all+=("$r_all"); run_clean+=("$r_clean"); ref_all+=("$p_all"); ref_clean+=("$p_clean")
      echo "$size L$layer $dtype t$threads round $i: runner $r_all all / $r_clean clean ($r_n/$iters clean, foreign $r_f cores), pytorch $p_all all / $p_clean clean ($p_n/$iters clean, foreign $p_f cores) tok/s"
    done
    ra=$(median "${run_all[@]}"); pa=$(median "${ref_all[@]}"); rc=$(median "${run_clean[@]}"); pc=$(median "${ref_clean[@]}")
    summary+=("$(awk -v s="$size" -v l="$layer" -v d="$dtype" -v t="$threads" -v ra="$ra" -v pa="$pa" -v rc="$rc" -v pc="$pc" -v l0="$load_before" -v l1="$(load)" \
      'BEGIN {printf "%s L%s %-9s t%s  all: runner %6.0f  pytorch %6.0f  ratio %.2f | clean: runner %6.0f  pytorch %6.0f  ratio %.2f  (load %s -> %s)", s, l, d, t, ra, pa, ra/pa, rc, pc, rc/pc, l0, l1}')")
    echo "${summary[-1]}"
  done
done
echo "medians of $rounds interleaved rounds (tokens/s; ratio = runner / pytorch; 'all' is the compared figure):"
printf '%s\n' "${summary[@]}"
