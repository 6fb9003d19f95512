// The observer of one of a participant's two WebRTC transports: it knows its participant and
// whether it is the publish or the subscribe connection, so a transport's callbacks reach the
// room typed (Participant&, TransportRole) with one virtual call and no lookup per packet. Owned by
// the Participant (two members), attached by its Room on the worker thread, detached before the
// participant goes; the worker stops calling an observer once it destroys the transport.
#pragma once

#include <cstdint>
#include <string_view>

#include "sfu/media/webrtc_transport.h"

namespace sfu {

class Room;
struct Participant;

enum class TransportRole : uint8_t { Publish, Subscribe };

class TransportLink final : public WebRtcTransport::Observer {
 public:
  explicit TransportLink(TransportRole role) : role_(role) {}
  TransportLink(const TransportLink&) = delete;
  TransportLink& operator=(const TransportLink&) = delete;

  void attach(Room& room, Participant& participant) {
    room_ = &room;
    participant_ = &participant;
  }
  // Callbacks after this are ignored (the participant is being removed).
  void detach() {
    room_ = nullptr;
    participant_ = nullptr;
  }
  TransportRole role() const { return role_; }

  // WebRtcTransport::Observer: forwarded to the room (transport_link.cpp).
  void on_transport_connected(WebRtcTransport& transport) override;
  void on_transport_closed(WebRtcTransport& transport, std::string_view reason) override;
  void on_rtp(WebRtcTransport& transport, uint8_t* data, size_t size, int64_t arrival_us) override;
  void on_rtcp(WebRtcTransport& transport, uint8_t* data, size_t size) override;
  // Data channels: forwarded to the room's DataRelay.
  void on_data_channels_ready(WebRtcTransport& transport) override;
  void on_data_channel_opened(WebRtcTransport& transport, const dtls::DataChannelInfo& channel) override;
  void on_data_channel_message(WebRtcTransport& transport, const dtls::DataChannelInfo& channel, bool binary,
                               ByteSpan message) override;
  void on_data_channel_closed(WebRtcTransport& transport, const dtls::DataChannelInfo& channel) override;
  void on_data_channels_closed(WebRtcTransport& transport) override;

 private:
  // Observed, not owned: the room outlives its participants, the participant owns this link.
  Room* room_ = nullptr;
  Participant* participant_ = nullptr;
  const TransportRole role_;
};

}  // namespace sfu
