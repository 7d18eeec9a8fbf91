#!/usr/bin/env bash
# ftcapture against the physical limit: the same client drives the real
# server and a no-op server of the same API, alternately, on loopback, and
# the headline figures are ratios measured in the same run (these machines
# are shared and noisy). See docs/benchmarks.md.
#
#   bench/run.sh            full run: 5 rounds of 10 s, restart on 1 000 000
#                           examples, detector MB/s (several minutes; the
#                           first run also writes the 4.8 GB dataset)
#   bench/run.sh --quick    2 rounds of 3 s and the capture latency, < 1 min
#                           once built
#
# Builds what it needs into BUILD_DIR (default build/). Scratch data goes to
# BENCH_DIR (default /tmp/ftcapture-bench; the restart dataset is kept there
# between runs). The last line is always
#   unary_ratio=X stream_ratio=Y capture_p99_ratio=Z rss_ratio=W
# (ftcapture / no-op turns/s; capture p99 with fsync / p99 of a bare
# append+fdatasync of the same record bytes; peak RSS / (window bytes +
# 30 MB) at 10 000 live sessions).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$arg' (want --quick)" >&2; exit 2 ;;
  esac
done

BUILD_DIR="${BUILD_DIR:-build}"
BENCH_DIR="${BENCH_DIR:-/tmp/ftcapture-bench}"
if [ "$quick" = 1 ]; then
  rounds=2; duration=3s; warmup=1s; samples=1000
else
  rounds=5; duration=10s; warmup=2s; samples=3000
fi
sessions=10000
lanes=64

ftcapture_install_deps
ftcapture_build "$BUILD_DIR" -- ftcapture-server ftcapture-noop-server \
  ftcapture-loadgen ftcapture-make-dataset detector_bench >&2

server_bin="$BUILD_DIR/ftcapture-server"
noop_bin="$BUILD_DIR/bench/ftcapture-noop-server"
loadgen_bin="$BUILD_DIR/bench/ftcapture-loadgen"
mkdir -p "$BENCH_DIR"
run_dir="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$run_dir"
}
trap cleanup EXIT

# start_server real|noop [flags...]: starts it on a free port; sets
# server_pid and server_addr.
start_server() {
  local which="$1"
  shift
  local out="$run_dir/server.out"
  : > "$out"
  if [ "$which" = real ]; then
    rm -rf "$run_dir/data"
    "$server_bin" --listen=127.0.0.1:0 --data_dir="$run_dir/data" "$@" \
      > "$out" 2> "$run_dir/server.err" &
  else
    "$noop_bin" --listen=127.0.0.1:0 > "$out" 2> "$run_dir/server.err" &
  fi
  server_pid=$!
  for _ in $(seq 500); do
    if grep -q " listening on " "$out"; then
      server_addr="$(sed -n 's/.* listening on \([^ ]*\).*/\1/p' "$out" | head -1)"
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.02
  done
  echo "bench/run.sh: $which server did not start:" >&2
  cat "$run_dir/server.err" >&2
  exit 1
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# field "key=value ..." key
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<< "$1"; }

declare -A tps_sum=() p50=() p90=() p99=() rss=() examples=() creditable=()
rss_ratio_max=0
echo "ftcapture bench: $rounds round(s) of $duration per mode and server," \
     "$sessions sessions over $lanes lanes, $(nproc) cores" >&2
for round in $(seq "$rounds"); do
  for mode in unary stream; do
    # Alternate which server goes first, so drift in the machine's load
    # does not favour one of them.
    if [ $((round % 2)) = 1 ]; then order="real noop"; else order="noop real"; fi
    for which in $order; do
      start_server "$which"
      line="$("$loadgen_bin" --server="$server_addr" --mode="$mode" \
        --label="$which" --sessions="$sessions" --concurrency="$lanes" \
        --duration="$duration" --warmup="$warmup" --seed="$round" \
        --server_pid="$server_pid")"
      stop_server
      echo "  round $round $mode $which: $(field "$line" turns_per_s) turns/s," \
           "p99 $(field "$line" p99_us) us" >&2
      key="$mode/$which"
      tps_sum[$key]=$(( ${tps_sum[$key]:-0} + $(field "$line" turns_per_s) ))
      p50[$key]="${p50[$key]:-} $(field "$line" p50_us)"
      p90[$key]="${p90[$key]:-} $(field "$line" p90_us)"
      p99[$key]="${p99[$key]:-} $(field "$line" p99_us)"
      rss[$key]="${rss[$key]:-} $(field "$line" peak_rss_kb)"
      examples[$key]=$(( ${examples[$key]:-0} + $(field "$line" examples) ))
      creditable[$key]=$(( ${creditable[$key]:-0} + $(field "$line" creditable) ))
      if [ "$which" = real ]; then
        if [ "$(field "$line" sessions_live)" != "$sessions" ]; then
          echo "bench/run.sh: only $(field "$line" sessions_live) sessions live" >&2
          exit 1
        fi
        ratio=$(awk -v r="$(field "$line" peak_rss_kb)" \
          -v w="$(field "$line" window_bytes)" \
          'BEGIN { printf "%.3f", r * 1024 / (w + 30 * 1048576) }')
        rss_ratio_max=$(awk -v a="$rss_ratio_max" -v b="$ratio" \
          'BEGIN { print (b > a ? b : a) }')
      fi
    done
  done
done

# The median of a list of numbers.
median() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{ v[NR] = $1 }
  END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo
printf '%-7s %-10s %10s %8s %8s %8s %10s %12s\n' mode server "turns/s" \
  "p50 ms" "p90 ms" "p99 ms" examples "peak RSS MB"
for mode in unary stream; do
  for which in real noop; do
    key="$mode/$which"
    printf '%-7s %-10s %10d %8.2f %8.2f %8.2f %10s %12.1f\n' "$mode" \
      "$([ $which = real ] && echo ftcapture || echo no-op)" \
      $(( ${tps_sum[$key]} / rounds )) \
      "$(awk -v v="$(median "${p50[$key]}")" 'BEGIN { print v / 1000 }')" \
      "$(awk -v v="$(median "${p90[$key]}")" 'BEGIN { print v / 1000 }')" \
      "$(awk -v v="$(median "${p99[$key]}")" 'BEGIN { print v / 1000 }')" \
      "$([ $which = real ] && echo "${examples[$key]}/${creditable[$key]}" || echo -)" \
      "$(awk -v v="$(median "${rss[$key]}")" 'BEGIN { print v / 1024 }')"
  done
done
unary_ratio=$(awk -v a="${tps_sum[unary/real]}" -v b="${tps_sum[unary/noop]}" \
  'BEGIN { printf "%.3f", a / b }')
stream_ratio=$(awk -v a="${tps_sum[stream/real]}" -v b="${tps_sum[stream/noop]}" \
  'BEGIN { printf "%.3f", a / b }')
for mode in unary stream; do
  if [ "${examples[$mode/real]}" != "${creditable[$mode/real]}" ]; then
    echo "bench/run.sh: $mode captured ${examples[$mode/real]} examples" \
         "of ${creditable[$mode/real]} creditable praises" >&2
    exit 1
  fi
done

# Capture latency: sequential praise captures with --sync=always against a
# bare append+fdatasync of the same record bytes on the same filesystem.
start_server real --sync=always
line="$("$loadgen_bin" --server="$server_addr" --mode=capture --label=real \
  --samples="$samples" --fsync_dir="$run_dir" --seed=7)"
stop_server
capture_ratio="$(field "$line" capture_p99_ratio)"
echo
echo "capture (--sync=always, $(field "$line" samples) sequential captures):" \
     "p50 $(field "$line" capture_p50_us) us, p99 $(field "$line" capture_p99_us) us;" \
     "bare append+fdatasync p50 $(field "$line" fsync_p50_us) us," \
     "p99 $(field "$line" fsync_p99_us) us; a turn that captures nothing:" \
     "p50 $(field "$line" plain_rpc_p50_us) us, p99 $(field "$line" plain_rpc_p99_us) us"
echo "peak RSS at $sessions live sessions: ${rss_ratio_max}x (window bytes + 30 MB), worst run"

if [ "$quick" = 0 ]; then
  # Restart on a million examples (written once, kept in BENCH_DIR).
  dataset="$BENCH_DIR/dataset-1000000"
  if [ ! -f "$dataset/.complete" ]; then
    rm -rf "$dataset"
    echo "writing the 1 000 000-example dataset to $dataset ..." >&2
    "$BUILD_DIR/bench/ftcapture-make-dataset" --data_dir="$dataset" \
      --examples=1000000 >&2
    touch "$dataset/.complete"
  fi
  times=""
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    out="$run_dir/restart.out"
    : > "$out"
    "$server_bin" --listen=127.0.0.1:0 --data_dir="$dataset" > "$out" \
      2> "$run_dir/restart.err" &
    server_pid=$!
    until grep -q " listening on " "$out"; do
      kill -0 "$server_pid" || { cat "$run_dir/restart.err" >&2; exit 1; }
      sleep 0.01
    done
    times="$times $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')"
    peak="$(awk '/VmHWM/ { print $2 }' /proc/$server_pid/status)"
    stop_server
  done
  echo "restart with 1 000 000 examples ($(du -sh "$dataset" | cut -f1)):" \
       "ready in$times s (median $(median "$times") s), peak RSS $((peak / 1024)) MB"
  detect="$("$BUILD_DIR/bench/detector_bench" \
    --benchmark_filter='BM_DetectChatMix|BM_DetectLoadMix/real_time/threads:1$' \
    --benchmark_min_time=2 2>/dev/null |
    sed -n 's/^\(BM_[A-Za-z]*\).*bytes_per_second=\([0-9.]*[kMG]\/s\).*/\1 \2/p' |
    tr '\n' ' ')"
  echo "detect, one core: $detect"
fi
echo
echo "unary_ratio=$unary_ratio stream_ratio=$stream_ratio" \
     "capture_p99_ratio=$capture_ratio rss_ratio=$rss_ratio_max"
