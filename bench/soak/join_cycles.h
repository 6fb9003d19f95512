// The soak's join/publish/leave cycles: waves of real clients (signaling, ICE, DTLS, SRTP, as
// sfu-bench's SfuParticipant) in a fresh room each. Every client of a wave publishes stamped audio
// and video at a low rate and must receive at least `packets` packets of every other client's
// audio and video; then it leaves, half of them with `leave` before closing the socket, half by
// closing the socket alone. One cycle is one client's join, publish, media and leave.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/latency_histogram.h"
#include "bench/soak/client_loop.h"

namespace sfu::soak {

struct CycleOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  std::string bind_ip = "127.0.0.1";
  std::string room_prefix = "soak";
  uint32_t cycles = 1000;
  uint32_t concurrency = 4;  // clients per wave (at least 2: each must receive another's media)
  uint32_t packets = 5;      // per received stream
  uint32_t video_pps = 60;
  uint64_t wave_timeout_ms = 15'000;
};

struct CycleResult {
  uint32_t cycles_ok = 0, cycles_failed = 0;
  uint32_t waves = 0;
  std::vector<std::string> failures;  // the first few, with the client's state
  uint64_t packets_received = 0;
  bench::LatencyHistogram latency;
  double seconds = 0;
};

// Runs the cycles on `loop`; `progress` is told the number of cycles done after each wave.
CycleResult run_join_cycles(ClientLoop& loop, const CycleOptions& options,
                            const std::function<void(uint32_t done)>& progress = {});

}  // namespace sfu::soak
