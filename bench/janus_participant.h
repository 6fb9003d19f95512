// A participant of the Janus load: a publish connection (we offer, Janus answers a=setup:active,
// so we are the DTLS server and the controlling ICE agent) and/or a subscribe connection (Janus
// offers actpass, we answer active: DTLS client, controlled ICE agent), each a WebRtcClient with
// the same SRTP media path and receive accounting as SfuParticipant. Signaling is posted to the
// JanusSignaling thread and polled from pump(), so the loop never blocks on HTTP.
#pragma once

#include <uv.h>

#include <array>
#include <memory>

#include "bench/bench_participant.h"
#include "bench/client/webrtc_client.h"
#include "bench/janus_signaling.h"

namespace sfu::bench {

class JanusParticipant : public BenchParticipant {
 public:
  JanusParticipant(uv_loop_t* loop, JanusSignaling& signaling, std::string bind_ip,
                   std::optional<MediaSourceConfig> media, ParticipantSpec spec, ReceiveAccounting accounting,
                   ReceiverStats& stats, const MeasurementWindow& window);

  bool start(std::string* error) override;
  bool ready() const override;
  void pump(uint64_t now_ns) override;
  void close() override {
    media_on_ = false;
    closed_ = true;
  }
  bool closed() const override { return closed_; }
  std::string failure() const override;
  std::string describe() const override;

 private:
  void poll_signaling();
  void on_publish_rtcp(const uint8_t* data, size_t size);
  void fail(std::string reason) {
    if (failure_.empty()) failure_ = std::move(reason);
  }

  uv_loop_t* loop_;
  JanusSignaling& signaling_;
  std::string bind_ip_;
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  std::unique_ptr<client::WebRtcClient> publish_, subscribe_;
  std::shared_ptr<JanusJob> publish_job_, subscribe_job_, start_job_;
  bool media_on_ = true;
  bool closed_ = false;
  std::string failure_;
  std::array<uint8_t, 1500> buffer_{};
};

}  // namespace sfu::bench
