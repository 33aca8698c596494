#!/usr/bin/env bash
# Builds a portable Runner: scripts/bundle.sh OUT.tar.xz
# The bundle holds the CLI published self-contained (its .NET runtime inside; no SDK needed where it runs),
# the test executables of the device rows (self-contained too; files identical to the CLI's are hard links, so
# the archive stores them once), the native shim's sources (built on the target by bin/runner against the
# libtorch found there), the committed experiments and configs, bench/torch_ref.py, and bin/runner.
# Not trimmed: F# hooks compile against the runtime's own assemblies, which trimming would cut.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: scripts/bundle.sh OUT.tar.xz" >&2; exit 2; }
OUT="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
MAX_MIB="${RUNNER_BUNDLE_MAX_MIB:-60}"
RID="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
. "$ROOT/scripts/bootstrap.sh"
runner_install_dependencies   # the shim builds once here too (as part of publishing Runner.Torch)

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
stage="$work/runner"
mkdir -p "$stage/bin" "$stage/native/src" "$stage/tests" "$stage/bench"
publish() {   # project, output
  dotnet publish "$ROOT/$1" -c Release -r "$RID" --self-contained -o "$2" --nologo -v quiet -clp:ErrorsOnly \
    -p:DebugType=none -p:GenerateDocumentationFile=false >"$work/publish.log" 2>&1 || { cat "$work/publish.log" >&2; echo "bundle: dotnet publish $1 failed" >&2; exit 1; }
  rm -f "$2/librunner_torch.so"   # built against this machine's libtorch; the target builds its own
}
echo "bundle: publishing the CLI ($RID, self-contained)..." >&2
publish src/Runner.Cli/Runner.Cli.csproj "$stage/app"
for t in Runner.Torch.Tests Runner.Core.Tests; do
  echo "bundle: publishing $t..." >&2
  publish "tests/$t/$t.csproj" "$stage/tests/$t"
  # Subfolders of a test publish are the test SDK's code-coverage engines (every OS) and resource
  # translations: nothing the xunit runner needs.
  find "$stage/tests/$t" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
done
# Files that an earlier tree has byte for byte (the runtime, shared assemblies, xunit) become hard links: stored once.
(cd "$stage" && for t in tests/*/; do
   for f in "$t"*; do
     name="${f#"$t"}"
     for first in app/"$name" tests/*/"$name"; do
       [ "$first" = "$f" ] && break
       [ -f "$first" ] && cmp -s "$first" "$f" && { ln -f "$first" "$f"; break; }
     done
   done
 done)
cp "$ROOT/src/Native/CMakeLists.txt" "$ROOT/src/Native/"*.cpp "$stage/native/src/"
cp -r "$ROOT/experiments" "$ROOT/configs" "$stage/"
cp "$ROOT/bench/torch_ref.py" "$stage/bench/"
cp "$ROOT/scripts/bundle/runner" "$stage/bin/runner"
cp "$ROOT/scripts/bundle/README.md" "$ROOT/LICENSE" "$stage/"
chmod +x "$stage/bin/runner"
{
  echo "runner $(sed -nE 's:.*<Version>(.+)</Version>.*:\1:p' "$ROOT/Directory.Build.props")"
  echo "commit $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) for $RID"
} >"$stage/VERSION"

echo "bundle: compressing..." >&2
tar -C "$work" -cf - runner | xz -T0 -6 >"$OUT.tmp"
size=$(stat -c %s "$OUT.tmp")
if [ "$size" -gt $((MAX_MIB * 1024 * 1024)) ]; then
  rm -f "$OUT.tmp"
  echo "bundle: $((size / 1024 / 1024)) MiB is over the $MAX_MIB MiB limit" >&2; exit 1
fi
mv "$OUT.tmp" "$OUT"
echo "bundle: $OUT ($(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1048576}') MiB; unpacked $(du -sh "$stage" | cut -f1)); unpack and run runner/bin/runner gpu-check" >&2
