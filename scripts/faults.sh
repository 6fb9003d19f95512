#!/usr/bin/env bash
# Fault runs (sfu-soak fault, bench/soak/fault_run.h): for each fault a fresh server
# (build/bin/sfu, one worker, a small worker queue, short timeouts, free loopback ports), two
# bystanders (a publisher and a subscriber with stamped media at a steady rate) measured alone and
# then during the fault, the server's /metrics before and after, and the checks:
#   nack        a subscriber NACKs every sequence number of the server's buffer every 5 ms
#   pli         a subscriber sends a PLI every 10 ms
#   no-answer   receive-only clients never answer their subscribe offer
#   slowloris   connections send the upgrade request, or a WebSocket frame, 1 byte per second
#   queue-full  bursts of join/leave pairs far above limits.worker_queue_messages (16 here)
# A run fails when the bystanders' loss during the fault passes 1 % or their p99 latency 100 ms,
# when no refusal counter of the fault grew, when the fault's bound did not hold, when a join
# during it went unanswered, when the server did not free everything after it, or when it did not
# stop cleanly.
#
#   scripts/faults.sh                       # every fault, 10 s windows
#   scripts/faults.sh --smoke               # every fault briefly, under 90 s (ctest faults_smoke)
#   scripts/faults.sh nack pli              # some faults
#   scripts/faults.sh --sfu PATH --tool PATH [--smoke] [faults] [-- sfu-soak flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/soak_server.sh

smoke=0
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) smoke=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) args+=("$1"); shift ;;
  esac
done
parse_binaries "${args[@]+"${args[@]}"}"
faults=("${REST_ARGS[@]+"${REST_ARGS[@]}"}")
[[ ${#faults[@]} -gt 0 ]] || faults=(nack pli no-answer slowloris queue-full)

work=$(mktemp -d /tmp/sfu-faults-XXXXXX)
cleanup() {
  stop_server || true
  rm -rf "$work"
}
trap cleanup EXIT

# rtc.consent_timeout_s is 10, the least the server allows: clients send consent checks every
# 2.5 s (Chromium) to 6 s (RFC 7675 section 5.1), so a shorter timeout drops healthy bystanders.
config=$(cat <<'YAML'
http:
  websocket_ping_interval_s: 2
  websocket_idle_timeout_s: 4
workers: 1
rtc:
  announced_ip: 127.0.0.1
  consent_timeout_s: 10
  dtls_handshake_timeout_s: 2
  join_timeout_s: 5
limits:
  worker_queue_messages: 16
  empty_room_grace_s: 1
media:
  retransmissions_per_second: 500
  keyframe_request_interval_ms: 1000
  publisher_keyframe_interval_ms: 500
log:
  level: error
YAML
)
if [[ $smoke == 1 ]]; then
  run_args=(--baseline 2 --duration 3 --warmup 0.5 --settle 5 --silent-clients 3 --slowloris 4)
else
  run_args=(--baseline 5 --duration 10 --settle 10)
fi
summary="$work/summary.txt"
: >"$summary"
status=0
for fault in "${faults[@]}"; do
  start_server "$work" "$config"
  echo "faults: $fault: server pid $SERVER_PID on $SERVER_URL"
  "$SOAK_BIN" fault --kind "$fault" --url "$SERVER_URL" --server-pid "$SERVER_PID" --server-config "$SERVER_CONFIG" \
    --summary "$summary" "${run_args[@]}" "${extra[@]+"${extra[@]}"}" || status=1
  if ! stop_server; then
    echo "$fault: FAIL: the server did not stop cleanly" | tee -a "$summary"
    status=1
  fi
  echo
done
echo "== faults (bystanders' loss and p99 during the fault, against their baseline)"
cat "$summary"
[[ $status -eq 0 ]] && echo "faults: PASS" || echo "faults: FAIL"
exit $status
