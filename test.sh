#!/usr/bin/env bash
# The whole test suite (what CI runs). Extra arguments go to `dotnet test` (e.g. --filter ...).
# Ends with a line "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
RUNNER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$RUNNER_ROOT/scripts/bootstrap.sh"
runner_install_dependencies || exit $?
cd "$RUNNER_ROOT"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test Runner.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 1, Total: 13, ...".
sum() { grep -E '^(Passed|Failed)! +- ' "$log" | sed -E "s/.*[^a-zA-Z]$1: +([0-9]+).*/\\1/" | awk '{s+=$1} END {print s+0}'; }
passed=$(sum Passed); failed=$(sum Failed); skipped=$(sum Skipped)
assemblies=$(grep -cE '^(Passed|Failed)! +- ' "$log")
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  failed=1   # the build or the test host failed before reporting
  echo "test.sh: dotnet test exited with $status before reporting results" >&2
fi
if [ "$assemblies" = 0 ]; then
  echo "test.sh: no test results were reported" >&2
  [ "$failed" = 0 ] && failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
