#!/usr/bin/env bash
# `runner bench matmul` against the same matmul in C++ (bench/native/matmul_ref.cpp) on the same
# libtorch, interleaved A B A B ... so machine noise hits both alike. Prints each run and the ratio
# of medians. Usage: bench/matmul-compare.sh [ROUNDS=5] [THREADS=cores]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-5}"; threads="${2:-$(nproc)}"
build="$ROOT/artifacts/bench-native"
cmake -S "$ROOT/bench/native" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" >/dev/null
. "$ROOT/bench/common.sh"   # builds once, sets OMP_WAIT_POLICY, defines field/median/load
cs=(); cpp=()
for i in $(seq "$rounds"); do
  a=$("$ROOT/runner" bench matmul --threads "$threads" --json | sed -E 's/.*"gflops":([0-9.]+).*/\1/')
  b=$("$build/matmul_ref" "$threads" | sed -E 's/.*"gflops": ([0-9.]+).*/\1/')
  echo "round $i: runner $a GFLOP/s, C++ $b GFLOP/s"
  cs+=("$a"); cpp+=("$b")
done
mc=$(median "${cs[@]}"); mp=$(median "${cpp[@]}")
awk -v a="$mc" -v b="$mp" -v t="$threads" 'BEGIN {printf "median: runner %.1f GFLOP/s, C++ %.1f GFLOP/s, ratio %.3f (%d threads)\n", a, b, a/b, t}'
