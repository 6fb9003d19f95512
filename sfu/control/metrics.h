// Prometheus text exposition (format 0.0.4) of the server's state and counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sfu {

class Worker;

// Messages between the control thread and one worker that found the receiving queue full: kept
// for a retry (deferred) or refused (docs/protocol.md, "Queues between threads").
struct QueueStats {
  uint64_t deferred = 0, refused = 0;
  uint64_t waiting = 0;  // kept for a retry now
};

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
  // By worker index.
  std::vector<QueueStats> to_worker, to_control;
  // By worker index: participants placed on it, and shards of rooms spanning workers on it.
  std::vector<size_t> worker_participants, worker_spanning_rooms;
  // `joined` messages that carried TURN credentials (turn.urls set).
  uint64_t turn_credentials_issued = 0;
  // Joins the control plane refused, as {reason, count}.
  std::vector<std::pair<const char*, uint64_t>> joins_refused;
  // Session resume: attempts as {result, count}, participants waiting for one, graces that ran out.
  std::vector<std::pair<const char*, uint64_t>> resumes;
  size_t participants_detached = 0;
  uint64_t resume_grace_expired = 0;
};

std::string render_metrics(const std::vector<Worker*>& workers, const ControlStats& control);

}  // namespace sfu
