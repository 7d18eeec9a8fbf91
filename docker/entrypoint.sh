#!/bin/sh
# Listens on all interfaces inside the container (the host decides what to
# publish) and keeps the data in the /data volume. Extra arguments are passed
# to ftcapture-server, e.g. --persona=Ada or --sync=batch.
exec ftcapture-server --listen="${FTCAPTURE_LISTEN:-0.0.0.0:50051}" \
  --data_dir="${FTCAPTURE_DATA_DIR:-/data}" "$@"
