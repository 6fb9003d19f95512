#!/usr/bin/env bash
# Installs what is missing, then runs every gate and test, cheapest first, failing on the first
# that fails:
#   lint          clang-format-14 on every tracked C++ file (SFU_SKIP_LINT=1); clang-tidy-14 too
#                 with SFU_TIDY=1 (scripts/lint.sh runs both by default: run it before committing)
#   release       a Release build (-O3, warnings as errors) of the server and the soak tool, and the
#                 soak and fault smokes on it (label soak: their timeouts and latency bounds are for
#                 an optimized build); the browser stage uses this server (SFU_SKIP_RELEASE=1 skips
#                 the smokes; the browser stage then builds the server in build/)
#   asan          ASan+UBSan build of every target, every test but the soak and fault smokes
#                 (SFU_SKIP_SANITIZE=1 skips it and runs those tests on a plain build instead)
#   tsan          ThreadSanitizer build, the integration tests (workers, control thread, task
#                 queues, counters read by /metrics) and the CLI test, not the soak and fault
#                 smokes, and the cross-thread SCTP unit test (SFU_SKIP_TSAN=1)
#   fuzz          each libFuzzer target for SFU_FUZZ_SECONDS (6) (clang) (SFU_SKIP_FUZZ=1)
#   browser       end-to-end tests in headless Chromium and Firefox ESR, with the network
#                 namespace ones (lossy link, Firefox on a LAN address; root) (SFU_SKIP_BROWSER=1)
# Builds are most of the time: the server at -O3, one ASan build of everything, one TSan of the
# integration targets, the fuzz targets' libraries with clang. CI's budget is 50 minutes on two
# cores; the stage times are printed again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
stage_start=$SECONDS
stage_times=()
stage_done() {
  stage_times+=("$1=$((SECONDS - stage_start))s")
  echo "== $1 took $((SECONDS - stage_start)) s"
  stage_start=$SECONDS
}
print_stage_times() {
  local rc=$?
  echo "== stage times: ${stage_times[*]:-none} (total ${SECONDS} s with set-up, exit $rc)"
}
trap print_stage_times EXIT

if [[ "${SFU_SKIP_LINT:-0}" != 1 ]]; then
  skip_tidy=1
  [[ "${SFU_TIDY:-0}" == 1 ]] && skip_tidy=0
  SFU_SKIP_TIDY=$skip_tidy scripts/lint.sh
  stage_done lint
fi

sfu_bin=$PWD/build/bin/sfu
if [[ "${SFU_SKIP_RELEASE:-0}" != 1 ]]; then
  echo "== Release build (warnings as errors) of the server and the soak tool; the soak and fault smokes"
  # -O3 shows warnings -O2 does not. Only what the smokes and the browser tests run is built here:
  # the ASan stage builds every target, warnings as errors too.
  release_flags=(-DCMAKE_BUILD_TYPE=Release -DSFU_WERROR=ON)
  command -v ccache >/dev/null &&
    release_flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build-release "${release_flags[@]}" >/dev/null
  cmake --build build-release --target sfu sfu-soak -j "$(nproc)"
  ctest --test-dir build-release --output-on-failure --timeout 300 -L soak
  sfu_bin=$PWD/build-release/bin/sfu
  stage_done release
fi

if [[ "${SFU_SKIP_SANITIZE:-0}" == 1 ]]; then
  echo "== build and tests (no sanitizers)"
  scripts/build.sh
  plain_filter=()
  [[ "${SFU_SKIP_RELEASE:-0}" != 1 ]] && plain_filter=(-LE soak)  # they ran on the Release build
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300 ${plain_filter[@]+"${plain_filter[@]}"}
  stage_done plain
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
  # -O1 with line tables, as libFuzzer's manual advises, and faster to build than -O2 -g.
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFU_FUZZ=ON -DSFU_BUILD_TESTS=OFF \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
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
  [[ -x "$sfu_bin" ]] || SFU_BUILD_TARGET=sfu scripts/build.sh
  SFU_BIN=$sfu_bin SFU_E2E_NETNS=1 tests/browser/run.sh
  stage_done "browser"
fi
echo "== all tests passed"
