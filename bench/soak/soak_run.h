// `sfu-soak soak`: the leak soak against a running server (scripts/soak.sh starts it).
//
//   1. start: the server's gauges, fds and RSS before anything.
//   2. warm-up: a few of the same cycles and vanishing clients, a settle, the frozen ones killed;
//      the fds and RSS then are the baseline those are compared with at the end (so the
//      allocator's arenas and the server's lazily made state are in it).
//   3. join/publish/leave cycles of real clients (join_cycles.h).
//   4. vanishing clients, killed or frozen part-way through their handshakes (vanishing_clients.h).
//   5. settle: poll until every figure is back (resource_checks.h) or the settle time is over,
//      while the frozen clients still exist; then kill them.
// Prints the phases and the resource table; the exit code is 0 only when every check held.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sfu::soak {

inline constexpr uint32_t kSameAsVanish = UINT32_MAX;

struct SoakOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  std::string bind_ip = "127.0.0.1";
  pid_t server_pid = 0;
  std::string self_exe;
  std::string room_prefix = "soak";
  uint32_t cycles = 1000;
  uint32_t concurrency = 4;
  uint32_t packets = 5;
  uint32_t vanish = 200;
  uint32_t vanish_concurrency = 8;
  uint32_t warmup_cycles = 100;
  uint32_t warmup_vanish = kSameAsVanish;  // the same count: the frozen clients' peak is the
                                           // server's memory peak, which the baseline must include
  double warmup_settle_s = 10;
  double settle_s = 30;
  double rss_tolerance = 0.05;
  uint32_t max_failed_cycles = 0;
  double max_failed_vanish_share = 0.05;  // children that could not reach their stage
  std::string json_path;
};

int run_soak(const SoakOptions& options);

}  // namespace sfu::soak
