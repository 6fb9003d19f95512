#!/usr/bin/env bash
# Configures and builds into build/ (or, with SFU_SANITIZE=1, into build-asan/ with ASan and UBSan;
# with SFU_TSAN=1, into build-tsan/ with ThreadSanitizer). Warnings are errors here (SFU_WERROR=ON),
# as for every developer and CI build; a packager's plain `cmake` build keeps them as warnings.
# Uses ccache when it is installed. SFU_BUILD_TARGET="a b" builds those targets instead of all.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
# The sanitized builds keep line tables only (-g1): reports keep their file:line stacks, and the
# builds take less time (CI builds both on two cores). The TSan build is at -O1, as its manual
# advises (about two fifths less build time than -O2); the ASan build stays at -O0 with assertions
# (Debug): GCC 12 at -O1 under ASan reports -Warray-bounds on paths that cannot run.
if [[ "${SFU_SANITIZE:-0}" == 1 ]]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DSFU_SANITIZE=ON "-DCMAKE_CXX_FLAGS_DEBUG=-g1" "-DCMAKE_C_FLAGS_DEBUG=-g1")
elif [[ "${SFU_TSAN:-0}" == 1 ]]; then
  dir=build-tsan
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFU_TSAN=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
fi
flags+=(-DSFU_WERROR=ON)
command -v ccache >/dev/null && flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
read -ra targets <<<"${SFU_BUILD_TARGET:-}"
cmake --build "$dir" -j "$(nproc)" ${targets[@]+--target "${targets[@]}"}
