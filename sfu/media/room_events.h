// What a room on a worker tells the control thread. Implemented by the control plane; called on
// worker threads, so implementations only queue work for the control loop.
#pragma once

#include <cstdint>
#include <string>

namespace sfu {

class RoomEvents {
 public:
  virtual ~RoomEvents() = default;
  // A signaling message (JSON text) for one WebSocket session.
  virtual void send_to_session(uint64_t session_id, std::string message) = 0;
  // The worker removed a participant on its own (ICE consent lost, DTLS failed): the control
  // plane forgets it and closes its signaling session with `reason`.
  virtual void participant_removed(const std::string& room, const std::string& participant_id,
                                   uint64_t session_id, const std::string& reason) = 0;
};

}  // namespace sfu
