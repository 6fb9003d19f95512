#include "sfu/media/down_track.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "base/random.h"
#include "rtp/red_payload.h"
#include "rtp/vp8_descriptor.h"
#include "sfu/media/published_track.h"
#include "sfu/media/simulcast_layers.h"

namespace sfu {

DownTrack::DownTrack(PublishedTrack& source, Participant& subscriber, MediaSink& sink, std::string mid,
                     uint32_t ssrc, uint32_t rtx_ssrc)
    : source_(source),
      subscriber_(subscriber),
      sink_(sink),
      mid_(std::move(mid)),
      ssrc_(ssrc),
      rtx_ssrc_(rtx_ssrc) {
  payload_type_map_.fill(kUnmapped);
  rtx_payload_type_map_.fill(kUnmapped);
  // Random starting points, as RFC 3550 asks of any sender; the offsets are fixed when the first
  // packet goes out.
  initial_sequence_ = random_value<uint16_t>();
  sequence_offset_ = initial_sequence_;
  timestamp_offset_ = random_value<uint32_t>();
  rtx_sequence_ = random_value<uint16_t>();
  preferences_ = {LayerSelector::kMaxLayers - 1, 0, 0, std::nullopt, false, 0};
  // Audio needs no keyframe: every Opus packet decodes on its own.
  if (source_.kind() == sdp::MediaKind::kAudio) selector_.start_at(0);
  const PublishedTrackSpec& spec = source_.spec();
  if (spec.red_payload_type != 0 && spec.red_payload_type < 128 && spec.red_primary_payload_type < 128) {
    red_payload_type_ = spec.red_payload_type;
    red_primary_payload_type_ = spec.red_primary_payload_type;
  }
  // Layer switches splice VP8 picture id sequences; a single stream's go through untouched.
  for (const auto& codec : source_.spec().codecs) {
    if (codec.payload_type >= 128 || rtp::video_codec_from_name(codec.name) != rtp::VideoCodec::VP8) continue;
    vp8_payload_type_[codec.payload_type] = true;
    rewrites_vp8_ = source_.simulcast();
  }
}

void DownTrack::map_payload_type(uint8_t publisher_pt, uint8_t subscriber_pt, uint8_t subscriber_rtx_pt) {
  if (publisher_pt >= 128 || subscriber_pt >= 128) return;
  payload_type_map_[publisher_pt] = subscriber_pt;
  rtx_payload_type_map_[subscriber_pt] =
      subscriber_rtx_pt < 128 && subscriber_rtx_pt != 0 ? subscriber_rtx_pt : kUnmapped;
  if (probe_payload_type_ == 0 && rtx_payload_type_map_[subscriber_pt] != kUnmapped)
    probe_payload_type_ = subscriber_rtx_pt;
}

void DownTrack::map_extension(uint8_t publisher_id, uint8_t subscriber_id) {
  extension_map_[publisher_id] = subscriber_id;
}

void DownTrack::set_preferences(const TrackPreferences& preferences) {
  if (preferences.max_layer) preferences_.max_layer = preferences.max_layer;
  if (preferences.max_width) preferences_.max_width = preferences.max_width;
  if (preferences.max_height) preferences_.max_height = preferences.max_height;
  if (preferences.max_temporal_layer) preferences_.max_temporal_layer = preferences.max_temporal_layer;
  if (preferences.priority) preferences_.priority = preferences.priority;
  if (preferences.paused) {
    preferences_.paused = preferences.paused;
    selector_.set_paused(*preferences.paused || paused_for_bandwidth());
  }
  target_dirty_ = true;
}

void DownTrack::apply_allocation() {
  const bool paused = *preferences_.paused || paused_for_bandwidth();
  if (paused != selector_.paused()) selector_.set_paused(paused);
  target_dirty_ = true;
}

uint8_t DownTrack::preferred_layer() const {
  uint8_t layer = *preferences_.max_layer;
  if (*preferences_.max_width != 0 || *preferences_.max_height != 0)
    layer = std::min(layer, layer_for_frame_size(source_, *preferences_.max_width, *preferences_.max_height));
  return layer;
}

uint8_t DownTrack::wanted_layer() const {
  const uint8_t layer = preferred_layer();
  return allocation_.layer >= 0 ? std::min(layer, static_cast<uint8_t>(allocation_.layer)) : layer;
}

void DownTrack::sync_target() {
  const PacketLayerReader* reader = source_.layer_reader();
  const uint32_t sizes_generation = reader ? reader->sizes_generation() : 0;
  if (!target_dirty_ && synced_generation_ == source_.layer_generation() &&
      synced_sizes_generation_ == sizes_generation)
    return;
  target_dirty_ = false;
  synced_generation_ = source_.layer_generation();
  synced_sizes_generation_ = sizes_generation;
  selector_.set_max_layer(wanted_layer());
  // Without simulcast, max_layer (and the tile's size, against the spatial layers' sizes the
  // publisher describes) caps the spatial layer of an SVC stream (VP9, AV1).
  uint8_t max_spatial = *preferences_.max_layer;
  if (reader != nullptr)
    max_spatial = std::min(
        max_spatial, reader->spatial_layer_for_frame_size(*preferences_.max_width, *preferences_.max_height));
  svc_.set_caps(source_.simulcast() ? SvcFilter::kAll : max_spatial,
                preferences_.max_temporal_layer.value_or(SvcFilter::kAll));
  selector_.update_target(source_.arriving_layers(), static_cast<uint8_t>(source_.layer_count()),
                          source_.layers_settling());
}

size_t DownTrack::rewrite_into(const rtp::RtpPacket& packet, uint8_t payload_type, MutableByteSpan out,
                               bool fresh, const ForwardedPacketMap::Entry* resend) {
  size_t size = packet.size();
  if (size > out.size()) return 0;
  std::memcpy(out.data(), packet.bytes().data(), size);
  rtp::RtpPacket copy = packet.view_of_copy(out.data());
  copy.set_ssrc(ssrc_);
  const auto sequence_offset =
      resend ? static_cast<uint16_t>(resend->subscriber_seq - resend->source_seq) : sequence_offset_;
  const auto sequence = static_cast<uint16_t>(packet.sequence_number() + sequence_offset);
  copy.set_sequence_number(sequence);
  if (resend) copy.set_marker(resend->marker);
  copy.set_timestamp(packet.timestamp() + timestamp_offset_);
  copy.set_payload_type(payload_type);
  if (copy.has_extension()) copy.remap_extension_ids(extension_map_);
  if (rewrites_vp8_ && vp8_payload_type_[packet.payload_type()]) {
    if (auto descriptor = rtp::parse_vp8_descriptor(copy.payload())) {
      const bool newest = fresh && (!sent_any_ || static_cast<int16_t>(sequence - last_sequence_) > 0);
      if (resend)
        picture_ids_.rewrite_resend(copy.mutable_payload(), *descriptor, resend->picture_id_offset);
      else
        picture_ids_.rewrite(copy.mutable_payload(), *descriptor, newest);
    }
  }
  return size;
}

uint8_t DownTrack::outgoing_payload_type(uint8_t publisher_pt, RedForm& red) const {
  red = RedForm::kAsIs;
  const uint8_t mapped = payload_type_map_[publisher_pt];
  if (publisher_pt != red_payload_type_) return mapped;
  const uint8_t opus = payload_type_map_[red_primary_payload_type_];
  if (mapped == kUnmapped) {  // the subscriber takes Opus only: it gets the primary block
    if (opus != kUnmapped) red = RedForm::kUnwrap;
    return opus;
  }
  if (opus != kUnmapped && opus != red_primary_payload_type_) red = RedForm::kRewriteBlocks;
  return mapped;
}

bool DownTrack::parse_red(const rtp::RtpPacket& packet, rtp::RedPayload& parsed) const {
  return rtp::parse_red_payload(packet.payload(), parsed) == rtp::RedError::kNone &&
         parsed.primary().payload_type == red_primary_payload_type_;
}

size_t DownTrack::rewrite_red(const rtp::RtpPacket& packet, const rtp::RedPayload& parsed, RedForm red,
                              MutableByteSpan out, size_t size) {
  const size_t header_size = packet.header_size();
  MutableByteSpan payload = out.subspan(header_size, packet.payload_size());
  if (red == RedForm::kRewriteBlocks) {
    rtp::rewrite_red_block_payload_types(payload, parsed, red_primary_payload_type_,
                                         payload_type_map_[red_primary_payload_type_]);
    return size;
  }
  // The primary block becomes the whole payload; RED's padding, if any, goes with the rest.
  const rtp::RedBlock& primary = parsed.primary();
  std::memmove(payload.data(), payload.data() + primary.offset, primary.length);
  out[0] = static_cast<uint8_t>(out[0] & ~0x20);
  return header_size + primary.length;
}

void DownTrack::begin_layer(const rtp::RtpPacket& packet, uint64_t now_ms) {
  layer_start_seq_ = packet.sequence_number();
  guarding_layer_start_ = true;
  picture_ids_.restart();
  svc_.restart();
  newest_source_seq_ = packet.sequence_number();
  if (filtered_ && forwarded_) forwarded_->clear();  // another source: its sequence numbers are new
  filtered_ = false;
  if (!sent_any_) {
    // First packet: the subscriber's sequence starts at the random start with no artificial gap.
    sequence_offset_ = static_cast<uint16_t>(initial_sequence_ - packet.sequence_number());
    return;
  }
  // Continue right after the newest packet sent, and let the clock advance by the time elapsed
  // (at least one millisecond): layers have unrelated sequence numbers and timestamp origins.
  sequence_offset_ = static_cast<uint16_t>(last_sequence_ + 1 - packet.sequence_number());
  const uint64_t elapsed_ms = std::max<uint64_t>(1, now_ms > last_sent_ms_ ? now_ms - last_sent_ms_ : 0);
  const auto ticks = static_cast<uint32_t>(elapsed_ms * source_.clock_rate() / 1000);
  timestamp_offset_ = last_timestamp_ + ticks - packet.timestamp();
}

void DownTrack::end_layer_start_guard(uint16_t source_seq) {
  if (guarding_layer_start_ && static_cast<uint16_t>(source_seq - layer_start_seq_) >= kLayerStartGuard)
    guarding_layer_start_ = false;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one case per selector verdict.
size_t DownTrack::rewrite(const rtp::RtpPacket& packet, uint8_t layer, bool is_keyframe_start,
                          uint64_t now_ms, MutableByteSpan out, const PacketLayers* layers) {
  if (!active_) {
    outcome_ = Outcome::kInactive;
    return 0;
  }
  RedForm red = RedForm::kAsIs;
  const uint8_t payload_type = outgoing_payload_type(packet.payload_type(), red);
  if (payload_type == kUnmapped) return drop(Outcome::kUnsupportedCodec, counters_.dropped_unsupported_codec);
  // Read before anything changes state: a malformed one leaves a gap the subscriber takes for a loss.
  // Constructed only for a RED packet that must be read: its block array (384 bytes) would
  // otherwise be zeroed for every packet of every subscriber.
  std::optional<rtp::RedPayload> parsed;
  if (red != RedForm::kAsIs && !parse_red(packet, parsed.emplace()))
    return drop(Outcome::kMalformedRed, counters_.dropped_malformed_red);
  sync_target();
  const bool keyframe = is_keyframe_start || source_.kind() != sdp::MediaKind::kVideo;
  Outcome sent = Outcome::kSent;
  const int8_t previous_layer = selector_.current();
  switch (selector_.on_packet(layer, keyframe)) {
    case LayerSelector::Verdict::kDropPaused:
      return drop(Outcome::kPaused, counters_.dropped_paused);
    case LayerSelector::Verdict::kDropOtherLayer:
      return drop(Outcome::kOtherLayer, counters_.dropped_other_layer);
    case LayerSelector::Verdict::kDropWaitingKeyframe:
      return drop(Outcome::kWaitingKeyframe, counters_.dropped_before_keyframe);
    case LayerSelector::Verdict::kStart:
      sent = Outcome::kStarted;
      begin_layer(packet, now_ms);
      break;
    case LayerSelector::Verdict::kSwitchUp:
    case LayerSelector::Verdict::kSwitchDown:
      sent = static_cast<int8_t>(layer) > previous_layer ? Outcome::kSwitchedUp : Outcome::kSwitchedDown;
      ++counters_.layer_switches;
      begin_layer(packet, now_ms);
      break;
    case LayerSelector::Verdict::kForward:
      if (!in_current_layer(packet.sequence_number()))
        return drop(Outcome::kBeforeSwitch, counters_.dropped_before_switch);
      end_layer_start_guard(packet.sequence_number());
      break;
  }
  if (layers != nullptr && layers->scheme != PacketLayers::Scheme::kNone) {
    const SvcFilter::Verdict verdict = svc_.on_packet(*layers);
    if (verdict != SvcFilter::Verdict::kForward) return drop_layer(packet, *layers, verdict);
  }
  size_t size = rewrite_into(packet, payload_type, out, true);
  if (size == 0) return 0;
  if (parsed) size = rewrite_red(packet, *parsed, red, out, size);
  if (layers != nullptr) fix_marker(out, *layers, packet.marker());
  outcome_ = sent;
  const auto sequence = static_cast<uint16_t>(packet.sequence_number() + sequence_offset_);
  if (static_cast<int16_t>(packet.sequence_number() - newest_source_seq_) > 0)
    newest_source_seq_ = packet.sequence_number();
  if (forwarded_)
    forwarded_->record(packet.sequence_number(), sequence, picture_ids_.picture_id_offset(),
                       (out[1] & 0x80) != 0);
  if (!sent_any_ || static_cast<int16_t>(sequence - last_sequence_) > 0) {
    last_sequence_ = sequence;
    last_timestamp_ = packet.timestamp() + timestamp_offset_;
    last_sent_ms_ = now_ms;
  }
  sent_any_ = true;
  ++counters_.packets;
  counters_.bytes += size;
  counters_.payload_bytes += red == RedForm::kUnwrap ? size - packet.header_size() : packet.payload_size();
  return size;
}

size_t DownTrack::drop_layer(const rtp::RtpPacket& packet, const PacketLayers& layers,
                             SvcFilter::Verdict verdict) {
  // Once, at the first drop: a down-track that never drops a layer costs no map.
  if (!forwarded_) forwarded_ = std::make_unique<ForwardedPacketMap>();
  filtered_ = true;
  // Only a packet newer than any seen moves the offsets: a late one's number was passed over
  // already (the subscriber sees a gap there, as it would for a loss).
  const uint16_t seq = packet.sequence_number();
  if (static_cast<int16_t>(seq - newest_source_seq_) > 0) {
    newest_source_seq_ = seq;
    --sequence_offset_;
    const bool new_picture = !skipped_picture_ || layers.picture_id != last_skipped_picture_id_;
    if (layers.scheme == PacketLayers::Scheme::kVp8 && layers.has_picture_id && new_picture) {
      rewrites_vp8_ = true;  // from now on, a single stream's picture ids are rewritten too
      picture_ids_.skip_picture();
      skipped_picture_ = true;
      last_skipped_picture_id_ = layers.picture_id;
    }
  }
  if (verdict == SvcFilter::Verdict::kDropTemporal)
    return drop(Outcome::kTemporalLayer, counters_.dropped_temporal_layer);
  return drop(Outcome::kSpatialLayer, counters_.dropped_spatial_layer);
}

void DownTrack::fix_marker(MutableByteSpan out, const PacketLayers& layers, bool original_marker) const {
  const bool marker = svc_.marker(layers, original_marker);
  if (marker != original_marker) out[1] = static_cast<uint8_t>((out[1] & 0x7F) | (marker ? 0x80 : 0));
}

bool DownTrack::allow_keyframe_request(uint64_t now_ms, uint64_t interval_ms) {
  if (keyframe_request_allowed_once_ && now_ms - last_keyframe_request_ms_ < interval_ms) return false;
  keyframe_request_allowed_once_ = true;
  last_keyframe_request_ms_ = now_ms;
  return true;
}

size_t DownTrack::rewrite_retransmission(const rtp::RtpPacket& stored, MutableByteSpan scratch,
                                         MutableByteSpan out) {
  if (!active_ || !started()) return 0;
  uint8_t payload_type = payload_type_map_[stored.payload_type()];
  if (payload_type == kUnmapped) return 0;
  // After layers were dropped, only what was forwarded is resent, and as it was sent.
  const ForwardedPacketMap::Entry* resend = nullptr;
  if (filtered_ && forwarded_) {
    resend = forwarded_->find(stored.sequence_number());
    if (!resend) return 0;
  }
  uint8_t rtx_payload_type = rtx_payload_type_map_[payload_type];
  if (rtx_payload_type == kUnmapped || rtx_ssrc_ == 0) {
    // No RTX negotiated: RFC 4585 allows resending the original packet on the media SSRC.
    size_t size = rewrite_into(stored, payload_type, out, false, resend);
    if (size > 0) ++counters_.retransmitted;
    return size;
  }
  // Rewrite into `scratch`, then wrap as RTX (RFC 4588) into `out`.
  size_t size = rewrite_into(stored, payload_type, scratch, false, resend);
  if (size == 0) return 0;
  auto rewritten = rtp::RtpPacket::parse(scratch.first(size));
  if (!rewritten) return 0;
  size_t rtx_size = rtp::build_rtx(*rewritten, rtx_payload_type, rtx_ssrc_, rtx_sequence_++, out);
  if (rtx_size > 0) ++counters_.retransmitted;
  return rtx_size;
}

}  // namespace sfu
