#include "sfu/media/relay_peer.h"

namespace sfu {

RelayPeer::RelayPeer(uv_loop_t* loop, const RelayPeerParams& params, net::UdpSocket& socket,
                     RelayCounters& counters)
    : loop_(loop),
      peer_(params.peer),
      address_(params.address),
      dead_after_ms_(params.dead_after_ms),
      socket_(socket),
      counters_(counters),
      sealer_(params.send_key),
      opener_(params.receive_key),
      last_valid_ms_(uv_now(loop)) {}

bool RelayPeer::consent_fresh() const { return uv_now(loop_) < last_valid_ms_ + dead_after_ms_; }

bool RelayPeer::send_frame(RelayFrameType type, ByteSpan plain) {
  MutableByteSpan buffer = socket_.acquire_send();
  size_t size = sealer_.seal(type, plain, buffer);
  if (size == 0) {
    bump(counters_.dropped_too_large);
    return false;
  }
  socket_.commit_send(size, address_);
  return true;
}

bool RelayPeer::send_slot(const CrossWorkerPacket& slot) {
  if (!consent_fresh()) {
    bump(counters_.dropped_no_consent);
    return false;
  }
  size_t size = encode_relay_slot(slot, plain_);
  if (size == 0 || !send_frame(RelayFrameType::kSlot, ByteSpan(plain_.data(), size))) {
    if (size == 0) bump(counters_.dropped_too_large);
    return false;
  }
  bump(counters_.packets_sent);
  bump(counters_.bytes_sent, size);
  return true;
}

void RelayPeer::send_consent() {
  if (send_frame(RelayFrameType::kConsent, {})) bump(counters_.consent_sent);
}

bool RelayPeer::receive(ByteSpan datagram, CrossWorkerPacket& slot) {
  if (datagram.size() > kRelayMaxFrameBytes) {
    bump(counters_.dropped_too_large);
    return false;
  }
  RelayFrameType type = RelayFrameType::kConsent;
  size_t size = 0;
  switch (opener_.open(datagram, plain_, type, size)) {
    case RelayOpenResult::kOk:
      break;
    case RelayOpenResult::kMalformed:
      bump(counters_.dropped_malformed);
      return false;
    case RelayOpenResult::kBadTag:
      bump(counters_.dropped_bad_tag);
      return false;
    case RelayOpenResult::kReplay:
      bump(counters_.dropped_replay);
      return false;
  }
  last_valid_ms_ = uv_now(loop_);
  if (type == RelayFrameType::kConsent) {
    bump(counters_.consent_received);
    return false;
  }
  if (!decode_relay_slot(ByteSpan(plain_.data(), size), slot)) {
    bump(counters_.dropped_malformed);
    return false;
  }
  bump(counters_.packets_received);
  bump(counters_.bytes_received, size);
  return true;
}

}  // namespace sfu
