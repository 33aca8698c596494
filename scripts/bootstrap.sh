# Shared by ./runner and ./test.sh (sourced, not executed): install what is missing, build when
# sources changed. Keep the fast path (nothing to do) to a few stat calls: ./runner's overhead.

RUNNER_ROOT="${RUNNER_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
RUNNER_APT_PACKAGES="libtorch-dev libopenblas0-pthread cmake ninja-build g++"

# Prints the missing pieces, one word each; nothing when all are there.
runner_missing() {
  if [ -z "${RUNNER_LIBTORCH_DIR:-}" ]; then
    [ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] || [ -f /usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake ] || echo libtorch-dev
    ls /usr/lib/*-linux-gnu/openblas-pthread/libblas.so.3 >/dev/null 2>&1 || echo libopenblas0-pthread
  fi
  command -v cmake >/dev/null 2>&1 || echo cmake
  command -v ninja >/dev/null 2>&1 || echo ninja-build
  command -v g++ >/dev/null 2>&1 || echo g++
}

runner_install_dependencies() {
  local missing
  missing="$(runner_missing | paste -sd ' ' -)"
  [ -z "${missing// /}" ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "runner: missing: $missing. Install libtorch (>= 1.13) with OpenBLAS, cmake, ninja and g++ with your package manager, or point RUNNER_LIBTORCH_DIR at a libtorch distribution." >&2
    exit 2
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "runner: missing: $missing. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $RUNNER_APT_PACKAGES" >&2
    exit 2
  fi
  echo "runner: installing $missing (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $RUNNER_APT_PACKAGES; } >/tmp/runner-apt.log 2>&1; then
    tail -n 30 /tmp/runner-apt.log >&2
    echo "runner: apt-get failed (log: /tmp/runner-apt.log)" >&2
    exit 2
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "runner: the .NET SDK (dotnet, version in global.json) is required: https://dot.net" >&2
    exit 2
  fi
}

# The libtorch the build is for; recorded in the stamp so switching RUNNER_LIBTORCH_DIR rebuilds.
runner_flavor() { echo "libtorch=${RUNNER_LIBTORCH_DIR:-debian}"; }

# True when any build input is newer than the stamp of the last successful build, or the stamp
# was made for another libtorch.
runner_sources_changed() {
  local stamp="$1"
  [ -f "$stamp" ] || return 0
  [ "$(cat "$stamp")" = "$(runner_flavor)" ] || return 0
  [ -n "$(find "$RUNNER_ROOT/src" "$RUNNER_ROOT/Directory.Build.props" "$RUNNER_ROOT/Directory.Packages.props" \
      "$RUNNER_ROOT/global.json" \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print -quit 2>/dev/null)" ]
}

# Builds the CLI in Release when sources changed since the last build (one builder at a time).
runner_build_cli() {
  local stamp="$RUNNER_ROOT/artifacts/cli.stamp"
  runner_sources_changed "$stamp" || return 0
  mkdir -p "$RUNNER_ROOT/artifacts"
  (
    flock 9
    runner_sources_changed "$stamp" || exit 0
    echo "runner: building (Release)..." >&2
    local log="$RUNNER_ROOT/artifacts/build.log"
    if ! dotnet build "$RUNNER_ROOT/src/Runner.Cli/Runner.Cli.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >"$log" 2>&1; then
      cat "$log" >&2
      echo "runner: build failed (log: $log)" >&2
      exit 1
    fi
    runner_flavor >"$stamp"
  ) 9>"$RUNNER_ROOT/artifacts/build.lock"
}

# OpenMP's idle workers busy-wait and steal the core OpenBLAS needs (measured: +48% on GPT-2
# capture with 2 threads when passive). Must be set before the process starts.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
