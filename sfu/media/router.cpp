#include "sfu/media/router.h"

#include <ctime>

#include "rtp/rtcp_builder.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "sfu/media/cross_worker_link.h"
#include "sfu/media/unannounced_stream.h"

namespace sfu {
namespace {

uint64_t monotonic_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

RouterOptions RouterOptions::from_config(const config::MediaConfig& media) {
  RouterOptions options;
  options.retransmissions_per_second = media.retransmissions_per_second;
  options.subscriber_keyframe_interval_ms = media.keyframe_request_interval_ms;
  options.publisher_keyframe_interval_ms = media.publisher_keyframe_interval_ms;
  return options;
}

Router::Router(DropCounters& drops, RouterCounters& counters, RouterOptions options)
    : drops_(drops),
      counters_(counters),
      options_(options),
      nack_responder_(NackResponder::Options{options.retransmission_min_interval_ms,
                                             options.retransmissions_per_second}) {}

PublishedTrack* Router::learn_track(Participant& publisher, const rtp::RtpPacket& packet, size_t& layer) {
  // Streams announced without a=ssrc (rid simulcast) bind on their first packet that names the
  // track's mid and one of its layers (see unannounced_stream.h).
  for (auto& track : publisher.published) {
    UnannouncedBinding binding = classify_unannounced_stream(*track, packet);
    layer = binding.layer;
    switch (binding.kind) {
      case UnannouncedStream::kMedia:
        track->layer(layer).learn_ssrc(packet.ssrc());
        return track.get();
      case UnannouncedStream::kRepair:
        track->layer(layer).learn_rtx_ssrc(packet.ssrc());
        return track.get();
      case UnannouncedStream::kNone:
        break;
    }
  }
  return nullptr;
}

void Router::on_publisher_rtp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms,
                              int64_t arrival_us) {
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(data, size));
  if (!packet) {
    drops_.count(DropReason::RtpMalformed);
    return;
  }
  if (publisher.transport_cc_extension_id != 0) {
    // Every packet counts for the sender's bandwidth estimate, retransmissions included.
    if (auto seq = packet->transport_sequence_number(publisher.transport_cc_extension_id))
      publisher.transport_cc->on_packet(*seq,
                                        arrival_us > 0 ? static_cast<uint64_t>(arrival_us) : monotonic_us());
  }
  size_t layer = 0;
  PublishedTrack* track = publisher.track_by_ssrc(packet->ssrc());
  if (track)
    layer = static_cast<size_t>(track->layer_of_ssrc(packet->ssrc()));
  else
    track = learn_track(publisher, *packet, layer);
  if (!track) {
    drops_.count(DropReason::NoRoute);
    return;
  }
  const LayerStream& stream = track->layer(layer);
  if (packet->ssrc() == stream.rtx_ssrc() && stream.rtx_ssrc() != stream.ssrc())
    on_rtx(*track, layer, *packet, now_ms);
  else
    on_media(*track, layer, *packet, now_ms);
}

void Router::on_rtx(PublishedTrack& track, size_t layer, const rtp::RtpPacket& rtx, uint64_t now_ms) {
  // Padding only, no original sequence number: a bandwidth probe (libwebrtc pads on the RTX
  // stream when RTX is negotiated). It has served its purpose (transport-cc recorded it) and
  // repairs nothing; it is neither malformed nor media.
  if (rtx.payload_size() == 0 && rtx.has_padding()) {
    drops_.count(DropReason::RtpPadding);
    return;
  }
  // The publisher repaired one of its own losses: restore the original packet (RFC 4588 section 4).
  auto original_pt = track.media_payload_type_of_rtx(rtx.payload_type());
  if (!original_pt || rtx.payload_size() < 2) {
    drops_.count(DropReason::RtpMalformed);
    return;
  }
  size_t restored =
      rtp::unwrap_rtx(rtx, *original_pt, track.layer(layer).ssrc(), MutableByteSpan(scratch_a_));
  auto original =
      restored ? rtp::RtpPacket::parse(MutableByteSpan(scratch_a_.data(), restored)) : std::nullopt;
  if (!original) {
    drops_.count(DropReason::RtpMalformed);
    return;
  }
  // Not a repair (libwebrtc's padding with old packets, or a retransmission that crossed the
  // original): forwarded, it would cost every subscriber's link a second copy (and price the
  // layer as if it were that much bigger) for nothing.
  if (track.layer(layer).already_received(original->sequence_number())) {
    drops_.count(DropReason::RtxDuplicate);
    return;
  }
  ++track.counters().rtx_packets;
  on_media(track, layer, *original, now_ms);
}

void Router::on_media(PublishedTrack& track, size_t layer, const rtp::RtpPacket& packet, uint64_t now_ms) {
  track.on_packet(layer, packet, now_ms);
  // Every media packet of every layer, before this worker's own fan-out: the other workers' share
  // of the room fans out (and selects layers) on their own cores meanwhile.
  if (!track.remote_routes().links.empty())
    hand_to_other_workers(track.remote_routes(), layer, packet.bytes(), now_ms);
  forward(track, layer, packet, now_ms);
}

void Router::on_remote_rtp(PublishedTrack& proxy, size_t layer, uint8_t* data, size_t size,
                           uint64_t arrival_ms, uint64_t now_ms) {
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(data, size));
  if (!packet || layer >= proxy.layer_count()) {
    drops_.count(DropReason::RtpMalformed);
    return;
  }
  // Streams without a=ssrc (rid simulcast) are learned on the publisher's worker; the proxy learns
  // the same from what crosses.
  if (proxy.layer(layer).ssrc() == 0) proxy.layer(layer).learn_ssrc(packet->ssrc());
  proxy.on_packet(layer, *packet, arrival_ms);
  forward(proxy, layer, *packet, now_ms);
}

void Router::on_remote_sender_report(PublishedTrack& proxy, size_t layer, uint64_t ntp,
                                     uint32_t rtp_timestamp, uint64_t now_ms) {
  if (layer >= proxy.layer_count()) return;
  bump(counters_.sender_reports_sent, sender_reports_.relay(proxy, layer, ntp, rtp_timestamp, now_ms));
}

void Router::forward(PublishedTrack& track, size_t layer, const rtp::RtpPacket& packet, uint64_t now_ms) {
  auto& downs = track.down_tracks();
  if (downs.empty()) return;
  // audio.forward_loudest: only the room's loudest audio tracks go out (RoomMediaSignals).
  if (!track.audio_level().forwarded()) {
    bump(counters_.audio_not_forwarded_quiet, downs.size());
    return;
  }
  const auto layer_index = static_cast<uint8_t>(layer);
  // Keyframe detection reads a few payload bytes; only down-tracks waiting for one need it.
  bool is_keyframe_start = false;
  bool keyframe_checked = false;
  // Spatial/temporal layers, read once for every down-track's SvcFilter.
  PacketLayerReader* reader = track.layer_reader();
  const PacketLayers* layers = reader ? &reader->read(packet) : nullptr;
  const MediaClass media_class =
      track.kind() == sdp::MediaKind::kAudio ? MediaClass::kAudio : MediaClass::kVideo;
  for (DownTrack* down : downs) {
    MediaSink& sink = down->sink();
    // Only once the subscriber can decrypt: a keyframe rewritten for a sink still in its DTLS
    // handshake would start the down-track and then be lost.
    if (!down->active() || !sink.ready()) continue;
    down->sync_target();
    const bool waiting = down->selector().waiting_for_keyframe_of(layer_index);
    if (waiting && !keyframe_checked) {
      is_keyframe_start =
          rtp::is_keyframe_start(track.video_codec_for(packet.payload_type()), packet.payload());
      keyframe_checked = true;
    }
    MutableByteSpan slot = sink.acquire_send();
    size_t size = down->rewrite(packet, layer_index, is_keyframe_start && waiting, now_ms, slot, layers);
    count_outcome(down->outcome());
    // A higher SVC spatial layer starts only at a key frame (collapsed per layer and interval).
    if (down->svc_wants_keyframe()) track.layer(layer).request_keyframe(true);
    if (size == 0) {
      // The subscriber waits for this layer's keyframe (to start, or to switch to it).
      if (down->outcome() == DownTrack::Outcome::kWaitingKeyframe)
        track.layer(layer).request_keyframe(down->started());
      continue;
    }
    if (sink.commit_media(slot, size, media_class)) bump(counters_.rtp_forwarded);
  }
  send_pending_keyframe_request(track, now_ms);
}

void Router::count_outcome(DownTrack::Outcome outcome) {
  LayerCounters& layers = counters_.layers;
  switch (outcome) {
    case DownTrack::Outcome::kSwitchedUp:
      bump(layers.switches_up);
      break;
    case DownTrack::Outcome::kSwitchedDown:
      bump(layers.switches_down);
      break;
    case DownTrack::Outcome::kOtherLayer:
      bump(layers.not_forwarded_other_layer);
      break;
    case DownTrack::Outcome::kWaitingKeyframe:
      bump(layers.not_forwarded_waiting_keyframe);
      break;
    case DownTrack::Outcome::kPaused:
      bump(layers.not_forwarded_paused);
      break;
    case DownTrack::Outcome::kBeforeSwitch:
      bump(layers.not_forwarded_before_switch);
      break;
    case DownTrack::Outcome::kTemporalLayer:
      bump(layers.not_forwarded_temporal_layer);
      break;
    case DownTrack::Outcome::kSpatialLayer:
      bump(layers.not_forwarded_spatial_layer);
      break;
    case DownTrack::Outcome::kMalformedRed:
      drops_.count(DropReason::RedMalformed);
      break;
    default:
      break;
  }
}

void Router::request_keyframe(PublishedTrack& track, uint64_t now_ms) {
  track.request_keyframe();
  send_pending_keyframe_request(track, now_ms);
}

void Router::request_keyframe(PublishedTrack& track, size_t layer, uint64_t now_ms) {
  if (layer >= track.layer_count()) return;
  track.layer(layer).request_keyframe();
  send_pending_keyframe_request(track, now_ms);
}

void Router::send_pending_keyframe_request(PublishedTrack& track, uint64_t now_ms) {
  // Audio needs no keyframe.
  if (track.kind() != sdp::MediaKind::kVideo) return;
  for (size_t i = 0; i < track.layer_count(); ++i) {
    LayerStream& layer = track.layer(i);
    // An unlearned stream has no SSRC to name in the PLI.
    bool for_switch = false;
    if (layer.ssrc() == 0 ||
        !layer.take_keyframe_request(now_ms, options_.publisher_keyframe_interval_ms, &for_switch))
      continue;
    ++track.counters().keyframe_requests_sent;
    if (for_switch) bump(counters_.layers.switch_keyframe_requests);
    // RFC 4585 section 6.3.1: PLI, sender SSRC = the server's feedback SSRC for this publisher.
    size_t size = rtp::build_pli(track.publisher().feedback_ssrc, layer.ssrc(), MutableByteSpan(scratch_b_));
    if (size > 0 && track.feedback_sink().send_rtcp(ByteSpan(scratch_b_.data(), size)))
      bump(counters_.plis_sent);
  }
}

void Router::on_publisher_rtcp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms) {
  rtp::RtcpCompoundIterator packets(ByteSpan(data, size));
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    if (rtp::classify_rtcp(header) != rtp::RtcpMessageKind::kSenderReport) continue;
    // Receiver reports, SDES and BYE from a publisher need no action: the server sends it no media.
    auto report = rtp::parse_sender_report(header);
    if (!report) continue;
    PublishedTrack* track = publisher.track_by_ssrc(report->info.ssrc);
    if (!track) continue;
    auto layer = static_cast<size_t>(track->layer_of_ssrc(report->info.ssrc));
    size_t sent =
        sender_reports_.relay(*track, layer, report->info.ntp_timestamp, report->info.rtp_timestamp, now_ms);
    bump(counters_.sender_reports_sent, sent);
    for (CrossWorkerLink* link : track->remote_routes().links)
      link->push_sender_report(track->remote_routes().ref, layer, report->info.ntp_timestamp,
                               report->info.rtp_timestamp);
  }
  if (packets.error() != rtp::RtcpError::kNone) drops_.count(DropReason::RtcpMalformed);
}

void Router::on_subscriber_rtcp(Participant& subscriber, uint8_t* data, size_t size, uint64_t now_ms) {
  rtp::RtcpCompoundIterator packets(ByteSpan(data, size));
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::RtcpMessageKind kind = rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kGenericNack:
        on_subscriber_nack(subscriber, header, now_ms);
        break;
      case rtp::RtcpMessageKind::kPli:
      case rtp::RtcpMessageKind::kFir:
        on_subscriber_keyframe_request(subscriber, header, kind, now_ms);
        break;
      default:
        // Receiver reports, REMB and transport-cc from subscribers describe the subscriber's hop;
        // the server keeps no per-subscriber rate control yet.
        break;
    }
  }
  if (packets.error() != rtp::RtcpError::kNone) drops_.count(DropReason::RtcpMalformed);
}

void Router::on_subscriber_nack(Participant& subscriber, const rtp::RtcpHeader& header, uint64_t now_ms) {
  auto nack = rtp::parse_generic_nack(header);
  DownTrack* down = nack ? subscriber.down_track_by_ssrc(nack->media_ssrc) : nullptr;
  if (!down) return;
  bump(counters_.nacks_received);
  NackResponder::Result result = nack_responder_.answer(*down, *nack, now_ms);
  bump(counters_.retransmissions_sent, result.resent);
  bump(counters_.retransmissions_missed, result.missed);
  bump(counters_.retransmissions_duplicate, result.duplicate);
  bump(counters_.retransmissions_over_budget, result.over_budget);
  bump(counters_.retransmissions_unsendable, result.unsendable);
  if (result.missed > 0 && down->source().remote_routes().proxied) ask_publisher_worker(*down, *nack, now_ms);
}

void Router::ask_publisher_worker(DownTrack& down, const rtp::GenericNack& nack, uint64_t now_ms) {
  // The layer the subscriber receives now, as NackResponder answers it.
  PublishedTrack& proxy = down.source();
  LayerStream& layer = proxy.layer(down.current_layer());
  size_t count = 0;
  nack.for_each_lost([&](uint16_t subscriber_seq) {
    uint16_t seq = down.to_source_sequence(subscriber_seq);
    if (count < missing_.size() && (!down.started() || down.in_current_layer(seq)) &&
        !layer.stored_packet(seq, now_ms))
      missing_[count++] = seq;
  });
  // The media SSRC names the layer (ProxyUplink maps it back).
  size_t size =
      rtp::build_generic_nack(proxy.publisher().feedback_ssrc, layer.ssrc(),
                              std::span<const uint16_t>(missing_.data(), count), MutableByteSpan(scratch_b_));
  if (size > 0) proxy.feedback_sink().send_rtcp(ByteSpan(scratch_b_.data(), size));
}

void Router::on_subscriber_keyframe_request(Participant& subscriber, const rtp::RtcpHeader& header,
                                            rtp::RtcpMessageKind kind, uint64_t now_ms) {
  // RFC 4585 section 6.3.1 (PLI) and RFC 5104 section 4.3.1 (FIR): either way the subscriber's
  // decoder needs a keyframe, which only the publisher's encoder can make.
  if (kind == rtp::RtcpMessageKind::kPli) {
    auto pli = rtp::parse_pli(header);
    DownTrack* down = pli ? subscriber.down_track_by_ssrc(pli->media_ssrc) : nullptr;
    if (!down) return;
    bump(counters_.plis_received);
    subscriber_asks_keyframe(*down, now_ms);
    return;
  }
  auto fir = rtp::parse_fir(header);
  if (!fir) return;
  for (const rtp::FirEntry entry : fir->entries) {
    if (DownTrack* down = subscriber.down_track_by_ssrc(entry.ssrc)) {
      bump(counters_.firs_received);
      subscriber_asks_keyframe(*down, now_ms);
    }
  }
}

void Router::subscriber_asks_keyframe(DownTrack& down, uint64_t now_ms) {
  // Per subscriber first: one subscriber alone cannot make the publisher's encoder send a keyframe
  // more often than its interval, however often it asks (audit row 22). What passes is collapsed
  // per track with everyone else's asks. Audio has no keyframes.
  PublishedTrack& track = down.source();
  if (track.kind() != sdp::MediaKind::kVideo) return;
  if (!down.allow_keyframe_request(now_ms, options_.subscriber_keyframe_interval_ms)) {
    bump(counters_.keyframe_requests_throttled);
    return;
  }
  // The layer it receives, or, while it waits for one, the layer it waits for.
  int8_t target = down.selector().target();
  size_t layer = down.started() || target < 0 ? down.current_layer() : static_cast<size_t>(target);
  if (layer >= track.layer_count()) return;
  if (track.layer(layer).keyframe_wanted()) bump(counters_.keyframe_requests_collapsed);
  track.layer(layer).request_keyframe();
  send_pending_keyframe_request(track, now_ms);
}

void Router::on_fast_timer(Participant& publisher, uint64_t now_ms) {
  if (publisher.published.empty()) return;
  send_transport_cc(publisher, now_ms);
  for (auto& track : publisher.published) {
    track->on_timer(now_ms);
    send_pending_keyframe_request(*track, now_ms);
    for (size_t i = 0; i < track->layer_count(); ++i) send_nacks(*track, i, now_ms);
  }
}

void Router::send_transport_cc(Participant& publisher, uint64_t now_ms) {
  MediaSink* sink = publisher.publish_feedback_sink();
  if (publisher.transport_cc_extension_id == 0 || !sink) return;
  // The feedback's media SSRC is unused by receivers of transport-wide feedback; libwebrtc puts
  // the first stream's there.
  uint32_t media_ssrc = publisher.published.front()->ssrc();
  size_t size = publisher.transport_cc->build_due(now_ms, publisher.feedback_ssrc, media_ssrc,
                                                  MutableByteSpan(scratch_b_));
  if (size > 0 && sink->send_rtcp(ByteSpan(scratch_b_.data(), size))) bump(counters_.transport_cc_sent);
}

void Router::send_nacks(PublishedTrack& track, size_t layer, uint64_t now_ms) {
  size_t size = nack_requester_.build_due(track.layer(layer), track.publisher().feedback_ssrc, now_ms,
                                          MutableByteSpan(scratch_b_));
  if (size > 0 && track.feedback_sink().send_rtcp(ByteSpan(scratch_b_.data(), size))) {
    bump(counters_.nacks_sent);
    ++track.counters().nacks_sent;
    ++track.layer(layer).counters().nacks_sent;
  }
}

void Router::send_receiver_reports(Participant& publisher, uint64_t now_ms) {
  MediaSink* sink = publisher.publish_feedback_sink();
  if (!sink) return;
  size_t size = receiver_reports_.build(publisher, now_ms, MutableByteSpan(scratch_b_));
  if (size > 0 && sink->send_rtcp(ByteSpan(scratch_b_.data(), size))) bump(counters_.receiver_reports_sent);
}

}  // namespace sfu
