#!/bin/sh
# Writes nginx.conf from nginx.conf.template (beside this script) with:
#   FTCAPTURE_UPSTREAMS   replicas, host:port separated by spaces or commas
#                         (default: ftcapture-0:50051 ftcapture-1:50051
#                         ftcapture-2:50051, the compose service names)
#   NGINX_LISTEN          what nginx listens on (default 0.0.0.0:8080)
#   NGINX_RUN_DIR         pid file and temp dirs (default /run/ftcapture-nginx)
#   NGINX_FAIL_TIMEOUT    how long a replica that refused is skipped (5s)
# Usage: render-config.sh OUT_FILE
set -eu
out="${1:?usage: render-config.sh OUT_FILE}"
here="$(cd "$(dirname "$0")" && pwd)"
upstreams="${FTCAPTURE_UPSTREAMS:-ftcapture-0:50051 ftcapture-1:50051 ftcapture-2:50051}"
listen="${NGINX_LISTEN:-0.0.0.0:8080}"
run_dir="${NGINX_RUN_DIR:-/run/ftcapture-nginx}"
fail_timeout="${NGINX_FAIL_TIMEOUT:-5s}"

servers=""
for upstream in $(echo "$upstreams" | tr ',' ' '); do
  servers="${servers}    server ${upstream} max_fails=1 fail_timeout=${fail_timeout};\\n"
done
if [ -z "$servers" ]; then
  echo "render-config.sh: FTCAPTURE_UPSTREAMS names no replica" >&2
  exit 2
fi
mkdir -p "$run_dir"
# @SERVERS@ becomes several lines; the other marks one value each.
sed -e "s|@SERVERS@|${servers%\\n}|" -e "s|@LISTEN@|${listen}|" \
    -e "s|@RUN_DIR@|${run_dir}|g" "$here/nginx.conf.template" > "$out"
