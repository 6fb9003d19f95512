#include "sfu/media/transport_link.h"

#include "sfu/media/room.h"

namespace sfu {

void TransportLink::on_transport_connected(WebRtcTransport&) {
  if (room_) room_->on_transport_connected(*participant_, role_);
}

void TransportLink::on_transport_closed(WebRtcTransport&, std::string_view reason) {
  if (room_) room_->on_transport_closed(*participant_, role_, reason);
}

void TransportLink::on_rtp(WebRtcTransport&, uint8_t* data, size_t size, int64_t arrival_us) {
  if (room_) room_->on_rtp(*participant_, role_, data, size, arrival_us);
}

void TransportLink::on_rtcp(WebRtcTransport&, uint8_t* data, size_t size) {
  if (room_) room_->on_rtcp(*participant_, role_, data, size);
}

void TransportLink::on_data_channels_ready(WebRtcTransport&) {
  if (room_) room_->data_relay().on_channels_ready(*participant_, role_);
}

void TransportLink::on_data_channel_opened(WebRtcTransport&, const dtls::DataChannelInfo& channel) {
  if (room_) room_->data_relay().on_channel_opened(*participant_, role_, channel);
}

void TransportLink::on_data_channel_message(WebRtcTransport& transport, const dtls::DataChannelInfo& channel,
                                            bool binary, ByteSpan message) {
  if (room_)
    room_->data_relay().on_channel_message(*participant_, role_, channel, binary, message,
                                           transport.now_ms());
}

void TransportLink::on_data_channel_closed(WebRtcTransport&, const dtls::DataChannelInfo& channel) {
  if (room_) room_->data_relay().on_channel_closed(*participant_, role_, channel);
}

void TransportLink::on_data_channels_closed(WebRtcTransport&) {
  if (room_) room_->data_relay().on_channels_closed(*participant_, role_);
}

}  // namespace sfu
