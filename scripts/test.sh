#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests (plain build
# and ASan+UBSan build) and the browser end-to-end tests.
# SFU_SKIP_SANITIZE=1 skips the sanitizer build; SFU_SKIP_BROWSER=1 skips the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser

echo "== build and run unit + integration tests"
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300

if [[ "${SFU_SKIP_SANITIZE:-0}" != 1 ]]; then
  echo "== ASan + UBSan build and tests"
  SFU_SANITIZE=1 scripts/build.sh
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 600
fi

if [[ "${SFU_SKIP_BROWSER:-0}" != 1 && -x tests/browser/run.sh ]]; then
  echo "== browser end-to-end tests (Chromium)"
  SFU_E2E_LOSSY=1 tests/browser/run.sh
fi
echo "== all tests passed"
