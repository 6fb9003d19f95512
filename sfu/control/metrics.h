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
};

std::string render_metrics(const std::vector<Worker*>& workers, const ControlStats& control);

}  // namespace sfu
