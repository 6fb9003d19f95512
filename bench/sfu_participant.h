// A participant of the SFU load: a ParticipantClient (signaling, publish and subscribe
// connections with ICE, DTLS and SRTP, as a browser) whose media is replaced by the stamped
// synthetic media of a SyntheticMediaSource, and whose received RTP goes to ReceiveAccounting.
// With a data load (--data-rate) its connections carry data channels too (usrsctp over their
// DTLS, through the client thread's SctpMailbox): a publisher opens a reliable ordered and an
// unreliable unordered channel and sends a DataSource's stamped messages on them; what arrives
// on the subscribe connection goes to DataReceiveAccounting.
#pragma once

#include <uv.h>

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_participant.h"
#include "bench/client/participant_client.h"

namespace sfu::bench {

class SfuParticipant : public BenchParticipant {
 public:
  // `media`: what to publish (ssrcs are taken from the client's own offer), nullopt to only
  // subscribe. `data`: the data channel messages to send (publishers) and `data_accounting` what
  // to expect (everyone), both nullopt without a data load; with one, the calling thread must have
  // an SctpMailbox (dtls::SctpMailbox::current()).
  SfuParticipant(uv_loop_t* loop, client::ParticipantClient::Options options,
                 std::optional<MediaSourceConfig> media, ParticipantSpec spec, ReceiveAccounting accounting,
                 ReceiverStats& stats, const MeasurementWindow& window,
                 std::optional<DataSourceConfig> data = std::nullopt,
                 std::optional<DataReceiveAccounting> data_accounting = std::nullopt);

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

  // Simulcast: ask every publisher's video for `layer` (track_settings max_layer) as soon as its
  // subscribe offer carries it. Test of the checks: with `fault_layer`, ask for that layer instead
  // once the measurement window starts (the accounting still counts `layer`).
  void ask_video_layer(uint32_t layer, std::optional<uint32_t> fault_layer = std::nullopt);

 private:
  void on_publish_rtcp(const uint8_t* data, size_t size);
  void pump_media(uint64_t now_ns);
  void pump_data(uint64_t now_ns);
  // Opens the two channels on the publish connection once its association is up.
  bool open_data_channels();
  void hook_data_receiver();
  // Simulcast: the track_settings of ask_video_layer(), from the media tick.
  void pump_layer_requests(uint64_t now_ns);
  void send_layer_request(const std::pair<std::string, std::string>& track, uint32_t layer);

  uv_loop_t* loop_;
  client::ParticipantClient client_;
  std::optional<MediaSourceConfig> media_;
  bool media_on_ = true;
  std::array<uint8_t, 1500> buffer_{};
  // Data load (publishers): the channel ids by DataChannelKind, once opened; the message buffer.
  std::optional<std::array<uint16_t, 2>> data_channels_;
  std::vector<uint8_t> data_buffer_;
  // Simulcast subscriber: the layer to ask for, the fault's, and the (publisher, track) pairs asked.
  std::optional<uint32_t> video_layer_, fault_layer_;
  std::vector<std::pair<std::string, std::string>> layer_requested_;
  bool layer_requests_done_ = false, fault_sent_ = false;
};

}  // namespace sfu::bench
