#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests (plain build
# and ASan+UBSan build) and the browser end-to-end tests.
# SFU_SKIP_SANITIZE=1 skips the sanitizer build, SFU_SKIP_FUZZ=1 the fuzz smoke run (clang),
# SFU_SKIP_BROWSER=1 the browser tests.
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

if [[ "${SFU_SKIP_FUZZ:-0}" != 1 ]] && command -v clang++ >/dev/null; then
  echo "== fuzz smoke: each libFuzzer target for ${SFU_FUZZ_SECONDS:-15} s (clang, ASan+UBSan)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFU_FUZZ=ON -DSFU_BUILD_TESTS=OFF >/dev/null
  cmake --build build-fuzz --target fuzz_stun fuzz_rtp fuzz_rtcp fuzz_sdp -j "$(nproc)"
  for target in stun rtp rtcp sdp; do
    corpus=$(mktemp -d)
    [[ $target == sdp ]] && cp tests/data/sdp/*.sdp "$corpus"/
    build-fuzz/bin/fuzz_$target -max_total_time="${SFU_FUZZ_SECONDS:-15}" -rss_limit_mb=2048 "$corpus" 2>&1 | tail -1
    rm -rf "$corpus"
  done
fi

if [[ "${SFU_SKIP_BROWSER:-0}" != 1 && -x tests/browser/run.sh ]]; then
  echo "== browser end-to-end tests (Chromium)"
  SFU_E2E_LOSSY=1 tests/browser/run.sh
fi
echo "== all tests passed"
