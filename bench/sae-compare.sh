#!/usr/bin/env bash
# `runner bench sae` against ../shared/bench/sae_ref.py (PyTorch eager, Debian python3-torch) on the
# same configurations, interleaved A B A B ... so machine noise hits both alike. Prints each run, the
# median tokens/s of each side and the ratios runner / reference, with the load average around each
# configuration. Usage:
#   bench/sae-compare.sh [ROUNDS=3] [THREADS=2] [DTYPES="float32 bfloat16"] [CONFIGS="relu4k relu16k topk"]
# Configurations (batch 4096, Adam, 5 timed steps after 3 warm-up steps on both sides):
#   relu4k   relu 512 x 4096           reference: its dense loop
#   relu16k  relu 512 x 16384          reference: its dense loop
#   topk     topk k=32, 768 x 24576    references: its dense loop, and its best (--sparse-decoder embag --fold-bias)
# Needs: apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread python3-numpy
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="${SAE_REF:-$ROOT/../shared/bench/sae_ref.py}"
PY="${PYTHON:-/usr/bin/python3}"
rounds="${1:-3}"; threads="${2:-2}"; dtypes="${3:-float32 bfloat16}"; configs="${4:-relu4k relu16k topk}"
steps="${STEPS:-5}"; warmup="${WARMUP:-3}"
[ -f "$REF" ] || { echo "sae-compare: no reference loop at $REF (set SAE_REF)" >&2; exit 2; }
"$PY" -c 'import torch' 2>/dev/null || { echo "sae-compare: $PY cannot import torch; apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread python3-numpy" >&2; exit 2; }
. "$ROOT/bench/common.sh"   # builds once, sets OMP_WAIT_POLICY, defines field/median/load


summary=()
for config in $configs; do
  case "$config" in
    relu4k)  shape=(--arch relu --d-in 512 --d-sae 4096); refs=("dense:") ;;
    relu16k) shape=(--arch relu --d-in 512 --d-sae 16384); refs=("dense:") ;;
    topk)    shape=(--arch topk --d-in 768 --d-sae 24576 --k 32); refs=("dense:" "embag+fold:--sparse-decoder embag --fold-bias") ;;
    *) echo "sae-compare: unknown configuration '$config'" >&2; exit 2 ;;
  esac
  for dtype in $dtypes; do
    refdtype=$([ "$dtype" = bfloat16 ] && echo bf16 || echo fp32)
    common=("${shape[@]}" --batch 4096 --steps "$steps" --warmup "$warmup" --threads "$threads")
    declare -A runs=(); runner=()
    load_before=$(load)
    for i in $(seq "$rounds"); do
      r=$("$ROOT/runner" bench sae "${common[@]}" --dtype "$dtype" --json | field tokens_per_s | xargs printf "%.0f")
      runner+=("$r"); line="round $i: runner $r"
      for ref in "${refs[@]}"; do
        name="${ref%%:*}"; extra="${ref#*:}"
        # shellcheck disable=SC2086
        out=$("$PY" "$REF" "${common[@]}" --dtype "$refdtype" $extra --json)
        p=$(echo "$out" | field tokens_per_s | xargs printf "%.0f")
        foreign=$(echo "$out" | field foreign_load_cores | xargs printf "%.2f")
        runs[$name]="${runs[$name]:-} $p"; line+=", pytorch-$name $p (foreign load $foreign cores)"
      done
      echo "$config $dtype t$threads $line tok/s"
    done
    mr=$(median "${runner[@]}")
    for ref in "${refs[@]}"; do
      name="${ref%%:*}"
      # shellcheck disable=SC2086
      mp=$(median ${runs[$name]})
      summary+=("$(awk -v c="$config" -v d="$dtype" -v t="$threads" -v n="$name" -v a="$mr" -v b="$mp" -v l0="$load_before" -v l1="$(load)" \
        'BEGIN {printf "%-8s %-9s t%s  runner %8.0f  pytorch-%-10s %8.0f  ratio %.2f  (load %s -> %s)", c, d, t, a, n, b, a/b, l0, l1}')")
      echo "${summary[-1]}"
    done
    unset runs
  done
done
echo "medians of $rounds interleaved rounds (tokens/s):"
printf '%s\n' "${summary[@]}"
