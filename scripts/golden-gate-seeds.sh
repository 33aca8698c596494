#!/usr/bin/env bash
# Runs golden-gate-mini at several seeds, one after another, and prints every README figure per seed with
# PASS/FAIL, the near-duplicate measures and each run's wall time (cold unless the stage cache already holds it).
#
#   scripts/golden-gate-seeds.sh [options] [SEED...] [-- EXTRA RUNNER ARGS...]
#     --spec FILE        the spec (default experiments/golden-gate-mini.yaml)
#     --out DIR          runs go to DIR/seed-N (default runs/golden-gate-seeds)
#     --cache-dir DIR    the stage cache (default: runner's default)
#     --cold             a fresh, empty cache per seed (DIR/cache-N, deleted afterwards): cold times
#     --table-only       run nothing; print the table of the runs already in --out
#   Seeds default to 0 1 2 3 4. Everything after `--` goes to `runner run`, e.g. -- --set sae.dict_size=256.
#
# The figures (README, "golden-gate-mini"; issue 15):
#   FVU <= 0.10, CE loss recovered >= 0.9, topics 12/12, bridge words at 2x >= 5x baseline, at 5x >= 50%,
#   random feature at 2x < 2x baseline, suppression min(ablate, -2x) <= half the on-topic baseline, fluency at 1x >= 0.8.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
spec="$ROOT/experiments/golden-gate-mini.yaml"
out="$ROOT/runs/golden-gate-seeds"
cache=""
cold=0
table_only=0
seeds=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --spec) spec="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --cache-dir) cache="$2"; shift 2 ;;
    --cold) cold=1; shift ;;
    --table-only) table_only=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) seeds+=("$1"); shift ;;
  esac
done
[[ ${#seeds[@]} -eq 0 ]] && seeds=(0 1 2 3 4)
mkdir -p "$out"

if [[ $table_only -eq 0 ]]; then
  for s in "${seeds[@]}"; do
    dir="$out/seed-$s"
    rm -rf "$dir"
    args=(run "$spec" --set "seed=$s" --set tracking=none --runs-dir "$dir")
    if [[ $cold -eq 1 ]]; then
      rm -rf "$out/cache-$s"
      args+=(--cache-dir "$out/cache-$s")
    elif [[ -n "$cache" ]]; then
      args+=(--cache-dir "$cache")
    fi
    "$ROOT/runner" --version > /dev/null 2>&1 || true     # build outside the timed part
    start=$(date +%s.%N)
    set +e
    "$ROOT/runner" "${args[@]}" "${extra[@]}" > "$out/seed-$s.log" 2>&1
    rc=$?
    set -e
    end=$(date +%s.%N)
    mkdir -p "$dir"
    python3 -c "print(round($end - $start, 1))" > "$dir/wall_seconds"
    [[ $cold -eq 1 ]] && rm -rf "$out/cache-$s"
    echo "seed $s: exit $rc, $(cat "$dir/wall_seconds") s (log: $out/seed-$s.log)" >&2
  done
fi

python3 - "$out" "${seeds[@]}" <<'EOF'
import glob, json, os, sys
out, seeds = sys.argv[1], sys.argv[2:]
def load(seed):
    runs = glob.glob(os.path.join(out, f"seed-{seed}", "*", "*", "metrics.json"))
    if not runs: return None, None
    m = json.load(open(runs[0]))
    if isinstance(m.get("metrics"), dict): m = m["metrics"]          # format 2: { "format", "version", "metrics", "definitions" }
    m = {k: float(v) if isinstance(v, str) else v for k, v in m.items()}   # "NaN", "Infinity" as strings
    wall = os.path.join(out, f"seed-{seed}", "wall_seconds")
    return m, (float(open(wall).read()) if os.path.exists(wall) else float("nan"))
def g(m, k): return m.get(k, float("nan"))
rows, passes = [], []
head = ["seed", "FVU", "CE rec", "topics", "bridge 2x/base", "5x", "random 2x", "ablate/-2x vs on-topic", "fluency 1x",
        "mmdc", "pairs>0.95", "wall s", "result"]
for s in seeds:
    m, wall = load(s)
    if m is None:
        rows.append([s, "no run"] + [""] * (len(head) - 3) + ["FAIL"]); passes.append(False); continue
    fvu, ce, topics = g(m, "evaluate.fvu"), g(m, "evaluate.ce_loss_recovered"), g(m, "evaluate.topics_recovered")
    base, x2, x5 = g(m, "steer.baseline.topic_fraction"), g(m, "steer.bridge_x2.topic_fraction"), g(m, "steer.bridge_x5.topic_fraction")
    rnd = g(m, "steer.random_x2.topic_fraction")
    on, abl, neg = g(m, "steer.baseline_on_topic.topic_fraction"), g(m, "steer.ablate_bridge.topic_fraction"), g(m, "steer.bridge_x-2_on_topic.topic_fraction")
    flu = g(m, "steer.bridge_x1.fluency")
    checks = {
        "fvu": fvu <= 0.10, "ce": ce >= 0.9, "topics": topics >= 12, "x2": x2 >= 5 * base, "x5": x5 >= 0.5,
        "random": rnd < 2 * base, "suppress": min(abl, neg) <= 0.5 * on, "fluency": flu >= 0.8,
    }
    def f(ok, text): return text + ("" if ok else " FAIL")
    ok = all(checks.values())
    passes.append(ok)
    rows.append([s, f(checks["fvu"], f"{fvu:.4f}"), f(checks["ce"], f"{ce:.3f}"), f(checks["topics"], f"{topics:.0f}"),
                 f(checks["x2"], f"{x2:.1%} / {base:.1%} ({x2 / base if base else float('inf'):.1f}x)"), f(checks["x5"], f"{x5:.1%}"),
                 f(checks["random"], f"{rnd:.1%}"), f(checks["suppress"], f"{abl:.1%} / {neg:.1%} vs {on:.1%}"),
                 f(checks["fluency"], f"{flu:.2f}"), f"{g(m, 'evaluate.mean_max_decoder_cosine'):.3f}",
                 f"{g(m, 'evaluate.decoder_pairs_above_0_95'):.0f}", f"{wall:.0f}", "PASS" if ok else "FAIL"])
w = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(head)) + " |")
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows: print("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |")
print(f"{sum(passes)} of {len(passes)} seeds pass every figure")
EOF
