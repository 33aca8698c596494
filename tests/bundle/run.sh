#!/usr/bin/env bash
# The portable bundle end to end on this CPU machine (CI runs it after ./test.sh; needs root for the namespaces):
#   1. scripts/bundle.sh builds it (size checked against the 60 MiB limit);
#   2. it is unpacked and used by an unprivileged user (nobody) in a mount namespace where the .NET SDK and
#      runtime are hidden: bin/runner setup builds the shim against Debian's python3-torch through the
#      "Python PyTorch" route, and `bin/runner gpu-check --quick` runs the CPU parts; its JSON is checked;
#   3. bad input, one line and exit 2 each: no libtorch anywhere, no cmake, no C++ compiler, --device cuda
#      on a libtorch without CUDA.
# Prints the bundle's size and the time from unpacking to a finished gpu-check.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "bundle test: needs root (mount namespaces, an unprivileged user to run as)" >&2; exit 2; }
PY=/usr/bin/python3
"$PY" -c 'import torch' 2>/dev/null || {
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch; } >/tmp/runner-apt-pytorch.log 2>&1 \
    || { tail -n 20 /tmp/runner-apt-pytorch.log >&2; echo "bundle test: python3-torch could not be installed" >&2; exit 2; }; }
work="$(mktemp -d /tmp/runner-bundle-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
fail() { echo "bundle test: FAILED: $*" >&2; exit 1; }

if [ -n "${RUNNER_BUNDLE_TAR:-}" ]; then cp "$RUNNER_BUNDLE_TAR" "$work/runner.tar.xz"   # an already built bundle (while working on this script)
else "$ROOT/scripts/bundle.sh" "$work/runner.tar.xz"; fi
size=$(stat -c %s "$work/runner.tar.xz")
[ "$size" -le $((60 * 1024 * 1024)) ] || fail "bundle is $size bytes, over 60 MiB"
chown -R 65534:65534 "$work"

dotnet_dir="$(dirname "$(readlink -f "$(command -v dotnet)")")"
# As nobody, with the .NET install hidden (an empty tmpfs over it), extra paths hidden too (a file: /dev/null
# bound over it; a folder: an empty tmpfs), and a plain environment: as_user [PATH_TO_HIDE...] -- COMMAND...
cat >"$work/as-user.sh" <<'INNER'
set -e
home="$1"; shift
while [ "$1" != -- ]; do
  if [ -d "$1" ]; then mount -t tmpfs tmpfs "$1"; else mount --bind /dev/null "$1"; fi
  shift
done
shift
exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i HOME="$home" TMPDIR="$home/tmp" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"
INNER
as_user() { unshare --mount --propagation private bash "$work/as-user.sh" "$work/home" "$dotnet_dir" "$@"; }
mkdir -p "$work/home/tmp" && chown -R 65534:65534 "$work/home"   # its own TMPDIR: tests keep fixed folders under /tmp that root may own

start=$SECONDS
as_user -- bash -c "cd '$work' && tar xf runner.tar.xz && ! command -v dotnet && id -u" >"$work/unpack.log" 2>&1 || { cat "$work/unpack.log"; fail "unpack as nobody, or dotnet still visible"; }
[ "$(tail -n 1 "$work/unpack.log")" = 65534 ] || fail "not run as nobody: $(cat "$work/unpack.log")"
B="$work/runner"
as_user -- env RUNNER_PYTHON="$PY" "$B/bin/runner" setup >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "bin/runner setup"; }
grep -q "via python ($PY, torch 1\.13" "$work/setup.log" || { cat "$work/setup.log"; fail "the shim was not built through the Python PyTorch route"; }
as_user -- bash -c "cd '$work' && RUNNER_PYTHON=$PY '$B/bin/runner' gpu-check --quick --out '$work/gc'" >"$work/gpu-check.log" 2>&1 || { cat "$work/gpu-check.log"; fail "gpu-check --quick"; }
elapsed=$((SECONDS - start))
cat "$work/gpu-check.log"
"$PY" - "$work/gc/gpu-check.json" <<'PYEOF' || fail "gpu-check.json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["passed"] is True and r["cuda_available"] is False and r["layout"] == "bundle", r
t = r["tests"]
assert t["other_rows"]["failed"] == 0 and t["other_rows"]["passed"] >= 400, t["other_rows"]
assert t["cuda_rows"]["total"] >= 60 and t["cuda_rows"]["skipped"] == t["cuda_rows"]["total"], t["cuda_rows"]
assert not t["failures"] and not t["notes"], t
assert r["agreement"]["cpu"]["evaluate.fvu"] < 0.5, r["agreement"]
assert r["build"]["route"].startswith("python (/usr/bin/python3"), r["build"]
bench = r["bench"]["results"]
assert len(bench) == 4 and all(b["runner"] and b["ratio"].get("eager") for b in bench), bench
print("bundle test: gpu-check.json checked: %d test rows, %d cuda rows skipped (no GPU), %d agreement metrics, %d benchmarks with PyTorch ratios"
      % (t["other_rows"]["total"], t["cuda_rows"]["total"], len(r["agreement"]["cpu"]), len(bench)))
PYEOF

# Bad input: one line on stderr, exit 2.
expect_2() {   # name, pattern, as_user arguments...
  local name="$1" pattern="$2"; shift 2
  local code=0
  as_user "$@" >"$work/bad.out" 2>"$work/bad.err" || code=$?
  [ "$code" = 2 ] || { cat "$work/bad.err"; fail "$name: exit $code, expected 2"; }
  [ "$(wc -l <"$work/bad.err")" = 1 ] || { cat "$work/bad.err"; fail "$name: expected one line"; }
  grep -qE "$pattern" "$work/bad.err" || { cat "$work/bad.err"; fail "$name: message does not match /$pattern/"; }
  echo "bundle test: $name -> exit 2: $(cat "$work/bad.err")"
}
as_user -- bash -c "cd '$work' && mkdir fresh && tar -C fresh -xf runner.tar.xz"
F="$work/fresh/runner"
torch_cfg="$(ls -d /usr/lib/*-linux-gnu/cmake/Torch | head -n 1)"
expect_2 "no libtorch" 'no libtorch found\. Looked at \(1\) RUNNER_LIBTORCH_DIR: unset; \(2\) a Python PyTorch \(/nonexistent/python3\).*\(3\) Debian.*Set RUNNER_LIBTORCH_DIR' \
  "$torch_cfg" -- env RUNNER_PYTHON=/nonexistent/python3 "$F/bin/runner" doctor
expect_2 "no cmake" 'cmake is needed to build the native shim against .* and is not on PATH' \
  "$(command -v cmake)" -- env RUNNER_PYTHON="$PY" "$F/bin/runner" doctor
expect_2 "no C++ compiler" 'no C\+\+ compiler found \(tried /nonexistent/c\+\+\)' \
  -- env RUNNER_PYTHON="$PY" CXX=/nonexistent/c++ "$F/bin/runner" doctor
expect_2 "--device cuda without CUDA" 'error: device cuda: this libtorch \(1\.13.*has no CUDA or sees no GPU' \
  -- env RUNNER_PYTHON="$PY" "$B/bin/runner" bench matmul --device cuda
echo "bundle test: passed; bundle $(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1048576}') MiB; unpack -> setup (shim build) -> finished gpu-check --quick in ${elapsed} s, as nobody with no .NET on the machine"
