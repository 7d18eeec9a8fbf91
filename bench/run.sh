#!/usr/bin/env bash
# ftcapture against the physical limit: the same client drives the real
# server and a no-op server of the same API, alternately, on loopback, and
# the headline figures are ratios measured in the same run (these machines
# are shared and noisy). See docs/benchmarks.md.
#
#   bench/run.sh            full run: 5 rounds of 10 s, 4 capture rounds,
#                           restart on 1 000 000 examples, detector MB/s
#                           (several minutes; the first run also writes
#                           the 4.8 GB dataset)
#   bench/run.sh --quick    2 rounds of 3 s, 2 capture rounds, < 2 min once
#                           built
#   --noop_api=callback|sync   the no-op server's gRPC API (default
#                           callback); use the one ftcapture-server uses
#
# Builds what it needs into BUILD_DIR (default build/). Scratch data goes to
# BENCH_DIR (default /tmp/ftcapture-bench; the restart dataset is kept there
# between runs). The last line is always
#   unary_ratio=A stream_ratio=B cpu_per_turn_ratio=C capture_p99_ratio=D rss_ratio=E
# A, B: ftcapture / no-op turns/s (all rounds of the mode);
# C: ftcapture / no-op server CPU per turn (utime+stime over the measured
#    time of each round, unary and stream per-turn figures summed);
# D: ftcapture's capture p99 (--sync=always) / the no-op server's in its
#    --durable_dir mode (the same bytes appended and fdatasynced), the same
#    sequential client, rounds alternated, each server's rounds pooled;
# E: peak RSS / (window and history bytes + 30 MB) at 10 000 live sessions
#    that have had 8 exchanges each.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

quick=0
noop_api=callback
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --noop_api=callback|--noop_api=sync) noop_api="${arg#--noop_api=}" ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$arg'" \
            "(want --quick, --noop_api=callback|sync)" >&2; exit 2 ;;
  esac
done

BUILD_DIR="${BUILD_DIR:-build}"
BENCH_DIR="${BENCH_DIR:-/tmp/ftcapture-bench}"
if [ "$quick" = 1 ]; then
  rounds=2; duration=3s; warmup=1s; capture_rounds=2; samples=500
else
  rounds=5; duration=10s; warmup=2s; capture_rounds=4; samples=750
fi
sessions=10000
lanes=64
history_exchanges=8

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

# start_server real|noop [flags...]: starts it on a free port (the real one
# on a fresh $run_dir/data); sets server_pid and server_addr.
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
    "$noop_bin" --listen=127.0.0.1:0 --api="$noop_api" "$@" > "$out" \
      2> "$run_dir/server.err" &
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

# The median of a list of numbers.
median() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{ v[NR] = $1 }
  END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# percentile P FILE: nearest-rank percentile of the numbers in FILE.
percentile() { sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END {
  r = int(p / 100 * NR + 0.5); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'; }
# The mean of a list of numbers.
mean() { tr ' ' '\n' <<< "$1" | grep . | awk '{ s += $1 } END { print s / NR }'; }
# calc EXPR [name=value...]: awk arithmetic, printed with 3 decimals.
calc() { local expr="$1"; shift; awk "${@/#/-v}" "BEGIN { printf \"%.3f\", $expr }" /dev/null; }
# Bytes of the files under a directory, by name pattern.
bytes_of() { find "$1" -maxdepth 1 -type f -name "$2" -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

declare -A tps_sum=() cpu=() client_cpu=() p50=() p90=() p99=() rss=() \
  examples=() creditable=()
echo "ftcapture bench: $rounds round(s) of $duration per mode and server," \
     "$sessions sessions over $lanes lanes, no-op server on the $noop_api API," \
     "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
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
           "p99 $(field "$line" p99_us) us," \
           "server CPU $(field "$line" server_cpu_us_per_turn) us/turn" >&2
      key="$mode/$which"
      tps_sum[$key]=$(( ${tps_sum[$key]:-0} + $(field "$line" turns_per_s) ))
      cpu[$key]="${cpu[$key]:-} $(field "$line" server_cpu_us_per_turn)"
      client_cpu[$key]="${client_cpu[$key]:-} $(field "$line" client_cpu_us_per_turn)"
      p50[$key]="${p50[$key]:-} $(field "$line" p50_us)"
      p90[$key]="${p90[$key]:-} $(field "$line" p90_us)"
      p99[$key]="${p99[$key]:-} $(field "$line" p99_us)"
      rss[$key]="${rss[$key]:-} $(field "$line" peak_rss_kb)"
      examples[$key]=$(( ${examples[$key]:-0} + $(field "$line" examples) ))
      creditable[$key]=$(( ${creditable[$key]:-0} + $(field "$line" creditable) ))
    done
  done
done

echo
printf '%-7s %-10s %10s %8s %8s %8s %10s %8s %8s %12s\n' mode server "turns/s" \
  "p50 ms" "p90 ms" "p99 ms" examples "CPU us" "client" "peak RSS MB"
for mode in unary stream; do
  for which in real noop; do
    key="$mode/$which"
    printf '%-7s %-10s %10d %8.2f %8.2f %8.2f %10s %8.1f %8.1f %12.1f\n' "$mode" \
      "$([ $which = real ] && echo ftcapture || echo no-op)" \
      $(( ${tps_sum[$key]} / rounds )) \
      "$(awk -v v="$(median "${p50[$key]}")" 'BEGIN { print v / 1000 }')" \
      "$(awk -v v="$(median "${p90[$key]}")" 'BEGIN { print v / 1000 }')" \
      "$(awk -v v="$(median "${p99[$key]}")" 'BEGIN { print v / 1000 }')" \
      "$([ $which = real ] && echo "${examples[$key]}/${creditable[$key]}" || echo -)" \
      "$(mean "${cpu[$key]}")" "$(mean "${client_cpu[$key]}")" \
      "$(awk -v v="$(median "${rss[$key]}")" 'BEGIN { print v / 1024 }')"
  done
done
echo "(CPU us: server CPU per turn, the mean of the rounds; client: the load" \
     "generator's)"
unary_ratio=$(calc 'a / b' a="${tps_sum[unary/real]}" b="${tps_sum[unary/noop]}")
stream_ratio=$(calc 'a / b' a="${tps_sum[stream/real]}" b="${tps_sum[stream/noop]}")
cpu_ratio=$(calc '(a + b) / (c + d)' a="$(mean "${cpu[unary/real]}")" \
  b="$(mean "${cpu[stream/real]}")" c="$(mean "${cpu[unary/noop]}")" \
  d="$(mean "${cpu[stream/noop]}")")
for mode in unary stream; do
  if [ "${examples[$mode/real]}" != "${creditable[$mode/real]}" ]; then
    echo "bench/run.sh: $mode captured ${examples[$mode/real]} examples" \
         "of ${creditable[$mode/real]} creditable praises" >&2
    exit 1
  fi
done

# Memory: every session has had $history_exchanges exchanges (the history
# of issue 12) when the peak RSS is read; the window bytes count what the
# server holds by its rules (latest exchange whole, history slim).
start_server real
line="$("$loadgen_bin" --server="$server_addr" --mode=stream --label=real \
  --sessions="$sessions" --concurrency="$lanes" \
  --exchanges="$history_exchanges" --seed=11 --server_pid="$server_pid")"
stop_server
for check in "sessions_live $sessions" "server_live_sessions $sessions" \
             "min_exchanges $history_exchanges"; do
  set -- $check
  if [ "$(field "$line" "$1")" != "$2" ]; then
    echo "bench/run.sh: memory run: $1=$(field "$line" "$1"), want $2" >&2
    exit 1
  fi
done
window_bytes="$(field "$line" window_bytes)"
peak_kb="$(field "$line" peak_rss_kb)"
rss_ratio=$(calc 'r * 1024 / (w + 30 * 1048576)' r="$peak_kb" w="$window_bytes")
echo
echo "memory: $sessions sessions x $history_exchanges exchanges" \
     "($(field "$line" turns) turns): peak RSS $((peak_kb / 1024)) MB;" \
     "window and history bytes $((window_bytes / 1048576)) MB" \
     "(the server's own count: $(( $(field "$line" server_window_bytes) / 1048576 )) MB)"

# Capture latency: sequential praise captures, ftcapture with --sync=always
# against the no-op server appending and fdatasyncing the same bytes
# (--durable_dir), the same turns (seed) for both, order alternated. The
# rounds' latencies are pooled per server for its p50 and p99.
declare -A cap_bytes=() cap_p50=() cap_p99=()
rm -f "$run_dir"/capture-*.us
fsync_p50="" fsync_p99="" plain_p50="" plain_p99="" modelled=0 captures=0
for round in $(seq "$capture_rounds"); do
  if [ $((round % 2)) = 1 ]; then order="real noop"; else order="noop real"; fi
  for which in $order; do
    if [ "$which" = real ]; then
      start_server real --sync=always
      expect=true
    else
      rm -rf "$run_dir/durable" && mkdir -p "$run_dir/durable"
      start_server noop --durable_dir="$run_dir/durable"
      expect=false
    fi
    line="$("$loadgen_bin" --server="$server_addr" --mode=capture \
      --label="$which" --samples="$samples" --fsync_dir="$run_dir" \
      --seed=$((6 + round)) --expect_examples="$expect" \
      --capture_us_file="$run_dir/capture-$which.us")"
    stop_server
    if [ "$which" = real ]; then
      written=$(( $(bytes_of "$run_dir/data" 'examples.*') +
                  $(bytes_of "$run_dir/data" '*.md') ))
      modelled=$(( modelled + $(field "$line" capture_bytes_sent) ))
      captures=$(( captures + $(field "$line" samples) ))
    else
      written=$(bytes_of "$run_dir/durable" '*.bin')
    fi
    cap_bytes[$which]=$(( ${cap_bytes[$which]:-0} + written ))
    fsync_p50="$fsync_p50 $(field "$line" fsync_p50_us)"
    fsync_p99="$fsync_p99 $(field "$line" fsync_p99_us)"
    plain_p50="$plain_p50 $(field "$line" plain_rpc_p50_us)"
    plain_p99="$plain_p99 $(field "$line" plain_rpc_p99_us)"
    echo "  capture round $round $which: p50 $(field "$line" capture_p50_us) us," \
         "p99 $(field "$line" capture_p99_us) us" >&2
  done
done
for which in real noop; do
  cap_p50[$which]=$(percentile 50 "$run_dir/capture-$which.us")
  cap_p99[$which]=$(percentile 99 "$run_dir/capture-$which.us")
done
capture_ratio=$(calc 'a / b' a="${cap_p99[real]}" b="${cap_p99[noop]}")
echo
echo "capture ($capture_rounds x $samples sequential captures per server," \
     "pooled):"
echo "  ftcapture --sync=always: p50 ${cap_p50[real]} us, p99 ${cap_p99[real]} us"
echo "  durable no-op:           p50 ${cap_p50[noop]} us, p99 ${cap_p99[noop]} us"
echo "  bytes per capture: ftcapture wrote $(( cap_bytes[real] / captures ))" \
     "(dataset, index, Markdown), the load generator marked" \
     "$(( modelled / captures )), the no-op wrote $(( cap_bytes[noop] / captures ))"
echo "  context: bare append+fdatasync p50 $(median "$fsync_p50") us," \
     "p99 $(mean "$fsync_p99") us; a turn that captures nothing (either" \
     "server) p50 $(median "$plain_p50") us, p99 $(mean "$plain_p99") us"

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
     "cpu_per_turn_ratio=$cpu_ratio capture_p99_ratio=$capture_ratio" \
     "rss_ratio=$rss_ratio"
