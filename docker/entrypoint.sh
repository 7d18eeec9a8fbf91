#!/bin/sh
# Listens on all interfaces inside the container (the host decides what to
# publish) and keeps the data in the /data volume. Off loopback the server
# wants tokens: mount a token file and name it in FTCAPTURE_AUTH_TOKENS
# (or pass --insecure when a proxy in front authenticates). TLS: pass
# --tls_cert/--tls_key (and --tls_client_ca). Extra arguments are passed
# to ftcapture-server, e.g. --persona=Ada or --sync=batch.
set -- --listen="${FTCAPTURE_LISTEN:-0.0.0.0:50051}" \
  --data_dir="${FTCAPTURE_DATA_DIR:-/data}" "$@"
if [ -n "${FTCAPTURE_AUTH_TOKENS:-}" ]; then
  set -- --auth_tokens="$FTCAPTURE_AUTH_TOKENS" "$@"
fi
exec ftcapture-server "$@"
