#include "sfu/media/cross_worker_tables.h"

#include <algorithm>
#include <cstring>

#include "sfu/media/dynacast.h"
#include "sfu/media/published_track.h"
#include "sfu/media/router.h"

namespace sfu {
namespace {

// The recipient id a repair to worker `peer` is marked under in a track's retransmission buffer
// (RetransmissionBuffer::mark_resent): apart from the subscribers' SSRCs in practice.
uint32_t repair_recipient(uint32_t peer) { return 0xFFFF0000u | (peer & 0xFFFFu); }

}  // namespace

CrossWorkerTrackRef CrossWorkerTables::export_track(PublishedTrack& track, Router& router) {
  uint32_t id;
  if (!free_exports_.empty()) {
    id = free_exports_.back();
    free_exports_.pop_back();
  } else {
    id = static_cast<uint32_t>(exports_.size());
    exports_.emplace_back();
  }
  Entry& entry = exports_[id];
  entry.track = &track;
  entry.router = &router;
  ++entry.generation;
  return {id, entry.generation};
}

void CrossWorkerTables::unexport(CrossWorkerTrackRef ref) {
  Entry* entry = exported_entry(ref);
  if (!entry) return;
  entry->track = nullptr;
  entry->router = nullptr;
  free_exports_.push_back(ref.export_id);
}

void CrossWorkerTables::import_track(uint32_t peer, CrossWorkerTrackRef ref, PublishedTrack& proxy,
                                     Router& router) {
  if (imports_.size() <= peer) imports_.resize(peer + 1);
  auto& table = imports_[peer];
  if (table.size() <= ref.export_id) table.resize(ref.export_id + 1);
  table[ref.export_id] = Entry{&proxy, &router, ref.generation};
}

void CrossWorkerTables::unimport(uint32_t peer, CrossWorkerTrackRef ref) {
  if (Entry* entry = imported_entry(peer, ref)) *entry = Entry{};
}

size_t CrossWorkerTables::exported() const {
  return static_cast<size_t>(
      std::count_if(exports_.begin(), exports_.end(), [](const Entry& e) { return e.track != nullptr; }));
}

size_t CrossWorkerTables::imported() const {
  size_t count = 0;
  for (const auto& table : imports_)
    count += static_cast<size_t>(
        std::count_if(table.begin(), table.end(), [](const Entry& e) { return e.track != nullptr; }));
  return count;
}

CrossWorkerTables::Entry* CrossWorkerTables::exported_entry(CrossWorkerTrackRef ref) {
  if (ref.export_id >= exports_.size()) return nullptr;
  Entry& entry = exports_[ref.export_id];
  return entry.track && entry.generation == ref.generation ? &entry : nullptr;
}

CrossWorkerTables::Entry* CrossWorkerTables::imported_entry(uint32_t peer, CrossWorkerTrackRef ref) {
  if (peer >= imports_.size() || ref.export_id >= imports_[peer].size()) return nullptr;
  Entry& entry = imports_[peer][ref.export_id];
  return entry.track && entry.generation == ref.generation ? &entry : nullptr;
}

void CrossWorkerTables::dispatch(uint32_t peer, CrossWorkerPacket& packet, CrossWorkerLink& to_peer,
                                 uint64_t now_ms) {
  const bool to_proxy = packet.kind == CrossWorkerKind::kMedia || packet.kind == CrossWorkerKind::kRepair ||
                        packet.kind == CrossWorkerKind::kSenderReport;
  Entry* entry = to_proxy ? imported_entry(peer, packet.track) : exported_entry(packet.track);
  if (!entry) {
    bump(counters_.dropped_stale);
    return;
  }
  switch (packet.kind) {
    case CrossWorkerKind::kMedia:
    case CrossWorkerKind::kRepair:
      entry->router->on_remote_rtp(*entry->track, packet.layer, packet.data.data(), packet.size,
                                   packet.arrival_ms, now_ms);
      break;
    case CrossWorkerKind::kSenderReport:
      entry->router->on_remote_sender_report(*entry->track, packet.layer, packet.ntp, packet.rtp_timestamp,
                                             now_ms);
      break;
    case CrossWorkerKind::kKeyframeRequest:
      bump(counters_.keyframe_requests_in);
      entry->router->request_keyframe(*entry->track, packet.layer, now_ms);
      break;
    case CrossWorkerKind::kNack:
      answer_nack(*entry, packet, peer, to_peer, now_ms);
      break;
    case CrossWorkerKind::kLayerDemand:
      note_layer_demand(entry->track->remote_routes(), peer, packet.layers, now_ms);
      break;
  }
}

void CrossWorkerTables::answer_nack(const Entry& exported, const CrossWorkerPacket& nack, uint32_t peer,
                                    CrossWorkerLink& to_peer, uint64_t now_ms) {
  PublishedTrack& track = *exported.track;
  if (nack.layer >= track.layer_count()) return;
  LayerStream& layer = track.layer(nack.layer);
  const CrossWorkerTrackRef ref = track.remote_routes().ref;
  const uint32_t recipient = repair_recipient(peer);
  const size_t items = nack.size / sizeof(uint16_t);
  for (size_t i = 0; i < items; ++i) {
    uint16_t seq;
    std::memcpy(&seq, nack.data.data() + i * sizeof(uint16_t), sizeof(seq));
    auto stored = layer.stored_packet(seq, now_ms);
    if (!stored) {
      bump(counters_.repairs_missed);
      continue;
    }
    if (!layer.mark_resent(seq, now_ms, kRepairIntervalMs, recipient)) {
      bump(counters_.repairs_duplicate);
      continue;
    }
    if (to_peer.push_rtp(CrossWorkerKind::kRepair, ref, nack.layer, *stored, now_ms))
      bump(counters_.repairs_sent);
  }
}

}  // namespace sfu
