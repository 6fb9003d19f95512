#!/usr/bin/env bash
# A local cluster (docs/protocol.md, "Cluster"): a redis-server and three sfu nodes on loopback,
# each with its own HTTP port and media ports, one shared secret. Ctrl-C (or SIGTERM) stops all.
#
# Usage: scripts/cluster.sh [--no-build] [--redis-port P] [--http-port P] [--udp-port P] [--dir DIR]
#   --redis-port  redis-server's port (default 6390, not Debian's 6379 service)
#   --http-port   node a's HTTP port; b and c take the next two (default 8081: 8081, 8082, 8083)
#   --udp-port    node a's first UDP (and ICE-TCP) port; b and c start 10 and 20 higher (default 41000)
#   --dir         where the configs and logs go (default: a new temp directory)
# Environment: SFU_BIN (default build/bin/sfu), SFU_CLUSTER_SECRET (default: a fresh random one),
#   SFU_CLUSTER_WORKERS (workers per node, default 1), SFU_CLUSTER_YAML (more YAML appended to each
#   node's config, e.g. $'limits:\n  participants_per_room: 1000' for a large room over the nodes).
# Then open http://127.0.0.1:8081/ and http://127.0.0.1:8082/ in two windows and join one room:
# the second page is redirected to the room's node. `kill -9` a node's pid (printed) and its
# pages come back on a live node within seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1 redis_port=6390 http_port=8081 udp_port=41000 dir=""
while (($#)); do
  case "$1" in
    --no-build) build=0; shift ;;
    --redis-port) redis_port="${2:?}"; shift 2 ;;
    --http-port) http_port="${2:?}"; shift 2 ;;
    --udp-port) udp_port="${2:?}"; shift 2 ;;
    --dir) dir="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "cluster.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

sfu_bin="${SFU_BIN:-build/bin/sfu}"
if ((build)) && [[ -z "${SFU_BIN:-}" ]]; then
  scripts/setup.sh
  scripts/build.sh
fi
[[ -x "$sfu_bin" ]] || { echo "cluster.sh: $sfu_bin is missing; build it (scripts/build.sh)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "cluster.sh: redis-server is missing (scripts/setup.sh installs it)" >&2; exit 1; }

dir="${dir:-$(mktemp -d "${TMPDIR:-/tmp}/sfu-cluster.XXXXXX")}"
mkdir -p "$dir"
secret="${SFU_CLUSTER_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '\n')}"
workers="${SFU_CLUSTER_WORKERS:-1}"

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "cluster.sh: stopped (configs and logs in $dir)"
}
trap stop_all INT TERM EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$dir/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null 2>&1 || { echo "cluster.sh: redis-server did not start (see $dir/redis.log)" >&2; exit 1; }
echo "cluster.sh: redis-server on 127.0.0.1:$redis_port (pid ${pids[0]})"

i=0
for node in a b c; do
  port=$((http_port + i))
  udp=$((udp_port + 10 * i))
  cat >"$dir/node-$node.yaml" <<YAML
http:
  listen: 127.0.0.1:$port
workers: $workers
rtc:
  udp_port: $udp
  tcp_port: $udp
  announced_ip: 127.0.0.1
cluster:
  enabled: true
  redis_url: redis://127.0.0.1:$redis_port
  node_id: node-$node
  secret: "$secret"
${SFU_CLUSTER_YAML:-}
YAML
  "$sfu_bin" --config "$dir/node-$node.yaml" >"$dir/node-$node.log" 2>&1 &
  pids+=($!)
  echo "cluster.sh: node-$node http://127.0.0.1:$port/ (udp/tcp $udp-$((udp + workers - 1)), pid $!, log $dir/node-$node.log)"
  i=$((i + 1))
done

for node in 0 1 2; do
  port=$((http_port + node))
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
echo "cluster.sh: up; GET /v1/rooms on any node lists the cluster's rooms. Ctrl-C stops everything."
wait -n "${pids[@]}" || true
echo "cluster.sh: a process ended; stopping the others" >&2
