#!/usr/bin/env bash
# Instructions per forwarded packet, counted by callgrind (the same whatever else loads the
# machine; wall-clock figures on a shared 2-vCPU machine are not). README, Performance.
#
#   scripts/perf_instructions.sh server    BUILD_DIR WINDOW_S [sfu-bench scenario flags]
#   scripts/perf_instructions.sh reflector BUILD_DIR WINDOW_S [sfu-bench scenario flags]
#
# server: the server (one worker) under callgrind, driven by sfu-bench --url; once packets flow the
#   counters are zeroed, dumped WINDOW_S later, and the worker thread's instructions are divided by
#   the growth of sfu_rtp_forwarded_total over the window.
# reflector: sfu-bench --baseline under callgrind counting only UdpReflector::run() and what it
#   calls (its SFU part runs against a server started here without valgrind); divided by the
#   baseline's forwarded packets per second times the window.
# Only user-space instructions are counted; the kernel's share (recvmmsg/sendmmsg, loopback) is not.
# Build RelWithDebInfo first (sfu and sfu-bench). Example, the README's figures:
#   scripts/perf_instructions.sh server build 10 --rooms 1 --publishers 2 --subscribers 10 --video-pps 50 --no-audio
set -u
mode=$1; build=$(cd "$2" && pwd); win=$3; shift 3
sfu=$build/bin/sfu; bench=$build/bin/sfu-bench
out=$(mktemp -d)/perf
freeport() { python3 -c "import socket;s=socket.socket(socket.AF_INET,socket.$1);s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }
port=$(freeport SOCK_STREAM); udp=$(freeport SOCK_DGRAM); tcp=$(freeport SOCK_STREAM)
printf 'http:\n  listen: 127.0.0.1:%s\n  max_connections_per_address: 1000000\nworkers: 1\nrtc:\n  udp_port: %s\n  tcp_port: %s\n  announced_ip: 127.0.0.1\nlimits:\n  participants_per_room: 10000\nlog:\n  level: warn\n' \
  "$port" "$udp" "$tcp" >"$out.yaml"
forwarded() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^sfu_rtp_forwarded_total/ {s+=$2} END {print s+0}'; }
ready() { for _ in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics" && return; sleep 0.5; done; }
collected() { grep -m1 '^summary:\|^totals:' "$1" | awk '{print $2}'; }

if [[ $mode == server ]]; then
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out.cg" "$sfu" --config "$out.yaml" \
    >"$out.server.log" 2>&1 &
  vpid=$!
  ready
  "$bench" --url "ws://127.0.0.1:$port/v1/rtc" --server-pid $vpid --connect-timeout 120 --duration $((win + 20)) \
    --warmup 1 --quiet "$@" >"$out.bench.log" 2>&1 &
  bpid=$!
  for _ in $(seq 1 240); do (($(forwarded) > 0)) && break; sleep 0.5; done
  sleep 5
  callgrind_control -z $vpid >/dev/null; f0=$(forwarded)
  sleep "$win"
  callgrind_control -d $vpid >/dev/null; f1=$(forwarded)
  wait $bpid; kill -INT $vpid; wait $vpid
  worker=$(ls "$out".cg.1-* | xargs grep -l "^thread: 2$" | head -1)  # thread 2: sfu-worker-0
  ir=$(collected "$worker")
  echo "server worker: $ir instructions over $((f1 - f0)) forwarded packets: $((ir / (f1 - f0))) per packet"
  echo "(callgrind output: $worker)"
elif [[ $mode == reflector ]]; then
  "$sfu" --config "$out.yaml" >"$out.server.log" 2>&1 &
  spid=$!
  ready
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect='sfu::bench::UdpReflector::run()' \
    --callgrind-out-file="$out.cg" "$bench" --url "ws://127.0.0.1:$port/v1/rtc" --server-pid $spid --baseline \
    --connect-timeout 120 --duration $((win + 15)) --warmup 1 --json "$out.json" "$@" >"$out.bench.log" 2>&1 &
  vpid=$!
  # The SFU part runs first; count once the baseline's receivers report packets.
  until tr '\r' '\n' <"$out.bench.log" 2>/dev/null | grep -q '^\[baseline\] .*received'; do sleep 1; done
  sleep 3
  callgrind_control -z $vpid >/dev/null
  sleep "$win"
  callgrind_control -d $vpid >/dev/null
  wait $vpid; kill -INT $spid; wait $spid
  ir=$(collected "$(ls "$out".cg.1* | head -1)")
  pps=$(python3 -c "import json;print(json.load(open('$out.json'))['baseline_pps'])")
  echo "reflector: $ir instructions over ${win} s at $pps forwarded pkt/s:" \
    "$(python3 -c "print(round($ir / ($pps * $win)))") per packet"
else
  echo "usage: $0 server|reflector BUILD_DIR WINDOW_S [sfu-bench flags]" >&2
  exit 2
fi
