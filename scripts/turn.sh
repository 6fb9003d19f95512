#!/usr/bin/env bash
# Runs coturn (Debian's `coturn`, /usr/bin/turnserver) in the foreground as the TURN relay of one
# sfu, with a config written for that job: TURN REST API credentials only (use-auth-secret with
# the sfu's turn.secret), plain TURN over UDP and TCP on one port, and relaying to the sfu's
# media address(es) only. Used by `scripts/run.sh --turn` and the TURN browser test.
#
# Usage: scripts/turn.sh --secret SECRET [options]      (or SFU_TURN_SECRET=... scripts/turn.sh)
#   --listen IP          address coturn listens and relays on (default 127.0.0.1)
#   --port PORT          its TURN port, UDP and TCP (default 3478)
#   --peer IP[-IP]       an address clients may relay to: the sfu's rtc.announced_ip (default: the
#                        --listen address). Repeat for more. Everything else is denied.
#   --relay-ports A-B    UDP ports of relayed allocations (default 49160-49359)
#   --realm REALM        the realm of the long-term credentials (default sfu)
#   --dir DIR            where the config, pid file and user database go (default: a temp dir,
#                        removed on exit)
#   --print-config       print the config and exit
# The log goes to stdout (verbose: coturn logs every refused credential there, see below).
#
# coturn refuses a username whose expiry has passed or whose password is not the HMAC of the
# secret: the Allocate gets 401 and the log says e.g.
#   session 000000000000000001: realm <sfu> user <1700000000:p...>: incoming packet message processed, error 401: Unauthorized
set -euo pipefail

listen=127.0.0.1
port=3478
peers=()
relay_ports=49160-49359
realm=sfu
dir=""
print_only=0
secret="${SFU_TURN_SECRET:-}"

die() { echo "turn.sh: $*" >&2; exit 2; }

while (($#)); do
  case "$1" in
    --secret) secret="${2:?}"; shift 2 ;;
    --listen) listen="${2:?}"; shift 2 ;;
    --port) port="${2:?}"; shift 2 ;;
    --peer) peers+=("${2:?}"); shift 2 ;;
    --relay-ports) relay_ports="${2:?}"; shift 2 ;;
    --realm) realm="${2:?}"; shift 2 ;;
    --dir) dir="${2:?}"; shift 2 ;;
    --print-config) print_only=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# The sfu refuses a turn.secret under 32 bytes; so does this script, for the same reason: a short
# HMAC key can be found offline from one credential.
((${#secret} >= 32)) || die "--secret (or SFU_TURN_SECRET) must be at least 32 bytes (e.g. openssl rand -base64 32)"
[[ "$secret" != *$'\n'* && "$secret" != *'"'* ]] || die "the secret may not contain newlines or quotes"
[[ "$relay_ports" =~ ^([0-9]+)-([0-9]+)$ ]] || die "--relay-ports must be MIN-MAX"
min_port="${BASH_REMATCH[1]}"
max_port="${BASH_REMATCH[2]}"
((${#peers[@]})) || peers=("$listen")

config() {
  cat <<EOF
# written by scripts/turn.sh: the TURN relay of one sfu
listening-ip=$listen
relay-ip=$listen
listening-port=$port
min-port=$min_port
max-port=$max_port
realm=$realm
# TURN REST API credentials (draft-uberti-behave-turn-rest): username "<expiry>:<participant>",
# password base64(HMAC-SHA1(secret, username)); the sfu hands them out in \`joined\`.
use-auth-secret
static-auth-secret=$secret
fingerprint
# Plain TURN over UDP and TCP only (turns: needs a certificate: cert=, pkey=, and no no-tls).
no-tls
no-dtls
no-cli
no-rfc5780
no-stun-backward-compatibility
response-origin-only-with-rfc5780
no-software-attribute
# An open relay is an attack tool: clients may relay to the sfu's media address(es) and nowhere
# else (allowed-peer-ip takes precedence over denied-peer-ip).
no-multicast-peers
denied-peer-ip=0.0.0.0-255.255.255.255
denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
EOF
  local peer
  for peer in "${peers[@]}"; do
    echo "allowed-peer-ip=$peer"
    # coturn refuses loopback peers before it looks at allowed-peer-ip.
    [[ "$peer" == 127.* || "$peer" == ::1 ]] && echo "allow-loopback-peers"
  done
  cat <<EOF
log-file=stdout
simple-log
verbose
EOF
}

if ((print_only)); then
  config | awk '!seen[$0]++'
  exit 0
fi

command -v turnserver >/dev/null || die "turnserver is not installed: apt-get install coturn (scripts/setup.sh does)"

cleanup_dir=0
if [[ -z "$dir" ]]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/sfu-turn.XXXXXX")"
  cleanup_dir=1
fi
mkdir -p "$dir"
chmod 700 "$dir"  # the config holds the secret
config | awk '!seen[$0]++' >"$dir/turnserver.conf"
{
  echo "pidfile=$dir/turnserver.pid"
  # The SQLite user database coturn opens even when only the static secret is used.
  echo "userdb=$dir/turndb"
} >>"$dir/turnserver.conf"

echo "turn.sh: coturn on $listen:$port (udp, tcp), relaying to ${peers[*]}, config $dir/turnserver.conf" >&2
if ((cleanup_dir)); then
  # Not exec: the temp dir (with the secret) goes when coturn ends. Signals reach coturn too.
  turnserver -c "$dir/turnserver.conf" &
  child=$!
  trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
  status=0
  wait "$child" || status=$?
  wait "$child" 2>/dev/null || true
  rm -rf "$dir"
  exit "$status"
fi
exec turnserver -c "$dir/turnserver.conf"
