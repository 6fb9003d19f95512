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
};

std::string render_metrics(const std::vector<Worker*>& workers, const ControlStats& control);

}  // namespace sfu
