#!/usr/bin/env bash
# Installs what is missing, then runs every gate and test, cheapest first, failing on the first
# that fails:
#   lint          scripts/lint.sh: clang-format-14 and clang-tidy-14 (SFU_SKIP_LINT=1 skips both)
#   build + tests every target, warnings as errors (always); runs the soak and fault smokes here
#                 (label soak: their timeouts and latency bounds are for this build); every other
#                 test runs in the ASan stage (SFU_PLAIN_TESTS=all runs them here too)
#   release       a Release build of the server (`sfu` target) with warnings as errors: -O3 brings
#                 warnings RelWithDebInfo does not see (SFU_SKIP_RELEASE=1)
#   asan          ASan+UBSan build, every test but the soak and fault smokes (label soak: their
#                 timeouts and latency bounds are for the plain build) (SFU_SKIP_SANITIZE=1)
#   tsan          ThreadSanitizer build, the integration tests (workers, control thread, task
#                 queues, counters read by /metrics) and the CLI test, not the soak and fault
#                 smokes, and the cross-thread SCTP unit test (SFU_SKIP_TSAN=1)
#   fuzz          each libFuzzer target for SFU_FUZZ_SECONDS (6) (clang) (SFU_SKIP_FUZZ=1)
#   browser       end-to-end tests in headless Chromium and Firefox ESR, with the network
#                 namespace ones (lossy link, Firefox on a LAN address; root) (SFU_SKIP_BROWSER=1)
# Builds are most of the time: one plain, the server again at -O3, one ASan, one TSan of the
# integration targets, the fuzz targets' libraries with clang.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
stage_start=$SECONDS
stage_done() { echo "== $1 took $((SECONDS - stage_start)) s"; stage_start=$SECONDS; }

if [[ "${SFU_SKIP_LINT:-0}" != 1 ]]; then
  scripts/lint.sh
  stage_done lint
fi

echo "== build, and run the soak and fault smokes"
scripts/build.sh
# The unit, integration, cluster and bench tests run once, under ASan and UBSan below (the same
# tests twice cost CI ~3 minutes and found nothing the sanitized run did not); with the sanitizers
# skipped they run here.
plain_tests=(-L soak)
[[ "${SFU_PLAIN_TESTS:-}" == all || "${SFU_SKIP_SANITIZE:-0}" == 1 ]] && plain_tests=()
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300 ${plain_tests[@]+"${plain_tests[@]}"}
stage_done "build and tests"

if [[ "${SFU_SKIP_RELEASE:-0}" != 1 ]]; then
  echo "== Release build of the server, warnings as errors"
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSFU_WERROR=ON -DSFU_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release --target sfu -j "$(nproc)"
  stage_done "release build"
fi

if [[ "${SFU_SKIP_SANITIZE:-0}" != 1 ]]; then
  echo "== ASan + UBSan build and tests"
  SFU_SANITIZE=1 scripts/build.sh
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 600 -LE soak
  stage_done "asan"
fi

if [[ "${SFU_SKIP_TSAN:-0}" != 1 ]]; then
  echo "== ThreadSanitizer build and integration tests"
  SFU_TSAN=1 SFU_BUILD_TARGET="sfu integration_tests sfu-bench unit_dtls" scripts/build.sh
  # exitcode=66 fails a test on any report even when the test itself passes; halt_on_error stops at
  # the first one. ignore_noninstrumented_modules: locks taken inside Debian's OpenSSL, NSS (under
  # libsrtp) and libuv otherwise order our threads' accesses and hide races between them (a racy
  # /metrics counter was reported only with it; TSan still catches such a race by chance, not
  # always). tests/tsan.supp lists reports that are not ours, each with its reason.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:exitcode=66:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j "$(nproc)" --timeout 600 -L integration -LE soak
  # usrsctp's timers on one thread's loop, associations on another's: the SctpMailbox hand-over.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:exitcode=66:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure --timeout 600 -R '^SctpCrossThreadTest\.'
  stage_done "tsan"
fi

if [[ "${SFU_SKIP_FUZZ:-0}" != 1 ]] && command -v clang++ >/dev/null; then
  echo "== fuzz smoke: each libFuzzer target for ${SFU_FUZZ_SECONDS:-6} s (clang, ASan+UBSan)"
  # The libraries and the targets only (no tests): libFuzzer is clang's, the ASan stage's build GCC's.
  fuzz_flags=()
  command -v ccache >/dev/null && fuzz_flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFU_FUZZ=ON -DSFU_BUILD_TESTS=OFF \
    -DSFU_WERROR=ON ${fuzz_flags[@]+"${fuzz_flags[@]}"} >/dev/null
  fuzz_targets=(stun rtp rtcp dependency_descriptor red sdp dtls_srtp srtp sctp signaling rest)
  cmake --build build-fuzz --target "${fuzz_targets[@]/#/fuzz_}" -j "$(nproc)"
  for target in "${fuzz_targets[@]}"; do
    # Each run works on a copy of its seeds (tests/fuzz/corpus/fuzz_<target>), so the committed
    # corpus never grows by itself.
    corpus=$(mktemp -d)
    [[ $target == sdp ]] && cp tests/data/sdp/*.sdp "$corpus"/
    [[ -d tests/fuzz/corpus/fuzz_$target ]] && cp tests/fuzz/corpus/fuzz_$target/* "$corpus"/
    log=$(mktemp)
    if ! build-fuzz/bin/fuzz_$target -max_total_time="${SFU_FUZZ_SECONDS:-6}" -rss_limit_mb=2048 "$corpus" >"$log" 2>&1; then
      tail -60 "$log"
      echo "fuzz_$target failed (the input is in the crash-* file named above)"
      exit 1
    fi
    echo "fuzz_$target: $(grep DONE "$log" | tail -1)"  # runs, coverage, corpus, exec/s
    rm -rf "$corpus" "$log"
  done
  stage_done "fuzz"
fi

if [[ "${SFU_SKIP_BROWSER:-0}" != 1 && -x tests/browser/run.sh ]]; then
  echo "== browser end-to-end tests (Chromium, Firefox)"
  SFU_E2E_NETNS=1 tests/browser/run.sh
  stage_done "browser"
fi
echo "== all tests passed"
