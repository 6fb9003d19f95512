// Prometheus text exposition (format 0.0.4) of the server's state and counters.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sfu {

class Worker;

struct ControlStats {
  size_t rooms = 0;
  size_t participants = 0;
  size_t websocket_sessions = 0;
  // Exceptions caught at the control thread's handler boundaries.
  uint64_t signaling_errors = 0, rest_errors = 0, control_task_errors = 0;
  // The control port's refusals (sfu_http_refused_total) and cut-offs (sfu_http_timeouts_total).
  struct HttpRefused {
    uint64_t origin = 0, host = 0, connections = 0, connections_per_address = 0;
  } http_refused;
  struct HttpTimeouts {
    uint64_t request = 0, websocket_idle = 0;
  } http_timeouts;
};

std::string render_metrics(const std::vector<Worker*>& workers, const ControlStats& control);

}  // namespace sfu
