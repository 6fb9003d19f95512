#include "sfu/media/transport_link.h"

#include "sfu/media/room.h"

namespace sfu {

void TransportLink::on_transport_connected(WebRtcTransport&) {
  if (room_) room_->on_transport_connected(*participant_, role_);
}

void TransportLink::on_transport_closed(WebRtcTransport&, std::string_view reason) {
  if (room_) room_->on_transport_closed(*participant_, role_, reason);
}

void TransportLink::on_rtp(WebRtcTransport&, uint8_t* data, size_t size) {
  if (room_) room_->on_rtp(*participant_, role_, data, size);
}

void TransportLink::on_rtcp(WebRtcTransport&, uint8_t* data, size_t size) {
  if (room_) room_->on_rtcp(*participant_, role_, data, size);
}

}  // namespace sfu
