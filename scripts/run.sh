#!/usr/bin/env bash
# Installs what is missing, builds, and runs the server with the embedded default config
# (demo page at http://127.0.0.1:8080/). Extra arguments go to the server, e.g. --config my.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/bin/sfu "$@"
