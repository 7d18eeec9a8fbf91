#!/usr/bin/env bash
# Compiles the whole tree (libraries, server, CLI, tests, benchmarks and the
# one-header-per-file check) with clang and -Wthread-safety as errors, so
# the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations that gcc
# ignores are checked. Compiles only (no link, no tests) to save CI time.
#
#   scripts/check_thread_safety.sh [BUILD_DIR]    default build-clang/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
BUILD_DIR="${1:-build-clang}"
CLANG="${CLANG:-clang++-14}"

# No optimisation and no debug info: the analysis needs neither.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_COMPILER="$CLANG" -DFTCAPTURE_THREAD_SAFETY=ON \
  -DFTCAPTURE_CHECK_HEADERS=ON >/dev/null
# Every object file of ours (the generated protobuf sources come along as
# their headers are needed).
mapfile -t objects < <(ninja -C "$BUILD_DIR" -t targets all |
  awk -F': ' '$2 ~ /^CXX_COMPILER/ { print $1 }')
ninja -C "$BUILD_DIR" -j"${JOBS:-$(nproc)}" "${objects[@]}"
echo "check_thread_safety: ${#objects[@]} objects compiled with $CLANG" \
  "-Wthread-safety -Werror=thread-safety"
