#include "sfu/media/router.h"

#include <cstring>
#include <ctime>

#include "rtp/rtcp_builder.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "sfu/media/webrtc_transport.h"

namespace sfu {
namespace {
// Round trip assumed for NACK pacing until measured; loopback and LAN calls are far below it.
constexpr uint32_t kDefaultRttMs = 100;
// How often publishers get transport-wide feedback (libwebrtc's receivers send it every 50-100 ms).
constexpr uint64_t kTransportCcIntervalMs = 50;

uint64_t monotonic_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}
}  // namespace

PublishedTrack* Router::learn_track(Participant& publisher, const rtp::RtpPacket& packet) {
  // Streams announced without a=ssrc (simulcast with rids, Firefox) are bound by their MID
  // header extension on their first packet.
  for (auto& track : publisher.published) {
    uint8_t mid_id = track->spec().extensions.mid;
    if (mid_id == 0) continue;
    auto mid = packet.mid(mid_id);
    if (!mid || *mid != track->spec().mid) continue;
    const sdp::Codec* codec = track->codec_for(packet.payload_type());
    if (codec && track->ssrc() == 0) {
      track->learn_ssrc(packet.ssrc());
      return track.get();
    }
    // An RTX payload type for this mid: the repair stream.
    if (track->rtx_ssrc() == 0 && track->media_payload_type_of_rtx(packet.payload_type())) {
      track->learn_rtx_ssrc(packet.ssrc());
      return track.get();
    }
  }
  return nullptr;
}

void Router::on_publisher_rtp(Participant& publisher, uint8_t* data, size_t size, uint64_t now_ms) {
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(data, size));
  if (!packet) {
    drops_.count(DropReason::RtpMalformed);
    return;
  }
  if (publisher.transport_cc_extension_id != 0) {
    // Every packet counts for the sender's bandwidth estimate, retransmissions included.
    if (auto seq = packet->transport_sequence_number(publisher.transport_cc_extension_id))
      publisher.transport_cc.on_packet(*seq, monotonic_us());
  }
  PublishedTrack* track = publisher.track_by_ssrc(packet->ssrc());
  if (!track) track = learn_track(publisher, *packet);
  if (!track) {
    drops_.count(DropReason::NoRoute);
    return;
  }
  if (packet->ssrc() == track->rtx_ssrc() && track->rtx_ssrc() != track->ssrc()) {
    // The publisher repaired one of its own losses: restore the original packet (RFC 4588).
    auto original_pt = track->media_payload_type_of_rtx(packet->payload_type());
    if (!original_pt || packet->payload_size() < 2) {
      drops_.count(DropReason::RtpMalformed);
      return;
    }
    size_t restored = rtp::unwrap_rtx(*packet, *original_pt, track->ssrc(), MutableByteSpan(scratch_a_));
    auto original =
        restored ? rtp::RtpPacket::parse(MutableByteSpan(scratch_a_.data(), restored)) : std::nullopt;
    if (!original) {
      drops_.count(DropReason::RtpMalformed);
      return;
    }
    ++track->counters().rtx_packets;
    track->on_packet(*original, now_ms);
    forward(*track, *original, now_ms);
    return;
  }
  track->on_packet(*packet, now_ms);
  forward(*track, *packet, now_ms);
}

void Router::forward(PublishedTrack& track, const rtp::RtpPacket& packet, uint64_t now_ms) {
  auto& downs = track.down_tracks();
  if (downs.empty()) return;
  // Keyframe detection reads a few payload bytes; only down-tracks still waiting need it.
  bool is_keyframe_start = false;
  bool keyframe_checked = false;
  for (DownTrack* down : downs) {
    WebRtcTransport* transport = down->subscriber().subscribe_transport;
    // Only once the subscriber can decrypt: a keyframe rewritten for a transport still in its DTLS
    // handshake would start the down-track and then be dropped by commit_rtp.
    if (!transport || transport->state() != WebRtcTransport::State::DtlsConnected || !down->active())
      continue;
    if (!down->started() && !keyframe_checked) {
      is_keyframe_start =
          rtp::is_keyframe_start(track.video_codec_for(packet.payload_type()), packet.payload());
      keyframe_checked = true;
    }
    MutableByteSpan slot = transport->acquire_send();
    size_t size = down->rewrite(packet, is_keyframe_start, slot);
    if (size == 0) {
      if (down->needs_keyframe()) track.request_keyframe();
      continue;
    }
    if (transport->commit_rtp(slot, size)) bump(counters_.rtp_forwarded);
  }
  send_pending_keyframe_request(track, now_ms);
}

void Router::request_keyframe(PublishedTrack& track, uint64_t now_ms) {
  track.request_keyframe();
  send_pending_keyframe_request(track, now_ms);
}

void Router::send_pending_keyframe_request(PublishedTrack& track, uint64_t now_ms) {
  if (track.kind() != sdp::MediaKind::kVideo || track.ssrc() == 0 || !track.take_keyframe_request(now_ms))
    return;
  WebRtcTransport* transport = track.publisher().publish_transport;
  if (!transport) return;
  size_t size = rtp::build_pli(track.publisher().feedback_ssrc, track.ssrc(), MutableByteSpan(scratch_b_));
  if (size > 0 && transport->send_rtcp(ByteSpan(scratch_b_.data(), size))) bump(counters_.plis_sent);
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
    if (track) on_sender_report(*track, report->info.ntp_timestamp, report->info.rtp_timestamp, now_ms);
  }
  if (packets.error() != rtp::RtcpError::kNone) drops_.count(DropReason::RtcpMalformed);
}

void Router::on_sender_report(PublishedTrack& track, uint64_t ntp, uint32_t rtp_timestamp, uint64_t now_ms) {
  track.statistics().on_sender_report(ntp, now_ms);
  track.sender_clock() = {ntp, rtp_timestamp, true};
  // Each subscriber gets the publisher's NTP<->RTP mapping in its own timestamp space, which keeps
  // audio and video of one participant in sync at the receiver.
  for (DownTrack* down : track.down_tracks()) {
    WebRtcTransport* transport = down->subscriber().subscribe_transport;
    if (!transport || !down->started()) continue;
    rtp::SenderInfo info;
    info.ssrc = down->ssrc();
    info.ntp_timestamp = ntp;
    info.rtp_timestamp = down->to_subscriber_timestamp(rtp_timestamp);
    info.packet_count = static_cast<uint32_t>(down->counters().packets);
    info.octet_count = down->octets_sent();
    size_t size = rtp::build_sender_report(info, {}, MutableByteSpan(scratch_b_));
    if (size == 0) continue;
    size_t sdes = rtp::build_sdes_cname(down->ssrc(), down->subscriber().cname,
                                        MutableByteSpan(scratch_b_).subspan(size));
    if (transport->send_rtcp(ByteSpan(scratch_b_.data(), size + sdes))) bump(counters_.sender_reports_sent);
  }
}

void Router::on_subscriber_rtcp(Participant& subscriber, uint8_t* data, size_t size, uint64_t now_ms) {
  rtp::RtcpCompoundIterator packets(ByteSpan(data, size));
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kGenericNack: {
        auto nack = rtp::parse_generic_nack(header);
        DownTrack* down = nack ? subscriber.down_track_by_ssrc(nack->media_ssrc) : nullptr;
        if (!down) break;
        bump(counters_.nacks_received);
        nack->for_each_lost([&](uint16_t seq) { answer_nack(*down, seq, now_ms); });
        break;
      }
      case rtp::RtcpMessageKind::kPli: {
        auto pli = rtp::parse_pli(header);
        DownTrack* down = pli ? subscriber.down_track_by_ssrc(pli->media_ssrc) : nullptr;
        if (!down) break;
        bump(counters_.plis_received);
        request_keyframe(down->source(), now_ms);
        break;
      }
      case rtp::RtcpMessageKind::kFir: {
        auto fir = rtp::parse_fir(header);
        if (!fir) break;
        for (const rtp::FirEntry entry : fir->entries) {
          if (DownTrack* down = subscriber.down_track_by_ssrc(entry.ssrc)) {
            bump(counters_.firs_received);
            request_keyframe(down->source(), now_ms);
          }
        }
        break;
      }
      default:
        // Receiver reports, REMB and transport-cc from subscribers describe the subscriber's hop;
        // the server keeps no per-subscriber rate control yet.
        break;
    }
  }
  if (packets.error() != rtp::RtcpError::kNone) drops_.count(DropReason::RtcpMalformed);
}

void Router::answer_nack(DownTrack& down, uint16_t subscriber_seq, uint64_t now_ms) {
  WebRtcTransport* transport = down.subscriber().subscribe_transport;
  if (!transport) return;
  auto stored = down.source().stored_packet(down.to_source_sequence(subscriber_seq), now_ms);
  if (!stored || stored->size() > scratch_a_.size()) {
    bump(counters_.retransmissions_missed);
    return;
  }
  std::memcpy(scratch_a_.data(), stored->data(), stored->size());
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(scratch_a_.data(), stored->size()));
  if (!packet) return;
  MutableByteSpan slot = transport->acquire_send();
  size_t size = down.rewrite_retransmission(*packet, MutableByteSpan(scratch_b_), slot);
  if (size > 0 && transport->commit_rtp(slot, size)) bump(counters_.retransmissions_sent);
}

void Router::on_fast_timer(Participant& publisher, uint64_t now_ms) {
  WebRtcTransport* transport = publisher.publish_transport;
  if (!transport) return;
  if (publisher.transport_cc_extension_id != 0 &&
      now_ms - publisher.last_transport_cc_ms >= kTransportCcIntervalMs) {
    publisher.last_transport_cc_ms = now_ms;
    uint32_t media_ssrc = publisher.published.empty() ? 0 : publisher.published.front()->ssrc();
    size_t size = publisher.transport_cc.build_feedback(publisher.feedback_ssrc, media_ssrc,
                                                        MutableByteSpan(scratch_b_));
    if (size > 0 && transport->send_rtcp(ByteSpan(scratch_b_.data(), size)))
      bump(counters_.transport_cc_sent);
  }
  for (auto& track : publisher.published) {
    send_pending_keyframe_request(*track, now_ms);
    rtp::NackGenerator* nack = track->nack_generator();
    if (!nack || track->ssrc() == 0) continue;
    size_t lost = nack->collect(now_ms, kDefaultRttMs, std::span<uint16_t>(lost_));
    if (lost == 0) continue;
    size_t size =
        rtp::build_generic_nack(publisher.feedback_ssrc, track->ssrc(),
                                std::span<const uint16_t>(lost_.data(), lost), MutableByteSpan(scratch_b_));
    if (size > 0 && transport->send_rtcp(ByteSpan(scratch_b_.data(), size))) {
      bump(counters_.nacks_sent);
      ++track->counters().nacks_sent;
    }
  }
}

void Router::send_receiver_reports(Participant& publisher, uint64_t now_ms) {
  WebRtcTransport* transport = publisher.publish_transport;
  if (!transport || publisher.published.empty()) return;
  std::array<rtp::ReportBlock, 31> blocks;  // RFC 3550: at most 31 per report
  size_t count = 0;
  for (auto& track : publisher.published) {
    if (track->ssrc() == 0 || track->counters().packets == 0 || count == blocks.size()) continue;
    blocks[count++] = track->statistics().make_report_block(track->ssrc(), now_ms);
  }
  if (count == 0) return;
  size_t size = rtp::build_receiver_report(publisher.feedback_ssrc,
                                           std::span<const rtp::ReportBlock>(blocks.data(), count),
                                           MutableByteSpan(scratch_b_));
  if (size > 0 && transport->send_rtcp(ByteSpan(scratch_b_.data(), size)))
    bump(counters_.receiver_reports_sent);
}

}  // namespace sfu
