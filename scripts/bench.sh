#!/usr/bin/env bash
# The benchmark in one command: builds the server and sfu-bench (RelWithDebInfo, in build/), then
# puts the same load through the SFU on one worker thread and through the raw UDP baseline (a
# plain reflector: no ICE, DTLS or SRTP), raising the video rate step by step until loss passes
# 0.1 % or p99 latency passes 20 ms, then puts one fixed load through our SFU and through Janus
# (Debian's janus, installed when missing; needs root for its network namespace). Prints the
# tables and writes bench-results.json and bench-janus.json (SKIP_JANUS=1 skips Janus).
#
#   scripts/bench.sh                       # the README figures
#   ROOMS=10 SUBSCRIBERS=5 scripts/bench.sh --duration 10   # other scenario; extra flags go to sfu-bench
#   scripts/bench.sh --smoke BENCH_BINARY  # a 3-second run that only checks the tool works (ctest bench_smoke)
#
# On a machine busy with other work, run as root so the bench can raise its scheduling priority
# (--nice -10); the JSON's machine.other_cpu_percent says how much other work there was.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--smoke" ]]; then
  bench="${2:?usage: bench.sh --smoke path/to/sfu-bench}"
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  "$bench" --rooms 1 --publishers 2 --subscribers 2 --video-pps 200 --duration 3 --warmup 0.5 \
    --baseline --quiet --work-dir "$out" --json "$out/bench.json"
  python3 - "$out/bench.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for key in ("forwarded_pps", "loss_ratio", "latency_ms", "server_cpu_percent", "server_rss_bytes", "baseline_pps"):
    assert key in d, f"missing key {key}"
for key in ("p50", "p99", "p999"):
    assert key in d["latency_ms"], f"missing latency_ms.{key}"
assert d["forwarded_pps"] > 0, "nothing was forwarded"
assert d["baseline_pps"] > 0, "the baseline forwarded nothing"
assert d["server_rss_bytes"] > 0, "no server RSS"
print("bench_smoke: ok: forwarded %.0f pps (baseline %.0f), loss %.4f, p99 %.3f ms"
      % (d["forwarded_pps"], d["baseline_pps"], d["loss_ratio"], d["latency_ms"]["p99"]))
PY
  exit 0
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFU_WERROR=ON >/dev/null
cmake --build build --target sfu sfu-bench -j "$(nproc)"

args=(--workers 1
  --rooms "${ROOMS:-1}" --publishers "${PUBLISHERS:-2}" --subscribers "${SUBSCRIBERS:-20}"
  --video-pps "${VIDEO_PPS:-2000}" --packet-size 1200
  --ramp --ramp-factor "${RAMP_FACTOR:-1.25}" --ramp-step "${RAMP_STEP:-3}"
  --baseline --json "${BENCH_JSON:-bench-results.json}")
if [[ $(id -u) -eq 0 ]]; then args+=(--nice -10); fi
build/bin/sfu-bench "${args[@]}" "$@"

# Side by side with Janus (Debian's janus, videoroom) at one fixed load in the same run of the
# tool: Janus has no ramp here, so the load is a fixed rate that our SFU holds easily.
if [[ "${SKIP_JANUS:-0}" != 1 ]]; then
  if ! command -v janus >/dev/null; then
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends janus
  fi
  janus_args=(--workers 1 --rooms "${ROOMS:-1}" --publishers "${PUBLISHERS:-2}" --subscribers "${SUBSCRIBERS:-20}"
    --video-pps "${JANUS_VIDEO_PPS:-6000}" --packet-size 1200 --duration "${JANUS_DURATION:-8}"
    --target both --json "${JANUS_JSON:-bench-janus.json}")
  if [[ $(id -u) -eq 0 ]]; then janus_args+=(--nice -10); fi
  build/bin/sfu-bench "${janus_args[@]}"
fi
