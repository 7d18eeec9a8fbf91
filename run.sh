#!/usr/bin/env bash
# Installs what is missing (Debian bookworm; sudo when not root), builds the
# server, the CLI and the Python client (build/python) into ./build
# (BUILD_DIR), and serves on 127.0.0.1:50051 with ./data. Extra arguments go
# to ftcapture-server (later flags win), e.g.
#   ./run.sh --listen=0.0.0.0:50051 --persona=Ada
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

BUILD_DIR="${BUILD_DIR:-build}"
ftcapture_install_deps
# The Python client too, so README's PYTHONPATH=build/python works at once.
ftcapture_build "$BUILD_DIR" -DFTCAPTURE_BUILD_PYTHON=ON -- \
  ftcapture-server ftcapture ftcapture_python
exec "$BUILD_DIR/ftcapture-server" --listen=127.0.0.1:50051 --data_dir=./data "$@"
