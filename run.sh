#!/usr/bin/env bash
# Installs what is missing (Debian bookworm; sudo when not root), builds the
# server and CLI into ./build (BUILD_DIR), and serves on 127.0.0.1:50051 with
# ./data. Extra arguments go to ftcapture-server (later flags win), e.g.
#   ./run.sh --listen=0.0.0.0:50051 --persona=Ada
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

BUILD_DIR="${BUILD_DIR:-build}"
ftcapture_install_deps
ftcapture_build "$BUILD_DIR" -- ftcapture-server ftcapture
exec "$BUILD_DIR/ftcapture-server" --listen=127.0.0.1:50051 --data_dir=./data "$@"
