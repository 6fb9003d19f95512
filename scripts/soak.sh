#!/usr/bin/env bash
# Leak soak of the server (sfu-soak soak, bench/soak/soak_run.h): starts build/bin/sfu with a
# config of its own (free loopback ports, two workers, short timeouts), then runs real clients
# (signaling, ICE, DTLS, SRTP) against it: a warm-up, 1,000 join/publish/leave cycles with a few
# packets of media each, four clients at a time, then 200 clients that vanish part-way through
# their handshakes (half killed with SIGKILL, half frozen with SIGSTOP and kept frozen until the
# end). It then waits for the server's timeouts and checks that rooms, participants, transports
# and WebSocket sessions (/metrics) are back to their start, open fds (/proc/PID/fd) to their
# value after the warm-up, and RSS (/proc/PID/status VmRSS) within 5 % of its value after the
# warm-up. Prints the table; exits non-zero when a check fails or the server does not stop
# cleanly on SIGTERM.
#
#   scripts/soak.sh                  # the full soak (a few minutes)
#   scripts/soak.sh --smoke          # 50 cycles and 20 vanishing clients, under 60 s (ctest soak_smoke)
#   scripts/soak.sh --sfu PATH --tool PATH [sfu-soak flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/soak_server.sh

smoke=0
if [[ "${1:-}" == "--smoke" ]]; then
  smoke=1
  shift
fi
parse_binaries "$@"

work=$(mktemp -d /tmp/sfu-soak-XXXXXX)
cleanup() {
  stop_server || true
  rm -rf "$work"
}
trap cleanup EXIT

# The timeouts are short so the vanished clients are freed within the settle time. Frozen clients
# never answer the WebSocket pings, so the idle timeout closes their sockets.
start_server "$work" "$(cat <<'YAML'
http:
  websocket_ping_interval_s: 2
  websocket_idle_timeout_s: 5
  max_connections_per_address: 1000  # every client comes from 127.0.0.1; frozen ones hold theirs
workers: 2
rtc:
  announced_ip: 127.0.0.1
  consent_timeout_s: 10  # the least allowed
  dtls_handshake_timeout_s: 2
  join_timeout_s: 5
limits:
  empty_room_grace_s: 1
log:
  level: warn
YAML
)"
echo "soak: server pid $SERVER_PID on $SERVER_URL (config $SERVER_CONFIG)"

if [[ $smoke == 1 ]]; then
  args=(--cycles 50 --vanish 20 --warmup-cycles 24 --warmup-settle 15 --settle 20)
else
  args=(--cycles 1000 --vanish 200 --settle 30)
fi
status=0
"$SOAK_BIN" soak --url "$SERVER_URL" --server-pid "$SERVER_PID" "${args[@]}" "${REST_ARGS[@]}" || status=$?
if ! stop_server; then
  echo "soak: FAIL: the server did not stop cleanly" >&2
  status=1
fi
if [[ $status -ne 0 ]]; then
  echo "soak: server log (last lines):"
  tail -15 "$SERVER_LOG" || true
fi
exit $status
