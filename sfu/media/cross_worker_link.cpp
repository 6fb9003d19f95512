#include "sfu/media/cross_worker_link.h"

#include <algorithm>
#include <cstring>

#include "sfu/media/relay_peer.h"

namespace sfu {

CrossWorkerLink::CrossWorkerLink(uint32_t from_worker, uint32_t to_worker, size_t packets,
                                 CrossWorkerCounters& producer, CrossWorkerCounters& consumer,
                                 RingDoorbell& consumer_doorbell)
    : from_(from_worker),
      to_(to_worker),
      ring_(packets),
      producer_(producer),
      consumer_(consumer),
      doorbell_(consumer_doorbell) {}

namespace {
// A relay-mode link wakes no one: its datagrams leave with the relay socket's flush.
class NoDoorbell final : public RingDoorbell {
 public:
  void ring() override {}
};
NoDoorbell no_doorbell;
}  // namespace

CrossWorkerLink::CrossWorkerLink(uint32_t from_worker, uint32_t to_peer, RelayPeer& relay,
                                 CrossWorkerCounters& producer)
    : from_(from_worker),
      to_(to_peer),
      ring_(2),
      producer_(producer),
      consumer_(producer),
      doorbell_(no_doorbell),
      relay_(&relay),
      scratch_(std::make_unique<CrossWorkerPacket>()) {}

CrossWorkerLink::~CrossWorkerLink() = default;

CrossWorkerPacket* CrossWorkerLink::claim(CrossWorkerKind kind, CrossWorkerTrackRef track, size_t layer) {
  CrossWorkerPacket* slot = relay_ ? scratch_.get() : ring_.claim();
  if (!slot) {
    bump(producer_.dropped_full);
    return nullptr;
  }
  slot->kind = kind;
  slot->track = track;
  slot->layer = static_cast<uint8_t>(layer);
  slot->size = 0;
  return slot;
}

void CrossWorkerLink::publish() {
  if (relay_) {
    // Sent now (counted by the relay: sent, or dropped for no_consent / too_large).
    if (relay_->send_slot(*scratch_)) bump(producer_.packets_out);
    return;
  }
  ring_.publish();
  bump(producer_.packets_out);
  wake_pending_ = true;
}

bool CrossWorkerLink::push_rtp(CrossWorkerKind kind, CrossWorkerTrackRef track, size_t layer, ByteSpan rtp,
                               uint64_t arrival_ms) {
  if (rtp.size() > CrossWorkerPacket::kMaxBytes) {
    bump(producer_.dropped_too_large);
    return false;
  }
  CrossWorkerPacket* slot = claim(kind, track, layer);
  if (!slot) return false;
  slot->arrival_ms = arrival_ms;
  slot->size = static_cast<uint16_t>(rtp.size());
  std::memcpy(slot->data.data(), rtp.data(), rtp.size());
  publish();
  return true;
}

bool CrossWorkerLink::push_sender_report(CrossWorkerTrackRef track, size_t layer, uint64_t ntp,
                                         uint32_t rtp_timestamp) {
  CrossWorkerPacket* slot = claim(CrossWorkerKind::kSenderReport, track, layer);
  if (!slot) return false;
  slot->ntp = ntp;
  slot->rtp_timestamp = rtp_timestamp;
  publish();
  return true;
}

bool CrossWorkerLink::push_keyframe_request(CrossWorkerTrackRef track, size_t layer) {
  if (!claim(CrossWorkerKind::kKeyframeRequest, track, layer)) return false;
  publish();
  return true;
}

bool CrossWorkerLink::push_nack(CrossWorkerTrackRef track, size_t layer,
                                std::span<const uint16_t> sequence_numbers) {
  if (sequence_numbers.empty()) return false;
  CrossWorkerPacket* slot = claim(CrossWorkerKind::kNack, track, layer);
  if (!slot) return false;
  size_t count = std::min(sequence_numbers.size(), CrossWorkerPacket::kMaxNackItems);
  slot->size = static_cast<uint16_t>(count * sizeof(uint16_t));
  std::memcpy(slot->data.data(), sequence_numbers.data(), slot->size);
  publish();
  return true;
}

bool CrossWorkerLink::push_layer_demand(CrossWorkerTrackRef track, uint32_t layers) {
  CrossWorkerPacket* slot = claim(CrossWorkerKind::kLayerDemand, track, 0);
  if (!slot) return false;
  slot->layers = layers;
  publish();
  return true;
}

void CrossWorkerLink::wake_consumer() {
  if (!wake_pending_) return;
  wake_pending_ = false;
  bump(producer_.wakeups);
  doorbell_.ring();
}

}  // namespace sfu
