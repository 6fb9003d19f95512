// Fault (e): the control-to-worker queue full. Every `interval_ms` a burst of `sockets` signaling
// WebSockets opens; each sends `pairs` join/leave pairs back to back (to rooms of its own, on the
// bystanders' worker when the server has one) and stays open until the next burst, which closes
// it. Each join, leave and close is a task for the room's worker, so a burst queues far more than
// limits.worker_queue_messages; the server must refuse the excess (`overloaded`) rather than lose
// it, and count the refusals.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bench/client/signaling_client.h"
#include "bench/soak/fault_driver.h"

namespace sfu::soak {

class JoinBurst : public FaultDriver {
 public:
  JoinBurst(uv_loop_t* loop, const FaultTarget& target, uint32_t sockets, uint32_t pairs,
            uint64_t interval_ms);

  bool start(std::string* error) override;
  bool active() const override { return bursts_ > 0; }
  std::string failure() const override { return failure_; }
  void tick(uint64_t now_ns) override;
  void stop() override;
  bool stopped() const override;
  std::vector<FaultFigure> figures() const override;

  uint64_t overloaded() const { return overloaded_; }

 private:
  void burst();
  void on_message(const nlohmann::json& message);

  uv_loop_t* loop_;
  FaultTarget target_;
  uint32_t sockets_, pairs_;
  uint64_t interval_ns_;
  bool stopping_ = false;
  uint64_t next_burst_ns_ = 0;
  std::vector<std::unique_ptr<client::SignalingClient>> clients_;
  std::string failure_;
  uint64_t bursts_ = 0, messages_sent_ = 0, joined_ = 0, overloaded_ = 0, other_errors_ = 0;
  uint64_t opened_ = 0, not_opened_ = 0;
};

}  // namespace sfu::soak
