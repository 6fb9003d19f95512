// A join sent while a fault runs, to see that signaling still answers: a fresh client opens a
// WebSocket, joins a room of its own and waits for `joined` (or an error); the time to the answer
// is what the fault run checks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench/client/participant_client.h"
#include "bench/soak/fault_driver.h"

namespace sfu::soak {

class JoinProbe {
 public:
  JoinProbe(uv_loop_t* loop, const FaultTarget& target, std::string room);

  bool start(uint64_t now_ns, std::string* error);
  void tick(uint64_t now_ns);
  bool started() const { return started_ns_ != 0; }
  bool answered() const { return answered_ns_ != 0; }
  double answer_ms() const { return static_cast<double>(answered_ns_ - started_ns_) / 1e6; }
  // "joined", the error code, or empty while waiting.
  const std::string& answer() const { return answer_; }
  void close() { client_.close_signaling(); }
  bool closed() const { return client_.signaling_closed(); }

 private:
  client::ParticipantClient client_;
  uint64_t started_ns_ = 0, answered_ns_ = 0;
  std::string answer_;
};

}  // namespace sfu::soak
