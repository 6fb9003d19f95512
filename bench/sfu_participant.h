// A participant of the SFU load: a ParticipantClient (signaling, publish and subscribe
// connections with ICE, DTLS and SRTP, as a browser) whose media is replaced by the stamped
// synthetic media of a SyntheticMediaSource, and whose received RTP goes to ReceiveAccounting.
#pragma once

#include <uv.h>

#include <array>

#include "bench/bench_participant.h"
#include "bench/client/participant_client.h"

namespace sfu::bench {

class SfuParticipant : public BenchParticipant {
 public:
  // `media`: what to publish (ssrcs are taken from the client's own offer), nullopt to only
  // subscribe.
  SfuParticipant(uv_loop_t* loop, client::ParticipantClient::Options options,
                 std::optional<MediaSourceConfig> media, ParticipantSpec spec, ReceiveAccounting accounting,
                 ReceiverStats& stats, const MeasurementWindow& window);

  bool start(std::string* error) override;
  bool ready() const override;
  void pump(uint64_t now_ns) override;
  void close() override;
  // Sends `leave` first, then closes the signaling socket as close() does.
  void leave();
  bool closed() const override { return client_.signaling_closed(); }
  std::string failure() const override;
  std::string describe() const override;

  const client::ParticipantClient& client() const { return client_; }

 private:
  void on_publish_rtcp(const uint8_t* data, size_t size);

  uv_loop_t* loop_;
  client::ParticipantClient client_;
  std::optional<MediaSourceConfig> media_;
  bool media_on_ = true;
  std::array<uint8_t, 1500> buffer_{};
};

}  // namespace sfu::bench
