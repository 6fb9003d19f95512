#!/usr/bin/env bash
# Browser end-to-end tests: starts build/bin/sfu on free loopback ports with a test config,
# waits for /healthz, runs the node:test files against it with Debian's headless Chromium
# (driven by playwright-core), and always stops the server; prints its log on failure.
#
# Usage: tests/browser/run.sh [TEST_FILE.test.mjs ...]
#   default files: three_party.test.mjs bad_input.test.mjs auth.test.mjs origin.test.mjs
#                  data_channels.test.mjs ice_restart.test.mjs resume.test.mjs
#                  announced_addresses.test.mjs simulcast.test.mjs span_workers.test.mjs
#                  bandwidth_estimate.test.mjs active_speaker.test.mjs dynacast.test.mjs cluster.test.mjs
#                  svc.test.mjs red.test.mjs
#                  (+ lossy_link.test.mjs, firefox.test.mjs, firefox_simulcast.test.mjs, turn.test.mjs,
#                  ice_tcp.test.mjs, address_change.test.mjs and bandwidth_adaptation.test.mjs when
#                  SFU_E2E_NETNS=1, or the older SFU_E2E_LOSSY=1; they start their own server (and
#                  coturn) in network namespaces and need root. data_channels.test.mjs has a Firefox
#                  part that does the same when root.)
# Environment: SFU_BIN (default <repo>/build/bin/sfu), CHROMIUM (default /usr/bin/chromium),
#   SFU_E2E_SRTP_BACKEND (rtc.srtp_backend of the server: openssl, the default, or libsrtp2),
#   FIREFOX (default /usr/bin/firefox-esr), SFU_E2E_KEEP=1 keeps the temp dir (config, server log).
# It builds nothing: build the server first (scripts/build.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sfu_bin="${SFU_BIN:-$root/build/bin/sfu}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
firefox="${FIREFOX:-/usr/bin/firefox-esr}"

say() { echo "browser-e2e: $*"; }
die() { echo "browser-e2e: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- prerequisites
[[ -x "$sfu_bin" ]] || die "the server binary $sfu_bin is missing or not executable; build it first (scripts/build.sh)"

command -v node >/dev/null || die "node is not installed (scripts/setup.sh --browser installs it)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "node $node_major is too old: node:test and fetch need Node 20 or newer"

# Debian's browsers only: never a downloaded build.
install_browser() {  # binary package
  [[ -x "$1" ]] && return 0
  say "$1 is missing; installing Debian's $2"
  local sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$2" ||
    die "could not install $2 (scripts/setup.sh --browser installs it)"
  [[ -x "$1" ]] || die "$1 still missing after installing $2"
}
install_browser "$chromium" chromium
install_browser "$firefox" firefox-esr

if [[ ! -d "$here/node_modules/playwright-core" || ! -d "$here/node_modules/puppeteer-core" || ! -d "$here/node_modules/ws" ]]; then
  say "installing npm dependencies"
  # playwright-core and puppeteer-core never download a browser; the variables make sure
  # nothing tries to.
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund) ||
    die "npm ci failed in $here"
fi

# ---------------------------------------------------------------- test files
if (($#)); then
  tests=("$@")
else
  tests=(three_party.test.mjs bad_input.test.mjs auth.test.mjs origin.test.mjs data_channels.test.mjs ice_restart.test.mjs resume.test.mjs
    announced_addresses.test.mjs simulcast.test.mjs span_workers.test.mjs bandwidth_estimate.test.mjs
    active_speaker.test.mjs dynacast.test.mjs cluster.test.mjs svc.test.mjs red.test.mjs)
  if [[ "${SFU_E2E_NETNS:-0}" == 1 || "${SFU_E2E_LOSSY:-0}" == 1 ]]; then
    tests+=(lossy_link.test.mjs firefox.test.mjs turn.test.mjs ice_tcp.test.mjs address_change.test.mjs
      firefox_simulcast.test.mjs bandwidth_adaptation.test.mjs)
  fi
fi
for i in "${!tests[@]}"; do
  t="${tests[$i]}"
  [[ -f "$t" ]] || t="$here/$t"
  [[ -f "$t" ]] || die "no such test file: ${tests[$i]}"
  tests[$i]="$(cd "$(dirname "$t")" && pwd)/$(basename "$t")"
done

# ---------------------------------------------------------------- server
work="$(mktemp -d "${TMPDIR:-/tmp}/sfu-e2e.XXXXXX")"
log="$work/sfu.log"
sfu_pid=""
server_exit=""
status=1

stop_server() {
  [[ -n "$sfu_pid" ]] || return 0
  if kill -0 "$sfu_pid" 2>/dev/null; then
    kill -TERM "$sfu_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$sfu_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$sfu_pid" 2>/dev/null; then
      say "the server did not stop within 10 s of SIGTERM; killing it"
      kill -KILL "$sfu_pid" 2>/dev/null || true
    fi
  fi
  server_exit=0
  wait "$sfu_pid" 2>/dev/null || server_exit=$?
  sfu_pid=""
}

cleanup() {
  local rc=$?
  ((rc == 0)) || status=$rc
  stop_server
  if ((status != 0)) && [[ -f "$log" ]]; then
    echo "----- server log (last 400 lines of $log) -----" >&2
    tail -n 400 "$log" >&2 || true
    echo "----- end of server log -----" >&2
  fi
  # The failures again, after the server log, so the end of the output (all a CI summary may
  # keep) names each failing test with its assertion and stack.
  if ((status != 0)) && [[ -s "$work/node.log" ]]; then
    echo "----- failing tests (again, from node's spec reporter) -----" >&2
    sed -n '/failing tests:/,$p' "$work/node.log" | head -n 200 >&2 || true
  fi
  if [[ "${SFU_E2E_KEEP:-0}" == 1 ]]; then
    say "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

read -r http_port udp_port < <(node "$here/free_ports.mjs" 2)
cat >"$work/sfu.yaml" <<EOF
# written by tests/browser/run.sh
http:
  listen: 127.0.0.1:$http_port
workers: 2
rtc:
  udp_port: $udp_port
  tcp_port: $udp_port  # free_ports.mjs checks the UDP range is free for TCP too
  announced_ip: 127.0.0.1
  srtp_backend: ${SFU_E2E_SRTP_BACKEND:-openssl}
log:
  level: info
EOF

base="http://127.0.0.1:$http_port"
say "starting $sfu_bin (http $base, udp $udp_port-$((udp_port + 1)))"
"$sfu_bin" --config "$work/sfu.yaml" >"$log" 2>&1 &
sfu_pid=$!

healthy=0
for _ in $(seq 1 300); do
  if ! kill -0 "$sfu_pid" 2>/dev/null; then
    wait "$sfu_pid" && code=0 || code=$?
    sfu_pid=""
    die "the server exited during start-up (exit code $code)"
  fi
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/healthz" 2>/dev/null)" == 200 ]]; then
    healthy=1
    break
  fi
  sleep 0.1
done
((healthy)) || die "GET $base/healthz did not answer 200 within 30 s"
say "server is up"

# ---------------------------------------------------------------- tests
set +e
(cd "$here" && SFU_BASE_URL="$base" SFU_BIN="$sfu_bin" SFU_REPO_ROOT="$root" SFU_LOG_FILE="$log" CHROMIUM="$chromium" FIREFOX="$firefox" \
  node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}") 2>&1 | tee "$work/node.log"
status=${PIPESTATUS[0]}
set -e

if ! kill -0 "$sfu_pid" 2>/dev/null; then
  say "the server died during the tests"
  status=1
elif ((status == 0)) && [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/healthz")" != 200 ]]; then
  say "the server no longer answers /healthz after the tests"
  status=1
fi
stop_server
if ((status == 0)) && [[ "$server_exit" != 0 ]]; then
  say "the server exited with code $server_exit on SIGTERM (expected a clean exit 0)"
  status=1
fi
((status == 0)) && say "all browser tests passed" || say "browser tests FAILED"
exit "$status"
