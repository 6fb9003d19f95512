#!/usr/bin/env bash
# Installs what is missing, builds, and runs the server with the embedded default config
# (demo page at http://127.0.0.1:8080/). Extra arguments go to the server, e.g. --config my.yaml.
#
# scripts/run.sh --turn [--config FILE] [other sfu arguments]
#   also runs coturn (scripts/turn.sh) as the server's TURN relay: on the server's announced
#   address (the first of FILE's rtc.announced_addresses in the one-line [a, b] form, or its
#   rtc.announced_ip, else 127.0.0.1), port 3478 (SFU_TURN_PORT), relaying to those addresses
#   only, with a fresh shared secret (or SFU_TURN_SECRET); the server gets a matching
#   `turn:` section on top of FILE, so every `joined` carries `ice_servers`. Open the demo page
#   with ?ice=relay to send all media through the relay. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--turn" ]]; then
  scripts/setup.sh
  scripts/build.sh
  exec build/bin/sfu "$@"
fi
shift

config_file=""
args=()
while (($#)); do
  case "$1" in
    --config) config_file="${2:?--config needs a file}"; shift 2 ;;
    --config=*) config_file="${1#--config=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ -n "$config_file" ]]; then
  [[ -r "$config_file" ]] || { echo "run.sh: cannot read $config_file" >&2; exit 2; }
  if grep -q '^turn:' "$config_file"; then
    echo "run.sh: $config_file has a turn: section already; run coturn with scripts/turn.sh and the server without --turn" >&2
    exit 2
  fi
fi

scripts/setup.sh --turn
scripts/build.sh

# The addresses clients reach the server at: coturn listens on the first, and relays to all.
peers=()
if [[ -n "$config_file" ]]; then
  list="$(sed -n 's/^[[:space:]]\{1,\}announced_addresses:[[:space:]]*\[\([^]]*\)\].*/\1/p' "$config_file" | head -n 1)"
  for item in ${list//,/ }; do
    item="${item//[\"\']/}"
    [[ -n "$item" ]] && peers+=("$item")
  done
  if ((${#peers[@]} == 0)); then
    announced="$(sed -n 's/^[[:space:]]\{1,\}announced_ip:[[:space:]]*["'\'']\{0,1\}\([0-9A-Fa-f.:]*\).*/\1/p' "$config_file" | head -n 1)"
    [[ -n "$announced" ]] && peers+=("$announced")
  fi
fi
((${#peers[@]})) || peers=(127.0.0.1)
ip="${peers[0]}"
peer_args=()
for peer in "${peers[@]}"; do peer_args+=(--peer "$peer"); done
port="${SFU_TURN_PORT:-3478}"
secret="${SFU_TURN_SECRET:-$(openssl rand -base64 32)}"
url_host="$ip"
[[ "$ip" == *:* ]] && url_host="[$ip]"

work="$(mktemp -d "${TMPDIR:-/tmp}/sfu-run-turn.XXXXXX")"
chmod 700 "$work"  # the configs hold the secret
turn_pid=""
cleanup() {
  if [[ -n "$turn_pid" ]]; then
    kill -TERM "$turn_pid" 2>/dev/null || true
    wait "$turn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM  # until the server runs (below)

{
  [[ -n "$config_file" ]] && cat "$config_file" && echo
  cat <<EOF
# added by scripts/run.sh --turn
turn:
  urls: ["turn:$url_host:$port?transport=udp", "turn:$url_host:$port?transport=tcp"]
  secret: "$secret"
EOF
} >"$work/sfu.yaml"

scripts/turn.sh --secret "$secret" --listen "$ip" --port "$port" "${peer_args[@]}" --dir "$work/turn" \
  >"$work/turn.log" 2>&1 &
turn_pid=$!
for _ in $(seq 1 50); do
  grep -q "UDP listener opened" "$work/turn.log" 2>/dev/null && break
  if ! kill -0 "$turn_pid" 2>/dev/null; then
    cat "$work/turn.log" >&2
    echo "run.sh: coturn did not start (port $port taken? set SFU_TURN_PORT)" >&2
    exit 1
  fi
  sleep 0.1
done
echo "run.sh: coturn relays on $ip:$port (udp, tcp); its log: $work/turn.log" >&2

# In the background, so a signal to this script reaches the server at once (a trap waits for a
# foreground child); the server stops cleanly on SIGTERM, then coturn goes (cleanup).
build/bin/sfu --config "$work/sfu.yaml" ${args[@]+"${args[@]}"} &
sfu_pid=$!
trap 'kill -TERM "$sfu_pid" 2>/dev/null || true' INT TERM
status=0
wait "$sfu_pid" || status=$?
while kill -0 "$sfu_pid" 2>/dev/null; do
  status=0
  wait "$sfu_pid" || status=$?
done
exit "$status"
