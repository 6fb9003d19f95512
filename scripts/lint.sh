#!/usr/bin/env bash
# Lint gates, run first by scripts/test.sh (CI) and runnable alone:
#   1. format: clang-format-14 --dry-run --Werror over every C++ file git tracks (.clang-format);
#   2. tidy:   clang-tidy-14 (.clang-tidy: bugprone-*, performance-*, cognitive complexity <= 25,
#              all as errors) over every project source in compile_commands.json, in parallel.
# The tidy step only configures build/ (no compile) to get compile_commands.json.
# SFU_SKIP_FORMAT=1 / SFU_SKIP_TIDY=1 skip a step. Extra arguments go to run-clang-tidy-14 as
# file regexes instead of the default (e.g. scripts/lint.sh 'rtp/' checks rtp/ only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ "${SFU_SKIP_FORMAT:-0}" != 1 ]]; then
  echo "== lint: clang-format-14"
  git ls-files -z '*.h' '*.cpp' | xargs -0 clang-format-14 --dry-run --Werror
fi

if [[ "${SFU_SKIP_TIDY:-0}" != 1 ]]; then
  echo "== lint: clang-tidy-14"
  # Same configuration as scripts/build.sh, so this costs nothing when build/ exists.
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFU_WERROR=ON >/dev/null
  # The project's own sources; headers are checked through the sources that include them. Tests are
  # not tidied: GoogleTest's macros count as branches in every test body (cognitive complexity) and
  # test code favours plain repetition; they are format-checked, built with -Werror and run under
  # ASan, UBSan and TSan instead.
  dirs='base|config|rtp|net|ice|dtls|sfu|bench'
  files=("$@")
  ((${#files[@]})) || files=("^$root/($dirs)/.*\.cpp$")
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  status=0
  # The compile commands are GCC's: clang must not stop on GCC-only flags (-Wno-error=restrict).
  run-clang-tidy-14 -quiet -p build -j "$(nproc)" -header-filter="^$root/($dirs)/" \
    -extra-arg=-Wno-unknown-warning-option "${files[@]}" \
    >"$log" 2>&1 || status=$?
  # Print the findings only (not the per-file command lines and "N warnings generated" chatter).
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '(error|warning): |^\s' | grep -v '^clang-tidy-14 ' || true
  if ((status != 0)); then
    echo "lint: clang-tidy found problems (see above)" >&2
    exit 1
  fi
fi
echo "== lint passed"
