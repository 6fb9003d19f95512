#!/usr/bin/env bash
# Installs, from Debian packages, whatever the build and the tests need and this machine lacks.
# Usage: scripts/setup.sh [--browser] [--turn]
#   --browser adds Chromium, Firefox ESR, nftables, iproute2, coturn and Node.js (browser tests)
#   --turn    adds coturn (scripts/run.sh --turn)
set -euo pipefail

packages=(build-essential cmake pkg-config git curl python3 clang libclang-rt-14-dev lld
  libuv1-dev libsrtp2-dev libssl-dev libusrsctp-dev libwebsockets-dev libwebsockets-evlib-uv
  libyaml-cpp-dev nlohmann-json3-dev googletest libgtest-dev libbenchmark-dev
  redis-server libhiredis-dev  # cluster mode: hiredis (build), redis-server (tests, scripts/cluster.sh)
  clang-format-14 clang-tidy-14)  # pinned: the lint gates (scripts/lint.sh) depend on the exact version
for arg in "$@"; do
  case "$arg" in
    --browser) packages+=(chromium firefox-esr nftables iproute2 coturn nodejs npm) ;;
    --turn) packages+=(coturn) ;;
    *) echo "setup: unknown argument '$arg' (--browser, --turn)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js may come from outside Debian (nvm, a tarball); a working `node` and `npm` is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq || true
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian's coturn starts a system-wide TURN server with its sample config, which allows anonymous
  # relaying on every interface. The tests and `scripts/run.sh --turn` start their own coturn
  # (scripts/turn.sh), so the service of a coturn installed here is stopped and disabled.
  if [[ " ${missing[*]} " == *" coturn "* ]] && command -v systemctl >/dev/null; then
    "${sudo_cmd[@]}" systemctl disable --now coturn >/dev/null 2>&1 || true
  fi
  # The same for redis-server: the tests and scripts/cluster.sh start their own on a free port.
  if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null; then
    "${sudo_cmd[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true
  fi
else
  echo "setup: all packages present"
fi
