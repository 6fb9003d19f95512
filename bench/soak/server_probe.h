// What the soak and fault tools watch on the server under test: its resident memory and open file
// descriptors (from /proc, so it must run on the same machine) and, from /metrics, the gauges of
// what it holds (rooms, participants, transports, WebSocket sessions) plus every other sample for
// before/after comparisons.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "bench/soak/metrics_samples.h"

namespace sfu::soak {

struct ServerSnapshot {
  bool alive = false;       // the process exists and /metrics answered
  uint64_t rss_kib = 0;     // VmRSS
  uint64_t fds = 0;         // entries in /proc/<pid>/fd
  double rooms = 0;         // sfu_rooms
  double participants = 0;  // sfu_participants
  double transports = 0;    // sfu_worker_transports, summed over the workers
  double sessions = 0;      // sfu_websocket_sessions
  MetricSamples metrics;
  std::string error;  // why it is not alive
};

class ServerProbe {
 public:
  ServerProbe(std::string host, uint16_t http_port, pid_t pid)
      : host_(std::move(host)), port_(http_port), pid_(pid) {}

  // Reads /proc first and scrapes /metrics after it: the scrape's own connection is not yet
  // open when the descriptors are counted (and the previous one has long been closed).
  ServerSnapshot snapshot() const;
  std::optional<MetricSamples> metrics(std::string* error) const;
  pid_t pid() const { return pid_; }

 private:
  std::string host_;
  uint16_t port_;
  pid_t pid_;
};

// Entries of /proc/<pid>/fd; nullopt when unreadable (no such process).
std::optional<uint64_t> count_open_fds(pid_t pid);
// VmRSS of /proc/<pid>/status in KiB; nullopt when unreadable.
std::optional<uint64_t> read_rss_kib(pid_t pid);

}  // namespace sfu::soak
