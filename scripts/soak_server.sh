# shellcheck shell=bash disable=SC2034  # the variables it sets are for the scripts that source it
# Sourced by scripts/soak.sh and scripts/faults.sh: starts and stops the server under test with a
# config of its own on free loopback ports, and finds the binaries.
#   parse_binaries "$@"     sets SFU_BIN and SOAK_BIN from --sfu/--tool (or build/bin), leaves the
#                           remaining arguments in REST_ARGS
#   start_server DIR YAML   writes DIR/sfu.yaml (YAML is the config without http.listen and
#                           rtc.udp_port, which are added, and with ICE-TCP off: rtc.tcp_port 0,
#                           so parallel runs never share a TCP port), starts the server, sets SERVER_PID,
#                           HTTP_PORT, SERVER_URL, SERVER_CONFIG, SERVER_LOG
#   stop_server             SIGTERM; fails (returns 1) unless it exits with status 0 within 10 s

parse_binaries() {
  SFU_BIN=build/bin/sfu
  SOAK_BIN=build/bin/sfu-soak
  REST_ARGS=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --sfu) SFU_BIN="$2"; shift 2 ;;
      --tool) SOAK_BIN="$2"; shift 2 ;;
      *) REST_ARGS+=("$1"); shift ;;
    esac
  done
  for bin in "$SFU_BIN" "$SOAK_BIN"; do
    if [[ ! -x "$bin" ]]; then
      echo "missing $bin: build it first (cmake --build build --target sfu sfu-soak)" >&2
      return 1
    fi
  done
}

# A free TCP port and a free UDP port for each of $1 workers (consecutive), from the kernel's
# ephemeral range.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
workers = int(sys.argv[1])
def bound(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
        return s.getsockname()[1]
    except OSError:
        return 0
    finally:
        s.close()
tcp = bound(socket.SOCK_STREAM, 0)
for _ in range(100):
    first = bound(socket.SOCK_DGRAM, 0)
    if first and first + workers <= 65536 and all(bound(socket.SOCK_DGRAM, first + i) for i in range(1, workers)):
        print(tcp, first)
        break
PY
}

start_server() {
  local dir="$1" yaml="$2" workers ports
  workers=$(awk '/^workers:/ {print $2}' <<<"$yaml")
  ports=$(free_ports "${workers:-1}")
  HTTP_PORT=${ports% *}
  local udp_port=${ports#* }
  SERVER_CONFIG="$dir/sfu.yaml"
  SERVER_LOG="$dir/sfu.log"
  # The generated keys go into the http: and rtc: mappings of the given YAML.
  awk -v http="127.0.0.1:$HTTP_PORT" -v udp="$udp_port" '
    { print }
    /^http:/ { print "  listen: " http }
    /^rtc:/ { print "  udp_port: " udp; print "  tcp_port: 0" }' <<<"$yaml" >"$SERVER_CONFIG"
  "$SFU_BIN" --config "$SERVER_CONFIG" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  SERVER_URL="ws://127.0.0.1:$HTTP_PORT/v1/rtc"
  for _ in $(seq 200); do
    if curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "the server did not start:" >&2
  tail -20 "$SERVER_LOG" >&2
  return 1
}

stop_server() {
  [[ -n "${SERVER_PID:-}" ]] || return 0
  local pid=$SERVER_PID status=0
  SERVER_PID=
  kill -TERM "$pid" 2>/dev/null || return 1
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "the server did not stop within 10 s of SIGTERM" >&2
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
  fi
  wait "$pid" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "the server exited with status $status:" >&2
    tail -20 "$SERVER_LOG" >&2
    return 1
  fi
}
