#!/usr/bin/env bash
# Configures and builds into build/ (or, with SFU_SANITIZE=1, into build-asan/ with ASan and UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ "${SFU_SANITIZE:-0}" == 1 ]]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DSFU_SANITIZE=ON)
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
