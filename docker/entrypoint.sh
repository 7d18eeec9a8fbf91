#!/bin/sh
# The image's entrypoint.
#   (no arguments)          ftcapture-server on 0.0.0.0:50051, data in /data
#   --persona=Ada ...       the same, with these server flags
#   ftcapture-server ...    the same, with these server flags
#   ftcapture stats, sh ... that command, as the ftcapture user
# Environment: FTCAPTURE_LISTEN (0.0.0.0:50051), FTCAPTURE_DATA_DIR (/data),
# FTCAPTURE_METRICS_LISTEN (empty: no metrics; e.g. 0.0.0.0:9464),
# FTCAPTURE_AUTH_TOKENS (a token file: off loopback the server wants tokens,
# or --insecure when a proxy in front authenticates; TLS: --tls_cert,
# --tls_key, --tls_client_ca).
# Started as root, it makes the data dir the ftcapture user's (a bind mount
# owned by root would otherwise fail with "open /data/LOCK: Permission
# denied") and drops to that user with setpriv; started as another user
# (docker run --user, Kubernetes runAsUser) it runs the command as is.
set -eu

data_dir="${FTCAPTURE_DATA_DIR:-/data}"
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- ftcapture-server "$@"
fi
if [ "$1" = "ftcapture-server" ]; then
  shift
  if [ -n "${FTCAPTURE_AUTH_TOKENS:-}" ]; then
    set -- --auth_tokens="$FTCAPTURE_AUTH_TOKENS" "$@"
  fi
  if [ -n "${FTCAPTURE_METRICS_LISTEN:-}" ]; then
    set -- --metrics_listen="$FTCAPTURE_METRICS_LISTEN" "$@"
  fi
  # Later flags win, so arguments given to docker run override these.
  set -- ftcapture-server --listen="${FTCAPTURE_LISTEN:-0.0.0.0:50051}" \
    --data_dir="$data_dir" "$@"
fi

if [ "$(id -u)" = "0" ]; then
  mkdir -p "$data_dir"
  # Only when needed: a large volume is not walked on every start.
  if [ "$(stat -c %u:%g "$data_dir")" != "$(id -u ftcapture):$(id -g ftcapture)" ]; then
    chown -R ftcapture:ftcapture "$data_dir"
  fi
  exec setpriv --reuid=ftcapture --regid=ftcapture --init-groups -- "$@"
fi
exec "$@"
