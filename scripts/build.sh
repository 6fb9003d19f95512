#!/usr/bin/env bash
# Configures and builds into build/ (or, with SFU_SANITIZE=1, into build-asan/ with ASan and UBSan;
# with SFU_TSAN=1, into build-tsan/ with ThreadSanitizer). Warnings are errors here (SFU_WERROR=ON),
# as for every developer and CI build; a packager's plain `cmake` build keeps them as warnings.
# Uses ccache when it is installed. SFU_BUILD_TARGET="a b" builds those targets instead of all.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
# The sanitized builds compile at -O1 with line tables (-g1), as the sanitizers' manuals advise:
# reports keep file:line stacks, and against -O0/-O2 with full debug info the ASan build takes about
# a fifth less time and the TSan build about two fifths (CI builds both on two cores). Debug keeps
# assertions on in the ASan build.
if [[ "${SFU_SANITIZE:-0}" == 1 ]]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DSFU_SANITIZE=ON "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1")
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
