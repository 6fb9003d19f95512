#!/usr/bin/env bash
# The server binary's command line, configuration errors, start-up refusal and clean stop.
# Usage: cli_test.sh path/to/sfu
set -uo pipefail
sfu="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check "what" condition...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$sfu" --help > "$work/help" 2>&1
check "--help exits 0 and shows usage" grep -q "Usage: sfu" "$work/help"

"$sfu" --print-default-config > "$work/default.yaml"
check "--print-default-config prints the public keys" grep -q "announced_ip: 127.0.0.1" "$work/default.yaml"
# The printed default must itself be a valid config; run it with a bad port to stop right after parsing.
printf 'rtc:\n  udp_port: 40000\n  udp_prot: 1\n' > "$work/typo.yaml"
"$sfu" --config "$work/typo.yaml" > "$work/typo.out" 2>&1
rc=$?
check "an unknown key exits 2" test "$rc" -eq 2
check "the error names file, line and key" grep -q "typo.yaml:3: 'rtc.udp_prot': unknown key" "$work/typo.out"

printf 'workers: lots\n' > "$work/type.yaml"
"$sfu" --config "$work/type.yaml" > "$work/type.out" 2>&1
check "a wrong type exits 2" test $? -eq 2
check "the error says what was expected" grep -q "expected auto or an integer from 1 to 256" "$work/type.out"

"$sfu" --bogus > /dev/null 2>&1
check "an unknown flag exits 2" test $? -eq 2

printf 'http:\n  listen: 0.0.0.0:%s\n' "$(free_port)" > "$work/public.yaml"
"$sfu" --config "$work/public.yaml" > "$work/public.out" 2>&1
check "a public bind with auth off is refused (exit 2)" test $? -eq 2
check "the refusal explains itself" grep -q "refusing to listen on a non-loopback address with auth off" "$work/public.out"

printf 'http:\n  listen: 127.0.0.1:%s\nrtc:\n  udp_port: %s\nmetrics:\n  require_auth: true\n' \
  "$(free_port)" "$(free_port)" > "$work/metrics_auth.yaml"
timeout 20 "$sfu" --config "$work/metrics_auth.yaml" > "$work/metrics_auth.out" 2>&1
check "metrics.require_auth with auth off is refused (exit 2)" test $? -eq 2
check "the refusal names both keys" grep -q "metrics.require_auth is true but auth.enabled is false" "$work/metrics_auth.out"
# Worker i binds rtc.udp_port + i: a range past 65535 would wrap to port 0 (random) or low ports, so
# it is refused before anything binds.
printf 'http:\n  listen: 127.0.0.1:%s\nworkers: 4\nrtc:\n  udp_port: 65533\n' "$(free_port)" > "$work/range.yaml"
timeout 10 "$sfu" --config "$work/range.yaml" > "$work/range.out" 2>&1
check "a UDP port range past 65535 exits 2" test $? -eq 2
check "the refusal names rtc.udp_port and workers" \
  grep -q "rtc.udp_port=65533 workers=4 last_udp_port=65536" "$work/range.out"
# The same for ICE-TCP's rtc.tcp_port + i.
printf 'http:\n  listen: 127.0.0.1:%s\nworkers: 4\nrtc:\n  udp_port: %s\n  tcp_port: 65533\n' "$(free_port)" "$(free_port)" > "$work/tcp_range.yaml"
timeout 10 "$sfu" --config "$work/tcp_range.yaml" > "$work/tcp_range.out" 2>&1
check "a TCP port range past 65535 exits 2" test $? -eq 2
check "the refusal names rtc.tcp_port and workers" \
  grep -q "rtc.tcp_port=65533 workers=4 last_tcp_port=65536" "$work/tcp_range.out"
# The last port itself is fine (unless something else holds one of these ports: then the bind fails).
printf 'http:\n  listen: 127.0.0.1:%s\nworkers: 3\nrtc:\n  udp_port: 65533\n  tcp_port: 0\n' "$(free_port)" > "$work/edge.yaml"
"$sfu" --config "$work/edge.yaml" > "$work/edge.out" 2>&1 &
edge=$!
for _ in $(seq 1 100); do
  grep -q 'worker listening" worker=2' "$work/edge.out" && break
  kill -0 "$edge" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$edge" 2>/dev/null; wait "$edge" 2>/dev/null
check "a range ending exactly at 65535 is accepted" \
  grep -q 'worker listening" worker=2 udp=127.0.0.1:65535\|udp port 6553[345]' "$work/edge.out"

# Start with the default config on free ports, check it is up, stop it with SIGTERM within 2 s.
http_port=$(free_port)
udp_port=$(free_port)
# free_port is free for TCP: ICE-TCP takes the same numbers as UDP.
printf 'http:\n  listen: 127.0.0.1:%s\nworkers: 2\nrtc:\n  udp_port: %s\n  tcp_port: %s\n' "$http_port" "$udp_port" "$udp_port" > "$work/run.yaml"
"$sfu" --config "$work/run.yaml" > "$work/run.out" 2>&1 &
pid=$!
up=0
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$http_port/healthz" > /dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
check "the server answers /healthz" test "$up" -eq 1
check "the start-up log says where workers listen" grep -q "msg=\"worker listening\" worker=1 udp=127.0.0.1:$((udp_port + 1))" "$work/run.out"
check "the start-up log says where ICE-TCP listens" grep -q "worker=1 udp=127.0.0.1:$((udp_port + 1)) ice_tcp=127.0.0.1:$((udp_port + 1))" "$work/run.out"
check "the start-up log names the SRTP backend" grep -q 'msg="sfu ready" workers=2 srtp=openssl' "$work/run.out"
check "the start-up log says where HTTP listens" grep -q "msg=\"http listening\" demo=http://127.0.0.1:$http_port/" "$work/run.out"
start=$(date +%s%N)
kill -TERM "$pid"
( sleep 10; kill -KILL "$pid" 2>/dev/null ) &  # never hang the suite on a server that will not stop
killer=$!
wait "$pid"
rc=$?
kill "$killer" 2>/dev/null
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "SIGTERM stops cleanly (exit 0)" test "$rc" -eq 0
check "SIGTERM stops within 2 s (took ${elapsed_ms} ms)" test "$elapsed_ms" -lt 2000
check "the stop is logged" grep -q "stopped cleanly" "$work/run.out"

# A taken port fails start-up with exit 1 and says which.
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(5)' "$http_port" &
holder=$!
# Python can take longer than a fixed pause to start on a loaded machine: wait until it listens.
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break
  sleep 0.1
done
timeout 20 "$sfu" --config "$work/run.yaml" > "$work/taken.out" 2>&1
check "a taken HTTP port exits 1" test $? -eq 1
check "the error names the address" grep -q "127.0.0.1:$http_port" "$work/taken.out"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

if ((failures)); then
  echo "cli_test: $failures failure(s)"
  cat "$work"/*.out
  exit 1
fi
echo "cli_test: all passed"
