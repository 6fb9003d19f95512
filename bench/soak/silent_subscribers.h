// Fault (c): receive-only clients that join the bystanders' room and never answer the subscribe
// offer the publisher's tracks bring them (nor start ICE), as a tab whose script stalled after
// `join`. None of their connections ever comes up, so the server must remove each within
// rtc.join_timeout_s of its join (docs/protocol.md 3.4); the check allows `slack_s` more.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bench/client/participant_client.h"
#include "bench/soak/fault_driver.h"

namespace sfu::soak {

class SilentSubscribers : public FaultDriver {
 public:
  SilentSubscribers(uv_loop_t* loop, const FaultTarget& target, uint32_t count, uint32_t join_timeout_s,
                    double slack_s);

  bool start(std::string* error) override;
  // Every one has been offered the publisher's tracks (and is not answering).
  bool active() const override;
  std::string failure() const override;
  void tick(uint64_t now_ns) override;
  void stop() override;
  bool stopped() const override;
  std::vector<FaultFigure> figures() const override;
  std::vector<FaultCheck> checks() const override;

 private:
  struct Silent {
    std::unique_ptr<client::ParticipantClient> client;
    uint64_t joined_ns = 0, removed_ns = 0;
  };
  bool removed(const Silent& s) const;

  std::vector<Silent> clients_;
  uint32_t join_timeout_s_;
  double slack_s_;
};

}  // namespace sfu::soak
