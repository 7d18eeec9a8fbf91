# Shared by run.sh and test.sh (sourced, not executed): installs the Debian
# bookworm packages ftcapture builds from, and configures + builds it.
#
# Environment: BUILD_TYPE (default RelWithDebInfo), JOBS (default nproc).

FTCAPTURE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FTCAPTURE_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev
  # The Python client (python/): grpc_python_plugin is in
  # protobuf-compiler-grpc; its tests run under Debian's python3.
  python3-grpcio python3-protobuf python3-setuptools openssl
)

ftcapture_log() { echo "[ftcapture] $*" >&2; }

ftcapture_is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs the packages that are missing; apt-get update only if any are.
ftcapture_install_deps() {
  local missing=() package
  for package in "${FTCAPTURE_PACKAGES[@]}"; do
    ftcapture_is_installed "$package" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    ftcapture_log "missing packages: ${missing[*]}; install them (Debian bookworm names) and retry"
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      ftcapture_log "missing packages: ${missing[*]}; run as root or install sudo"
      return 1
    fi
    sudo=(sudo)
  fi
  ftcapture_log "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# ftcapture_build BUILD_DIR [cmake -D options...] [-- targets...]
ftcapture_build() {
  local build_dir="$1"
  shift
  local cmake_args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    cmake_args+=("$1")
    shift
  done
  if [ $# -gt 0 ]; then
    shift
    targets=("$@")
  fi
  cmake -S "$FTCAPTURE_ROOT" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${cmake_args[@]}"
  if [ ${#targets[@]} -gt 0 ]; then
    cmake --build "$build_dir" -j"${JOBS:-$(nproc)}" --target "${targets[@]}"
  else
    cmake --build "$build_dir" -j"${JOBS:-$(nproc)}"
  fi
}
