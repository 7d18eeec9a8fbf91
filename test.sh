#!/usr/bin/env bash
# Installs what is missing (Debian bookworm; sudo when not root), builds
# everything and runs the test suite with ctest.
#
#   ./test.sh                      build/ , all tests
#   ./test.sh --sanitize=thread    build-tsan/ with ThreadSanitizer
#   ./test.sh --sanitize=address   build-asan/ with ASan + UBSan
#   ./test.sh -R end_to_end        further arguments go to ctest
#
# FTCAPTURE_CMAKE_ARGS adds cmake options (.ci/run: -DFTCAPTURE_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

sanitize=""
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize=*) sanitize="${1#--sanitize=}" ;;
    --sanitize) sanitize="${2:?--sanitize needs thread or address}"; shift ;;
    *) ctest_args+=("$1") ;;
  esac
  shift
done

case "$sanitize" in
  "") default_dir=build ;;
  thread) default_dir=build-tsan ;;
  address) default_dir=build-asan ;;
  *) echo "test.sh: --sanitize must be thread or address, not '$sanitize'" >&2; exit 2 ;;
esac
BUILD_DIR="${BUILD_DIR:-$default_dir}"

ftcapture_install_deps
read -r -a extra_cmake_args <<<"${FTCAPTURE_CMAKE_ARGS:-}"
ftcapture_build "$BUILD_DIR" -DFTCAPTURE_SANITIZE="$sanitize" \
  "${extra_cmake_args[@]}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "${ctest_args[@]}"
