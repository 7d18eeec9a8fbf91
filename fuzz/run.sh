#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, into build-fuzz/) and runs each one
# for SECONDS (default 20), starting from its seed corpus in
# fuzz/corpus/TARGET. New inputs go to build-fuzz/corpus/TARGET (the seeds in
# the tree stay small); a crash is saved as build-fuzz/artifacts/TARGET-*
# and makes the script exit 1.
#
#   fuzz/run.sh                 every target, 20 s each
#   fuzz/run.sh 600 json_fuzzer one target, 10 minutes
#   BUILD_DIR=... JOBS=...      where to build, how many compile jobs (2)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
build_dir="${BUILD_DIR:-build-fuzz}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(capture_service_fuzzer json_fuzzer markdown_import_fuzzer
           record_decoding_fuzzer review_log_fuzzer rule_file_fuzzer
           session_journal_fuzzer tfrecord_reader_fuzzer)
fi

source scripts/setup.sh
ftcapture_install_deps "${FTCAPTURE_PACKAGES[@]}" "${FTCAPTURE_FUZZ_PACKAGES[@]}"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFTCAPTURE_FUZZ=ON -DBUILD_TESTING=OFF \
  >/dev/null
cmake --build "$build_dir" -j"${JOBS:-2}" --target "${targets[@]}"

# The targets write small files per input: on tmpfs, fsync costs nothing.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
failed=()
for target in "${targets[@]}"; do
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus" "$build_dir/artifacts"
  echo "== $target: ${seconds}s" >&2
  log="$build_dir/$target.log"
  if "$build_dir/fuzz/$target" -max_total_time="$seconds" -timeout=25 \
      -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$target-" \
      "$corpus" "fuzz/corpus/$target" >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$log" |
      sed "s/^/   $target /" >&2
  else
    echo "   $target FAILED, see $log:" >&2
    grep -E "ERROR|FUZZ_CHECK|SUMMARY|runtime error" "$log" | head -5 >&2
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each, clean" >&2
