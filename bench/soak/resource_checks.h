// The soak's verdict on the server's resources: after the load and a settle time, what it holds
// must be back where it started. The gauges (rooms, participants, transports, WebSocket sessions)
// must equal their values at the start, exactly; open file descriptors must equal their value
// after the warm-up, exactly; resident memory may exceed its value after the warm-up by at most
// the tolerance (the warm-up lets the allocator's arenas and the server's lazily made state count
// in the baseline). Memory below the baseline is never a failure.
#pragma once

#include <string>
#include <vector>

#include "bench/soak/server_probe.h"

namespace sfu::soak {

struct ResourceCheck {
  std::string what;
  double start = 0, warm = 0, peak = 0, end = 0;
  std::string bound;  // in words, e.g. "= start" or "<= warm-up + 5 %"
  bool ok = false;
};

// The running maximum of every figure, for the report.
struct ResourcePeaks {
  double rss_kib = 0, fds = 0, rooms = 0, participants = 0, transports = 0, sessions = 0;
  void add(const ServerSnapshot& s);
};

std::vector<ResourceCheck> check_resources(const ServerSnapshot& start, const ServerSnapshot& warm,
                                           const ResourcePeaks& peaks, const ServerSnapshot& end,
                                           double rss_tolerance);
bool all_ok(const std::vector<ResourceCheck>& checks);
std::string render_resource_checks(const std::vector<ResourceCheck>& checks);

}  // namespace sfu::soak
